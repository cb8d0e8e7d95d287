"""``negsim discover`` stores its result all or nothing: a plot path that cannot be written is
refused before any work (exit 2, one line), and a step that fails later (the plot, the JSON,
the manifest) leaves the run folder exactly as it was, so that it still verifies."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import sim
from sim.errors import StorageError, UsageError
from sim.operations import discovery as dsc
from sim.store import read_manifest
from tests.conftest import FLAGSHIP, invoke, refused


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small sealed run folder of the flagship (most of its replications end in no deal)."""
    out = tmp_path_factory.mktemp("atomic") / "run"
    sim.run(FLAGSHIP, runs=60, out=out, plots=False)
    return out


@pytest.fixture
def run(sealed: Path, tmp_path: Path) -> Path:
    """A fresh copy of the sealed run, for a test to write into."""
    return Path(shutil.copytree(sealed, tmp_path / "run"))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder``, by relative name, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def unchanged(folder: Path, before: dict[str, bytes]) -> None:
    """The folder holds exactly the files it held, byte for byte, and still verifies."""
    assert snapshot(folder) == before
    sim.verify(folder)


def no_prim(*_: Any) -> None:
    raise AssertionError("PRIM ran: the plot path was not checked before the work")


def fail_writing(monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    """Make creating any file whose name ends in ``suffix`` fail as a full disk does."""
    real = os.open

    def full(path: Any, flags: int, *args: Any) -> int:
        if flags & os.O_CREAT and str(path).endswith(suffix):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", full)


# --- refused before any work -----------------------------------------------------------------


def test_a_plot_in_a_missing_folder_is_refused_before_any_work(
        run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(run)
    monkeypatch.setattr(dsc, "_prim", no_prim)
    plot = tmp_path / "nonexistent_dir" / "p.png"
    result = invoke("discover", run, "--outcome", "no_deal", "--plot", plot)
    refused(result, f"cannot write {plot}: the folder {plot.parent} does not exist",
            "expected")
    unchanged(run, before)
    assert not list(run.glob("discover-*"))
    assert not plot.parent.exists()


def test_a_plot_under_a_file_is_refused_before_any_work(
        run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(run)
    monkeypatch.setattr(dsc, "_prim", no_prim)
    (tmp_path / "notes").write_text("a file, not a folder")
    plot = tmp_path / "notes" / "p.png"
    refused(invoke("discover", run, "--outcome", "no_deal", "--plot", plot),
            f"cannot write {plot}: a file is in the way", "expected")
    unchanged(run, before)


def test_a_plot_that_is_a_folder_is_refused_even_with_force(
        run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(run)
    monkeypatch.setattr(dsc, "_prim", no_prim)
    (tmp_path / "plots").mkdir()
    refused(invoke("discover", run, "--outcome", "no_deal", "--plot", tmp_path / "plots",
                   "--force"),
            f"cannot write {tmp_path / 'plots'}: it is a folder", "expected the name of a file")
    unchanged(run, before)


def test_an_existing_plot_is_still_refused_without_force(
        run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dsc, "_prim", no_prim)
    plot = tmp_path / "p.png"
    plot.write_bytes(b"mine")
    refused(invoke("discover", run, "--outcome", "no_deal", "--plot", plot),
            f"{plot} exists", "--force")
    assert plot.read_bytes() == b"mine"


def test_the_python_api_refuses_a_plot_in_a_missing_folder(run: Path, tmp_path: Path) -> None:
    before = snapshot(run)
    with pytest.raises(UsageError, match="does not exist"):
        sim.discover(run, "no_deal", save=True, plot=tmp_path / "missing" / "p.png")
    unchanged(run, before)


# --- a later step fails: everything put back ---------------------------------------------------


@pytest.mark.parametrize("suffix", [".png.tmp", ".json.tmp", "manifest.json.tmp"],
                         ids=["plot", "json", "manifest"])
def test_a_step_that_fails_after_the_work_leaves_the_folder_as_it_was(
        run: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    """The default plot beside the JSON, so every step writes into the run folder."""
    before = snapshot(run)
    fail_writing(monkeypatch, suffix)
    result = invoke("discover", run, "--outcome", "no_deal")
    assert result.exit_code == 1, result.output  # a full disk is the environment, not the input
    assert result.output.startswith("negsim: cannot write "), result.output
    assert len(result.output.splitlines()) == 1, result.output
    monkeypatch.undo()
    unchanged(run, before)
    assert not list(run.glob("discover-*"))
    assert not list(run.glob("*.tmp"))


@pytest.mark.slow  # two discoveries and their plots
def test_a_forced_replacement_that_fails_puts_the_stored_discovery_back(
        run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = invoke("discover", run, "--outcome", "no_deal")
    assert first.exit_code == 0, first.output
    before = snapshot(run)
    assert {"discover-no_deal.json", "discover-no_deal.png"} <= set(before)
    fail_writing(monkeypatch, "manifest.json.tmp")
    result = invoke("discover", run, "--outcome", "no_deal", "--min-coverage", "0.5", "--force")
    assert result.exit_code == 1, result.output
    monkeypatch.undo()
    unchanged(run, before)  # the earlier JSON and plot, byte for byte, still listed


def test_a_plot_outside_the_folder_is_removed_when_the_json_fails(
        run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(run)
    plot = tmp_path / "elsewhere" / "p.png"
    plot.parent.mkdir()
    fail_writing(monkeypatch, "discover-no_deal.json.tmp")
    result = invoke("discover", run, "--outcome", "no_deal", "--plot", plot)
    assert result.exit_code == 1, result.output
    monkeypatch.undo()
    unchanged(run, before)
    assert not list(plot.parent.iterdir())  # no partial output anywhere


def test_save_puts_back_what_a_failing_draw_left(run: Path) -> None:
    """The operation alone: a writer that fails after writing its file leaves nothing."""
    before = snapshot(run)
    result = dsc.discover(run, "no_deal")

    def draw(_: dict[str, Any], image: Path) -> Path:
        image.write_bytes(b"half a plot")
        raise StorageError(f"cannot write {image}: No space left on device")

    with pytest.raises(StorageError):
        dsc.save(run, result, run / "discover-no_deal.png", False, draw)
    unchanged(run, before)


def test_a_discover_that_succeeds_still_stores_and_lists_both_files(run: Path) -> None:
    found = sim.discover(run, "no_deal", save=True)
    assert [p.name for p in found.stored] == ["discover-no_deal.json", "discover-no_deal.png"]
    sim.verify(run)
    assert {"discover-no_deal.json", "discover-no_deal.png"} <= set(read_manifest(run)["files"])
