"""The scenario format as pydantic models: distributions, blocks and the Scenario.

Every field carries a description; they become the JSON Schema (``negsim schema``) and the
scenario reference in ``docs/scenario-reference.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

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


def _upper(value: Any) -> float:
    return float(value.support()[1]) if hasattr(value, "support") else float(value)


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value.model_dump())


INF = math.inf
Probability = Annotated[Num, _in_range(0.0, 1.0)]
Rate = Annotated[Num, _in_range(0.0, INF)]
Signed = Annotated[Num, _in_range(-INF, INF)]
Positive = Annotated[Num, _in_range(1e-9, INF)]
Day = dt.date | Annotated[Real, Field(ge=0)]
Via = str | Annotated[list[str], Field(min_length=1)]  # one leverage path or several

class After(_Model):
    """A day tied to another event of the same replication: that event's day plus an offset."""

    after: str = Field(
        description="The event: shocks.NAME.start or shocks.NAME.end (the day a shock is "
        "scheduled to start or to end, whether or not its probability lets it happen), "
        "deadlines.NAME.day (a deadline's first day) or deadline.day (the single deadline's). "
        "Resolved once per replication, in dependency order; a cycle or an unknown name is "
        "refused (the grammar: docs/scenario-reference.md, timing references).")
    plus: Signed = Field(
        0.0, description="Days added to the event's day (negative: before it); the result is "
        "clipped at day 0.")


When = Day | Dist | After


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


class Interaction(_Model):
    """Two terms worth more (or less) together than apart, in one party's utility."""

    terms: tuple[Slug, Slug] = Field(description="The two terms [a, b].")
    weight: Signed = Field(description="w: adds w * level_a * level_b, in the party's units.")


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
    status_quo_trend: Signed = Field(
        0.0, description="Change of the status-quo value per day, in the party's units: at day "
        "t the status quo is worth status_quo + trend * t (a stalemate that hurts more each day "
        "has a negative trend and opens the zone: ripeness). Read by the alternating protocol.")
    believed_status_quo: Signed | None = Field(
        None, description="What the other parties believe this party's status-quo value to be "
        "(a distribution, in the party's units); default: the scenario's own distribution of "
        "status_quo. The alternating protocol's types of this party take it at their quantiles.")
    discount_rate: Rate = Field(
        0.0, description="Cost of delay as a discount rate per day (alternating protocol): an "
        "agreement on offer o reached dt days later is worth d + exp(-rate * dt) * (u(o) - d) "
        "now, d the party's no-deal value. 0: no discounting.")
    delay_cost: Rate = Field(
        0.0, description="Cost of delay per day in the party's own units (alternating protocol): "
        "subtracted, times the expected days to the next round, from the value of going on.")
    horizon_days: Positive | After | None = Field(
        None, description="faratin protocol only, and required there: the party's own "
        "concession horizon in days from the start (never defaulted to the window), a number, "
        "a distribution or {after: EVENT, plus: DAYS}. A credible deadline pulls it earlier.")
    e: Positive = Field(
        1.0, description="Faratin concession exponent: e < 1 Boulware (concedes late), e = 1 "
        "linear, e > 1 Conceder.")
    k: Probability = Field(0.0, description="Faratin initial concession constant, F(0) = k.")
    tau: Rate = Field(
        0.0, description="Acceptance temperature as a fraction of the party's feasible utility "
        "range: between its no-deal value and its aspiration an offer u is accepted with "
        "probability 2 / (1 + exp((a - u) / (tau * range))); 0 accepts exactly at the aspiration.")
    interactions: list[Interaction] = Field(
        default_factory=list,
        description="Interactions of two terms: each adds weight * level_a * level_b to the "
        "party's value of an offer (complements > 0, substitutes < 0), in its own units; "
        "after the additive sum, so a term fixed at 0 leaves every utility exactly as it was.")
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

    day: When = Field(description="ISO date, day offset from the start, a distribution of the "
                      "offset, or {after: EVENT, plus: DAYS}.")
    label: str = Field("meeting", description="What the meeting is, e.g. 'Kerry in Moscow'.")
    host: Slug | None = Field(
        None, description="Actor hosting or convening it; when it is a mediator "
        "(negotiation.mediators), it opens the meeting with its single text.")
    duration_days: Annotated[Real, Field(ge=0)] = Field(
        0.0, description="How long the meeting lasts; its rounds are spread evenly over it "
        "(round j of R at day + j * duration / R), so parties concede between rounds.")
    rounds: Int | None = Field(
        None, ge=1, le=100, description="Proposals in this meeting (default: rounds_per_meeting).")
    audience_costs: dict[Slug, Annotated[Real, Field(ge=0)]] = Field(
        default_factory=dict, description="Per party, its cost of leaving this meeting "
        "empty-handed, in its own units (audience costs, Fearon 1994; an action-forcing "
        "summit). Alternating protocol: during the meeting the party's no-deal value d is "
        "lowered by it, so its value of going on falls too.")


