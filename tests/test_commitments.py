"""Staged and conditional commitments, wider targets, several patrons, interaction utilities
(issue 21, items 4 and 5; docs/model.md, section 7). Closed forms within 4 standard errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine import play, run_replication
from sim.engine.worth import expected_life, staged_share
from tests.conftest import plan_of

# One truce party violating as a Poisson process at mu = 1 from day 0 (a deal at day 0 on the
# only feasible offer starts it); EFFECT is replaced by each test's effects block.
BASE = """\
format: 2
name: staged
title: A staged effect on a Poisson truce
start: 2020-01-01
horizon_days: 90
seed: 3
actors:
  a: {label: A, violation_rate: 1.0}
  b: {label: B}
  p1: {label: Patron 1, leverage: {a: 0.5}}
  p2: {label: Patron 2, leverage: {a: 0.4}}
negotiation:
  parties:
    a: {weights: {x: 1, y: 0.5}}
    b: {weights: {x: -0.1}, reservation: -1}
  terms: {x: [0, 1], y: [0, 1]}
  constraints: [{by: b, term: x, min: 1}, {by: b, term: y, min: YMIN, max: YMAX}]
  meetings: {scheduled: [{day: 0}]}
truce:
  parties: [a]
  monitoring: {detection: {a: 0.4}}
EFFECTS
"""


def scenario(effects: str = "", y: int = 1) -> str:
    return (BASE.replace("EFFECTS", effects).replace("YMIN", str(y))
            .replace("YMAX", str(y)))


def counts(text: str, n: int, key: str = "violations") -> np.ndarray:
    plan = plan_of(text)
    recs = [run_replication(plan, i) for i in range(n)]
    assert all(r.deal_day == 0 and r.truce_start == 0 for r in recs)
    return np.array([getattr(r, key)["a"] for r in recs], dtype=float)


def within(values: np.ndarray, expected: float, k: float = 4.0) -> None:
    se = values.std(ddof=1) / math.sqrt(len(values))
    assert abs(values.mean() - expected) < k * se, (values.mean(), expected, se)


def test_an_effect_starting_30_days_after_the_truce_gives_30_mu_plus_f_mu_t_minus_30() -> None:
    effect = """effects:
  pullback:
    term: x
    target: a.violation_rate
    per_unit: -0.5
    starts: {after: truce, days: 30}
"""
    values = counts(scenario(effect), 400)
    within(values, 30 * 1.0 + 0.5 * 1.0 * (90 - 30))  # 60


def test_a_linear_ramp_gives_mu_times_r_one_plus_f_over_two_plus_f_t_minus_r() -> None:
    effect = """effects:
  pullback:
    term: x
    target: a.violation_rate
    per_unit: -0.5
    starts: {after: truce}
    ramp_days: 30
"""
    values = counts(scenario(effect), 400)
    within(values, 1.0 * (30 * (1 + 0.5) / 2 + 0.5 * (90 - 30)))  # 52.5


CONDITIONAL = """effects:
  pullback:
    term: x
    target: a.violation_rate
    per_unit: -0.5
    requires: {term: y, min: 0.5}
"""


def test_an_effect_whose_condition_fails_changes_no_record() -> None:
    inert, none = plan_of(scenario(CONDITIONAL, y=0)), plan_of(scenario("", y=0))
    for i in range(40):
        row = run_replication(inert, i).row()
        assert row.pop("effect_start_pullback") is None  # it never started
        assert row == run_replication(none, i).row()


def test_an_effect_whose_condition_holds_acts() -> None:
    within(counts(scenario(CONDITIONAL, y=1), 300), 0.5 * 90)


def test_an_effect_raising_detection_thins_the_observed_violations_from_its_start() -> None:
    effect = """effects:
  monitors:
    term: x
    target: truce.monitoring.detection.a
    per_unit: 0.5
    starts: {after: truce, days: 30}
