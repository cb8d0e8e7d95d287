"""``negsim run``: outcome distributions at scale, in process (CliRunner) and as a subprocess.

Every run writes under ``tmp_path`` (``--out``) so nothing lands in results/.
"""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from matplotlib.image import imread

from sim.engine.outcomes import OUTCOMES, possible
from sim.scenario import load
from tests.conftest import FLAGSHIP, HAWKES, POISSON, ROOT, SCENARIOS, invoke, negsim, same_value

OUTCOME_NAMES = possible(load(FLAGSHIP))
POISSON_OUTCOMES = ("first_truce_held", "truce_collapsed")
METRIC_KEYS = {"mean", "sd", "q05", "q50", "q95", "n"}
SUMMARY_KEYS = {"scenario", "seed", "runs", "outcomes", "metrics", "events", "wall_s"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- helpers ---------------------------------------------------------------------------------


def run_json(*args: str | Path) -> dict[str, Any]:
    """``negsim run ... --json`` in process; the parsed summary."""
    result = invoke("run", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def half_width(row: dict[str, Any]) -> float:
    return (row["ci"][1] - row["ci"][0]) / 2


def assert_summary_schema(summary: dict[str, Any]) -> None:
    """The summary.json contract the README documents."""
    assert SUMMARY_KEYS <= set(summary)
    assert isinstance(summary["scenario"], str)
    assert isinstance(summary["seed"], int)
    assert isinstance(summary["runs"], int)
    assert isinstance(summary["events"], int)
    assert isinstance(summary["wall_s"], float)
    assert set(summary["outcomes"]) <= set(OUTCOMES)
    for name, row in summary["outcomes"].items():
        assert set(row) == {"p", "ci", "count"}, name
        lo, hi = row["ci"]
        assert 0.0 <= lo <= row["p"] <= hi <= 1.0, (name, row)
        assert isinstance(row["count"], int)
        assert row["p"] == pytest.approx(row["count"] / summary["runs"], abs=1e-12)
    assert sum(r["p"] for r in summary["outcomes"].values()) == pytest.approx(1.0, abs=1e-9)
    assert sum(r["count"] for r in summary["outcomes"].values()) == summary["runs"]
    assert summary["metrics"]
    for name, metric in summary["metrics"].items():
        assert METRIC_KEYS <= set(metric), name


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE, path
    image = imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 100, path


def assert_tables_equal(a: pa.Table, b: pa.Table) -> None:
    """Equal schemas and equal values, NaN equal to NaN."""
    assert a.schema == b.schema
    da, db = a.to_pydict(), b.to_pydict()
    for name in da:
        bad = [i for i, (x, y) in enumerate(zip(da[name], db[name], strict=True))
               if not same_value(x, y)]
        assert not bad, f"column {name} differs at rows {bad[:5]}"


# --- the table and --json --------------------------------------------------------------------


@pytest.mark.slow
def test_run_prints_a_table_of_the_outcomes_that_can_occur_and_exits_0(tmp_path: Path) -> None:
    result = invoke("run", POISSON, "-n", "300", "--out", tmp_path / "run", "--no-plots")
    assert result.exit_code == 0, result.output
    for name in POISSON_OUTCOMES:
        assert re.search(rf"\b{name}\b", result.stdout)
    for name in set(OUTCOMES) - set(POISSON_OUTCOMES):
        assert not re.search(rf"\b{name}\b", result.stdout), name
    assert str(tmp_path / "run") in result.stdout


@pytest.mark.slow
def test_run_json_prints_a_summary_matching_the_schema(tmp_path: Path) -> None:
    summary = run_json(HAWKES, "-n", "400", "--seed", "3", "--out", tmp_path / "run",
                       "--no-plots")
    assert_summary_schema(summary)
    assert summary["scenario"] == "truce_hawkes"
    assert summary["seed"] == 3
    assert summary["runs"] == 400
    assert summary["events"] > 0


@pytest.mark.slow
def test_run_as_a_subprocess_prints_json_and_writes_the_run_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = negsim("run", POISSON, "-n", "500", "--seed", "2", "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    printed = json.loads(proc.stdout)
    assert_summary_schema(printed)
    saved = json.loads((out / "summary.json").read_text())
    printed.pop("wall_s")
    saved.pop("wall_s")
    assert printed.pop("folder") == str(out)
    assert saved == printed
    command = json.loads((out / "manifest.json").read_text())["command"]
    assert "run" in command
    assert str(POISSON) in command


# --- the run folder --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def flagship_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A small flagship run with plots: its folder and its --json output."""
    out = tmp_path_factory.mktemp("flagship") / "run"
    result = invoke("run", FLAGSHIP, "-n", "120", "--seed", "11", "--workers", "1",
                    "--out", out, "--json")
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


@pytest.mark.slow
def test_run_folder_manifest_records_scenario_text_hash_seed_runs_and_versions(
        flagship_run: tuple[Path, dict[str, Any]]) -> None:
    out, _ = flagship_run
    manifest = json.loads((out / "manifest.json").read_text())
    text = FLAGSHIP.read_text()
    assert manifest["scenario_text"] == text
    assert manifest["scenario_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert manifest["seed"] == 11
    assert manifest["runs"] == 120
    assert {"numpy", "simpy", "pyarrow"} <= set(manifest["versions"])
    assert "command" in manifest


def test_run_folder_summary_equals_the_json_output(
        flagship_run: tuple[Path, dict[str, Any]]) -> None:
    out, printed = flagship_run
    saved = json.loads((out / "summary.json").read_text())
    assert_summary_schema(saved)
    assert printed["folder"] == str(out)
    assert {k: v for k, v in saved.items() if k != "wall_s"} == \
        {k: v for k, v in printed.items() if k not in ("wall_s", "folder")}


def test_run_folder_replications_have_one_row_per_replication(
        flagship_run: tuple[Path, dict[str, Any]]) -> None:
    out, printed = flagship_run
    table = pq.read_table(out / "replications.parquet")
    assert table.num_rows == 120
    assert {"replication", "outcome", "deal_day", "events"} <= set(table.column_names)
    assert table.column("replication").to_pylist() == list(range(120))
    assert set(table.column("outcome").to_pylist()) <= set(OUTCOME_NAMES)
    assert sum(table.column("events").to_pylist()) == printed["events"]


def test_run_folder_plots_are_valid_pngs_including_deal_days_with_negotiation(
        flagship_run: tuple[Path, dict[str, Any]]) -> None:
    out, _ = flagship_run
    for name in ("outcomes.png", "survival.png", "violations.png", "deal_days.png"):
        assert_png(out / name)


def test_run_folder_is_renamed_complete_without_partial_chunks_or_marker(
        flagship_run: tuple[Path, dict[str, Any]]) -> None:
    out, _ = flagship_run
    assert not out.with_name(out.name + ".partial").exists()
    assert not (out / "chunks").exists()
    assert not (out / "INCOMPLETE").exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["run"]


def test_run_truce_only_scenario_writes_no_deal_days_plot(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert invoke("run", POISSON, "-n", "200", "--out", out).exit_code == 0
    for name in ("outcomes.png", "survival.png", "violations.png"):
        assert_png(out / name)
    assert not (out / "deal_days.png").exists()


def test_run_refuses_an_existing_out_folder_with_exit_2_and_leaves_it_untouched(
        tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = invoke("run", POISSON, "-n", "50", "--out", out)
    assert result.exit_code == 2, result.output
    assert "exists already" in result.stderr
    assert str(out) in result.stderr
    assert "Traceback" not in result.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert (out / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


# --- reproducibility -------------------------------------------------------------------------


@pytest.mark.slow
def test_same_seed_gives_identical_replications_for_1_2_and_4_workers(tmp_path: Path) -> None:
    tables, counts = [], []
    for workers in (1, 2, 4):
        out = tmp_path / f"w{workers}"
        summary = run_json(FLAGSHIP, "-n", "600", "--seed", "5", "--workers", str(workers),
                           "--out", out, "--no-plots")
        tables.append(pq.read_table(out / "replications.parquet"))
        counts.append({k: v["count"] for k, v in summary["outcomes"].items()})
    assert tables[0].num_rows == 600
    for table in tables[1:]:
        assert_tables_equal(tables[0], table)
    assert counts[0] == counts[1] == counts[2]


@pytest.mark.slow
def test_precision_stop_is_the_same_for_any_worker_count(tmp_path: Path) -> None:
    """``--workers``: "Results do not depend on it" -- also when stopping early."""
    one = run_json(POISSON, "-n", "20000", "--precision", "0.04", "--workers", "1",
                   "--out", tmp_path / "w1", "--no-plots")
    five = run_json(POISSON, "-n", "20000", "--precision", "0.04", "--workers", "5",
                    "--out", tmp_path / "w5", "--no-plots")
    assert five["runs"] == one["runs"]
    assert five["outcomes"] == one["outcomes"]


# --- --precision -----------------------------------------------------------------------------


@pytest.mark.slow
def test_precision_stops_early_once_every_half_width_is_within_target(tmp_path: Path) -> None:
    summary = run_json(POISSON, "-n", "20000", "--precision", "0.03", "--out", tmp_path / "run",
                       "--no-plots")
    assert_summary_schema(summary)
    assert summary["runs"] < 20000
    for name, row in summary["outcomes"].items():
        assert half_width(row) <= 0.03, name
    precision = summary["precision"]
    assert precision["target"] == 0.03
    assert precision["achieved"] <= 0.03
    assert precision["achieved"] == pytest.approx(
        max(half_width(r) for r in summary["outcomes"].values()))
    assert pq.read_table(tmp_path / "run" / "replications.parquet").num_rows == summary["runs"]


@pytest.mark.slow
def test_precision_out_of_reach_stops_at_the_runs_cap(tmp_path: Path) -> None:
    summary = run_json(POISSON, "-n", "2000", "--precision", "0.001", "--out", tmp_path / "run",
                       "--no-plots")
    assert summary["runs"] == 2000
    assert summary["precision"]["target"] == 0.001
    assert summary["precision"]["achieved"] > 0.001


# --- --set -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_set_changes_the_outcome_distribution(tmp_path: Path) -> None:
    base = run_json(POISSON, "-n", "400", "--out", tmp_path / "base", "--no-plots")
    assert base["outcomes"]["truce_collapsed"]["count"] > 0
    changed = run_json(POISSON, "-n", "400", "--set", "truce.breakdown.violations=100",
                       "--out", tmp_path / "set", "--no-plots")
    assert changed["outcomes"]["first_truce_held"]["count"] == 400
    assert changed["outcomes"]["first_truce_held"]["p"] == 1.0


def test_set_with_an_unknown_path_exits_2_naming_the_path(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = invoke("run", POISSON, "-n", "50", "--set", "truce.breakdown.violatons=100",
                    "--out", out)
    assert result.exit_code == 2, result.output
    assert "truce.breakdown.violatons" in result.stderr
    assert "violations" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_set_with_an_invalid_value_exits_2_naming_the_path(tmp_path: Path) -> None:
    result = invoke("run", POISSON, "-n", "50", "--set", "truce.breakdown.violations=-3",
                    "--out", tmp_path / "run")
    assert result.exit_code == 2, result.output
    assert "truce.breakdown.violations" in result.stderr
    assert list(tmp_path.iterdir()) == []


# --- no scenario, bad input ------------------------------------------------------------------


@pytest.mark.slow
def test_run_without_a_scenario_lists_shipped_scenarios_with_titles() -> None:
    proc = negsim("run")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    flagship = [line for line in lines if line.startswith("kerry_moscow_2016 ")]
    assert len(flagship) == 1
    assert "Kerry's last offer to Moscow" in flagship[0]
    poisson = [line for line in lines if line.startswith("examples/truce_poisson ")]
    assert "A truce alone with Poisson violations" in poisson[0]
    shipped = len(list(SCENARIOS.glob("*.yaml"))) + len(list(SCENARIOS.glob("examples/*.yaml")))
    assert len(lines) == shipped


def test_run_without_a_scenario_in_process_lists_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = invoke("run")
    assert result.exit_code == 0, result.output
    assert "examples/truce_hawkes" in result.stdout
    assert "A truce alone with self-exciting (Hawkes) violations" in result.stdout


def test_run_missing_file_exits_2_without_traceback_or_folder(tmp_path: Path) -> None:
    out = tmp_path / "out" / "run"
    result = invoke("run", tmp_path / "nope.yaml", "--out", out)
    assert result.exit_code == 2, result.output
    assert "file not found" in result.stderr
    assert "nope.yaml" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_run_missing_file_as_a_subprocess_exits_2_without_traceback(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = negsim("run", tmp_path / "nope.yaml", "--out", out)
    assert proc.returncode == 2
    assert "file not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert list(tmp_path.iterdir()) == []


# --- interruption ----------------------------------------------------------------------------


def wait_for_chunk(chunks: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if chunks.is_dir() and any(chunks.glob("*.parquet")):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError(f"no chunk in {chunks} after {timeout} s")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_interrupted_run_leaves_a_partial_folder_of_whole_chunks(tmp_path: Path,
                                                                  workers: int) -> None:
    out = tmp_path / "run"
    partial = tmp_path / "run.partial"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", "scenarios/kerry_moscow_2016.yaml", "-n", "200000",
         "--workers", str(workers), "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_chunk(partial / "chunks", proc)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0
    assert not out.exists()
    assert (partial / "INCOMPLETE").is_file()
    files = sorted((partial / "chunks").glob("*.parquet"))
    assert files
    for f in files:
        table = pq.read_table(f)
        assert table.num_rows == 250, f
        start = int(f.stem)
        assert table.column("replication").to_pylist() == list(range(start, start + 250))


def test_rerun_onto_an_interrupted_folder_exits_2_and_keeps_it(tmp_path: Path) -> None:
    partial = tmp_path / "run.partial"
    (partial / "chunks").mkdir(parents=True)
    (partial / "INCOMPLETE").write_text("interrupted")
    result = invoke("run", POISSON, "-n", "50", "--out", tmp_path / "run")
    assert result.exit_code == 2, result.output
    assert "run.partial" in result.stderr
    assert (partial / "INCOMPLETE").read_text() == "interrupted"
    assert not (tmp_path / "run").exists()


def test_run_without_a_scenario_away_from_the_checkout_lists_the_shipped_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("run")
    assert result.exit_code == 0
    assert "kerry_moscow_2016" in result.output


def test_run_takes_a_shipped_scenario_by_name(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    summary = run_json("truce_poisson", "-n", "50", "--out", tmp_path / "run", "--no-plots")
    assert summary["scenario"] == "truce_poisson"
    assert summary["folder"] == str(tmp_path / "run")
