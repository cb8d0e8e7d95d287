"""The scenario format: pydantic models, loading with line numbers, and cross-checks.

Every field carries a description; they become the JSON Schema (``negsim schema``) and the
scenario reference in ``docs/scenario-reference.md``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from sim import budgets
from sim.errors import Problem, ScenarioError
from sim.yamlload import Document, Loc, dotted, parse_text, read_file

Real = Annotated[float, Strict()]
Int = Annotated[int, Strict()]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- distributions -------------------------------------------------------------------------


class Uniform(_Model):
    """Uniform on [a, b]."""

    uniform: tuple[Real, Real] = Field(description="Lower and upper bound [a, b], a <= b.")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.uniform[0] > self.uniform[1]:
            raise ValueError(f"uniform bounds {list(self.uniform)} must satisfy a <= b")
        return self

    def support(self) -> tuple[float, float]:
        return self.uniform


class Normal(_Model):
    """Normal with mean and standard deviation; draws are clipped to the field's range."""

    normal: tuple[Real, Annotated[Real, Field(ge=0)]] = Field(
        description="Mean and standard deviation [mu, sd], sd >= 0. Draws outside the "
        "field's allowed range are clipped to it."
    )

    def support(self) -> tuple[float, float]:
        return self.normal[0], self.normal[0]


class Triangular(_Model):
    """Triangular on [lo, hi] with its mode."""

    triangular: tuple[Real, Real, Real] = Field(
        description="Lower bound, mode and upper bound [lo, mode, hi], lo <= mode <= hi, lo < hi."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        lo, mode, hi = self.triangular
        if not (lo <= mode <= hi and lo < hi):
            raise ValueError(f"triangular {list(self.triangular)} must satisfy "
                             "lo <= mode <= hi and lo < hi")
        return self

    def support(self) -> tuple[float, float]:
        return self.triangular[0], self.triangular[2]


class Choice(_Model):
    """One of a list of values, each equally likely."""

    choice: Annotated[list[Real], Field(min_length=1)] = Field(
        description="Values to choose from, each with equal probability."
    )

    def support(self) -> tuple[float, float]:
        return min(self.choice), max(self.choice)


Dist = Uniform | Normal | Triangular | Choice
Num = Real | Dist


def _in_range(lo: float, hi: float) -> Any:
    def check(value: Any) -> Any:
        numbers = _numbers(value)
        if not all(math.isfinite(x) for x in numbers):
            raise ValueError(f"must be finite numbers, got {_show(value)}")
        a, b = value.support() if hasattr(value, "support") else (value, value)
        if a < lo or b > hi:
            raise ValueError(f"must be {_range_text(lo, hi)}, got {_show(value)}")
        return value

    return AfterValidator(check)


def _numbers(value: Any) -> list[float]:
    if isinstance(value, BaseModel):
        return [float(x) for v in value.model_dump().values() for x in v]
    return [float(value)]


def _range_text(lo: float, hi: float) -> str:
    if hi == math.inf:
        return "> 0" if lo > 0 else f">= {lo:g}"
    return f"in [{lo:g}, {hi:g}]"


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value.model_dump())


INF = math.inf
Probability = Annotated[Num, _in_range(0.0, 1.0)]
Rate = Annotated[Num, _in_range(0.0, INF)]
Signed = Annotated[Num, _in_range(-INF, INF)]
Positive = Annotated[Num, _in_range(1e-9, INF)]
Day = dt.date | Annotated[Real, Field(ge=0)]


# --- blocks ----------------------------------------------------------------------------------


class Actor(_Model):
    """A named actor and the parameters the mechanisms read from it."""

    label: str = Field(description="Name shown in tables and traces.")
    description: str = Field("", description="Who the actor is and what it wants.")
    violation_rate: Rate = Field(
        0.0, description="Base truce violations per day (Hawkes mu) when the actor is a truce "
        "party, before effects.")
    attack_rate: Rate = Field(
        0.0, description="Attacks per day when the actor is a spoiler, before effects.")
    leverage: dict[Slug, Probability] = Field(
        default_factory=dict,
        description="Leverage over client actors, 0..1: how much of a commitment made for a "
        "client reaches it (used by effects through `via`).")


