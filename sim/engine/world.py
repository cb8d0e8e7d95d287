"""The shared state of one replication and the story it tells."""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import simpy

from sim.engine.commitments import Commitments
from sim.engine.outcomes import Record
from sim.engine.plan import Params, Plan
from sim.engine.rng import Streams
from sim.engine.state import LiveParams, PoissonClock

if TYPE_CHECKING:
    from sim.engine.negotiation import Talks
    from sim.engine.outside import AidFlow
    from sim.engine.truce import Truce


@dataclass(frozen=True)
class Entry:
    """One line of a replication's story."""

    day: float
    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def date(self, start: dt.date) -> dt.date:
        return start + dt.timedelta(days=math.floor(self.day))


class World:
    """Everything one replication shares: clock, parameters, streams, record and story."""

    def __init__(self, plan: Plan, replication: int, tracing: bool = False,
                 story_limit: int | None = None):
        self.plan = plan
        self.params: Params = plan.params(replication)
        self.env = simpy.Environment()
        self.live = LiveParams(self.params.base, lambda: self.env.now)
        self.streams = Streams(plan.seed, replication, plan.ahead.take(replication))
        self.record = Record(replication)
        # Fixed columns whatever happens, so every replication has the same row schema.
        self.record.levels = dict.fromkeys(plan.terms, math.nan)
        self.record.violations = dict.fromkeys(plan.truce_parties, 0)
        self.record.observed = dict.fromkeys(plan.truce_parties, 0)
        self.record.inputs = dict(self.params.drawn)
        self._roles_columns()
        self.record.effect_starts = {e.name: math.nan for e in self.params.effects if e.staged}
        if plan.scenario.truce is not None:
            self.record.breakdowns = self.record.declared_breakdowns = 0
        if plan.threat_columns:
            self.record.threats = {"escalation_by": None, "plan_b_joined": None} | {
                "deadline_outcome_" + name: "none" for name in plan.threats}
        self.tracing = tracing
        self.story: list[Entry] = []
        # With a limit, the story keeps its first and last limit/2 entries and counts the rest,
        # so tracing an exploding replication needs bounded memory.
        self.story_limit = story_limit
        self.story_tail: deque[Entry] = deque(maxlen=max(story_limit or 0, 2) // 2)
        self.story_omitted = 0
        self.done = False
        self.inline = 0  # SimPy events a mechanism took from the queue itself (Truce)
        # Clocks that may count their arrivals without an event each (state.PoissonClock),
        # and the spoilers' among them (loud while a truce holds).
        self.counting: list[PoissonClock] = []
        self.spoilers: list[PoissonClock] = []
        self.escalated = False
        self.collapsed = False  # the run ended because a breakdown escalated
        self.enforced: int | None = None  # the deadline whose plan B was carried out
        self.deal: int | None = None  # index of the agreed offer
        self.deal_broken = False
        self.talks: Talks | None = None
        self.truce: Truce | None = None
        self.aid: AidFlow | None = None
        self.commitments = Commitments(self)

    def _roles_columns(self) -> None:
        """Columns for ratifiers, mediators and votes, only when the scenario has them."""
        roles, rec = self.params.roles, self.record
        rec.refusals = {r.name: 0 for r in roles.ratifiers}
        rec.texts = dict.fromkeys(roles.mediators, 0)
        if roles.weights is not None:
            rec.outvoted = {p.name: math.nan for p in self.params.parties}

    @property
    def now(self) -> float:
        return self.env.now

    def log(self, kind: str, text: str, **data: Any) -> None:
        """Add a line to the story (only when tracing)."""
        if not self.tracing:
            return
        entry = Entry(self.env.now, kind, text, data)
        if self.story_limit is None or len(self.story) < self.story_limit // 2:
            self.story.append(entry)
            return
        if len(self.story_tail) == self.story_tail.maxlen:
            self.story_omitted += 1
        self.story_tail.append(entry)

    def told(self) -> list[Entry]:
        """The whole story kept: its head, a note of what was left out, and its tail."""
        if not self.story_tail:
            return list(self.story)
        gap = ([Entry(self.story_tail[0].day, "omitted",
                      f"... {self.story_omitted} entries omitted (story limit "
                      f"{self.story_limit}) ...")] if self.story_omitted else [])
        return self.story + gap + list(self.story_tail)

    def label(self, actor: str) -> str:
        return self.plan.scenario.actors[actor].label

    def deal_holds(self) -> bool:
        return self.deal is not None and not self.deal_broken

    def describe_offer(self, offer: int) -> str:
        levels = self.plan.offers[offer]
        return ", ".join(f"{t}={x:g}" for t, x in zip(self.plan.terms, levels, strict=True))

    # --- transitions ---------------------------------------------------------------------

    def agree(self, offer: int) -> None:
        """A deal is struck: fix its levels, apply its effects, start the truce it promises."""
        rec = self.record
        rec.deals += 1
        if not rec.deal:
            rec.deal, rec.deal_day = True, self.now
        rec.levels = dict(zip(self.plan.terms, self.plan.offers[offer].tolist(), strict=True))
        self.deal, self.deal_broken = offer, False
        if self.tracing:
            self.log("deal", f"DEAL: {self.describe_offer(offer)}", offer=dict(rec.levels))
        self.commitments.on_deal(self.plan.offers[offer])
        if self.truce is not None:
            self.truce.on_deal()

    def breakdown(self, cause: str) -> None:
        """The truce has ended: withdraw carrots tied to it; the collapse may escalate;
        otherwise talks may resume, from damaged trust (docs/model.md, section 5)."""
        self.deal_broken = True
        self.commitments.on_breakdown()
        rules = self.params.rules
        if rules.escalation > 0 and self.streams["collapse"].uniform() < rules.escalation:
            self.collapsed = True
            if self.record.threats:
                self.record.threats["escalation_by"] = "collapse"
            self.escalate(f"the collapse escalates (probability {rules.escalation:.2f})")
            return
        if rules.meeting_factor != 1.0:
            self.live.modify(("meetings", "rate"), "collapse",
                             rules.meeting_factor ** (self.truce.breakdowns if self.truce else 1))
            self.log("talks", f"meeting rate now {self.live[('meetings', 'rate')]:.3g}/day")
        if self.talks is not None:
            self.talks.damage(rules.premium_shift)
            self.talks.after_breakdown()

    def escalate(self, label: str, by: int | None = None, joined: list[str] | None = None
                 ) -> None:
        """Plan B (of deadline ``by``, with the partners that ``joined``) is carried out, or a
        collapse escalates: the run ends as escalation."""
        self.escalated = self.done = True
        if by is not None:
            self.enforced = by
            if self.record.threats:
                self.record.threats["escalation_by"] = self.params.threats[by].name
                self.record.threats["plan_b_joined"] = ",".join(joined or []) or None
        self.log("escalation", f"ESCALATION: {label}")

    def hush_spoilers(self, quiet: bool) -> None:
        """Spoilers' attacks excite a truce only while it holds: count them quietly otherwise."""
        for clock in self.spoilers:
            clock.hush(quiet)

    # --- the end -------------------------------------------------------------------------

    def end_day(self) -> float:
        """The day the run ends: its escalation's, or the horizon."""
        return self.now if self.escalated else self.plan.horizon

    def settle(self, until: float | None = None) -> None:
        """Count the quiet clocks' arrivals up to ``until`` (by default the run's end), their
        events included."""
        end = self.end_day() if until is None else until
        for clock in self.counting:
            clock.catch_up(end)

    def finish(self, events: int) -> Record:
        """Classify the outcome and complete the record."""
        rec = self.record
        end = self.end_day()
        rec.end_day, rec.events = end, events
        if self.truce is not None:
            self.truce.close(end)
        rec.outcome = self._outcome()
        rec.utility = self._utilities()
        return rec

    def _outcome(self) -> str:
        """The outcome category (names and meanings in sim.engine.outcomes.REGISTRY)."""
        if self.escalated:
            return "escalation"
        truce = self.truce
        if truce is None:
            return "deal_without_truce" if self.deal_holds() else "no_deal"
        if truce.active:
            if truce.degraded_at(self.record.end_day):
                return "truce_degraded"
            if truce.breakdowns:
                return "renewed_truce_active"
            age = self.record.end_day - self.record.truce_start
            return "first_truce_held" if age >= truce.judged_after else "first_truce_too_young"
        if self.deal_holds():
            return "deal_truce_pending"
        return "truce_collapsed" if truce.started else "no_deal"

    def _utilities(self) -> dict[str, float]:
        """Each party's realised utility in its own units: plan B's payoff after escalation,
        the deal's value while it holds, otherwise what no deal leaves it."""
        out = {}
        for k, p in enumerate(self.params.parties):
            payoff = None if self.enforced is None else p.payoff(self.enforced)
            if self.escalated and not self.collapsed and payoff is not None:
                out[p.name] = payoff
            elif self.deal_holds() and self.deal is not None:
                out[p.name] = float(self.params.utilities[k, self.deal])
            else:
                out[p.name] = p.fallback
        for r in self.params.roles.ratifiers:
            out[r.name] = (float(r.utilities[self.deal]) if self.deal_holds()
                           and self.deal is not None else r.fallback)
        return out