"""
    values = counts(scenario(effect), 400, "observed")
    within(values, 1.0 * (0.4 * 30 + 0.6 * 60))  # lam d T by piece: 48
    within(counts(scenario(), 400, "observed"), 1.0 * 0.4 * 90)


def test_an_effect_through_two_patrons_uses_one_minus_the_product_of_failures() -> None:
    effect = """effects:
  pressure:
    term: x
    target: a.violation_rate
    per_unit: -1
    via: [p1.leverage.a, p2.leverage.a]
"""
    within(counts(scenario(effect), 300), (1 - (1 - (1 - 0.5) * (1 - 0.4))) * 90)  # 27


def test_a_shock_on_leverage_reaches_an_effect_in_force() -> None:
    effect = """effects:
  pressure:
    term: x
    target: a.violation_rate
    per_unit: -1
    via: p1.leverage.a
shocks:
  rift:
    day: 30
    label: the patron loses its grip
    target: p1.leverage.a
    factor: 0
"""
    within(counts(scenario(effect), 300), 0.5 * 30 + 1.0 * 60)  # 75


def test_a_party_outside_the_truce_is_brought_in_by_an_effect() -> None:
    outside = scenario().replace("monitoring: {detection: {a: 0.4}}", "covers: {a: 0}")
    assert counts(outside, 20).sum() == 0
    effect = """effects:
  joins:
    term: x
    target: truce.covers.a
    per_unit: 1
    starts: {after: truce, days: 30}
"""
    within(counts(outside + effect, 300), 60.0)


def test_a_shock_on_beta_gives_the_hawkes_mean_with_the_new_decay() -> None:
    text = scenario().replace("monitoring: {detection: {a: 0.4}}",
                              "alpha: {a: {a: 0.5}}\n  beta: 1.0") + """shocks:
  faster:
    day: 0
    label: quicker to calm down
    target: truce.beta
    factor: 2
"""
    mu, beta, n, t = 1.0, 2.0, 0.25, 90.0
    mean = mu * t / (1 - n) - mu * n * (1 - math.exp(-beta * (1 - n) * t)) / (beta * (1 - n) ** 2)
    within(counts(text, 300), mean)  # 119.78


def test_a_shock_on_the_meeting_rate_multiplies_the_meetings() -> None:
    text = """\
format: 2
name: slow_talks
title: Talks that never agree
start: 2020-01-01
horizon_days: 100
seed: 5
actors:
  a: {label: A}
  b: {label: B}
negotiation:
  parties:
    a: {weights: {x: 1}, reservation: 5}
    b: {weights: {x: -1}, reservation: 5}
  terms: {x: [0, 1]}
  meetings: {rate_per_day: 0.1}
shocks:
  push:
    day: 50
    label: a mediator pushes
    target: negotiation.meetings.rate_per_day
    factor: 3
"""
    plan = plan_of(text)
    values = np.array([run_replication(plan, i).meetings for i in range(300)], dtype=float)
    within(values, 0.1 * 50 + 0.3 * 50)  # 20


def test_an_effect_on_a_status_quo_moves_the_party_s_no_deal_value() -> None:
    effect = """effects:
  sanction:
    term: x
    target: b.status_quo
    per_unit: -0.25
"""
    world = play(plan_of(scenario(effect)), 0, tracing=True)
    assert any("status quo moves by -0.25" in e.text for e in world.story)


def test_a_second_effect_waits_for_the_first_to_start() -> None:
    effects = """effects:
  first:
    term: x
    target: a.violation_rate
    per_unit: -0.5
    starts: {after: truce, days: 20}
  second:
    term: x
    target: a.violation_rate
    per_unit: -0.5
    after_effect: first
    starts: {days: 30}
"""
    world = play(plan_of(scenario(effects)), 0, tracing=True)
    days = {e.text.split()[1].rstrip(":"): e.day for e in world.story if e.kind == "effect"}
    assert days == {"first": 20.0, "second": 50.0}
    assert world.record.row()["effect_start_second"] == 50.0  # the record's column
    # rate 1 for 20 days, 0.5 for 30, 0.25 for 40
    within(counts(scenario(effects), 300), 20 + 0.5 * 30 + 0.25 * 40)


def test_a_tied_effect_that_has_not_started_is_cancelled_at_breakdown() -> None:
    effect = """effects:
  late:
    term: x
    target: a.violation_rate
    per_unit: -0.5
    starts: {after: truce, days: 80}
    tied_to_truce: true
