"""alternating: alternating offers with costs of delay and private no-deal values (the default).

The rules, as the engine runs them (docs/model.md, sections 3-4):

- Value of going on. After a rejection in a round at day t, party k's value of going on is
  ``g_k = max(d_k, d_k + delta_k (W_k - d_k) - kappa_k E[dt])``: ``d_k`` its no-deal value
  now (status quo + trend * t + premium + breakdown shifts, or its literal reservation; minus
  the meeting's audience cost), ``W_k`` its value of the next round in the stationary
  complete-information equilibrium of the alternating-offers game (Rubinstein 1982, with a
  discrete offer table, unanimity and proposers in table order; found by backward induction
  from "never agree"; if the choices cycle, W is the mean over the cycle), ``dt`` the days to
  the next round (the next known round, or an unscheduled meeting, whichever is first),
  ``delta_k = E[exp(-rate_k dt)]`` and ``kappa_k`` its cost per day.
- Deadline. While a deadline D with credibility c is live, with ``p`` the probability that the
  next round comes before D, ``G_k = g_k - (1 - p) c (g_k - B_k)``: the lottery ``c * plan B +
  (1 - c) * going on`` weighs in when no round is left before D (``B_k`` plan B's payoff to k,
  or ``d_k`` when none is stated). Several live deadlines nest in date order, the latest
  innermost: ``c1 B1 + (1 - c1) (c2 B2 + (1 - c2) g)`` at p = 0, each with its own ``p``;
  ``c`` is a deadline's effective credibility (with partners, c times the probability that
  enough of them join).
- Threat point. Before a deadline that the next round comes before, never agreeing means
  facing its threat: each party's value of never agreeing is the lottery discounted to today,
  ``d_k + exp(-rate_k (D - t)) c (B_k - d_k)`` (several nest as above, each discounted to
  the one before). It replaces ``d_k`` everywhere above, in the stationary solution as in
  ``g_k`` (the threat point of Nash 1953): the threat moves every value of going on from the
  first round, the more the more credible, the harsher and the nearer it is.
- Responder. Party j accepts offer o iff ``u_j(o) >= G_j``.
- Beliefs. Every party knows its own no-deal value; the others consider M types of it (its
  stated distributions at M quantiles), each type answering by the same rule with its own
  ``d`` and plan B. An answer by j keeps the types that would have given it (Bayes' rule with
  a deterministic answer); a rejection also sets a floor: no offer worth at most what j
  turned down is believed acceptable to j until the threat changes. When no type is left,
  every type comes back and only the floor binds.
- Proposer. Party i offers the feasible o with ``u_i(o) >= G_i`` that maximises
  ``P(o) u_i(o) + (1 - P(o)) G_i``, ``G_i`` its value of going on given its beliefs (the mean
  over the others' surviving types of its value of going on were that type the truth),
  ``P(o)`` the product over responders of the share of their surviving types that accept o
  (screening: Admati & Perry 1987, Cramton 1992); ties go to the higher P, then to the
  offer first in i's order (own utility, then the others' lowest rescaled utility, then table
  order). When no offer has P > 0 it passes.

With degenerate beliefs every type is the truth: the proposer offers the best offer for
itself that the others accept, and agreement is immediate whenever the zone is non-empty.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.engine.plan import Params, PartyParams, Plan, Roles
from sim.engine.protocols import Protocol, others, register
from sim.engine.worth import weighted_sum

if TYPE_CHECKING:
    from sim.engine.negotiation import Talks

EPS = 1e-12  # relative to a party's feasible utility range
MAX_CYCLES = 2000


@dataclass(frozen=True)
class Tables:
    """The feasible offers, and each proposer's order over them (precomputed per utilities)."""

    idx: np.ndarray  # feasible offer indices
    u: np.ndarray  # (n, F) own-unit utilities of the feasible offers
    order: list[np.ndarray]  # per proposer: positions sorted by own utility, others', index
    rank: list[np.ndarray]  # per proposer: each position's rank in that order
    others: list[np.ndarray]
    stacked_u: np.ndarray  # (proposer, party, offer): u with its columns in i's order
    stacked_t: np.ndarray  # (proposer, offer, party): the same, transposed, contiguous
    orders: np.ndarray  # (proposer, offer): ``order`` as one array

    @property
    def no_rule(self) -> np.ndarray:
        """Every offer live: the mask when no ratification rule applies."""
        return self._lazy("_no_rule", lambda: np.ones(self.orders.shape, dtype=bool))

    @property
    def certain(self) -> np.ndarray:
        """R = 1 for every offer in every proposer's order (no ratification rule)."""
        return self._lazy("_certain", lambda: np.ones(self.orders.shape))

    @property
    def best(self) -> np.ndarray:
        """Each party's utility of its best feasible offer (``kernels.going_on_bounds``)."""
        return self._lazy("_best", lambda: self.u.max(axis=1))

    @property
    def uc(self) -> np.ndarray:
        """``u`` in C order, as the kernels read it (one array type, one compilation)."""
        return self._lazy("_uc", lambda: np.ascontiguousarray(self.u, dtype=float))

    def _lazy(self, name: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        hit = self.__dict__.get(name)
        if hit is None:
            hit = make()
            object.__setattr__(self, name, hit)
        return hit  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Rule:
    """Ratification and voting over the feasible offers (docs/model.md, section 3.4)."""

    ratified: np.ndarray  # R(o) per feasible position (ones without ratifiers)
    weights: np.ndarray | None  # each party's vote weight; None: unanimity
    threshold: float  # a text passes when the weight accepting exceeds threshold * total
    _stacks: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def ordered(self, tab: Tables, i: int) -> tuple[np.ndarray, np.ndarray]:
        """R in proposer i's order, and where it is positive (rows of :meth:`stacked`)."""
        r, live = self.stacked(tab)
        return r[i], live[i]

    def stacked(self, tab: Tables) -> tuple[np.ndarray, np.ndarray]:
        """R in every proposer's order and where it is positive, as (proposer, offer)
        arrays (computed once)."""
        n = len(tab.order)
        if n not in self._stacks:
            r = np.asarray(self.ratified[tab.orders], dtype=float)
            self._stacks[n] = (r, r > 0)
        return self._stacks[n]

    def carried(self, votes: np.ndarray) -> np.ndarray:
        """Whether each column of yes/no ``votes`` (parties x cases) passes the text."""
        if self.weights is None:
            return np.asarray(votes.all(axis=0))
        total = float(self.weights.sum())
        return np.asarray(self.weights @ votes > self.threshold * total + 1e-9 * total)


def tables(plan: Plan, utilities: np.ndarray, beliefs: np.ndarray,
           others: list[np.ndarray]) -> Tables:
    """Build (or fetch from the plan's cache) the tables for one utility table."""
    key = ("alternating", id(utilities))
    hit = plan.cache.get(key)
    if hit is not None and hit[0] is utilities:
        return hit[1]  # type: ignore[no-any-return]
    idx = np.flatnonzero(plan.feasible)
    out = make_tables(idx, utilities[:, idx], beliefs[:, idx], others)
    plan.remember(key, (utilities, out))
    return out


def make_tables(idx: np.ndarray, u: np.ndarray, scaled: np.ndarray,
                others: list[np.ndarray]) -> Tables:
    """The tables of feasible offers ``idx`` with utilities ``u`` and rescaled ``scaled``."""
    return tables_of(idx, u[None], scaled[None], others)[0]


def tables_of(idx: np.ndarray, u: np.ndarray, scaled: np.ndarray,
              others: list[np.ndarray]) -> list[Tables]:
    """:func:`make_tables` of several utility tables at once (``u`` and ``scaled``:
    replications x parties x feasible offers), as arrays over them: each proposer's order is
    by its own utility, then the others' lowest rescaled utility, then the index (all
    descending but the index), sorted row by row; the same tables as one by one."""
    reps, n, size = u.shape
    orders = np.empty((reps, n, size), dtype=np.intp)
    index = np.broadcast_to(np.arange(size), (reps, size))
    for i, oth in enumerate(others):
        score = scaled[:, oth].min(axis=1) if len(oth) else np.ones((reps, size))
        orders[:, i] = np.lexsort((index, -score, -u[:, i]), axis=-1)
    ranks = np.empty((reps, n, size), dtype=int)
    np.put_along_axis(ranks, orders, np.arange(size), axis=-1)
    u = np.asarray(u, dtype=float)
    # stacked[r, i, k, f]: party k's utility of the offer at place f of proposer i's order
    stacked = u[np.arange(reps)[:, None, None, None], np.arange(n)[None, None, :, None],
                orders[:, :, None, :]]
    stacked_t = np.ascontiguousarray(stacked.transpose(0, 1, 3, 2))
    return [Tables(idx, u[r], list(orders[r]), list(ranks[r]), others, stacked[r],
                   stacked_t[r], orders[r]) for r in range(reps)]


@dataclass(frozen=True)
class Fixed:
    """What one replication's parameters fix for its talks: the tables, each offer's position
    among the feasible ones, each party's tolerance, discount rate, delay cost and trend, the
    no-deal rows of every scenario (:func:`scenarios`), every deadline's plan-B payoffs in
    the same rows, stacked, and where none is stated, and the rule with the solve's arguments
    as the first ratification table gives them (the talks replace both when it moves)."""

    tab: Tables
    uc: np.ndarray
    sure: np.ndarray
    pos: dict[int, int]
    eps: np.ndarray
    rho: np.ndarray
    kappa: np.ndarray
    trend: np.ndarray
    moving: bool
    d0: np.ndarray
    b_all: np.ndarray
    unstated: np.ndarray
    rule: Rule | None
    kernel: KernelArgs | None


def fixed(plan: Plan, params: Params, tab: Tables) -> Fixed:
    """:class:`Fixed` of one replication with tables ``tab``."""
    parties = params.parties
    n = len(parties)
    assert plan.scenario.negotiation is not None
    m = plan.scenario.negotiation.belief_types
    key = ("positions", tab.idx.tobytes())
    pos = plan.cache.get(key)
    if pos is None:  # an offer's position among the feasible ones (the same every run)
        pos = {int(o): f for f, o in enumerate(tab.idx)}
        plan.remember(key, pos)
    eps = np.array([EPS * p.span for p in parties])
    trend = np.array([0.0 if p.reservation is not None else p.trend for p in parties])
    d0, b0 = scenarios(parties, m)
    bs = [b0 if k == 0 else payoffs(parties, k, m) for k in range(len(params.threats))]
    b_all = np.stack(bs) if bs else np.zeros((0, 1 + n * m, n))
    rule = _rule(params.roles, params.roles.ratified, tab)
    return Fixed(tab, tab.uc, tab.certain[0], pos, eps, np.array([p.rho for p in parties]),
                 np.array([p.delay_cost for p in parties]), trend, bool(trend.any()), d0,
                 b_all, np.isnan(b_all), rule, _kernel_args(tab, rule, eps))


def scenarios(parties: list[PartyParams], m: int) -> tuple[np.ndarray, np.ndarray]:
    """No-deal bases and plan-B payoffs: row 0 the truth, row 1 + j*m + t party j's type t."""
    n = len(parties)
    base = np.array([p.base for p in parties])
    plan_b = np.array([math.nan if p.plan_b is None else p.plan_b for p in parties])
    d0, b0 = np.tile(base, (1 + n * m, 1)), np.tile(plan_b, (1 + n * m, 1))
    for j, p in enumerate(parties):
        rows = slice(1 + j * m, 1 + (j + 1) * m)
        if len(p.base_types) == m:
            d0[rows, j] = p.base_types
        if p.plan_b_types is not None:
            b0[rows, j] = p.plan_b_types
    return d0, b0


def payoffs(parties: list[PartyParams], k: int, m: int) -> np.ndarray:
    """Deadline k's plan-B payoffs (k > 0) in the rows of :func:`scenarios` (NaN: none)."""
    n = len(parties)
    plan_b = np.array([math.nan if p.payoff(k) is None else p.payoff(k) for p in parties])
    b = np.tile(plan_b, (1 + n * m, 1))
    for j, p in enumerate(parties):
        types = p.payoff_types(k)
        if types is not None:
            b[1 + j * m: 1 + (j + 1) * m, j] = types
    return b


def stationary(tab: Tables, d: np.ndarray, delta: np.ndarray, cost: np.ndarray,
               eps: np.ndarray, rule: Rule | None = None) -> np.ndarray:
    """``V[i, s, k]``: party k's value of a round that i proposes, in the stationary
    complete-information equilibrium of scenario ``s`` (no-deal values ``d[s]``). With a
    ``rule`` (ratifiers or a decision rule other than unanimity) each round is
    :func:`_round_roles`.

    Backward induction over the proposing cycle from "never agree" (``V = d``), the last
    round's proposer being the first in the table's order, until a whole cycle's choices
    repeat (exact values where nobody agrees) or cycle (the mean over the period): proposer i
    offers the first offer in its order that every responder j accepts
    (``u_j >= max(d_j, d_j + delta_j (V_j[i+1] - d_j) - cost_j)``) if it is worth its own
    value of going on; otherwise nobody agrees and everyone gets its going-on value.
    """
    if rule is None or rule.weights is None:  # unanimity: the compiled loops, same values
        return _compiled(tab, d, delta, cost, eps, rule)[0]
    return reference(tab, d, delta, cost, eps, rule)


def _compiled(tab: Tables, d: np.ndarray, delta: np.ndarray, cost: np.ndarray,
              eps: np.ndarray, rule: Rule | None) -> tuple[np.ndarray, int]:
    """:func:`kernels.solve` on the tables' stacked arrays, and its status (0 or a cycle)."""
    from sim.engine.protocols import kernels  # numba loads with the first solve (kernels doc)

    n, args = len(tab.order), _kernel_args(tab, rule, eps)
    assert args is not None
    us, ut, r, live, ruled, eps, top, reach = args
    return kernels.solve_within(us, ut, r, live, ruled, np.ascontiguousarray(d, dtype=float),
                                _per_party(delta, n), _per_party(cost, n), eps, MAX_CYCLES,
                                top, reach)


def _per_party(x: np.ndarray | float, n: int) -> np.ndarray:
    """``x`` as n contiguous floats (a number is every party's)."""
    a = np.asarray(x, dtype=float)
    return a if a.shape == (n,) and a.flags.c_contiguous else np.full(n, a, dtype=float)


def reference(tab: Tables, d: np.ndarray, delta: np.ndarray, cost: np.ndarray,
              eps: np.ndarray, rule: Rule | None = None) -> np.ndarray:
    """:func:`stationary` in numpy over the scenarios: the definition the compiled loops
    reproduce, and the solve for majority and weighted rules."""
    n, s = len(tab.order), d.shape[0]
    v = np.repeat(d[None], n, axis=0)
    picks, settled = np.full((n, s), -2), False
    seen: dict[bytes, int] = {}
    values: list[np.ndarray] = []
    for _ in range(MAX_CYCLES):
        before = picks.copy()
        for i in range(n):  # in a finite game ending with proposer 0, read backwards
            thr = np.maximum(d, d + delta * (v[(i + 1) % n] - d) - cost)
            picks[i] = (_round(tab, i, thr, eps, v) if rule is None
                        else _round_roles(tab, i, thr, eps, v, rule))
        if np.array_equal(picks, before):
            if settled:
                break
            # The same choices twice: where nobody ever agrees the value is exactly d (the
            # fixed point of the going-on value); one more cycle makes every other value exact.
            never = (picks < 0).all(axis=0)
            v[:, never] = d[never]
            settled = True
            continue
        settled = False
        key = picks.tobytes()
        if key in seen:  # the choices cycle (a discrete game may have no stationary point):
            return np.mean(values[seen[key]:], axis=0)  # the mean value over the period
        seen[key] = len(values)  # the index of this cycle's values (settled cycles add none)
        values.append(v.copy())
    return v


def _round(tab: Tables, i: int, thr: np.ndarray, eps: np.ndarray,
           v: np.ndarray) -> np.ndarray:
    """One round of the stationary solution (i proposes, ``thr[s, k]`` each party's value of
    going on after it); updates ``v[i]``, returns the position of the offer agreed in each
    scenario (-1: none)."""
    s = v.shape[1]
    us = tab.stacked_u[i]
    ok = np.ones((s, us.shape[1]), dtype=bool)
    for j in tab.others[i]:
        ok &= us[j][None, :] >= (thr[:, j] - eps[j])[:, None]
    first = ok.argmax(axis=1)  # the first acceptable offer, or 0 when none is
    found = ok.any(axis=1)
    agree = found & (us[i][first] >= thr[:, i] - eps[i])
    v[i] = np.where(agree[:, None], tab.stacked_t[i][first], thr)
    return np.where(agree, first, -1)


def _round_roles(tab: Tables, i: int, thr: np.ndarray, eps: np.ndarray, v: np.ndarray,
                 rule: Rule) -> np.ndarray:
    """One round with ratifiers or votes: among the offers the rule passes (i votes for its
    own), i proposes the one that maximises ``R(o) (u_i(o) - thr_i)`` (ties: first in i's
    order), if worth its value of going on; every party then expects ``R u_k + (1 - R)
    thr_k``. With R = 1 and unanimity this is :func:`_round`'s choice."""
    us, (r, live) = tab.stacked_u[i], rule.ordered(tab, i)
    ok = _passes(tab, i, thr, eps, rule) & live
    ti = thr[:, i]
    score = np.where(ok, r * (us[i] - ti[:, None]), -np.inf)
    first = score.argmax(axis=1)
    agree = ok[np.arange(len(first)), first] & (us[i][first] >= ti - eps[i])
    rf = r[first][:, None]
    v[i] = np.where(agree[:, None], rf * tab.stacked_t[i][first] + (1.0 - rf) * thr, thr)
    return np.where(agree, first, -1)


def _passes(tab: Tables, i: int, thr: np.ndarray, eps: np.ndarray, rule: Rule) -> np.ndarray:
    """``ok[s, f]``: the rule passes i's f-th offer in scenario s (i votes for its own). Under
    unanimity that is every responder's ``u_j >= thr_j``, without the (parties, s, F) votes."""
    us = tab.stacked_u[i]
    if rule.weights is None:
        ok = np.ones((thr.shape[0], us.shape[1]), dtype=bool)
        for j in tab.others[i]:
            ok &= us[j] >= (thr[:, j] - eps[j])[:, None]
        return ok
    votes = us[:, None, :] >= (thr - eps)[:, :, None].transpose(1, 0, 2)  # (n, s, F)
    votes[i] = True
    return rule.carried(votes.reshape(len(us), -1)).reshape(thr.shape[0], -1)


# A party's value of going on while a deadline is live (docs/model.md, section 3.1): ``p`` is
# the probability that another round comes before it; at p = 0 it is the threat's lottery.
LOTTERY = "g - (1 - p) * c * (g - B)"


def lottery(g: Any, b: Any, c: float, p: float) -> Any:
    """:data:`LOTTERY`: going on ``g`` against plan B ``b`` with credibility ``c``."""
    return g - (1.0 - p) * c * (g - b)


NO_LOTS = np.zeros((0, 3))  # no live deadline: no lottery
Threats = tuple[tuple[int, float, float], ...]  # live deadlines (k, c, day), latest first


def going_reference(d: np.ndarray, delta: np.ndarray, cost: np.ndarray, v: np.ndarray | None,
                    lots: list[tuple[int, float, float]], bs: np.ndarray,
                    unstated: np.ndarray) -> np.ndarray:
    """The value of going on in numpy (module doc), the definition ``kernels.going_on``
    compiles: ``max(d, d + delta (v - d) - cost)`` (``d`` when ``v`` is None: no round will
    ever come), then for each live deadline ``(k, c, p)``, latest first, :func:`lottery`
    against its plan B (``d`` where none is stated)."""
    g = d if v is None else np.maximum(d, d + delta * (v - d) - cost)
    for k, c, p in lots:
        g = lottery(g, np.where(unstated[k], d, bs[k]), c, p)
    return g


def threat_point_reference(d: np.ndarray, rho: np.ndarray, now: float, ahead: np.ndarray,
                           bs: np.ndarray, unstated: np.ndarray) -> np.ndarray:
    """The value of never agreeing while the deadlines ``ahead`` are live (rows ``(k, c,
    day)``, latest first; module doc), in numpy: the nested lotteries of their threats
    (:func:`lottery` with no round left), each discounted from its deadline to the one before
    and the first to ``now``; for one, ``d + exp(-rho (D - now)) c (B - d)``. The definition
    ``kernels.threat_point`` compiles (``exp`` by the C library's, as the kernel calls it)."""
    def discount(x: np.ndarray, gap: float) -> np.ndarray:
        return d + np.array([math.exp(-r * gap) for r in rho]) * (x - d)  # type: ignore[no-any-return]

    never = d.copy()
    for row, (k, c, day) in enumerate(ahead):
        if row:
            never = discount(never, float(ahead[row - 1, 2] - day))
        never = lottery(never, np.where(unstated[int(k)], d, bs[int(k)]), c, 0.0)
    return discount(never, float(ahead[-1, 2] - now)) if len(ahead) else never


def expected_delay(rate: float, rho: np.ndarray, a: float) -> tuple[np.ndarray, float]:
    """``E[exp(-rho dt)]`` per party and ``E[dt]`` for ``dt = min(X, a)``, ``X`` exponential
    with ``rate`` (the next unscheduled meeting) and ``a`` the days to the next known round.
    ``E[dt]`` is infinite when no round will ever come."""
    if rate <= 0:
        return np.exp(-rho * a), a
    if math.isinf(a):
        return rate / (rate + rho), 1.0 / rate
    tail = np.exp(-(rate + rho) * a)
    return rate / (rate + rho) * (1.0 - tail) + tail, -math.expm1(-rate * a) / rate


@register("alternating")
class Alternating(Protocol):
    """Alternating offers, costs of delay, private no-deal values, screening offers."""

    calls_last_meeting = True

    def __init__(self, talks: Talks):
        super().__init__(talks)
        world = talks.world
        plan, params = world.plan, world.params
        self.parties = params.parties
        n, m = len(self.parties), talks.spec.belief_types
        self.n, self.m = n, m
        fx = params.derived.get("alternating")  # prepared with the chunk (prepare)
        if fx is None:
            fx = fixed(plan, params, tables(plan, params.utilities, params.beliefs,
                                            talks.others))
        self.tab: Tables = fx.tab
        self.uc, self.sure = fx.uc, fx.sure  # as the kernels read them
        self.pos: dict[int, int] = fx.pos
        self.eps, self.rho, self.kappa, self.trend = fx.eps, fx.rho, fx.kappa, fx.trend
        self.moving = fx.moving  # the no-deal values move with the clock
        self.discounts = bool(fx.rho.any())  # a threat point moves with the clock
        self.d0, self.b_all, self.unstated = fx.d0, fx.b_all, fx.unstated
        self.rule, self.kernel = fx.rule, fx.kernel
        self.no_cut = np.zeros(n)
        self.shifted: list[float] = []  # talks.shift when self.shift was made from it
        self.shift = np.zeros(0)
        self.alive = np.ones((n, m), dtype=bool)  # each party's types the others still hold
        self.rows: dict[int, np.ndarray] = {}  # per proposer, the scenario rows of those types
        self.floor = np.full(n, -math.inf)
        self.credible: list[tuple[int, float, float]] | None = None  # the threats they assume
        self.solved: dict[tuple[Any, ...], np.ndarray] = {}  # keys: _situation()
        self.zone = -1
        self.g = np.zeros((1 + n * m, n))
        self.no_v = np.zeros((0, 0, 0))  # no stationary solution to hand the kernel
        from sim.engine.protocols import kernels  # numba loads with the first talks

        self.k = kernels
        # Expected discounts and costs of the wait for the next round, by (rate, days to the
        # next known round): shared by every replication with the same discount rates and
        # delay costs (a meeting's evenly spaced rounds repeat across replications).
        shared = ("delays", self.rho.tobytes(), self.kappa.tobytes())
        delays = plan.cache.get(shared)
        if delays is None:
            delays = {}
            plan.remember(shared, delays)
        self.delays: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = delays

    @classmethod
    def prepare(cls, plan: Plan, params: list[Params]) -> None:
        """What each of a chunk's replications fixes for its talks (:func:`fixed`), its
        tables sorted for all of them at once (:func:`tables_of`), each into its
        ``Params.derived``."""
        if not params or not params[0].parties:
            return
        n, idx = len(params[0].parties), np.flatnonzero(plan.feasible)
        made = tables_of(idx, np.stack([p.utilities[:, idx] for p in params]),
                         np.stack([p.beliefs[:, idx] for p in params]), others(n))
        for p, tab in zip(params, made, strict=True):
            p.derived["alternating"] = fixed(plan, p, tab)

    # --- what each party can expect ------------------------------------------------------

    def no_deal(self, audience: bool = True) -> np.ndarray:
        """``d[s, k]`` now: base + trend * t + breakdown shifts, minus audience costs
        (``kernels.no_deal``)."""
        talks = self.talks
        return self.k.no_deal(self.d0, self.trend, talks.world.env._now,  # noqa: SLF001
                               self._shifts(),
                               self._cut(talks.position.audience) if audience else self.no_cut)

    def _shifts(self) -> np.ndarray:
        """The talks' breakdown shifts as an array, made again only when they moved."""
        shift = self.talks.shift
        if shift != self.shifted:
            self.shifted, self.shift = list(shift), np.array(shift)
        return self.shift

    def no_deal_values(self) -> list[float]:
        # Row 0 of no_deal(audience=False), the same sums computed for that row alone: the
        # truce's exits ask for it at every observed violation.
        return (self.d0[0] + self.trend * self.talks.world.now
                + np.array(self.talks.shift)).tolist()

    def breakdown_values(self) -> list[float]:
        """The no-deal values, or while deadlines are live the threat point over all of them
        (module doc): a deal that breaks before a deadline leaves no deal holding on its day,
        so the threat is faced again."""
        live = self.talks.live(self.talks.world.env._now)  # noqa: SLF001
        if not live:
            return self.no_deal_values()
        d = self.no_deal(audience=False)
        return self.threat_point(d, tuple(reversed(live)))[0].tolist()  # type: ignore[no-any-return]

    def going_on(self, proposer: int, last: float = -math.inf,
                 decide: Callable[[np.ndarray, np.ndarray], np.ndarray | None] | None = None
                 ) -> np.ndarray:
        """``G[s, k]``: the value of going on after a rejection in this round (module doc);
        at a last call before the deadline on day ``last``, no round comes before it.
        Computed by :func:`going_reference`, compiled (``kernels.no_deal`` and
        ``kernels.going_on``).

        A caller that reads ``G`` only through comparisons that are monotone in it may pass
        ``decide``: before a stationary solve, it gets a lower and an upper bound of ``G``
        (``kernels.going_on_bounds``) and returns values its comparisons read as they would
        read ``G`` (the bounds settle them), or None; the solve is then skipped."""
        kernels = self.k
        d = self.no_deal()
        delta, cost, lots, key, ahead = self._situation(last)
        if ahead:
            d = self.threat_point(d, ahead)
        if key is None:
            return kernels.going_on(d, delta, cost, d, False, lots, self.b_all, self.unstated)
        v = self.solved.get(key)
        if v is None and decide is not None:
            low, high = kernels.going_on_bounds(d, delta, cost, lots, self.b_all,
                                                self.unstated, self.tab.best)
            g = decide(low, high) if low.shape[0] else None
            if g is not None:
                return g
        if v is None:
            v = self._solve(key, d, delta, cost)
        return kernels.going_on(d, delta, cost, v[(proposer + 1) % self.n], True, lots,
                                self.b_all, self.unstated)

    def _situation(self, last: float = -math.inf
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[Any, ...] | None,
                              Threats]:
        """What the value of going on reads besides the no-deal values: each party's expected
        discount and cost of the wait for the next round (``rho`` twice when no round will
        ever come), the live deadlines' lotteries ``(k, c, p)``, the earliest outermost, the
        key of the stationary solution these imply (None: no round will ever come), and the
        live deadlines that the next round comes before, latest first, which make the threat
        point (:meth:`threat_point`; none when no round will ever come or on a last call's
        deadline).

        The key names what fixes the solve's inputs: the no-deal values are ``d0 + trend *
        now + shifts - audience costs`` (``now`` leaves them alone when no party has a
        trend and no threat point is discounted), the threat point's deadlines, and the
        discounts and costs follow from the meeting rate and the days to the next known
        round."""
        talks = self.talks
        now = talks.world.env._now  # noqa: SLF001 (no property call)
        a = talks.next_known_round() - now
        rate = talks.meeting_rate()
        live = talks.live(now)
        lots_a = np.array([(k, c, 0.0 if deadline <= last else (
            1.0 if now + a < deadline else -math.expm1(-rate * (deadline - now))))
            for k, c, deadline in reversed(live)], dtype=float) if live else NO_LOTS
        if rate <= 0 and math.isinf(a):
            return self.rho, self.rho, lots_a, None, ()
        delay = self.delays.get((rate, a))
        if delay is None:  # the same within a meeting: its rounds are evenly spaced
            if len(self.delays) > 1024:
                self.delays.clear()
            delta, mean = expected_delay(rate, self.rho, a)
            delay = self.delays[(rate, a)] = delta, self.kappa * mean
        audience = talks.position.audience
        ahead = tuple(x for x in reversed(live) if last < x[2] and now + a < x[2])
        key = (now if self.moving or (ahead and self.discounts) else None, *talks.shift,
               *(audience.items() if audience else ()), rate, a, ahead)
        return delay[0], delay[1], lots_a, key, ahead

    def threat_point(self, d: np.ndarray, ahead: Threats) -> np.ndarray:
        """Each party's value of never agreeing while the deadlines ``ahead`` (those a round
        comes before, latest first) are live (:func:`threat_point_reference`, compiled as
        ``kernels.threat_point``): it takes the place of the no-deal values ``d`` in the
        value of going on and in the stationary solution (module doc)."""
        return self.k.threat_point(d, self.rho, self.talks.world.env._now,  # noqa: SLF001
                                   np.array(ahead, dtype=float), self.b_all, self.unstated)

    def _cut(self, audience: dict[int, float]) -> np.ndarray:
        """The meeting's audience costs as one number per party (0: none)."""
        if not audience:
            return self.no_cut
        cut = np.zeros(self.n)
        for k, a in audience.items():
            cut[k] = a
        return cut

    def _solve(self, key: tuple[Any, ...], d: np.ndarray, delta: np.ndarray,
               cost: np.ndarray) -> np.ndarray:
        """The stationary solution of ``d``, ``delta`` and ``cost``, kept under ``key``
        (:meth:`_situation`) until the ratification table moves."""
        if self.kernel is None:
            v = stationary(self.tab, d, delta, cost, self.eps, self.rule)
        else:  # what stationary() calls, its arguments ready (d, delta, cost are floats)
            us, ut, r, live, ruled, eps, top, reach = self.kernel
            v = self.k.solve_within(us, ut, r, live, ruled, d, delta, cost, eps, MAX_CYCLES,
                                    top, reach)[0]
        self._keep(key, v)
        return v

    def _keep(self, key: tuple[Any, ...], v: np.ndarray) -> None:
        if len(self.solved) > 64:
            self.solved.clear()
        self.solved[key] = v

    # --- the round -----------------------------------------------------------------------

    def threat(self, credibility: float, deadline: float) -> None:
        """The floors the answers have set no longer hold once a credible threat moves: the
        parties' values of going on read the credible threats alone, so an empty one (lapsed,
        renewed or spent at credibility 0) changes nothing, as if it were not there."""
        credible = self.talks.live(-math.inf)
        if credible != self.credible:
            self.credible = credible
            self.floor[:] = -math.inf

    def status(self) -> str:
        w = self.talks.world
        return "no-deal values " + ", ".join(
            f"{w.label(p.name)} {r:.3g}" for p, r in zip(self.parties, self.no_deal_values(),
                                                         strict=True))

    def begin(self, label: str) -> None:
        self.moved()

    def moved(self) -> None:
        """The story gives the zone's size whenever it changes."""
        w = self.talks.world
        if not w.tracing:
            return
        d = self.no_deal()[0]
        zone = int((self.tab.u >= (d - self.eps)[:, None]).all(axis=0).sum())
        if zone != self.zone:
            w.log("zone", f"zone of agreement: {zone} offers" + (
                f" (was {self.zone})" if self.zone >= 0 else ""), size=zone)
            self.zone = zone

    def propose(self, i: int) -> int | None:
        """The screening offer (module doc), or None when no offer may be accepted."""
        rule = self.rule
        if self.kernel is None:  # a majority or weighted rule: every vote pattern weighed
            assert rule is not None
            g = self.g = self.going_on(i)
            gi = self._believed(i, g)
            f, prob = choose(self.tab.u[i], self._passing(i, g) * rule.ratified, gi,
                             self.eps[i], self.tab.rank[i])
        else:  # unanimity, with or without ratifiers: going_on, _believed and screen_reference
            f, prob, gi = self._compiled_turn(i)
        w = self.talks.world
        if f < 0:
            if w.tracing:
                w.log("pass", f"{w.label(self.parties[i].name)} sees no offer the others may "
                      f"accept worth its value of going on {gi:.3g}")
            return None
        if w.tracing:
            self._story_offer(i, f, prob, gi)
        return int(self.tab.idx[f])

    def _compiled_turn(self, i: int) -> tuple[int, float, float]:
        """Proposer i's turn under unanimity as one compiled call (``kernels.propose``): the
        no-deal values, the stationary solution (kept under its key), the value of going on,
        i's believed value of it and the screening offer."""
        talks, kernels = self.talks, self.k
        delta, cost, lots, key, ahead = self._situation()
        v = self.solved.get(key) if key is not None else None
        us, ut, r, live, ruled, eps, top, reach = self.kernel  # type: ignore[misc]
        rule = self.rule
        if ahead:  # the threat point as the no-deal values (no_deal() adds nothing to it)
            d0, trend, now, shift, cut = (self.threat_point(self.no_deal(), ahead),
                                          self.no_cut, 0.0, self.no_cut, self.no_cut)
        else:
            d0, trend, now, shift, cut = (self.d0, self.trend, talks.world.env._now,  # noqa
                                          self._shifts(), self._cut(talks.position.audience))
        f, prob, gi, self.g, v_out, solved = kernels.propose(
            d0, trend, now, shift, cut, delta, cost, self.no_v if v is None else v,
            key is not None and v is None, key is not None, us, ut, r, live, ruled, eps,
            MAX_CYCLES, top, reach, lots, self.b_all, self.unstated, i, self.uc,
            self.m, self.alive, self.floor,
            self.sure if rule is None else rule.ratified, self.tab.rank[i],
            talks.world.tracing)  # a story prints gi: it solves even for a certain pass
        if solved:
            self._keep(key, v_out)  # type: ignore[arg-type]
        return f, prob, gi

    def _story_offer(self, i: int, f: int, prob: float, gi: float) -> None:
        """The offer at position ``f``, with what the proposer believed of it."""
        w, offer, data = self.talks.world, int(self.tab.idx[f]), {}
        ratify = ""
        if self.rule is not None and self.talks.roles.ratifiers:
            data["ratified"] = float(self.rule.ratified[f])
            ratify = f", P(ratified) {data['ratified']:.2f}"
        w.log("offer", f"{w.label(self.parties[i].name)} offers {w.describe_offer(offer)} "
              f"(own {self.tab.u[i, f]:.3g}, believed P(accept) {prob:.2f}{ratify}, going on "
              f"{gi:.3g})", proposer=self.parties[i].name, offer=offer, **data)

    def _passing(self, i: int | None, g: np.ndarray) -> np.ndarray:
        """P(the rule passes each offer) as proposer ``i`` (None: a mediator) believes it: the
        responders answer independently, each with the share of its surviving types that
        accept; every yes/no pattern is weighed (the proposer votes yes)."""
        assert self.rule is not None
        voters = [j for j in range(self.n) if j != i]
        shares = np.array([self._acceptance(j, g) for j in voters])
        if self.rule.weights is None:  # unanimity: only "everyone yes" passes
            return np.asarray(np.prod(shares, axis=0))
        out = np.zeros(self.tab.u.shape[1])
        for pattern in itertools.product((False, True), repeat=len(voters)):
            votes = np.ones(self.n, dtype=bool)
            votes[voters] = pattern
            if self.rule.carried(votes[:, None])[0]:
                yes = np.array(pattern)
                out += np.prod(np.where(yes[:, None], shares, 1.0 - shares), axis=0)
        return out

    def mediate(self, name: str) -> int | None:
        """The mediator's single text: the feasible offer with every believed gain over the
        no-deal value positive that maximises ``R(o) prod_k gain_k(o) ** b_k`` (ties: the first
        in the table); None when no offer gains every party."""
        talks, w, m = self.talks, self.talks.world, self.m
        r = self.sure if self.rule is None else self.rule.ratified
        d, ok, some = self.k.mediation(  # no_deal(), then candidates_reference
            self.d0, self.trend, w.env._now, self._shifts(),  # noqa: SLF001
            self._cut(talks.position.audience), self.uc, m, self.eps, r)
        if not some:
            if w.tracing:
                w.log("pass", f"{w.label(name)} sees no text that gains every party over its "
                      "believed no-deal value")
            return None
        # The parties answer a text by their values of going on (answers() reads them): only
        # a text put to the vote needs them.
        self.g = self.going_on((talks.turn - 1) % self.n)
        believed = self.k.type_means(d, m)  # each party's mean over its types
        gains = self.tab.u - believed[:, None]
        bias = talks.roles.mediators[name]
        logs = np.log(np.where(ok, gains, 1.0))
        score = np.where(ok, weighted_sum(logs, bias) + np.log(np.where(ok, r, 1.0)), -np.inf)
        f = int(score.argmax())
        offer = int(self.tab.idx[f])
        if w.tracing:
            w.log("mediator", f"{w.label(name)} proposes a single text: "
                  f"{w.describe_offer(offer)} (believed gains " + ", ".join(
                      f"{w.label(p.name)} {x:.3g}" for p, x in zip(self.parties, gains[:, f],
                                                                   strict=True))
                  + (f"; P(ratified) {r[f]:.2f})" if talks.roles.ratifiers else ")"),
                  proposer=name, offer=offer,
                  **({"ratified": float(r[f])} if talks.roles.ratifiers else {}))
        return offer

    def _believed(self, i: int, g: np.ndarray) -> float:
        """i's own value of going on given its beliefs: the mean, over the others' surviving
        types, of its value of going on if that type were the truth."""
        return self.k.mean_at(g, self._rows(i), i)  # type: ignore[no-any-return]

    def _rows(self, i: int) -> np.ndarray:
        """The scenario rows of the others' types that i still holds possible (kept until an
        answer moves them)."""
        rows = self.rows.get(i)
        if rows is None:
            m = self.m
            parts = [1 + j * m + np.flatnonzero(self.alive[j]) for j in self.tab.others[i]]
            rows = self.rows[i] = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return rows

    def _acceptance(self, j: int, g: np.ndarray) -> np.ndarray:
        """:func:`acceptance` of responder j under the going-on values ``g``."""
        return acceptance(self.tab.u[j], g[1 + j * self.m: 1 + (j + 1) * self.m, j],
                          self.alive[j], self.eps[j], self.floor[j])

    def respond(self, i: int, offer: int) -> bool:
        """Each responder accepts iff the offer is worth its value of going on; the others
        learn from every answer (module doc)."""
        return all(self.answers(i, offer))

    def answers(self, i: int | None, offer: int) -> list[bool]:
        """Every party's vote on ``offer`` (proposer ``i`` votes yes; None: a mediator's
        text, which every party answers), each by the responder rule; the others learn from
        every answer (module doc). A text's ratification does not change the rule: accepting
        gives ``R u + (1 - R) G``, at least ``G`` exactly when ``u >= G``."""
        w, f, g = self.talks.world, self.pos[offer], self.g
        self.rows.clear()
        votes: list[bool] = self.k.answer(self.uc, f, g, self.m, self.eps, self.alive,
                                          self.floor, -1 if i is None else i).tolist()
        if w.tracing:
            for j in (self.tab.others[i] if i is not None else range(self.n)):
                p, u, yes = self.parties[j], float(self.tab.u[j, f]), votes[j]
                w.log("response", f"{w.label(p.name)} {'accepts' if yes else 'declines'}: "
                      f"{u:.3g} {'>=' if yes else '<'} going on {g[0, j]:.3g}",
                      party=p.name, utility=u, aspiration=float(g[0, j]))
        return votes

    def learned(self) -> None:
        """A ratifier's vote moved the ratification table: every later choice, the
        stationary solution included, weighs the new one (the solved cache is stale)."""
        self.rule = _rule(self.talks.roles, self.talks.ratification.table, self.tab)
        self.kernel = _kernel_args(self.tab, self.rule, self.eps)
        self.solved.clear()

    def wants_last_meeting(self, deadline: float) -> bool:
        """Some offer beats every party's value of not agreeing by ``deadline``."""
        g = self.going_on(self.talks.turn % self.n, last=deadline, decide=self._called)
        return self._acceptable(g)

    def _acceptable(self, g: np.ndarray) -> bool:
        """Some offer is worth every party's value of going on ``g`` (row 0), with R > 0
        (``kernels.acceptable``; the definition :func:`acceptable_reference`)."""
        rule = self.rule
        return self.k.acceptable(  # type: ignore[no-any-return]
            self.uc, g, self.eps, self.sure if rule is None else rule.ratified, rule is not None)

    def _called(self, low: np.ndarray, high: np.ndarray) -> np.ndarray | None:
        """Bounds that settle :meth:`wants_last_meeting` (fewer offers are acceptable the
        higher the values): an offer acceptable at the upper bound, or none at the lower."""
        if self._acceptable(high):
            return high
        return None if self._acceptable(low) else low


def acceptance(uj: np.ndarray, types: np.ndarray, alive: np.ndarray, eps: float,
               floor: float) -> np.ndarray:
    """The share of a responder's surviving types (``types``: each type's value of going on,
    ``alive``: those still believed) that accept each offer, zero at or below its floor."""
    thr = types[alive]
    share = np.count_nonzero(uj[None, :] >= (thr - eps)[:, None], axis=0) / len(thr)
    return share * (uj > floor + eps)  # type: ignore[no-any-return]


def choose(ui: np.ndarray, prob: np.ndarray, gi: float, eps: float, rank: np.ndarray
           ) -> tuple[int, float]:
    """The proposer's choice (module doc): among the offers worth ``gi`` with ``prob > 0``, the
    one maximising ``prob u + (1 - prob) gi``, ties to the higher prob, then the lower
    ``rank``; its position (-1: none) and prob."""
    eu = prob * ui + (1.0 - prob) * gi
    cand = (ui >= gi - eps) & (prob > 0)
    if not cand.any():
        return -1, 0.0
    best = eu[cand].max()
    cand &= eu >= best - eps
    cand &= prob >= prob[cand].max() - 1e-12
    f = int(np.flatnonzero(cand)[np.argmin(rank[cand])])
    return f, float(prob[f])


def answers_reference(u: np.ndarray, f: int, g: np.ndarray, m: int, eps: np.ndarray,
                      alive: np.ndarray, floor: np.ndarray, i: int | None) -> list[bool]:
    """Every party's vote on the offer at position ``f`` in numpy (:meth:`Alternating.answers`;
    ``i`` the proposer, who votes yes, or None for a mediator's text): the definition
    ``kernels.answer`` compiles. Updates ``alive`` and ``floor`` as the kernel does."""
    votes = [True] * u.shape[0]
    for j in (j for j in range(u.shape[0]) if j != i):
        x = float(u[j, f])
        yes = bool(x >= g[0, j] - eps[j])
        votes[j] = yes
        alive[j] &= (x >= g[1 + j * m: 1 + (j + 1) * m, j] - eps[j]) == yes
        if not alive[j].any():
            alive[j] = True
        if not yes:
            floor[j] = max(floor[j], x)
    return votes


def acceptable_reference(u: np.ndarray, g: np.ndarray, eps: np.ndarray,
                         ratified: np.ndarray | None) -> np.ndarray:
    """The offers every party's value of going on ``g`` (row 0) accepts, with R > 0 when a
    rule applies (``ratified`` not None), in numpy: ``kernels.acceptable`` is its ``any``."""
    ok = (u >= (g[0] - eps)[:, None]).all(axis=0)
    if ratified is not None:
        ok &= ratified > 0
    return ok  # type: ignore[no-any-return]


def candidates_reference(u: np.ndarray, d: np.ndarray, m: int, eps: np.ndarray,
                         r: np.ndarray) -> np.ndarray:
    """The offers a mediator may put forward (:meth:`Alternating.mediate`), in numpy: every
    party's gain over its believed no-deal value (the mean over its types) above ``eps``, and
    ``R > 0``; the definition ``kernels.candidates`` compiles."""
    believed = np.array([d[1 + k * m: 1 + (k + 1) * m, k].mean() for k in range(len(u))])
    gains = u - believed[:, None]
    return (gains > eps[:, None]).all(axis=0) & (r > 0)  # type: ignore[no-any-return]


def screen_reference(u: np.ndarray, i: int, g: np.ndarray, m: int, alive: np.ndarray,
                     floor: np.ndarray, eps: np.ndarray, ratified: np.ndarray, ruled: bool,
                     rank: np.ndarray, gi: float) -> tuple[int, float]:
    """Proposer i's screening offer under unanimity in numpy: the definition
    ``kernels.screen`` compiles (tests/test_kernels.py). ``P`` is the product of each other
    party's :func:`acceptance`, times R when ``ruled``; the choice is :func:`choose`'s."""
    prob = np.ones(u.shape[1])
    for j in range(u.shape[0]):
        if j != i:
            prob *= acceptance(u[j], g[1 + j * m: 1 + (j + 1) * m, j], alive[j], eps[j],
                               floor[j])
    return choose(u[i], prob * ratified if ruled else prob, gi, eps[i], rank)


def _rule(roles: Roles, table: np.ndarray | None, tab: Tables) -> Rule | None:
    """The replication's ratification (``table``: R over every offer, as the negotiators now
    know the ratifiers) and voting over the feasible offers; None for plain unanimity without
    ratifiers (the rules of section 3.1 unchanged)."""
    if table is None and roles.weights is None:
        return None
    ratified = (np.ones(len(tab.idx)) if table is None
                else np.asarray(table[tab.idx], dtype=float))
    return Rule(ratified, roles.weights, roles.threshold)


KernelArgs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool, np.ndarray,
                   np.ndarray, np.ndarray]


