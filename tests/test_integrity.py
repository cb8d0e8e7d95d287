"""Results you can trust after faults and tampering (issue 24): nothing overwritten or linked
through, folders that verify themselves, clean shutdowns, disk-full messages.

Each test names the defect it guards against. Runs are tiny and write under ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

import sim
from sim import api
from sim.cli import main
from sim.errors import DamagedFile
from sim.scenario import load
from tests.conftest import FLAGSHIP, ROOT, SCENARIOS, TRADE, refused, same_table

POISSON = SCENARIOS / "examples" / "truce_poisson.yaml"
RATE = "actors.side_a.violation_rate"
WEIGHT = "negotiation.parties.russia.weights.intel_sharing"
PROGRESS = re.compile(r"^negsim: [\d,]+ of [\d,]+ replications \(|: about .+ on \d+ workers?$")


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def sweep_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "sweep"
    sim.sweep(POISSON, {RATE: [0.3, 0.4, 0.5]}, runs=40, seed=3, out=folder)
    return folder


@pytest.fixture(scope="module")
def run_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "run"
    sim.run(POISSON, runs=60, seed=3, out=folder)
    return folder


@pytest.fixture
def swept(tmp_path: Path, sweep_template: Path) -> Path:
    """A finished sweep's copy."""
    return Path(shutil.copytree(sweep_template, tmp_path / "sweep"))


@pytest.fixture
def unsealed(swept: Path) -> Path:
    """A sweep as an interruption leaves it: points stored, no file list in the manifest yet."""
    manifest = json.loads((swept / "manifest.json").read_text())
    manifest.pop("files", None)
    (swept / "manifest.json").write_text(json.dumps(manifest))
    (swept / "INCOMPLETE").write_text("interrupted\n")
    return swept


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A sweep folder created but not yet run (as one stopped before its first point)."""
    folder = tmp_path / "fresh"
    api.new_sweep(POISSON, ["horizon_days=9,10,11"], "grid", False, None, 20, 3, folder)
    return folder


def edit_point(folder: Path, k: int, change: dict) -> None:
    path = folder / "points" / f"{k:05d}.json"
    data = json.loads(path.read_text())
    data.update(change)
    path.write_text(json.dumps(data))


# --- 1. nothing overwritten without --force, no link followed ----------------------------------


def test_report_output_is_not_overwritten_without_force(tmp_path: Path, swept: Path) -> None:
    notes = tmp_path / "notes.html"
    notes.write_text("my notes")
    refused(invoke("report", swept, "-o", notes), "notes.html exists", "--force")
    assert notes.read_text() == "my notes"
    assert invoke("report", swept, "-o", notes, "--force").exit_code == 0
    assert notes.read_text().startswith("<!DOCTYPE html>")


def test_report_side_file_is_not_overwritten_without_force(tmp_path: Path, swept: Path) -> None:
    side = tmp_path / "notes-scenario.yaml"
    side.write_text("my scenario")
    refused(invoke("report", swept, "-o", tmp_path / "notes.html"), "notes-scenario.yaml exists")
    assert side.read_text() == "my scenario"
    assert not (tmp_path / "notes.html").exists()


def test_report_never_replaces_the_users_scenario_with_html(tmp_path: Path, swept: Path) -> None:
    mine = tmp_path / "my_scenario.yaml"
    mine.write_text("title: mine\n")
    refused(invoke("report", swept, "-o", mine), "my_scenario.yaml exists")
    assert mine.read_text() == "title: mine\n"


@pytest.mark.parametrize("plot", ["ranking.png", "sweep.png"])
def test_resume_refuses_a_planted_plot_link(tmp_path: Path, fresh: Path, plot: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (fresh / plot).symlink_to(victim)
    with pytest.raises(DamagedFile, match=f"{plot} is a symlink"):
        sim.sweep(resume=fresh)
    assert victim.read_text() == "precious"


def test_resume_refuses_a_points_folder_that_is_a_link(tmp_path: Path, fresh: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (fresh / "points").rmdir()
    (fresh / "points").symlink_to(elsewhere)
    refused(invoke("sweep", "--resume", fresh), "points is a symlink")
    assert not any(elsewhere.iterdir())


@pytest.mark.slow
def test_discover_refuses_a_planted_plot_link(tmp_path: Path, unsealed: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (unsealed / "discover-truce_collapsed.png").symlink_to(victim)
    with pytest.raises(DamagedFile, match="symlink"):
        sim.discover(unsealed, "truce_collapsed", save=True)
    assert victim.read_text() == "precious"


def test_discover_refuses_a_point_parquet_that_links_outside(tmp_path: Path,
                                                             unsealed: Path) -> None:
    outside = tmp_path / "outside.parquet"
    shutil.move(unsealed / "points" / "00001.parquet", outside)
    (unsealed / "points" / "00001.parquet").symlink_to(outside)
    refused(invoke("discover", unsealed, "--outcome", "truce_collapsed"), "00001.parquet",
            "symlink")


# --- 2. every folder verifies itself -----------------------------------------------------------


def test_a_fresh_folder_verifies(swept: Path, run_template: Path) -> None:
    result = invoke("verify", swept)
    assert result.exit_code == 0 and "OK" in result.output, result.output
    assert sim.verify(run_template)["files"] >= 3


def test_manifest_records_size_and_sha256_of_each_file(run_template: Path) -> None:
    import hashlib

    files = json.loads((run_template / "manifest.json").read_text())["files"]
    data = (run_template / "replications.parquet").read_bytes()
    assert files["replications.parquet"] == {"size": len(data),
                                             "sha256": hashlib.sha256(data).hexdigest()}
    assert "outcomes.png" in files and "summary.json" in files


def test_verify_names_a_tampered_file(tmp_path: Path, run_template: Path) -> None:
    run = Path(shutil.copytree(run_template, tmp_path / "run"))
    summary = json.loads((run / "summary.json").read_text())
    summary["seed"] = 4
    (run / "summary.json").write_text(json.dumps(summary, indent=2))
    refused(invoke("verify", run), "summary.json", "the manifest recorded")
    refused(invoke("report", run), "summary.json")


def test_verify_names_a_truncated_parquet(tmp_path: Path, run_template: Path) -> None:
    run = Path(shutil.copytree(run_template, tmp_path / "run"))
    data = (run / "replications.parquet").read_bytes()
    (run / "replications.parquet").write_bytes(data[: len(data) // 2])
    refused(invoke("verify", run), "replications.parquet", "truncated")


def test_compare_of_folders_refuses_a_tampered_run(tmp_path: Path, run_template: Path) -> None:
    a = Path(shutil.copytree(run_template, tmp_path / "a"))
    b = Path(shutil.copytree(run_template, tmp_path / "b"))
    (b / "replications.parquet").unlink()
    refused(invoke("compare", a, b, "--out", tmp_path / "c"), "replications.parquet",
            "missing")


def test_verify_of_an_interrupted_run_says_it_never_finished(tmp_path: Path) -> None:
    """Was "not a negsim run, compare or sweep folder" for what a run leaves on Ctrl-C."""
    folder = tmp_path / "r.partial"
    (folder / "chunks").mkdir(parents=True)
    (folder / "INCOMPLETE").write_text("This folder is incomplete (interrupted).\n")
    refused(invoke("verify", folder), "r.partial: an interrupted run or compare, never finished",
            "remove it and run again")


def test_a_planted_file_in_a_sealed_folder_is_refused(swept: Path) -> None:
    shutil.copy(swept / "points" / "00000.json", swept / "points" / "00007.json")
    refused(invoke("verify", swept), "00007.json", "not listed")


def test_resume_refuses_a_point_whose_p_was_edited(unsealed: Path) -> None:
    data = json.loads((unsealed / "points" / "00000.json").read_text())
    name, row = next((n, r) for n, r in data["outcomes"].items() if r["count"])
    data["outcomes"][name] = {**row, "p": 0.05}
    (unsealed / "points" / "00000.json").write_text(json.dumps(data))
    refused(invoke("sweep", "--resume", unsealed), "00000.json", "p is 0.05")


def test_resume_refuses_counts_that_do_not_add_up(unsealed: Path) -> None:
    data = json.loads((unsealed / "points" / "00000.json").read_text())
    name = next(iter(data["outcomes"]))
    data["outcomes"][name]["count"] = 99_999_999
    (unsealed / "points" / "00000.json").write_text(json.dumps(data))
    refused(invoke("sweep", "--resume", unsealed), "00000.json", "add up to 100,")


def test_resume_refuses_an_interval_that_is_not_the_counts(unsealed: Path) -> None:
    data = json.loads((unsealed / "points" / "00001.json").read_text())
    name = next(iter(data["outcomes"]))
    data["outcomes"][name]["ci"] = [0.9, 0.1]
    (unsealed / "points" / "00001.json").write_text(json.dumps(data))
    refused(invoke("verify", unsealed), "00001.json", "interval [0.9, 0.1]")


def test_resume_refuses_a_point_index_that_is_not_its_file_name(unsealed: Path) -> None:
    edit_point(unsealed, 0, {"point": 1})
    refused(invoke("sweep", "--resume", unsealed), "00000.json", "says point 1")


@pytest.mark.parametrize("index", ["1", True], ids=["text", "boolean"])
def test_a_point_index_of_another_type_is_shown_as_it_is(unsealed: Path, index: object) -> None:
    """Not "it says point 1, its name says 1": the JSON's "1" (or true) is shown as such."""
    edit_point(unsealed, 1, {"point": index})
    refused(invoke("sweep", "--resume", unsealed), "00001.json", f"says point {index!r}")


