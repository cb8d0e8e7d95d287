"""What a scenario fixes for a whole run (the Plan) and what one replication draws (Params).

The Plan is built once: the offer table, the feasibility mask, names and indices. Params are
plain floats and numpy arrays drawn once per replication from the parameter distributions;
when the scenario has none, they are computed once and shared. Nothing here is read by
pydantic inside the event loop.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit, ndtri

from sim.engine.rng import Ahead, one_uniform
from sim.engine.worth import worth_tables
from sim.scenario import (
    After,
    Choice,
    Deadline,
    Normal,
    Scenario,
    Stake,
    Triangular,
    Uniform,
    targets,
)

Key = tuple[str, str]
Pairs = tuple[tuple[int, int, float], ...]  # (term a, term b, weight) of a party's interactions

# The formulas stated in field descriptions and docs/model.md, as the engine computes them
# (tests/test_docs.py evaluates each against its function and finds it in both texts).
NO_DEAL = "(1 - c) * status_quo + c * plan_b + premium"
# The threat's effective credibility with partners (docs/model.md, section 4).
EFFECTIVE = "c * P(at least N of the partners join)"


@dataclass(frozen=True)
class PartyParams:
    """One bargainer's drawn numbers, in its own units (see docs/model.md, section 3).

    ``status_quo`` is u(status quo); ``best`` and ``low`` bound its utility over the feasible
    offers and ``span`` is their distance (1 for a party indifferent to every feasible offer),
    the scale on which ``tau`` and ``noise`` are stated.
    """

    name: str
    status_quo: float
    premium: float
    reservation: float | None  # a literal no-deal value, when the scenario states one
    plan_b: float | None  # the party's value of the deadline's plan B, when stated
    horizon: float
    e: float
    k: float
    tau: float
    noise: float
    best: float
    low: float
    span: float
    rho: float = 0.0  # discount rate per day (cost of delay)
    delay_cost: float = 0.0  # cost of delay per day, own units
    trend: float = 0.0  # status quo's change per day, own units
    # The others' beliefs: this party's no-deal base (literal reservation, or status quo +
    # premium) and plan-B payoff for each of its types (quantiles of the stated distributions).
    base_types: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False)
    plan_b_types: np.ndarray | None = field(default=None, compare=False)
    # Every deadline's plan-B payoff and its types, in the scenario's order (the first is
    # plan_b); empty when the scenario has at most one deadline.
    plan_bs: tuple[float | None, ...] = field(default=(), compare=False)
    plan_b_types_all: tuple[np.ndarray | None, ...] = field(default=(), compare=False)

    def no_deal(self, credibility: float) -> float:
        """:data:`NO_DEAL` (the threat folded in, as ``faratin`` reads it), or the literal
        value."""
        if self.reservation is not None:
            return self.reservation
        if self.plan_b is None:
            return self.status_quo + self.premium
        c = credibility
        return (1.0 - c) * self.status_quo + c * self.plan_b + self.premium

    def no_deal_under(self, live: list[tuple[int, float]]) -> float:
        """The no-deal value under several live threats ``(deadline index, credibility)`` in
        date order: nested lotteries c1 * B1 + (1 - c1) * (c2 * B2 + (1 - c2) * (...
        status_quo)) + premium, a threat without a payoff for this party leaving it at the
        status quo. With one deadline in the scenario, :meth:`no_deal`."""
        if len(self.plan_bs) <= 1:
            return self.no_deal(live[0][1] if live else 0.0)
        if self.reservation is not None:
            return self.reservation
        value = self.status_quo
        for k, c in reversed(live):
            b = self.plan_bs[k]
            value = c * (self.status_quo if b is None else b) + (1.0 - c) * value
        return value + self.premium

    def payoff(self, k: int) -> float | None:
        """Plan B's payoff to this party for deadline ``k``."""
        return self.plan_bs[k] if self.plan_bs else (self.plan_b if k == 0 else None)

    def payoff_types(self, k: int) -> np.ndarray | None:
        """The others' types of this party's payoff for deadline ``k``."""
        return self.plan_b_types_all[k] if self.plan_bs else (
            self.plan_b_types if k == 0 else None)

    def hurt_by(self, k: int) -> bool:
        """Whether carrying out deadline ``k``'s plan B leaves this party below its status
        quo."""
        b = self.payoff(k)
        return b is not None and b < self.status_quo

    @property
    def base(self) -> float:
        """The no-deal value without any threat or trend: the literal reservation, or the
        status quo plus the premium."""
        if self.reservation is not None:
            return self.reservation
        return self.status_quo + self.premium

    @property
    def threatened(self) -> bool:
        """Whether carrying out plan B would leave this party worse off than the status quo."""
        return self.plan_b is not None and self.plan_b < self.status_quo

    @property
    def fallback(self) -> float:
        """What the party gets when no deal holds and plan B is not carried out."""
        return self.reservation if self.reservation is not None else self.status_quo


@dataclass(frozen=True)
class EffectParams:
    """One effect's drawn numbers and its stages (docs/model.md, section 7)."""

    name: str
    term: int
    target: Key
    per_unit: float
    via: float  # the combined leverage, 1 - prod(1 - l_i) over its paths (1 without via)
    tied_to_truce: bool
    additive: bool = False  # status_quo and covers move by a shift, not a factor
    staged: bool = False  # waits, ramps or has a condition (else it acts at the deal)
    anchor: str = "deal"  # 'deal' or 'truce'
    delay: float = 0.0  # days from the anchor (or the last milestone) to its start
    ramp: float = 0.0  # days over which the factor moves from 1 to its full value
    requires: tuple[int, float, float] | None = None  # (term index, lowest, highest level)
    after_effect: int | None = None  # index of the effect it waits for
    after_truce: float | None = None  # days the truce must have held
    via_keys: tuple[Key, ...] = ()  # the leverage parameters behind ``via``

    def change(self, level: float, via: float | None = None) -> float:
        """The factor ``max(0, 1 + per_unit * level * via)``, or for an additive target the
        shift ``per_unit * level * via``, at full strength."""
        v = self.via if via is None else via
        if self.additive:
            return self.per_unit * level * v
        return max(0.0, 1.0 + self.per_unit * level * v)

    def met(self, levels: np.ndarray) -> bool:
        """Whether the agreed ``levels`` meet its condition on another term."""
        if self.requires is None:
            return True
        term, lo, hi = self.requires
        return lo - 1e-12 <= float(levels[term]) <= hi + 1e-12


