"""``run --resume`` and ``compare --resume`` (issue 24): an interrupted run or compare loses
nothing already finished, and resuming it gives the records and numbers of an uninterrupted
one with the same seed.

Interruptions are simulated through the API (a progress callback that raises
KeyboardInterrupt after k chunks, as Ctrl-C does between two chunks) and, once, by SIGINT to a
real process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import sim
from sim.errors import Interrupted
from tests.conftest import POISSON, ROOT, refused, stop_after

RUNS, SEED = 1200, 5  # POISSON runs in chunks of 250: five chunks, the last of 200
VARIANT = {"horizon_days": 20}


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(sim.cli.main, [str(a) for a in args])


def interrupted_run(out: Path, chunks: int = 2, **kwargs: Any) -> Path:
    with pytest.raises(Interrupted, match="--resume"):
        sim.run(POISSON, runs=kwargs.pop("runs", RUNS), seed=SEED, out=out, plots=False,
                progress=stop_after(chunks), **kwargs)
    return out.with_name(out.name + ".partial")


def summary(folder: Path) -> dict[str, Any]:
    data = json.loads((folder / "summary.json").read_text())
    data.pop("wall_s", None)
    return dict(data)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("full") / "run"
    sim.run(POISSON, runs=RUNS, seed=SEED, out=folder, plots=False)
    return folder


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return interrupted_run(tmp_path_factory.mktemp("partial") / "r")


@pytest.fixture
def partial(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / template.name))


def test_an_interrupted_run_keeps_its_request_and_each_chunk_with_its_record(
        partial: Path) -> None:
    names = sorted(p.name for p in (partial / "chunks").iterdir())
    assert names == ["000000.chunk.json", "000000.parquet", "000250.chunk.json",
                     "000250.parquet", "request.json"]
    record = json.loads((partial / "chunks" / "000250.chunk.json").read_text())
    assert (record["start"], record["stop"], record["rows"]) == (250, 500, 250)
    assert record["parquet"]["size"] == (partial / "chunks" / "000250.parquet").stat().st_size
    request = json.loads((partial / "chunks" / "request.json").read_text())
    assert (request["kind"], request["runs"], request["seed"], request["chunk"]) == (
        "run", RUNS, SEED, 250)
    assert "finish it with: negsim run --resume " in (partial / "INCOMPLETE").read_text()


def test_a_resumed_run_equals_an_uninterrupted_one(partial: Path, uninterrupted: Path) -> None:
    result = invoke("run", "--resume", partial.with_name("r"), "-w", "1")
    assert result.exit_code == 0, result.output
    assert "500 of 1,200 replications already done" in result.output
    final = partial.with_name("r")
    assert not partial.exists() and not (final / "INCOMPLETE").exists()
    assert ((final / "replications.parquet").read_bytes()
            == (uninterrupted / "replications.parquet").read_bytes())
    assert summary(final) == summary(uninterrupted)
    assert json.loads((final / "traces.json").read_text()) == json.loads(
        (uninterrupted / "traces.json").read_text())
    assert sim.verify(final)["complete"]


@pytest.mark.slow
def test_a_resumed_precision_run_stops_where_the_uninterrupted_one_stops(
        tmp_path: Path) -> None:
    """The rule is checked after each batch of 1,000 on the chunks of that batch and before:
    interrupted inside the second batch, the resume stops at the same replication."""
    whole = sim.run(POISSON, runs=20_000, seed=SEED, precision=0.02, out=tmp_path / "whole",
                    plots=False)
    stopped = int(whole.summary["runs"])
    assert 2000 <= stopped < 20_000  # the target is reached after a few batches
    partial = interrupted_run(tmp_path / "r", chunks=6, runs=20_000, precision=0.02)
    resumed = sim.run(resume=partial)
    assert resumed.summary["runs"] == stopped
    assert resumed.summary["precision"] == whole.summary["precision"]
    assert ((tmp_path / "r" / "replications.parquet").read_bytes()
            == (tmp_path / "whole" / "replications.parquet").read_bytes())


def _flip(path: Path) -> None:
    """One byte changed, the size kept."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, words", [
    (lambda c: (c / "000250.parquet").write_bytes(
        (c / "000250.parquet").read_bytes()[:-10]), ("000250.parquet", "truncated")),
    (lambda c: _flip(c / "000000.parquet"), ("000000.parquet", "differs from what")),
    (lambda c: (c / "000250.parquet").unlink(), ("000250.parquet", "missing")),
    (lambda c: shutil.copy(c / "000000.parquet", c / "000100.parquet"),
     ("000100.parquet", "no chunk starts at replication 100")),
    (lambda c: (c / "notes.txt").write_text("x"), ("notes.txt", "not a chunk")),
    (lambda c: (c / "000250.chunk.json").write_text(
        (c / "000250.chunk.json").read_text().replace('"rows": 250', '"rows": 249')),
     ("000250.chunk.json", "rows is 249, expected 250")),
], ids=["truncated", "flipped", "missing", "stray", "planted", "record"])
def test_a_damaged_or_stray_chunk_is_refused_in_one_line(
        partial: Path, damage: Callable[[Path], Any], words: tuple[str, ...]) -> None:
    damage(partial / "chunks")
    refused(invoke("run", "--resume", partial), *words)
    refused(invoke("verify", partial), *words)
    assert partial.is_dir() and not partial.with_name("r").exists()


