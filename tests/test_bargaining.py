"""The bargaining core: closed forms, invariances (exact under common random numbers) and
directions (what must move which way), as docs/model.md section 3 states them.

Direction checks compare arms replication by replication on common random numbers; where a
statement is about probabilities, a step "against" the stated direction must be within Z
standard errors of the paired difference (so an engine with the wrong sign fails at once,
and a correct one fails with probability below 1e-4 per step).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
import yaml

from sim.engine import Plan, play, run_replication
from sim.engine.outcomes import Record
from sim.engine.plan import PartyParams
from sim.engine.protocols.faratin import (
    ConcessionClock,
    accept_probability,
    aspiration,
    effective_horizon,
)
from sim.scenario import loads
from sim.scenario.overrides import load_with
from tests.conftest import FLAGSHIP, plan_of

Z = 4.0
FLAGSHIP_DATA: dict[str, Any] = yaml.safe_load(FLAGSHIP.read_text())


def _plan(data: dict[str, Any]) -> Plan:
    return Plan(loads(yaml.safe_dump(data, sort_keys=False)))


def _rows(plan: Plan, n: int, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        row = run_replication(plan, i).row()
        out.append({k: ("nan" if v != v else v) for k, v in row.items()
                    if not k.startswith(drop)})
    return out


def _decisions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with a declared breakdown's cause cut to who declared it: its text quotes the
    tolerance and the deal's worth, which are in the declaring party's units."""
    return [{**r, "breakdown_cause": (r["breakdown_cause"] or "").split(":")[0]} for r in rows]


def _flagship(**changes: Any) -> Plan:
    scenario, _ = load_with(str(FLAGSHIP), [f"{k}={v}" for k, v in changes.items()])
    return Plan(scenario)


def _party(**kw: Any) -> PartyParams:
    base = dict(name="p", status_quo=0.0, premium=0.0, reservation=None, plan_b=None,
                horizon=100.0, e=1.0, k=0.0, tau=0.0, noise=0.0, best=1.0, low=0.0, span=1.0)
    base.update(kw)
    return PartyParams(**base)


# --- the rules, by hand ---------------------------------------------------------------------


def test_no_deal_value_mixes_status_quo_and_plan_b_by_credibility() -> None:
    p = _party(status_quo=0.05, plan_b=-0.25, premium=0.01)
    assert p.no_deal(0.0) == pytest.approx(0.06)
    assert p.no_deal(0.2) == pytest.approx(0.8 * 0.05 + 0.2 * -0.25 + 0.01)
    assert p.no_deal(1.0) == pytest.approx(-0.24)
    assert _party(reservation=0.3, plan_b=-1.0).no_deal(0.9) == 0.3  # a literal value stays
    assert _party(status_quo=0.1).no_deal(0.7) == pytest.approx(0.1)  # no plan B payoff


def test_only_parties_that_plan_b_hurts_feel_the_deadline() -> None:
    hurt, helped = _party(plan_b=-1.0), _party(plan_b=1.0)
    assert hurt.threatened and not helped.threatened and not _party().threatened
    assert effective_horizon(helped, 0.9, 20.0, 0.0) == 100.0
    assert effective_horizon(hurt, 0.0, 20.0, 0.0) == 100.0  # an empty threat
    assert effective_horizon(hurt, 1.0, 20.0, 0.0) == pytest.approx(20.0)
    # Speeds average: 1/T = 0.5/20 + 0.5/100 = 0.03.
    assert effective_horizon(hurt, 0.5, 20.0, 0.0) == pytest.approx(1 / 0.03)
    assert effective_horizon(hurt, 0.5, 20.0, 20.0) == 100.0  # the deadline is past


def test_concession_clock_continues_when_the_horizon_moves() -> None:
    clock = ConcessionClock(end=10.0)
    assert clock.at(4.0) == pytest.approx(0.4)
    clock.retarget(4.0, 34.0)  # a later horizon: keeps 0.4, heads for 1 at day 34
    assert clock.at(4.0) == pytest.approx(0.4)
    assert clock.at(19.0) == pytest.approx(0.4 + 0.6 * 15 / 30)
    clock.retarget(19.0, 19.0)
    assert clock.at(19.0) == 1.0


