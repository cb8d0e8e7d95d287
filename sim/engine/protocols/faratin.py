"""faratin: time-dependent concession tactics (Faratin, Sierra & Jennings 1998).

Each party concedes on its own clock from its best feasible offer to its no-deal value by its
own stated horizon; a credible deadline pulls a threatened party's horizon earlier (speeds
average). Kept for comparison with the default protocol (docs/model.md, section 3.2).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.plan import PartyParams, Plan
from sim.engine.protocols import Protocol, register

if TYPE_CHECKING:
    from sim.engine.negotiation import Talks

EPS = 1e-12  # relative to a party's feasible utility range


@dataclass
class ConcessionClock:
    """How far a party has conceded, ``x`` in [0, 1], advancing linearly toward 1 at ``end``.

    Faratin's ``min(t, T) / T`` when nothing changes; when the horizon moves (a deadline set,
    lapsed or renewed), ``x`` keeps its value and heads for 1 at the new horizon, so the curve
    continues and never restarts.
    """

    x0: float = 0.0
    t0: float = 0.0
    end: float = 1.0

    def at(self, t: float) -> float:
        if self.end <= self.t0 or t >= self.end:
            return 1.0
        return min(1.0, self.x0 + (1.0 - self.x0) * (t - self.t0) / (self.end - self.t0))

    def retarget(self, t: float, end: float) -> None:
        self.x0, self.t0, self.end = self.at(t), t, end


# Concession speed of a threatened party over the time left (docs/model.md, section 3.2).
SPEED = "c / (D - t) + (1 - c) / (T_own - t)"


def effective_horizon(p: PartyParams, credibility: float, deadline: float, now: float) -> float:
    """When a party that plan B would hurt expects to reach its no-deal value.

    Its concession speed over the time left is the credibility-weighted mean of the speed
    that reaches the floor at the deadline and its own: ``1 / (T_eff - t) = c / (D - t) +
    (1 - c) / (T_own - t)`` (at the start, ``1/T_eff = c/D + (1 - c)/T_own``). An empty threat
    (c = 0), a deadline already past, or a party the threat does not hurt keeps ``T_own``; a
    certain threat (c = 1) gives ``D``.
    """
    own = p.horizon
    if not p.threatened or credibility <= 0 or not now < deadline < own:
        return own
    speed = credibility / (deadline - now) + (1.0 - credibility) / (own - now)
    return now + 1.0 / speed


def horizon_under(p: PartyParams, live: list[tuple[int, float, float]], now: float) -> float:
    """:func:`effective_horizon` under several live deadlines ``(index, c, D)`` in date order:
    deadline k is the first carried out with probability ``pi_k = c_k prod_{j<k} (1 - c_j)``
    and the speeds average with those weights, ``1 / (T_eff - t) = sum_k pi_k / (D_k - t) +
    (1 - sum_k pi_k) / (T_own - t)``, over the deadlines that hurt the party and fall before
    its own horizon (the others' weight goes to its own speed)."""
    own, speed, spent, survive = p.horizon, 0.0, 0.0, 1.0
    for k, c, day in live:
        pi, survive = c * survive, survive * (1.0 - c)
        if p.hurt_by(k) and now < day < own:
            speed += pi / (day - now)
            spent += pi
    if spent <= 0:
        return own
    return now + 1.0 / (speed + (1.0 - spent) / (own - now))


def aspiration(p: PartyParams, x: float, reservation: float) -> float:
    """Faratin, Sierra & Jennings (1998): ``a = r + (1 - F(x)) (top - r)``,
    ``F(x) = k + (1 - k) x ** (1 / e)``, with ``top`` the best feasible utility (or ``r``
    when no feasible offer beats no deal)."""
    f = p.k + (1.0 - p.k) * x ** (1.0 / p.e)
    top = max(p.best, reservation)
    return reservation + (1.0 - f) * (top - reservation)


def accept_probability(u: float, a: float, r: float, temperature: float,
                       eps: float = EPS) -> float:
    """0 below the no-deal value ``r``, 1 from the aspiration ``a`` up, and in between
    ``2 / (1 + exp((a - u) / temperature))``, which rises to 1 at ``a`` (0 when temperature 0)."""
    if u < r - eps:
        return 0.0
    if u >= a - eps:
        return 1.0
    if temperature <= 0:
        return 0.0
    z = (a - u) / temperature
    return 2.0 / (1.0 + math.exp(z)) if z < 700 else 0.0


@register("faratin")
class Faratin(Protocol):
    """Concession clocks and aspirations; proposals best for the others above one's aspiration."""

    def __init__(self, talks: Talks):
        super().__init__(talks)
        world = talks.world
        params = world.params
        self.parties = params.parties
        self.utilities = params.utilities
        self.rows = params.utilities.tolist()  # the same floats, read without numpy per answer
        self.beliefs = params.beliefs
        self.feasible = world.plan.feasible
        self.others = talks.others
        self.eps = [EPS * p.span for p in self.parties]
        self.ladders = _ladders(world.plan, self.utilities, self.beliefs, self.others)
        self.draws = world.streams["negotiation"]
        self.clocks = [ConcessionClock(end=p.horizon) for p in self.parties]
        self.reservations = [0.0] * len(self.parties)
        self.asp: list[float] = []
        # What :func:`aspiration` reads of each party, read once: (k, 1 / e, best).
        self.shape = [(p.k, 1.0 / p.e, p.best) for p in self.parties]

    def threat(self, credibility: float, deadline: float) -> None:
        """New no-deal values and concession horizons (several deadlines: the nested lottery
        and :func:`horizon_under`)."""
        talks = self.talks
        now = talks.world.now
        several = len(talks.threats) > 1
        live = talks.live(now)
        for k, p in enumerate(self.parties):
            if several:
                end = horizon_under(p, live, now)
            else:
                end = effective_horizon(p, talks.credibility, talks.deadline, now)
            self.clocks[k].retarget(now, end)
        self.no_deal_values()

    def no_deal_values(self) -> list[float]:
        talks = self.talks
        if len(talks.threats) > 1:
            live = [(k, c) for k, c, _ in talks.live(talks.world.now)]
            values = [p.no_deal_under(live) for p in self.parties]
        else:
            values = [p.no_deal(talks.credibility) for p in self.parties]
        self.reservations = [v + s for v, s in zip(values, talks.shift, strict=True)]
        return self.reservations

    def aspirations(self) -> list[float]:
        """Each party's :func:`aspiration` now, at its clock's ``x`` (both inlined: they run
        for every party in every round; tests/test_bargaining.py checks them equal)."""
        now, out = self.talks.world.env._now, []  # noqa: SLF001
        for (k, inv_e, best), c, r in zip(self.shape, self.clocks, self.reservations,
                                          strict=True):
            t0, end = c.t0, c.end
            if end <= t0 or now >= end:
                x = 1.0
            else:
                x = c.x0 + (1.0 - c.x0) * (now - t0) / (end - t0)
                x = x if x < 1.0 else 1.0
            f = k + (1.0 - k) * x ** inv_e
            top = r if r > best else best  # max(best, r), ties to best as max gives
            out.append(r + (1.0 - f) * (top - r))
        return out

    def status(self) -> str:
        return "aspirations " + self._show(self.aspirations())

    def begin(self, label: str) -> None:
        self.asp = self.aspirations()
        w = self.talks.world
        if label and w.tracing:
            w.log("round", f"{label}, next round: aspirations " + self._show(self.asp))

    def _show(self, asp: list[float]) -> str:
        w = self.talks.world
        return ", ".join(f"{w.label(p.name)} {a:.3g} (no deal {r:.3g})"
                         for p, a, r in zip(self.parties, asp, self.reservations, strict=True))

    def propose(self, i: int) -> int | None:
        """The feasible offer worth at least i's aspiration that i believes best for the others.

        "Best for the others" is the highest minimum believed utility among the responders,
        each on its [0, 1] scale over the feasible offers (belief = that plus the proposer's
        noise); ties go to the proposer's own utility, then to the first offer in the table.
        """
        asp, own, noise = self.asp, self.utilities[i], self.parties[i].noise
        if noise > 0:
            offer = self._noisy_choice(i, asp[i], noise)
        else:
            offer = self.ladders[i].best_for(asp[i], self.eps[i])
        w = self.talks.world
        if offer is None:
            if w.tracing:
                w.log("pass", f"{w.label(self.parties[i].name)} has no offer worth its "
                      f"aspiration {asp[i]:.3g}")
            return None
        if w.tracing:
            w.log("offer", f"{w.label(self.parties[i].name)} offers {w.describe_offer(offer)} "
                  f"(own {own[offer]:.3g} >= {asp[i]:.3g})", proposer=self.parties[i].name,
                  offer=offer)
        return offer

    def _noisy_choice(self, i: int, aspiration: float, noise: float) -> int | None:
        own = self.utilities[i]
        candidates = np.flatnonzero(self.feasible & (own >= aspiration - self.eps[i]))
        if len(candidates) == 0:
            return None
        belief = self.beliefs[self.others[i]][:, candidates]
        belief = belief + noise * self.draws.generator.standard_normal(belief.shape)
        score = belief.min(axis=0)
        best = candidates[score >= score.max() - EPS]
        if len(best) > 1:
            best = best[own[best] >= own[best].max() - self.eps[i]]
        return int(best[0])

    def respond(self, i: int, offer: int) -> bool:
        """Every other party answers; the offer passes only if all accept."""
        w, asp = self.talks.world, self.asp
        accepted = True
        for j in self.others[i]:
            p, r = self.parties[j], self.reservations[j]
            u = self.rows[j][offer]
            prob = accept_probability(u, asp[j], r, p.tau * p.span, self.eps[j])
            yes = prob >= 1.0 or (prob > 0.0 and self.draws.uniform() < prob)
            accepted &= yes
            if w.tracing:
                w.log("response", f"{w.label(p.name)} {'accepts' if yes else 'declines'}: "
                      f"{u:.3g} {'>=' if u >= asp[j] else '<'} {asp[j]:.3g}"
                      + (f" (p={prob:.2f})" if 0 < prob < 1 else "")
                      + (f", below no deal {r:.3g}" if u < r - self.eps[j] else ""),
                      party=p.name, utility=u, aspiration=asp[j])
        return accepted


def _ladders(plan: Plan, utilities: np.ndarray, beliefs: np.ndarray,
             others: list[np.ndarray]) -> list[_Ladder]:
    """Each proposer's ladder, built once per utility table (tables are cached by weights)."""
    key = ("ladders", id(utilities))
    hit = plan.cache.get(key)
    if hit is not None and hit[0] is utilities:
        return hit[1]  # type: ignore[no-any-return]
    ladders = [_Ladder(utilities[i], beliefs, plan.feasible, others[i])
               for i in range(len(others))]
    plan.remember(key, (utilities, ladders))
    return ladders


class _Ladder:
    """A proposer's noiseless choice for every aspiration, precomputed.

    Feasible offers are sorted by the proposer's own utility (descending, then by index);
    ``best[m]`` is the offer best for the others among the first ``m + 1`` of them. For an
    aspiration ``a`` the candidates are a prefix of that order, found by bisection.
    """

    def __init__(self, own: np.ndarray, beliefs: np.ndarray, feasible: np.ndarray,
                 others: np.ndarray):
        idx = np.flatnonzero(feasible)
        order = idx[np.lexsort((idx, -own[idx]))]
        score = beliefs[others][:, order].min(axis=0) if len(others) else np.ones(len(order))
        self.neg_own = (-own[order]).tolist()
        self.best: list[int] = []
        top, pick = -math.inf, -1
        for offer, sc in zip(order.tolist(), score.tolist(), strict=True):
            if sc > top + EPS:
                top, pick = sc, offer
            self.best.append(pick)

    def best_for(self, aspiration: float, eps: float) -> int | None:
        m = bisect.bisect_right(self.neg_own, -(aspiration - eps))
        return self.best[m - 1] if m else None
