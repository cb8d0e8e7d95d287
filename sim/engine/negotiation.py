"""Talks: meetings of several rounds, proposals in turn, unanimity, under a named protocol.

The talks are shared by every bargaining protocol (``sim.engine.protocols``): they hold the
meetings (scheduled, unscheduled, stated relative to a deadline, and a last one called before
a deadline when the protocol says so), the proposing order, the deadline's current threat,
breakdown damage, the record and the story. The protocol decides what is offered and whether
it is accepted. See docs/model.md, sections 3-4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from sim.engine.protocols import Protocol, make
from sim.engine.state import PoissonClock, after, follow
from sim.engine.world import World

MEETINGS = ("meetings", "rate")


@dataclass
class Round:
    """Where the current round sits: its index in its meeting, the meeting's rounds and
    duration, and the audience costs the meeting carries (by party index)."""

    j: int = 1
    rounds: int = 1
    duration: float = 0.0
    audience: dict[int, float] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        """Days to the meeting's next round, or None after its last."""
        return self.duration / self.rounds if self.j < self.rounds else None


class Talks:
    """The negotiation of one replication."""

    def __init__(self, world: World):
        self.world = world
        plan, params = world.plan, world.params
        n = plan.scenario.negotiation
        assert n is not None
        self.spec = n
        self.parties = params.parties
        self.index = {p.name: k for k, p in enumerate(self.parties)}
        self.rounds = n.rounds_per_meeting
        self.resume_delay = n.resume_delay_days if n.resume_after_breakdown else None
        self.others = [np.array([j for j in range(len(self.parties)) if j != i])
                       for i in range(len(self.parties))]
        self.turn = 0
        self.open = True
        self.shift = [0.0] * len(self.parties)  # damaged trust: premiums added at breakdowns
        self.credibility = params.credibility
        self.deadline = plan.deadline_day
        self.position = Round()
        self.agenda: list[float] = []  # days of the first rounds of meetings still to come
        self.protocol: Protocol = make(n.protocol, self)
        self.protocol.threat(params.credibility, plan.deadline_day)
        env = world.env
        for m in n.meetings.scheduled:
            self._plan_meeting(plan.scenario.day(m.day), m.label, m.duration_days,
                               m.rounds or self.rounds, self._audience(m.audience_costs))
        rate = params.base.get(("meetings", "rate"), 0.0)
        if rate > 0:
            self.clock = PoissonClock(env, world.streams["meetings"], rate, partial(
                self.meet, n.meetings.label, n.meetings.duration_days, self.rounds))
            world.live.subscribe(MEETINGS, lambda: follow(world.live, MEETINGS, self.clock))
        self._deadline_meetings()

    def _audience(self, costs: dict[str, float]) -> dict[int, float]:
        return {self.index[p]: float(a) for p, a in costs.items() if a}

    def _plan_meeting(self, day: float, label: str, duration: float, rounds: int,
                      audience: dict[int, float] | None = None) -> None:
        self.agenda.append(day + (duration / rounds if duration > 0 else 0.0))
        after(self.world.env, day - self.world.now,
              partial(self.meet, label, duration, rounds, audience))

    def _deadline_meetings(self) -> None:
        """The analyst's meetings before the live deadline, and the protocol's last call."""
        d, now = self.world.plan.scenario.deadline, self.world.now
        if d is None or not self.deadline > now:
            return
        for m in d.meetings:
            if self.deadline - m.days_before >= now:
                self._plan_meeting(self.deadline - m.days_before, m.label, 0.0,
                                   m.rounds or self.rounds)
        call = self.deadline - d.last_call_days
        if self.protocol.calls_last_meeting and self.credibility > 0 and call >= now:
            after(self.world.env, call - now, partial(self._last_call, self.deadline))

    def _last_call(self, deadline: float) -> None:
        """A last meeting before the deadline, when some offer beats every party's lottery."""
        w = self.world
        if deadline != self.deadline or not self.open or w.done or w.deal_holds():
            return
        if self.protocol.wants_last_meeting():
            w.log("talks", f"a last meeting is called before the deadline (day {deadline:g})")
            self.meet("last meeting before the deadline", 0.0, self.rounds)

    def next_known_round(self) -> float:
        """The day of the next round already known (in this meeting or a planned one)."""
        now, gap = self.world.now, self.position.gap
        if gap is not None:
            return now + gap
        ahead = [t for t in self.agenda if t > now]
        d = self.world.plan.scenario.deadline
        if (self.protocol.calls_last_meeting and d is not None and self.credibility > 0
                and self.deadline - d.last_call_days > now):
            ahead.append(self.deadline - d.last_call_days)
        return min(ahead, default=math.inf)

    def meeting_rate(self) -> float:
        """The current rate of unscheduled meetings, per day."""
        return self.world.live[MEETINGS]

    @property
    def reservations(self) -> list[float]:
        """Each party's current no-deal value, in its own units (what a deal is worth above)."""
        return self.protocol.no_deal_values()

    def retime(self, credibility: float, deadline: float) -> None:
        """The threat changed (set, lapsed, renewed)."""
        self.credibility, self.deadline = credibility, deadline
        self.protocol.threat(credibility, deadline)
        self._deadline_meetings()

    def move(self, party: str, amount: float) -> None:
        """A shock moves a party's status quo (and so its no-deal value) by ``amount``."""
        k = self.index[party]
        self.shift[k] += amount
        values = self.protocol.no_deal_values()
        self.world.log("talks", f"{self.world.label(party)}'s status quo moves by {amount:+.3g}: "
                       f"no-deal value now {values[k]:.3g}")
        self.protocol.moved()

    def damage(self, shift: list[float]) -> None:
        """A breakdown raises each party's no-deal value by its premium shift (section 5)."""
        if not any(shift):
            return
        for k in range(len(self.parties)):
            self.shift[k] += shift[k]
        values = self.protocol.no_deal_values()
        self.world.log("talks", "trust damaged: no-deal values now " + ", ".join(
            f"{self.world.label(p.name)} {r:.3g}"
            for p, r in zip(self.parties, values, strict=True)))
        self.protocol.moved()

    def meet(self, label: str, duration: float, rounds: int,
             audience: dict[int, float] | None = None) -> None:
        """A meeting of ``rounds`` proposals, spread evenly over ``duration`` days."""
        w = self.world
        if not self.open or w.done:
            return
        w.record.meetings += 1
        if w.tracing:
            w.log("meeting", f"{label}: " + self.protocol.status())
        audience = audience or {}
        if duration <= 0:
            for j in range(1, rounds + 1):
                if self.round("", Round(j, rounds, 0.0, audience)):
                    return
            return
        for j in range(1, rounds + 1):
            after(w.env, j * duration / rounds,
                  partial(self.round, label, Round(j, rounds, duration, audience)))

    def round(self, label: str = "", position: Round | None = None) -> bool:
        """One proposal and the answers to it; True when it makes a deal."""
        w = self.world
        if not self.open or w.done:
            return False
        self.position = position or Round()
        self.protocol.begin(label)
        proposer = self.turn % len(self.parties)
        self.turn += 1
        offer = self.protocol.propose(proposer)
        if offer is None:
            return False
        w.record.proposals += 1
        if self.protocol.respond(proposer, offer):
            self.open = False
            w.agree(offer)
            return True
        return False

    def after_breakdown(self) -> None:
        """Talks reopen after the truce breaks down, when the scenario says so."""
        if self.resume_delay is None:
            return
        w = self.world
        w.log("talks", f"talks resume in {self.resume_delay:g} days")
        after(w.env, self.resume_delay, self._reopen)

    def _reopen(self) -> None:
        self.open = True
