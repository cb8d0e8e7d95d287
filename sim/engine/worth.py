"""What the truce a deal starts is expected to deliver to each party at the table: a per-offer
term added to its own-unit utility table, once per replication (docs/model.md, section 5).

For offer ``o`` with levels ``x(o)``, party ``p`` adds

``W_p(o) = L(o) * (sum_t v_p[t] x_t(o) + sum_i c_p[i] (m_i(o) - m_i(0)))``

where ``v_p[t]`` is its stated value per truce day per unit of term ``t`` (a carrot delivered
only while the truce holds), ``c_p[i]`` its stated value of one violation by truce party ``i``
(negative: a cost), ``m(o)`` the truce's long-run mean violation rates under the offer's
effects and ``m(0)`` those without any, and ``L(o)`` the truce's expected days within the
evaluation period ``E``: ``L = (1 - exp(-h E)) / h`` (``E`` when ``h = 0``) for a breakdown
hazard ``h(o) = R(o) / K``, ``R`` the rate the monitor observes violations (blamed spoiler
attacks included) and ``K`` its threshold (``h = 0`` without one). Exits, stakes and shocks are
left out of ``h`` (they depend on the worth itself or on the calendar).

A staged effect (one that starts later, ramps in or has a condition) enters at its
survival-weighted mean factor ``1 + (f - 1) * phi(o)`` (``phi = 0`` for an offer that fails
its condition), ``phi = int_0^E exp(-h t) r(t) dt / L`` and ``r`` its ramp profile from the
truce's start (:func:`staged_share`), with ``h`` the hazard under the full factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sim.engine.plan import EffectParams, Plan, TruceRules

Key = tuple[str, str]


def factors(plan: Plan, effects: list[list[EffectParams]], target: Key,
            shares: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """Each offer's product of effect factors ``max(0, 1 + per_unit * level * via)`` on a
    parameter (1 where no effect targets it), one row per replication (``effects``: each
    replication's); a staged effect's factor is ``1 + (f - 1) * phi`` with its share ``phi``
    per replication and offer from ``shares``."""
    out = np.ones((len(effects), len(plan.offers)))
    for k in plan.effects_on(target):
        e = effects[0][k]  # the term is the scenario's; the numbers are each replication's
        per_unit = np.array([drawn[k].per_unit for drawn in effects])[:, None]
        via = np.array([drawn[k].via for drawn in effects])[:, None]
        f = np.maximum(0.0, 1.0 + per_unit * plan.offers[:, e.term] * via)
        if shares is not None and k in shares:
            f = 1.0 + (f - 1.0) * shares[k]
        out = out * f
    return out


def staged_share(hazard: np.ndarray, days: float, start: float, ramp: float) -> np.ndarray:
    """``phi = int_0^E exp(-h t) r(t) dt / L``: the survival-weighted share of the evaluation
    period an effect starting ``start`` days after the truce's start (negative: before it)
    is in force, its factor ramping in linearly over ``ramp`` days. ``r`` is the mean over
    start days ``u`` in ``[start, start + ramp]`` of a step at ``u``, so
    ``phi L = (1 / ramp) int G(u) du``, ``G(u) = int_max(u, 0)^E exp(-h t) dt``."""
    h = np.asarray(hazard, dtype=float)
    life = expected_life(h, days)
    if ramp <= 0:
        return _tail(h, days, start) / life
    before = max(0.0, min(start + ramp, 0.0) - start) * life  # start days before the truce
    a, b = min(max(start, 0.0), days), min(max(start + ramp, 0.0), days)
    return (before + _area(h, days, a, b)) / ramp / life


def _tail(h: np.ndarray, days: float, start: float) -> np.ndarray:
    """``G(s) = (exp(-h s) - exp(-h E)) / h`` (``E - s`` when ``h = 0``), ``s`` in [0, E]."""
    s = min(max(start, 0.0), days)
    safe = np.where(h > 1e-9, h, 1.0)
    return np.where(h > 1e-9, (np.exp(-safe * s) - np.exp(-safe * days)) / safe, days - s)


def _area(h: np.ndarray, days: float, a: float, b: float) -> np.ndarray:
    """``int_a^b G(u) du`` for ``0 <= a <= b <= E``."""
    safe = np.where(h > 1e-9, h, 1.0)
    exact = ((np.exp(-safe * a) - np.exp(-safe * b)) / safe - (b - a) * np.exp(-safe * days)) / safe
    return np.where(h > 1e-9, exact, (b - a) * days - (b * b - a * a) / 2.0)


def expected_life(hazard: np.ndarray, days: float | np.ndarray) -> np.ndarray:
    """``L = (1 - exp(-h E)) / h``, the mean days an exponential truce holds within ``E``
    (``days``: a number, or one per row of ``hazard``, a column)."""
    h = np.asarray(hazard, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        life = -np.expm1(-h * days) / h
    return np.where(h > 0, life, days)


class TruceModel:
    """The truce's mean violation rates per offer (Hawkes 1971) for a batch of replications
    of one plan, computed together: every array has one row per replication first, and
    each replication's numbers come from the same floating-point operations, in the same
    order, as the batch of that replication alone (its linear solve included: numpy solves
    a stack of systems one by one)."""

    def __init__(self, plan: Plan, items: list[tuple[dict[Key, float], dict[str, Any],
                                                     list[EffectParams]]]):
        self.plan = plan
        self.names = names = plan.truce_parties
        self.spoilers = spoilers = list(plan.scenario.spoilers)
        self.effects = [effects for _, _, effects in items]
        self.rules: list[TruceRules] = [truce["rules"] for _, truce, _ in items]
        kept = [_constants(plan, truce) for _, truce, _ in items]
        self.explosive = np.array([k.explosive for k in kept], dtype=bool)
        self.resolvent = np.stack([k.resolvent for k in kept])
        self.deterred = _column(k.deterred for k in kept)
        self.violation = _column([base[(p, "violation_rate")] for p in names]
                                 for base, _, _ in items)
        self.attack = {s: np.array([base[(s, "attack_rate")] for base, _, _ in items])[:, None]
                       for s in spoilers}
        # spoiler -> (excitation jump, its decay, blamed excitation or None), per party; how
        # retaliation is excited is the scenario's, the same in every replication
        self.excitation = {s: (_column(truce["excites"][s] for _, truce, _ in items),
                               _column(truce["spoiler_beta"][s] for _, truce, _ in items),
                               _column(k.blamed[s] for k in kept) if self.rules[0].perceived
                               else None) for s in spoilers}
        self.shares: dict[int, np.ndarray] = {}  # staged effects' shares phi, per offer
        self._attacks: dict[bool, tuple[dict[int, np.ndarray], dict[str, np.ndarray]]] = {}

    def attacks(self, scale: bool) -> dict[str, np.ndarray]:
        """Each spoiler's attack rate per offer (with the offer's effects when ``scale``;
        kept until the staged shares change)."""
        hit = self._attacks.get(scale)
        if hit is not None and hit[0] is self.shares:
            return hit[1]
        one = np.ones((1, len(self.plan.offers)))
        out = {s: self.attack[s] * (
            factors(self.plan, self.effects, (s, "attack_rate"), self.shares) if scale else one)
            for s in self.spoilers}
        self._attacks[scale] = (self.shares, out)
        return out

    def rates(self, scale: bool) -> np.ndarray:
        """Mean violation rates (replications x offers x parties): ``(I - G)^-1`` times the
        base rates (with deterrence and, when ``scale``, effects) plus what spoiler attacks
        add; inf where the process is explosive. Deterrence scales a party's whole intensity:
        its base rate, what attacks add, and its row of ``G`` (:func:`_constants`)."""
        n, offers = len(self.names), len(self.plan.offers)
        mu = np.empty((len(self.effects), n, offers))
        attacks = self.attacks(scale)
        for i, p in enumerate(self.names):
            f = factors(self.plan, self.effects, (p, "violation_rate"),
                        self.shares) if scale else 1.0
            row = mu[:, i]
            deterred = self.deterred[:, i, None]
            row[:] = self.violation[:, i, None] * f * deterred
            for s, a in attacks.items():  # a deterred party is provoked less, by as much
                jump, decay, blamed = self.excitation[s]
                row += a * jump[:, i, None] / decay[:, i, None] * deterred
                if blamed is not None:
                    row += a * blamed[:, i, None] * deterred
        out = np.full((len(self.effects), offers, n), np.inf)
        calm = ~self.explosive
        if calm.any():
            out[calm] = np.linalg.solve(self.resolvent[calm], mu[calm]).transpose(0, 2, 1)
        return out

    def hazard(self, rates: np.ndarray) -> np.ndarray:
        """``h = R / K``: observed violations per day over the monitor's threshold
        (replications x offers)."""
        k = self.plan.scenario.truce.breakdown.violations  # type: ignore[union-attr]
        if k is None:
            return np.zeros(rates.shape[:2])
        seen = np.zeros(rates.shape[:2])
        if self.names:
            detection = np.array([r.detection for r in self.rules])
            seen = weighted_sum(rates.transpose(2, 0, 1), detection.T[:, :, None])
        for s, a in self.attacks(True).items():
            seen = seen + a * np.array([sum(r.blame.get(s, [])) for r in self.rules])[:, None]
        return np.asarray(seen / k)


@dataclass(frozen=True)
class _Constants:
    """What the rates read of a replication's truce besides its base rates: whether it is
    explosive, each party's deterrence factor, the excitation a spoiler attack blamed on the
    parties adds to each (None without perceived retaliation) and ``I - G``."""

    explosive: bool
    deterred: list[float]
    blamed: dict[str, list[float | None]]
    resolvent: np.ndarray


def _constants(plan: Plan, truce: dict[str, Any]) -> _Constants:
    """The truce's constants, kept for the run when no replication draws the truce."""
    kept = plan.parts.get("truce model")
    if kept is not None and kept[0] is truce:  # the truce's numbers are the run's
        return kept[1]  # type: ignore[no-any-return]
    names, r = plan.truce_parties, truce["rules"]
    alpha, beta = truce["alpha"], truce["beta"]
    n = len(names)

    def jump(k: int, j: int) -> float:
        """Expected excitation integral of k per violation perceived as j's (none if k = j)."""
        return 0.0 if k == j else alpha[k][j] / beta[k][j]

    # deterred[k]: being seen deters every violation of k, provoked ones too (Becker 1968)
    deterred = [np.exp(-r.deterrence[k] * r.detection[k]) for k in range(n)]
    g = np.zeros((n, n))  # G[k][i]: violations of k triggered by one true violation of i
    for k in range(n):
        for i in range(n):
            if k == i or not r.perceived:
                g[k, i] = alpha[k][i] / beta[k][i]
            else:
                g[k, i] = r.detection[i] * sum(r.attribution[i][j] * jump(k, j)
                                               for j in range(n))
            g[k, i] *= deterred[k]
    # explosive: a spectral radius of at least 1 (the same for every offer and call; the
    # branching matrix often repeats across replications: cached by it)
    key = ("explosive", g.tobytes())
    explosive = plan.cache.get(key)
    if explosive is None:
        explosive = n == 0 or bool(max(abs(np.linalg.eigvals(g))) >= 1)
        plan.remember(key, explosive)
    out = _Constants(
        explosive, deterred,
        {s: [sum(b * jump(i, j) for j, b in enumerate(r.blame.get(s, [])))
             if r.perceived else None for i in range(n)] for s in plan.scenario.spoilers},
        np.eye(n) - g)
    if plan.parts.get("truce") is truce:  # drew nothing: the same in every replication
        plan.parts["truce model"] = (truce, out)
    return out