class Party(_Model):
    """A party at the negotiating table: its incentives in its own units, and its tactic."""

    weights: dict[Slug, Signed] = Field(
        description="Value per unit of each term's level, in the party's own units (additive; "
        "negative = a cost). Terms left out weigh 0. Never normalised: only ratios to the "
        "party's other stated values matter.")
    status_quo: Annotated[dict[Slug, Real], Field(min_length=1)] | Signed | None = Field(
        None, description="What no deal leaves the party with: an offer (term -> level, terms "
        "left out at their lowest level) valued with the weights, or a value in the same units. "
        "Default: the offer with every term at its lowest level.")
    premium: Signed = Field(
        0.0, description="Stated amount added to the derived no-deal value (e.g. the cost of "
        "signing an agreement that may fall short), in the party's units.")
    reservation: Signed | None = Field(
        None, description="A literal no-deal value in the party's units; when given, it "
        "replaces the derived one (status quo, plan B and credibility are then not used for it).")
    horizon_days: Positive | None = Field(
        None, description="The party's own concession horizon in days from the start "
        "(default: the scenario's horizon). A credible deadline pulls it earlier.")
    e: Positive = Field(
        1.0, description="Faratin concession exponent: e < 1 Boulware (concedes late), e = 1 "
        "linear, e > 1 Conceder.")
    k: Probability = Field(0.0, description="Faratin initial concession constant, F(0) = k.")
    tau: Rate = Field(
        0.0, description="Acceptance temperature as a fraction of the party's feasible utility "
        "range: between its no-deal value and its aspiration an offer u is accepted with "
        "probability 2 / (1 + exp((a - u) / (tau * range))); 0 accepts exactly at the aspiration.")
    noise: Rate = Field(
        0.0, description="Standard deviation of the proposer's error when guessing another "
        "party's utility, as a fraction of that party's feasible utility range.")


class Constraint(_Model):
    """Offers ruled out outright, with who rules them out and why."""

    by: Slug = Field(description="Actor imposing the constraint.")
    term: Slug = Field(description="Term constrained.")
    min: Real | None = Field(None, description="Lowest admissible level, inclusive.")
    max: Real | None = Field(None, description="Highest admissible level, inclusive.")
    reason: str = Field("", description="Why, in plain words.")

    @model_validator(mode="after")
    def _bounds(self) -> Constraint:
        if self.min is None and self.max is None:
            raise ValueError("a constraint needs min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} exceeds max {self.max:g}")
        return self


class Meeting(_Model):
    """A scheduled meeting."""

    day: Day = Field(description="ISO date or day offset from the start.")
    label: str = Field("meeting", description="What the meeting is, e.g. 'Kerry in Moscow'.")
    host: Slug | None = Field(None, description="Actor hosting or convening it.")
    duration_days: Annotated[Real, Field(ge=0)] = Field(
        0.0, description="How long the meeting lasts; its rounds are spread evenly over it "
        "(round j of R at day + j * duration / R), so parties concede between rounds.")
    rounds: Int | None = Field(
        None, ge=1, le=100, description="Proposals in this meeting (default: rounds_per_meeting).")


class Meetings(_Model):
    """When the parties meet: scheduled days and a Poisson process."""

    scheduled: list[Meeting] = Field(default_factory=list, description="Scheduled meetings.")
    rate_per_day: Rate = Field(0.0, description="Rate of unscheduled meetings (Poisson), per day.")
    label: str = Field("talks", description="What the unscheduled meetings are.")
    convened_by: Slug | None = Field(None, description="Actor convening unscheduled meetings.")
    duration_days: Annotated[Real, Field(ge=0)] = Field(
        0.0, description="How long an unscheduled meeting lasts (rounds spread over it).")


class Negotiation(_Model):
    """Parties bargain over discrete terms with time-dependent tactics."""

    description: str = Field("", description="What is being negotiated.")
    parties: dict[Slug, Party] = Field(
        min_length=2, description="Actors at the table, in proposing order.")
    terms: dict[Slug, list[Real]] = Field(
        min_length=1,
        description="Terms on the table, each with its discrete levels in [0, 1], increasing.")
    constraints: list[Constraint] = Field(default_factory=list, description="Forbidden offers.")
    delivered_via: dict[Slug, str] = Field(
        default_factory=dict,
        description="term -> PATRON.leverage.CLIENT: a term the patron delivers through its "
        "leverage over a client. Every party but the patron values it at its weight times the "
        "drawn leverage (what it can expect delivered); the patron bears its full cost.")
    meetings: Meetings = Field(default_factory=lambda: Meetings(),
                               description="When the parties meet.")
    rounds_per_meeting: Int = Field(1, ge=1, le=100, description="Proposals per meeting.")
    resume_after_breakdown: bool = Field(
        False, description="Whether talks resume after the truce breaks down.")
    resume_delay_days: Annotated[Real, Field(ge=0)] = Field(
        0.0, description="Days after a breakdown before talks resume.")

    @field_validator("terms")
    @classmethod
    def _levels(cls, terms: dict[str, list[float]]) -> dict[str, list[float]]:
        for name, levels in terms.items():
            if not levels:
                raise ValueError(f"term {name!r} has no levels")
            if any(b <= a for a, b in zip(levels, levels[1:], strict=False)):
                raise ValueError(f"levels of {name!r} must be strictly increasing, got {levels}")
            if levels[0] < 0 or levels[-1] > 1:
                raise ValueError(f"levels of {name!r} must lie in [0, 1], got {levels}")
        return terms


