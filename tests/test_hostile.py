"""Hostile input, size and faults (issue 14): budgets, process hygiene, text, folders, errors.

Each test names the defect it guards against. Runs are tiny and write under ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.scenario import budgets
from tests.conftest import HAWKES, POISSON, ROOT, SCENARIOS, TRADE, invoke


def edited(tmp_path: Path, base: Path, edit: dict, name: str = "s.yaml") -> Path:
    """A copy of ``base`` with top-level blocks replaced or merged one level deep."""
    data = yaml.safe_load(base.read_text())
    for key, value in edit.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def assert_refused(result: Result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output


# --- 1. budgets before work ----------------------------------------------------------------------


def many_terms(tmp_path: Path, count: int) -> Path:
    data = yaml.safe_load(TRADE.read_text())
    data["negotiation"]["terms"].update({f"extra{i}": [0.0, 0.5, 1.0] for i in range(count)})
    path = tmp_path / "terms.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_validate_refuses_a_forty_term_offer_space_with_the_estimate(tmp_path: Path) -> None:
    path = many_terms(tmp_path, 40)
    t0 = time.perf_counter()
    result = invoke("validate", path)
    assert time.perf_counter() - t0 < 1.0
    assert_refused(result, "negotiation.terms", "offers", f"{budgets.MAX_OFFERS:,}")


def test_run_refuses_a_large_offer_space_before_building_it(tmp_path: Path) -> None:
    result = invoke("run", many_terms(tmp_path, 20), "-n", "2", "--out", tmp_path / "o")
    assert_refused(result, "offers")
    assert not (tmp_path / "o").exists()


def test_run_refuses_a_trillion_replications_in_under_a_second(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    result = invoke("run", POISSON, "-n", "1000000000000", "--out", tmp_path / "o")
    assert time.perf_counter() - t0 < 1.0
    assert_refused(result, "1,000,000,000,000", f"{budgets.MAX_RUNS:,}")


def test_runs_in_the_file_are_capped_too(tmp_path: Path) -> None:
    path = edited(tmp_path, POISSON, {"runs": 10**12})
    assert_refused(invoke("validate", path), "runs", "limit")


def test_compare_refuses_more_replications_than_memory_allows(tmp_path: Path) -> None:
    result = invoke("compare", POISSON, "--vs", "horizon_days=5", "-n", "100000000",
                    "--out", tmp_path / "c")
    assert_refused(result, "200,000,000")


@pytest.mark.parametrize("spec", ["horizon_days=1:30:1000000", "horizon_days=1:30:30"])
def test_sweep_grid_size_is_checked_before_making_it(tmp_path: Path, spec: str) -> None:
    extra = ["--set", "truce.breakdown.violations=1:5000:5000"] if spec.endswith(":30") else []
    t0 = time.perf_counter()
    result = invoke("sweep", POISSON, "--set", spec, *extra, "--out", tmp_path / "s")
    assert time.perf_counter() - t0 < 1.0
    assert_refused(result, "points", f"{budgets.MAX_POINTS:,}")


@pytest.mark.parametrize("sample", ["lhs:10000000", "sobol:1048576"])
def test_sweep_sample_size_is_capped(tmp_path: Path, sample: str) -> None:
    result = invoke("sweep", POISSON, "--set", "horizon_days=1..30", "--sample", sample,
                    "--out", tmp_path / "s")
    assert_refused(result, "points")


def test_sweep_refuses_huge_ranges(tmp_path: Path) -> None:
    result = invoke("sweep", POISSON, "--set", "horizon_days=1:1e400:3", "--out", tmp_path / "s")
    assert_refused(result, "out of range")


def test_sweep_refuses_too_many_replications_in_all(tmp_path: Path) -> None:
    result = invoke("sweep", POISSON, "--set", "horizon_days=1:30:1000", "-n", "100000",
                    "--out", tmp_path / "s")
    assert_refused(result, "replications")


def test_workers_are_capped_at_the_chunks_with_a_note(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(POISSON), "-n", "20", "--workers", "1000",
                                       "--no-plots", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "note: using 1 worker(s), not 1000" in result.output


def test_cap_workers_is_min_of_requested_tasks_and_cores() -> None:
    assert budgets.cap_workers(1, 50) == (1, "")
    count, note = budgets.cap_workers(1000, 2)
    assert count == min(2, budgets.cores()) and note is not None


def test_chunks_are_made_lazily() -> None:
    from sim.running.runner import chunks

    todo = chunks(0, 10**12)
    assert len(todo) == 4_000_000_000
    assert todo[-1].stop == 10**12 and todo[1].start == 250


def test_uncertain_hawkes_alpha_is_checked_at_its_upper_support(tmp_path: Path) -> None:
    path = edited(tmp_path, HAWKES, {"truce": {"alpha": {"side_a": {
        "side_a": {"normal": [0.6, 0.3]}}}}})
    assert_refused(invoke("validate", path), "truce.alpha", "branching ratio")


def test_a_high_breakdown_threshold_does_not_skip_the_branching_check(tmp_path: Path) -> None:
    path = edited(tmp_path, HAWKES, {"truce": {"alpha": {"side_a": {"side_a": 2.0}},
                                               "breakdown": {"violations": 10**9}}})
    assert_refused(invoke("validate", path), "branching ratio")


def test_base_rates_beyond_the_event_budget_are_refused(tmp_path: Path) -> None:
    path = edited(tmp_path, POISSON, {"actors": {"side_a": {"label": "A",
                                                            "violation_rate": 1e9}}})
    assert_refused(invoke("validate", path), "events per replication")


def test_event_guard_names_the_process_that_exploded(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.engine as engine
    from sim.errors import EngineError
    from sim.scenario import load

    monkeypatch.setattr(engine, "MAX_EVENTS", 30)
    plan = engine.Plan(load(SCENARIOS / "kerry_moscow_2016.yaml"), 0)
    with pytest.raises(EngineError, match="most were (truce violations|aid deliveries|spoiler)"):
        for i in range(20):
            engine.run_replication(plan, i)


# --- 2. process hygiene --------------------------------------------------------------------------


def _children() -> dict[int, int]:
    """pid -> parent pid of every live (non-zombie) process."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] not in ("Z", "X"):
            out[int(stat.parent.name)] = int(fields[1])
    return out


