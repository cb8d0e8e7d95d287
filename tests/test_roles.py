"""Roles at the table (docs/model.md, section 3.4): ratifiers, mediators, decision rules and
the two-level game, checked against closed forms and hand-computed points.

Probabilities are compared with their exact values within Z standard errors of the Monte Carlo
estimate; deterministic cases are compared exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine import Plan, play, run_replication
from sim.engine.outcomes import Record
from sim.engine.plan import RatifierParams, ratify_probability
from sim.engine.ratification import mood, truncated
from sim.scenario import json_schema, loads
from sim.scenario.model import RATIFY
from tests.conftest import ROOT, invoke

Z = 4.0

# Two proposers whose only offer in the zone is x = 0.5: A asks at least 0.4 of x, B gives at
# most 0.6 (u_B = -x >= -0.6); one meeting, one round, nothing after it.
TWO = """
format: 2
name: two
title: two proposers
start: 2020-01-01
horizon_days: 10
actors:
  a: {{label: A}}
  b: {{label: B}}
  c: {{label: C}}
  e: {{label: E}}
  m: {{label: M}}
negotiation:
  parties:
    a: {{weights: {{x: 1.0}}, reservation: 0.4}}
    b: {{weights: {{x: -1.0}}, reservation: -0.6}}
  terms: {{x: [0, 0.5, 1]}}
{extra}
  meetings:
    scheduled: [{{day: 1{host}}}]
"""


def _plan(extra: str = "", host: str = "") -> Plan:
    return Plan(loads(TWO.format(extra=extra, host=host)))


def _records(plan: Plan, n: int) -> list[Record]:
    return [run_replication(plan, i) for i in range(n)]


def _logit(u: float, d: float, tau: float) -> float:
    return 1.0 / (1.0 + math.exp(-(u - d) / tau))


# --- ratifiers ------------------------------------------------------------------------------


def test_one_ratifier_makes_the_deal_with_its_logit_probability() -> None:
    # C values x at 1 against a status quo of 0.3 with noise 0.2: q = 1 / (1 + exp(-1)).
    plan = _plan("  ratifiers:\n    c: {weights: {x: 1.0}, status_quo: 0.3, tau: 0.2}")
    n, q = 2000, _logit(0.5, 0.3, 0.2)
    records = _records(plan, n)
    p = np.mean([r.deal for r in records])
    assert abs(p - q) < Z * math.sqrt(q * (1 - q) / n)
    assert all(r.levels["x"] == 0.5 for r in records if r.deal)
    assert sum(r.refusals["c"] for r in records) == sum(not r.deal for r in records)


def test_independent_ratifiers_multiply_their_probabilities() -> None:
    plan = _plan("  ratifiers:\n"
                 "    c: {weights: {x: 1.0}, status_quo: 0.3, tau: 0.2}\n"
                 "    e: {weights: {x: -2.0}, status_quo: -1.2, premium: 0.1, tau: 0.5}")
    n = 2000
    q = _logit(0.5, 0.3, 0.2) * _logit(-1.0, -1.1, 0.5)  # 0.731 x 0.550 = 0.402
    p = np.mean([r.deal for r in _records(plan, n)])
    assert abs(p - q) < Z * math.sqrt(q * (1 - q) / n)


def test_a_noiseless_ratifier_ratifies_exactly_what_is_worth_its_no_deal_value() -> None:
    assert ratify_probability(np.array([0.2, 0.3, 0.31]), 0.3, 0.0).tolist() == [0, 1, 1]
    yes = _plan("  ratifiers:\n    c: {weights: {x: 1.0}, status_quo: 0.5}")
    no = _plan("  ratifiers:\n    c: {weights: {x: 1.0}, status_quo: 0.4, premium: 0.2}")
    assert all(r.deal for r in _records(yes, 20))
    refused = _records(no, 20)
    assert not any(r.deal for r in refused)
    assert [r.proposals for r in refused] == [0] * 20  # A knows C: no text worth proposing


def test_the_stated_ratification_rule_is_the_engines_and_is_documented() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        u, d, tau = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0.01, 1)
        stated = eval(RATIFY, {"exp": math.exp}, {"u": u, "d": d, "tau": tau})
        assert ratify_probability(np.array([u]), d, tau)[0] == pytest.approx(stated, rel=1e-12)
    tau = json_schema()["$defs"]["Ratifier"]["properties"]["tau"]["description"]
    assert RATIFY in tau
    assert RATIFY in (ROOT / "docs" / "model.md").read_text()


# --- the two-level game ---------------------------------------------------------------------

LEVEL = """
format: 2
name: level
title: two-level direction
start: 2020-01-01
horizon_days: 60
actors:
  a: {label: A}
  b: {label: B}
  c: {label: C}