class PlanB(_Model):
    """What the deadline's setter threatens to do if it passes without a deal."""

    label: str = Field(description="Short name, e.g. 'an altogether different track'.")
    description: str = Field("", description="What it would mean.")
    partners: list[Slug] = Field(default_factory=list, description="Actors joining it.")
    payoffs: dict[Slug, Signed] = Field(
        default_factory=dict,
        description="Value of plan B to each negotiation party, in that party's own units. A "
        "party with a payoff below its status quo loses by the threat: its no-deal value falls "
        "and its concession horizon is pulled toward the deadline, both in proportion to the "
        "credibility. Parties left out are unaffected (they keep their status quo).")


class Deadline(_Model):
    """A deadline with a threat behind it."""

    set_by: Slug = Field(description="Actor that set the deadline.")
    day: Day = Field(description="ISO date or day offset of the deadline.")
    credibility: Probability = Field(
        description="Probability that the setter carries out plan B when the deadline passes "
        "with no deal holding. It also acts before the deadline: no-deal values are "
        "(1 - c) status quo + c plan B, and each threatened party's concession horizon is "
        "c * deadline + (1 - c) * its own.")
    credibility_decay: Probability = Field(
        0.0, description="Fraction of credibility lost each time a deadline lapses.")
    extension_days: Annotated[Real, Field(gt=0)] | None = Field(
        None, description="Days to a new deadline after a lapse, with the decayed credibility; "
        "concession continues from where it was, it never restarts.")
    extensions: Int = Field(0, ge=0, le=100, description="How many new deadlines may follow.")
    plan_b: PlanB = Field(description="The threat.")


class Breakdown(_Model):
    """When the monitor declares the truce over."""

    violations: Int | None = Field(
        None, ge=1, description="Violations (all parties) that end the truce; none = never.")
    window_days: Annotated[Real, Field(gt=0)] | None = Field(
        None, description="Count violations in a trailing window of this many days; none "
        "counts from the truce's start.")


class Monitoring(_Model):
    """What the monitor sees: a thinned, possibly misattributed copy of the true violations."""

    detection: dict[Slug, Probability] = Field(
        default_factory=dict,
        description="Probability that a violation by each truce party is observed at all "
        "(parties left out: 1).")
    attribution: dict[Slug, dict[Slug, Annotated[Real, Field(ge=0, le=1)]]] = Field(
        default_factory=dict,
        description="attribution[i][j]: probability that an observed violation by i is "
        "attributed to j; each row sums to 1 (parties left out: always to themselves).")


class Exit(_Model):
    """When one party at the table declares the truce over."""

    tolerance: Rate = Field(
        description="Weighted, discounted violations against the party it bears per unit of "
        "what the deal is worth to it above no deal (its own units): it leaves when the "
        "violations exceed tolerance * (u(deal) - no-deal value); 0 leaves at the first one.")
    against: dict[Slug, Rate] | None = Field(
        None, description="Weight of an observed violation attributed to each truce party; "
        "default: 1 for every truce party other than this one.")


class Exits(_Model):
    """Breakdowns declared by parties at the table (docs/model.md, section 5)."""

    half_life_days: Positive = Field(
        description="Half-life of a violation's weight in what a party suffers, in days.")
    parties: dict[Slug, Exit] = Field(
        min_length=1, description="Parties at the table that may declare the truce over.")


class Degraded(_Model):
    """When a truce that formally survives counts as degraded."""

    violations: Int = Field(
        ge=1, description="Observed violations (all parties) in the window that make it "
        "degraded.")
    window_days: Annotated[Real, Field(gt=0)] = Field(
        description="Trailing window of observed violations, in days.")


class Collapse(_Model):
    """What a breakdown leaves behind for renewed talks (damaged trust)."""

    premium_shift: dict[Slug, Signed] = Field(
        default_factory=dict,
        description="Added to each listed negotiation party's no-deal value at every "
        "breakdown, in its own units (cumulative).")
    meeting_rate_factor: Rate = Field(
        1.0, description="Multiplier of the unscheduled meeting rate at every breakdown "
        "(cumulative); 1 leaves it alone.")
    escalation_probability: Probability = Field(
        0.0, description="Probability that a breakdown escalates: the run ends as escalation.")


BetaMap = dict[Slug, dict[Slug, Positive]]