def _column(rows: Any) -> np.ndarray:
    """Per-replication lists of one number per truce party, as a (replications, parties)
    array (parties may be none)."""
    rows = list(rows)
    return np.array(rows, dtype=float).reshape(len(rows), -1)


def weighted_sum(columns: np.ndarray, weights: Any) -> np.ndarray:
    """``sum_i weights[i] * columns[i]``, added in order, each product rounded: the same
    floats on every machine, where a matrix product (BLAS) rounds by the CPU's kernel (an
    AVX-512 machine's differed from an AVX2 machine's in the last bit)."""
    if not len(weights):
        return np.zeros(columns.shape[1])
    out = columns[0] * weights[0]
    for i in range(1, len(weights)):
        out = out + columns[i] * weights[i]
    return out  # type: ignore[no-any-return]


def worth_table(plan: Plan, draw: Any, base: dict[Key, float], truce: dict[str, Any],
                effects: list[EffectParams]) -> np.ndarray:
    """``W`` (negotiation parties x offers) of one replication: :func:`worth_tables` of it
    alone."""
    return worth_tables(plan, [(draw, base, truce, effects)])[0]


def worth_tables(plan: Plan, items: list[tuple[Any, dict[Key, float], dict[str, Any],
                                              list[EffectParams]]]) -> np.ndarray:
    """``W`` (replications x negotiation parties x offers) in each party's own units (module
    docstring), for replications given as ``(draw, base, truce, effects)``: each drawn in its
    own ``draw``, in the order one replication alone draws."""
    s = plan.scenario
    assert s.truce is not None and s.truce.worth is not None and s.negotiation is not None
    w, at = s.truce.worth, "truce.worth"
    model = TruceModel(plan, [(base, truce, effects) for _, base, truce, effects in items])
    rates = model.rates(True)
    days = np.array([draw(w.evaluation_days, at + ".evaluation_days", 1e-9)
                     for draw, *_ in items])[:, None]
    if any(e.staged for e in model.effects[0]):
        hazard = model.hazard(rates)
        each = [_shares(plan, e, h, float(d))
                for e, h, d in zip(model.effects, hazard, days[:, 0], strict=True)]
        model.shares = {k: np.stack([x[k] for x in each]) for k in each[0]}
        rates = model.rates(True)
    avoided = rates - model.rates(False)
    life = expected_life(model.hazard(rates), days)
    out = np.zeros((len(items), len(s.negotiation.parties), len(plan.offers)))
    for k, name in enumerate(s.negotiation.parties):
        pw = w.parties.get(name)
        if pw is None:
            continue
        at_p = f"{at}.parties.{name}"
        flow = np.zeros((len(items), len(plan.offers)))
        for t, v in pw.per_day.items():
            level = plan.offers[:, plan.terms.index(t)]
            flow = flow + _each(items, v, f"{at_p}.per_day.{t}") * level
        for i, p in enumerate(plan.truce_parties):
            if p in pw.per_violation:
                flow = flow + _each(items, pw.per_violation[p],
                                    f"{at_p}.per_violation.{p}") * avoided[:, :, i]
        value = life * flow
        value[~np.isfinite(value)] = 0.0  # nan_to_num's zeros, without its Python wrapper
        out[:, k] = value
    return out


