"""The product-limit estimator computed from counts per distinct time (issue 22: memory flat
in the number of replications) gives SciPy's Kaplan-Meier numbers, which the summaries used
before; the reference below is the SciPy-based code those summaries ran."""

from __future__ import annotations

import math
import tracemalloc
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats as sps

from sim.engine import Plan, run_replication
from sim.operations.story import pick_representatives
from sim.running.summary import ParquetColumns, summarise, tally, truce_survival
from sim.scenario import load
from sim.stats import ProductLimit, at_risk, risk_table, survival, survival_at
from tests.conftest import POISSON

TOL = 1e-12


def _scipy_sf(t: np.ndarray, seen: np.ndarray) -> Any:
    return sps.ecdf(sps.CensoredData(uncensored=t[seen], right=t[~seen])).sf


def _fill_forward(x: np.ndarray) -> np.ndarray:
    idx = np.where(np.isnan(x), 0, np.arange(x.size))
    return np.clip(x[np.maximum.accumulate(idx)], 0.0, 1.0)


def reference_curve(t: np.ndarray, seen: np.ndarray, horizon: float) -> dict[str, Any]:
    """The curve as sim.stats.survival computed it with scipy.stats.ecdf (before issue 22)."""
    sf = _scipy_sf(t, seen)
    knots = sf.quantiles[sf.quantiles < horizon]
    s = np.concatenate(([1.0], sf.probabilities[: knots.size], sf.evaluate([horizon])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = sf.confidence_interval(0.95)
    k = knots.size
    lo = np.concatenate(([1.0], ci.low.probabilities[:k], ci.low.evaluate([horizon])))
    hi = np.concatenate(([1.0], ci.high.probabilities[:k], ci.high.evaluate([horizon])))
    below = np.flatnonzero(sf.probabilities <= 0.5)
    return {"t": np.concatenate(([0.0], knots, [horizon])), "s": s,
            "lo": np.minimum(_fill_forward(lo), s), "hi": np.maximum(_fill_forward(hi), s),
            "median": float(sf.quantiles[below[0]]) if below.size else None}


def reference_at(t: np.ndarray, seen: np.ndarray, day: float) -> tuple[float, float, float]:
    sf = _scipy_sf(t, seen)
    s = float(sf.evaluate([day])[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = sf.confidence_interval(0.95, method="log-log")
    lo, hi = float(ci.low.evaluate([day])[0]), float(ci.high.evaluate([day])[0])
    return s, (s if lo != lo else min(lo, s)), (s if hi != hi else max(hi, s))


def samples() -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """Durations with and without ties, censoring none, some, most and all of them."""
    rng = np.random.default_rng(22)
    out = []
    for share in (0.0, 0.3, 0.9):
        cont = rng.exponential(20.0, 3000)
        out.append((f"continuous, {share:.0%} censored", cont, rng.random(3000) >= share, 60.0))
        tied = np.round(rng.exponential(8.0, 2000))
        out.append((f"tied, {share:.0%} censored", tied, rng.random(2000) >= share, 30.0))
    horizon = 50.0  # censored at the horizon, as truces that still hold are
    days = rng.exponential(40.0, 1000)
    out.append(("censored at the horizon", np.minimum(days, horizon), days < horizon, horizon))
    out.append(("all censored", rng.exponential(5.0, 50), np.zeros(50, dtype=bool), 30.0))
    out.append(("to zero", np.array([1.0, 2.0, 2.0, 3.0]), np.ones(4, dtype=bool), 5.0))
    return out


@pytest.mark.parametrize(("name", "t", "seen", "horizon"), samples(), ids=lambda x: str(x)[:30])
def test_curve_is_scipys_to_1e_12(name: str, t: np.ndarray, seen: np.ndarray,
                                  horizon: float) -> None:
    mine, ref = survival(t, seen, horizon), reference_curve(t, seen, horizon)
    for key in ("t", "s", "lo", "hi"):
        assert len(mine[key]) == len(ref[key]), key
        assert np.allclose(mine[key], ref[key], rtol=0, atol=TOL), key
    assert mine["median"] == ref["median"]
    assert (mine["n"], mine["events"]) == (t.size, int(seen.sum()))


@pytest.mark.parametrize(("name", "t", "seen", "horizon"), samples(), ids=lambda x: str(x)[:30])
def test_survival_at_a_day_is_scipys_log_log_interval(name: str, t: np.ndarray,
                                                       seen: np.ndarray, horizon: float) -> None:
    # Days between knots, on a knot (ties included) and past the horizon's last subject.
    for day in (0.5, float(np.median(t)), float(np.sort(t)[t.size // 3]), horizon):
        got = survival_at(t, seen, day)
        if got["at_risk"] == 0:
            continue
        s, lo, hi = reference_at(t, seen, day)
        assert got["s"] == pytest.approx(s, abs=TOL)
        assert got["ci"] == pytest.approx([lo, hi], abs=TOL)
        assert got["events"] == int((seen & (t <= day)).sum())


def test_at_risk_from_the_table_counts_durations_at_least_each_time() -> None:
    t = np.array([1.0, 2.0, 2.0, 3.0, 7.0, 7.0])
    table = ProductLimit.of(t, np.array([True, False, True, True, False, True]))
    times = [0.0, 1.0, 1.5, 2.0, 2.5, 7.0, 8.0]
    assert table.at_risk(times).tolist() == [6, 6, 5, 5, 3, 2, 0]
    assert at_risk(t, times).tolist() == [6, 6, 5, 5, 3, 2, 0]
    assert risk_table(t, 8.0)["n"] == [6, 6, 5, 3, 2, 2, 2, 2, 0]


def test_greenwood_variance_by_hand() -> None:
    # At risk 5, 1 event at 1; at risk 4, 1 event at 2 (one censored there); at risk 2, 1 at 3.
    table = ProductLimit.of(np.array([1, 2, 2, 3, 4]), np.array([True, True, False, True, False]))
    assert table.n.tolist() == [5, 4, 2, 1] and table.d.tolist() == [1, 1, 1, 0]
    sums = np.cumsum([1 / (5 * 4), 1 / (4 * 3), 1 / (2 * 1), 0.0])
    assert table.greenwood() == pytest.approx(sums, abs=TOL)
    lo, _ = table.linear_band()
    assert lo[0] == pytest.approx(0.8 - 1.959963984540054 * math.sqrt(0.64 * sums[0]), abs=TOL)


# --- the summary read from stored columns, a row group at a time ------------------------------


def _stored(table: pa.Table, path: Path, rows: int = 97) -> ParquetColumns:
    """``table`` written with small row groups, as a merged run file is in pieces."""
    pq.write_table(table, path, row_group_size=rows)
    assert pq.ParquetFile(path).num_row_groups > 1
    return ParquetColumns(path)


@pytest.fixture(scope="module")
def records() -> tuple[pa.Table, Plan]:
    plan = Plan(load(POISSON))
    rows = [run_replication(plan, i).row() for i in range(600)]
    return pa.Table.from_pylist(rows), plan


def test_summary_from_row_groups_equals_the_summary_of_the_whole_table(
        records: tuple[pa.Table, Plan], tmp_path: Path) -> None:
    table, plan = records
    whole = summarise(table, plan, 0.0)
    pieces = summarise(_stored(table, tmp_path / "r.parquet"), plan, 0.0)
    assert pieces == whole
    assert whole["survival"]["n"] == int(np.isfinite(
        table.column("truce_days").to_numpy(zero_copy_only=False).astype(float)).sum())
    assert sum(r["count"] for r in whole["outcomes"].values()) == 600


def test_outcome_counts_are_counted_per_piece(records: tuple[pa.Table, Plan],
                                              tmp_path: Path) -> None:
    table, _ = records
    expected = Counter(table.column("outcome").to_pylist())
    assert tally(table, "outcome") == expected
    assert tally(_stored(table, tmp_path / "r.parquet"), "outcome") == expected


def test_representatives_from_row_groups_in_any_row_order(records: tuple[pa.Table, Plan],
                                                          tmp_path: Path) -> None:
    table, _ = records
    expected = pick_representatives(table, limit=250)
    shuffled = table.take(np.random.default_rng(5).permutation(table.num_rows))
    assert pick_representatives(_stored(shuffled, tmp_path / "s.parquet"), limit=250) == expected
    assert set(expected) == set(table.column("outcome").to_pylist()[:250])


def test_survival_and_outcome_counts_hold_no_python_object_per_replication() -> None:
    """Traced allocations (numpy's included) at their peak, per replication: the Kaplan-Meier
    holds a few arrays of the truces (SciPy's held a list of them, about 160 B), the outcome
    counts one piece's counts (a string per replication was about 64 B)."""
    plan = Plan(load(POISSON))
    rng = np.random.default_rng(1)
    n = 50_000
    days = np.minimum(rng.exponential(5.0, n), 10.0)
    days[rng.random(n) < 0.1] = np.nan  # truces that never started
    table = pa.table({"truce_days": days, "truce_censored": days >= 10.0,
                      "outcome": rng.choice(["deal_truce_holds", "no_deal"], n)})
    tracemalloc.start()
    try:
        truce_survival(table, plan)
        survival_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        tally(table, "outcome")
        counts_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert survival_peak / n < 100
    assert counts_peak / n < 2
