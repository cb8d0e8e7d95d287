"""``sim.run`` / ``sim.api.run``: running a scenario many times from Python (notebooks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from matplotlib.image import imread

import sim
from sim import api
from sim.engine.outcomes import possible
from sim.errors import ScenarioError, UsageError
from sim.scenario import load
from tests.conftest import FLAGSHIP, POISSON, same_table

OUTCOME_NAMES = possible(load(FLAGSHIP))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def without_wall(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k != "wall_s"}


@pytest.fixture(scope="module")
def flagship_300() -> api.RunResult:
    return api.run(FLAGSHIP, runs=300, seed=5)


@pytest.mark.slow
def test_run_returns_summary_and_records_of_every_replication(
        flagship_300: api.RunResult) -> None:
    result = flagship_300
    assert isinstance(result, api.RunResult)
    assert isinstance(result.records, pa.Table)
    assert result.records.num_rows == 300
    assert result.records.column("replication").to_pylist() == list(range(300))
    summary = result.summary
    assert summary["runs"] == 300
    assert summary["seed"] == 5
    assert summary["scenario"] == "kerry_moscow_2016"
    assert set(summary["outcomes"]) == set(OUTCOME_NAMES)
    assert sum(r["count"] for r in summary["outcomes"].values()) == 300
    assert sum(r["p"] for r in summary["outcomes"].values()) == pytest.approx(1.0, abs=1e-9)
    assert result.folder is None


def test_run_without_out_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    api.run(POISSON, runs=100)
    assert list(tmp_path.iterdir()) == []


def test_plot_outcomes_writes_a_png(flagship_300: api.RunResult, tmp_path: Path) -> None:
    path = flagship_300.plot_outcomes(tmp_path / "o.png")
    assert Path(path) == tmp_path / "o.png"
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert imread(path).shape[0] > 100


def test_every_plot_method_writes_a_png(flagship_300: api.RunResult, tmp_path: Path) -> None:
    for name in ("survival", "deal_days", "violations"):
        path = getattr(flagship_300, f"plot_{name}")(tmp_path / f"{name}.png")
        assert Path(path).read_bytes()[:8] == PNG_SIGNATURE, name


@pytest.mark.slow
def test_same_seed_twice_gives_equal_summaries_and_records(flagship_300: api.RunResult) -> None:
    again = api.run(FLAGSHIP, runs=300, seed=5)
    assert without_wall(again.summary) == without_wall(flagship_300.summary)
    assert same_table(again.records, flagship_300.records)


@pytest.mark.slow
def test_different_seed_gives_different_records(flagship_300: api.RunResult) -> None:
    other = api.run(FLAGSHIP, runs=300, seed=6)
    assert other.summary["seed"] == 6
    assert not same_table(other.records, flagship_300.records)


def test_sim_run_is_available_at_package_level() -> None:
    """``import sim; sim.run(...)``, as api.py's docstring promises (an explicit ``__all__``)."""
    result = sim.run(POISSON, runs=50)
    assert result.records.num_rows == 50


@pytest.mark.slow
def test_records_round_trip_through_the_parquet_file(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = api.run(FLAGSHIP, runs=260, seed=9, out=out)
    assert result.folder == out
    on_disk = pq.read_table(out / "replications.parquet")
    assert same_table(result.records, on_disk)


@pytest.mark.slow
def test_records_in_memory_equal_those_saved_to_a_folder(tmp_path: Path) -> None:
    saved = api.run(FLAGSHIP, runs=260, seed=9, out=tmp_path / "run")
    in_memory = api.run(FLAGSHIP, runs=260, seed=9)
    assert same_table(in_memory.records, pq.read_table(tmp_path / "run" / "replications.parquet"))
    assert without_wall(in_memory.summary) == without_wall(saved.summary)


def test_run_with_out_writes_summary_and_lists_its_plots(tmp_path: Path) -> None:
    result = api.run(POISSON, runs=200, out=tmp_path / "run")
    saved = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert saved["runs"] == 200
    assert sorted(p.name for p in result.plots) == ["outcomes.png", "survival.png",
                                                    "violations.png"]
    assert all(p.parent == tmp_path / "run" and p.is_file() for p in result.plots)


@pytest.mark.slow
def test_same_records_whatever_the_chunk_size_and_workers(tmp_path: Path) -> None:
    scenario, text = load(FLAGSHIP), FLAGSHIP.read_text()
    one = api.execute(scenario, text, api.RunOptions(runs=300, seed=4, workers=1, chunk=300))
    two = api.execute(scenario, text, api.RunOptions(runs=300, seed=4, workers=2, chunk=70,
                                                     out=tmp_path / "run", make_plots=False))
    assert same_table(one.records, two.records)
    assert one.summary["outcomes"] == two.summary["outcomes"]


def test_overrides_change_the_outcome() -> None:
    result = api.run(POISSON, runs=200, overrides=("truce.breakdown.violations=100",))
    assert result.summary["outcomes"]["first_truce_held"]["count"] == 200


@pytest.mark.slow
def test_precision_reports_target_cap_and_achieved() -> None:
    result = api.run(POISSON, runs=20000, precision=0.03)
    precision = result.summary["precision"]
    assert result.summary["runs"] < 20000
    assert precision["target"] == 0.03
    assert precision["cap"] == 20000
    assert precision["achieved"] <= 0.03


def test_run_raises_usage_error_when_out_exists(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="exists already"):
        api.run(POISSON, runs=10, out=tmp_path)


def test_run_raises_scenario_error_for_a_bad_override() -> None:
    with pytest.raises(ScenarioError, match="truce.breakdown.violations"):
        api.run(POISSON, runs=10, overrides=("truce.breakdown.violations=0",))


def test_run_raises_scenario_error_for_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        api.run(tmp_path / "nope.yaml", runs=10)