def test_aspiration_runs_from_the_best_feasible_offer_to_the_no_deal_value() -> None:
    p = _party(best=0.8, e=1.0, k=0.1)
    assert aspiration(p, 0.0, 0.2) == pytest.approx(0.2 + 0.9 * 0.6)
    assert aspiration(p, 0.5, 0.2) == pytest.approx(0.2 + (1 - 0.1 - 0.9 * 0.5) * 0.6)
    assert aspiration(p, 1.0, 0.2) == pytest.approx(0.2)
    assert aspiration(p, 0.3, 0.9) == pytest.approx(0.9)  # nothing beats no deal: stays there


def test_the_protocols_inlined_aspirations_are_the_formulas() -> None:
    # Faratin.aspirations inlines aspiration() and ConcessionClock.at for speed: it must give
    # the same floats, bit for bit, wherever the clocks and no-deal values stand.
    world = play(plan_of(_summit(8)), 0)
    proto = world.talks.protocol
    rng = np.random.default_rng(3)
    for _ in range(200):
        for c in proto.clocks:
            c.x0, c.t0 = float(rng.uniform(0, 1)), float(rng.uniform(-5, 5))
            c.end = c.t0 + float(rng.choice([-1.0, 0.0, rng.uniform(0, 10)]))
        proto.reservations = [float(x) for x in rng.uniform(-1.5, 1.5, 2)]
        world.env._now = float(rng.uniform(-5, 15))
        expected = [aspiration(p, c.at(world.env.now), r) for p, c, r in
                    zip(proto.parties, proto.clocks, proto.reservations, strict=True)]
        assert proto.aspirations() == expected


@pytest.mark.parametrize("tau", [0.0, 0.01, 1.0])
def test_offers_below_the_no_deal_value_are_never_accepted(tau: float) -> None:
    assert accept_probability(0.29, a=0.3, r=0.3, temperature=tau) == 0.0
    assert accept_probability(0.30, a=0.3, r=0.3, temperature=tau) == 1.0
    assert accept_probability(0.50, a=0.4, r=0.1, temperature=tau) == 1.0


def test_acceptance_rises_from_the_no_deal_value_to_one_at_the_aspiration() -> None:
    probs = [accept_probability(u, a=0.5, r=0.1, temperature=0.05)
             for u in (0.1, 0.2, 0.3, 0.4, 0.49, 0.5)]
    assert probs == sorted(probs) and probs[-1] == 1.0
    assert probs[3] == pytest.approx(2 / (1 + math.exp(0.1 / 0.05)))


# --- closed forms ---------------------------------------------------------------------------


def _summit(rounds: int) -> str:
    levels = [round(j / rounds, 6) for j in range(rounds + 1)]
    return f"""
format: 2
name: summit
title: one summit as the whole clock
start: 2020-01-01
horizon_days: {rounds}
actors: {{a: {{label: A}}, b: {{label: B}}}}
negotiation:
  protocol: faratin
  parties:
    a: {{weights: {{x: 1}}, reservation: 0, horizon_days: {rounds}}}
    b: {{weights: {{x: -1}}, reservation: -1, horizon_days: {rounds}}}
  terms: {{x: {levels}}}
  meetings: {{scheduled: [{{day: 0, duration_days: {rounds}, rounds: {rounds}}}]}}
"""


@pytest.mark.parametrize("rounds", [2, 4, 8, 20])
def test_a_summit_concedes_round_by_round_and_closes_halfway(rounds: int) -> None:
    # u_A = x, u_B = 1 - x (up to B's constant), e = 1, k = 0, no-deal values 0: round j of R
    # is on day j, where both aspire to 1 - j/R; the offers meet at x = 0.5 in round R/2.
    world = play(plan_of(_summit(rounds)), 0, tracing=True)
    rec = world.record
    assert rec.deal_day == rounds / 2 and rec.levels == {"x": 0.5}
    assert rec.proposals == rounds / 2 and rec.meetings == 1