class DeadlineMeeting(_Model):
    """A meeting held a stated number of days before every live deadline."""

    days_before: Annotated[Real, Field(ge=0)] = Field(
        description="Days before the deadline (the first or a renewed one) the meeting starts.")
    label: str = Field("meeting before the deadline", description="What the meeting is.")
    rounds: Int | None = Field(
        None, ge=1, le=100, description="Proposals in it, all on that day (default: "
        "rounds_per_meeting).")


class Meetings(_Model):
    """When the parties meet: scheduled days and a Poisson process."""

    scheduled: list[Meeting] = Field(default_factory=list, description="Scheduled meetings.")
    rate_per_day: Rate = Field(0.0, description="Rate of unscheduled meetings (Poisson), per day.")
    label: str = Field("talks", description="What the unscheduled meetings are.")
    convened_by: Slug | None = Field(
        None, description="Actor convening unscheduled meetings; when it is a mediator "
        "(negotiation.mediators), it opens each of them with its single text.")
    duration_days: Annotated[Real, Field(ge=0)] = Field(
        0.0, description="How long an unscheduled meeting lasts (rounds spread over it).")


# The ratifier's acceptance rule (docs/model.md, section 3.4), as the engine computes it
# (tests/test_docs.py evaluates it against sim.engine.plan.ratify_probability).
RATIFY = "1 / (1 + exp(-(u - d) / tau))"


class Ratifier(_Model):
    """An actor that votes on a text the voters have agreed but never proposes (a legislature,
    a domestic veto player, a client who must consent)."""

    weights: dict[Slug, Signed] = Field(
        description="Value per unit of each term's level, in the ratifier's own units (additive, "
        "as for a party; a term delivered through a patron's leverage is valued at its weight "
        "times the drawn leverage). Terms left out weigh 0.")
    status_quo: Annotated[dict[Slug, Real], Field(min_length=1)] | Signed | None = Field(
        None, description="What no deal leaves the ratifier with: an offer (term -> level, "
        "terms left out at their lowest level) valued with its weights, or a value in its units. "
        "Default: the offer with every term at its lowest level.")
    premium: Signed = Field(
        0.0, description="Stated amount added to the status-quo value to give the ratifier's "
        "no-deal value d, in its own units (what ratifying costs it beyond the terms).")
    tau: Rate = Field(
        0.0, description="Scale of the ratifier's mood, in its own units: the mood eps ~ "
        "Logistic(0, tau) is drawn once per replication (inverse CDF of the first uniform of "
        "its stream ratifier:NAME) and it ratifies a text worth u iff u - d + eps >= 0 (d its "
        "no-deal value), so a first vote ratifies with probability q = " + RATIFY + " and the "
        "same text always gets the same answer; tau = 0 ratifies exactly when u >= d. The "
        "negotiators know the mood's distribution, not its draw, weigh their offers by the "
        "probability of ratification and update it from every vote (a refused text is never "
        "put again; two-level game with uncertainty, Putnam 1988, Iida 1993).")
    note: str = Field("", description="Who the ratifier is and where its numbers come from.")