class Truce(_Model):
    """A truce whose violations form a multivariate Hawkes process."""

    description: str = Field("", description="What the truce covers.")
    parties: list[Slug] = Field(
        min_length=1, description="Actors bound by it; each violates at its `violation_rate`.")
    starts: Literal["on_deal"] | Day = Field(
        "on_deal", description="'on_deal', or an ISO date / day offset for a truce alone.")
    delay_days: Annotated[Real, Field(ge=0)] = Field(
        0.0, description="Days from the deal to the truce's start.")
    alpha: dict[Slug, dict[Slug, Rate]] = Field(
        default_factory=dict,
        description="alpha[i][j]: jump in party i's violation rate per violation by party j "
        "(reciprocity, retaliation), per day.")
    beta: Positive | BetaMap = Field(
        1.0, description="Decay rate of excitation, per day: one number for every kernel, or "
        "beta[i][j] per reacting party i and source j (a truce party or a spoiler), pairs left "
        "out at 1.")
    breakdown: Breakdown = Field(default_factory=lambda: Breakdown(),
                                 description="Breakdown rule (acts on observed violations).")
    monitoring: Monitoring = Field(default_factory=lambda: Monitoring(),
                                   description="What the monitor observes.")
    exits: Exits | None = Field(None, description="Breakdowns declared by parties, if any.")
    degraded: Degraded | None = Field(None, description="The degraded state, if modelled.")
    stakes: dict[Slug, Rate] = Field(
        default_factory=dict,
        description="Sensitivity s of each truce party at the table to its stake: while a deal "
        "holds, its violation rate is multiplied by exp(-s * max(0, u(deal) - no-deal value)), "
        "its own units; default none (s = 0).")
    collapse: Collapse = Field(default_factory=lambda: Collapse(),
                               description="Consequences of a breakdown.")


class Spoiler(_Model):
    """A spoiler outside the truce whose attacks excite the parties."""

    excites: dict[Slug, Rate] = Field(
        default_factory=dict,
        description="Jump in each truce party's violation rate per attack, per day.")


class Aid(_Model):
    """Humanitarian aid deliveries as a Poisson process."""

    description: str = Field("", description="What is delivered, to whom.")
    rate_per_day: Rate = Field(description="Deliveries per day without a truce, before effects.")
    truce_multiplier: Rate = Field(1.0, description="Rate multiplier while a truce holds.")


class Effect(_Model):
    """An agreed term changes a parameter: new = old * max(0, 1 + per_unit * level * via)."""

    term: Slug = Field(description="Negotiation term whose agreed level drives the effect.")
    target: str = Field(
        description="ACTOR.violation_rate, ACTOR.attack_rate, or aid.rate_per_day.")
    per_unit: Signed = Field(description="Relative change per unit of the agreed level.")
    via: str | None = Field(
        None, description="ACTOR.leverage.CLIENT: scales the effect by that leverage strength.")
    tied_to_truce: bool = Field(
        False, description="Withdrawn when the truce breaks down (a carrot tied to the truce).")
    note: str = Field("", description="Where the effect comes from.")


class Shock(_Model):
    """A scheduled event: a parameter multiplied for a while, or the truce broken."""

    day: Day = Field(description="ISO date or day offset.")
    label: str = Field(description="What happens.")
    probability: Probability = Field(1.0, description="Chance that the shock happens at all.")
    target: str | None = Field(None, description="Parameter multiplied, as for effects.")
    factor: Rate = Field(1.0, description="Multiplier applied to the target.")
    duration_days: Annotated[Real, Field(gt=0)] | None = Field(
        None, description="How long the multiplier lasts; none = to the horizon.")
    breaks_truce: bool = Field(False, description="Whether the shock ends a running truce.")

    @model_validator(mode="after")
    def _does_something(self) -> Shock:
        if self.target is None and not self.breaks_truce:
            raise ValueError("a shock needs a target (with factor) or breaks_truce: true")
        return self


class Scenario(_Model):
    """A negotiation and truce scenario."""

    name: Slug = Field(description="Identifier used for run folders.")
    title: str = Field(description="One-line title.")
    description: str = Field("", description="What the scenario represents and its sources.")
    start: dt.date = Field(description="Calendar date of day 0.")
    horizon_days: Annotated[Real, Field(gt=0, le=36500)] = Field(
        description="Length of a replication, in days.")
    seed: Int = Field(0, ge=0, description="Seed of the random streams.")
    runs: Int = Field(1000, ge=1, description="Default number of replications.")
    actors: dict[Slug, Actor] = Field(min_length=1, description="The actors, by id.")
    negotiation: Negotiation | None = Field(None, description="The talks, if any.")
    deadline: Deadline | None = Field(None, description="A deadline with a threat, if any.")
    truce: Truce | None = Field(None, description="A truce, if any.")
    spoilers: dict[Slug, Spoiler] = Field(
        default_factory=dict, description="Spoiler actors (attacking at their attack_rate).")
    aid: Aid | None = Field(None, description="Humanitarian aid deliveries, if modelled.")
    effects: dict[Slug, Effect] = Field(
        default_factory=dict, description="How agreed terms change parameters.")
    shocks: dict[Slug, Shock] = Field(default_factory=dict, description="Scheduled shocks.")

    def day(self, value: dt.date | float) -> float:
        """Day offset of an ISO date or offset."""
        if isinstance(value, dt.date):
            return float((value - self.start).days)
        return float(value)


