"""The outcome taxonomy: categories that say what happened, per scenario, summing to 1."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from scipy import stats as sps

import sim
from sim.cli import main
from sim.engine import Plan, run_replication
from sim.engine.outcomes import GROUPS, OUTCOMES, REGISTRY, is_input, possible
from sim.operations import comparison as cmp
from sim.scenario import load, loads
from tests.conftest import EXAMPLES, FLAGSHIP, SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))
TRUCE_NAMES = {"first_truce_held", "first_truce_too_young", "renewed_truce_active",
               "deal_truce_pending", "truce_collapsed"}

# One meeting on day 1 where A offers x = 0.6 and B (reservation 0.5) accepts, deterministically.
QUICK_DEAL = """
format: 2
name: quick_deal
title: A deal on day 1
description: Deterministic acceptance; the truce it starts waits DELAY days.
start: 2020-01-01
horizon_days: 10
seed: 3
runs: 50
actors:
  a: {label: A, violation_rate: 0.2}
  b: {label: B, violation_rate: 0.2}
negotiation:
  parties:
    a: {weights: {x: -1}, reservation: -0.65, e: 1, k: 1, tau: 0, noise: 0}
    b: {weights: {x: 1}, reservation: 0.5, e: 1, k: 1, tau: 0, noise: 0}
  terms:
    x: [0, 0.2, 0.4, 0.6, 0.8, 1]
  meetings:
    scheduled:
      - {day: 1, label: the only meeting, host: a}
    rate_per_day: 0
  rounds_per_meeting: 2
truce:
  parties: [a, b]
  starts: on_deal
  delay_days: DELAY
  breakdown: {violations: 3}
"""


def test_every_outcome_has_a_one_line_meaning_and_a_documented_group() -> None:
    assert len(OUTCOMES) == len(set(OUTCOMES)) == 9
    for o in REGISTRY:
        assert o.meaning and "\n" not in o.meaning
        assert o.group in GROUPS


@pytest.mark.parametrize("path", [  # the two that take over a second run with `make test` only
    pytest.param(p, marks=pytest.mark.slow) if p.stem in {"dayton_1995", "ratified_treaty"} else p
    for p in SHIPPED], ids=lambda p: p.stem)
def test_categories_sum_to_one_for_every_shipped_scenario(path: Path) -> None:
    result = sim.run(path, runs=150)
    table = result.summary["outcomes"]
    assert list(table) == list(possible(load(path)))
    assert sum(o["count"] for o in table.values()) == 150
    assert math.isclose(sum(o["p"] for o in table.values()), 1.0)
    assert sum(g["count"] for g in result.summary["coarse"].values()) == 150


def test_a_scenario_without_a_truce_never_reports_a_truce_category() -> None:
    path = EXAMPLES / "labour_strike.yaml"
    assert not TRUCE_NAMES & set(possible(load(path)))
    result = sim.run(path, runs=300)
    seen = set(result.records.column("outcome").to_pylist())
    assert not TRUCE_NAMES & (seen | set(result.summary["outcomes"]))
    assert "deal_without_truce" in seen
    for metric in ("breakdowns", "truce_share", "violations_per_truce_day"):
        assert metric not in result.summary["metrics"]


def test_a_deal_whose_truce_has_not_started_at_the_horizon_is_deal_truce_pending() -> None:
    plan = Plan(loads(QUICK_DEAL.replace("DELAY", "20")))
    recs = [run_replication(plan, i) for i in range(20)]
    assert {r.outcome for r in recs} == {"deal_truce_pending"}
    assert all(r.deal and r.deal_day == 1.0 and r.truce_share == 0.0 for r in recs)
    started = [run_replication(Plan(loads(QUICK_DEAL.replace("DELAY", "2"))), i)
               for i in range(20)]
    assert "deal_truce_pending" not in {r.outcome for r in started}


def test_truce_only_scenario_can_end_only_as_first_truce_held_or_collapsed() -> None:
    assert possible(load(EXAMPLES / "truce_poisson.yaml")) == ("first_truce_held",
                                                              "truce_collapsed")


@pytest.mark.slow
def test_share_of_first_truces_held_equals_kaplan_meier_survival_at_the_horizon() -> None:
    # The truce starts on day 0, so the two estimators see the same first truces.
    n = 3000
    result = sim.run(EXAMPLES / "truce_poisson.yaml", runs=n, seed=11)
    share = result.summary["outcomes"]["first_truce_held"]["p"]
    km = result.summary["survival"]["s"][-1]
    assert abs(share - km) <= 4 * math.sqrt(share * (1 - share) / n)
    p = sps.poisson.cdf(4, 0.5 * 10)
    assert abs(share - p) <= 4 * math.sqrt(p * (1 - p) / n)


def test_a_certain_truce_breaking_shock_lowers_p_first_truce_held(tmp_path: Path) -> None:
    text = (EXAMPLES / "truce_poisson.yaml").read_text()
    shocked = tmp_path / "shocked.yaml"
    shocked.write_text(text.replace("name: truce_poisson", "name: shocked") + """
shocks:
  ambush:
    day: 9
    label: an ambush ends the truce
    probability: 1
    breaks_truce: true