@pytest.mark.parametrize("args, words", [
    (["-n", "1000"], ("-n 1000", "asked for 1200")),
    (["--seed", "6"], ("--seed 6", "asked for 5")),
    (["--precision", "0.01"], ("--precision 0.01", "asked for None")),
    (["--set", "horizon_days=20"], ("--set horizon_days=20", "(none)")),
    ([str(POISSON), "--set", "horizon_days=20"], ("not the one the interrupted run ran",)),
    (["--out", "elsewhere"], ("--out elsewhere",)),
], ids=["runs", "seed", "precision", "set", "scenario", "out"])
def test_options_that_conflict_with_the_stored_run_are_refused(
        partial: Path, args: list[str], words: tuple[str, ...]) -> None:
    refused(invoke("run", "--resume", partial, *args), *words)
    assert partial.is_dir()


def test_the_same_options_workers_and_the_scenario_itself_may_be_given(
        partial: Path, uninterrupted: Path) -> None:
    result = invoke("run", POISSON, "--resume", partial, "-n", str(RUNS), "--seed", str(SEED),
                    "-w", "2", "--no-plots")
    assert result.exit_code == 0, result.output
    assert summary(partial.with_name("r")) == summary(uninterrupted)


def test_verify_says_how_to_continue_an_interrupted_run(partial: Path) -> None:
    result = invoke("verify", partial.with_name("r"))
    assert result.exit_code == 0, result.output
    assert "2 finished chunk(s) match their records" in result.output
    assert f"negsim run --resume {partial}" in result.output
    assert sim.verify(partial)["resume"] == f"negsim run --resume {partial}"


def test_nothing_to_resume_is_refused(tmp_path: Path, uninterrupted: Path) -> None:
    refused(invoke("run", "--resume", uninterrupted), "no interrupted run", "complete")
    refused(invoke("run", "--resume", tmp_path / "none"), "no interrupted run")


def test_a_resume_whose_final_name_is_taken_is_refused(partial: Path) -> None:
    partial.with_name("r").mkdir()
    refused(invoke("run", "--resume", partial), "exists already")


# --- compare -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cmp") / "c"
    sim.compare(POISSON, VARIANT, runs=RUNS, seed=SEED, out=folder, plots=False)
    return folder


def interrupted_compare(out: Path, chunks: int) -> Path:
    with pytest.raises(Interrupted, match="compare --resume"):
        sim.compare(POISSON, VARIANT, runs=RUNS, seed=SEED, out=out, plots=False,
                    progress=stop_after(chunks))
    return out.with_name(out.name + ".partial")


