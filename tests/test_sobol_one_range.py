"""Sobol indices of a sweep with one swept range (d = 1).

scipy's ``sobol_indices`` squeezes its (first, total) result: with one output and one parameter
both indices came back as numpy scalars and scipy itself then failed on them (``TypeError:
'numpy.float64' object does not support item assignment``), after every point had run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.running.design import build, parse_spec
from sim.stats import sensitivity
from tests.conftest import POISSON, invoke

RANGE = "actors.side_a.violation_rate=0.2..0.8"


def saltelli(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[float, float]:
    """Saltelli (2010), as scipy defines it: outputs centred on the mean of A and B, the
    variance of A and B pooled, S = mean(f_B (f_AB - f_A)) / V, ST = mean((f_A - f_AB)^2) / 2V."""
    m = np.mean(np.concatenate([f_a, f_b]))
    a, b, ab = f_a - m, f_b - m, f_ab - m
    var = np.var(np.concatenate([a, b]))
    return float(np.mean(b * (ab - a)) / var), float(0.5 * np.mean((a - ab) ** 2) / var)


def test_one_parameter_gives_the_saltelli_estimates() -> None:
    n = 64
    rng = np.random.default_rng(3)
    f_a, f_b = rng.uniform(size=n), rng.uniform(size=n)
    f_ab = 0.7 * f_b + 0.3 * rng.uniform(size=n)  # a page that is neither A nor B
    res = sensitivity.sobol(np.concatenate([f_a, f_b, f_ab]), n, ["x"])
    s1, st = saltelli(f_a, f_b, f_ab)
    assert 0.0 < s1 < 1.0 and 0.0 < st < 1.0  # inside [0, 1], so no clipping hides a mismatch
    p = res["parameters"]["x"]
    assert p["first_order"] == pytest.approx(s1, rel=1e-12)
    assert p["total_order"] == pytest.approx(st, rel=1e-12)
    assert p["first_ci"][0] <= p["first_order"] <= p["first_ci"][1]
    assert p["total_ci"][0] <= p["total_order"] <= p["total_ci"][1]


def test_one_parameter_equals_the_first_of_two_with_the_same_page() -> None:
    # Each parameter's indices, and its bootstrap interval (same seeded resamples), depend on
    # A, B and its own page alone: d = 1 must give what d = 2 gives for that parameter.
    n = 32
    rng = np.random.default_rng(5)
    y = rng.uniform(size=3 * n)
    one = sensitivity.sobol(y, n, ["x"])
    two = sensitivity.sobol(np.concatenate([y, rng.uniform(size=n)]), n, ["x", "z"])
    assert one["parameters"]["x"] == two["parameters"]["x"]


def test_f_of_x_equal_to_x_gives_first_and_total_index_1() -> None:
    # For d = 1 the design's AB page is B itself. With a = f_A, b = f_B centred on their pooled
    # mean: ST = 1 - 2 sum(ab) / (sum(a^2) + sum(b^2)) and
    # S1 = 1 + (sum(b^2) - sum(a^2) - 2 sum(ab)) / (sum(a^2) + sum(b^2)). For x uniform on
    # [0, 1] drawn independently (Var x = 1/12, Var x^2 centred = 1/180), sum(ab) / n has sd
    # (1/12) / sqrt(n), so SD(ST) ~ 1 / sqrt(n) and SD(S1) ~ sqrt(1 + 0.4) / sqrt(n) < 1.2 /
    # sqrt(n). Four such sds, 4.8 / sqrt(n), bound the Monte Carlo error.
    n = 1024
    tol = 4.8 / math.sqrt(n)
    rng = np.random.default_rng(11)
    f_a, f_b = rng.uniform(size=n), rng.uniform(size=n)
    p = sensitivity.sobol(np.concatenate([f_a, f_b, f_b]), n, ["x"])["parameters"]["x"]
    s1, st = saltelli(f_a, f_b, f_b)
    assert p["first_order"] == pytest.approx(min(1.0, s1), rel=1e-12)
    assert p["total_order"] == pytest.approx(min(1.0, st), rel=1e-12)
    assert p["first_order"] == pytest.approx(1.0, abs=tol)
    assert p["total_order"] == pytest.approx(1.0, abs=tol)

    # The sweep's own (scrambled Sobol) design for one range, f(x) = x on [0, 1].
    design = build([parse_spec("x=0..1")], sample=f"sobol:{n}", seed=0)
    x = np.array([pt["x"] for pt in design.points])
    assert np.array_equal(x[2 * n:], x[n:2 * n])  # AB_1 = B when there is one column
    res = sensitivity.sobol(x, n, ["x"])
    sensitivity.mark_noise(res, 0.0)
    q = res["parameters"]["x"]
    assert q["first_order"] == pytest.approx(1.0, abs=tol)
    assert q["total_order"] == pytest.approx(1.0, abs=tol)
    assert q["total_ci"][0] > 0.5 and not q["noise"]
    assert sensitivity.rank(res) == ["x"]


def test_a_constant_output_of_one_parameter_is_zero() -> None:
    res = sensitivity.sobol(np.full(3 * 8, 0.25), 8, ["x"])
    assert res["constant"] and res["parameters"]["x"]["total_order"] == 0.0


def test_a_resample_without_variance_gives_zero_not_an_error() -> None:
    # Two distinct values only: many bootstrap resamples of 4 rows are constant (variance 0),
    # which scipy turns into 0 by assigning into the result: that needs arrays, not scalars.
    y = np.array([0.0, 0.0, 0.0, 1.0] * 3)
    p = sensitivity.sobol(y, 4, ["x"])["parameters"]["x"]
    assert all(0.0 <= v <= 1.0 for v in (*p["first_ci"], *p["total_ci"]))


def test_one_range_sobol_sweep_completes_and_verifies(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = invoke("sweep", POISSON, "-n", 5, "-w", 1, "--no-plots", "--sample", "sobol:4",
                    "--set", RANGE, "--out", out)
    assert result.exit_code == 0, result.output
    check = invoke("verify", out)
    assert check.exit_code == 0 and "complete" in check.output, check.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == "sobol" and len(summary["points"]) == 4 * 3
    for res in summary["sensitivity"].values():
        assert res["method"] == "sobol" and res["ranking"] == ["actors.side_a.violation_rate"]
        v = res["parameters"]["actors.side_a.violation_rate"]
        assert 0.0 <= v["first_order"] <= 1.0 and 0.0 <= v["total_order"] <= 1.0


def test_a_one_range_sobol_sweep_left_without_its_analysis_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What the bug left behind: every point stored, then the analysis failed, no summary.
    out = tmp_path / "sweep"
    with monkeypatch.context() as m:
        def fail(*_: object) -> None:
            raise TypeError("'numpy.float64' object does not support item assignment")

        m.setattr(sensitivity, "_indices", fail)
        crashed = invoke("sweep", POISSON, "-n", 5, "-w", 1, "--no-plots", "--sample",
                         "sobol:4", "--set", RANGE, "--out", out)
    assert crashed.exit_code != 0 and not (out / "summary.json").exists()
    result = invoke("sweep", "--resume", out, "-w", 1, "--no-plots")
    assert result.exit_code == 0, result.output
    check = invoke("verify", out)
    assert check.exit_code == 0 and "complete" in check.output, check.output
