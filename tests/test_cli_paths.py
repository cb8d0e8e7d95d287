"""Paths given to the command line: a folder where a file is expected, and the like, is refused
in one line with exit 2, never click's multi-line usage error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FLAGSHIP, POISSON, SYNTHETIC, invoke, refused


@pytest.mark.parametrize("command", [
    ["run", "DIR"], ["sweep", "DIR", "--set", "deadline.credibility=0..1"], ["trace", "DIR"],
    ["tornado", "DIR"], ["validate", "DIR"], ["fit", str(SYNTHETIC), "--actors", "DIR"]])
def test_a_folder_given_as_a_file_is_refused_in_one_line(tmp_path: Path,
                                                         command: list[str]) -> None:
    result = invoke(*[str(tmp_path) if a == "DIR" else a for a in command])
    refused(result, f"'{tmp_path}' is a directory; expected a file")
    assert "Usage:" not in result.output


@pytest.mark.parametrize(("command", "flag"), [
    (["run", FLAGSHIP, "-n", "5", "--set", "foo"], "--set foo"),
    (["trace", FLAGSHIP, "--set", "foo"], "--set foo"),  # before its kernels load
    (["compare", FLAGSHIP, "-n", "5", "--vs", "foo"], "--vs foo")])
def test_an_override_without_a_value_is_named_in_the_command_lines_words(
        command: list[str], flag: str) -> None:
    """Not the Python API's "a mapping {PATH: VALUE} or a list of strings"."""
    refused(invoke(*command), flag, "expected PATH=VALUE")


def test_a_command_refused_after_claiming_its_folder_leaves_no_empty_results(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``results/`` made for a folder the command then abandons (nothing written) goes with
    it; one that was there already, or holds another run, stays."""
    monkeypatch.chdir(tmp_path)
    assert invoke("run", POISSON, "-n", "20", "--no-plots", "--out", "r1").exit_code == 0
    (tmp_path / "empty").mkdir()
    refused(invoke("compare", "r1", "empty"), "manifest.json not found")
    refused(invoke("run", POISSON, "-n", "5", "--dask", "bogus"), "cannot reach it")
    assert not (tmp_path / "results").exists()
    (tmp_path / "results" / "kept").mkdir(parents=True)
    refused(invoke("compare", "r1", "empty"), "manifest.json not found")
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["kept"]


def test_a_variant_the_scenario_refuses_is_refused_before_the_compare_is_timed() -> None:
    """Not after printing "2 arms x 1,000 replications: about 6 s" (the README's 3a)."""
    refused(invoke("compare", FLAGSHIP, "--vs", "negotiation.protocol=faratin", "-n", "1000",
                   "-w", "2"), "ratifiers need the 'alternating' protocol")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("paths") / "r"
    assert invoke("run", POISSON, "-n", "20", "--no-plots", "--out", out).exit_code == 0
    return out


def test_a_file_the_user_names_in_a_missing_folder_is_bad_input(tmp_path: Path,
                                                                 run_folder: Path) -> None:
    """Exit 2 and the path asked for, before anything is written (report wrote its side file
    first and named it; fit exited 1)."""
    missing = tmp_path / "nodir"
    refused(invoke("report", run_folder, "-o", missing / "x.html"),
            f"cannot write {missing / 'x.html'}: the folder {missing} does not exist")
    refused(invoke("fit", SYNTHETIC, "--spoiler", "splinter", "--out", missing / "f.yaml"),
            f"the folder {missing} does not exist")
    assert not missing.exists()


def test_a_report_over_a_folder_is_refused_even_with_force(tmp_path: Path,
                                                           run_folder: Path) -> None:
    (tmp_path / "emptydir").mkdir()
    refused(invoke("report", run_folder, "-o", tmp_path / "emptydir", "--force"),
            "it is a folder; expected the name of a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["emptydir"]  # no side file


def test_a_sweep_resume_of_a_file_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("hi")
    refused(invoke("sweep", "--resume", tmp_path / "afile"), "no sweep to resume")


def test_a_broken_actor_map_is_refused_in_one_line_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "map.yaml"
    bad.write_text("parties: {gov: [a, b\n")
    refused(invoke("fit", SYNTHETIC, "--actors", bad), f"{bad}:2: not valid YAML: expected ','")


@pytest.mark.parametrize("flag", [["-n", "5"], ["--seed", "3"], ["--precision", "0.01"]])
def test_a_compare_of_run_folders_refuses_what_it_would_ignore(run_folder: Path,
                                                               flag: list[str]) -> None:
    refused(invoke("compare", run_folder, run_folder, *flag),
            f"{flag[0]}: a compare of run folders uses every replication")