def combined(leverages: list[float]) -> float:
    """Independent channels: ``1 - prod(1 - l_i)`` (one path: its leverage itself)."""
    if len(leverages) == 1:
        return leverages[0]
    return 1.0 - math.prod(1.0 - x for x in leverages)


def via_paths(via: str | list[str] | None) -> list[str]:
    """The leverage paths of a ``via`` or ``delivered_via`` entry."""
    if via is None:
        return []
    return [via] if isinstance(via, str) else list(via)


@functools.cache
def leverage_key(path: str) -> Key:
    """``PATRON.leverage.CLIENT`` as the live parameter's key."""
    patron, _, client = path.split(".")
    return patron, "leverage." + client


@dataclass(frozen=True)
class ShockParams:
    name: str
    day: float
    label: str
    probability: float
    target: Key | None
    factor: float
    duration: float | None
    breaks_truce: bool
    shift: float = 0.0  # added to a party's status quo, for a PARTY.status_quo target


@dataclass(frozen=True)
class ThreatParams:
    """One deadline of one replication: its day, drawn credibility and partners."""

    name: str
    path: str  # 'deadline' or 'deadlines.NAME' (its parameters' dotted paths)
    stream: str  # its own random stream: adding a deadline never shifts another's draws
    set_by: str
    targets: tuple[str, ...]
    day: float
    credibility: float  # c: the probability that the setter decides to carry plan B out
    decay: float
    partners: tuple[str, ...]
    willingness: tuple[float, ...]  # each partner's drawn willingness
    need: int  # how many partners must join
    joined: float  # P(at least need partners join) given the drawn willingness

    @property
    def effective(self) -> float:
        """:data:`EFFECTIVE`: what the parties weigh (they know the drawn willingness)."""
        return self.credibility * self.joined


def at_least(need: int, probabilities: tuple[float, ...]) -> float:
    """P(at least ``need`` of independent events with these probabilities happen), by the
    Poisson-binomial recursion; 1 when none are needed."""
    if need <= 0:
        return 1.0
    dist = [1.0]
    for q in probabilities:
        dist = [a * (1.0 - q) + b * q for a, b in zip([*dist, 0.0], [0.0, *dist], strict=True)]
    return float(sum(dist[need:]))


@dataclass(frozen=True)
class ExitParams:
    """An actor that may declare the truce over (docs/model.md, section 5)."""

    name: str
    seat: int | None  # index among the negotiation parties; None for an actor off the table
    tolerance: float
    against: list[float]  # weight of an observed violation attributed to each truce party
    worth: float = 0.0  # the stated worth of the deal to an actor off the table


@dataclass(frozen=True)
class StakeParams:
    """A stake restraining truce party ``party`` by what its holder would lose at breakdown."""

    party: int  # truce index of the restrained party
    seat: int | None  # the holder's seat at the table; None for a holder off it
    sensitivity: float
    worth: float = 0.0  # the stated worth to a holder off the table


@dataclass(frozen=True)
class TruceRules:
    """Monitoring, declared exits, the degraded state, stakes and what a collapse leaves."""

    detection: list[float]  # per truce party
    attribution: list[list[float]]  # attribution[i][j]: P(an observed violation by i is j's)
    exits: list[ExitParams]
    half_life: float
    degraded: tuple[int, float] | None  # (observed violations, window days)
    stakes: list[StakeParams]
    premium_shift: list[float]  # per negotiation party
    meeting_factor: float
    escalation: float
    deterrence: list[float] = field(default_factory=list)  # elasticity per truce party
    perceived: bool = True  # retaliation follows perceived (not true) violations
    blame: dict[str, list[float]] = field(default_factory=dict)  # spoiler -> P(blamed on i)

    @property
    def monitored(self) -> list[bool]:
        """Whether the monitor may miss or misattribute each party's violations."""
        return [d < 1.0 or row[i] != 1.0
                for i, (d, row) in enumerate(zip(self.detection, self.attribution, strict=True))]


NO_RULES = TruceRules([], [], [], 1.0, None, [], [], 1.0, 0.0, [], True, {})


@dataclass(frozen=True)
class RatifierParams:
    """A ratifier's drawn numbers, in its own units (docs/model.md, section 3.4)."""

    name: str
    utilities: np.ndarray  # u_r(o) of every offer
    no_deal: float  # d_r: status quo value + premium
    fallback: float  # what no deal leaves it with: the status quo value
    tau: float  # logit noise, own units
    q: np.ndarray  # P(it ratifies o) for every offer


@dataclass(frozen=True)
class Roles:
    """Ratifiers, mediators and the decision rule of one replication."""

    ratifiers: list[RatifierParams]
    ratified: np.ndarray | None  # R(o) = prod_r q_r(o); None without ratifiers
    mediators: dict[str, np.ndarray]  # mediator -> its exponent for each party
    weights: np.ndarray | None  # each party's vote weight; None under unanimity
    threshold: float  # a text passes when the weight accepting exceeds threshold * total

    @property
    def active(self) -> bool:
        """Whether anything but unanimous parties decides (the talks' plain path otherwise)."""
        return bool(self.ratifiers or self.mediators or self.weights is not None)


NO_ROLES = Roles([], None, {}, None, 0.5)


def ratify_probability(u: np.ndarray, d: float, tau: float) -> np.ndarray:
    """:data:`sim.scenario.model.RATIFY` for every offer worth ``u``; with ``tau = 0``, 1
    exactly where ``u >= d`` (to a relative tolerance of 1e-12), else 0."""
    if tau <= 0:
        scale = max(1.0, float(np.abs(u).max(initial=0.0)), abs(d))
        return (u >= d - 1e-12 * scale).astype(float)
    return np.asarray(expit((u - d) / tau), dtype=float)


