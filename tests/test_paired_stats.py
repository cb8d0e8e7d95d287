"""Paired and unpaired comparisons (sim.stats), checked against numbers worked out by hand.

The functions behind ``negsim compare``: the paired t-interval of a mean difference, the
exact McNemar test on discordant pairs, the Welch interval of independent samples, the
pairing gain (variance of an unpaired difference over that of the paired one) and Holm's
step-down adjustment.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from sim.stats import holm, mcnemar, paired_difference, pairing_gain, unpaired_difference

# t quantile t_{0.975} with 3 degrees of freedom (tables: 3.182), to 12 digits.
T975_DF3 = 3.182446305284


# --- paired_difference ------------------------------------------------------------------------


def test_paired_difference_of_identical_arrays_is_exactly_zero_with_zero_width() -> None:
    a = np.array([0.3, 1.7, 5.0, 2.2, 9.1])
    d = paired_difference(a, a.copy())
    assert d["diff"] == 0.0
    assert d["ci"] == [0.0, 0.0]
    assert d["p_value"] == 1.0
    assert d["n"] == 5


def test_paired_difference_hand_example_with_its_t_interval() -> None:
    # b - a = [1, 3, 2, 2]: mean 2, squared deviations 1 + 1 + 0 + 0 = 2, s^2 = 2/3,
    # se = sqrt(2/3 / 4) = 0.408248, t = 2 / se = 4.898979, half-width = 3.182446 * se.
    a = np.array([10.0, 20.0, 30.0, 40.0])
    b = np.array([11.0, 23.0, 32.0, 42.0])
    d = paired_difference(a, b)
    se = math.sqrt(2 / 3 / 4)
    assert se == pytest.approx(0.408248290, abs=1e-9)
    half = T975_DF3 * se
    assert half == pytest.approx(1.299228, abs=1e-6)
    assert d["diff"] == pytest.approx(2.0, abs=1e-12)
    assert d["ci"][0] == pytest.approx(2.0 - half, abs=1e-9)
    assert d["ci"][1] == pytest.approx(2.0 + half, abs=1e-9)
    assert d["n"] == 4
    # Two-sided p of t = 4.898979 on 3 df: 2 * P(T_3 > 4.898979) = 0.01628 (hand: tables).
    assert d["p_value"] == pytest.approx(2 * sps.t.sf(2 / se, 3), rel=1e-9)
    assert d["p_value"] == pytest.approx(0.01628, abs=5e-5)
    # The same interval as scipy's paired t-test.
    ci = sps.ttest_rel(b, a).confidence_interval()
    assert d["ci"] == pytest.approx([ci.low, ci.high], abs=1e-9)


def test_paired_difference_drops_pairs_with_a_missing_side() -> None:
    a = np.array([10.0, 20.0, np.nan, 30.0, 40.0, 7.0])
    b = np.array([11.0, 23.0, 5.0, 32.0, 42.0, np.nan])
    d = paired_difference(a, b)
    assert d["n"] == 4
    assert d["diff"] == pytest.approx(2.0, abs=1e-12)
    assert d["ci"] == pytest.approx([2.0 - T975_DF3 * math.sqrt(1 / 6),
                                     2.0 + T975_DF3 * math.sqrt(1 / 6)], abs=1e-9)


def test_paired_difference_without_pairs_is_none() -> None:
    d = paired_difference(np.array([np.nan, 1.0]), np.array([2.0, np.nan]))
    assert d == {"diff": None, "ci": None, "p_value": None, "n": 0}


def test_paired_difference_of_a_constant_shift_is_that_shift_with_zero_width() -> None:
    a = np.array([1.0, 4.0, 9.0])
    d = paired_difference(a, a + 0.5)
    assert d["diff"] == pytest.approx(0.5)
    assert d["ci"] == pytest.approx([0.5, 0.5])
    assert d["p_value"] == 0.0


# --- mcnemar ---------------------------------------------------------------------------------


def _pairs(both: int, only_a: int, only_b: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    a = [True] * both + [True] * only_a + [False] * only_b + [False] * neither
    b = [True] * both + [False] * only_a + [True] * only_b + [False] * neither
    return np.array(a), np.array(b)


def test_mcnemar_uses_only_the_discordant_pairs_hand_example() -> None:
    # b = 2 pairs with only a, c = 7 with only b: two-sided binomial of 7 of 9 at 1/2,
    # 2 * (C(9,7) + C(9,8) + C(9,9)) / 2^9 = 2 * 46 / 512 = 0.1796875.
    a, b = _pairs(both=3, only_a=2, only_b=7, neither=4)
    assert mcnemar(a, b) == pytest.approx(92 / 512, abs=1e-12)
    assert mcnemar(a, b) == pytest.approx(sps.binomtest(7, 9, 0.5).pvalue, abs=1e-15)
    # Concordant pairs change nothing.
    a2, b2 = _pairs(both=300, only_a=2, only_b=7, neither=40)
    assert mcnemar(a2, b2) == mcnemar(a, b)
    # Symmetric in the two arms.
    assert mcnemar(b, a) == mcnemar(a, b)


@pytest.mark.parametrize(("only_a", "only_b"), [(0, 10), (10, 0), (3, 3), (1, 12), (25, 14)])
def test_mcnemar_equals_the_exact_binomial_test_on_discordant_pairs(only_a: int,
                                                                    only_b: int) -> None:
    a, b = _pairs(both=5, only_a=only_a, only_b=only_b, neither=6)
    expected = sps.binomtest(only_b, only_a + only_b, 0.5).pvalue
    assert mcnemar(a, b) == pytest.approx(expected, abs=1e-15)


def test_mcnemar_zero_against_ten_discordant_pairs_by_hand() -> None:
    a, b = _pairs(both=4, only_a=0, only_b=10, neither=4)
    assert mcnemar(a, b) == pytest.approx(2 * 0.5**10, abs=1e-15)


def test_mcnemar_without_discordant_pairs_is_one() -> None:
    a, b = _pairs(both=8, only_a=0, only_b=0, neither=5)
    assert mcnemar(a, b) == 1.0
    assert mcnemar(np.array([], bool), np.array([], bool)) == 1.0


def test_mcnemar_accepts_zero_one_floats_as_booleans() -> None:
    a, b = _pairs(both=1, only_a=1, only_b=6, neither=1)
    assert mcnemar(a.astype(float), b.astype(float)) == mcnemar(a, b)


# --- unpaired_difference ---------------------------------------------------------------------


def test_unpaired_difference_is_welchs_test_and_interval() -> None:
    rng = np.random.default_rng(5)
    a = rng.normal(1.0, 2.0, size=40)
    b = rng.normal(1.8, 0.7, size=25)
    d = unpaired_difference(a, b)
    ref = sps.ttest_ind(b, a, equal_var=False)
    ci = ref.confidence_interval()
    assert d["diff"] == pytest.approx(b.mean() - a.mean(), abs=1e-12)
    assert d["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert d["ci"] == pytest.approx([ci.low, ci.high], abs=1e-9)
    assert d["n"] == 25


def test_unpaired_difference_hand_example() -> None:
    # a = [1, 2, 3, 5]: mean 2.75, s^2 = 2.916667; b = [2, 2, 9, 1, 4]: mean 3.6, s^2 = 10.3.
    # se^2 = 2.916667/4 + 10.3/5 = 0.729167 + 2.06 = 2.789167; Welch df =
    # 2.789167^2 / (0.729167^2 / 3 + 2.06^2 / 4) = 7.779453 / 1.238128 = 6.283.
    a = np.array([1.0, 2.0, 3.0, 5.0])
    b = np.array([2.0, 2.0, 9.0, 1.0, 4.0])
    d = unpaired_difference(a, b)
    se2 = 2.9166666667 / 4 + 10.3 / 5
    df = se2**2 / ((2.9166666667 / 4) ** 2 / 3 + (10.3 / 5) ** 2 / 4)
    assert df == pytest.approx(6.283, abs=0.001)
    half = sps.t.ppf(0.975, df) * math.sqrt(se2)
    assert d["diff"] == pytest.approx(0.85, abs=1e-12)
    assert d["ci"] == pytest.approx([0.85 - half, 0.85 + half], abs=1e-8)
    ref = sps.ttest_ind(b, a, equal_var=False)
    assert d["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)


def test_unpaired_difference_ignores_nans_and_needs_two_values_a_side() -> None:
    a = np.array([1.0, np.nan, 2.0, 3.0, 5.0])
    b = np.array([2.0, 2.0, 9.0, np.nan, 1.0, 4.0])
    assert unpaired_difference(a, b)["diff"] == pytest.approx(0.85)
    short = unpaired_difference(np.array([1.0, np.nan]), b)
    assert short["diff"] is None and short["ci"] is None and short["p_value"] is None


# --- pairing_gain ----------------------------------------------------------------------------


def test_pairing_gain_by_hand() -> None:
    # a = [1, 2, 3, 4], b = [2, 2, 4, 5]: var(a) = 5/3, var(b) = 6.75/3 = 9/4,
    # b - a = [1, 0, 1, 1] with var 1/4; gain = (5/3 + 9/4) / (1/4) = 47/3.
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([2.0, 2.0, 4.0, 5.0])
    assert pairing_gain(a, b) == pytest.approx(47 / 3, rel=1e-12)


def test_pairing_gain_above_one_for_positively_correlated_arrays() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(size=5000)
    y = x + 0.3 * rng.normal(size=5000)
    # Expected (1 + 1.09) / 0.09 = 23.2; the estimate is within a few percent of it.
    g = pairing_gain(x, y)
    assert g is not None and g > 1
    assert g == pytest.approx(2.09 / 0.09, rel=0.1)


def test_pairing_gain_about_one_for_independent_arrays() -> None:
    n = 20_000
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=n), rng.normal(size=n)
    # gain = (s_x^2 + s_y^2) / (s_x^2 + s_y^2 - 2 c_xy) ~ 1 + c_xy with c_xy ~ N(0, 1/n):
    # standard error 1/sqrt(n) = 0.0071; allow four of them.
    g = pairing_gain(x, y)
    assert g is not None
    assert abs(g - 1) < 4 / math.sqrt(n)


def test_pairing_gain_below_one_for_negatively_correlated_arrays() -> None:
    rng = np.random.default_rng(13)
    x = rng.normal(size=2000)
    g = pairing_gain(x, -x + 0.5 * rng.normal(size=2000))
    assert g is not None and g < 1


def test_pairing_gain_of_identical_non_constant_arrays_is_infinite_so_none() -> None:
    x = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    assert pairing_gain(x, x.copy()) is None


def test_pairing_gain_of_constant_arrays_is_one_and_of_too_few_pairs_none() -> None:
    assert pairing_gain(np.ones(5), np.ones(5)) == 1.0
    assert pairing_gain(np.array([1.0, np.nan]), np.array([2.0, 3.0])) is None


# --- holm ------------------------------------------------------------------------------------


def test_holm_hand_example() -> None:
    # Sorted: 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; max(0.06, 0.04 * 1) = 0.06.
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06], abs=1e-15)


def test_holm_skips_none_entries_and_counts_only_the_present_ones() -> None:
    out = holm([None, 0.01, None, 0.04, 0.03])
    assert out[0] is None and out[2] is None
    assert out[1:2] + out[3:] == pytest.approx([0.03, 0.06, 0.06], abs=1e-15)
    assert holm([None, None]) == [None, None]
    assert holm([]) == []


def test_holm_caps_at_one_keeps_order_and_never_lowers_a_p_value() -> None:
    assert holm([0.5, 0.6]) == [1.0, 1.0]
    assert holm([0.2]) == [0.2]
    ps = [0.001, 0.2, 0.012, 0.04, 0.3, 0.011]
    adjusted = holm(ps)
    assert all(q >= p for p, q in zip(ps, adjusted, strict=True))
    order = np.argsort(ps)
    assert np.all(np.diff(np.array(adjusted)[order]) >= 0)


def test_nearly_identical_differences_give_scipys_p_value_without_a_warning() -> None:
    import warnings

    from scipy import stats as sps

    from sim.stats import paired_difference, unpaired_difference

    a = np.zeros(100)
    b = np.full(100, 0.1)
    b[0] = np.nextafter(0.1, 1.0)  # differences equal but for one ulp: sd is ~1e-18
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's t-test warns of catastrophic cancellation here
        paired = paired_difference(a, b)
        unpaired = unpaired_difference(a, b)
    assert paired["p_value"] == 0.0 and paired["ci"][0] > 0.0999
    assert unpaired["p_value"] == 0.0
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=40), rng.normal(0.3, size=40)
    assert paired_difference(x, y)["p_value"] == pytest.approx(sps.ttest_1samp(y - x, 0).pvalue)
    assert unpaired_difference(x, y)["p_value"] == pytest.approx(
        sps.ttest_ind(y, x, equal_var=False).pvalue)
