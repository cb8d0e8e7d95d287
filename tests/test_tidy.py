"""One tidy shape for results (issue 23, item 6 / deliver 2): the same column names in run,
compare and sweep tables, intervals within the possible range, nulls where a value does not
apply, sweep replications as one Parquet dataset, and trace events as rows."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import sim
from tests.conftest import FLAGSHIP, SCENARIOS

POISSON = SCENARIOS / "examples" / "truce_poisson.yaml"
OUTCOME_COLUMNS = ["outcome", "p", "ci_low", "ci_high", "count"]
METRIC_COLUMNS = ["metric", "n", "mean", "sd", "ci_low", "ci_high", "q05", "q50", "q95"]


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory: pytest.TempPathFactory) -> sim.SweepResult:
    out = tmp_path_factory.mktemp("tidy") / "sweep"
    return sim.sweep(POISSON, {"truce.breakdown.violations": [3, 5]}, runs=30, out=out,
                     plots_too=False)


def test_run_and_sweep_tables_share_column_names(small_sweep: sim.SweepResult) -> None:
    run = sim.run(POISSON, runs=30)
    assert list(run.outcomes.columns)[:5] == OUTCOME_COLUMNS
    assert list(run.metrics.columns) == METRIC_COLUMNS
    path = "truce.breakdown.violations"
    assert list(small_sweep.outcomes.columns) == ["point", path, *OUTCOME_COLUMNS]
    assert list(small_sweep.metrics.columns) == ["point", path, *METRIC_COLUMNS]


def test_sweep_frame_has_the_columns_of_sweep_parquet(small_sweep: sim.SweepResult) -> None:
    assert small_sweep.folder is not None
    stored = pq.read_table(Path(small_sweep.folder) / "sweep.parquet").to_pandas()
    frame = small_sweep.to_pandas()
    assert list(frame.columns) == list(stored.columns)
    assert "p_truce_collapsed" in frame and "ci_low_truce_collapsed" in frame


def test_sweep_point_files_read_as_one_dataset_with_a_point_column(
        small_sweep: sim.SweepResult) -> None:
    assert small_sweep.folder is not None
    files = sorted(str(f) for f in (Path(small_sweep.folder) / "points").glob("*.parquet"))
    dataset = ds.dataset(files, format="parquet").to_table()  # one schema for every point
    assert sorted(set(dataset.column("point").to_pylist())) == [0, 1]
    records = small_sweep.records
    assert records.num_rows == 60
    by_point = records.to_pandas().groupby("point")["truce.breakdown.violations"].first()
    assert list(by_point) == [3, 5]


def test_metric_intervals_never_fall_below_zero_for_counts() -> None:
    run = sim.run(FLAGSHIP, runs=40, seed=1)
    m = run.metrics.set_index("metric")
    counts = [c for c in ("breakdowns", "spoiler_attacks", "aid_deliveries", "meetings")
              if c in m.index]
    assert counts and (m.loc[counts, "ci_low"].dropna() >= 0).all()
    assert (m["ci_low"].dropna() <= m.loc[m["ci_low"].notna(), "mean"]).all()


def test_breakdown_cause_is_null_without_a_breakdown() -> None:
    frame = sim.run(POISSON, runs=30).to_pandas()
    held = frame[frame["outcome"] == "first_truce_held"]
    assert len(held) and held["breakdown_cause"].isna().all()
    assert not (frame["breakdown_cause"] == "").any()
    broke = frame[frame["outcome"] == "truce_collapsed"]
    assert broke["breakdown_cause"].notna().all()


def test_compare_frame_is_one_row_per_replication_and_arm() -> None:
    cmp = sim.compare(POISSON, variants=[{"horizon_days": 20}], runs=20)
    frame = cmp.to_pandas()
    assert list(frame.columns[:3]) == ["replication", "arm", "outcome"]
    assert len(frame) == 40 and not any("__" in c for c in frame.columns)
    assert set(frame["arm"]) == {"truce_poisson", "horizon_days=20"}


TYPICAL_PENDING = 600
"""The flagship's representative replication ending in deal_truce_pending (``negsim trace
--outcome deal_truce_pending`` finds it by playing 2,000 replications: 16 s on a busy machine;
tests/test_outcomes.py and tests/test_report.py test that search)."""


def test_trace_events_are_rows_with_actor_and_offer() -> None:
    told = sim.trace(FLAGSHIP, replication=TYPICAL_PENDING)
    assert told.world.record.outcome == "deal_truce_pending"  # a deal: offers and responses
    events = told.events
    assert list(events.columns) == ["time", "date", "kind", "actor", "offer", "utility",
                                    "aspiration", "text"]
    assert len(events) == len(told.to_pandas())
    offers = events[events["kind"] == "offer"]
    assert len(offers) and offers["actor"].notna().all()
    first = offers.iloc[0]["offer"]
    assert set(first) == set(told.world.plan.terms)
    responses = events[events["kind"] == "response"]
    assert responses["utility"].notna().all() and responses["aspiration"].notna().all()
    assert (events["time"].diff().dropna() >= 0).all()