negotiation:
  parties:
    a: {weights: {x: 1.0}, reservation: 0.0, discount_rate: 0.01}
    b: {weights: {x: -1.0}, reservation: {uniform: [-1.0, -0.3]}, discount_rate: 0.01}
  terms: {x: [0, 0.25, 0.5, 0.75, 1]}
  meetings: {rate_per_day: 0.2}
"""
SCEPTIC = "  ratifiers:\n    c: {weights: {x: -1.0}, status_quo: -0.6, tau: 0.1}\n"


def test_a_ratifier_who_dislikes_a_term_lowers_its_agreed_level() -> None:
    # A alone would ask for as much x as B accepts; C ratifies x with probability
    # 1 / (1 + exp((x - 0.6) / 0.1)), which A weighs: x = 1 is ratified 1.8% of the time.
    n = 150
    free = _records(Plan(loads(LEVEL)), n)
    ratified = _records(Plan(loads(LEVEL.replace("  meetings:", SCEPTIC + "  meetings:"))), n)
    both = [(f.levels["x"], r.levels["x"]) for f, r in zip(free, ratified, strict=True)
            if f.deal and r.deal]
    assert len(both) > n // 2
    assert all(r <= f for f, r in both)
    diff = np.array([f - r for f, r in both])
    assert diff.mean() > Z * diff.std(ddof=1) / math.sqrt(len(diff))


# --- mediators ------------------------------------------------------------------------------

# Gains over the no-deal values: A x + 0.5 y - 0.2, B 0.9 - x + 0.3 y. With y = 1 both gain
# more, and the products over x = 0, 0.25, 0.5, 0.75, 1 are
#   equal exponents: 0.36, 0.5225, 0.56, 0.4725, 0.26 -> x = 0.5;
#   A's exponent 2: (x + 0.3)^2 (1.2 - x) = 0.108, 0.2875, 0.448, 0.496, 0.338 -> x = 0.75.
NASH = """
format: 2
name: nash
title: a mediator's text
start: 2020-01-01
horizon_days: 10
actors:
  a: {{label: A}}
  b: {{label: B}}
  m: {{label: M}}
negotiation:
  parties:
    a: {{weights: {{x: 1.0, y: 0.5}}, reservation: 0.2}}
    b: {{weights: {{x: -1.0, y: 0.3}}, reservation: -0.9}}
  terms: {{x: [0, 0.25, 0.5, 0.75, 1], y: [0, 1]}}
  mediators:
    m: {{{bias}}}
  meetings:
    scheduled: [{{day: 1, host: m}}]
"""


def _nash_point(bias_a: float) -> tuple[float, float]:
    """The asymmetric Nash point by enumeration, as the test's comment works it out."""
    best = max(((x, y) for x in (0, 0.25, 0.5, 0.75, 1) for y in (0, 1)),
               key=lambda o: (o[0] + 0.5 * o[1] - 0.2) ** bias_a * (0.9 - o[0] + 0.3 * o[1]))
    return float(best[0]), float(best[1])


@pytest.mark.parametrize(("bias", "point"), [("", (0.5, 1.0)), ("bias: {a: 2.0}", (0.75, 1.0))])
def test_a_mediator_proposes_the_nash_bargaining_point(bias: str,
                                                       point: tuple[float, float]) -> None:
    assert _nash_point(2.0 if bias else 1.0) == point
    rec = run_replication(Plan(loads(NASH.format(bias=bias))), 0)
    assert rec.deal and rec.deal_day == 1.0
    assert (rec.levels["x"], rec.levels["y"]) == point
    assert rec.texts == {"m": 1}
    assert rec.proposals == 0  # the meeting's one round was the mediator's


def test_a_mediator_with_no_text_that_gains_everyone_passes() -> None:
    text = NASH.format(bias="").replace("reservation: 0.2", "reservation: 2.0")
    rec = run_replication(Plan(loads(text)), 0)
    assert not rec.deal
    assert rec.texts == {"m": 0}


# --- decision rules -------------------------------------------------------------------------

THREE = """
format: 2
name: three
title: three voters
start: 2020-01-01
horizon_days: 10
actors:
  a: {{label: A}}
  b: {{label: B}}
  c: {{label: C}}
negotiation:
  parties:
    a: {{weights: {{x: 1.0}}, reservation: 0.5}}
    b: {{weights: {{x: 1.0}}, reservation: {rb}}}
    c: {{weights: {{x: 1.0}}, reservation: {rc}}}
  terms: {{x: [0, 1]}}
  constraints: [{{by: a, term: x, min: 1}}]
{rule}
  meetings:
    scheduled: [{{day: 1}}]
"""
YES, NO = 0.5, 2.0  # a reservation below / above the only feasible offer's worth 1