# --- cross-checks ------------------------------------------------------------------------

TARGET_PARAMS = ("violation_rate", "attack_rate")


def cross_check(s: Scenario) -> Iterator[tuple[Loc, str]]:
    """Yield (location, message) for every rule spanning blocks."""
    yield from _check_actor_refs(s)
    yield from _check_days(s)
    yield from _check_terms(s)
    yield from _check_truce(s)
    for name, eff in s.effects.items():
        yield from _check_target(s, ("effects", name, "target"), eff.target)
        if eff.via is not None:
            yield from _check_via(s, ("effects", name, "via"), eff.via)
    for name, shock in s.shocks.items():
        if shock.target is not None:
            yield from _check_target(s, ("shocks", name, "target"), shock.target)
    yield from budgets.check_scenario(s)


def _actor_refs(s: Scenario) -> Iterator[tuple[Loc, str]]:
    """Every place a scenario names an actor, block by block."""
    for aid_, actor in s.actors.items():
        for client in actor.leverage:
            yield ("actors", aid_, "leverage", client), client
    yield from _negotiation_refs(s.negotiation)
    yield from _deadline_refs(s.deadline)
    yield from _truce_refs(s.truce)
    for sp, spoiler in s.spoilers.items():
        yield ("spoilers", sp), sp
        for p in spoiler.excites:
            yield ("spoilers", sp, "excites", p), p


def _negotiation_refs(n: Negotiation | None) -> Iterator[tuple[Loc, str]]:
    if n is None:
        return
    for p in n.parties:
        yield ("negotiation", "parties", p), p
    for i, c in enumerate(n.constraints):
        yield ("negotiation", "constraints", i, "by"), c.by
    for i, m in enumerate(n.meetings.scheduled):
        if m.host:
            yield ("negotiation", "meetings", "scheduled", i, "host"), m.host
    if n.meetings.convened_by:
        yield ("negotiation", "meetings", "convened_by"), n.meetings.convened_by


def _deadline_refs(d: Deadline | None) -> Iterator[tuple[Loc, str]]:
    if d is None:
        return
    yield ("deadline", "set_by"), d.set_by
    for i, a in enumerate(d.plan_b.partners):
        yield ("deadline", "plan_b", "partners", i), a
    for a in d.plan_b.payoffs:
        yield ("deadline", "plan_b", "payoffs", a), a


def _truce_refs(t: Truce | None) -> Iterator[tuple[Loc, str]]:
    if t is None:
        return
    for k, a in enumerate(t.parties):
        yield ("truce", "parties", k), a
    yield from _pair_refs(("truce", "alpha"), t.alpha)
    if isinstance(t.beta, dict):
        yield from _pair_refs(("truce", "beta"), t.beta)
    yield from _pair_refs(("truce", "monitoring", "attribution"), t.monitoring.attribution)
    for p in t.monitoring.detection:
        yield ("truce", "monitoring", "detection", p), p
    for p in t.stakes:
        yield ("truce", "stakes", p), p
    for p in t.collapse.premium_shift:
        yield ("truce", "collapse", "premium_shift", p), p
    for p, ex in (t.exits.parties.items() if t.exits else ()):
        yield ("truce", "exits", "parties", p), p
        for j in ex.against or {}:
            yield ("truce", "exits", "parties", p, "against", j), j


def _pair_refs(at: Loc, table: dict[str, dict[str, Any]]) -> Iterator[tuple[Loc, str]]:
    for i, row in table.items():
        yield (*at, i), i
        for j in row:
            yield (*at, i, j), j


def _check_actor_refs(s: Scenario) -> Iterator[tuple[Loc, str]]:
    for loc, name in _actor_refs(s):
        if name not in s.actors:
            yield loc, f"unknown actor {name!r}{did_you_mean(name, s.actors)}"


def _check_days(s: Scenario) -> Iterator[tuple[Loc, str]]:
    days: list[tuple[Loc, Any]] = []
    if s.negotiation:
        days += [(("negotiation", "meetings", "scheduled", i, "day"), m.day)
                 for i, m in enumerate(s.negotiation.meetings.scheduled)]
    if s.deadline:
        days.append((("deadline", "day"), s.deadline.day))
    if s.truce and s.truce.starts != "on_deal":
        days.append((("truce", "starts"), s.truce.starts))
    days += [(("shocks", k, "day"), v.day) for k, v in s.shocks.items()]
    for loc, value in days:
        d = s.day(value)
        if not 0 <= d <= s.horizon_days:
            yield loc, (f"{value} is day {d:g}, outside the horizon [0, {s.horizon_days:g}] "
                        f"from start {s.start}")


