"""One writer per results folder: a run, compare or sweep holds an advisory lock on its folder
while it writes it, so a second negsim process that would write the same folder (two
``--resume`` of one folder) is refused in one line and changes nothing; a lock file left
behind by a killed process locks nothing.

The lock is held here by this test process (``flock`` on the folder's lock file, as another
negsim would hold it) or by a real process that is then killed; the command refused is a
real ``python -m sim`` process, since within one process a folder locked already is shared.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import sim
from sim.errors import Interrupted
from sim.store import LOCK
from tests.conftest import POISSON, ROOT, invoke, negsim, stop_after

fcntl = pytest.importorskip("fcntl")

RUNS, SEED = 1200, 5  # POISSON runs in chunks of 250


def interrupted(kind: str, out: Path) -> Path:
    """An interrupted run, compare or sweep (its folder), made through the API."""
    with pytest.raises(Interrupted, match="--resume"):
        if kind == "run":
            sim.run(POISSON, runs=RUNS, seed=SEED, out=out, plots=False, progress=stop_after(2))
        elif kind == "compare":
            sim.compare(POISSON, {"horizon_days": 20}, runs=RUNS, seed=SEED, out=out,
                        plots=False, progress=stop_after(2))
        else:
            sim.sweep(POISSON, {"horizon_days": [10, 20, 30]}, runs=50, seed=SEED, out=out,
                      plots_too=False, progress=stop_after(1))
    return out if kind == "sweep" else out.with_name(out.name + ".partial")


def contents(folder: Path) -> dict[str, tuple[bytes, int] | None]:
    """Every file and folder below ``folder`` with its bytes and modification time."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            if p.is_file() else None for p in sorted(folder.rglob("*"))}


@pytest.fixture
def holding() -> Iterator[list[int]]:
    """Descriptors of lock files this test holds, closed (the locks let go) at the end."""
    fds: list[int] = []
    yield fds
    for fd in fds:
        os.close(fd)


def hold(folder: Path, fds: list[int]) -> None:
    """Lock ``folder`` from this process as another negsim would."""
    fd = os.open(folder / LOCK, os.O_RDONLY | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fds.append(fd)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_a_resume_of_a_folder_another_process_writes_is_refused_and_changes_nothing(
        kind: str, tmp_path: Path, holding: list[int]) -> None:
    folder = interrupted(kind, tmp_path / kind)
    assert not (folder / LOCK).exists()  # released when the interrupted command ended
    hold(folder, holding)
    before = contents(folder)
    result = negsim(kind, "--resume", folder, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"negsim: {folder}: another negsim process is writing it; wait for it to finish (or "
        "stop it), then try again"]
    assert contents(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]  # nothing renamed
    os.close(holding.pop())  # the other process ends: the folder is free again
    resumed = invoke(kind, "--resume", folder, "--json")
    assert resumed.exit_code == 0, resumed.output
    final = tmp_path / kind
    assert not (final / LOCK).exists()
    assert sim.verify(final)["complete"]


@pytest.mark.slow
def test_a_fresh_run_holds_its_folder_against_a_resume(tmp_path: Path) -> None:
    """The lock is taken when the folder is created, not only on a resume: a resume of the
    ``.partial`` folder a fresh run is still writing is refused."""
    partial = tmp_path / "r.partial"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "run", str(POISSON), "-n", "200000",
                             "-w", "1", "--no-plots", "--out", str(tmp_path / "r")], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while not list((partial / "chunks").glob("*.chunk.json")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        result = negsim("run", "--resume", partial, timeout=120)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"negsim: {partial}: another negsim process is writing it; wait for it to finish "
            "(or stop it), then try again"]
        assert proc.poll() is None  # the run goes on
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_a_lock_file_left_by_a_killed_process_does_not_block_a_resume(tmp_path: Path) -> None:
    partial = interrupted("run", tmp_path / "r")
    proc = _locker(partial)
    refused = negsim("run", "--resume", partial, timeout=120)
    assert refused.returncode == 2 and "another negsim process" in refused.stderr
    proc.kill()  # SIGKILL: no clean-up runs, the lock file stays
    proc.wait()
    assert (partial / LOCK).is_file()
    assert sim.verify(partial)["resume"]  # a stale lock file is no stray file
    result = negsim("run", "--resume", partial, timeout=120)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "r" / LOCK).exists()
    assert sim.verify(tmp_path / "r")["complete"]


def test_verify_accepts_a_lock_file_left_in_a_complete_folder(tmp_path: Path) -> None:
    done = sim.run(POISSON, runs=300, seed=SEED, out=tmp_path / "r", plots=False)
    assert done.folder is not None and not (done.folder / LOCK).exists()
    (done.folder / LOCK).touch()
    assert sim.verify(done.folder)["complete"]


def test_one_process_may_reopen_a_folder_it_holds(tmp_path: Path) -> None:
    """``compare --resume`` reads the interrupted compare, then reopens it to run it."""
    partial = interrupted("compare", tmp_path / "c")
    first = sim.api.resume_compare(partial)
    done = sim.compare(resume=partial, workers=1)
    assert done.folder == tmp_path / "c" and first.folder is not None
    first.folder.release()  # released already with the compare: nothing more happens
    assert not (done.folder / LOCK).exists()


_LOCKER = """
import sys, time
from pathlib import Path
from sim.store import Folder
folder = Folder.resume(Path(sys.argv[1]), "run")
print("locked", flush=True)
time.sleep(120)
"""


def _locker(folder: Path) -> subprocess.Popen[str]:
    """A real process holding the interrupted run ``folder`` (reopened as a resume would),
    once it says so."""
    proc = subprocess.Popen([sys.executable, "-c", _LOCKER, str(folder)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "locked":
        proc.kill()
        pytest.fail(f"the locking process failed: {proc.communicate()[1]}")
    return proc