def _kernel_args(tab: Tables, rule: Rule | None, eps: np.ndarray) -> KernelArgs | None:
    """What the solve reads besides d, delta and cost, computed once per rule (None: a
    majority or weighted rule, which :func:`reference` solves): the tables, R and where it is
    positive, whether a rule applies, eps, and the scan's bounds (``kernels.bounds``,
    ``kernels.reaches``)."""
    if rule is not None and rule.weights is not None:
        return None
    from sim.engine.protocols import kernels  # numba loads with the first talks

    r, live = rule.stacked(tab) if rule is not None else (tab.certain, tab.no_rule)
    return (tab.stacked_u, tab.stacked_t, r, live, rule is not None,
            np.ascontiguousarray(eps, dtype=float), kernels.bounds(r, tab.stacked_t, live),
            _reach(tab, kernels))


def _reach(tab: Tables, kernels: Any) -> np.ndarray:
    """``kernels.reaches`` of the tables (the same whatever the rule: computed once)."""
    return tab._lazy("_reach", lambda: kernels.reaches(tab.stacked_t))  # noqa: SLF001


def warm() -> None:
    """Compile every kernel at the array types the engine passes them, or load it from
    numba's cache when it is there, on a two-party problem of two offers: the compiler's
    seconds are spent once at installation (``make``, ``python -m sim.engine.protocols``)
    instead of in a user's first run (tests/test_kernels.py checks that the engine then
    compiles nothing more)."""
    from sim.engine.protocols import kernels

    n, m = 2, 1
    u = np.array([[1.0, 0.0], [0.0, 1.0]])
    tab = make_tables(np.arange(2), u, u, [np.array([1]), np.array([0])])
    eps, zeros = np.full(n, EPS), np.zeros(n)
    d = kernels.no_deal(np.zeros((1 + n * m, n)), zeros, 0.0, zeros, zeros)
    v = _compiled(tab, d, np.full(n, 0.9), zeros, eps, None)[0][1]
    bs = np.zeros((1, 1 + n * m, n))
    g = kernels.going_on(d, np.full(n, 0.9), zeros, v, True, np.array([[0.0, 0.5, 1.0]]), bs,
                         np.isnan(bs))
    gi = kernels.mean_at(g, np.arange(1 + m, 1 + 2 * m), 0)
    kernels.screen(tab.uc, 0, g, m, np.ones((n, m), dtype=bool), np.full(n, -math.inf), eps,
                   tab.certain[0], False, tab.rank[0], gi)
    kernels.going_on_bounds(d, np.full(n, 0.9), zeros, np.array([[0.0, 0.5, 1.0]]), bs,
                            np.isnan(bs), tab.best)
    kernels.type_means(d, m)
    kernels.threat_point(d, zeros, 0.0, np.array([[0.0, 0.5, 1.0]]), bs, np.isnan(bs))
    kernels.acceptable(tab.uc, g, eps, tab.certain[0], False)
    kernels.answer(tab.uc, 0, g, m, eps, np.ones((n, m), dtype=bool), np.full(n, -math.inf), -1)
    kernels.candidates(tab.uc, d, m, eps, tab.certain[0])
    kernels.mediation(np.zeros((1 + n * m, n)), zeros, 0.0, zeros, zeros, tab.uc, m, eps,
                      tab.certain[0])
    us, ut, r, live, ruled, eps, top, reach = _kernel_args(tab, None, eps)  # type: ignore[misc]
    for v_in, solve_now in ((np.zeros((0, 0, 0)), True), (np.zeros((n, 1 + n * m, n)), False)):
        kernels.propose(np.zeros((1 + n * m, n)), zeros, 0.0, zeros, zeros, np.full(n, 0.9),
                        zeros, v_in, solve_now, True, us, ut, r, live, ruled, eps, MAX_CYCLES,
                        top, reach, NO_LOTS, bs, np.isnan(bs), 0, tab.uc, m,
                        np.ones((n, m), dtype=bool), np.full(n, -math.inf), tab.certain[0],
                        tab.rank[0], False)
