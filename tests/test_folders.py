"""One writer for every results folder (sim.store.Folder): run, compare and sweep alike."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.errors import StorageError, UsageError
from sim.output import report
from sim.store import MARKER, PARTIAL, Folder, kind_of, read_manifest
from tests.conftest import POISSON

PROVENANCE = {"versions", "platform", "git", "command", "created", "scenario_sha256"}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small folder of each kind, made through the public API."""
    root = tmp_path_factory.mktemp("folders")
    run = sim.run(POISSON, runs=40, out=root / "run", plots=False).folder
    cmp = sim.compare(POISSON, [{"actors.side_a.violation_rate": 0.4}], runs=40,
                      out=root / "compare", plots=False).folder
    swp = sim.sweep(POISSON, {"actors.side_a.violation_rate": [0.2, 0.4]}, runs=20,
                    out=root / "sweep", plots_too=False).folder
    assert run and cmp and swp
    return {"run": run, "compare": cmp, "sweep": swp}


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_every_folder_has_one_manifest_shape(folders: dict[str, Path], kind: str) -> None:
    folder = folders[kind]
    assert kind_of(folder) == kind
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == kind
    assert PROVENANCE <= set(manifest)
    assert manifest["scenario_sha256"] == hashlib.sha256(
        manifest["scenario_text"].encode()).hexdigest()
    assert manifest["seed"] == 1 and manifest["runs"] == (20 if kind == "sweep" else 40)
    assert not (folder / MARKER).exists()
    assert not folder.with_name(folder.name + PARTIAL).exists()


def test_the_sweep_manifest_holds_the_base_scenario_and_the_sweep_json_only_the_design(
        folders: dict[str, Path]) -> None:
    folder = folders["sweep"]
    manifest = json.loads((folder / "manifest.json").read_text())
    job = json.loads((folder / "sweep.json").read_text())
    assert manifest["scenario_text"] == job["scenario_text"]
    assert manifest["points"] == 2 and manifest["source"] == str(POISSON)
    assert "versions" not in job  # provenance lives in the manifest, once


def test_a_sweep_folder_from_before_manifests_still_reports(folders: dict[str, Path],
                                                           tmp_path: Path) -> None:
    import shutil

    old = tmp_path / "old-sweep"
    shutil.copytree(folders["sweep"], old)
    (old / "manifest.json").unlink()
    job = json.loads((old / "sweep.json").read_text())
    job.update({"versions": {"negsim": "0.1.0"}, "command": ["negsim", "sweep"]})
    (old / "sweep.json").write_text(json.dumps(job))
    manifest = read_manifest(old)
    assert manifest["kind"] == "sweep" and manifest["versions"] == {"negsim": "0.1.0"}
    assert manifest["scenario_text"] == job["scenario_text"]
    assert "negsim sweep" in report.build(old)


def test_a_run_is_written_as_partial_and_renamed_when_complete(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "r", "run")
    assert folder.path == tmp_path / f"r{PARTIAL}" and not (tmp_path / "r").exists()
    assert "incomplete (running)" in (folder.path / MARKER).read_text()
    folder.write_chunk(0, pa.record_batch({"replication": [0], "outcome": ["no_deal"]}))
    folder.merge_chunks()
    assert folder.complete() == tmp_path / "r"
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["replications.parquet"]
    assert not (tmp_path / f"r{PARTIAL}").exists()


def test_a_resumable_folder_is_written_in_place_with_a_note_saying_how_to_resume(
        tmp_path: Path) -> None:
    folder = Folder(tmp_path / "s", "sweep", resumable=True)
    assert folder.path == folder.final == tmp_path / "s"
    assert f"negsim sweep --resume {tmp_path / 's'}" in (folder.path / MARKER).read_text()
    folder.abandon("failed: boom")  # a resumable folder is kept, whatever it holds
    assert "failed: boom" in (folder.path / MARKER).read_text()
    again = Folder.reopen(tmp_path / "s", "sweep")
    assert again.complete() == tmp_path / "s" and not (tmp_path / "s" / MARKER).exists()


def test_a_run_that_fails_before_any_chunk_leaves_nothing(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "r", "run")
    folder.abandon("failed: boom")
    assert list(tmp_path.iterdir()) == []


def test_no_kind_overwrites_a_folder_and_fresh_names_move_on(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    for kind, resumable in (("run", False), ("compare", False), ("sweep", True)):
        with pytest.raises(UsageError, match="exists already"):
            Folder(tmp_path / "taken", kind, resumable=resumable)
    assert Folder(tmp_path / "taken", "run", unique=True).final == tmp_path / "taken-2"
    assert Folder(tmp_path / "taken", "sweep", unique=True, resumable=True).final == \
        tmp_path / "taken-3"


def test_a_folder_that_appears_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "r", "compare")
    folder.write_json("compare.json", {})
    (tmp_path / "r").mkdir()
    with pytest.raises(StorageError, match="appeared while running"):
        folder.complete()
    assert (tmp_path / f"r{PARTIAL}" / "compare.json").is_file()


def test_compare_refuses_a_sweep_folder_as_a_run(folders: dict[str, Path],
                                                 tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["compare", str(folders["run"]), str(folders["sweep"]),
                                       "--out", str(tmp_path / "c")])
    assert result.exit_code == 2
    assert "is a sweep folder; compare reads run folders" in result.stderr
    assert not (tmp_path / "c").exists()
