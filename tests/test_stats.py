"""Statistics checked against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from sim.stats import (
    Z95,
    deal_timing,
    describe,
    outcome_table,
    survival,
    wilson_interval,
)

NAMES = ("deal", "truce", "escalation", "stalemate")


def closed_form_wilson(count: int, n: int, z: float) -> tuple[float, float]:
    p = count / n
    denom = 1 + z**2 / n
    center = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return center - half, center + half


# --- wilson_interval ---------------------------------------------------------------------------


def test_z95_is_the_two_sided_normal_quantile() -> None:
    assert Z95 == pytest.approx(1.959963984540054, abs=1e-12)


def test_wilson_interval_matches_the_closed_form() -> None:
    lo, hi = wilson_interval(5, 10)
    want_lo, want_hi = closed_form_wilson(5, 10, Z95)
    assert lo == pytest.approx(want_lo, abs=1e-9)
    assert hi == pytest.approx(want_hi, abs=1e-9)
    assert (lo, hi) == pytest.approx((0.2365931, 0.7634069), abs=1e-7)


def test_wilson_interval_with_no_successes_starts_at_zero() -> None:
    lo, hi = wilson_interval(0, 20)
    assert lo == pytest.approx(0.0, abs=1e-12)
    assert hi == pytest.approx(closed_form_wilson(0, 20, Z95)[1], abs=1e-9)


def test_wilson_interval_with_all_successes_ends_at_one() -> None:
    lo, hi = wilson_interval(20, 20)
    assert hi == pytest.approx(1.0, abs=1e-12)
    assert lo == pytest.approx(closed_form_wilson(20, 20, Z95)[0], abs=1e-9)


@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.99])
def test_wilson_interval_is_scipys_bit_for_bit(confidence: float) -> None:
    # Summaries stored before the interval was written out (issue 22) keep their values.
    rng = np.random.default_rng(3)
    ns = [*range(1, 40), *rng.integers(40, 10**7, 100).tolist()]
    for n in ns:
        for k in {0, 1, n // 3, n // 2, n - 1, n, int(rng.integers(0, n + 1))}:
            ci = sps.binomtest(k, n).proportion_ci(confidence, method="wilson")
            assert wilson_interval(k, n, confidence) == (float(ci.low), float(ci.high))


def test_wilson_interval_refuses_a_confidence_outside_zero_one() -> None:
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(3, 10, 1.5)


def test_wilson_interval_honours_the_confidence_level() -> None:
    z90 = float(sps.norm.ppf(0.95))
    assert wilson_interval(3, 12, 0.90) == pytest.approx(closed_form_wilson(3, 12, z90), abs=1e-9)


def test_wilson_interval_without_trials_is_uninformative() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_interval_rejects_a_count_above_n() -> None:
    with pytest.raises(ValueError, match=r"count\(=11\) must be between 0 and n\(=10\)"):
        wilson_interval(11, 10)


@given(n=st.integers(1, 500), data=st.data())
def test_wilson_interval_contains_the_proportion(n: int, data: st.DataObject) -> None:
    count = data.draw(st.integers(0, n))
    lo, hi = wilson_interval(count, n)
    assert 0.0 <= lo <= count / n + 1e-12
    assert count / n - 1e-12 <= hi <= 1.0


# --- outcome_table -----------------------------------------------------------------------------


def test_outcome_table_counts_and_probabilities_sum_to_one() -> None:
    table = outcome_table(np.array(["deal", "truce", "deal", "escalation"]), NAMES)
    assert list(table) == list(NAMES)
    assert [table[n]["count"] for n in NAMES] == [2, 1, 1, 0]
    assert sum(row["p"] for row in table.values()) == pytest.approx(1.0)
    assert table["deal"]["p"] == 0.5
    assert table["deal"]["ci"] == pytest.approx(list(closed_form_wilson(2, 4, Z95)), abs=1e-9)


def test_outcome_table_lists_absent_outcomes_with_zero() -> None:
    table = outcome_table(["deal", "deal"], NAMES)
    assert table["stalemate"]["p"] == 0.0
    assert table["stalemate"]["count"] == 0
    assert table["stalemate"]["ci"][0] == pytest.approx(0.0, abs=1e-12)


def test_outcome_table_of_no_replications_is_zero_everywhere() -> None:
    table = outcome_table([], NAMES)
    assert all(row == {"p": 0.0, "ci": [0.0, 1.0], "count": 0} for row in table.values())


def test_outcome_table_rejects_an_unknown_outcome() -> None:
    with pytest.raises(ValueError, match=r"outcome\(='surrender'\) is not one of"):
        outcome_table(["deal", "surrender"], NAMES)


# --- describe ----------------------------------------------------------------------------------


def test_describe_one_to_four() -> None:
    d = describe(np.array([1.0, 2.0, 3.0, 4.0]))
    sd = math.sqrt(5 / 3)
    half = 3.182446305284263 * sd / 2  # t(3) 97.5% quantile times sd / sqrt(4)
    assert d["mean"] == 2.5
    assert d["sd"] == pytest.approx(1.2909944487, abs=1e-9)
    assert d["q05"] == pytest.approx(1.15)
    assert d["q50"] == pytest.approx(2.5)
    assert d["q95"] == pytest.approx(3.85)
    assert d["n"] == 4
    assert d["ci"] == pytest.approx([2.5 - half, 2.5 + half], abs=1e-9)


def test_describe_returns_python_numbers() -> None:
    d = describe(np.array([1, 2, 3, 4]))
    assert all(type(d[k]) is float for k in ("mean", "sd", "q05", "q50", "q95"))
    assert type(d["n"]) is int
    assert all(type(v) is float for v in d["ci"])


def test_describe_ignores_nans() -> None:
    with_nans = describe(np.array([np.nan, 1.0, 2.0, np.nan, 3.0, 4.0]))
    assert with_nans == describe(np.array([1.0, 2.0, 3.0, 4.0]))


def test_describe_of_one_value_has_no_spread_and_no_interval() -> None:
    d = describe(np.array([7.0, np.nan]))
    assert d == {"mean": 7.0, "sd": 0.0, "q05": 7.0, "q50": 7.0, "q95": 7.0, "n": 1,
                 "ci": None}


def test_describe_clips_the_interval_to_the_metrics_range() -> None:
    counts = np.array([0.0] * 9 + [1.0])  # mean 0.1, sd 0.316: the t-interval reaches -0.126
    assert describe(counts)["ci"][0] == pytest.approx(0.1 - 2.262157 * 0.316228 / np.sqrt(10),
                                                      abs=1e-5)
    low, high = describe(counts, 0.0, None)["ci"]
    assert low == 0.0 and high == pytest.approx(0.326, abs=1e-3)
    assert describe(np.array([0.9, 1.0, 1.0]), 0.0, 1.0)["ci"][1] == 1.0


def test_describe_of_nothing_is_none_but_n() -> None:
    d = describe(np.array([np.nan]))
    assert d["n"] == 0
    assert all(d[k] is None for k in ("mean", "sd", "q05", "q50", "q95", "ci"))


# --- survival ----------------------------------------------------------------------------------


def test_survival_without_censoring_is_one_minus_the_ecdf() -> None:
    days = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    km = survival(days, np.ones(days.size, dtype=bool), horizon=10.0)
    assert km["t"] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 9.0, 10.0]
    for t, s in zip(km["t"], km["s"], strict=True):
        assert s == pytest.approx(1 - np.mean(days <= t))
    assert km["n"] == 8
    assert km["events"] == 8


def test_survival_with_censoring_by_hand() -> None:
    # At risk 5, one dies at 1: 4/5. At 2, one of 4 dies (the other is censored): 0.8 * 3/4.
    # At 3, one of 2 dies: 0.6 * 1/2. The last subject is censored at 4.
    km = survival(np.array([1, 2, 2, 3, 4]), np.array([True, True, False, True, False]), 6.0)
    assert km["t"] == [0.0, 1.0, 2.0, 3.0, 4.0, 6.0]
    assert km["s"] == pytest.approx([1.0, 0.8, 0.6, 0.3, 0.3, 0.3])
    assert km["median"] == 3.0
    assert km["n"] == 5
    assert km["events"] == 3


def test_survival_band_is_greenwood_around_the_curve() -> None:
    km = survival(np.array([1, 2, 2, 3, 4]), np.array([True, True, False, True, False]), 6.0)
    # Greenwood at t=1: var = 0.8^2 * 1/(5*4) = 0.032; linear band 0.8 -/+ 1.96 * sqrt(0.032).
    half = Z95 * math.sqrt(0.032)
    assert km["lo"][1] == pytest.approx(0.8 - half, abs=1e-9)
    assert km["hi"][1] == pytest.approx(1.0)  # 0.8 + half, clipped to 1
    assert all(lo <= s <= hi for lo, s, hi in zip(km["lo"], km["s"], km["hi"], strict=True))
    assert all(0.0 <= v <= 1.0 for v in km["lo"] + km["hi"])


def test_survival_band_where_the_curve_reaches_zero_is_defined() -> None:
    km = survival(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4, dtype=bool), 5.0)
    assert km["s"][-2:] == [0.0, 0.0]
    assert not any(math.isnan(v) for v in km["lo"] + km["hi"])
    assert km["lo"][-1] == 0.0
    assert km["median"] == 2.0


def test_survival_all_censored_stays_at_one() -> None:
    km = survival(np.array([2.0, 5.0, 5.0]), np.zeros(3, dtype=bool), 5.0)
    assert km["s"] == [1.0] * len(km["t"])
    assert km["lo"] == km["hi"] == km["s"]
    assert km["median"] is None
    assert km["events"] == 0
    assert km["t"][0] == 0.0 and km["t"][-1] == 5.0


def test_survival_median_is_none_when_half_never_falls() -> None:
    km = survival(np.array([1.0, 2.0, 3.0, 4.0]), np.array([True, False, False, False]), 5.0)
    assert min(km["s"]) == pytest.approx(0.75)
    assert km["median"] is None


def test_survival_of_nothing() -> None:
    assert survival(np.array([]), np.array([], dtype=bool), 30.0) == {
        "t": [0.0, 30.0], "s": [1.0, 1.0], "lo": [1.0, 1.0], "hi": [1.0, 1.0],
        "median": None, "n": 0, "events": 0}


# --- deal_timing -------------------------------------------------------------------------------


def test_deal_timing_against_a_deadline_by_hand() -> None:
    # Deadline day 10: the last fifth is [8, 10]. Deals on 2, 8, 9, 10 and 12; two no-deals.
    days = np.array([2.0, np.nan, 8.0, 9.0, 10.0, 12.0, np.nan])
    timing = deal_timing(days, 10.0)
    assert timing["n_deals"] == 5
    assert timing["share_before_deadline"] == pytest.approx(4 / 5)
    assert timing["share_in_last_fifth"] == pytest.approx(3 / 5)
    assert timing["days_before_deadline"] == describe(np.array([8.0, 2.0, 1.0, 0.0, -2.0]))
    assert timing["days_before_deadline"]["mean"] == pytest.approx(1.8)


def test_deal_timing_without_deals_has_no_shares() -> None:
    timing = deal_timing(np.array([np.nan, np.nan]), 10.0)
    assert timing["n_deals"] == 0
    assert timing["share_before_deadline"] is None
    assert timing["share_in_last_fifth"] is None
    assert timing["days_before_deadline"]["n"] == 0


def test_deal_timing_without_a_deadline_describes_deal_days() -> None:
    timing = deal_timing(np.array([1.0, np.nan, 3.0]), None)
    assert timing == {"n_deals": 2, "deal_day": describe(np.array([1.0, 3.0]))}


def test_survival_on_a_grid_reads_the_step_function_and_keeps_the_median() -> None:
    from sim.stats import on_grid

    rng = np.random.default_rng(3)
    durations = rng.exponential(10.0, 5000)
    km = survival(durations, durations < 60.0, 60.0)
    thin = on_grid(km, points=100)
    assert len(thin["t"]) == 101 and thin["t"][0] == 0.0 and thin["t"][-1] == 60.0
    assert thin["median"] == km["median"] and thin["n"] == km["n"]
    t, s = np.array(km["t"]), np.array(km["s"])
    for g, v in zip(thin["t"], thin["s"], strict=True):
        assert v == s[np.searchsorted(t, g, side="right") - 1]
    assert on_grid(thin, points=100) is thin  # already small: unchanged


def test_t_and_normal_quantiles_are_scipy_stats_bit_for_bit() -> None:
    # estimates.py reads the t and normal laws from scipy.special (scipy.stats, a second of
    # import, loads only for a comparison's McNemar test): the same floats as before.
    from sim.stats import estimates

    assert Z95 == float(sps.norm.ppf(0.975))
    rng = np.random.default_rng(7)
    for dof in [*range(1, 400), *rng.integers(400, 10**7, 100).tolist(),
                *(rng.random(200) * 500 + 0.5).tolist()]:
        assert float(estimates.stdtrit(dof, 0.975)) == float(sps.t.ppf(0.975, dof)), dof
        for t in rng.standard_normal(5) * rng.choice([0.1, 2.0, 40.0]):
            assert estimates._t_p(float(t), dof) == float(  # noqa: SLF001
                min(1.0, 2.0 * sps.t.sf(abs(t), dof))), (dof, t)
    x = rng.standard_normal(37)
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    half = float(sps.t.ppf(0.975, 36) * sd / np.sqrt(37))
    assert describe(x)["ci"] == [mean - half, mean + half]
