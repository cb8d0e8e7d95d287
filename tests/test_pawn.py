"""PAWN beside SRC: a non-linear effect the linear fit cannot see still shows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import qmc

import sim
from sim.stats import sensitivity
from sim.stats.pawn import pawn, slices
from tests.conftest import POISSON

N = 400


@pytest.fixture(scope="module")
def valley() -> tuple[np.ndarray, np.ndarray]:
    """y = |x1 - 0.5| on a Latin hypercube: no linear trend in x1, none at all in x2."""
    x = qmc.LatinHypercube(d=2, seed=3).random(N)
    return x, np.abs(x[:, 0] - 0.5)


def test_pawn_sees_a_valley_that_src_misses(valley: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = valley
    fit = sensitivity.src(x, y, ["x1", "x2"])
    assert abs(fit["parameters"]["x1"]["src"]) < 4 / np.sqrt(N)  # SRC ~ N(0, 1/N) here
    got = pawn(x, y, ["x1", "x2"])
    # slice k of x1 holds |x1 - 0.5| in a band of width 0.1 (1/5 of y's range) on one side
    # of the middle: the KS distance to y, uniform on [0, 0.5], is at least 0.6 in each
    assert got["x1"]["pawn"] >= 0.6 - 2 / np.sqrt(N / 10)
    assert got["x1"]["pawn_real"] and not got["x2"]["pawn_real"]
    assert got["x2"]["pawn"] < got["x2"]["pawn_null"]


def test_pawn_agrees_with_salib(valley: tuple[np.ndarray, np.ndarray]) -> None:
    salib = pytest.importorskip("SALib.analyze.pawn")
    x, y = valley
    theirs = salib.analyze({"num_vars": 2, "names": ["x1", "x2"],
                            "bounds": [[0, 1], [0, 1]]}, x, y, S=10)["median"]
    ours = pawn(x, y, ["x1", "x2"])
    # SALib leaves the largest x out of its last slice; one point in a slice of N/10 moves
    # a KS distance by at most 1/(N/10 - 1)
    for k, name in enumerate(["x1", "x2"]):
        assert ours[name]["pawn"] == pytest.approx(theirs[k], abs=1 / (N / 10 - 1))


def test_a_weak_src_with_a_real_pawn_is_non_linear_not_noise(
        valley: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = valley
    res = sensitivity.src(x, y, ["x1", "x2"])
    for name, cell in pawn(x, y, ["x1", "x2"]).items():
        res["parameters"][name].update(cell)
    res["r2"] = 0.99  # as if the linear fit explained the spread: only PAWN can tell
    sensitivity.mark_noise(res, 0.0)
    assert res["parameters"]["x1"]["nonlinear"] and not res["parameters"]["x1"]["noise"]
    assert res["parameters"]["x2"]["noise"]


def test_grid_levels_are_the_slices() -> None:
    x = np.repeat([0.1, 0.2, 0.3], 4)
    assert [s.tolist() for s in slices(x)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert [s.size for s in slices(np.arange(35.0))] == [12, 11, 12]  # 3 of >= 10 points


@pytest.mark.slow
def test_a_sweep_reports_pawn_beside_src_in_its_importance_table(tmp_path) -> None:
    result = sim.sweep(POISSON, {"actors.side_a.violation_rate": "0.1..1.0"},
                       sample="lhs:40", runs=100, out=tmp_path / "s", plots_too=False)
    table = result.importance
    row = table[(table["outcome"] == "first_truce_held")].iloc[0]
    assert row["method"] == "src" and row["rank"] == 1
    assert row["src"] < 0 and row["pawn"] > row["pawn_null"]  # rate lowers P(held)
    assert 0.9 < row["r2"] <= 1.0


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 80), m=st.integers(1, 80),
       grid=st.sampled_from([None, 1, 2, 5]), nan=st.booleans())
def test_the_ks_distance_is_scipys_statistic(seed: int, n: int, m: int, grid: int | None,
                                             nan: bool) -> None:
    """``ks_distance`` against ``scipy.stats.ks_2samp(...).statistic``, bit for bit: ties
    (values on a grid, shares of 0 and 1 as a sweep's outcomes are), one sample inside the
    other (a slice against all outputs, as PAWN asks), and NaN."""
    from scipy.stats import ks_2samp

    from sim.stats.pawn import ks_distance

    rng = np.random.default_rng(seed)
    b = rng.normal(0, 1, m)
    if grid is not None:
        b = np.round(b * grid) / grid
    a = b[rng.choice(m, min(n, m), replace=False)] if n <= m else rng.normal(0, 1, n)
    if nan:
        b[rng.integers(0, m)] = np.nan
    want = float(ks_2samp(a, b).statistic)
    got = ks_distance(a, b)
    assert got.hex() == want.hex() or (np.isnan(got) and np.isnan(want))


def test_the_ks_distance_beyond_scipys_exact_mode_is_its_statistic() -> None:
    """Above 10,000 points scipy leaves the distance unrounded (its asymptotic mode)."""
    from scipy.stats import ks_2samp

    from sim.stats.pawn import KS_EXACT, ks_distance

    rng = np.random.default_rng(7)
    b = np.round(rng.normal(0, 1, KS_EXACT + 1), 2)
    for a in (b[:777], b[::3], rng.normal(0.1, 1, 600)):
        assert ks_distance(a, b).hex() == float(ks_2samp(a, b).statistic).hex()
