"""Several threats, plan-B partners and days tied to drawn events (issue 21, items 2, 3, 5).

Closed forms with fixed seeds; tolerances are 4 Monte Carlo standard errors.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.engine import Plan, build, play, run_replication
from tests.conftest import EXAMPLES, invoke, plan_of

Z = 4.0
N = 4000

# No zone of agreement: b never accepts an offer worth -1 to it, whatever the threats.
TWO = """
format: 2
name: two_threats_test
title: two threats nobody can meet
start: 2020-01-01
horizon_days: 40
actors: {a: {label: A}, b: {label: B}, p: {label: P}, q: {label: Q}}
negotiation:
  parties:
    a: {weights: {x: 1}, reservation: 0.9}
    b: {weights: {x: -1}, reservation: -0.1}
  terms: {x: [0, 1]}
  meetings: {rate_per_day: 0.05}
deadlines:
  first:
    set_by: SETTER
    day: 10
    credibility: C1
    plan_b: {label: first threat, payoffs: {a: 0.3, b: -0.5}}
  second:
    set_by: a
    day: 20
    credibility: C2
    plan_b: {label: second threat, payoffs: {a: 0.2, b: -0.7}}
"""


def _two(c1: float, c2: float, setter: str = "a") -> Plan:
    return plan_of(TWO.replace("C1", str(c1)).replace("C2", str(c2))
                   .replace("SETTER", setter))


def _within(share: float, p: float, n: int = N) -> bool:
    return abs(share - p) < Z * math.sqrt(p * (1 - p) / n)


@pytest.mark.slow
def test_two_independent_threats_escalate_by_the_second_with_one_minus_both_lapsing() -> None:
    c1, c2 = 0.3, 0.4
    plan = _two(c1, c2)
    recs = [run_replication(plan, i) for i in range(N)]
    by = [r.threats["escalation_by"] for r in recs]
    assert _within(np.mean([r.outcome == "escalation" for r in recs]), 1 - (1 - c1) * (1 - c2))
    assert _within(np.mean([b == "first" for b in by]), c1)
    assert _within(np.mean([b == "second" for b in by]), (1 - c1) * c2)
    for r in recs:  # each deadline its own result; the first is also deadline_outcome
        first, second = r.threats["deadline_outcome_first"], r.threats["deadline_outcome_second"]
        assert first == r.deadline_outcome
        assert (first, second, r.end_day) in {("enforced", "none", 10.0),
                                              ("lapsed", "enforced", 20.0),
                                              ("lapsed", "lapsed", 40.0)}


def test_adding_a_second_threat_leaves_the_first_ones_draws_alone() -> None:
    alone = plan_of(TWO.replace("C1", "0.3").replace("SETTER", "a").split("  second:")[0])
    both = _two(0.3, 0.4)
    for i in range(200):
        a, b = run_replication(alone, i), run_replication(both, i)
        assert a.threats["deadline_outcome_first"] == b.threats["deadline_outcome_first"]


@pytest.mark.slow
def test_a_counter_threat_set_earlier_escalates_first_with_its_own_credibility() -> None:
    # b's deadline against a on day 10 (credibility 0.25), a's against b on day 20 (0.5).
    plan = _two(0.25, 0.5, setter="b")
    recs = [run_replication(plan, i) for i in range(N)]
    by = [r.threats["escalation_by"] for r in recs]
    assert _within(np.mean([b == "first" for b in by]), 0.25)
    assert _within(np.mean([b == "second" for b in by]), 0.75 * 0.5)


def test_the_record_and_the_story_name_the_counter_threat_carried_out() -> None:
    plan = _two(0.25, 0.5, setter="b")
    recs = [run_replication(plan, i) for i in range(40)]
    countered = next(r for r in recs if r.threats["escalation_by"] == "first")
    assert countered.end_day == 10.0
    assert countered.utility == {"a": 0.3, "b": -0.5}  # the counter-threat's plan B payoffs
    story = play(plan, countered.replication, tracing=True).story
    assert any("B carries out plan B against A" in e.text for e in story)


PARTNERED = """
format: 2
name: partnered
title: a threat that needs a partner
start: 2020-01-01
horizon_days: 30
actors: {a: {label: A}, b: {label: B}, p: {label: P}, q: {label: Q}}
negotiation:
  parties:
    a: {weights: {x: 1}, reservation: 0.9}
    b: {weights: {x: -1}, reservation: -0.1}
  terms: {x: [0, 1]}
  meetings: {rate_per_day: 0.05}
deadline:
  set_by: a
  day: 10
  credibility: 0.5
  plan_b:
    label: war
    partners: PARTNERS
    requires_partners: RULE