def _check_terms(s: Scenario) -> Iterator[tuple[Loc, str]]:
    n = s.negotiation
    if n is None:
        if s.effects:
            yield ("effects",), "effects need a negotiation block with terms"
        return
    for loc, term in _term_refs(s, n):
        if term not in n.terms:
            yield loc, f"unknown term {term!r}{did_you_mean(term, n.terms)}"
    if n.terms and not _any_feasible(n):
        yield ("negotiation", "constraints"), "the constraints rule out every offer"
    yield from _check_parties(s, n)
    for term, via in n.delivered_via.items():
        loc = ("negotiation", "delivered_via", term)
        problems = list(_check_via(s, loc, via))
        yield from problems
        patron = via.split(".")[0]
        if not problems and patron not in n.parties:
            yield loc, f"the patron {patron!r} must be a party at the table to deliver {term!r}"


def _check_parties(s: Scenario, n: Negotiation) -> Iterator[tuple[Loc, str]]:
    """Status-quo offers name real levels; a literal reservation stands alone."""
    for pname, party in n.parties.items():
        at = ("negotiation", "parties", pname)
        if isinstance(party.status_quo, dict):
            for term, level in party.status_quo.items():
                levels = n.terms.get(term)
                if levels is not None and not any(abs(level - x) < 1e-12 for x in levels):
                    yield (*at, "status_quo", term), (
                        f"level {level:g} is not one of {term}'s levels {levels}")
        if party.reservation is not None and (party.status_quo is not None or party.premium):
            yield (*at, "reservation"), ("a literal reservation replaces the derived no-deal "
                                         "value; drop status_quo and premium, or the reservation")
    if s.deadline is not None:
        for actor in s.deadline.plan_b.payoffs:
            if actor in s.actors and actor not in n.parties:
                yield (("deadline", "plan_b", "payoffs", actor),
                       f"{actor!r} is not a party at the table; payoffs are for "
                       f"{', '.join(n.parties)}")


def _term_refs(s: Scenario, n: Negotiation) -> Iterator[tuple[Loc, str]]:
    for pname, party in n.parties.items():
        for term in party.weights:
            yield ("negotiation", "parties", pname, "weights", term), term
        if isinstance(party.status_quo, dict):
            for term in party.status_quo:
                yield ("negotiation", "parties", pname, "status_quo", term), term
    for i, c in enumerate(n.constraints):
        yield ("negotiation", "constraints", i, "term"), c.term
    for term in n.delivered_via:
        yield ("negotiation", "delivered_via", term), term
    for name, eff in s.effects.items():
        yield ("effects", name, "term"), eff.term


def _any_feasible(n: Negotiation) -> bool:
    for c in n.constraints:
        levels = n.terms.get(c.term, [])
        lo = -INF if c.min is None else c.min
        hi = INF if c.max is None else c.max
        if levels and not any(lo <= x <= hi for x in levels):
            return False
    return True


def _check_truce(s: Scenario) -> Iterator[tuple[Loc, str]]:
    t = s.truce
    if t is None:
        return
    if t.starts == "on_deal" and s.negotiation is None:
        yield ("truce", "starts"), "'on_deal' needs a negotiation block; give a day instead"
    for loc, name in _excited_parties(s, t):
        if name in s.actors and name not in t.parties:
            yield loc, f"{name!r} is not a truce party (parties: {', '.join(t.parties)})"
    yield from _check_monitoring(s, t)
    yield from _check_table_parties(s, t)
    if t.breakdown.violations is None:
        radius = _branching_radius(t)
        if radius >= 1:
            yield (("truce", "alpha"),
                   f"branching ratio {radius:.3g} >= 1 makes violations explode; lower alpha, "
                   "raise beta, or set a breakdown threshold")


def _excited_parties(s: Scenario, t: Truce) -> Iterator[tuple[Loc, str]]:
    """Every actor named where only truce parties belong (alpha, spoiler targets, beta rows,
    monitoring, exits' against, stakes)."""
    yield from _pair_refs(("truce", "alpha"), t.alpha)
    for sp, spoiler in s.spoilers.items():
        for p in spoiler.excites:
            yield ("spoilers", sp, "excites", p), p
    if isinstance(t.beta, dict):
        for i in t.beta:
            yield ("truce", "beta", i), i
    yield from _pair_refs(("truce", "monitoring", "attribution"), t.monitoring.attribution)
    for p in t.monitoring.detection:
        yield ("truce", "monitoring", "detection", p), p
    for p in t.stakes:
        yield ("truce", "stakes", p), p
    for p, ex in (t.exits.parties.items() if t.exits else ()):
        for j in ex.against or {}:
            yield ("truce", "exits", "parties", p, "against", j), j