class Mediator(_Model):
    """An actor that proposes single texts at the meetings it convenes and never votes."""

    bias: dict[Slug, Annotated[Real, Field(gt=0)]] = Field(
        default_factory=dict, description="Exponent of each party's gain in the mediator's "
        "asymmetric Nash product (parties left out: 1; equal exponents: the Nash bargaining "
        "solution). The mediator proposes the feasible offer with every believed gain "
        "u_k(o) - d_k > 0 that maximises R(o) * prod_k (u_k(o) - d_k) ** b_k, d_k party k's "
        "no-deal value as the others believe it (the mean over its belief types) and R(o) the "
        "probability that the ratifiers ratify o (1 without ratifiers).")
    note: str = Field("", description="Who the mediator is and where its bias comes from.")


class Negotiation(_Model):
    """Parties bargain over discrete terms under a named protocol."""

    description: str = Field("", description="What is being negotiated.")
    protocol: Slug = Field(
        "alternating", description="The bargaining model (docs/model.md, section 3): "
        "'alternating' (the default: alternating offers with costs of delay, private no-deal "
        "values and screening offers; Rubinstein 1982, Admati & Perry 1987, Cramton 1992) or "
        "'faratin' (time-dependent concession tactics, Faratin, Sierra & Jennings 1998), or a "
        "protocol registered in Python with sim.engine.protocols.register.")
    belief_types: Int = Field(
        15, ge=1, le=200, description="Alternating protocol: how many types of each party the "
        "others consider: its no-deal value computed with every uncertain quantity behind it "
        "(status quo or believed_status_quo, premium, reservation, plan-B payoff) at the "
        "quantiles (m + 0.5) / M, m = 0..M-1.")
    parties: dict[Slug, Party] = Field(
        min_length=2, description="Actors at the table, in proposing order.")
    terms: dict[Slug, list[Real]] = Field(
        min_length=1,
        description="Terms on the table, each with its discrete levels in [0, 1], increasing.")
    constraints: list[Constraint] = Field(default_factory=list, description="Forbidden offers.")
    delivered_via: dict[Slug, Via] = Field(
        default_factory=dict,
        description="term -> PATRON.leverage.CLIENT, or a list of such paths (several "
        "patrons): a term delivered through leverage over a client. Every party but a patron "
        "values it at its weight times the combined drawn leverage 1 - prod(1 - l_i) "
        "(independent channels: what it can expect delivered); each patron bears its full "
        "cost.")
    meetings: Meetings = Field(default_factory=lambda: Meetings(),
                               description="When the parties meet.")
    rounds_per_meeting: Int = Field(1, ge=1, le=100, description="Proposals per meeting.")
    resume_after_breakdown: bool = Field(
        False, description="Whether talks resume after the truce breaks down.")
    resume_delay_days: Annotated[Real, Field(ge=0)] = Field(
        0.0, description="Days after a breakdown before talks resume.")
    ratifiers: dict[Slug, Ratifier] = Field(
        default_factory=dict, description="Actors who must ratify a text the voters agree "
        "before it becomes a deal; they never propose. One refusal and the round ends without "
        "a deal (the talks go on, as after a rejection). docs/model.md, section 3.4; "
        "alternating protocol only.")
    mediators: dict[Slug, Mediator] = Field(
        default_factory=dict, description="Actors who propose single texts and never vote: a "
        "mediator opens every meeting it convenes (a scheduled meeting it hosts, or an "
        "unscheduled one when it is meetings.convened_by) with its text, put to the parties' "
        "vote in the first round; the other rounds go to the parties in turn. alternating "
        "protocol only.")
    decision_rule: Literal["unanimity", "majority", "weighted"] = Field(
        "unanimity", description="Which parties must accept a text for it to pass: "
        "'unanimity' (every party; the default), 'majority' (each party weighs 1) or "
        "'weighted' (each party weighs its capability). A text passes when the accepting "
        "parties' weight (a proposer accepts its own) exceeds threshold times the total "
        "weight; a deal so struck binds every party.")
    capability: dict[Slug, Annotated[Real, Field(gt=0)]] = Field(
        default_factory=dict, description="'weighted' rule only: each party's vote weight "
        "(e.g. its capability share); required for every party.")
    threshold: Annotated[Real, Field(ge=0.5, lt=1)] = Field(
        0.5, description="'majority' and 'weighted' rules: the share of the total weight that "
        "the accepting parties' weight must exceed (0.5: more than half).")

    @model_validator(mode="after")
    def _faratin_horizons(self) -> Negotiation:
        if self.protocol == "faratin":
            missing = [p for p, party in self.parties.items() if party.horizon_days is None]
            if missing:
                raise ValueError(f"protocol faratin needs every party's own horizon_days; "
                                 f"missing for {', '.join(missing)} (it is never defaulted to "
                                 "the window)")
        return self

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