"""


def _partnered(partners: str, rule: str = "all") -> Plan:
    return plan_of(PARTNERED.replace("PARTNERS", partners).replace("RULE", rule))


@pytest.mark.slow
def test_a_partner_drawn_willing_scales_escalation_by_its_mean_willingness() -> None:
    plan = _partnered("{p: {willingness: {uniform: [0.2, 0.6]}}}")
    recs = [run_replication(plan, i) for i in range(N)]
    assert _within(np.mean([r.outcome == "escalation" for r in recs]), 0.5 * 0.4)
    for r in recs:
        joined = r.threats["plan_b_joined"]
        assert joined == ("p" if r.outcome == "escalation" else None)
        assert 0.2 <= r.inputs["deadline.plan_b.partners.p.willingness"] <= 0.6


@pytest.mark.slow
def test_any_of_two_partners_gives_c_times_one_minus_both_refusing() -> None:
    plan = _partnered("{p: {willingness: 0.5}, q: {willingness: 0.4}}", "any")
    esc = np.mean([run_replication(plan, i).outcome == "escalation" for i in range(N)])
    assert _within(esc, 0.5 * (1 - 0.5 * 0.6))


def test_the_parties_weigh_the_effective_credibility_they_know() -> None:
    plan = _partnered("{p: {willingness: {uniform: [0.2, 0.6]}}}")
    for i in range(5):
        world = build(plan, i)
        w = world.params.drawn["deadline.plan_b.partners.p.willingness"]
        assert world.talks is not None and world.talks.credibility == 0.5 * w


def test_partners_listed_are_certain_and_change_nothing() -> None:
    listed, alone = _partnered("[p, q]"), _partnered("[]")
    for i in range(200):
        a, b = run_replication(listed, i).row(), run_replication(alone, i).row()
        assert a == b


# The zone opens only under the second threat: at its last call b's value of not agreeing is
# 0.5 * B + 0.5 * (-0.3); x = 0.5 (worth -0.5 to b, 0.5 to a against a's 0.45) passes once
# B < -0.7.
DIRECTION = """
format: 2
name: direction
title: a harsher second plan B
start: 2020-01-01
horizon_days: 40
actors: {a: {label: A}, b: {label: B}}
negotiation:
  parties:
    a: {weights: {x: 1}, reservation: 0.6}
    b: {weights: {x: -1}, reservation: -0.3}
  terms: {x: [0, 0.25, 0.5, 0.75, 1]}
  meetings: {rate_per_day: 0.2}
deadlines:
  early:
    set_by: a
    day: 10
    credibility: 0.2
    plan_b: {label: a warning, payoffs: {a: 0.5, b: -0.4}}
  late:
    set_by: a
    day: 20
    credibility: 0.5
    plan_b: {label: war, payoffs: {a: 0.3, b: HARSH}}
"""


@pytest.mark.slow
def test_a_harsher_plan_b_of_the_second_threat_never_lowers_deals_by_its_day() -> None:
    n, shares = 300, []
    for harsh in (-0.3, -0.6, -1.0, -2.0):
        plan = plan_of(DIRECTION.replace("HARSH", str(harsh)))
        shares.append(np.mean([run_replication(plan, i).deal_day <= 20 for i in range(n)]))
    assert all(b >= a for a, b in zip(shares, shares[1:], strict=False))
    assert shares[-1] > shares[0] + 0.5  # the zone opens: the second threat matters


TIMED = """
format: 2
name: timed
title: days tied to drawn events
start: 2020-01-01
horizon_days: 60
actors: {a: {label: A}, b: {label: B}, s: {label: S, attack_rate: 0.1}}
negotiation:
  protocol: faratin
  parties:
    a: {weights: {x: 1}, reservation: 0.9, horizon_days: {after: deadline.day, plus: 5}}
    b: {weights: {x: -1}, reservation: -0.1, horizon_days: 30}
  terms: {x: [0, 1]}
  meetings:
    scheduled:
      - day: {uniform: [2, 4]}
deadline:
  set_by: a
  day: {after: shocks.first.end}
  credibility: 0
  plan_b: {label: nothing}
spoilers:
  s: {}
shocks:
  first:
    day: 5
    label: First
    target: s.attack_rate
    factor: 2
    duration_days: {uniform: [3, 9]}
  second:
    day: {after: shocks.first.end, plus: 2}
    label: Second
    target: s.attack_rate
    factor: 0.5
    duration_days: 1
"""


def test_a_shock_tied_to_another_shocks_end_starts_exactly_there() -> None:
    plan = plan_of(TIMED)
    ends = set()
    for i in range(20):
        world = play(plan, i, tracing=True)
        first_end = next(e.day for e in world.story if e.text.startswith("First ends"))
        second = next(e.day for e in world.story if e.text == "SHOCK: Second")
        duration = world.record.inputs["shocks.first.duration_days"]
        assert first_end == 5 + duration and second == first_end + 2
        assert world.record.deadline_day == first_end  # the deadline tied to the same end
        params = plan.params(i)
        assert params.parties[0].horizon == first_end + 5
        assert 2 <= params.meeting_days[0] <= 4
        ends.add(first_end)
    assert len(ends) == 20  # drawn per replication


def test_a_cycle_of_timing_references_exits_2_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "cycle.yaml"
    path.write_text(TIMED.replace("day: {after: shocks.first.end}\n  credibility",
                                  "day: {after: shocks.second.start}\n  credibility")
                    .replace("    day: 5\n", "    day: {after: deadline.day}\n"))
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert f"{path}:" in result.output
    assert ("cycle: shocks.first.start -> deadline.day -> shocks.second.start -> "
            "shocks.first.end -> shocks.first.start") in result.output


def test_the_two_threats_example_runs_with_its_counter_threat_and_partner() -> None:
    # Both threats move the talks from the first round, so with the example's zone nearly every
    # run ends in a treaty; with a premium no treaty can pay, every deadline passes without one
    # and each threat is carried out in some runs (the court's first, the dam's after it).
    text = (EXAMPLES / "two_threats.yaml").read_text().replace(
        "premium: 0.02              # as for Upland", "premium: 2.0")
    plan = Plan(plan_of(text).scenario)
    recs = [run_replication(plan, i) for i in range(300)]
    by = {r.threats["escalation_by"] for r in recs}
    assert {"court", "dam"} <= by
    assert all(r.threats["plan_b_joined"] == "norfin" for r in recs
               if r.threats["escalation_by"] == "dam")