def test_resume_refuses_values_outside_the_design(unsealed: Path) -> None:
    edit_point(unsealed, 2, {"values": {RATE: 0.9}})
    refused(invoke("sweep", "--resume", unsealed), "00002.json", "not the design's point 2")


def test_resume_refuses_an_outcome_the_scenario_cannot_have(unsealed: Path) -> None:
    data = json.loads((unsealed / "points" / "00000.json").read_text())
    data["outcomes"]["deal_no_truce"] = {"p": 0.0, "ci": [0.0, 0.0877], "count": 0}
    (unsealed / "points" / "00000.json").write_text(json.dumps(data))
    refused(invoke("verify", unsealed), "00000.json", "deal_no_truce")


@pytest.mark.parametrize("damage", ["missing", "truncated", "swapped", "no outcome column"])
def test_resume_and_discover_refuse_a_damaged_point_parquet(unsealed: Path, damage: str
                                                            ) -> None:
    target = unsealed / "points" / "00001.parquet"
    if damage == "missing":
        target.unlink()
    elif damage == "truncated":
        target.write_bytes(target.read_bytes()[:100])
    elif damage == "swapped":
        shutil.copy(unsealed / "points" / "00002.parquet", target)
    else:
        import pyarrow.parquet as pq

        pq.write_table(pq.read_table(target).drop_columns(["outcome"]), target)
    refused(invoke("sweep", "--resume", unsealed), "00001.parquet")
    refused(invoke("discover", unsealed, "--outcome", "truce_collapsed"), "00001.parquet")


def test_a_stray_file_in_points_is_refused(unsealed: Path) -> None:
    (unsealed / "points" / "notes.txt").write_text("hello")
    refused(invoke("verify", unsealed), "notes.txt", "not a point file")


