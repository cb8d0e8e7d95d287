"""The one precision rule shared by run and compare (sim.running.precision)."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.running.precision import BATCH, Stopping, widest
from tests.conftest import POISSON

VARIANT = {"actors.side_a.violation_rate": 0.4}


def test_without_a_target_every_replication_runs_in_one_batch() -> None:
    rule = Stopping(None, 2500)
    assert list(rule.batches()) == [range(0, 2500)]
    assert rule.first_batch() == 2500
    assert not rule.reached([[0.5, 0.5]])  # a zero-width interval: still no target to meet


def test_with_a_target_batches_are_whole_thousands_and_the_last_is_cut_at_the_cap() -> None:
    rule = Stopping(0.01, 2500)
    assert list(rule.batches()) == [range(0, 1000), range(1000, 2000), range(2000, 2500)]
    assert rule.first_batch() == BATCH == 1000
    assert list(Stopping(0.01, 300).batches()) == [range(0, 300)]


def test_a_batch_is_never_smaller_than_one_chunk() -> None:
    assert list(Stopping(0.01, 5000).batches(chunk=2000)) == [
        range(0, 2000), range(2000, 4000), range(4000, 5000)]


def test_widest_is_the_largest_half_width_and_skips_missing_intervals() -> None:
    assert widest([[0.1, 0.3], None, [0.2, 0.7]]) == pytest.approx(0.25)
    assert widest([]) == 0.0
    assert widest([None]) == 0.0


def test_reached_compares_the_widest_half_width_with_the_target() -> None:
    rule = Stopping(0.1, 1000)
    assert rule.reached([[0.0, 0.2], [0.5, 0.6]])  # half-width 0.1: met (at most)
    assert not rule.reached([[0.0, 0.2], [0.5, 0.71]])


def test_the_report_names_target_cap_achieved_and_batch() -> None:
    report = Stopping(0.05, 4000).report([[0.0, 0.08], [0.1, 0.12]])
    assert report == {"target": 0.05, "cap": 4000, "achieved": pytest.approx(0.04),
                      "batch": BATCH}


def _run_widest(runs: int) -> float:
    result = sim.run(POISSON, runs=runs, plots=False)
    return widest(row["ci"] for row in result.summary["outcomes"].values())


def _compare_widest(runs: int) -> float:
    data = sim.compare(POISSON, [VARIANT], runs=runs).data
    return widest(d["ci"] for d in data["comparisons"][0]["diff"]["outcomes"].values())


@pytest.mark.slow
def test_run_stops_at_the_first_batch_that_meets_the_target() -> None:
    result = sim.run(POISSON, runs=20_000, precision=0.03, plots=False)
    runs = result.summary["runs"]
    assert runs % BATCH == 0 and BATCH < runs < 20_000
    assert result.summary["precision"]["achieved"] == pytest.approx(_run_widest(runs))
    assert result.summary["precision"]["achieved"] <= 0.03
    assert _run_widest(runs - BATCH) > 0.03  # one batch fewer would not have met it


@pytest.mark.slow
def test_compare_stops_by_the_same_rule_on_the_paired_differences() -> None:
    data = sim.compare(POISSON, [VARIANT], runs=20_000, precision=0.02).data
    runs = data["runs"]
    assert runs % BATCH == 0 and BATCH < runs < 20_000
    report = data["precision"]
    assert set(report) == {"target", "cap", "achieved", "batch"}
    assert report["target"] == 0.02 and report["cap"] == 20_000
    assert report["achieved"] == pytest.approx(_compare_widest(runs))
    assert report["achieved"] <= 0.02
    assert _compare_widest(runs - BATCH) > 0.02


@pytest.mark.slow
def test_an_easy_target_stops_after_the_first_batch_with_the_same_report_shape() -> None:
    summary = sim.run(POISSON, runs=3000, precision=0.5, plots=False).summary
    assert summary["runs"] == BATCH
    assert set(summary["precision"]) == {"target", "cap", "achieved", "batch"}
    assert summary["precision"]["achieved"] <= 0.5


@pytest.mark.parametrize("target", [float("nan"), float("inf"), 0.0, -0.1])
def test_a_target_that_is_not_a_finite_half_width_is_refused_before_any_work(
        target: float, tmp_path: Path) -> None:
    with pytest.raises(sim.UsageError, match=r"precision .*: expected a finite half-width"):
        sim.run(POISSON, runs=100, precision=target, out=tmp_path / "r")
    with pytest.raises(sim.UsageError, match=r"precision .*: expected a finite half-width"):
        sim.compare(POISSON, [VARIANT], runs=100, precision=target, out=tmp_path / "c")
    assert list(tmp_path.iterdir()) == []  # no folder, not even a .partial one


@pytest.mark.parametrize("command", [["run", str(POISSON)],
                                     ["compare", str(POISSON), "--vs", "horizon_days=20"]])
def test_the_cli_names_the_flag_and_exits_2(command: list[str], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sim.cli import main

    result = CliRunner().invoke(main, [*command, "--precision", "nan", "-n", "100",
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "--precision nan: expected a finite half-width above 0" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()