def _each(items: list[tuple[Any, ...]], value: Any, path: str) -> np.ndarray:
    """``value`` at ``path`` as each replication draws it, a column."""
    return np.array([item[0](value, path) for item in items])[:, None]


def _shares(plan: Plan, effects: list[EffectParams], hazard: np.ndarray, days: float
            ) -> dict[int, np.ndarray]:
    """Each staged effect's share ``phi`` per offer: 0 where the offer fails its condition
    (or the condition of an effect it waits for), else :func:`staged_share` from its start
    relative to the truce's (anchor, the effect it waits for, the truce's milestone, plus its
    delay)."""
    s = plan.scenario
    delay = s.truce.delay_days if s.truce is not None else 0.0
    starts: dict[int, float] = {}
    masks: dict[int, np.ndarray] = {}

    def resolve(k: int) -> tuple[float, np.ndarray]:
        if k not in starts:
            e = effects[k]
            mask = np.ones(len(plan.offers))
            if e.requires is not None:
                term, lo, hi = e.requires
                col = plan.offers[:, term]
                mask = ((col >= lo - 1e-12) & (col <= hi + 1e-12)).astype(float)
            begin = 0.0 if e.anchor == "truce" else -delay
            if e.after_effect is not None:
                other, other_mask = resolve(e.after_effect)
                begin, mask = max(begin, other), mask * other_mask
            if e.after_truce is not None:
                begin = max(begin, e.after_truce)
            starts[k], masks[k] = begin + e.delay, mask
        return starts[k], masks[k]

    out = {}
    for k, e in enumerate(effects):
        if e.staged:
            start, mask = resolve(k)
            out[k] = mask * staged_share(hazard, days, start, e.ramp)
    return out