def test_a_json_nested_deeply_is_one_line(unsealed: Path) -> None:
    (unsealed / "points" / "00000.json").write_text("[" * 100_000 + "]" * 100_000)
    refused(invoke("sweep", "--resume", unsealed), "00000.json", "nested too deeply")


def test_resume_after_damage_is_refused_before_any_work(unsealed: Path) -> None:
    (unsealed / "points" / "00002.parquet").write_bytes(b"junk")
    before = {p.name: p.stat().st_mtime_ns for p in (unsealed / "points").iterdir()}
    refused(invoke("sweep", "--resume", unsealed), "00002.parquet")
    assert before == {p.name: p.stat().st_mtime_ns for p in (unsealed / "points").iterdir()}


def test_an_unsealed_sweep_resumes_and_verifies(unsealed: Path) -> None:
    for suffix in ("json", "parquet"):
        (unsealed / "points" / f"00001.{suffix}").unlink()
    assert invoke("sweep", "--resume", unsealed).exit_code == 0
    assert api.verify(unsealed)["complete"]


# --- 3. clean shutdown -------------------------------------------------------------------------


def test_the_api_caps_dask_workers_like_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.running import executor as ex

    seen: list[int] = []
    monkeypatch.setattr(ex, "_dask_map", lambda fn, tasks, address, workers, ordered:
                        seen.append(workers) or iter(()))
    monkeypatch.setattr(ex.budgets, "cores", lambda: 2)
    list(ex.Executor(8, "local").map(abs, list(range(10))))
    assert seen == [2]