"""
    text = scenario(effect).replace("monitoring: {detection: {a: 0.4}}",
                                    "breakdown: {violations: 3}")
    world = play(plan_of(text), 0, tracing=True)
    assert world.record.truce_end < 80
    assert [e.text for e in world.story if e.kind == "effect"] == ["carrot cancelled: late"]


def test_several_patrons_combine_in_the_utilities() -> None:
    text = scenario().replace(
        "b: {weights: {x: -0.1}, reservation: -1}",
        "b: {weights: {x: 2}, reservation: -1}\n    p1: {weights: {x: -1}}\n"
        "    p2: {weights: {x: -0.5}}").replace(
        "  meetings: {scheduled", "  delivered_via: {x: [p1.leverage.a, p2.leverage.a]}\n"
        "  meetings: {scheduled")
    plan = plan_of(text)
    u = plan.params(0).utilities
    offer = int(np.flatnonzero((plan.offers[:, 0] == 1) & (plan.offers[:, 1] == 0))[0])
    assert u[1, offer] == pytest.approx(2 * (1 - (1 - 0.5) * (1 - 0.4)), abs=1e-12)  # 1.4
    assert u[2, offer] == pytest.approx(-1.0, abs=1e-12)  # each patron bears its full cost
    assert u[3, offer] == pytest.approx(-0.5, abs=1e-12)


INTERACTING = """\
format: 2
name: complements
title: Two terms worth more together
start: 2020-01-01
horizon_days: 10
actors:
  a: {label: A}
  b: {label: B}
negotiation:
  parties:
    a:
      weights: {x: 1, y: 0.5}
      interactions: [{terms: [x, y], weight: -0.3}]
    b: {weights: {x: -1}}
  terms: {x: [0, 0.5, 1], y: [0, 0.5, 1], z: [0, 1]}
  constraints: [CONSTRAINT]
  meetings: {scheduled: [{day: 1}]}
"""


def test_an_interaction_of_two_terms_adds_w_times_both_levels() -> None:
    plan = plan_of(INTERACTING.replace("CONSTRAINT", "{by: a, term: z, max: 0}"))
    u = plan.params(0).utilities[0]
    for k, (x, y, _) in enumerate(plan.offers):
        assert u[k] == pytest.approx(x + 0.5 * y - 0.3 * x * y, abs=1e-12)
    offer = int(np.flatnonzero((plan.offers[:, 0] == 1) & (plan.offers[:, 1] == 0.5))[0])
    assert u[offer] == pytest.approx(1.1, abs=1e-12)  # 1 + 0.25 - 0.15


def test_an_interaction_with_a_term_fixed_at_zero_changes_nothing() -> None:
    fixed = INTERACTING.replace("CONSTRAINT", "{by: a, term: y, max: 0}")
    plain = fixed.replace("      interactions: [{terms: [x, y], weight: -0.3}]\n", "")
    with_it, without = plan_of(fixed), plan_of(plain)
    a, b = with_it.params(0), without.params(0)
    assert np.array_equal(a.utilities[:, with_it.feasible], b.utilities[:, without.feasible])
    for i in range(20):
        assert run_replication(with_it, i).row() == run_replication(without, i).row()


def test_a_staged_share_is_the_survival_weighted_time_in_force() -> None:
    h, days = np.array([0.0, 0.05]), 60.0
    assert staged_share(h, days, 0.0, 0.0) == pytest.approx([1.0, 1.0])
    # a step at s = 30 with h = 0: half the period
    assert staged_share(h, days, 30.0, 0.0)[0] == pytest.approx(0.5)
    # h > 0: int_30^60 exp(-h t) dt / L
    life = expected_life(h, days)[1]
    step = (math.exp(-0.05 * 30) - math.exp(-0.05 * 60)) / 0.05 / life
    assert staged_share(h, days, 30.0, 0.0)[1] == pytest.approx(step)
    # a ramp over [0, 30] with h = 0: (15 + 30) / 60
    assert staged_share(h, days, 0.0, 30.0)[0] == pytest.approx(0.75)
    grid = np.linspace(0, days, 200001)
    ramp = np.clip((grid - 10) / 20, 0, 1) * np.exp(-0.05 * grid)
    numeric = float(np.sum((ramp[1:] + ramp[:-1]) / 2) * (grid[1] - grid[0])) / life
    assert staged_share(h, days, 10.0, 20.0)[1] == pytest.approx(numeric, rel=1e-6)


def test_a_later_carrot_is_worth_less_in_the_bargain() -> None:
    worth = """  worth:
    evaluation_days: 60
    parties:
      b: {per_violation: {a: -0.1}}