def test_a_summits_rounds_played_inline_are_the_queues(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    # The summit's rounds are each the head of SimPy's queue: all but the first are played
    # inside the previous one's event, with the same story, record and event count as when
    # each is taken from the queue (INLINE = 0).
    from sim.engine import negotiation

    plan = plan_of(_summit(20))
    inline = play(plan, 0, tracing=True)
    monkeypatch.setattr(negotiation, "INLINE", 0)
    queued = play(plan, 0, tracing=True)
    assert inline.record.row() == queued.record.row()
    assert [(e.day, e.text) for e in inline.story] == [(e.day, e.text) for e in queued.story]
    assert (inline.inline, queued.inline) == (9, 0)  # rounds 2-10 of the 10 until the deal


DETERMINISTIC = """
format: 2
name: det
title: deterministic bargaining
start: 2020-01-01
horizon_days: 10
actors: {a: {label: A}, b: {label: B}}
negotiation:
  protocol: faratin
  parties:
    a: {weights: {x: 1}, reservation: 0, horizon_days: 10}
    b: {weights: {x: -1}, reservation: -1, horizon_days: 10}
  terms: {x: [0, 0.25, 0.5, 0.75, 1]}
  meetings:
    scheduled: [{day: 2}, {day: 4}, {day: 6}, {day: 8}]
deadline: {set_by: a, day: 10, credibility: 0, plan_b: {label: walk away}}
"""


def test_deterministic_negotiation_deal_day_and_terms_match_hand_calculation() -> None:
    # u_A = x in [0, 1], r_A = 0; u_B = -x in [-1, 0], r_B = -1; both concede linearly over
    # their own horizon T = 10 (an empty deadline exerts no pressure): a_A = 1 - t/10,
    # a_B = -t/10, i.e. B wants x <= t/10.
    # Day 2: A offers x = 1 (the only offer worth 0.8 to A); B gets -1 < -0.2.
    # Day 4: B offers x = 0.25 (best for A among x <= 0.4); A gets 0.25 < 0.6.
    # Day 6: A offers x = 0.5 (best for B among x >= 0.4); B gets -0.5 >= -0.6: deal.
    plan = plan_of(DETERMINISTIC)
    for i in range(3):
        rec = run_replication(plan, i)
        assert (rec.deal_day, rec.levels, rec.meetings, rec.proposals) == (6.0, {"x": 0.5}, 3, 3)
        assert rec.deadline_outcome == "met"
        assert rec.utility == {"a": 0.5, "b": -0.5}


def _deadline_effect(credibility: float, day: int = 40) -> str:
    levels = [round(0.05 * i, 2) for i in range(21)]
    meetings = ", ".join(f"{{day: {d}}}" for d in range(1, 81))
    return f"""
format: 2
name: deadline_effect
title: the deadline effect
start: 2020-01-01
horizon_days: 80
actors: {{a: {{label: A}}, b: {{label: B}}}}
negotiation:
  protocol: faratin
  parties:
    a: {{weights: {{x: 1}}, status_quo: {{uniform: [0.1, 0.3]}}, e: 0.1, horizon_days: 80}}
    b: {{weights: {{x: -1}}, status_quo: {{uniform: [-0.9, -0.7]}}, e: 0.1, horizon_days: 80}}
  terms: {{x: {levels}}}
  meetings: {{scheduled: [{meetings}]}}
deadline:
  set_by: a
  day: {day}
  credibility: {credibility}
  plan_b: {{label: war, payoffs: {{a: 0.0, b: -1.0}}}}
"""


def test_deadline_effect_deals_cluster_just_before_a_credible_deadline() -> None:
    # Roth, Murnighan & Schoumaker (1988): Boulware parties under a certain threat, a non-empty
    # zone (status quo 0.1..0.3 for A, B's leaves x <= 0.7..0.9), deterministic acceptance.
    plan = plan_of(_deadline_effect(1.0))
    recs = [run_replication(plan, i) for i in range(100)]
    days = np.array([r.deal_day for r in recs])
    assert np.isfinite(days).all() and (days <= 40).all()
    assert not any(r.outcome == "escalation" for r in recs)
    assert np.mean(days >= 36) >= 0.5  # the last 10% of the time before the deadline


def test_an_empty_deadline_moved_a_month_moves_no_deal() -> None:
    def mean_day(day: int) -> float:
        plan = plan_of(_deadline_effect(0.0, day))
        return float(np.nanmean([run_replication(plan, i).deal_day for i in range(100)]))
    assert abs(mean_day(40) - mean_day(71)) < 1.0


@pytest.mark.slow
@pytest.mark.parametrize("extensions", [0, 1])
def test_cheap_talk_on_the_flagship_moves_no_deal(extensions: int) -> None:
    """An empty deadline (credibility 0) moved a month changes no record but its own columns
    (and ``events``: a lapse and a renewal are events): lapsing or renewed, it reaches no
    party's value of going on, so it must not reset what the answers taught the proposers
    (it did: 14 of 400 replications' proposals moved)."""
    def rows(deadline: str) -> list[dict[str, Any]]:
        plan = _flagship(**{"deadline.credibility": 0, "deadline.day": deadline,
                            "deadline.extensions": extensions})
        return _rows(plan, 150, drop=("deadline", "events"))
    a, b = rows("2016-08-01"), rows("2016-09-01")
    assert any(r["deal_day"] != "nan" for r in a)
    assert a == b


def _strike(*changes: str, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """The union's realised utility and the deal day in labour_strike.yaml, replication by
    replication (common random numbers), with ``changes`` set."""
    scenario, _ = load_with("scenarios/examples/labour_strike.yaml", list(changes))
    plan = Plan(scenario)
    recs = [run_replication(plan, i) for i in range(n)]
    return (np.array([r.row()["utility_union"] for r in recs], dtype=float),
            np.array([r.deal_day for r in recs]))


def test_a_strike_threat_moves_the_split_from_the_first_session() -> None:
    """The union sets a strike for day 28 that it prefers to nothing (plan B 0.3 against its
    status quo 0; the authority's -0.8). Its threat is its value of never agreeing from the
    first round (the threat point), so the more credible the strike, the more it gets, in
    the same sessions: no replication's union does worse, and none waits longer. It did not
    act before: every credibility gave the union 0 at the first session."""
    arms = [_strike(f"deadline.credibility={c}") for c in (0.0, 0.25, 0.5, 0.75, 1.0)]
    for (u0, day0), (u1, day1) in zip(arms, arms[1:], strict=False):
        assert (u1 >= u0 - 1e-12).all() and (day1 <= day0).all()
    assert np.all(np.isfinite(arms[0][1])) and (arms[-1][1] < 27).all()  # before the eve
    assert arms[0][0].mean() == pytest.approx(0.0, abs=1e-12)
    assert arms[-1][0].mean() > 0.5  # 0.622 at this seed; most of the claim


def test_a_harsher_strike_for_the_authority_never_lowers_the_unions_share() -> None:
    base = _strike("deadline.credibility=0.5")[0]
    harsh = _strike("deadline.credibility=0.5", "deadline.plan_b.payoffs.employer=-1.6")[0]
    assert (harsh >= base - 1e-12).all() and harsh.mean() > base.mean()


def test_a_lapsed_deadline_continues_the_concession_curve() -> None:
    text = _deadline_effect(0.5).replace("e: 0.1", "e: 1.0").replace(
        "credibility: 0.5", "credibility: 0.5\n  extension_days: 20\n  extensions: 1").replace(
        "status_quo: {uniform: [0.1, 0.3]}", "status_quo: 0.95").replace(
        "status_quo: {uniform: [-0.9, -0.7]}", "status_quo: -0.05").replace(
        "b: -1.0}", "b: -0.1}")  # A needs x >= 0.475, B allows x <= 0.075: talks run on
    world = play(plan_of(text), 1, tracing=True)
    assert world.record.deadline_outcome in ("lapsed", "enforced")
    asp = [float(e.text.split("A ")[1].split()[0]) for e in world.story if e.kind == "meeting"]
    assert all(b <= a + 1e-9 for a, b in zip(asp, asp[1:], strict=False))
    assert max(a - b for a, b in zip(asp, asp[1:], strict=False)) < 0.05  # no jumps


# --- invariance, exact on common random numbers ----------------------------------------------


@pytest.mark.slow
def test_a_term_fixed_by_a_constraint_is_inert_whatever_its_weights() -> None:
    data = copy.deepcopy(FLAGSHIP_DATA)
    base = _rows(_plan(data), 120)
    parties = data["negotiation"]["parties"]
    parties["russia"]["weights"]["joint_operations"] = 0.0
    parties["us"]["weights"]["joint_operations"] = -2.0
    assert _rows(_plan(data), 120) == base


@pytest.mark.slow
def test_removing_a_term_fixed_by_a_constraint_changes_nothing() -> None:
    data = copy.deepcopy(FLAGSHIP_DATA)
    base = _rows(_plan(data), 120, drop=("level_joint_operations",))
    n = data["negotiation"]
    del n["terms"]["joint_operations"]
    for p in [*n["parties"].values(), *n.get("ratifiers", {}).values()]:
        p["weights"].pop("joint_operations", None)
    n["constraints"] = [c for c in n["constraints"] if c["term"] != "joint_operations"]
    data["effects"] = {k: e for k, e in data["effects"].items() if e["term"] != "joint_operations"}
    assert _rows(_plan(data), 120) == base


def _doubled(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _doubled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_doubled(v) for v in value]
    return value * 2


@pytest.mark.slow
@pytest.mark.parametrize("party", ["us", "russia"])
def test_one_partys_weights_and_payoffs_times_two_change_nothing(party: str) -> None:
    # Dropped: the party's utilities (in its units) and its own drawn inputs, which double.
    drop = (f"utility_{party}", f"negotiation.parties.{party}.",
            f"deadline.plan_b.payoffs.{party}")
    data = copy.deepcopy(FLAGSHIP_DATA)
    base = _decisions(_rows(_plan(data), 120, drop=drop))
    p = data["negotiation"]["parties"][party]
    for key in ("weights", "status_quo", "premium"):
        if key in p:
            p[key] = _doubled(p[key])
    for key in ("delay_cost", "status_quo_trend", "believed_status_quo"):
        if key in p:
            p[key] = _doubled(p[key])
    payoffs = data["deadline"]["plan_b"]["payoffs"]
    payoffs[party] = _doubled(payoffs[party])
    worth = data["truce"]["worth"]["parties"]  # what the truce delivers, in the party's units
    worth[party] = _doubled(worth[party])
    collapse = data["truce"]["collapse"]["premium_shift"]
    if party in collapse:
        collapse[party] = _doubled(collapse[party])
    exits = data["truce"]["exits"]["parties"]
    if party in exits:  # violations per unit of the deal's worth: halved when units double
        exits[party]["tolerance"] = exits[party]["tolerance"] / 2
    assert _decisions(_rows(_plan(data), 120, drop=drop)) == base


# --- directions on the flagship ------------------------------------------------------------


def _outcomes(plan: Plan, n: int) -> list[Record]:
    return [run_replication(plan, i) for i in range(n)]


def _not_against(prev: np.ndarray, cur: np.ndarray, sign: int) -> bool:
    """The paired step ``cur - prev`` is not significantly against ``sign``."""
    d = (cur.astype(float) - prev.astype(float)) * sign
    se = d.std(ddof=1) / math.sqrt(len(d)) if d.std() > 0 else 0.0
    return bool(d.mean() >= -Z * se - 1e-12)


@pytest.mark.slow
def test_valuing_the_carrot_more_never_makes_a_deal_less_likely() -> None:
    n, arms = 300, []
    for w in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        recs = _outcomes(_flagship(**{"negotiation.parties.russia.weights.intel_sharing": w}), n)
        arms.append((np.array([r.deal for r in recs]),
                     np.array([r.outcome == "no_deal" for r in recs])))
    for (deal0, none0), (deal1, none1) in zip(arms, arms[1:], strict=False):
        assert _not_against(deal0, deal1, +1) and _not_against(none0, none1, -1)
    assert arms[-1][0].mean() - arms[0][0].mean() > 0.3  # and the carrot matters


@pytest.mark.slow
def test_a_more_credible_deadline_brings_deals_earlier() -> None:
    # P(deal by 1 August, day 20) non-decreasing and the mean day of the first deal (a run
    # without one counted at the window's end, day 119: a restricted mean, so that deals a
    # deadline adds late do not raise it as they raise the mean over deals) non-increasing in c.
    n, early, mean_day = 300, [], []
    for c in (0.0, 0.3, 0.6, 0.9):
        days = np.array([r.deal_day for r in _outcomes(_flagship(**{"deadline.credibility": c}),
                                                        n)])
        early.append(np.nan_to_num(days, nan=np.inf) <= 20)
        mean_day.append(float(np.mean(np.nan_to_num(days, nan=119.0))))
    for a, b in zip(early, early[1:], strict=False):
        assert _not_against(a, b, +1)
    # Strictly higher at 0.9 than at 0: the paired gain exceeds 4 Monte Carlo standard errors
    # (the truce's worth already puts most deals before the deadline at c = 0).
    gain = early[-1].astype(float) - early[0].astype(float)
    assert gain.mean() > 4 * gain.std(ddof=1) / np.sqrt(n)
    assert mean_day == sorted(mean_day, reverse=True)


@pytest.mark.slow
def test_russias_leverage_over_assad_is_what_it_can_sell() -> None:
    # The U.S. values restraint, aid access and a transition at what Russia can deliver
    # (negotiation.delivered_via), so more leverage widens the zone of agreement: P(deal) is
    # non-decreasing in it. (The agreed restraint level is not monotone: with more leverage a
    # smaller promise buys the U.S. as much, so the deal moves rather than only deepens.)
    n, deals = 300, []
    for lev in (0.3, 0.5, 0.7, 0.9):
        deals.append(np.array([r.deal for r in _outcomes(
            _flagship(**{"actors.russia.leverage.assad": lev}), n)]))
    for a, b in zip(deals, deals[1:], strict=False):
        assert _not_against(a, b, +1)
    assert deals[-1].mean() > deals[0].mean() + 0.3


def test_a_deal_broken_before_a_live_deadline_is_weighed_against_its_threat() -> None:
    """What a truce's stakes and exits weigh a deal against (``Talks.at_breakdown``): while a
    deadline is live, breaking the deal leaves no deal holding on its day, so each party
    faces the threat again: its threat point, ``d + exp(-rho D) c (B - d)`` on day 0, by
    hand; with no live deadline (credibility 0) its plain no-deal value. Russia had accepted
    texts below its no-deal value under the threat and then walked out of their truces at
    the first weighted violation, against the no-deal value alone (208 of 311 first truces)."""
    from sim.engine import build

    world = build(_flagship(), 0)
    talks = world.talks
    assert talks is not None
    (k, c, day), = talks.live(0.0)
    assert c > 0
    for seat, p in enumerate(world.params.parties):
        d = talks.reservations[seat]
        payoff = p.payoff(k)
        b = d if payoff is None else payoff
        assert talks.at_breakdown[seat] == pytest.approx(
            d + math.exp(-p.rho * day) * c * (b - d), abs=1e-12)
    empty = build(_flagship(**{"deadline.credibility": 0}), 0).talks
    assert empty is not None and empty.at_breakdown == empty.reservations