def descendants(pid: int) -> set[int]:
    parents = _children()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier} - found
        found |= frontier
    return found


def start_run(tmp_path: Path, scenario: Path = POISSON) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(scenario), "-n", "5000000", "--workers", "2",
         "--no-plots", "--out", str(tmp_path / "run")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)


def wait_for_workers(proc: subprocess.Popen[str], tmp_path: Path) -> set[int]:
    deadline = time.monotonic() + 60
    chunks = tmp_path / "run.partial" / "chunks"
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if chunks.is_dir() and any(chunks.glob("*.parquet")):
            return descendants(proc.pid)
        time.sleep(0.05)
    raise AssertionError("the run never wrote a chunk")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize(("args", "workers_started"), [
    # Two sweep points of a million replications: unguarded, each worker of the pool would
    # go on computing its point for a minute after the parent died (the fork server counts).
    (["sweep", str(POISSON), "--set", "horizon_days=9,10", "-n", "1000000"], 3),
    # --dask local starts a LocalCluster of worker processes; they must go with the parent.
    (["run", str(POISSON), "-n", "5000000", "--dask", "local"], 2),
], ids=["pool", "dask-local"])
@pytest.mark.slow
def test_killing_the_parent_leaves_no_worker_alive(tmp_path: Path, args: list[str],
                                                   workers_started: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *args, "--workers", "2", "--no-plots",
         "--out", str(tmp_path / "out")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    workers: set[int] = set()
    try:
        workers = wait_for_pool(proc, workers_started)
        time.sleep(1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        time.sleep(5)
        alive = workers & set(_children())
        assert not alive, f"orphaned workers: {alive}"
    finally:
        for pid in workers | descendants(proc.pid) | {proc.pid}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.communicate(timeout=30)


def wait_for_pool(proc: subprocess.Popen[str], count: int) -> set[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        found = descendants(proc.pid)
        if len(found) >= count + 1:  # and the resource tracker
            return found
        time.sleep(0.1)
    raise AssertionError("the pool never started")


@pytest.mark.slow
def test_ctrl_c_prints_one_line_and_keeps_the_chunks(tmp_path: Path) -> None:
    proc = start_run(tmp_path)
    try:
        wait_for_workers(proc, tmp_path)
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole group
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip() and " replications (" not in line
             and not re.search(r": about .+ on \d+ workers?$", line)]
    assert len(lines) == 1 and "interrupted" in lines[0], err  # progress and time lines aside
    assert "interrupted" in (tmp_path / "run.partial" / "INCOMPLETE").read_text()


# --- 3. text is text -----------------------------------------------------------------------------

HOSTILE_TITLE = ("Aid of $5m to $10m $\\foo$ [/] [link=https://example.com]x[/link] "
                 "\x1b]0;pwn\x07\x1b[2J")


@pytest.mark.slow
def test_hostile_title_runs_prints_and_plots_as_text(tmp_path: Path) -> None:
    path = edited(tmp_path, POISSON, {"title": HOSTILE_TITLE})
    result = invoke("run", path, "-n", "20", "--workers", "1", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "[/]" in result.output and "[link=https://example.com]" in result.output
    assert (tmp_path / "run" / "outcomes.png").is_file()
    assert not (tmp_path / "run.partial").exists()


def test_plot_titles_with_dollars_are_not_mathtext(tmp_path: Path) -> None:
    from matplotlib.text import Text

    from sim.output import plots

    seen: list[Text] = []
    original = Text.draw

    def spy(self: Text, renderer: object) -> None:
        seen.append(self)
        original(self, renderer)

    outcomes = {"no_deal": {"p": 0.5, "ci": [0.4, 0.6], "count": 5}}
    Text.draw = spy  # type: ignore[method-assign]
    try:
        plots.plot_outcomes(outcomes, tmp_path / "o.png", "Aid of $5m to $10m $\\foo$")
    finally:
        Text.draw = original  # type: ignore[method-assign]
    titles = [t for t in seen if "Aid of" in t.get_text()]
    assert titles and not any(t.get_parse_math() for t in titles)


def test_trace_strips_terminal_escapes(tmp_path: Path) -> None:
    path = edited(tmp_path, POISSON, {"title": HOSTILE_TITLE,
                                      "actors": {"side_a": {"label": "A\x1b[31mred",
                                                            "violation_rate": 0.5}}})
    result = invoke("trace", path, "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "Aid of $5m" in result.output


def test_lone_surrogates_are_refused_by_validate(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(POISSON.read_text().replace(
        "title: A truce alone with Poisson violations", 'title: "bad \\ud800 text"'))
    assert_refused(invoke("validate", path), "surrogate", ":6:")


def test_dates_near_year_9999_are_refused_by_validate(tmp_path: Path) -> None:
    import datetime as dt

    path = edited(tmp_path, POISSON, {"start": dt.date(9999, 12, 25)})
    assert_refused(invoke("validate", path), "start", "9999-12-31")


def test_text_helpers() -> None:
    from sim.output import text

    assert text.for_rich("[/] x") == "\\[/] x"
    assert text.for_plot("$5m") == "\\$5m"
    assert text.for_terminal("a\x1b[2Jb\u202ec\nd\ud800") == "a[2Jbc\nd\ufffd"


# --- 4. safe folders -----------------------------------------------------------------------------


def run_folder(tmp_path: Path, name: str = "run") -> Path:
    result = invoke("run", POISSON, "-n", "20", "--workers", "1", "--out", tmp_path / name)
    assert result.exit_code == 0, result.output
    return tmp_path / name


def unlisted(folder: Path) -> Path:
    """The folder's manifest without its file list (as from an earlier version, or a sweep
    interrupted before its end), so that the checks of each file's content are reached."""
    import json

    data = json.loads((folder / "manifest.json").read_text())
    data.pop("files", None)
    (folder / "manifest.json").write_text(json.dumps(data))
    return folder


def negsim(*args: str | Path, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "sim", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.slow
def test_parallel_runs_and_sweeps_all_succeed(tmp_path: Path) -> None:
    procs = [negsim("run", POISSON, "-n", "10", "--workers", "1", "--no-plots", cwd=tmp_path)
             for _ in range(4)]
    procs += [negsim("sweep", POISSON, "--set", "horizon_days=5,10", "-n", "5", "--workers",
                     "1", "--no-plots", cwd=tmp_path) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    runs = [p for p in (tmp_path / "results").iterdir() if not p.name.startswith("sweep-")]
    sweeps = [p for p in (tmp_path / "results").iterdir() if p.name.startswith("sweep-")]
    assert len(runs) == 4 and all((p / "summary.json").is_file() for p in runs)
    assert len(sweeps) == 2 and all((p / "summary.json").is_file() for p in sweeps)


def test_claim_takes_the_next_free_name(tmp_path: Path) -> None:
    from sim.store import claim

    assert claim(tmp_path / "a", unique=True) == tmp_path / "a"
    assert claim(tmp_path / "a", unique=True) == tmp_path / "a-2"
    assert claim(tmp_path / "a") is None


def test_report_refuses_a_symlinked_plot(tmp_path: Path) -> None:
    folder = run_folder(tmp_path)
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    (folder / "outcomes.png").unlink()
    (folder / "outcomes.png").symlink_to(secret)
    result = invoke("report", folder)
    assert_refused(result, "symlink")
    assert not (folder / "report.html").exists()


def test_report_never_writes_through_a_planted_tmp_symlink(tmp_path: Path) -> None:
    folder = run_folder(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (folder / "report.html.tmp").symlink_to(victim)
    assert invoke("report", folder).exit_code == 0
    assert victim.read_text() == "keep me"
    assert (folder / "report.html").is_file() and not (folder / "report.html").is_symlink()


@pytest.mark.parametrize(("content", "words"), [
    ("{}", ["summary.json", "runs"]),
    ('{"runs": 5, "seed": 1, "outcomes": {"no_deal": {"p": 9, "ci": [0, 1], "count": 1}}}',
     ["summary.json", "outcomes.no_deal.p"]),
    ("\x00\x01binary", ["summary.json", "not valid JSON"]),
])
def test_report_validates_stored_json(tmp_path: Path, content: str, words: list[str]) -> None:
    folder = unlisted(run_folder(tmp_path))
    (folder / "summary.json").write_text(content)
    assert_refused(invoke("report", folder), *words)


@pytest.mark.slow
def test_report_and_compare_refuse_partial_folders_unless_forced(tmp_path: Path) -> None:
    folder = run_folder(tmp_path)
    partial = folder.rename(tmp_path / "run.partial")
    assert_refused(invoke("report", partial), "incomplete", "--force")
    assert_refused(invoke("compare", partial, run_folder(tmp_path, "b")), "incomplete")
    assert invoke("report", partial, "--force").exit_code == 0


@pytest.mark.slow
def test_compare_checks_the_parquet_schema(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    a, b = run_folder(tmp_path, "a"), unlisted(run_folder(tmp_path, "b"))
    pq.write_table(pa.table({"x": list(range(20))}), b / "replications.parquet")
    assert_refused(invoke("compare", a, b, "--out", tmp_path / "c"), "replications.parquet",
                   "no 'replication' column")


def interrupted_sweep(tmp_path: Path) -> Path:
    result = invoke("sweep", POISSON, "--set", "horizon_days=5,10,15", "-n", "5", "--workers",
                    "1", "--no-plots", "--out", tmp_path / "sw")
    assert result.exit_code == 0, result.output
    folder = unlisted(tmp_path / "sw")
    (folder / "summary.json").unlink()
    (folder / "INCOMPLETE").write_text("interrupted\n")
    return folder


def test_sweep_resume_refuses_stray_files_and_bad_points(tmp_path: Path) -> None:
    folder = interrupted_sweep(tmp_path)
    (folder / "points" / "notes.json").write_text("{}")
    assert_refused(invoke("sweep", "--resume", folder), "notes.json", "not a point file")
    (folder / "points" / "notes.json").unlink()
    (folder / "points" / "99999.json").write_text("{}")
    assert_refused(invoke("sweep", "--resume", folder), "99999.json", "none numbered 99999")
    (folder / "points" / "99999.json").unlink()
    assert invoke("sweep", "--resume", folder).exit_code == 0
    unlisted(folder)
    point = folder / "points" / "00001.json"
    point.write_text(point.read_text()[:40])  # truncated
    result = invoke("sweep", "--resume", folder)
    assert_refused(result, "00001.json", "delete 00001.json and 00001.parquet")
    point.write_text('{"point": 1, "values": {}, "metrics": {}, '
                     '"outcomes": {"no_deal": {"p": 9, "ci": [0, 1], "count": 1}}}')
    assert_refused(invoke("sweep", "--resume", folder), "00001.json", "p")


def test_sweep_resume_never_writes_through_a_planted_tmp_symlink(tmp_path: Path) -> None:
    folder = interrupted_sweep(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (folder / "points" / "00002.json").unlink()
    (folder / "points" / "00002.json.tmp").symlink_to(victim)
    assert invoke("sweep", "--resume", folder, "--no-plots").exit_code == 0
    assert victim.read_text() == "keep me"


# --- 5. one-line errors --------------------------------------------------------------------------


def assert_failed(result: Result, code: int, *words: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(
        result.exception, SystemExit), repr(result.exception)
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1, result.output
    for word in words:
        assert word in result.output


def test_read_only_output_folder_is_one_line_exit_1(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    (tmp_path / "ro").mkdir()
    monkeypatch.setattr(os, "mkdir", read_only)  # as root, a 0o500 folder is still writable
    assert_failed(invoke("run", POISSON, "-n", "5", "--out", tmp_path / "ro" / "run"), 1,
                  "cannot create", "Read-only")


def test_full_disk_is_one_line_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import sim.store

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sim.store.folders.pq, "write_table", full)
    result = invoke("sweep", POISSON, "--set", "horizon_days=5,10", "-n", "5", "--workers", "1",
                    "--out", tmp_path / "sw")
    assert_failed(result, 1, "No space left on device")


def test_full_disk_while_plotting_is_one_line_exit_1(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from matplotlib.figure import Figure

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "outcomes.png")

    monkeypatch.setattr(Figure, "savefig", full)
    result = invoke("run", POISSON, "-n", "5", "--workers", "1", "--out", tmp_path / "run")
    assert_failed(result, 1, "No space left on device")


def test_long_out_name_is_refused_in_one_line(tmp_path: Path) -> None:
    assert_failed(invoke("run", POISSON, "-n", "5", "--out", tmp_path / ("x" * 300)), 2,
                  "too long")


def test_out_below_a_file_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = invoke("sweep", POISSON, "--set", "horizon_days=5,10", "-n", "5",
                    "--out", tmp_path / "file" / "sub")
    assert_failed(result, 2, "not a folder")


@pytest.mark.parametrize("args", [
    ["trace", str(POISSON), "--seed", "-1"],
    ["run", str(POISSON), "--precision", "nan"],
    ["sweep", str(POISSON), "--set", "horizon_days=5,10", "-n", "2", "--dask", "garbage://x"],
])
def test_bad_options_are_refused(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o")] if args[0] != "trace"
                                else args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_deeply_nested_set_value_is_refused() -> None:
    result = invoke("run", POISSON, "--set", "title=" + "[" * 20000)
    assert_refused(result, "nested more than")


@pytest.mark.parametrize("value", ["5e-1", "1e-3", "1.0e4"])
def test_yaml_1_2_numbers_are_numbers(tmp_path: Path, value: str) -> None:
    from sim.scenario.overrides import load_with
    from sim.scenario.yamlload import parse_value

    assert parse_value("1.0e7", "x") == 1e7 and parse_value("1e3", "x") == 1000.0

    text = POISSON.read_text().replace("violation_rate: 0.5", f"violation_rate: {value}")
    (tmp_path / "s.yaml").write_text(text)
    from_file, _ = load_with(str(tmp_path / "s.yaml"))
    from_set, _ = load_with(str(POISSON), [f"actors.side_a.violation_rate={value}"])
    assert from_file.actors["side_a"].violation_rate == float(value)
    assert from_set.actors["side_a"].violation_rate == float(value)


def test_infinite_durations_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(POISSON.read_text() + "  delay_days: .inf\n")
    assert_refused(invoke("validate", path), "finite")


def test_validate_dev_zero_is_bounded() -> None:
    t0 = time.perf_counter()
    assert_refused(invoke("validate", "/dev/zero"), "is a device")
    assert time.perf_counter() - t0 < 5


def design(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    return path


def sweep_design(tmp_path: Path, path: Path, *extra: str) -> Result:
    return invoke("sweep", POISSON, "--design", path, "-n", "3", "--workers", "1",
                  "--no-plots", "--out", tmp_path / "sw", *extra)


def test_design_with_a_bom_and_yaml_1_2_numbers_runs(tmp_path: Path) -> None:
    path = design(tmp_path, "\ufeffhorizon_days,actors.side_a.violation_rate\n10,5e-1\n"
                            "12,1e-1\n".encode())
    result = sweep_design(tmp_path, path)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("content", "extra", "words"), [
    (b"horizon_days\n10\n", ["--set", "horizon_days=5,6"], ["cannot be combined"]),
    (b"horizon_days\n10\n", ["--sample", "lhs:4"], ["cannot be combined"]),
    (b"horizon_days,horizon_days\n10,12\n", [], ["appears more than once"]),
    (b"horizon_days\n\x00\x01\x02\n", [], ["binary"]),
    (b"horizon_days\n" + b"10\n" * 400_000, [], ["at most 100,000"]),
    (b"horizon_days\n10\n-3\n", [], ["d.csv:3", "design row 3"]),
])
def test_bad_designs_are_refused(tmp_path: Path, content: bytes, extra: list[str],
                                 words: list[str]) -> None:
    assert_refused(sweep_design(tmp_path, design(tmp_path, content), *extra), *words)


# --- 6. whatever validate accepts runs, traces and reports ----------------------------------------

BASES = [SCENARIOS / "examples" / n for n in ("truce_poisson.yaml", "truce_hawkes.yaml",
                                              "trade_talks.yaml", "labour_strike.yaml")]
hostile_text = st.lists(st.sampled_from(list("ab $\\[]/=:{}<>&\"'\x1b\x07\x85\u202e\n")
                                       + ["[link=x]", "$\\foo$", "[/]", "é", "✓"]),
                       max_size=8).map("".join)


def _mutated(value: object, factor: float, words: str, day: dt.date) -> object:
    """A value of the same kind: text made hostile, a number scaled, a date moved."""
    if isinstance(value, bool):
        return not value if factor > 1 else value
    if isinstance(value, int):
        return max(1, round(value * factor)) if value else value
    if isinstance(value, float):
        return value * min(factor, 1.0)
    if isinstance(value, dt.date):
        return day
    return f"{value}{words}" if isinstance(value, str) else value


def _leaves(node: object, out: list[tuple[object, object]]) -> list[tuple[object, object]]:
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    for key, value in items:
        if isinstance(value, dict | list):
            _leaves(value, out)
        else:
            out.append((node, key))
    return out


@settings(max_examples=5, deadline=None, derandomize=True)
@given(base=st.sampled_from(BASES), picks=st.lists(
    st.tuples(st.integers(0, 10**6), st.floats(0, 1.5), hostile_text,
              st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))),
    min_size=1, max_size=4))
@pytest.mark.slow
def test_whatever_validate_accepts_runs_traces_and_reports(
        base: Path, picks: list[tuple[int, float, str, dt.date]]) -> None:
    from sim.errors import ScenarioError
    from sim.scenario import loads

    data = yaml.safe_load(base.read_text())
    for index, factor, words, day in picks:
        leaves = _leaves(data, [])
        container, key = leaves[index % len(leaves)]
        container[key] = _mutated(container[key], factor, words, day)  # type: ignore[index]
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        loads(text)
    except ScenarioError:
        event("refused by validate")
        return  # refused cleanly: nothing more to check
    event("accepted: run, trace and report")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text(text)
        out = Path(tmp) / "run"
        for args in (["run", path, "-n", "3", "--workers", "1", "--out", out],
                     ["trace", path, "--seed", "0"], ["report", out]):
            result = invoke(*args)
            assert result.exit_code == 0, (args[0], result.output, result.exception)


# --- 8. progress and trace memory for slow, eventful replications ------------------------------

BUSY = """
format: 2
name: busy
title: a busy truce
start: 2020-01-01
horizon_days: 2000
actors: {a: {label: A, violation_rate: 20}}
truce: {parties: [a], starts: 0}
"""


@pytest.mark.slow
def test_progress_ticks_every_chunk_of_bounded_work() -> None:
    # About 40,000 events per replication: chunks of 2, so progress moves every 2 replications
    # (it moved once per 250 before, minutes apart on a slow scenario).
    from sim import api
    from sim.running.runner import chunk_size
    from sim.scenario import loads

    scenario = loads(BUSY)
    assert chunk_size(scenario) == 2
    ticks: list[int] = []
    opts = api.RunOptions(runs=6, seed=1, workers=1, precision=None, out=None, make_plots=False)
    result = api.execute(scenario, BUSY, opts, ticks.append)
    assert ticks == [2, 2, 2] and result.summary["runs"] == 6


def test_trace_keeps_a_bounded_story_and_says_what_it_left_out() -> None:
    from sim.engine import Plan, play
    from sim.scenario import loads

    world = play(Plan(loads(BUSY)), 0, tracing=True, story_limit=1000)
    told = world.told()
    assert len(world.story) == 500 and len(world.story_tail) == 500
    assert len(told) == 1001 and told[500].kind == "omitted"
    assert f"{world.story_omitted} entries omitted" in told[500].text
    assert world.story_omitted + 1000 == world.record.violations["a"] + 1  # + the start line
    assert told[-1].day >= told[0].day


def test_a_run_refused_before_any_chunk_leaves_no_folder(tmp_path: Path) -> None:
    result = invoke("run", POISSON, "-n", "10", "--dask", "garbage://x", "--out", tmp_path / "r")
    assert result.exit_code == 2 and "cannot reach it" in result.output
    assert list(tmp_path.iterdir()) == []