@dataclass(frozen=True)
class Params:
    """Every number one replication reads, drawn from the scenario's distributions."""

    base: dict[Key, float]
    parties: list[PartyParams]
    utilities: np.ndarray  # (parties, offers), each party in its own units
    beliefs: np.ndarray  # (parties, offers), utilities rescaled to [0, 1] over feasible offers
    threats: list[ThreatParams]  # every deadline, in the scenario's order
    meeting_days: list[float]  # the scheduled meetings' days, in the scenario's order
    alpha: list[list[float]]  # alpha[i][j]: jump in i's rate per violation by j
    beta: list[list[float]]  # beta[i][j]: decay of i's excitation by j's violations
    excites: dict[str, list[float]]  # spoiler -> jump per truce party
    spoiler_beta: dict[str, list[float]]  # spoiler -> decay of each party's excitation by it
    rules: TruceRules
    aid_multiplier: float
    effects: list[EffectParams]
    shocks: list[ShockParams]
    drawn: dict[str, float]  # every distribution-valued draw, by dotted path
    roles: Roles = NO_ROLES
    # What a protocol derives from these numbers, set up with the replication's chunk
    # (Protocol.prepare), by the protocol's name: the same values it would compute itself.
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class Shape:
    """What a scenario's shape alone fixes (the terms, their levels, the constraints, the
    bargainers in order): the offer table, the feasibility mask and the tables derived from
    them, cached by the weights they depend on. Scenarios of one shape (the points of a
    sweep whose swept values leave the shape alone) share one Shape, so a table built for one
    point serves every later point with the same weights."""

    def __init__(self, scenario: Scenario):
        s = scenario
        self.key = shape_key(s)
        self.terms: list[str] = list(s.negotiation.terms) if s.negotiation else []
        self.offers = _offer_table(s)
        self.feasible = _feasible(s, self.offers, self.terms)
        self.offers.flags.writeable = self.feasible.flags.writeable = False
        self.cache: dict[Any, Any] = {}  # derived tables keyed by the weights they depend on


def shape_key(s: Scenario) -> str:
    """The shape of ``s`` as text: its term levels, constraints and bargainers (equal keys,
    equal offer tables, masks and derived tables)."""
    n = s.negotiation
    if n is None:
        return "none"
    return repr((list(n.terms.items()),
                 [(c.term, c.min, c.max) for c in n.constraints], list(n.parties)))


