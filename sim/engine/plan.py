"""What a scenario fixes for a whole run (the Plan) and what one replication draws (Params).

The Plan is built once: the offer table, the feasibility mask, names and indices. Params are
plain floats and numpy arrays drawn once per replication from the parameter distributions;
when the scenario has none, they are computed once and shared. Nothing here is read by
pydantic inside the event loop.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtri

from sim.rng import one_uniform
from sim.scenario import Choice, Normal, Scenario, Triangular, Uniform

Key = tuple[str, str]


@dataclass(frozen=True)
class PartyParams:
    name: str
    reservation: float
    e: float
    k: float
    tau: float
    noise: float


@dataclass(frozen=True)
class EffectParams:
    name: str
    term: int
    target: Key
    per_unit: float
    via: float
    tied_to_truce: bool


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


@dataclass(frozen=True)
class Params:
    """Every number one replication reads, drawn from the scenario's distributions."""

    base: dict[Key, float]
    parties: list[PartyParams]
    utilities: np.ndarray  # (parties, offers), normalised to [0, 1]
    credibility: float
    credibility_decay: float
    plan_b_payoffs: dict[str, float]
    alpha: list[list[float]]  # alpha[i][j]: jump in i's rate per violation by j
    beta: float
    excites: dict[str, list[float]]  # spoiler -> jump per truce party
    aid_multiplier: float
    effects: list[EffectParams]
    shocks: list[ShockParams]
    drawn: dict[str, float]  # every distribution-valued draw, by dotted path


class Plan:
    """The parts of a scenario fixed for a whole run."""

    def __init__(self, scenario: Scenario, seed: int | None = None):
        s = self.scenario = scenario
        self.seed = s.seed if seed is None else seed
        self.horizon = float(s.horizon_days)
        self.actors = list(s.actors)
        n = s.negotiation
        self.terms: list[str] = list(n.terms) if n else []
        self.offers = _offer_table(s)
        self.feasible = _feasible(s, self.offers, self.terms)
        self.truce_parties: list[str] = list(s.truce.parties) if s.truce else []
        self.deadline_day = s.day(s.deadline.day) if s.deadline else math.nan
        self.meeting_days = sorted(
            (s.day(m.day), m.label) for m in n.meetings.scheduled) if n else []
        self.random = _has_distribution(s.model_dump())
        self._fixed: Params | None = None
        self.cache: dict[Any, Any] = {}  # derived tables keyed by the weights they depend on

    def utilities(self, weights: tuple[tuple[float, ...], ...]) -> np.ndarray:
        """Normalised utilities of every offer for each party's weights (cached)."""
        key = ("utilities", weights)
        table = self.cache.get(key)
        if table is None:
            levels = list(self.scenario.negotiation.terms.values())  # type: ignore[union-attr]
            table = np.vstack([normalised_utility(self.offers, np.array(w), levels)
                               for w in weights])
            table.flags.writeable = False
            self.remember(key, table)
        return table

    def remember(self, key: Any, value: Any) -> None:
        """Cache a derived table; the cache is bounded when weights vary by replication."""
        if len(self.cache) >= 256:
            self.cache.clear()
        self.cache[key] = value

    def params(self, replication: int) -> Params:
        """The parameters of one replication (shared when the scenario is deterministic)."""
        if not self.random:
            if self._fixed is None:
                self._fixed = _realise(self, _Drawer(self.seed, replication, fixed=True))
            return self._fixed
        return _realise(self, _Drawer(self.seed, replication, fixed=False))


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

    def __call__(self, value: Any, path: str, lo: float = -math.inf,
                 hi: float = math.inf) -> float:
        if isinstance(value, int | float):
            return float(value)
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


def _realise(plan: Plan, draw: _Drawer) -> Params:
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
    parties, utilities = _negotiators(plan, draw)
    return Params(
        base=base,
        parties=parties,
        utilities=utilities,
        **_deadline(s, draw),
        **_truce(plan, draw),
        aid_multiplier=draw(s.aid.truce_multiplier, "aid.truce_multiplier", 0) if s.aid else 1.0,
        effects=_effects(plan, draw, base),
        shocks=_shocks(s, draw),
        drawn=draw.drawn,  # filled by the draws above (arguments are evaluated first)
    )


