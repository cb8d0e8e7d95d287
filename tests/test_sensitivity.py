"""Sensitivity (sim.stats.sensitivity): pure checks on synthetic data, then a real sweep where one
swept parameter is known to do nothing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.output import render
from sim.running.design import build, parse_spec
from sim.stats import sensitivity
from tests.conftest import POISSON, same_table

POISSON_OUTCOMES = ("first_truce_held", "truce_collapsed")


def sobol_design(n: int, *ranges: str, seed: int = 0) -> np.ndarray:
    d = build([parse_spec(r) for r in ranges], sample=f"sobol:{n}", seed=seed)
    return np.array([[p[q] for q in d.paths] for p in d.points])


# --- standardized regression coefficients ---------------------------------------------------


def test_src_ranks_the_driving_parameter_first_with_src_near_1() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(200, 2))
    y = 2 * x[:, 0] + rng.normal(0, 0.05, 200)  # x2 irrelevant
    res = sensitivity.src(x, y, ["x1", "x2"])
    assert sensitivity.rank(res) == ["x1", "x2"]
    p = res["parameters"]
    assert p["x1"]["src"] == pytest.approx(1.0, abs=0.02)
    assert abs(p["x2"]["src"]) < 0.05
    assert p["x1"]["t"] > 50
    assert p["x1"]["p_value"] < 1e-12
    assert p["x2"]["p_value"] > 1e-4
    assert res["r2"] == pytest.approx(0.99, abs=0.01)


def test_src_sign_follows_the_effect_and_rank_uses_its_magnitude() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, size=(100, 3))
    y = 0.2 * x[:, 0] - 3 * x[:, 1] + rng.normal(0, 0.01, 100)
    res = sensitivity.src(x, y, ["a", "b", "c"])
    assert res["parameters"]["b"]["src"] < -0.9
    assert res["parameters"]["a"]["src"] > 0
    assert sensitivity.rank(res) == ["b", "a", "c"]


def test_src_of_an_exact_linear_function_on_a_grid_is_exact() -> None:
    # On a balanced grid the columns are orthogonal: SRC_i = b_i sd(x_i) / sd(y).
    g = np.array([(a, b) for a in (0.0, 0.5, 1.0) for b in (0.0, 1.0, 2.0)])
    y = 3 * g[:, 0] + 0 * g[:, 1]
    res = sensitivity.src(g, y, ["a", "b"])
    assert res["parameters"]["a"]["src"] == pytest.approx(1.0)
    assert res["parameters"]["b"]["src"] == pytest.approx(0.0, abs=1e-12)
    assert res["r2"] == pytest.approx(1.0)
    assert sensitivity.rank(res) == ["a", "b"]


def test_src_gives_zero_to_a_constant_column() -> None:
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.uniform(size=20), np.full(20, 0.3)])
    res = sensitivity.src(x, x[:, 0] * 2, ["moves", "fixed"])
    # 0.3 repeated has a round-off standard deviation (~6e-17), so allow round-off here.
    assert res["parameters"]["fixed"]["src"] == pytest.approx(0.0, abs=1e-12)
    assert res["parameters"]["moves"]["src"] == pytest.approx(1.0)
    assert sensitivity.rank(res) == ["moves", "fixed"]
    exact = sensitivity.src(np.column_stack([x[:, 0], np.full(20, 0.5)]), x[:, 0] * 2,
                            ["moves", "fixed"])
    assert exact["parameters"]["fixed"] == {"src": 0.0, "t": 0.0}


@pytest.mark.parametrize("level", [0.5, 0.0, 0.4, 0.57, 0.123])
def test_src_of_a_constant_output_reports_no_fit_whatever_the_constant(level: float) -> None:
    # An outcome with the same probability at every point has nothing to explain: no r2,
    # zero coefficients, no significance. np.std of a repeated 0.4 or 0.57 is ~6e-17, not 0,
    # and must not be taken for variation.
    rng = np.random.default_rng(3)
    x = np.column_stack([np.linspace(0, 1, 20), rng.uniform(size=20)])
    res = sensitivity.src(x, np.full(20, level), ["a", "b"])
    assert res["r2"] is None, res
    for name, v in res["parameters"].items():
        assert v["src"] == pytest.approx(0.0, abs=1e-12), (name, v)
        assert v.get("p_value", 1.0) > 0.05 and abs(v["t"]) < 1e6, (name, v)


def test_src_of_a_constant_output_with_a_constant_column_invents_no_effect() -> None:
    x = np.column_stack([np.linspace(0, 1, 20), np.full(20, 0.3)])
    res = sensitivity.src(x, np.full(20, 0.4), ["moves", "fixed"])
    assert res["r2"] is None, res
    assert all(abs(v["src"]) < 1e-12 for v in res["parameters"].values()), res


def test_src_with_too_few_points_for_the_fit_reports_not_estimable() -> None:
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    res = sensitivity.src(x, np.array([0.1, 0.2, 0.3]), ["a", "b"])
    assert res["r2"] is None
    assert all(v["src"] is None for v in res["parameters"].values())


def test_src_of_parameters_varied_in_lockstep_is_not_estimable() -> None:
    # --zip: b = 1 - a at every point, so no design could tell their effects apart; c varies
    # on its own and keeps its coefficient.
    rng = np.random.default_rng(4)
    a, c = rng.uniform(size=30), rng.uniform(size=30)
    x = np.column_stack([a, 1 - a, c])
    res = sensitivity.src(x, 2 * a + c + rng.normal(0, 0.01, 30), ["a", "b", "c"])
    p = res["parameters"]
    assert p["a"]["src"] is None and p["b"]["src"] is None
    assert p["c"]["src"] > 0.3 and p["c"]["p_value"] < 1e-6
    assert sensitivity.rank(res)[0] == "c"


# --- Sobol indices ----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [64, 256])
def test_sobol_of_x1_plus_0_x2_gives_s1_1_and_s2_0(n: int) -> None:
    x = sobol_design(n, "x1=0..1", "x2=0..1")
    y = x[:, 0] + 0 * x[:, 1]
    res = sensitivity.sobol(y, n, ["x1", "x2"])
    p = res["parameters"]
    assert p["x1"]["first_order"] == pytest.approx(1.0, abs=0.02)
    assert p["x1"]["total_order"] == pytest.approx(1.0, abs=0.02)
    assert p["x2"]["first_order"] == pytest.approx(0.0, abs=1e-9)
    assert p["x2"]["total_order"] == pytest.approx(0.0, abs=1e-9)
    assert sensitivity.rank(res) == ["x1", "x2"]


def test_sobol_indices_carry_bootstrap_intervals_and_noise_marks() -> None:
    n = 128
    x = sobol_design(n, "x1=0..1", "x2=0..1", "x3=0..1", seed=2)
    rng = np.random.default_rng(0)
    y = x[:, 0] + 0.3 * x[:, 1] + rng.normal(0, 0.02, len(x))
    res = sensitivity.sobol(y, n, ["x1", "x2", "x3"])
    sensitivity.mark_noise(res, 0.01)
    p = res["parameters"]
    for name in ("x1", "x2", "x3"):
        lo, hi = p[name]["total_ci"]
        assert lo <= p[name]["total_order"] <= hi, name
        assert p[name]["first_ci"][0] <= p[name]["first_order"] <= p[name]["first_ci"][1]
    assert p["x1"]["total_ci"][0] > 0.5 and not p["x1"]["noise"]
    assert p["x3"]["noise"]  # no effect: its interval reaches 0
    assert sensitivity.sobol(y, n, ["x1", "x2", "x3"]) == sensitivity.sobol(
        y, n, ["x1", "x2", "x3"])  # the bootstrap is seeded


def test_src_marks_effects_noise_could_produce() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(40, 2))
    res = sensitivity.src(x, x[:, 0] + rng.normal(0, 0.05, 40), ["a", "b"])
    sensitivity.mark_noise(res, 0.0)
    assert not res["parameters"]["a"]["noise"] and res["parameters"]["b"]["noise"]


def test_sobol_of_an_additive_function_matches_the_variance_shares() -> None:
    # y = x1 + 2 x2 on [0,1]^2: Var = 1/12 + 4/12, so S1 = 0.2 and S2 = 0.8 (no interaction).
    n = 256
    x = sobol_design(n, "x1=0..1", "x2=0..1", seed=4)
    res = sensitivity.sobol(x[:, 0] + 2 * x[:, 1], n, ["x1", "x2"])
    p = res["parameters"]
    for name, share in (("x1", 0.2), ("x2", 0.8)):
        assert p[name]["first_order"] == pytest.approx(share, abs=0.02)
        assert p[name]["total_order"] == pytest.approx(share, abs=0.02)
    assert sensitivity.rank(res) == ["x2", "x1"]


def test_sobol_of_the_ishigami_function_matches_the_analytic_indices() -> None:
    n = 4096
    pi = math.pi
    x = sobol_design(n, f"x1=-{pi}..{pi}", f"x2=-{pi}..{pi}", f"x3=-{pi}..{pi}", seed=1)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    p = sensitivity.sobol(y, n, ["x1", "x2", "x3"])["parameters"]
    # Analytic (a = 7, b = 0.1): S = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437.
    expected = {"x1": (0.3139, 0.5576), "x2": (0.4424, 0.4424), "x3": (0.0, 0.2437)}
    for name, (s1, st) in expected.items():
        assert p[name]["first_order"] == pytest.approx(s1, abs=0.03), name
        assert p[name]["total_order"] == pytest.approx(st, abs=0.03), name


def test_sobol_of_a_constant_output_is_all_zero() -> None:
    res = sensitivity.sobol(np.full(8 * 4, 0.5), 8, ["a", "b"])
    zero = {"first_order": 0.0, "total_order": 0.0, "first_ci": [0.0, 0.0],
            "total_ci": [0.0, 0.0]}
    assert res == {"parameters": {"a": zero, "b": zero}, "constant": True}


def test_rank_uses_the_total_index_for_sobol_results() -> None:
    res = {"parameters": {"a": {"first_order": 0.5, "total_order": 0.1},
                          "b": {"first_order": 0.0, "total_order": 0.6}}}
    assert sensitivity.rank(res) == ["b", "a"]


# --- noise share ------------------------------------------------------------------------------


def test_noise_share_is_binomial_noise_over_observed_variance_capped_at_1() -> None:
    y = np.array([0.1, 0.5, 0.9])
    expected = np.mean(y * (1 - y) / 100) / np.var(y, ddof=1)
    assert sensitivity.noise_share(y, 100) == pytest.approx(expected)
    assert sensitivity.noise_share(np.array([0.5, 0.51]), 10) == 1.0
    assert sensitivity.noise_share(np.array([0.3, 0.3, 0.3]), 10) == 1.0
    assert sensitivity.noise_share(np.array([0.0, 0.0]), 10) is None
    assert sensitivity.noise_share(np.array([1.0, 1.0]), 10) is None


# --- a real sweep with a parameter the scenario ignores ---------------------------------------


@pytest.mark.slow
def test_a_parameter_with_no_effect_ranks_last_with_src_0(tmp_path: Path) -> None:
    # truce_poisson has no spoilers, so side_a's attack_rate is never used: the grid over it
    # must leave every replication unchanged (same streams), and the ranking must say so.
    out = tmp_path / "sweep"
    result = CliRunner().invoke(main, [
        "sweep", str(POISSON), "-n", "300", "--workers", "1", "--out", str(out), "--json",
        "--no-plots", "--set", "truce.breakdown.violations=3,5,7",
        "--set", "actors.side_a.attack_rate=0,1,2"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    points = summary["points"]
    assert len(points) == 9

    # It really has no effect: the same violations value gives identical replications.
    by_violations: dict[int, list[dict]] = {}
    for p in points:
        by_violations.setdefault(p["values"]["truce.breakdown.violations"], []).append(p)
    for group in by_violations.values():
        assert [p["values"]["actors.side_a.attack_rate"] for p in group] == [0, 1, 2]
        assert all(p["outcomes"] == group[0]["outcomes"] for p in group)
        assert all(p["metrics"] == group[0]["metrics"] for p in group)
        tables = [pq.read_table(out / "points" / f"{p['point']:05d}.parquet") for p in group]
        tables = [t.select([c for c in t.column_names if c not in p["values"] and c != "point"])
                  for t in tables]
        assert all(same_table(t, tables[0]) for t in tables)
    # ... while the breakdown threshold does.
    holds = {v: g[0]["outcomes"]["first_truce_held"]["p"] for v, g in by_violations.items()}
    assert holds[3] < holds[5] < holds[7]

    sens = summary["sensitivity"]
    assert set(sens) == set(POISSON_OUTCOMES)
    for name, res in sens.items():
        assert res["method"] == "src"
        assert res["ranking"][-1] == "actors.side_a.attack_rate", (name, res)
        assert abs(res["parameters"]["actors.side_a.attack_rate"]["src"]) < 1e-9, (name, res)
    for name in POISSON_OUTCOMES:
        res = sens[name]
        assert res["ranking"] == ["truce.breakdown.violations", "actors.side_a.attack_rate"]
        assert abs(res["parameters"]["truce.breakdown.violations"]["src"]) > 0.9
        assert res["r2"] > 0.8
        assert 0 < res["noise_share"] < 1
    assert summary.pop("folder") == str(out)
    assert summary == json.loads((out / "summary.json").read_text())


@pytest.mark.slow
def test_an_outcome_constant_across_a_real_sweep_gets_no_fit(tmp_path: Path) -> None:
    # Sweeping only the ignored attack_rate leaves every outcome exactly where it was
    # (common random numbers): P(first_truce_held) = 0.43 and P(truce_collapsed) = 0.57 at all 20
    # points. Both outcomes must be reported alike: nothing to explain, no fit.
    out = tmp_path / "sweep"
    result = CliRunner().invoke(main, [
        "sweep", str(POISSON), "-n", "300", "--workers", "1", "--out", str(out), "--json",
        "--no-plots", "--set", "actors.side_a.attack_rate=0:2:20"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for name in POISSON_OUTCOMES:
        ps = {p["outcomes"][name]["p"] for p in summary["points"]}
        assert len(ps) == 1, (name, ps)
        res = summary["sensitivity"][name]
        assert res["r2"] is None, (name, res)
        assert res["parameters"]["actors.side_a.attack_rate"]["src"] == 0.0, (name, res)


def test_a_zipped_sweep_prints_src_not_estimable(tmp_path: Path) -> None:
    # In lockstep, horizon_days = 5 * violations - 5 at every point: no design can separate them.
    result = CliRunner().invoke(main, [
        "sweep", str(POISSON), "-n", "30", "--workers", "1", "--no-plots", "--zip",
        "--out", str(tmp_path / "sweep"), "--set", "truce.breakdown.violations=3,5,7",
        "--set", "horizon_days=10,20,30"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "SRC not estimable" in text and "+0.00" not in text
    summary = json.loads((tmp_path / "sweep" / "summary.json").read_text())
    for res in summary["sensitivity"].values():
        assert all(v["src"] is None for v in res["parameters"].values())


# --- issue 23: labels that do not mislead ------------------------------------------------------


def test_a_real_non_linear_effect_is_not_marked_noise() -> None:
    # y = (x - 0.5)^2: a strong effect with no linear part; noise is 3% of the spread.
    x = np.linspace(0, 1, 21)[:, None]
    res = sensitivity.src(x, (x[:, 0] - 0.5) ** 2, ["a"])
    sensitivity.mark_noise(res, 0.03)
    assert res["r2"] < 0.1
    assert res["parameters"]["a"]["noise"] is False and res["parameters"]["a"]["nonlinear"]
    line = render.sensitivity_line("no_deal", {**res, "method": "src", "ranking": ["a"],
                                               "noise_share": 0.03})
    assert "(noise?)" not in line and "(non-linear?)" in line and "R^2 0.00" in line


def test_a_weak_effect_within_noise_is_still_marked_noise() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(40, 1))
    res = sensitivity.src(x, rng.normal(0, 0.05, 40), ["a"])
    sensitivity.mark_noise(res, 1.0)
    assert res["parameters"]["a"]["noise"] and not res["parameters"]["a"]["nonlinear"]


def test_sobol_indices_and_their_intervals_stay_in_0_1() -> None:
    # Few points of a noisy output: the raw estimators stray far outside [0, 1].
    rng = np.random.default_rng(0)
    n = 8
    res = sensitivity.sobol(rng.normal(size=n * 4), n, ["a", "b"])
    for v in res["parameters"].values():
        for x in (v["first_order"], v["total_order"], *v["first_ci"], *v["total_ci"]):
            assert 0.0 <= x <= 1.0


def test_a_constant_outcome_says_so_instead_of_src_zero() -> None:
    x = np.linspace(0, 1, 10)[:, None]
    res = sensitivity.src(x, np.full(10, 0.43), ["a"])
    sensitivity.mark_noise(res, None)
    assert res["constant"] and "noise" not in res["parameters"]["a"]
    line = render.sensitivity_line("held", {**res, "method": "src", "ranking": ["a"]},
                                   [0.43] * 10)
    assert line == "held: constant across the points (p = 0.430 at every point): no parameter " \
        "moves it"
    assert "SRC" not in line