def _start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for(proc: subprocess.Popen[str], ready: Path, pattern: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if ready.is_dir() and any(ready.glob(pattern)):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing appeared in {ready}")


def _stop(proc: subprocess.Popen[str], how: int) -> tuple[float, str, list[str]]:
    """Signal the command; how long it took to end, its stderr, and what of its session was
    still running 2 s later (all of it is killed then)."""
    t0 = time.monotonic()
    os.kill(proc.pid, how)
    left: list[str] = []
    try:
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - t0
        time.sleep(2)
        left = _session(proc.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return took, err, left


def _one_line(err: str, word: str) -> None:
    """One line of message (progress lines, printed every 30 s without a terminal, aside)."""
    lines = [x for x in err.splitlines() if x.strip() and not PROGRESS.search(x)]
    assert len(lines) == 1 and word in lines[0], err
    assert "Traceback" not in err


@pytest.mark.slow
def test_sigterm_stops_a_sweep_marked_interrupted_and_resumable(tmp_path: Path) -> None:
    proc = _start(tmp_path, "sweep", str(POISSON), "--set", "horizon_days=5:40:36", "-n", "300",
                  "--workers", "2", "--no-plots", "--out", "sw")
    _wait_for(proc, tmp_path / "sw" / "points", "*.json")
    took, err, left = _stop(proc, signal.SIGTERM)
    assert proc.returncode == 130 and took < 5 and not left, (proc.returncode, took, err)
    _one_line(err, "interrupted")
    assert "(interrupted)" in (tmp_path / "sw" / "INCOMPLETE").read_text()
    assert api.verify(tmp_path / "sw")["kind"] == "sweep"


@pytest.mark.slow
def test_sigterm_on_compare_keeps_its_finished_chunks_resumable(tmp_path: Path) -> None:
    proc = _start(tmp_path, "compare", str(POISSON), "--vs", "horizon_days=20", "-n", "500000",
                  "--workers", "2", "--no-plots", "--out", "cmp")
    _wait_for(proc, tmp_path / "cmp.partial" / "chunks" / "arm-0", "*.chunk.json")
    _, err, left = _stop(proc, signal.SIGTERM)
    assert proc.returncode == 130 and not left, err
    _one_line(err, "finished chunks are kept")
    assert "negsim compare --resume cmp.partial" in err
    assert "compare --resume" in (tmp_path / "cmp.partial" / "INCOMPLETE").read_text()
    assert api.verify(tmp_path / "cmp.partial")["resume"] == "negsim compare --resume " + str(
        tmp_path / "cmp.partial")


def _session(pid: int) -> list[str]:
    return subprocess.run(["pgrep", "-s", str(pid)], capture_output=True, text=True
                          ).stdout.split()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pgrep -s")
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_dask_run_stops_quietly_at_once(tmp_path: Path, how: int) -> None:
    proc = _start(tmp_path, "run", str(POISSON), "-n", "3000000", "--dask", "local", "-w", "2",
                  "--no-plots", "--out", "r")
    _wait_for(proc, tmp_path / "r.partial" / "chunks", "*.parquet")
    took, err, left = _stop(proc, how)
    assert proc.returncode == 130 and took < 3 and not left, (proc.returncode, took, err, left)
    _one_line(err, "finished chunks are kept")
    assert "(interrupted)" in (tmp_path / "r.partial" / "INCOMPLETE").read_text()


# --- 4. disk full --------------------------------------------------------------------------------


def _small_files(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.slow
def test_a_full_disk_names_the_file_and_marks_the_folder(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(POISSON), "-n", "4000", "--workers", "1",
         "--no-plots", "--out", "r"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, preexec_fn=lambda: _small_files(60_000), timeout=300)
    assert proc.returncode == 1, proc.stderr
    _one_line(proc.stderr, "replications.parquet")
    assert "File too large" in proc.stderr
    marker = (tmp_path / "r.partial" / "INCOMPLETE").read_text()
    assert "failed" in marker and "replications.parquet" in marker
    assert "chunks are kept" in proc.stderr
    assert any((tmp_path / "r.partial" / "chunks").glob("*.parquet"))


# --- 9. streams and signals ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["schema"], ["validate", str(POISSON)]])
def test_writing_to_a_full_device_is_one_line(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, text=True,
                          stdout=open("/dev/full", "w"), stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 1
    _one_line(done.stderr, "No space left on device")


@pytest.mark.slow
def test_a_closed_pipe_ends_quietly() -> None:
    done = subprocess.run(f"{sys.executable} -m sim schema | head -c 1 >/dev/null; "
                          "echo ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "0" and done.stderr == "", done.stderr


def test_ctrl_c_in_validate_exits_130_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing.util

    def interrupted(path: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim, "load", interrupted)
    monkeypatch.setattr(os, "_exit", sys.exit)  # the CLI ends at once; here, as SystemExit
    monkeypatch.setattr(multiprocessing.util, "_exit_function", lambda: None)
    result = invoke("validate", POISSON)
    assert result.exit_code == 130
    assert result.output.strip() == "negsim: interrupted"


# --- 5. big sweeps within budget -----------------------------------------------------------------


def test_validating_a_sweep_keeps_no_scenario_per_point(tmp_path: Path) -> None:
    import tracemalloc

    from sim.operations import sweeps as swp
    from sim.running import design as dsg

    text = POISSON.read_text()

    def peak(points: int) -> int:
        design = dsg.build([dsg.parse_spec(f"horizon_days=10:40:{points}")], "grid", False,
                           None, 1)
        job = swp.Sweep(tmp_path, text, str(POISSON), design, 1, 10)
        tracemalloc.start()
        try:
            job.check()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(200), peak(1200)  # a point's Scenario alone is several kB
    assert large < small + 500_000, (small, large)


def test_progress_without_a_terminal_is_a_line_every_few_seconds(
        capsys: pytest.CaptureFixture[str]) -> None:
    from sim.cli import _Lines

    now = [0.0]
    lines = _Lines(1000, every=10, clock=lambda: now[0])
    for _ in range(10):
        now[0] += 3
        lines(100)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2, err  # at 12 s and 24 s of a 30 s job
    assert err[0] == "negsim: 400 of 1,000 replications (40%), 12 s so far, about 18 s left"


# --- 7. tracebacks on odd but possible inputs ----------------------------------------------------


def test_report_of_a_run_summary_without_metrics_is_one_line(tmp_path: Path,
                                                             run_template: Path) -> None:
    run = Path(shutil.copytree(run_template, tmp_path / "run"))
    manifest = json.loads((run / "manifest.json").read_text())
    manifest.pop("files")
    (run / "manifest.json").write_text(json.dumps(manifest))
    summary = json.loads((run / "summary.json").read_text())
    del summary["metrics"]
    (run / "summary.json").write_text(json.dumps(summary))
    refused(invoke("report", run), "summary.json", "no metrics")


def test_resume_of_a_sweep_json_claiming_sobol_is_one_line(unsealed: Path) -> None:
    job = json.loads((unsealed / "sweep.json").read_text())
    job["method"] = "sobol"
    (unsealed / "sweep.json").write_text(json.dumps(job))
    refused(invoke("sweep", "--resume", unsealed), "sweep.json", "sobol.n")


def test_resume_of_a_design_point_without_the_swept_path_is_one_line(unsealed: Path) -> None:
    job = json.loads((unsealed / "sweep.json").read_text())
    job["points"][1] = {}
    (unsealed / "sweep.json").write_text(json.dumps(job))
    refused(invoke("sweep", "--resume", unsealed), "sweep.json", "point 1 does not set")


def test_discover_refuses_an_infinite_input(unsealed: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for k in range(3):
        path = unsealed / "points" / f"{k:05d}.parquet"
        table = pq.read_table(path)
        values = [float("inf")] * table.num_rows
        table = table.set_column(table.column_names.index(RATE), RATE, pa.array(values))
        pq.write_table(table, path)
        edit_point(unsealed, k, {"parquet": None})
    refused(invoke("discover", unsealed, "--outcome", "truce_collapsed"), RATE, "not a finite")


@pytest.mark.slow
def test_a_full_disk_in_a_sweep_keeps_its_points_and_says_how_to_resume(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(POISSON), "--set", "horizon_days=5,40",
         "-n", "3000", "--workers", "1", "--no-plots", "--out", "sw"], cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        preexec_fn=lambda: _small_files(40_000), timeout=300)
    assert proc.returncode == 1, proc.stderr
    _one_line(proc.stderr, "File too large")
    assert "points/0000" in proc.stderr and "--resume" in proc.stderr
    assert "failed" in (tmp_path / "sw" / "INCOMPLETE").read_text()


@pytest.mark.slow
def test_discover_plot_is_not_overwritten_without_force(tmp_path: Path, unsealed: Path) -> None:
    mine = tmp_path / "mine.png"
    mine.write_text("my picture")
    refused(invoke("discover", unsealed, "--outcome", "truce_collapsed", "--plot", mine),
            "mine.png exists", "--force")
    assert mine.read_text() == "my picture"
    forced = invoke("discover", unsealed, "--outcome", "truce_collapsed", "--plot", mine,
                    "--force")
    assert forced.exit_code == 0, forced.output
    assert mine.read_bytes().startswith(b"\x89PNG")


# --- 5b. a plan built once per scenario shape ----------------------------------------------------


def _flagship_points(spec: str, runs: int = 30) -> tuple[list, tuple[str, ...]]:
    from sim.operations import sweeps as swp
    from sim.running import design as dsg

    design = dsg.build([dsg.parse_spec(spec)], "grid", False, None, 1)
    job = swp.Sweep(Path("unused"), FLAGSHIP.read_text(), str(FLAGSHIP), design, 5, runs)
    return list(job.scenarios()), job.outcome_names()


def test_sweep_points_of_one_shape_share_their_offer_table_and_derived_tables() -> None:
    from sim.engine import Plan
    from sim.running.runner import point_plan

    points, _ = _flagship_points(f"{WEIGHT}=0.2,0.35,0.5")
    plans = [point_plan(scenario, 5) for _, scenario in points]
    assert plans[1].offers is plans[0].offers and plans[2].cache is plans[0].cache
    other = point_plan(load(TRADE), 5)  # another shape: its own table
    assert other.offers is not plans[0].offers
    assert other.offers.shape == Plan(load(TRADE), 5).offers.shape


@pytest.mark.slow
def test_points_sharing_a_shape_keep_the_records_of_a_plan_of_their_own() -> None:
    import pyarrow as pa

    from sim.engine import Plan
    from sim.operations.sweeps import run_point
    from sim.running.runner import chunks, simulate_chunk

    points, names = _flagship_points(f"{WEIGHT}=0.2,0.35,0.5,0.35")
    for _, scenario in points:  # the 4th point reuses the 2nd's tables from the shared cache
        shared, _ = run_point(scenario, 5, 30, names)
        own = pa.Table.from_batches([simulate_chunk(Plan(scenario, 5), c)
                                     for c in chunks(0, 30)])
        assert same_table(shared, own)


# --- 5c. the budget states the time it implies ---------------------------------------------------


def test_the_implied_time_reads_in_hours_and_minutes() -> None:
    from sim.running import estimate

    # 100,000 points x 500 runs at 0.24 ms a replication on one worker: 12,000 s
    s = estimate.seconds(100_000 * 500, 0.00024, 1)
    assert s == pytest.approx(12_000)
    assert estimate.note("100,000 points × 500 runs", s, 1) == (
        "100,000 points × 500 runs: about 3 h 20 min on 1 worker")
    assert [estimate.duration(x) for x in (45, 600, 7200, 200_000)] == [
        "45 s", "10 min", "2 h", "2 days 7 h"]
    assert estimate.note("a short job", estimate.QUIET_S - 0.1, 1) == ""


def test_the_pilot_stops_after_its_time_and_averages_what_it_played() -> None:
    from sim.engine import Plan
    from sim.running import estimate

    ticks = iter(range(100))
    per_run = estimate.per_replication(Plan(load(POISSON), 1), 1000,
                                       clock=lambda: next(ticks) * 0.1)
    assert per_run == pytest.approx(0.4 / 3)  # 3 replications: stopped at 0.3 s > 0.25 s


@pytest.mark.parametrize("args", [
    ["sweep", POISSON, "--set", "horizon_days=9,10", "-n", "20", "--no-plots"],
    ["run", POISSON, "-n", "20", "--no-plots"],
    ["compare", POISSON, "--vs", "horizon_days=9", "-n", "20", "--no-plots"]])
def test_sweep_run_and_compare_state_the_time_before_starting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list) -> None:
    from sim.running import estimate

    quiet = invoke(*args, "--out", tmp_path / "quiet")
    assert quiet.exit_code == 0 and " on 1 worker" not in quiet.output, quiet.output
    monkeypatch.setattr(estimate, "QUIET_S", 0.0)
    said = invoke(*args, "--out", tmp_path / "said", "-w", "1")
    assert said.exit_code == 0, said.output
    job = {"sweep": r"2 points × 20 runs", "run": r"20 replications",
           "compare": r"2 arms × 20 replications"}[args[0]]
    assert re.search(rf"^{job}: about \d+ s on 1 worker$", said.output, re.M), said.output


# --- 5d. large designs, bounded reads ------------------------------------------------------------


@pytest.mark.slow
def test_a_100000_point_design_is_validated_under_a_1_gb_address_space(tmp_path: Path) -> None:
    design = tmp_path / "design.csv"
    rows = "".join(f"{10 + i % 50},{0.1 + (i % 997) / 1000:.6f}\n" for i in range(99_999))
    design.write_text(f"horizon_days,{RATE}\n{rows}-1,0.2\n")  # 1.2 MB; the last row is bad
    assert design.stat().st_size > 1_000_000
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "sweep", str(POISSON), "--design", str(design), "-n", "2",
         "--out", "sw"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=300,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)))
    assert proc.returncode == 2, proc.stderr
    _one_line(proc.stderr, "design.csv:100001: horizon_days")
    assert "(design row 100001)" in proc.stderr
    assert time.monotonic() - start < 120
    assert not (tmp_path / "sw").exists()


def _fifo(tmp_path: Path) -> Path:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    return fifo


@pytest.mark.parametrize("source", [  # a FIFO waits on a child: `make test` only
    "/dev/zero", pytest.param("fifo", marks=pytest.mark.slow), "dir"])
@pytest.mark.parametrize("command", [
    ["validate", "FILE"],
    ["sweep", POISSON, "--design", "FILE", "-n", "2"],
    ["fit", "FILE", "--time-column", "t", "--actor-column", "a"]])
def test_devices_pipes_and_folders_given_as_files_are_refused_at_once(
        tmp_path: Path, source: str, command: list) -> None:
    path = {"/dev/zero": Path("/dev/zero"), "fifo": _fifo(tmp_path) if source == "fifo"
            else None, "dir": tmp_path}[source]
    args = [str(path) if a == "FILE" else str(a) for a in command]
    args += ["--out", str(tmp_path / "out")] if "sweep" in args else []
    if source == "fifo":  # a FIFO with no writer used to block: a real process, with a timeout
        proc = subprocess.run([sys.executable, "-m", "sim", *args], cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                              text=True, timeout=60)
        code, err = proc.returncode, proc.stderr
    else:  # the same refusal in this process (the subprocess path is the FIFO's)
        result = invoke(*args)
        code, err = result.exit_code, result.output
    assert code == 2, err
    kind = {"/dev/zero": "is a device", "fifo": "is a pipe (FIFO)",
            "dir": "is a directory"}[source]
    assert kind in err and "Traceback" not in err, err


def test_a_scenario_file_is_counted_as_it_is_read() -> None:
    from sim.store import Unreadable, read_input

    with pytest.raises(Unreadable, match=r"^is a device, expected a scenario file$"):
        read_input("/dev/zero", 1000, "scenario file")
    with pytest.raises(Unreadable, match=r"file is \d+ bytes; designs are limited to 100 bytes"):
        read_input(FLAGSHIP, 100, "design")


def _design(tmp_path: Path, text: str) -> Result:
    path = tmp_path / "d.csv"
    path.write_text(text)
    return invoke("sweep", POISSON, "--design", path, "-n", "2", "--no-plots", "--out",
                  tmp_path / "sw")


@pytest.mark.parametrize(("text", "words"), [
    ("horizon_days\n9\n\n10\n", ["d.csv:3: a blank line"]),
    ("horizon_days,\n9,\n", ["d.csv:1: column 2 of the header is empty (a trailing comma?)"]),
    (f'horizon_days,{RATE}\n9,"0.3\n10,0.4\n', ["d.csv:2: a quote is opened and never closed"]),
    ("horizon_days,runs\n9,100\n", ["column 'runs' cannot vary by point", "-n"]),
    ("horizon_days,seed\n9,100\n", ["column 'seed' cannot vary by point", "--seed"])])
def test_design_csv_mistakes_are_refused_with_their_reason(tmp_path: Path, text: str,
                                                           words: list[str]) -> None:
    refused(_design(tmp_path, text), *words)
    assert not (tmp_path / "sw").exists()


# --- 9. YAML 1.1 leftovers -----------------------------------------------------------------------


def test_a_leading_zero_is_decimal_as_in_yaml_1_2(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(re.sub(r"(?m)^horizon_days: .*$", "horizon_days: 010", POISSON.read_text()))
    assert load(path).horizon_days == 10


def test_a_sexagesimal_number_is_text_refused_where_a_number_is_expected(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(re.sub(r"(?m)^horizon_days: .*$", "horizon_days: 1:30", POISSON.read_text()))
    refused(invoke("validate", path), "s.yaml:", "horizon_days", "valid number")
    refused(invoke("run", POISSON, "--set", "horizon_days=1:30", "-n", "2"), "horizon_days")


# --- 10. small things a user meets ---------------------------------------------------------------


def test_a_set_that_breaks_the_offer_budget_is_blamed_on_the_set(tmp_path: Path) -> None:
    levels = "[" + ",".join(str(i / 2000) for i in range(2000)) + "]"
    result = invoke("run", TRADE, "--set", f"negotiation.terms.tariff_cut={levels}", "--set",
                    f"negotiation.terms.quota_expansion={levels}", "-n", "2", "--out",
                    tmp_path / "r")
    refused(result, "--set negotiation.terms.", "offers", "the limit is 1,000,000")
    assert "trade_talks.yaml:" not in result.output


def test_a_sweep_past_its_budget_does_not_suggest_precision(tmp_path: Path) -> None:
    result = invoke("sweep", POISSON, "--set", "horizon_days=5,6", "-n", "20000000", "--out",
                    tmp_path / "sw")
    refused(result, "at most 1,000,000 replications", "fewer replications per point")
    assert "precision" not in result.output


@pytest.mark.parametrize(("value", "words"), [
    ("2e308", ["2e308 is out of range"]),
    ("a\x1bb", ["not valid YAML", "U+001B", "a control character"])])
def test_odd_set_values_are_one_line_with_the_reason(tmp_path: Path, value: str,
                                                     words: list[str]) -> None:
    path = "horizon_days" if value[0].isdigit() else "title"
    result = invoke("run", POISSON, "--set", f"{path}={value}", "-n", "2", "--out", tmp_path)
    refused(result, *words)
    assert "in \"<unicode string>\"" not in result.output


@pytest.mark.parametrize("spec", ["horizon_days=,,,", "horizon_days=0:1:" + "9" * 5000])
def test_a_sweep_spec_without_points_or_with_absurd_steps_exits_2(tmp_path: Path,
                                                                   spec: str) -> None:
    result = invoke("sweep", POISSON, "--set", spec, "-n", "2", "--out", tmp_path / "sw")
    refused(result, "--set")
    assert not (tmp_path / "sw").exists()


@pytest.mark.parametrize("args", [
    ["fit", SCENARIOS / "examples" / "incidents_synthetic.csv", "--out", ""],
    ["fit", SCENARIOS / "examples" / "incidents_synthetic.csv", "--plot", ""],
    ["run", POISSON, "--out", ""], ["sweep", POISSON, "--set", "horizon_days=9,10", "--out", ""],
    ["report", ROOT, "-o", ""], ["tornado", ROOT / "tests" / "data" / "tornado_truce.yaml",
                                 "--out", ""],
    ["validate", ""], ["report", ""], ["sweep", "--resume", ""], ["fit", ""]],
    ids=["fit-out", "fit-plot", "run", "sweep", "report-o", "tornado", "validate", "report",
         "resume", "fit"])
def test_an_empty_out_name_says_the_name_is_empty(args: list) -> None:
    """One negsim: line naming the option, not click's three-line usage error (nor ". exists
    already", nor the current folder taken for the name)."""
    result = invoke(*args)
    refused(result, "the name is empty")
    assert result.output.startswith("negsim: ") and "exists" not in result.output


def _fit_out(out: Path) -> Result:
    return invoke("fit", SCENARIOS / "examples" / "incidents_synthetic.csv", "--spoiler",
                  "splinter", "--out", out)


def test_fit_out_under_a_file_names_the_users_file(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("a file, not a folder")
    refused(_fit_out(tmp_path / "notes" / "fitted.yaml"), "notes/fitted.yaml: ",
            "not a folder")
    assert ".tmp" not in _fit_out(tmp_path / "notes" / "fitted.yaml").output


def test_fit_out_into_a_read_only_folder_names_the_users_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root ignores permissions, so the folder's refusal is what os.open says to a user."""
    real = os.open

    def read_only(path: str | Path, flags: int, *args: int) -> int:
        if flags & os.O_CREAT and Path(path).parent == tmp_path:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", read_only)
    result = _fit_out(tmp_path / "fitted.yaml")
    assert result.exit_code == 1, result.output  # the environment (I/O), not the input
    assert result.output == f"negsim: cannot write {tmp_path / 'fitted.yaml'}: Permission " \
                            "denied\n"
    assert not list(tmp_path.iterdir())  # no temporary file left behind


def test_a_point_file_that_is_a_folder_is_one_line(unsealed: Path) -> None:
    (unsealed / "points" / "00001.json").unlink()
    (unsealed / "points" / "00001.json").mkdir()
    refused(invoke("sweep", "--resume", unsealed), "00001.json is not a regular file")


# --- 7. fit on odd inputs ------------------------------------------------------------------------


def _fit(tmp_path: Path, text: str, *extra: str) -> Result:
    path = tmp_path / "incidents.csv"
    path.write_text(text)
    return invoke("fit", path, "--time-column", "date", "--actor-column", "actor", *extra)


def test_fit_of_a_time_before_the_calendar_in_utc_is_one_line(tmp_path: Path) -> None:
    rows = "0001-01-01T00:00+05:00,a\n0001-01-02,b\n0001-01-03,a\n"
    refused(_fit(tmp_path, f"date,actor\n{rows}"), "incidents.csv:2",
            "outside the calendar")


def test_fit_of_an_unterminated_quote_names_its_row(tmp_path: Path) -> None:
    rows = "2020-01-01,a\n2020-01-02,\"b\n2020-01-03,a\n2020-01-04,b\n"
    refused(_fit(tmp_path, f"date,actor\n{rows}"), "incidents.csv:3",
            "a quote is opened and never closed")


def test_fit_of_four_rows_from_two_actors_is_one_line(tmp_path: Path) -> None:
    rows = "2020-01-01,a\n2020-01-02,b\n2020-01-03,a\n2020-01-04,b\n"
    refused(_fit(tmp_path, f"date,actor\n{rows}"), "incidents.csv", "too few to fit")


def test_fit_of_incidents_up_to_the_last_calendar_day_works(tmp_path: Path) -> None:
    rows = "".join(f"9999-12-{d:02d},{a}\n" for d in range(1, 32) for a in "ab" for _ in "xy")
    result = _fit(tmp_path, f"date,actor\n{rows}", "--json")
    assert result.exit_code == 0, result.output
    assert "window 9999-12-01 to 9999-12-31 + 1 day(s) (exclusive, 31 days)" in result.stdout


# --- 8. slow paths an input can trigger ----------------------------------------------------------


@pytest.mark.slow
def test_a_description_of_a_million_spaces_is_read_in_linear_time() -> None:
    code = ("from sim.output.report import _assumptions; "
            "_assumptions('description: a' + ' ' * 1_000_000 + 'b')")
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})  # quadratic: about an hour
    assert time.monotonic() - start < 30


def test_scenario_text_is_shortened_for_display() -> None:
    from sim.output.text import PLOT_TEXT, for_plot, for_terminal

    title = "T" * 900_000
    shown = for_plot(title)
    assert len(shown) < PLOT_TEXT + 40 and "(899,850 characters left out)" in shown
    assert len(for_terminal(title)) < 2_100
    assert for_terminal("short") == "short"


@pytest.mark.slow
def test_a_900_kb_title_leaves_run_and_report_quick(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(re.sub(r"(?m)^title: .*$", 'title: "' + "T" * 900_000 + '"',
                           POISSON.read_text()))
    start = time.monotonic()
    ran = subprocess.run([sys.executable, "-m", "sim", "run", str(path), "-n", "100", "--out",
                          "r"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=240)
    assert ran.returncode == 0, ran.stderr
    assert len(ran.stdout) < 20_000  # the title shown shortened, not 900 KB of table
    reported = subprocess.run([sys.executable, "-m", "sim", "report", "r"], cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                              text=True, timeout=240)
    assert reported.returncode == 0, reported.stderr
    assert time.monotonic() - start < 240  # over 300 s for the run alone before


# --- fit: every blank interval says why ----------------------------------------------------------


def _poisson_history(seed: int = 4) -> object:
    """Two parties and a spoiler with no excitation at all: jumps estimated at 0."""
    from sim.stats import hawkes

    rng = np.random.default_rng(seed)
    return hawkes.History.of([rng.uniform(0, 400, 200), rng.uniform(0, 400, 160)],
                             [rng.uniform(0, 400, 40)], 400.0)


def test_a_jump_at_zero_says_its_interval_needs_an_interior_estimate() -> None:
    from sim.stats import hawkes

    f = hawkes.fit(_poisson_history())
    zero = f.params.vector() == 0
    assert zero.any()  # Poisson data: some jump is at 0
    assert all(f.why[k] == hawkes.AT_ZERO for k in np.flatnonzero(zero))
    complete = np.isfinite(f.lower) & np.isfinite(f.upper)
    assert all((why == "") == bool(ok) for why, ok in zip(f.why, complete, strict=True))


@pytest.mark.parametrize(("hessian", "reason"), [(lambda n: np.zeros((n, n)), "SINGULAR"),
                                                 (np.eye, "NOT_PD")], ids=["singular", "not-pd"])
def test_a_failed_observed_information_is_named_for_each_blank(
        monkeypatch: pytest.MonkeyPatch, hessian: object, reason: str) -> None:
    from sim.stats import hawkes

    monkeypatch.setattr(hawkes, "log_hessian", lambda x, h: hessian(x.size))  # type: ignore
    f = hawkes.fit(_poisson_history())
    blank = ~(np.isfinite(f.lower) & np.isfinite(f.upper))
    assert blank.all()  # no interval at all
    assert {f.why[k] for k in range(blank.size)} <= {getattr(hawkes, reason), hawkes.AT_ZERO}
    assert f.why.count(getattr(hawkes, reason)) == int((f.params.vector() > 0).sum())
    assert f.branching_why in (getattr(hawkes, reason), hawkes.NO_EXCITATION)


def test_an_estimate_at_the_optimisers_bound_says_so() -> None:
    from sim.stats import hawkes

    x = np.array([0.0, hawkes.LOG_HI, np.log(2.0)])
    bounds = [(hawkes.LOG_LO, hawkes.LOG_HI)] * 2 + [(np.log(2.0), hawkes.LOG_HI)]
    why = hawkes._reasons(x, bounds, "", np.array([1.0, np.nan, np.nan]),
                          np.array([2.0, np.nan, np.nan]))
    assert why == ("", hawkes.AT_BOUND.format(bound=1e4), hawkes.AT_BOUND.format(bound=2.0))


def test_an_open_profile_interval_says_the_likelihood_sets_no_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.stats import hawkes

    h = _poisson_history()
    # The likelihood never falls far enough above the estimate (as for a jump that the data
    # cannot bound); below, it does.
    monkeypatch.setattr(hawkes, "_side", lambda drop, start, way: None if way > 0 else start - 1)
    f = hawkes.fit(h)
    k = int(np.flatnonzero(f.params.vector() == 0)[0])
    p = hawkes.profile(h, f, which=[k])
    assert np.isnan(p.upper[k]) and p.why[k] == hawkes.OPEN_ABOVE


def test_fit_json_and_table_give_one_reason_per_blank_interval(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.stats import hawkes

    monkeypatch.setattr(hawkes, "log_hessian", lambda x, h: np.zeros((x.size, x.size)))
    args = ["fit", SCENARIOS / "examples" / "incidents_synthetic.csv", "--spoiler", "splinter"]
    data = json.loads(invoke(*args, "--json").stdout)
    blanks = [p for p in data["parameters"] if None in p["ci"]]
    assert blanks and all(p["why"] for p in blanks)  # one reason each
    assert all(p["why"] is None for p in data["parameters"] if None not in p["ci"])
    assert data["branching_ratio"]["why"] == hawkes.SINGULAR
    shown = " ".join(invoke(*args).output.split())
    assert f"no interval for {', '.join(p['path'] for p in blanks)}: {hawkes.SINGULAR}" in shown
    assert f"no interval: {hawkes.SINGULAR}" in shown  # the branching ratio's


@pytest.mark.slow
def test_a_fit_past_the_warm_start_reads_every_row_and_says_why_an_interval_is_blank(
        tmp_path: Path) -> None:
    """200,000 incidents, four times the 50,000 party events past which the fit starts from
    the estimate on a window (docs/model.md); the million-row time is a benchmark's
    (``benchmarks/fit.py``: 33 s on this round's 2-core machine), not a timed test's."""
    rng = np.random.default_rng(1)
    rows = 200_000
    dates = (np.datetime64("2000-01-01") + np.sort(rng.integers(0, 7300, rows))
             .astype("timedelta64[D]")).astype(str)
    lines = np.char.add(np.char.add(dates, ","), rng.choice(["a", "b", "c"], dates.size))
    (tmp_path / "big.csv").write_text("event_date,actor1\n" + "\n".join(lines) + "\n")
    done = subprocess.run([sys.executable, "-m", "sim", "fit", "big.csv", "--spoiler", "c",
                           "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert sum(data["events"].values()) == rows
    assert all(p["why"] for p in data["parameters"] if None in p["ci"])
    assert data["branching_ratio"]["estimate"] < 0.05  # no excitation in uniform days


def _struck_in_compiled_code() -> SystemError:
    """What Python raises when Ctrl-C or SIGTERM strikes while a numba function returns (seen
    in CI: ``CPUDispatcher(<function first ...>) returned a result with an exception set``)."""
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as exc:
        try:
            raise SystemError("CPUDispatcher(<function first>) returned a result with an "
                              "exception set") from exc
        except SystemError as wrapped:
            return wrapped


def test_an_interrupt_struck_in_compiled_code_is_an_interrupt() -> None:
    from sim.errors import interrupts

    with pytest.raises(KeyboardInterrupt), interrupts():
        raise _struck_in_compiled_code()
    with pytest.raises(SystemError), interrupts():  # any other SystemError is left as it is
        raise SystemError("something else")


def test_a_run_interrupted_in_compiled_code_keeps_its_folder_resumable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Such an interrupt ended a sweep with a traceback and exit 1 instead of marking its
    folder interrupted (exit 130); a run's simulation and a sweep's points now take it as the
    interrupt it is."""
    from sim.errors import Interrupted
    from sim.operations import run as run_module

    def struck(*args: object, **kwargs: object) -> None:
        raise _struck_in_compiled_code()

    monkeypatch.setattr(run_module, "_simulate", struck)
    with pytest.raises(Interrupted, match="^interrupted; .* negsim run --resume"):
        sim.run(POISSON, runs=20, out=tmp_path / "r", plots=False)
    assert "(interrupted)" in (tmp_path / "r.partial" / "INCOMPLETE").read_text()