def _negotiators(plan: Plan, draw: _Drawer) -> tuple[list[PartyParams], np.ndarray]:
    n = plan.scenario.negotiation
    if n is None:
        return [], np.zeros((0, 0))
    parties, weights = [], []
    for name, p in n.parties.items():
        at = f"negotiation.parties.{name}"
        parties.append(PartyParams(
            name, draw(p.reservation, at + ".reservation", 0, 1), draw(p.e, at + ".e", 1e-9),
            draw(p.k, at + ".k", 0, 1), draw(p.tau, at + ".tau", 0),
            draw(p.noise, at + ".noise", 0)))
        weights.append(tuple(draw(p.weights.get(t, 0.0), f"{at}.weights.{t}")
                             for t in plan.terms))
    return parties, plan.utilities(tuple(weights))


def normalised_utility(offers: np.ndarray, weights: np.ndarray,
                       levels: list[list[float]]) -> np.ndarray:
    """Linear additive utility of each offer, rescaled so the offer space spans [0, 1].

    The bounds are taken over the whole product space (before constraints), so a constraint
    never changes how much a party values an offer. A party indifferent to every term values
    every offer at 1.
    """
    raw = offers @ weights
    lo = sum(min(w * x for x in lv) for w, lv in zip(weights, levels, strict=True))
    hi = sum(max(w * x for x in lv) for w, lv in zip(weights, levels, strict=True))
    if hi - lo < 1e-12:
        return np.ones(len(offers))
    return np.clip((raw - lo) / (hi - lo), 0.0, 1.0)


def _deadline(s: Scenario, draw: _Drawer) -> dict[str, Any]:
    d = s.deadline
    if d is None:
        return {"credibility": 0.0, "credibility_decay": 0.0, "plan_b_payoffs": {}}
    payoffs = {a: draw(v, f"deadline.plan_b.payoffs.{a}", 0, 1)
               for a, v in d.plan_b.payoffs.items()}
    return {"credibility": draw(d.credibility, "deadline.credibility", 0, 1),
            "credibility_decay": draw(d.credibility_decay, "deadline.credibility_decay", 0, 1),
            "plan_b_payoffs": payoffs}


def _truce(plan: Plan, draw: _Drawer) -> dict[str, Any]:
    s, names = plan.scenario, plan.truce_parties
    if s.truce is None:
        return {"alpha": [], "beta": 1.0, "excites": {}}
    alpha = [[draw(s.truce.alpha.get(i, {}).get(j, 0.0), f"truce.alpha.{i}.{j}", 0)
              for j in names] for i in names]
    excites = {sp: [draw(v.excites.get(p, 0.0), f"spoilers.{sp}.excites.{p}", 0) for p in names]
               for sp, v in s.spoilers.items()}
    return {"alpha": alpha, "beta": draw(s.truce.beta, "truce.beta", 1e-9), "excites": excites}


def _effects(plan: Plan, draw: _Drawer, base: dict[Key, float]) -> list[EffectParams]:
    out = []
    for name, e in plan.scenario.effects.items():
        via = 1.0
        if e.via is not None:
            patron, _, client = e.via.split(".")
            via = base[(patron, "leverage." + client)]
        who, param = e.target.split(".")
        out.append(EffectParams(name, plan.terms.index(e.term), (who, param),
                                draw(e.per_unit, f"effects.{name}.per_unit"), via,
                                e.tied_to_truce))
    return out


def _shocks(s: Scenario, draw: _Drawer) -> list[ShockParams]:
    out = []
    for name, sh in s.shocks.items():
        target = tuple(sh.target.split(".")) if sh.target else None
        out.append(ShockParams(name, s.day(sh.day), sh.label,
                               draw(sh.probability, f"shocks.{name}.probability", 0, 1),
                               target,  # type: ignore[arg-type]
                               draw(sh.factor, f"shocks.{name}.factor", 0),
                               sh.duration_days, sh.breaks_truce))
    return out