effects:
  pullback:
    term: x
    target: a.violation_rate
    per_unit: -0.5
STAGE"""
    values = []
    for stage in ("", "    starts: {after: truce, days: 20}\n",
                  "    starts: {after: truce, days: 20}\n    ramp_days: 20\n"):
        plan = plan_of(scenario(worth.replace("STAGE", stage)))
        offer = int(np.flatnonzero(plan.feasible)[0])
        values.append(plan.params(0).utilities[1, offer])
    # no threshold, h = 0: avoided 0.5 violations a day, times 60, 40 and 30 days
    assert values == pytest.approx([-0.1 + 0.1 * 0.5 * 60, -0.1 + 0.1 * 0.5 * 40,
                                    -0.1 + 0.1 * 0.5 * 30])


def test_a_ramped_aid_rate_is_thinned_exactly() -> None:
    effect = """aid: {rate_per_day: 1.0}
effects:
  crossings:
    term: x
    target: aid.rate_per_day
    per_unit: -0.5
    starts: {after: truce}
    ramp_days: 30
"""
    plan = plan_of(scenario(effect))
    values = np.array([run_replication(plan, i).aid_deliveries for i in range(400)], dtype=float)
    within(values, 30 * (1 + 0.5) / 2 + 0.5 * (90 - 30))  # 52.5, as for the truce's ramp


def test_a_ramp_that_raises_a_rate_keeps_the_bound_above_it() -> None:
    effect = """effects:
  surge:
    term: x
    target: a.violation_rate
    per_unit: 1
    starts: {after: truce, days: 10}
    ramp_days: 40
"""
    # 10 days at 1, a ramp from 1 to 2 over 40 days (mean 1.5), 40 days at 2
    within(counts(scenario(effect), 300), 10 + 40 * 1.5 + 40 * 2)  # 150


def test_a_milestone_on_the_truce_is_met_only_if_the_truce_holds_that_long() -> None:
    effect = """effects:
  reward:
    term: x
    target: a.violation_rate
    per_unit: -0.5
    after_truce_days: 30
"""
    held = play(plan_of(scenario(effect)), 0, tracing=True)
    assert [e.day for e in held.story if e.kind == "effect"] == [30.0]
    broken = scenario(effect).replace("monitoring: {detection: {a: 0.4}}",
                                      "breakdown: {violations: 3}")
    world = play(plan_of(broken), 0, tracing=True)
    assert world.record.truce_end < 30
    assert not [e for e in world.story if e.kind == "effect"]


def test_a_shock_taking_a_party_out_of_the_truce_stops_its_violations() -> None:
    text = scenario() + """shocks:
  walks_out:
    day: 30
    label: the party leaves the truce
    target: truce.covers.a
    shift: -1
"""
    within(counts(text, 300), 30.0)


def test_an_effect_removing_retaliation_leaves_a_poisson_count() -> None:
    effect = """effects:
  hotline:
    term: x
    target: truce.alpha.a.a
    per_unit: -1
"""
    text = scenario(effect).replace("monitoring: {detection: {a: 0.4}}",
                                    "alpha: {a: {a: 0.5}}")
    within(counts(text, 300), 90.0)  # without the effect, the Hawkes mean 180 - 2 = 178
