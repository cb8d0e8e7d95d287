"""Talks: meetings, rotating proposers, Faratin aspirations, logit acceptance, unanimity."""

from __future__ import annotations

import bisect
import math
from functools import partial

import numpy as np

from sim.engine.plan import PartyParams, Plan
from sim.engine.state import PoissonClock, after
from sim.engine.world import World

EPS = 1e-12


def aspiration(p: PartyParams, t: float, deadline: float) -> float:
    """Faratin, Sierra & Jennings (1998) time-dependent aspiration.

    ``a(t) = r + (1 - F(t)) (1 - r)`` with ``F(t) = k + (1 - k) (min(t, T) / T) ** (1 / e)``.
    """
    x = min(t, deadline) / deadline if deadline > 0 else 1.0
    f = p.k + (1.0 - p.k) * x ** (1.0 / p.e)
    return p.reservation + (1.0 - f) * (1.0 - p.reservation)


def accept_probability(u: float, a: float, tau: float) -> float:
    """Logit acceptance ``1 / (1 + exp(-(u - a) / tau))``; a step at ``u = a`` when tau = 0."""
    if tau == 0:
        return 1.0 if u >= a - EPS else 0.0
    z = (u - a) / tau
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


class Talks:
    """The negotiation of one replication."""

    def __init__(self, world: World):
        self.world = world
        plan, params = world.plan, world.params
        n = plan.scenario.negotiation
        assert n is not None
        self.parties = params.parties
        self.utilities = params.utilities
        self.feasible = plan.feasible
        self.rounds = n.rounds_per_meeting
        self.resume_delay = n.resume_delay_days if n.resume_after_breakdown else None
        self.others = [np.array([j for j in range(len(self.parties)) if j != i])
                       for i in range(len(self.parties))]
        self.ladders = _ladders(plan, self.utilities, self.others)
        self.draws = world.streams["negotiation"]
        self.turn = 0
        self.open = True
        env = world.env
        for day, label in plan.meeting_days:
            after(env, day, partial(self.meet, label))
        rate = params.base.get(("meetings", "rate"), 0.0)
        if rate > 0:
            self.clock = PoissonClock(env, world.streams["meetings"], rate,
                                      lambda: self.meet(n.meetings.label))

    def meet(self, label: str) -> None:
        """One meeting: up to ``rounds`` proposals, proposers in rotation, until a deal."""
        w = self.world
        if not self.open or w.done:
            return
        w.record.meetings += 1
        t, horizon = w.now - w.clock_origin, w.deadline_T - w.clock_origin
        asp = [aspiration(p, t, horizon) for p in self.parties]
        if w.tracing:
            w.log("meeting", f"{label}: aspirations " + ", ".join(
                f"{w.label(p.name)} {a:.2f}" for p, a in zip(self.parties, asp, strict=True)))
        for _ in range(self.rounds):
            proposer = self.turn % len(self.parties)
            self.turn += 1
            offer = self.propose(proposer, asp)
            if offer is not None and self.respond(proposer, offer, asp):
                self.open = False
                w.agree(offer)
                return

    def propose(self, i: int, asp: list[float]) -> int | None:
        """The feasible offer worth at least i's aspiration that i believes best for the others.

        "Best for the others" is the highest minimum believed utility among the responders
        (belief = true utility plus the proposer's noise); ties go to the proposer's own
        utility, then to the first offer in the table.
        """
        own = self.utilities[i]
        noise = self.parties[i].noise
        if noise > 0:
            offer = self._noisy_choice(i, asp[i], noise)
        else:
            offer = self.ladders[i].best_for(asp[i])
        w = self.world
        if offer is None:
            if w.tracing:
                w.log("pass", f"{w.label(self.parties[i].name)} has no offer worth its "
                  f"aspiration {asp[i]:.2f}")
            return None
        w.record.proposals += 1
        if w.tracing:
            w.log("offer", f"{w.label(self.parties[i].name)} offers {w.describe_offer(offer)} "
                  f"(own {own[offer]:.2f} >= {asp[i]:.2f})", proposer=self.parties[i].name,
                  offer=offer)
        return offer

    def _noisy_choice(self, i: int, aspiration: float, noise: float) -> int | None:
        own = self.utilities[i]
        candidates = np.flatnonzero(self.feasible & (own >= aspiration - EPS))
        if len(candidates) == 0:
            return None
        belief = self.utilities[self.others[i]][:, candidates]
        belief = belief + noise * self.draws.generator.standard_normal(belief.shape)
        score = belief.min(axis=0)
        best = candidates[score >= score.max() - EPS]
        if len(best) > 1:
            best = best[own[best] >= own[best].max() - EPS]
        return int(best[0])

    def respond(self, i: int, offer: int, asp: list[float]) -> bool:
        """Every other party answers; the offer passes only if all accept."""
        w = self.world
        accepted = True
        for j in self.others[i]:
            p = self.parties[j]
            u = float(self.utilities[j, offer])
            prob = accept_probability(u, asp[j], p.tau)
            yes = prob >= 1.0 or (prob > 0.0 and self.draws.uniform() < prob)
            accepted &= yes
            if w.tracing:
                w.log("response", f"{w.label(p.name)} {'accepts' if yes else 'declines'}: "
                      f"{u:.2f} {'>=' if u >= asp[j] else '<'} {asp[j]:.2f}"
                      + (f" (p={prob:.2f})" if 0 < prob < 1 else ""), party=p.name,
                      utility=u, aspiration=asp[j])
        return accepted

    def after_breakdown(self) -> None:
        """Talks reopen after the truce breaks down, when the scenario says so."""
        if self.resume_delay is None:
            return
        w = self.world
        w.log("talks", f"talks resume in {self.resume_delay:g} days")
        after(w.env, self.resume_delay, self._reopen)

    def _reopen(self) -> None:
        self.open = True


def _ladders(plan: Plan, utilities: np.ndarray, others: list[np.ndarray]) -> list[_Ladder]:
    """Each proposer's ladder, built once per utility table (tables are cached by weights)."""
    key = ("ladders", id(utilities))
    hit = plan.cache.get(key)
    if hit is not None and hit[0] is utilities:
        return hit[1]
    ladders = [_Ladder(utilities, plan.feasible, i, others[i]) for i in range(len(others))]
    plan.remember(key, (utilities, ladders))
    return ladders


class _Ladder:
    """A proposer's noiseless choice for every aspiration, precomputed.

    Feasible offers are sorted by the proposer's own utility (descending, then by index);
    ``best[m]`` is the offer best for the others among the first ``m + 1`` of them. For an
    aspiration ``a`` the candidates are a prefix of that order, found by bisection.
    """

    def __init__(self, utilities: np.ndarray, feasible: np.ndarray, i: int, others: np.ndarray):
        own = utilities[i]
        idx = np.flatnonzero(feasible)
        order = idx[np.lexsort((idx, -own[idx]))]
        score = utilities[others][:, order].min(axis=0) if len(others) else np.ones(len(order))
        self.neg_own = (-own[order]).tolist()
        self.best: list[int] = []
        top, pick = -math.inf, -1
        for offer, sc in zip(order.tolist(), score.tolist(), strict=True):
            if sc > top + EPS:
                top, pick = sc, offer
            self.best.append(pick)

    def best_for(self, aspiration: float) -> int | None:
        m = bisect.bisect_right(self.neg_own, -(aspiration - EPS))
        return self.best[m - 1] if m else None