@pytest.mark.parametrize(("b", "c"), [(NO, NO), (YES, NO), (NO, YES), (YES, YES)])
def test_majority_strikes_the_deal_exactly_when_two_of_three_accept(b: float, c: float) -> None:
    # A proposes x = 1 and accepts it; B and C accept by construction or not.
    rec = run_replication(Plan(loads(THREE.format(rb=b, rc=c, rule="  decision_rule: majority"))),
                          0)
    accepting = 1 + (b == YES) + (c == YES)
    assert rec.deal == (accepting >= 2)
    if rec.deal:
        assert rec.outvoted == {"a": 0.0, "b": float(b == NO), "c": float(c == NO)}
        assert rec.utility == {"a": 1.0, "b": 1.0, "c": 1.0}  # the deal binds the outvoted
    else:
        assert all(math.isnan(v) for v in rec.outvoted.values())


@pytest.mark.parametrize(("b", "c", "deal"), [(YES, NO, False), (NO, YES, True)])
def test_a_weighted_rule_counts_capability(b: float, c: float, deal: bool) -> None:
    # Capabilities 1, 1, 3 (total 5, more than 2.5 needed): A + B = 2 fails, A + C = 4 passes.
    rule = "  decision_rule: weighted\n  capability: {a: 1, b: 1, c: 3}"
    rec = run_replication(Plan(loads(THREE.format(rb=b, rc=c, rule=rule))), 0)
    assert rec.deal == deal


def test_unanimity_needs_all_three() -> None:
    rec = run_replication(Plan(loads(THREE.format(rb=YES, rc=NO, rule=""))), 0)
    assert not rec.deal
    assert rec.outvoted == {}  # no vote columns under the default rule


# --- the story ------------------------------------------------------------------------------


def test_the_trace_tells_the_mediators_text_and_the_ratifiers_refusal(tmp_path) -> None:
    text = NASH.format(bias="").replace(
        "  mediators:", "  ratifiers:\n    c: {weights: {x: -1.0}, status_quo: -0.3, tau: 0.05}\n"
        "  mediators:").replace("  m: {label: M}", "  m: {label: M}\n  c: {label: Senate}")
    path = tmp_path / "story.yaml"
    path.write_text(text)
    result = invoke("trace", path, "--replication", "5")  # its senator refuses
    assert result.exit_code == 0, result.output
    # The mediator weighs ratification: R(x) = 1 / (1 + exp((x - 0.3) / 0.05)), so x = 0.25
    # (0.731 x 0.5225 = 0.382) beats x = 0 (0.998 x 0.36 = 0.359) and the Nash point x = 0.5
    # (0.018 x 0.56 = 0.010).
    assert "M proposes a single text: x=0.25, y=1 (believed gains A 0.55, B 0.95; " \
        "P(ratified) 0.73)" in result.output
    assert "Senate refuses to ratify: -0.25 against no deal -0.3 (P(ratify) 0.73)" \
        in result.output


# --- the ratifier's mood: drawn once, learnt from its votes (Iida 1993) -------------------


def test_a_ratifier_that_refused_the_only_text_never_ratifies_it_in_many_meetings() -> None:
    # One zone offer, about 30 meetings: the deal comes with the first vote's q = 0.731, not
    # with 1 - (1 - q)^k (1 - 0.269^30, about 1): the mood that refused it refuses it for good.
    text = TWO.format(extra="  ratifiers:\n    c: {weights: {x: 1.0}, status_quo: 0.3, "
                      "tau: 0.2}", host="").replace("scheduled: [{day: 1}]",
                                                    "rate_per_day: 1.0")
    plan = Plan(loads(text.replace("horizon_days: 10", "horizon_days: 30")))
    n, q = 1000, _logit(0.5, 0.3, 0.2)
    records = _records(plan, n)
    assert np.mean([r.meetings for r in records if not r.deal]) > 25
    p = np.mean([r.deal for r in records])
    assert abs(p - q) < Z * math.sqrt(q * (1 - q) / n)
    assert {r.refusals["c"] for r in records} == {0, 1}
    assert all(r.proposals == 1 for r in records)  # nothing is worth proposing after it


def test_a_text_refused_once_is_never_put_to_that_ratifier_again() -> None:
    # The sceptic of the two-level test refuses some texts; the negotiators then know its
    # mood is below d - u of that text and never propose it (or one it likes less) again.
    plan = Plan(loads(LEVEL.replace("  meetings:", SCEPTIC + "  meetings:")))
    refusals = 0
    for i in range(60):
        world = play(plan, i, tracing=True)
        refused: list[int] = []
        for e in world.story:
            if e.kind == "offer":
                assert e.data["offer"] not in refused, (i, e.text)
            elif e.kind == "ratification" and "refuses" in e.text:
                refused.append(e.data["offer"])
        assert world.record.refusals["c"] == len(refused) == len(set(refused))
        refusals += len(refused)
    assert refusals >= 5


