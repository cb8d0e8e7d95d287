"""The typed results of the Python API: their DataFrames, repr and HTML views."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import sim
from sim.output import results
from tests.conftest import POISSON

RATE = "actors.side_a.violation_rate"
HORIZONS = (30, 60, 120, 240)
BOX_COLUMNS = ["input", "min", "max", "range_low", "range_high", "qp_min", "qp_max"]
METRIC_COLUMNS = ["point", RATE, "metric", "n", "mean", "sd", "ci_low", "ci_high", "q05",
                  "q50", "q95"]


@pytest.fixture(scope="module")
def horizons() -> sim.CompareResult:
    """trade_talks under faratin against four shorter and longer windows, each party's
    concession horizon at the window: five arms, 100 runs each."""
    return sim.compare(TRADE_FARATIN, variants=[_window(h) for h in HORIZONS], runs=100)


TRADE_FARATIN = Path(__file__).resolve().parent / "data" / "trade_talks_faratin.yaml"
PARTIES = ("arland", "bexia", "corvan")


def _window(h: int) -> dict[str, int]:
    return {"horizon_days": h, **{f"negotiation.parties.{p}.horizon_days": h for p in PARTIES}}


def _label(h: int) -> str:
    return ", ".join(f"{k}={v}" for k, v in _window(h).items())


@pytest.fixture(scope="module")
def poisson_sweep(tmp_path_factory: pytest.TempPathFactory) -> sim.SweepResult:
    """truce_poisson at two violation rates, 100 runs each: the rate explains collapse."""
    out = tmp_path_factory.mktemp("sweep") / "sweep"
    return sim.sweep(POISSON, {RATE: "0.3,0.5"}, runs=100, out=out, plots_too=False)


def _diff(result: sim.CompareResult, variant: str, kind: str, name: str) -> dict:
    (c,) = [c for c in result.data["comparisons"] if c["variant"] == variant]
    return c["diff"][kind][name]  # type: ignore[no-any-return]


# --- CompareResult ------------------------------------------------------------------------------


def test_compare_metrics_have_nan_where_a_difference_has_no_interval(
        horizons: sim.CompareResult) -> None:
    stored = _diff(horizons, _label(60), "metrics", "truce_days")
    assert stored["ci"] is None and stored["n"] == 0  # no truce in trade talks
    m = horizons.metrics.set_index(["variant", "metric"])
    metrics = horizons.data["comparisons"][0]["diff"]["metrics"]
    assert len(m) == len(HORIZONS) * len(metrics)
    empty = m.loc[(_label(60), "truce_days")]
    for column in ("diff", "ci_low", "ci_high", "p_value", "p_holm", "pairing_gain"):
        assert math.isnan(empty[column]), column
    assert not empty["significant"] and empty["pairs"] == 0
    deal = m.loc[(_label(60), "deal_day")]
    expected = _diff(horizons, _label(60), "metrics", "deal_day")
    assert deal["diff"] == pytest.approx(expected["diff"]) and deal["diff"] < -200
    assert (deal["ci_low"], deal["ci_high"]) == pytest.approx(tuple(expected["ci"]))
    assert deal["ci_low"] < deal["diff"] < deal["ci_high"] and deal["significant"]


def test_compare_outcomes_match_the_stored_differences(horizons: sim.CompareResult) -> None:
    o = horizons.outcomes.set_index(["variant", "outcome"])
    assert len(o) == 2 * len(HORIZONS)  # deal_without_truce and no_deal per comparison
    for (variant, outcome), row in o.iterrows():
        stored = _diff(horizons, variant, "outcomes", outcome)
        assert row["diff"] == pytest.approx(stored["diff"])
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(stored["ci"]))
        assert row["p_holm"] == pytest.approx(stored["p_holm"])
    # a shorter horizon leaves less time for a deal: no deal rises by what deals lose
    sixty = o.loc[_label(60)]
    assert sixty.loc["no_deal", "diff"] == pytest.approx(-sixty.loc["deal_without_truce", "diff"])
    assert sixty.loc["no_deal", "diff"] > 0.2 and sixty.loc["no_deal", "significant"]


def test_compare_repr_says_how_many_significant_rows_it_leaves_out(
        horizons: sim.CompareResult, monkeypatch: pytest.MonkeyPatch) -> None:
    significant = int(horizons.outcomes["significant"].sum())
    assert significant == 6  # deal and no deal, for the 30, 60 and 120 day horizons
    full = repr(horizons).splitlines()
    assert sum(line.endswith(" *") for line in full) == 6
    assert not any("more significant" in line for line in full)
    monkeypatch.setattr(results, "REPR_ROWS", 4)
    short = repr(horizons)
    lines = short.splitlines()
    assert sum(line.endswith(" *") for line in lines) == 4
    assert "  ... 2 more significant differences: .outcomes" in lines
    assert len(short) < 2000 and lines[0].startswith("CompareResult(5 scenarios, 100 runs")


# --- SweepResult --------------------------------------------------------------------------------


def test_sweep_metrics_one_row_per_point_and_metric(poisson_sweep: sim.SweepResult) -> None:
    m = poisson_sweep.metrics
    points = poisson_sweep.data["points"]
    assert list(m.columns) == METRIC_COLUMNS
    assert len(m) == sum(len(p["metrics"]) for p in points) == 2 * len(points[0]["metrics"])
    assert list(m[m["metric"] == "truce_days"][RATE]) == [0.3, 0.5]
    for row in m.itertuples(index=False):
        stored = points[row.point]["metrics"][row.metric]
        assert row.n == stored["n"]
        if stored["n"] == 0:  # deal_day: no talks in truce_poisson
            assert math.isnan(row.mean) and math.isnan(row.ci_low)
            continue
        assert (row.mean, row.sd, row.q05, row.q50, row.q95) == pytest.approx(
            tuple(stored[k] for k in ("mean", "sd", "q05", "q50", "q95")))
        assert (row.ci_low, row.ci_high) == pytest.approx(tuple(stored["ci"]))


def test_sweep_metrics_agree_with_the_stored_table(poisson_sweep: sim.SweepResult) -> None:
    assert poisson_sweep.folder is not None
    table = pq.read_table(Path(poisson_sweep.folder) / "sweep.parquet").to_pandas()
    m = poisson_sweep.metrics.set_index(["point", "metric"])
    for point in (0, 1):
        for name in ("truce_days", "breakdowns"):
            assert m.loc[(point, name), "mean"] == pytest.approx(
                table.loc[point, f"mean_{name}"])
        # with no renewal, each collapse is one breakdown
        assert m.loc[(point, "breakdowns"), "mean"] == pytest.approx(
            table.loc[point, "p_truce_collapsed"])
    assert m.loc[(1, "breakdowns"), "mean"] > m.loc[(0, "breakdowns"), "mean"]


# --- DiscoverResult -----------------------------------------------------------------------------


@pytest.mark.slow
def test_an_empty_box_keeps_its_columns_and_its_explanation(
        poisson_sweep: sim.SweepResult) -> None:
    found = sim.discover(poisson_sweep, "truce_collapsed")
    assert found.data["chosen"]["restricted"] == []
    assert list(found.box.columns) == BOX_COLUMNS and found.box.empty
    page = found._repr_html_()
    assert "no box covering at least 80% of these replications" in page
    assert "(quasi-p &lt;= 0.05)" in page and "<=" not in page  # escaped
    assert "lower minimum coverage" in page and page.index("lower minimum coverage") < page.index(
        "<table")


def test_discover_suggests_a_lower_coverage_which_then_finds_a_box(
        poisson_sweep: sim.SweepResult) -> None:
    text = repr(sim.discover(poisson_sweep, "truce_collapsed"))
    assert "no range of these inputs" not in text and "it comes from" not in text
    assert "a lower minimum coverage may find a smaller box" in text
    assert "may come from what varies within replications" in text
    lower = sim.discover(poisson_sweep, "truce_collapsed", min_coverage=0.7)
    (row,) = lower.box.to_dict("records")
    assert row["input"] == RATE and row["min"] == pytest.approx(0.4)
    assert row["qp_min"] < 1e-4 and row["qp_max"] is None
    assert lower.data["chosen"]["coverage"] == pytest.approx(0.7625, abs=0.005)
    assert f"{RATE} &gt;= 0.4 (quasi-p 1.8e-05)" in lower._repr_html_()  # escaped