class Plan:
    """The parts of a scenario fixed for a whole run."""

    def __init__(self, scenario: Scenario, seed: int | None = None,
                 shape: Shape | None = None):
        s = self.scenario = scenario
        self.seed = s.seed if seed is None else seed
        self.horizon = float(s.horizon_days)
        self.actors = list(s.actors)
        if shape is None or shape.key != shape_key(s):
            shape = Shape(s)
        self.shape = shape
        self.terms, self.offers, self.feasible = shape.terms, shape.offers, shape.feasible
        self.truce_parties: list[str] = list(s.truce.parties) if s.truce else []
        self.threats = s.threats()
        first = next(iter(self.threats.values()), None)
        # The first deadline's day when the scenario fixes it (NaN when drawn or tied to an
        # event: the records' deadline_day holds each replication's).
        self.deadline_day = (s.day(first.day) if first is not None
                             and isinstance(first.day, dt.date | int | float) else math.nan)
        # Threat columns in the record (escalation_by, plan_b_joined, deadline_outcome_NAME)
        # for the deadlines map or partners with a willingness; older files keep their rows.
        self.threat_columns = bool(s.deadlines) or any(
            isinstance(d.plan_b.partners, dict) for d in self.threats.values())
        self.random = _has_distribution(s.model_dump())
        self._fixed: Params | None = None
        self._prepared: dict[int, Params] = {}  # set up by prepare(), each handed over once
        self.ahead = Ahead()  # the first blocks of a chunk's streams, drawn together
        self.cache = shape.cache
        self._targets: dict[str, targets.Target] = {}
        self._types: dict[tuple[str, int], np.ndarray] = {}
        self._effects_on: dict[Key, tuple[int, ...]] | None = None
        self.parts: dict[str, Any] = {}  # parts of Params no replication draws (_unless_drawn)
        self._targeted: set[Key] | None = None

    def target(self, path: str) -> targets.Target:
        """``targets.parse`` of a target path of this scenario (parsed once per run)."""
        hit = self._targets.get(path)
        if hit is None:
            hit = self._targets[path] = targets.parse(self.scenario, path)
        return hit

    def effects_on(self, target: Key) -> tuple[int, ...]:
        """The positions, in the scenario's order, of the effects on the live parameter
        ``target`` (the scenario fixes them: found once per run)."""
        return self._effect_targets().get(target, ())

    def _effect_targets(self) -> dict[Key, tuple[int, ...]]:
        if self._effects_on is None:
            found: dict[Key, list[int]] = {}
            for k, e in enumerate(self.scenario.effects.values()):
                found.setdefault(self.target(e.target).key, []).append(k)
            self._effects_on = {key: tuple(ks) for key, ks in found.items()}
        return self._effects_on

    def targeted(self, key: Key) -> bool:
        """Whether an effect or a shock of the scenario can change the live parameter ``key``
        (nothing else changes the truce's alpha, beta, detection and coverage)."""
        hit = self._targeted
        if hit is None:
            hit = self._targeted = set(self._effect_targets()) | {
                self.target(sh.target).key for sh in self.scenario.shocks.values() if sh.target}
        return key in hit

    def types(self, path: str, value: Any, m: int) -> np.ndarray:
        """:func:`_at_quantiles` of the stated ``value`` at ``path`` (the scenario fixes it:
        computed once per run; read-only)."""
        key = (path, m)
        hit = self._types.get(key)
        if hit is None:
            hit = self._types[key] = _at_quantiles(value, m)
            hit.flags.writeable = False
        return hit

    def utilities(self, weights: tuple[tuple[float, ...], ...],
                  interactions: tuple[Pairs, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Own-unit utilities of every offer for each party's weights (and interactions of
        two terms), and the same rescaled to [0, 1] over the feasible offers (cached)."""
        key = ("utilities", weights, interactions)
        tables = self.cache.get(key)
        if tables is None:
            own = self.own_utilities(weights, interactions)
            tables = own, _rescaled(own, self.feasible)
            tables[1].flags.writeable = False
            self.remember(key, tables)
        return tables  # type: ignore[no-any-return]

    def own_utilities(self, weights: tuple[tuple[float, ...], ...],
                      interactions: tuple[Pairs, ...] = ()) -> np.ndarray:
        """:meth:`utilities`' own-unit table alone (cached, read-only)."""
        key = ("own", weights, interactions)
        own = self.cache.get(key)
        if own is None:
            own = np.vstack([additive_utility(self.offers, w) for w in weights])
            for k, pairs in enumerate(interactions):
                own[k] = with_interactions(self.offers, own[k], pairs)
            own.flags.writeable = False
            self.remember(key, own)
        return own  # type: ignore[no-any-return]

    def remember(self, key: Any, value: Any) -> None:
        """Cache a derived table; the cache is bounded when weights vary by replication."""
        if len(self.cache) >= 256:
            self.cache.clear()
        self.cache[key] = value

    def params(self, replication: int) -> Params:
        """The parameters of one replication (shared when the scenario is deterministic);
        those :meth:`prepare` set up are handed over once."""
        if not self.random:
            if self._fixed is None:
                self._fixed = _realise(self, [_Drawer(self.seed, replication, fixed=True)])[0]
            return self._fixed
        ready = self._prepared.pop(replication, None)
        if ready is not None:
            return ready
        return _realise(self, [_Drawer(self.seed, replication, fixed=False)])[0]

    def prepare(self, replications: range) -> list[Params]:
        """Set up the parameters of ``replications`` together, for :meth:`params` to hand
        over: the same numbers as one by one, in a fraction of the time (the truce's worth
        is computed as arrays over them). Any left from an earlier call are dropped. Returns
        the distinct parameters set up (the shared ones of a scenario that draws nothing)."""
        self._prepared = {}
        if not len(replications):
            return []
        if not self.random:
            return [self.params(replications[0])]
        self._prepared = dict(zip(replications, _realise(
            self, [_Drawer(self.seed, r, fixed=False) for r in replications]), strict=True))
        return list(self._prepared.values())


def _offer_table(s: Scenario) -> np.ndarray:
    if s.negotiation is None:
        return np.zeros((0, 0))
    levels = list(s.negotiation.terms.values())
    return np.array(list(itertools.product(*levels)), dtype=float).reshape(-1, len(levels))


def _feasible(s: Scenario, offers: np.ndarray, terms: list[str]) -> np.ndarray:
    mask = np.ones(len(offers), dtype=bool)
    if s.negotiation is None:
        return mask
    for c in s.negotiation.constraints:
        col = offers[:, terms.index(c.term)]
        if c.min is not None:
            mask &= col >= c.min - 1e-12
        if c.max is not None:
            mask &= col <= c.max + 1e-12
    return mask


def _has_distribution(data: Any) -> bool:
    if isinstance(data, dict):
        if len(data) == 1 and next(iter(data)) in {"uniform", "normal", "triangular", "choice"}:
            return True
        return any(_has_distribution(v) for v in data.values())
    if isinstance(data, list):
        return any(_has_distribution(v) for v in data)
    return False


class _Drawer:
    """Draws each distribution-valued parameter by inversion of one uniform from a stream
    named after its path, so a parameter keeps its quantile across scenario variants.

    Every drawn value is kept in ``drawn`` under its dotted path (the value used, after
    clipping), so a replication's record can be explained by its inputs."""

    def __init__(self, seed: int, replication: int, fixed: bool):
        self.seed, self.replication, self.fixed = seed, replication, fixed
        self.drawn: dict[str, float] = {}
        self.random = 0  # how many distributions have been drawn

    def __call__(self, value: Any, path: str, lo: float = -math.inf,
                 hi: float = math.inf) -> float:
        if isinstance(value, int | float):
            return float(value)
        self.random += 1
        u = one_uniform(self.seed, self.replication, "param:" + path)
        x = min(max(quantile(value, u), lo), hi)
        self.drawn[path] = x
        return x


def quantile(value: Any, u: float) -> float:
    """The ``u``-quantile of a distribution (its inverse CDF)."""
    if isinstance(value, Uniform):
        a, b = value.uniform
        return a + (b - a) * u
    if isinstance(value, Normal):
        mu, sd = value.normal
        return mu + sd * float(ndtri(min(max(u, 1e-16), 1 - 1e-16)))
    if isinstance(value, Triangular):
        lo, mode, hi = value.triangular
        if u * (hi - lo) < mode - lo:
            return lo + math.sqrt(u * (hi - lo) * (mode - lo))
        return hi - math.sqrt((1 - u) * (hi - lo) * (hi - mode))
    if isinstance(value, Choice):
        return value.choice[min(int(u * len(value.choice)), len(value.choice) - 1)]
    raise TypeError(f"not a number or distribution: {value!r}")


def _realise(plan: Plan, draws: list[_Drawer]) -> list[Params]:
    """The parameters of the replications drawing from ``draws``, set up together: each
    replication's draws, then the truce's worth of every offer for all of them at once
    (:func:`worth_tables`), then the parties and roles of each. A replication's numbers, and
    the order of its draws, are those of its set-up alone."""
    drawn = [_drawn(plan, draw) for draw in draws]
    s = plan.scenario
    if s.truce is not None and s.truce.worth is not None and s.negotiation is not None:
        worths = worth_tables(plan, [(draw, d.base, d.truce, d.effects)
                                     for draw, d in zip(draws, drawn, strict=True)])
        for d, worth in zip(drawn, worths, strict=True):
            assert d.pending is not None
            d.pending.worth = worth
    return [_params(plan, draw, d) for draw, d in zip(draws, drawn, strict=True)]


@dataclass
class _Drawn:
    """A replication's parameters before the truce's worth, its parties and roles."""

    base: dict[Key, float]
    pending: _Pending | None
    threats: list[ThreatParams]
    truce: dict[str, Any]
    aid: float
    effects: list[EffectParams]
    shocks: list[ShockParams]
    meeting_days: list[float]


def _drawn(plan: Plan, draw: _Drawer) -> _Drawn:
    s = plan.scenario
    base: dict[Key, float] = {}
    for name, actor in s.actors.items():
        base[(name, "violation_rate")] = draw(actor.violation_rate,
                                              f"actors.{name}.violation_rate", 0)
        base[(name, "attack_rate")] = draw(actor.attack_rate, f"actors.{name}.attack_rate", 0)
        for client, lev in actor.leverage.items():
            base[(name, "leverage." + client)] = draw(lev, f"actors.{name}.leverage.{client}", 0, 1)
    if s.negotiation:
        rate = s.negotiation.meetings.rate_per_day
        base[("meetings", "rate")] = draw(rate, "negotiation.meetings.rate_per_day", 0)
    if s.aid:
        base[("aid", "rate_per_day")] = draw(s.aid.rate_per_day, "aid.rate_per_day", 0)
    when = Timeline(s, draw)
    pending = _negotiators(plan, draw, base, when)
    threats = _threats(s, draw, when)
    truce = _unless_drawn(plan, "truce", draw, _truce)
    _truce_keys(plan, base, truce)
    aid = draw(s.aid.truce_multiplier, "aid.truce_multiplier", 0) if s.aid else 1.0
    effects = _effects(plan, draw, base)
    shocks = _shocks(plan, draw, when)
    meetings = s.negotiation.meetings.scheduled if s.negotiation else []
    meeting_days = [when.day(m.day, f"negotiation.meetings.scheduled.{i}.day")
                    for i, m in enumerate(meetings)]
    return _Drawn(base, pending, threats, truce, aid, effects, shocks, meeting_days)


def _params(plan: Plan, draw: _Drawer, d: _Drawn) -> Params:
    parties, utilities, beliefs = _parties(plan, d.pending)
    return Params(base=d.base, parties=parties, utilities=utilities, beliefs=beliefs,
                  threats=d.threats, meeting_days=d.meeting_days, **d.truce,
                  aid_multiplier=d.aid, effects=d.effects, shocks=d.shocks, drawn=draw.drawn,
                  roles=_roles(plan, draw, d.base))


def _unless_drawn(plan: Plan, part: str, draw: _Drawer,
                  make: Callable[[Plan, _Drawer], Any]) -> Any:
    """``make(plan, draw)``, kept for the whole run when it drew no distribution (it then
    reads nothing a replication draws: the scenario fixes it). The kept value is shared by
    every replication, as a deterministic scenario's parameters are: nothing changes it."""
    hit = plan.parts.get(part)
    if hit is not None:
        return hit
    before = draw.random
    out = make(plan, draw)
    if draw.random == before:
        plan.parts[part] = out
    return out


def _roles(plan: Plan, draw: _Drawer, base: dict[Key, float]) -> Roles:
    """Ratifiers' acceptance tables, mediators' exponents and the parties' vote weights."""
    n = plan.scenario.negotiation
    if n is None or not (n.ratifiers or n.mediators or n.decision_rule != "unanimity"):
        return NO_ROLES
    ratifiers = [_ratifier(plan, name, draw, base) for name in n.ratifiers]
    ratified = ratified_product([r.q for r in ratifiers]) if ratifiers else None
    mediators = {m: np.array([v.bias.get(p, 1.0) for p in n.parties], dtype=float)
                 for m, v in n.mediators.items()}
    weights = None
    if n.decision_rule == "majority":
        weights = np.ones(len(n.parties))
    elif n.decision_rule == "weighted":
        weights = np.array([n.capability[p] for p in n.parties], dtype=float)
    return Roles(ratifiers, ratified, mediators, weights, float(n.threshold))


def ratified_product(tables: list[np.ndarray]) -> np.ndarray:
    """``R(o) = prod_r R_r(o)``: numpy's product over the ratifiers (one ratifier's table is
    the product itself, copied, without stacking the list)."""
    return tables[0].copy() if len(tables) == 1 else np.prod(tables, axis=0)


def _ratifier(plan: Plan, name: str, draw: _Drawer, base: dict[Key, float]) -> RatifierParams:
    """One ratifier's utilities (delivered terms valued at the drawn leverage, as for a party
    other than the patron), no-deal value, noise and acceptance table."""
    n = plan.scenario.negotiation
    assert n is not None
    r, at = n.ratifiers[name], f"negotiation.ratifiers.{name}"
    weights = []
    for t in plan.terms:
        w = draw(r.weights.get(t, 0.0), f"{at}.weights.{t}")
        weights.append(w * _delivered(n.delivered_via.get(t), base, name))
    u = additive_utility(plan.offers, tuple(weights))
    if r.status_quo is None or isinstance(r.status_quo, dict):
        levels = _status_quo_levels(plan, r.status_quo)
        sq = float(additive_utility(levels[None, :], tuple(weights))[0])
    else:
        sq = draw(r.status_quo, f"{at}.status_quo")
    d = sq + draw(r.premium, f"{at}.premium")
    tau = draw(r.tau, f"{at}.tau", 0)
    return RatifierParams(name, u, d, sq, tau, ratify_probability(u, d, tau))


class Timeline:
    """The days of one replication's events (shock starts and ends, deadline days), each
    resolved once, in dependency order (a reference resolves the event it names first);
    ``sim.scenario.checks`` has refused unknown names and cycles."""

    def __init__(self, scenario: Scenario, draw: _Drawer):
        self.s, self.draw = scenario, draw
        self.events: dict[str, float] = {}
        self._resolving: set[str] = set()

    def at(self, event: str) -> float:
        """The day of ``event`` (e.g. ``shocks.aleppo.end``)."""
        if event not in self.events:
            if event in self._resolving:
                raise ValueError(f"timing references form a cycle through {event}")
            self._resolving.add(event)
            self.events[event] = self._resolve(event)
        return self.events[event]

    def _resolve(self, event: str) -> float:
        kind, name, what = event.split(".") if event.count(".") == 2 else ("", "", "day")
        if kind == "shocks":
            shock = self.s.shocks[name]
            start = self.day(shock.day, f"shocks.{name}.day")
            if what == "start":
                return start
            span = self.span(shock.duration_days, f"shocks.{name}.duration_days", start)
            return start + (math.inf if span is None else span)
        path = event.removesuffix(".day")
        key = path.removeprefix("deadlines.") if kind else "deadline"
        return self.day(self.s.threats()[key].day, path + ".day")

    def day(self, value: Any, path: str) -> float:
        """A day: a date, an offset, a distribution of it, or a reference plus an offset
        (clipped at day 0)."""
        if isinstance(value, After):
            return max(0.0, self.at(value.after) + self.draw(value.plus, path + ".plus"))
        if isinstance(value, dt.date):
            return self.s.day(value)
        return self.draw(value, path, 0)

    def span(self, value: Any, path: str, start: float) -> float | None:
        """A duration from ``start``: days, a distribution, or a reference naming its end."""
        if value is None:
            return None
        if isinstance(value, After):
            return max(0.0, self.day(value, path) - start)
        return self.draw(value, path, 1e-9)


def _truce_keys(plan: Plan, base: dict[Key, float], truce: dict[str, Any]) -> None:
    """The truce's parameters an effect or shock may change, as live keys (docs/model.md,
    section 7): detection, alpha, coverage per party, and beta as a factor on every kernel."""
    t = plan.scenario.truce
    if t is None:
        return
    names = plan.truce_parties
    base[("truce", "beta")] = 1.0
    for i, p in enumerate(names):
        base[(p, "detection")] = truce["rules"].detection[i]
        base[(p, "covers")] = float(t.covers.get(p, 1.0))
        for j, q in enumerate(names):
            base[(p, "alpha." + q)] = truce["alpha"][i][j]


@dataclass
class _Pending:
    """The negotiators' drawn weights and numbers, before the truce's worth (when the
    scenario states one) is added to their utilities and the parties are made."""

    drawn: list[tuple[tuple[float, ...], dict[str, Any]]]
    pairs: tuple[Pairs, ...]
    worth: np.ndarray | None = None


def _negotiators(plan: Plan, draw: _Drawer, base: dict[Key, float], when: Timeline
                 ) -> _Pending | None:
    """Every negotiator's draws (None without a negotiation): weights, numbers, interactions."""
    n = plan.scenario.negotiation
    if n is None:
        return None
    drawn = [_party_draws(plan, name, draw, base, when) for name in n.parties]
    pairs = tuple(_interactions(plan, name, draw) for name in n.parties)
    return _Pending(drawn, pairs if any(pairs) else ())


def _parties(plan: Plan, pending: _Pending | None
             ) -> tuple[list[PartyParams], np.ndarray, np.ndarray]:
    """The parties, their utility table (the truce's worth added) and the same rescaled: each
    party's utility bounds over the feasible offers, its status quo's utility when stated as
    levels and the others' types of its no-deal base."""
    if pending is None:
        return [], np.zeros((0, 0)), np.zeros((0, 0))
    n = plan.scenario.negotiation
    assert n is not None
    weights = tuple(w for w, _ in pending.drawn)
    if pending.worth is None:
        utilities, beliefs = plan.utilities(weights, pending.pairs)
    else:
        utilities = plan.own_utilities(weights, pending.pairs) + pending.worth
        beliefs = _rescaled(utilities, plan.feasible)
    feasible = utilities[:, plan.feasible]
    best_of, low_of = feasible.max(axis=1).tolist(), feasible.min(axis=1).tolist()
    parties = []
    for k, (w, numbers) in enumerate(pending.drawn):
        best, low = best_of[k], low_of[k]
        if numbers["status_quo"] is None:
            levels = _status_quo_levels(plan, n.parties[numbers["name"]].status_quo)[None, :]
            pairs = pending.pairs[k] if pending.pairs else ()
            u = with_interactions(levels, additive_utility(levels, w), pairs)
            numbers["status_quo"] = float(u[0])
        numbers["base_types"] = _base_types(plan, numbers)
        parties.append(PartyParams(best=best, low=low,
                                   span=best - low if best - low > 1e-12 else 1.0, **numbers))
    return parties, utilities, beliefs


def _delivered(via: Any, base: dict[Key, float], name: str) -> float:
    """The share of a term delivered through patrons' leverage (``delivered_via``) that actor
    ``name`` can expect: the patrons' combined leverage, or 1 for a patron (who bears its full
    cost) and for a term delivered by nobody."""
    paths = via_paths(via)
    if not paths or name in [path.split(".")[0] for path in paths]:
        return 1.0
    return combined([base[leverage_key(path)] for path in paths])


def _party_draws(plan: Plan, name: str, draw: _Drawer, base: dict[Key, float],
                 when: Timeline) -> tuple[tuple[float, ...], dict[str, Any]]:
    """A party's effective weights (delivered terms scaled by leverage) and drawn numbers."""
    n = plan.scenario.negotiation
    assert n is not None
    p, at = n.parties[name], f"negotiation.parties.{name}"
    weights = []
    for t in plan.terms:
        w = draw(p.weights.get(t, 0.0), f"{at}.weights.{t}")
        weights.append(w * _delivered(n.delivered_via.get(t), base, name))
    payoffs = _payoffs(plan, name, draw)
    sq = None if p.status_quo is None or isinstance(p.status_quo, dict) else p.status_quo
    numbers: dict[str, Any] = {
        "name": name,
        "status_quo": None if sq is None else draw(sq, f"{at}.status_quo"),
        "premium": draw(p.premium, f"{at}.premium"),
        "reservation": None if p.reservation is None else draw(p.reservation, f"{at}.reservation"),
        "plan_b": payoffs[0][0] if payoffs else None,
        "horizon": _horizon(p.horizon_days, f"{at}.horizon_days", draw, when),
        "rho": draw(p.discount_rate, at + ".discount_rate", 0),
        "delay_cost": draw(p.delay_cost, at + ".delay_cost", 0),
        "trend": draw(p.status_quo_trend, at + ".status_quo_trend"),
        "plan_b_types": payoffs[0][1] if payoffs else None,
        "e": draw(p.e, at + ".e", 1e-9), "k": draw(p.k, at + ".k", 0, 1),
        "tau": draw(p.tau, at + ".tau", 0), "noise": draw(p.noise, at + ".noise", 0)}
    if len(payoffs) > 1:
        numbers["plan_bs"] = tuple(b for b, _ in payoffs)
        numbers["plan_b_types_all"] = tuple(t for _, t in payoffs)
    return tuple(weights), numbers


def _payoffs(plan: Plan, name: str, draw: _Drawer
             ) -> list[tuple[float | None, np.ndarray | None]]:
    """The party's plan-B payoff of every deadline (None when not stated) and its types."""
    n = plan.scenario.negotiation
    assert n is not None
    out: list[tuple[float | None, np.ndarray | None]] = []
    for key, d in plan.threats.items():
        value = d.plan_b.payoffs.get(name)
        path = f"{plan.scenario.threat_path(key)}.plan_b.payoffs.{name}"
        out.append((None, None) if value is None else
                   (draw(value, path), plan.types(path, value, n.belief_types)))
    return out


def _horizon(value: Any, path: str, draw: _Drawer, when: Timeline) -> float:
    """A party's own concession horizon: none is infinite; a reference is its event's day."""
    if value is None:
        return math.inf
    if isinstance(value, After):
        return max(1e-9, when.day(value, path))
    return draw(value, path, 1e-9)


def _interactions(plan: Plan, name: str, draw: _Drawer) -> Pairs:
    """A party's interactions of two terms as (term a, term b, drawn weight)."""
    n = plan.scenario.negotiation
    assert n is not None
    at = f"negotiation.parties.{name}.interactions"
    return tuple((plan.terms.index(i.terms[0]), plan.terms.index(i.terms[1]),
                  draw(i.weight, f"{at}.{k}.weight"))
                 for k, i in enumerate(n.parties[name].interactions))


def _at_quantiles(value: Any, m: int) -> np.ndarray:
    """A stated quantity at the quantiles (k + 0.5) / m of its distribution (a number: m
    copies): the types the other parties consider."""
    if isinstance(value, int | float):
        return np.full(m, float(value))
    return np.array([quantile(value, (k + 0.5) / m) for k in range(m)])


def _base_types(plan: Plan, numbers: dict[str, Any]) -> np.ndarray:
    """The no-deal base (reservation, or status quo + premium) of each of a party's types."""
    n = plan.scenario.negotiation
    assert n is not None
    p, m = n.parties[numbers["name"]], n.belief_types
    at = f"negotiation.parties.{numbers['name']}"
    if p.reservation is not None:
        return plan.types(at + ".reservation", p.reservation, m)
    believed = p.believed_status_quo if p.believed_status_quo is not None else p.status_quo
    if believed is None or isinstance(believed, dict):
        sq = np.full(m, numbers["status_quo"])
    else:
        sq = plan.types(at + ".believed_status_quo", believed, m)
    return sq + plan.types(at + ".premium", p.premium, m)


def _status_quo_levels(plan: Plan, stated: Any) -> np.ndarray:
    """The status-quo offer's levels: as stated, every other term at its lowest level."""
    n = plan.scenario.negotiation
    assert n is not None
    stated = stated if isinstance(stated, dict) else {}
    return np.array([stated.get(t, n.terms[t][0]) for t in plan.terms], dtype=float)


def additive_utility(offers: np.ndarray, weights: tuple[float, ...]) -> np.ndarray:
    """``u(o) = sum_t w_t x_t(o)`` in the party's own units, never normalised.

    Summed term by term in scenario order, so a term whose level is 0 in every offer adds an
    exact 0.0 whatever its weight (a term fixed by a constraint at level 0 is inert).
    """
    u = np.zeros(len(offers))
    for t, w in enumerate(weights):
        u = u + w * offers[:, t]
    return u


def with_interactions(offers: np.ndarray, u: np.ndarray, pairs: Pairs) -> np.ndarray:
    """``u(o) + sum w x_a(o) x_b(o)`` over a party's interactions, added after the additive
    sum (so a term at 0 in every offer leaves ``u`` exactly as it was)."""
    for a, b, w in pairs:
        u = u + w * offers[:, a] * offers[:, b]
    return u


def _rescaled(own: np.ndarray, feasible: np.ndarray) -> np.ndarray:
    """Each party's utilities mapped to [0, 1] over the feasible offers (the proposer's common
    scale for comparing responders); a party indifferent among them gets 1 everywhere."""
    out = np.ones_like(own)
    inside = own[:, feasible]
    for k, (lo, hi) in enumerate(zip(inside.min(axis=1), inside.max(axis=1), strict=True)):
        if hi - lo > 1e-12:
            out[k] = (own[k] - lo) / (hi - lo)
    return out


def _threats(s: Scenario, draw: _Drawer, when: Timeline) -> list[ThreatParams]:
    return [_threat(s, name, d, draw, when) for name, d in s.threats().items()]


def _threat(s: Scenario, name: str, d: Deadline, draw: _Drawer, when: Timeline
            ) -> ThreatParams:
    path = s.threat_path(name)
    for a, v in d.plan_b.payoffs.items():
        draw(v, f"{path}.plan_b.payoffs.{a}")
    partners = d.plan_b.partners
    names = tuple(partners)
    willing = tuple(draw(partners[p].willingness, f"{path}.plan_b.partners.{p}.willingness",
                         0, 1) if isinstance(partners, dict) else 1.0 for p in names)
    need = d.plan_b.requires_partners
    need = len(names) if need == "all" else 1 if need == "any" else int(need)
    seats = list(s.negotiation.parties) if s.negotiation else []
    targets = ((d.target,) if isinstance(d.target, str) else tuple(d.target) if d.target
               else tuple(p for p in seats if p != d.set_by))
    return ThreatParams(
        name=name, path=path, stream="deadline" if path == "deadline" else "deadline:" + name,
        set_by=d.set_by, targets=targets, day=when.at(f"{path}.day"),
        credibility=draw(d.credibility, f"{path}.credibility", 0, 1),
        decay=draw(d.credibility_decay, f"{path}.credibility_decay", 0, 1),
        partners=names, willingness=willing, need=need, joined=at_least(need, willing))


def _truce(plan: Plan, draw: _Drawer) -> dict[str, Any]:
    s, names = plan.scenario, plan.truce_parties
    if s.truce is None:
        return {"alpha": [], "beta": [], "excites": {}, "spoiler_beta": {}, "rules": NO_RULES}
    alpha = [[draw(s.truce.alpha.get(i, {}).get(j, 0.0), f"truce.alpha.{i}.{j}", 0)
              for j in names] for i in names]
    excites = {sp: [draw(v.excites.get(p, 0.0), f"spoilers.{sp}.excites.{p}", 0) for p in names]
               for sp, v in s.spoilers.items()}
    beta = _betas(s.truce, draw)
    return {"alpha": alpha, "beta": [[beta(i, j) for j in names] for i in names],
            "excites": excites, "spoiler_beta": {sp: [beta(p, sp) for p in names]
                                                 for sp in s.spoilers},
            "rules": _rules(plan, draw)}


def _betas(t: Any, draw: _Drawer) -> Any:
    """Decay rate of i's excitation by source j: the scalar (drawn once) or the pair's entry."""
    if not isinstance(t.beta, dict):
        value = draw(t.beta, "truce.beta", 1e-9)
        return lambda i, j: value
    return lambda i, j: draw(t.beta.get(i, {}).get(j, 1.0), f"truce.beta.{i}.{j}", 1e-9)


def _rules(plan: Plan, draw: _Drawer) -> TruceRules:
    t = plan.scenario.truce
    assert t is not None
    names, at = plan.truce_parties, "truce.monitoring"
    seats = list(plan.scenario.negotiation.parties) if plan.scenario.negotiation else []
    c = t.collapse
    return TruceRules(
        detection=[draw(t.monitoring.detection.get(p, 1.0), f"{at}.detection.{p}", 0, 1)
                   for p in names],
        attribution=[[float(t.monitoring.attribution[i].get(j, 0.0))
                      if i in t.monitoring.attribution else float(i == j)
                      for j in names] for i in names],
        exits=_exits(plan, draw, seats),
        half_life=draw(t.exits.half_life_days, "truce.exits.half_life_days", 1e-9)
        if t.exits else 1.0,
        degraded=(t.degraded.violations, t.degraded.window_days) if t.degraded else None,
        stakes=_stakes(plan, draw, seats),
        premium_shift=[draw(c.premium_shift.get(p, 0.0), f"truce.collapse.premium_shift.{p}")
                       for p in seats],
        meeting_factor=draw(c.meeting_rate_factor, "truce.collapse.meeting_rate_factor", 0),
        escalation=draw(c.escalation_probability, "truce.collapse.escalation_probability",
                        0, 1),
        deterrence=[draw(t.monitoring.deterrence.get(p, 0.0), f"{at}.deterrence.{p}", 0)
                    for p in names],
        perceived=t.retaliation == "perceived",
        blame={sp: [draw(v.blamed_on.get(p, 0.0), f"spoilers.{sp}.blamed_on.{p}", 0, 1)
                    for p in names]
               for sp, v in plan.scenario.spoilers.items() if v.blamed_on})


def _seat(seats: list[str], actor: str) -> int | None:
    return seats.index(actor) if actor in seats else None


def _stakes(plan: Plan, draw: _Drawer, seats: list[str]) -> list[StakeParams]:
    t = plan.scenario.truce
    assert t is not None
    out = []
    for p, v in t.stakes.items():
        at = f"truce.stakes.{p}"
        if isinstance(v, Stake):
            holder = v.held_by or p
            worth = 0.0 if v.worth is None else draw(v.worth, at + ".worth")
            out.append(StakeParams(plan.truce_parties.index(p), _seat(seats, holder),
                                   draw(v.sensitivity, at + ".sensitivity", 0), worth))
        else:
            out.append(StakeParams(plan.truce_parties.index(p), _seat(seats, p),
                                   draw(v, at, 0)))
    return out


def _exits(plan: Plan, draw: _Drawer, seats: list[str]) -> list[ExitParams]:
    t = plan.scenario.truce
    assert t is not None
    if t.exits is None:
        return []
    names, out = plan.truce_parties, []
    for p, ex in t.exits.parties.items():
        at = f"truce.exits.parties.{p}"
        weights = ex.against if ex.against is not None else {j: 1.0 for j in names if j != p}
        worth = 0.0 if ex.worth is None else draw(ex.worth, at + ".worth")
        out.append(ExitParams(p, _seat(seats, p), draw(ex.tolerance, at + ".tolerance", 0),
                              [draw(weights.get(j, 0.0), f"{at}.against.{j}", 0)
                               for j in names], worth))
    return out


def _effects(plan: Plan, draw: _Drawer, base: dict[Key, float]) -> list[EffectParams]:
    fixed = plan.parts.get("effects")
    if fixed is None:  # what the scenario fixes of each effect, found once per run
        fixed = plan.parts["effects"] = [
            (name, e, tuple(leverage_key(path) for path in via_paths(e.via)),
             plan.target(e.target), plan.terms.index(e.term), e.staged)
            for name, e in plan.scenario.effects.items()]
    names = list(plan.scenario.effects)
    return [EffectParams(
        name, term, target.key, draw(e.per_unit, f"effects.{name}.per_unit"),
        combined([base[k] for k in keys]) if keys else 1.0, e.tied_to_truce,
        additive=target.additive, via_keys=keys,
        **(_stages(plan, draw, name, names) if staged else {}))
        for name, e, keys, target, term, staged in fixed]


def _stages(plan: Plan, draw: _Drawer, name: str, names: list[str]) -> dict[str, Any]:
    """A staged effect's anchor, delay, ramp, condition and milestones (drawn)."""
    e, at = plan.scenario.effects[name], f"effects.{name}"
    if not e.staged:
        return {}
    r = e.requires
    return {"staged": True, "anchor": e.starts.after if e.starts else "deal",
            "delay": draw(e.starts.days, at + ".starts.days", 0) if e.starts else 0.0,
            "ramp": draw(e.ramp_days, at + ".ramp_days", 0),
            "requires": None if r is None else (
                plan.terms.index(r.term), -math.inf if r.min is None else r.min,
                math.inf if r.max is None else r.max),
            "after_effect": None if e.after_effect is None else names.index(e.after_effect),
            "after_truce": None if e.after_truce_days is None else draw(
                e.after_truce_days, at + ".after_truce_days", 0)}


def _shocks(plan: Plan, draw: _Drawer, when: Timeline) -> list[ShockParams]:
    out = []
    for name, sh in plan.scenario.shocks.items():
        target = plan.target(sh.target).key if sh.target else None
        day = when.at(f"shocks.{name}.start")
        out.append(ShockParams(name, day, sh.label,
                               draw(sh.probability, f"shocks.{name}.probability", 0, 1),
                               target,  # type: ignore[arg-type]
                               draw(sh.factor, f"shocks.{name}.factor", 0),
                               when.span(sh.duration_days, f"shocks.{name}.duration_days", day),
                               sh.breaks_truce,
                               draw(sh.shift, f"shocks.{name}.shift")))
    return out