class Partner(_Model):
    """An actor whose joining plan B is uncertain."""

    willingness: Probability = Field(
        1.0, description="Probability w that the partner joins plan B when the setter decides "
        "to carry it out (a distribution: drawn once per replication; each partner's joining is "
        "then an independent coin).")
    note: str = Field("", description="Where the willingness comes from.")


class PlanB(_Model):
    """What the deadline's setter threatens to do if it passes without a deal."""

    label: str = Field(description="Short name, e.g. 'an altogether different track'.")
    description: str = Field("", description="What it would mean.")
    partners: list[Slug] | dict[Slug, Partner] = Field(
        default_factory=list, description="Actors carrying plan B out with the setter: a list "
        "(each certain to join, willingness 1) or a map actor -> {willingness}. The threat is "
        "carried out only if the setter decides to (credibility c) and enough partners join "
        "(requires_partners); the parties weigh it with the effective credibility "
        "c * P(enough partners join), the joining probability computed from the drawn "
        "willingnesses.")
    requires_partners: Literal["all", "any"] | Annotated[Int, Field(ge=0)] = Field(
        "all", description="How many partners must join for plan B to be carried out: 'all', "
        "'any' (at least one) or a number N (at least N; 0 needs none). Without partners the "
        "setter acts alone.")
    payoffs: dict[Slug, Signed] = Field(
        default_factory=dict,
        description="Value of plan B to each negotiation party, in that party's own units. "
        "Alternating protocol: while the deadline is live, a party's value of never agreeing "
        "is c * plan B + (1 - c) * no deal, discounted to the day (its threat point, from the "
        "first round), and in the last round before the deadline its value of going on is c * "
        "plan B + (1 - c) * going on (a party left out counts its no-deal value as plan B). "
        "faratin: a party with a payoff below its status quo loses by the threat: its "
        "no-deal value falls and its concession horizon is pulled toward the deadline, both in "
        "proportion to the credibility. Parties left out keep their status quo.")