# Two zone offers for A (x >= 0.5 by its constraint): A = x 0.5, B = x 1. C likes x a little
# (u_C = 0.2 x, d_C = 0, tau 0.1), E dislikes it (u_E = -x, d_E = -0.8, tau 0.2):
#   R(A) = q_C(A) q_E(A) = F(1) F(1.5) = 0.731 x 0.818 = 0.598,
#   R(B) = q_C(B) q_E(B) = F(2) F(-1) = 0.881 x 0.269 = 0.237  (F the standard logistic CDF),
# so A offers A first (0.598 x 0.5 beats 0.237 x 1).
LEARN = """
format: 2
name: learn
title: learning a ratifier's mood
start: 2020-01-01
horizon_days: 10
actors:
  a: {label: A}
  b: {label: B}
  c: {label: C}
  e: {label: E}
negotiation:
  parties:
    a: {weights: {x: 1.0}, reservation: 0.0}
    b: {weights: {x: -1.0}, reservation: -1.0}
  terms: {x: [0, 0.5, 1]}
  constraints: [{by: a, term: x, min: 0.5}]
  ratifiers:
    c: {weights: {x: 0.2}, status_quo: 0.0, tau: 0.1}
    e: {weights: {x: -1.0}, status_quo: -0.8, tau: 0.2}
  meetings:
    scheduled: [{day: 1}, {day: 2}]
"""


def _truncated_by_hand() -> float:
    """R(B) once C refused A (eps_C < d_C - u_C(A) = -0.1) and E ratified it (eps_E >=
    d_E - u_E(A) = -0.3): C's mood truncated above, E's below, each a logistic."""
    f = _logit  # F(x / tau) = _logit(x, 0, tau)
    c = (f(-0.1, 0, 0.1) - f(-0.2, 0, 0.1)) / f(-0.1, 0, 0.1)  # x_C(B) = -0.2
    e = (1 - f(0.2, 0, 0.2)) / (1 - f(-0.3, 0, 0.2))  # x_E(B) = 0.2
    return c * e  # 0.5568 x 0.3290 = 0.1832


def test_the_negotiators_learn_the_ratifiers_mood_from_a_refusal() -> None:
    plan, hand, seen = Plan(loads(LEARN)), _truncated_by_hand(), 0
    assert hand == pytest.approx(0.1832, abs=1e-4)
    for i in range(40):
        story = play(plan, i, tracing=True).story
        votes = [e.text.split(":")[0] for e in story if e.kind == "ratification"]
        offers = [e for e in story if e.kind == "offer"]
        assert offers[0].data["ratified"] == pytest.approx(0.731059 * 0.817574, rel=1e-5)
        if votes[:2] != ["C refuses to ratify", "E ratifies"]:
            continue
        seen += 1
        assert "x=1 " in offers[1].text and "P(ratified) 0.18," in offers[1].text
        assert offers[1].data["ratified"] == pytest.approx(hand, rel=1e-12)
        assert "the negotiators learn that C's mood is below -0.1" in [e.text for e in story]
    assert seen >= 4  # C refuses and E ratifies A with probability 0.269 x 0.818 = 0.22


def test_the_mood_is_the_logistic_by_the_inverse_cdf_and_no_vote_means_the_logit() -> None:
    r = RatifierParams("c", np.array([0.1, 0.5, 0.9]), 0.3, 0.3, 0.2,
                       ratify_probability(np.array([0.1, 0.5, 0.9]), 0.3, 0.2))
    assert truncated(r, -math.inf, math.inf) == pytest.approx(r.q, rel=1e-12)
    # The text worth 0.5 refused (eps < d - u = -0.2): it and the one worth 0.1 get R = 0, the
    # one worth 0.9 (d - u = -0.6) (F(-0.2) - F(-0.6)) / F(-0.2), F with scale 0.2.
    after = truncated(r, -math.inf, -0.2)
    assert after.tolist()[:2] == [0.0, 0.0]
    by_hand = (_logit(-0.2, 0, 0.2) - _logit(-0.6, 0, 0.2)) / _logit(-0.2, 0, 0.2)
    assert after[2] == pytest.approx(by_hand, rel=1e-12)  # 0.8237
    assert mood(0.2, 0.75) == pytest.approx(0.2 * math.log(3), rel=1e-15)
    assert mood(0.0, 0.75) == 0.0 and mood(0.2, 0.0) == -math.inf
    for u in (1e-9, 0.1, 0.5, 0.9):  # the inverse of F: F(mood(tau, U)) = U
        assert _logit(mood(0.2, u), 0, 0.2) == pytest.approx(u, rel=1e-9)