def _check_monitoring(s: Scenario, t: Truce) -> Iterator[tuple[Loc, str]]:
    """Attribution rows are probabilities summing to 1; beta sources are parties or spoilers."""
    for i, row in t.monitoring.attribution.items():
        total = sum(row.values())
        if abs(total - 1.0) > 1e-9:
            yield (("truce", "monitoring", "attribution", i),
                   f"attribution of {i}'s violations sums to {total:g}; expected 1")
    if isinstance(t.beta, dict):
        sources = set(t.parties) | set(s.spoilers)
        for i, decays in t.beta.items():
            for j in decays:
                if j in s.actors and j not in sources:
                    yield (("truce", "beta", i, j),
                           f"{j!r} is neither a truce party nor a spoiler")


def _check_table_parties(s: Scenario, t: Truce) -> Iterator[tuple[Loc, str]]:
    """Exits, stakes and premium shifts need parties at the table and a truce on a deal."""
    table = list(s.negotiation.parties) if s.negotiation else []
    exits = t.exits.parties if t.exits else {}
    named: list[tuple[Loc, str]] = [(("truce", "exits", "parties", p), p) for p in exits]
    named += [(("truce", "stakes", p), p) for p in t.stakes]
    named += [(("truce", "collapse", "premium_shift", p), p) for p in t.collapse.premium_shift]
    for loc, p in named:
        if p in s.actors and p not in table:
            yield loc, f"{p!r} is not a party at the table (parties: {', '.join(table) or 'none'})"
    if (t.exits or t.stakes) and t.starts != "on_deal":
        yield (("truce", "exits" if t.exits else "stakes"),
               "declared exits and stakes weigh a deal: the truce must start 'on_deal'")
    if t.collapse.meeting_rate_factor != 1 and s.negotiation is None:
        yield ("truce", "collapse", "meeting_rate_factor"), "needs a negotiation block"


def _branching_radius(t: Truce) -> float:
    idx = {p: k for k, p in enumerate(t.parties)}
    m = np.zeros((len(idx), len(idx)))
    for i, row in t.alpha.items():
        for j, a in row.items():
            if i in idx and j in idx:
                m[idx[i], idx[j]] = upper(a) / lower(pair_beta(t, i, j))
    return float(max(abs(np.linalg.eigvals(m)))) if len(idx) else 0.0


def pair_beta(t: Truce, i: str, j: str) -> Any:
    """The decay rate (number or distribution) of i's excitation by source j."""
    if isinstance(t.beta, dict):
        return t.beta.get(i, {}).get(j, 1.0)
    return t.beta


def upper(value: Any) -> float:
    return value.support()[1] if hasattr(value, "support") else float(value)


def lower(value: Any) -> float:
    return value.support()[0] if hasattr(value, "support") else float(value)


def _check_target(s: Scenario, loc: Loc, target: str) -> Iterator[tuple[Loc, str]]:
    parts = target.split(".")
    if len(parts) != 2:
        yield loc, f"target {target!r} must be ACTOR.PARAMETER or aid.rate_per_day"
        return
    who, param = parts
    if who == "aid":
        if param != "rate_per_day":
            yield loc, f"aid has one target parameter, rate_per_day; got {param!r}"
        elif s.aid is None:
            yield loc, "target aid.rate_per_day needs an aid block"
        return
    if who not in s.actors:
        yield loc, f"unknown actor {who!r}{did_you_mean(who, list(s.actors) + ['aid'])}"
    elif param not in TARGET_PARAMS:
        yield loc, f"unknown parameter {param!r}{did_you_mean(param, TARGET_PARAMS)}; " \
            f"expected one of {', '.join(TARGET_PARAMS)}"


def _check_via(s: Scenario, loc: Loc, via: str) -> Iterator[tuple[Loc, str]]:
    parts = via.split(".")
    if len(parts) != 3 or parts[1] != "leverage":
        yield loc, f"via {via!r} must be ACTOR.leverage.CLIENT"
        return
    patron, _, client = parts
    if patron not in s.actors:
        yield loc, f"unknown actor {patron!r}{did_you_mean(patron, s.actors)}"
    elif client not in s.actors[patron].leverage:
        known = s.actors[patron].leverage
        yield loc, f"{patron} has no leverage over {client!r}{did_you_mean(client, known)}"


def did_you_mean(word: str, choices: Any) -> str:
    """A '; did you mean X?' suffix when a close match exists."""
    match = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


# --- loading -----------------------------------------------------------------------------


def load(path: str | Path) -> Scenario:
    """Read, validate and cross-check a scenario file.

    Raises:
        ScenarioError: with every problem found, each with file, line and field.
    """
    return from_document(read_file(path))


def loads(text: str, source: str = "<string>") -> Scenario:
    """Validate a scenario given as YAML text."""
    return from_document(parse_text(text, source))


def from_document(doc: Document) -> Scenario:
    """Validate a parsed document.

    Raises:
        ScenarioError: the document is not a valid scenario.
    """
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        raise ScenarioError([doc.problem((), f"expected a mapping of scenario fields, got {kind}")])
    try:
        scenario = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        raise ScenarioError(_problems(doc, exc)) from None
    problems = [doc.problem(loc, msg) for loc, msg in cross_check(scenario)]
    if problems:
        raise ScenarioError(problems)
    return scenario