class Deadline(_Model):
    """A deadline with a threat behind it."""

    set_by: Slug = Field(description="Actor that set the deadline.")
    target: Slug | list[Slug] | None = Field(
        None, description="Actor(s) the threat is addressed to (named in the story); default "
        "every party at the table other than the setter. A target may set its own deadline "
        "against the setter (a counter-threat: another entry of `deadlines`). What plan B is "
        "worth to each party is in plan_b.payoffs.")
    day: When = Field(description="ISO date, day offset, a distribution of the offset, or "
                      "{after: EVENT, plus: DAYS} (docs/scenario-reference.md, timing "
                      "references).")
    credibility: Probability = Field(
        description="Probability c that the setter carries out plan B when the deadline passes "
        "with no deal holding. It also acts before the deadline. Alternating protocol: from "
        "the first round, while a round comes before the deadline, a party's no-deal value d "
        "becomes its threat point d + exp(-rate (D - t)) * c * (B - d), B its plan-B payoff; "
        "and its value of going on g becomes g - (1 - p) * c * (g - B), p the probability "
        "of another round before the deadline (at p = 0 the lottery c * B + (1 - c) * g). "
        "faratin: no-deal values are (1 - c) * status_quo + c * plan_b "
        "+ premium, and each threatened party's concession speed is c / (D - t) + (1 - c) / "
        "(T_own - t).")
    credibility_decay: Probability = Field(
        0.0, description="Fraction of credibility lost each time a deadline lapses.")
    extension_days: Annotated[Real, Field(gt=0)] | None = Field(
        None, description="Days to a new deadline after a lapse, with the decayed credibility; "
        "concession continues from where it was, it never restarts.")
    extensions: Int = Field(0, ge=0, le=100, description="How many new deadlines may follow.")
    last_call_days: Annotated[Real, Field(gt=0)] = Field(
        1.0, description="Alternating protocol: this many days before a live deadline, if some "
        "offer is worth more to every party than its value of not agreeing by the deadline "
        "(c * plan B + (1 - c) * going on), a last meeting is called (rounds_per_meeting "
        "rounds, on that day).")
    meetings: list[DeadlineMeeting] = Field(
        default_factory=list, description="Meetings an analyst states relative to every live "
        "deadline (the first and each renewed one), under any protocol.")
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
    deterrence: dict[Slug, Rate] = Field(
        default_factory=dict,
        description="Deterrence elasticity e of each truce party: while a truce runs, its "
        "whole violation intensity (base rate, retaliation and what spoilers provoke) is "
        "multiplied by exp(-e * d), d its detection probability (Becker 1968: the certainty "
        "of being caught deters every act). Parties left out: e = 0, no deterrence.")


class Exit(_Model):
    """When an actor (at the table or not) declares the truce over."""

    tolerance: Rate = Field(
        description="Weighted, discounted violations against the party it bears per unit of "
        "what the deal is worth to it above no deal (its own units): it leaves when the "
        "violations exceed tolerance * (u(deal) - no-deal value); 0 leaves at the first one.")
    against: dict[Slug, Rate] | None = Field(
        None, description="Weight of an observed violation attributed to each truce party; "
        "default: 1 for every truce party other than this one.")
    worth: Signed | None = Field(
        None, description="For an actor not at the table (a client, a patron, an armed group "
        "bound by the truce): what the deal in force is worth to it above no deal, in its own "
        "units, stated; it replaces u(deal) - no-deal value in the rule. Required for such an "
        "actor; not allowed for a party at the table.")


class Exits(_Model):
    """Breakdowns declared by parties at the table (docs/model.md, section 5)."""

    half_life_days: Positive = Field(
        description="Half-life of a violation's weight in what a party suffers, in days.")
    parties: dict[Slug, Exit] = Field(
        min_length=1, description="Actors that may declare the truce over: parties at the "
        "table, or actors off it with a stated worth.")


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


class Stake(_Model):
    """A stake that restrains a truce party, held by itself or by another actor (a patron)."""

    sensitivity: Rate = Field(
        description="s: the party's violation rate is multiplied by exp(-s * max(0, worth)) "
        "while the truce runs.")
    held_by: Slug | None = Field(
        None, description="Whose loss at breakdown restrains the party (e.g. its patron); "
        "default the party itself.")
    worth: Signed | None = Field(
        None, description="What the deal is worth above no deal to a holder not at the table, "
        "in its own units (required for such a holder; a holder at the table uses "
        "u(deal) - no-deal value).")


class PartyWorth(_Model):
    """What the truce a deal starts is worth to one party at the table, per day it holds."""

    per_day: dict[Slug, Signed] = Field(
        default_factory=dict,
        description="Value per day of a holding truce per unit of each term's agreed level, in "
        "the party's own units (a carrot delivered only while the truce holds).")
    per_violation: dict[Slug, Signed] = Field(
        default_factory=dict,
        description="Value of each violation by a truce party, own units (negative: a cost); "
        "the deal is credited with the violations its effects avoid while the truce holds.")