def test_a_resumed_compare_equals_an_uninterrupted_one(tmp_path: Path, compared: Path) -> None:
    partial = interrupted_compare(tmp_path / "c", chunks=7)  # arm 0 whole, arm 1 begun
    assert len(list((partial / "chunks" / "arm-0").glob("*.parquet"))) == 5
    assert len(list((partial / "chunks" / "arm-1").glob("*.parquet"))) == 2
    assert "negsim compare --resume" in (partial / "INCOMPLETE").read_text()
    refused(invoke("compare", "--resume", partial, "-n", "500"), "-n 500", "asked for 1200")
    refused(invoke("run", "--resume", partial), "is an interrupted compare",
            "negsim compare --resume")
    result = invoke("compare", "--resume", tmp_path / "c", "-w", "1", "--json")
    assert result.exit_code == 0, result.output
    final = tmp_path / "c"
    assert ((final / "pairs.parquet").read_bytes()
            == (compared / "pairs.parquet").read_bytes())
    mine, theirs = (json.loads((f / "compare.json").read_text()) for f in (final, compared))
    mine.pop("wall_s"), theirs.pop("wall_s")
    assert mine == theirs
    assert sim.verify(final)["complete"]


def test_a_compare_interrupted_before_any_chunk_leaves_its_out_free(tmp_path: Path) -> None:
    with pytest.raises(Interrupted, match="nothing was kept"):
        sim.compare(POISSON, VARIANT, runs=RUNS, seed=SEED, out=tmp_path / "c", plots=False,
                    progress=stop_after(0))
    assert list(tmp_path.iterdir()) == []


def test_a_tampered_compare_chunk_is_refused(tmp_path: Path) -> None:
    partial = interrupted_compare(tmp_path / "c", chunks=2)
    chunk = partial / "chunks" / "arm-0" / "000250.parquet"
    chunk.write_bytes(chunk.read_bytes()[:100])
    refused(invoke("compare", "--resume", partial), "arm-0/000250.parquet", "truncated")
    shutil.copytree(partial / "chunks" / "arm-0", partial / "chunks" / "arm-2")
    refused(invoke("verify", partial), "arm-2", "has 2 arms")


def test_the_api_resumes_a_compare_with_the_same_scenarios(tmp_path: Path,
                                                           compared: Path) -> None:
    partial = interrupted_compare(tmp_path / "c", chunks=3)
    with pytest.raises(sim.errors.UsageError, match="not the ones"):
        sim.compare(POISSON, {"horizon_days": 30}, resume=partial)
    done = sim.compare(POISSON, VARIANT, resume=partial, workers=1)
    assert done.data["comparisons"] == json.loads(
        (compared / "compare.json").read_text())["comparisons"]


# --- a real process, stopped by SIGINT ------------------------------------------------------------


@pytest.mark.slow
def test_a_run_stopped_by_sigint_resumes_to_the_uninterrupted_records(tmp_path: Path) -> None:
    runs = "30000"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(POISSON), "-n", runs, "--seed", "7", "-w", "1",
         "--no-plots", "--out", "r"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    chunks = tmp_path / "r.partial" / "chunks"
    deadline = time.monotonic() + 90
    while len(list(chunks.glob("*.chunk.json"))) < 3:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "negsim run --resume r.partial" in err
    kept = len(list(chunks.glob("*.chunk.json")))
    assert 3 <= kept < 120
    result = invoke("run", "--resume", tmp_path / "r.partial")
    assert result.exit_code == 0, result.output
    assert f"{kept * 250:,} of 30,000 replications already done" in result.output
    whole = sim.run(POISSON, runs=int(runs), seed=7, out=tmp_path / "whole", plots=False)
    assert ((tmp_path / "r" / "replications.parquet").read_bytes()
            == (whole.folder / "replications.parquet").read_bytes())
    assert summary(tmp_path / "r") == summary(tmp_path / "whole")
    assert pq.read_metadata(tmp_path / "r" / "replications.parquet").num_rows == 30_000
