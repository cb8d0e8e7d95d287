"""negsim tornado: one-at-a-time sensitivity on common random numbers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats as sps

import sim
from sim.operations.tornado import default_measure, quantiles
from tests.conftest import POISSON, TORNADO, invoke, negsim

RATE = "actors.side_a.violation_rate"
DETECTION = "truce.monitoring.detection.side_a"
HELD = "first_truce_held"


@pytest.fixture(scope="module")
def small() -> sim.TornadoResult:
    return sim.tornado(TORNADO, runs=300, seed=5, outcome=HELD)


def test_quantiles_are_the_distributions_10th_and_90th_percentiles() -> None:
    lo, mode, hi = 0.05, 0.12, 0.25  # triangular inverse CDF, worked by hand
    by_hand = (lo + math.sqrt(0.1 * (hi - lo) * (mode - lo)),
               hi - math.sqrt(0.1 * (hi - lo) * (hi - mode)))
    assert quantiles({"triangular": [lo, mode, hi]}) == pytest.approx(by_hand, abs=1e-12)
    assert quantiles({"uniform": [0.2, 0.8]}) == pytest.approx((0.26, 0.74), abs=1e-12)
    assert quantiles({"normal": [1.0, 2.0]}) == pytest.approx((1 - 2 * 1.2815515655446004,
                                                                1 + 2 * 1.2815515655446004))
    assert quantiles({"choice": [3.0, 1.0, 2.0]}) == (1.0, 3.0)  # of the sorted values
    assert quantiles({"uniform": [0.4, 0.4]}) == (0.4, 0.4)


def test_a_normal_tail_outside_the_field_is_clipped_as_the_engine_clips_draws() -> None:
    text = TORNADO.read_text().replace("{uniform: [0.9, 1.0]}", "{normal: [0.95, 0.2]}")
    result = sim.tornado(text, runs=20, seed=1)
    row = next(r for r in result.data["levers"] if r["path"] == DETECTION)
    assert row["low"] == pytest.approx(0.95 - 0.2 * 1.2815515655446004)
    assert row["high"] == 1.0  # 1.206 clipped to the probability's range


def test_the_wide_rate_ranks_first_and_both_inputs_lower_the_chance_the_truce_holds(
        small: sim.TornadoResult) -> None:
    base = small.data["base"]  # no negotiation: by default, the most frequent outcome
    assert default_measure(small.data) == max([HELD, "truce_collapsed"], key=base.__getitem__)
    first, second = small.ranked
    assert [first["path"], second["path"]] == [RATE, DETECTION]
    rate, detection = first["measures"][HELD], second["measures"][HELD]
    assert rate["swing"] < detection["swing"] < 0
    assert rate["low"]["ci"][0] > 0 > rate["high"]["ci"][1]  # paired intervals exclude 0


def test_each_arm_equals_a_run_with_the_input_fixed_at_its_percentile(
        small: sim.TornadoResult) -> None:
    base = sim.run(TORNADO, runs=300, seed=5, plots=False)
    assert small.data["base"][HELD] == base.summary["outcomes"][HELD]["p"]
    for side, q in (("low", 0.26), ("high", 0.74)):
        fixed = sim.run(TORNADO, runs=300, seed=5, overrides={RATE: q}, plots=False)
        row = next(r for r in small.data["levers"] if r["path"] == RATE)
        assert row[side] == pytest.approx(q, abs=1e-12)
        assert row["measures"][HELD][side]["value"] == fixed.summary["outcomes"][HELD]["p"]


def test_the_table_is_tidy_one_row_per_input_and_measure(small: sim.TornadoResult) -> None:
    table = small.table
    assert list(table["input"].unique()) == [RATE, DETECTION]
    assert set(table["measure"]) == {HELD, "truce_collapsed"}
    row = table[(table["input"] == RATE) & (table["measure"] == HELD)].iloc[0]
    assert row["swing"] == pytest.approx(row["high_diff"] - row["low_diff"])
    assert row["low_value"] == pytest.approx(row["base"] + row["low_diff"])
    assert row["low_ci_low"] <= row["low_diff"] <= row["low_ci_high"]
    collapsed = table[(table["input"] == RATE) & (table["measure"] == "truce_collapsed")]
    assert collapsed.iloc[0]["swing"] == pytest.approx(-row["swing"])  # the two outcomes sum to 1


@pytest.mark.slow
def test_the_low_arm_matches_the_poisson_closed_form() -> None:
    n = 4000
    result = sim.tornado(TORNADO, runs=n, seed=11)
    row = next(r for r in result.data["levers"] if r["path"] == RATE)
    for side, lam in (("low", 0.26), ("high", 0.74)):
        d = np.linspace(0.9, 1.0, 2001)  # detection stays drawn: uniform on [0.9, 1]
        want = float(np.mean(sps.poisson.cdf(4, lam * d * 10)))
        got = row["measures"][HELD][side]["value"]
        assert abs(got - want) < 4 * math.sqrt(want * (1 - want) / n)


def test_a_negotiating_scenario_ranks_by_p_deal_with_a_median_deal_day() -> None:
    text = (POISSON.parent / "trade_talks.yaml").read_text()
    result = sim.tornado(text, runs=40, seed=2,
                         levers=["negotiation.parties.arland.weights.tariff_cut=0.2,0.6"])
    assert result.measure == default_measure(result.data) != "deal"  # an outcome by default
    assert {"deal", "median_deal_day"} <= set(result.data["measures"])


@pytest.mark.slow
def test_cli_prints_the_table_and_writes_a_verified_folder(tmp_path) -> None:
    out = tmp_path / "t"
    r = invoke("tornado", TORNADO, "-n", 60, "--seed", 5, "--out", out, "--workers", 1)
    assert r.exit_code == 0, r.output
    assert "Tornado of P(first truce held) (base 0.550)" in r.output  # the more frequent
    assert r.output.index("violation_rate") < r.output.index("detection")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "tornado.json",
                                                     "tornado.png"]
    assert sim.verify(out)["kind"] == "tornado"
    again = invoke("tornado", TORNADO, "-n", 60, "--out", out)
    assert again.exit_code == 2 and "exists already" in again.output
    forced = invoke("tornado", TORNADO, "-n", 60, "--out", out, "--force", "--json",
                    "--no-plots", "--outcome", "truce_collapsed")
    assert forced.exit_code == 0, forced.output
    data = json.loads(forced.output)
    assert data["rank_by"] == "truce_collapsed" and data["folder"] == str(out)
    assert not (out / "tornado.png").exists()


@pytest.mark.slow
def test_subprocess_json(tmp_path) -> None:
    p = negsim("tornado", TORNADO, "-n", 30, "--json", "--out", tmp_path / "t", "-w", "1")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert [r["path"] for r in data["levers"]] == [RATE, DETECTION]


@pytest.mark.parametrize(("args", "says"), [
    (["--set", "actors.side_b.violation_rate=0.1,0.2"], "side_b"),
    (["--set", f"{RATE}=0.1"], "PATH=LOW,HIGH"),
    (["--outcome", "deal"], "'deal'"),
])
def test_bad_levers_and_outcomes_exit_2_with_one_line(args: list[str], says: str,
                                                     tmp_path) -> None:
    r = invoke("tornado", TORNADO, "-n", 10, "--out", tmp_path / "t", *args)
    assert r.exit_code == 2
    assert says in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert not (tmp_path / "t").exists()


def test_a_scenario_without_drawn_inputs_exits_2_with_one_line(tmp_path) -> None:
    r = invoke("tornado", POISSON, "-n", 10, "--out", tmp_path / "t")
    assert r.exit_code == 2
    assert "no drawn inputs" in r.output and len(r.output.strip().splitlines()) == 1
    with_lever = invoke("tornado", POISSON, "-n", 10, "--out", tmp_path / "t", "--json",
                        "--set", f"{RATE}=0.3,0.7")
    assert with_lever.exit_code == 0, with_lever.output
    row = json.loads(with_lever.output)["levers"][0]
    assert (row["path"], row["low"], row["high"], row["source"]) == (RATE, 0.3, 0.7, "set")
    assert row["measures"][HELD]["swing"] < 0