class TruceWorth(_Model):
    """The truce's expected worth, added to each party's utility of every offer."""

    evaluation_days: Positive = Field(
        description="E: the period over which a party weighs what the truce delivers, in days "
        "from its start.")
    parties: dict[Slug, PartyWorth] = Field(
        min_length=1, description="Parties at the table and their values.")


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
    stakes: dict[Slug, Rate | Stake] = Field(
        default_factory=dict,
        description="Stake of each truce party: a sensitivity s (the party itself at the table "
        "holds it), or {sensitivity, held_by, worth}. While a deal holds, the party's violation "
        "rate is multiplied by exp(-s * max(0, w)), w the holder's u(deal) - no-deal value (its "
        "own units) or its stated worth; default none (s = 0).")
    retaliation: Literal["perceived", "actual"] = Field(
        "perceived", description="What excites retaliation: 'perceived' (default), the "
        "violations the monitor observes, by the party it blames (a party always knows its own, "
        "so self-excitation follows its true violations), and spoiler attacks blamed on a party; "
        "'actual', every true violation by its true author (unseen ones included), the rule "
        "before issue 20, for comparison. Default perceived: parties react to what they see "
        "(Fortna 2003, 2004). With perfect detection and attribution the two are identical.")
    judged_after_days: Annotated[Real, Field(gt=0)] = Field(
        30.0, description="Age at which a first truce is judged: survival is reported at this "
        "many days after its start, and a first truce younger than this at the window's end is "
        "'too young to judge', never 'held'.")
    worth: TruceWorth | None = Field(
        None, description="What the truce a deal starts is expected to deliver to each party, "
        "added to its utility of every offer (docs/model.md, section 5).")
    collapse: Collapse = Field(default_factory=lambda: Collapse(),
                               description="Consequences of a breakdown.")
    covers: dict[Slug, Annotated[Real, Field(ge=0, le=1)]] = Field(
        default_factory=dict,
        description="Share of each truce party bound by the truce (parties left out: 1): its "
        "whole violation intensity (base and excitation) is multiplied by it. 0 lists a party "
        "outside the truce until an effect or shock on truce.covers.PARTY brings it in.")


    def pair_beta(self, i: str, j: str) -> Any:
        """The decay rate (number or distribution) of i's excitation by source j."""
        if isinstance(self.beta, dict):
            return self.beta.get(i, {}).get(j, 1.0)
        return self.beta

    def branching_radius(self, high: Callable[[Any], float],
                         low: Callable[[Any], float]) -> float:
        """Spectral radius of ``high(alpha[i][j]) / low(beta[i][j])`` over the truce parties:
        at or above 1 the violations can explode (docs/model.md, section 5)."""
        idx = {p: k for k, p in enumerate(self.parties)}
        m = [[0.0] * len(idx) for _ in idx]
        for i, row in self.alpha.items():
            for j, a in row.items():
                if i in idx and j in idx:
                    m[idx[i]][idx[j]] = high(a) / max(low(self.pair_beta(i, j)), 1e-9)
        return float(max(abs(np.linalg.eigvals(np.array(m))))) if idx else 0.0

class Spoiler(_Model):
    """A spoiler outside the truce whose attacks excite the parties."""

    excites: dict[Slug, Rate] = Field(
        default_factory=dict,
        description="Jump in each truce party's violation rate per attack, per day.")
    blamed_on: dict[Slug, Probability] = Field(
        default_factory=dict,
        description="Probability that an attack during a truce is blamed on each truce party "
        "(summing to at most 1): a blamed attack counts for the monitor, for exits and for "
        "(perceived) retaliation as an observed violation by that party.")

    @model_validator(mode="after")
    def _at_most_one(self) -> Spoiler:
        total = sum(_upper(p) for p in self.blamed_on.values())
        if total > 1 + 1e-9:
            raise ValueError(f"blamed_on probabilities sum to {total:g}; expected at most 1")
        return self