""")
    result = sim.compare([EXAMPLES / "truce_poisson.yaml", shocked], runs=400, seed=5).data
    held = result["comparisons"][0]["diff"]["outcomes"]["first_truce_held"]
    assert result["paired"] and held["test"] == "mcnemar"
    assert held["diff"] < -0.3 and held["significant"]
    assert result["scenarios"][1]["outcomes"]["first_truce_held"]["count"] == 0


def test_continuous_outcomes_agree_with_the_record() -> None:
    plan = Plan(load(FLAGSHIP))
    for i in range(60):
        r = run_replication(plan, i)
        assert r.breakdowns is not None and 0 <= r.truce_share <= 1
        assert math.isclose(r.truce_share, r.days_under_truce / plan.horizon)
        if r.outcome in ("first_truce_held", "renewed_truce_active"):
            assert r.breakdowns == (0 if r.outcome == "first_truce_held" else r.breakdowns)
        if r.outcome == "renewed_truce_active":
            assert r.breakdowns >= 1
        if r.days_under_truce > 0:
            assert math.isclose(r.violations_per_truce_day,
                                sum(r.violations.values()) / r.days_under_truce)


def test_every_drawn_input_is_a_column_named_by_its_dotted_path() -> None:
    result = sim.run(FLAGSHIP, runs=40)
    inputs = [c for c in result.records.column_names if is_input(c)]
    assert "actors.russia.leverage.assad" in inputs and "deadline.credibility" in inputs
    plan = Plan(load(FLAGSHIP))
    for i in (0, 17, 39):
        drawn = plan.params(i).drawn
        assert set(drawn) == set(inputs)
        row = result.records.slice(i, 1).to_pylist()[0]
        assert all(row[k] == v for k, v in drawn.items())
    leverage = np.array(result.records.column("actors.russia.leverage.assad"))
    assert leverage.min() >= 0.3 and leverage.max() <= 0.8


@pytest.mark.slow
def test_parquet_nulls_count_the_inapplicable_values(tmp_path: Path) -> None:
    # The flagship as it is: some runs deal and some do not (Washington's sceptics must ratify).
    sim.run(FLAGSHIP, runs=300, out=tmp_path / "run")
    table = pq.read_table(tmp_path / "run" / "replications.parquet")
    col = table.column
    no_deal = int(pc.sum(pc.invert(col("deal"))).as_py())
    assert 0 < no_deal < table.num_rows
    assert col("deal_day").null_count == no_deal
    assert col("level_intel_sharing").null_count == no_deal
    never = int(pc.sum(pc.is_null(col("truce_start"))).as_py())
    assert col("truce_days").null_count == never
    no_days = int(pc.sum(pc.equal(col("days_under_truce"), 0.0)).as_py())
    assert col("violations_per_truce_day").null_count == no_days
    for field in table.schema:
        if field.type == "double":
            assert pc.sum(pc.is_nan(col(field.name))).as_py() in (0, None), field.name


def test_trace_accepts_the_new_outcome_names_and_refuses_impossible_ones() -> None:
    runner = CliRunner()
    path = str(EXAMPLES / "truce_poisson.yaml")
    ok = runner.invoke(main, ["trace", path, "--outcome", "first_truce_held"])
    assert ok.exit_code == 0, ok.output
    assert "END first_truce_held" in ok.output
    bad = runner.invoke(main, ["trace", path, "--outcome", "deal_without_truce"])
    assert bad.exit_code == 2
    assert "cannot occur in truce_poisson" in bad.output
    assert len(bad.output.strip().splitlines()) == 1


THREE_PARTY_TRUCE = """
format: 2
name: three_party_truce
title: Three parties under a truce, Poisson violations
description: Cheap to simulate, with an outcome and a metric per party to compare.
start: 2020-01-01
horizon_days: 20
seed: 1
runs: 100
actors:
  a: {label: A, violation_rate: 0.1}
  b: {label: B, violation_rate: 0.15}
  c: {label: C, violation_rate: 0.2}
truce:
  parties: [a, b, c]
  starts: 0
  breakdown: {violations: 6}
"""


@pytest.mark.slow
def test_compare_of_a_scenario_with_itself_under_other_seeds_rarely_stars() -> None:
    # Holm over every outcome and metric of a compare keeps P(any star) <= 5% when nothing
    # differs. Unpaired arms from different seeds, 60 compares: the number with any star is
    # at most Binomial(60, 0.05), whose 99.9% quantile is 9; without the whole-family
    # correction about a third of these compares would show a star.
    model = loads(THREE_PARTY_TRUCE)
    repeats, starred = 60, 0
    for k in range(repeats):
        arms = [cmp.Arm(label, model.name, "inline", THREE_PARTY_TRUCE, 0, model=model)
                for label in ("a", "b")]
        for j, arm in enumerate(arms):
            plan = Plan(model, 1000 + 2 * k + j)
            arm.table = pa.Table.from_pylist([run_replication(plan, i).row()
                                              for i in range(100)])
        result = cmp.analyse(arms, paired=False)
        rows = [d for kind in ("outcomes", "metrics")
                for d in result["comparisons"][0]["diff"][kind].values()]
        starred += any(d.get("significant") for d in rows)
        assert result["family"]["size"] >= 10
    assert starred <= sps.binom.ppf(0.999, repeats, 0.05)