def _problems(doc: Document, exc: ValidationError) -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple[Loc, str]] = set()
    for loc, message in _explain(doc.data, exc.errors(include_url=False)):
        if (loc, message) not in seen:
            seen.add((loc, message))
            out.append(doc.problem(loc, message))
    return out


DIST_NAMES = ("uniform", "normal", "triangular", "choice")
NUMBER_OR_DIST = ("expected a number or a distribution ({uniform: [a, b]}, {normal: [mu, sd]}, "
                  "{triangular: [lo, mode, hi]}, {choice: [...]})")


def _explain(data: Any, errors: list[Any]) -> Iterator[tuple[Loc, str]]:
    """One message per problem: union branches that do not apply to the value are dropped."""
    groups: dict[Loc, list[tuple[Loc, list[str], Any]]] = {}
    for err in errors:
        loc, branches, at = _split(data, tuple(err["loc"]))
        if branches:
            groups.setdefault(at, []).append((loc, branches, err))
        else:
            yield loc, _message(loc, err)
    for at, items in groups.items():
        yield from _explain_union(_value_at(data, at), at, items)


def _split(data: Any, raw: tuple[Any, ...]) -> tuple[Loc, list[str], Loc]:
    """Separate real keys from pydantic's union branch names, walking the data itself."""
    node, at = data, ()
    loc: list[Any] = []
    branches: list[str] = []
    for part in raw:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif _is_branch_tag(part):
            if not branches:
                at = tuple(loc)
            branches.append(part)
            continue
        else:
            node = None
        loc.append(part)
    return tuple(loc), branches, at


def _explain_union(value: Any, at: Loc, items: list[Any]) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in DIST_NAMES:
        tag = next(iter(value)).capitalize()
        chosen = [i for i in items if _branch(i[1][0]) == tag] or items
    elif isinstance(value, int | float) and not isinstance(value, bool):
        chosen = [i for i in items if _branch(i[1][0]) in ("float", "int")]
    else:
        chosen = []
    if chosen:
        for loc, _, err in chosen:
            yield loc, _message(loc, err)
        return
    tags = {_branch(i[1][0]) for i in items}
    if "Uniform" in tags:
        yield at, NUMBER_OR_DIST + _dist_hint(value)
    elif "date" in tags:
        yield at, f"expected an ISO date or a day offset >= 0, got {value!r}"
    else:
        yield at, "; or ".join(dict.fromkeys(_message(i[0], i[2]) for i in items))


def _branch(tag: str) -> str:
    """The type a union branch stands for: 'Uniform', 'float', 'date', ..."""
    if match := re.search(r", (\w+)\]$", tag):
        return match[1]
    if "float" in tag:
        return "float"
    if "int" in tag and "constrained-str" not in tag:
        return "int"
    return tag


def _dist_hint(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        return did_you_mean(str(next(iter(value))), DIST_NAMES)
    return f", got {value!r}"


def _value_at(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _message(loc: Loc, err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden" and loc:
        fields = _fields_at(loc[:-1])
        return f"unknown field {loc[-1]!r}{did_you_mean(str(loc[-1]), fields)}" + (
            f"; expected one of: {', '.join(fields)}" if fields else "")
    if kind == "missing":
        return "required field is missing"
    return str(err["msg"]).removeprefix("Value error, ")


def _is_branch_tag(part: Any) -> bool:
    if not isinstance(part, str):
        return False
    return part in {"Uniform", "Normal", "Triangular", "Choice", "float", "int", "date", "str",
                    "bool"} or part.startswith(("function-", "constrained-", "literal[",
                                                "lax-", "strict-", "json-or-python"))


def _fields_at(loc: Loc) -> list[str]:
    """Field names of the model found at ``loc`` (empty when it is not a model)."""
    tp: Any = Scenario
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return []
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _step(tp: Any, part: Any) -> Any:
    import typing

    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(part))
        return _unwrap(field.annotation) if field else None
    origin = typing.get_origin(tp)
    if origin in (dict, list):
        return _unwrap(typing.get_args(tp)[-1])
    return None


def _unwrap(tp: Any) -> Any:
    import types
    import typing

    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if len(models) == 1 else args[0]
        else:
            return tp


def dumps(scenario: Scenario) -> str:
    """The scenario as YAML text that :func:`loads` reads back to an equal model."""
    import yaml

    data = scenario.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "negsim scenario"
    return schema


def field_paths(loc: Loc) -> list[str]:
    """Public helper: the valid field names at a dotted location (for did-you-mean)."""
    return _fields_at(loc)


__all__ = ["Scenario", "load", "loads", "dumps", "from_document", "json_schema", "dotted"]