class Aid(_Model):
    """Humanitarian aid deliveries as a Poisson process."""

    description: str = Field("", description="What is delivered, to whom.")
    rate_per_day: Rate = Field(description="Deliveries per day without a truce, before effects.")
    truce_multiplier: Rate = Field(1.0, description="Rate multiplier while a truce holds.")


class EffectStart(_Model):
    """When a staged effect starts, counted from the deal or from the truce's start."""

    after: Literal["deal", "truce"] = Field(
        "deal", description="The anchor: 'deal' (the day the deal is struck) or 'truce' (the "
        "start of the truce the deal starts; the one already running if there is one). An "
        "effect anchored to a truce that never starts never starts.")
    days: Rate = Field(
        0.0, description="Days from the anchor (or from the last milestone, after_effect or "
        "after_truce_days, when that comes later) to the effect's start; a distribution is "
        "drawn once per replication.")


class Requires(_Model):
    """A condition on another term's agreed level: unmet, the effect never starts."""

    term: Slug = Field(description="The term whose agreed level is tested.")
    min: Real | None = Field(None, description="Lowest agreed level that meets it, inclusive.")
    max: Real | None = Field(None, description="Highest agreed level that meets it, inclusive.")

    @model_validator(mode="after")
    def _bounded(self) -> Requires:
        if self.min is None and self.max is None:
            raise ValueError("requires needs min or max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"requires min {self.min:g} exceeds max {self.max:g}")
        return self


class Effect(_Model):
    """An agreed term changes a parameter: new = old * max(0, 1 + per_unit * level * via)
    (multiplicative targets) or new = old + per_unit * level * via (status_quo, covers), from
    its start, ramping in over ramp_days (docs/model.md, section 7)."""

    term: Slug = Field(description="Negotiation term whose agreed level drives the effect.")
    target: str = Field(
        description="The parameter changed: ACTOR.violation_rate, ACTOR.attack_rate, "
        "ACTOR.status_quo (a party at the table: its no-deal value moves by per_unit * level * "
        "via, own units), ACTOR.leverage.CLIENT (clipped to [0, 1]), aid.rate_per_day, "
        "negotiation.meetings.rate_per_day, truce.monitoring.detection.PARTY (clipped to "
        "[0, 1]), truce.alpha.PARTY.SOURCE, truce.beta (every kernel's decay rate), or "
        "truce.covers.PARTY (the share of the party bound by the truce, default 1, moved by "
        "per_unit * level * via and clipped to [0, 1]).")
    per_unit: Signed = Field(description="Change per unit of the agreed level: relative for a "
                             "multiplicative target, absolute for status_quo and covers.")
    via: Via | None = Field(
        None, description="PATRON.leverage.CLIENT, or a list of them (several patrons): scales "
        "the change by the combined leverage 1 - prod(1 - l_i) (independent channels: the "
        "commitment reaches the client unless every channel fails).")
    tied_to_truce: bool = Field(
        False, description="Withdrawn when the truce breaks down (a carrot tied to the truce); "
        "a tied effect that has not started by then is cancelled.")
    starts: EffectStart | None = Field(
        None, description="When it starts; default at the deal. Staged effects are worth less "
        "in truce.worth: their factor enters at its survival-weighted mean over the evaluation "
        "period.")
    ramp_days: Rate = Field(
        0.0, description="Days over which the change ramps in linearly from its start: the "
        "factor moves from 1 to its full value (rates only: violation_rate, attack_rate, "
        "aid.rate_per_day, negotiation.meetings.rate_per_day). 0: at once.")
    requires: Requires | None = Field(
        None, description="A condition on another term's agreed level; unmet, the effect never "
        "starts (nor does any effect after it).")
    after_effect: Slug | None = Field(
        None, description="A milestone: the effect waits for this other effect to start, then "
        "its starts.days.")
    after_truce_days: Rate | None = Field(
        None, description="A milestone: the effect waits until the truce has held this many "
        "days (it never starts if that truce breaks down first), then its starts.days.")
    note: str = Field("", description="Where the effect comes from.")

    @property
    def staged(self) -> bool:
        """Whether the effect waits, ramps or has a condition (else it acts at the deal)."""
        return (self.starts is not None or self.ramp_days != 0 or self.requires is not None
                or self.after_effect is not None or self.after_truce_days is not None)


class Shock(_Model):
    """A scheduled event: a parameter multiplied for a while, or the truce broken."""

    day: When = Field(description="ISO date, day offset, a distribution of the offset, or "
                      "{after: EVENT, plus: DAYS}, e.g. {after: shocks.other.end, plus: 3}.")
    label: str = Field(description="What happens.")
    probability: Probability = Field(1.0, description="Chance that the shock happens at all.")
    target: str | None = Field(
        None, description="Parameter changed, any target an effect may have: multiplied by "
        "`factor`, or for PARTY.status_quo and truce.covers.PARTY moved by `shift`.")
    factor: Rate = Field(1.0, description="Multiplier applied to the target.")
    shift: Signed = Field(
        0.0, description="For a PARTY.status_quo target: added to that party's no-deal value "
        "(its own units) while the shock lasts (a stalemate that starts to hurt: ripeness). "
        "For truce.covers.PARTY: added to the party's coverage (clipped to [0, 1]).")
    duration_days: Positive | After | None = Field(
        None, description="How long the multiplier lasts: days, a distribution, or "
        "{after: EVENT, plus: DAYS}, the day it ends (a duration of max(0, that day - start)); "
        "none = to the horizon.")
    breaks_truce: bool = Field(False, description="Whether the shock ends a running truce.")

    @model_validator(mode="after")
    def _does_something(self) -> Shock:
        if self.target is None and not self.breaks_truce:
            raise ValueError("a shock needs a target (with factor) or breaks_truce: true")
        return self


FORMAT = 2  # the scenario format's version (sim.scenario.loading explains how to port)


class Scenario(_Model):
    """A negotiation and truce scenario."""

    format: Literal[2] = Field(
        description="The version of the scenario format the file is written in: 2. Format 2 "
        "(issue 19) names the bargaining model (negotiation.protocol, default 'alternating') "
        "and lets deadlines act through the lottery c * plan B + (1 - c) * going on; a file "
        "without it, or with an older version, is refused with a note on how to port it.")
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
    deadlines: dict[Slug, Deadline] = Field(
        default_factory=dict, description="Several deadlines, by name, each with its setter, "
        "day, credibility, plan B and extensions (instead of `deadline`, never both). Every "
        "threatened party weighs all live deadlines as nested lotteries in date order "
        "(docs/model.md, section 4); the first entry's result is also the record's "
        "deadline_outcome.")
    truce: Truce | None = Field(None, description="A truce, if any.")
    spoilers: dict[Slug, Spoiler] = Field(
        default_factory=dict, description="Spoiler actors (attacking at their attack_rate).")
    aid: Aid | None = Field(None, description="Humanitarian aid deliveries, if modelled.")
    effects: dict[Slug, Effect] = Field(
        default_factory=dict, description="How agreed terms change parameters.")
    shocks: dict[Slug, Shock] = Field(default_factory=dict, description="Scheduled shocks.")

    def threats(self) -> dict[str, Deadline]:
        """Every deadline by name: the map, or the single block under the name 'deadline'."""
        if self.deadline is not None:
            return {"deadline": self.deadline}
        return dict(self.deadlines)

    def threat_path(self, name: str) -> str:
        """The dotted path of a deadline's block ('deadline' or 'deadlines.NAME')."""
        return "deadline" if self.deadline is not None else f"deadlines.{name}"

    def day(self, value: dt.date | float) -> float:
        """Day offset of an ISO date or offset."""
        if isinstance(value, dt.date):
            return float((value - self.start).days)
        return float(value)


