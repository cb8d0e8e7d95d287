"""Talks: meetings of several rounds, proposals in turn, unanimity, under a named protocol.

The talks are shared by every bargaining protocol (``sim.engine.protocols``): they hold the
meetings (scheduled, unscheduled, stated relative to a deadline, and a last one called before
a deadline when the protocol says so), the proposing order, the deadline's current threat,
breakdown damage, the record and the story. The protocol decides what is offered and whether
it is accepted. See docs/model.md, sections 3-4.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from sim.engine.protocols import Protocol, make, others
from sim.engine.ratification import Ratification
from sim.engine.state import PoissonClock, after, at, follow
from sim.engine.world import World

MEETINGS = ("meetings", "rate")
INLINE = 10_000  # rounds played in a row from one event before the event loop resumes


@dataclass
class Threat:
    """A deadline as the talks see it now: its effective credibility and its day (NaN once
    the threat is spent)."""

    credibility: float
    day: float


@dataclass
class Round:
    """Where the current round sits: its index in its meeting, the meeting's rounds and
    duration, and the audience costs the meeting carries (by party index)."""

    j: int = 1
    rounds: int = 1
    duration: float = 0.0
    audience: dict[int, float] = field(default_factory=dict)
    mediator: str | None = None  # a mediator who puts its text to this round's vote


def _day(start: float, position: Round) -> float:
    """The day of round ``position.j`` of a meeting that began on day ``start``."""
    return start + position.j * position.duration / position.rounds


class Talks:
    """The negotiation of one replication."""

    def __init__(self, world: World):
        self.world = world
        plan, params = world.plan, world.params
        n = plan.scenario.negotiation
        assert n is not None
        self.spec = n
        self.parties = params.parties
        self.roles = params.roles
        self.index = {p.name: k for k, p in enumerate(self.parties)}
        self.rounds = n.rounds_per_meeting
        self.resume_delay = n.resume_delay_days if n.resume_after_breakdown else None
        self.others = others(len(self.parties))
        self.turn = 0
        self.open = True
        self.shift = [0.0] * len(self.parties)  # damaged trust: premiums added at breakdowns
        self.threats = [Threat(t.effective, t.day) for t in params.threats]
        self.specs = list(plan.threats.values())
        self.position = Round()
        self.agenda: list[float] = []  # days of the first rounds of meetings still to come
        self.ratification = Ratification(self.roles.ratifiers, self.roles.ratified,
                                         world.streams)
        self.protocol: Protocol = make(n.protocol, self)
        self._threats_changed()
        self.protocol.threat(self.credibility, self.deadline)
        env = world.env
        for m, day in zip(n.meetings.scheduled, params.meeting_days, strict=True):
            self._plan_meeting(day, m.label, m.duration_days,
                               m.rounds or self.rounds, self._audience(m.audience_costs),
                               self._mediator(m.host))
        rate = params.base.get(("meetings", "rate"), 0.0)
        if rate > 0:
            self.clock = PoissonClock(env, world.streams["meetings"], rate, partial(
                self.meet, n.meetings.label, n.meetings.duration_days, self.rounds, None,
                self._mediator(n.meetings.convened_by)))
            world.live.subscribe(MEETINGS, lambda: follow(world.live, MEETINGS, self.clock))
        for k in range(len(self.threats)):
            self._deadline_meetings(k)

    @property
    def credibility(self) -> float:
        """The first deadline's effective credibility now (0 without one)."""
        return self.threats[0].credibility if self.threats else 0.0

    @property
    def deadline(self) -> float:
        """The first deadline's day now (NaN without one, or once spent)."""
        return self.threats[0].day if self.threats else math.nan

    def live(self, now: float) -> list[tuple[int, float, float]]:
        """The live threats ``(index, credibility, day)``, credible and still ahead, in date
        order (ties in the scenario's order)."""
        return [x for x in self._credible if x[2] > now]

    def _threats_changed(self) -> None:
        """The credible threats in date order and their last calls' days, read at every
        round, computed again whenever a threat changes."""
        self._credible = sorted(((k, t.credibility, t.day) for k, t in enumerate(self.threats)
                                 if t.credibility > 0), key=lambda x: (x[2], x[0]))
        self._calls = [t.day - d.last_call_days
                       for d, t in zip(self.specs, self.threats, strict=True)
                       if t.credibility > 0] if self.protocol.calls_last_meeting else []

    def _audience(self, costs: dict[str, float]) -> dict[int, float]:
        return {self.index[p]: float(a) for p, a in costs.items() if a}

    def _mediator(self, convener: str | None) -> str | None:
        """The convener when it is a mediator (it opens the meeting with its text)."""
        return convener if convener in self.spec.mediators else None

    def _plan_meeting(self, day: float, label: str, duration: float, rounds: int,
                      audience: dict[int, float] | None = None,
                      mediator: str | None = None) -> None:
        self.agenda.append(day + (duration / rounds if duration > 0 else 0.0))
        after(self.world.env, day - self.world.now,
              partial(self.meet, label, duration, rounds, audience, mediator))

    def _deadline_meetings(self, k: int) -> None:
        """The analyst's meetings before deadline ``k`` (live), and the protocol's last call."""
        d, now, day = self.specs[k], self.world.now, self.threats[k].day
        if not day > now:
            return
        for m in d.meetings:
            if day - m.days_before >= now:
                self._plan_meeting(day - m.days_before, m.label, 0.0, m.rounds or self.rounds)
        call = day - d.last_call_days
        if self.protocol.calls_last_meeting and self.threats[k].credibility > 0 and call >= now:
            after(self.world.env, call - now, partial(self._last_call, k, day))

    def _last_call(self, k: int, deadline: float) -> None:
        """A last meeting before deadline ``k``, when some offer beats every party's lottery."""
        w = self.world
        if deadline != self.threats[k].day or not self.open or w.done or w.deal_holds():
            return
        if self.protocol.wants_last_meeting(deadline):
            w.log("talks", f"a last meeting is called before the deadline (day {deadline:g})")
            self.meet("last meeting before the deadline", 0.0, self.rounds)

    def next_known_round(self) -> float:
        """The day of the next round already known (in this meeting or a planned one)."""
        now, p = self.world.env._now, self.position  # noqa: SLF001 (no property calls)
        if p.j < p.rounds:  # the meeting's next round: its rounds are evenly spaced
            return now + p.duration / p.rounds
        return min((t for t in itertools.chain(self.agenda, self._calls) if t > now),
                   default=math.inf)

    def meeting_rate(self) -> float:
        """The current rate of unscheduled meetings, per day."""
        return self.world.live[MEETINGS]

    @property
    def reservations(self) -> list[float]:
        """Each party's current no-deal value, in its own units."""
        return self.protocol.no_deal_values()

    @property
    def at_breakdown(self) -> list[float]:
        """What each party expects were the deal in force to break now, in its own units (what
        the deal is worth above: ``Protocol.breakdown_values``)."""
        return self.protocol.breakdown_values()

    def retime(self, k: int, credibility: float, deadline: float) -> None:
        """Deadline ``k``'s threat changed (lapsed, renewed, spent)."""
        self.threats[k] = Threat(credibility, deadline)
        self._threats_changed()
        self.protocol.threat(credibility, deadline)
        self._deadline_meetings(k)

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
             audience: dict[int, float] | None = None, mediator: str | None = None) -> None:
        """A meeting of ``rounds`` proposals, spread evenly over ``duration`` days; a
        mediator convening it puts its text to the vote in the first round."""
        w = self.world
        if not self.open or w.done:
            return
        w.record.meetings += 1
        if w.tracing:
            w.log("meeting", f"{label}: " + self.protocol.status())
        audience = audience or {}
        if duration <= 0:
            for j in range(1, rounds + 1):
                if self.round("", Round(j, rounds, 0.0, audience,
                                        mediator if j == 1 else None)):
                    return
            return
        self._next_round(w.env.now, label, Round(1, rounds, duration, audience, mediator))

    def _next_round(self, start: float, label: str, position: Round) -> None:
        """Schedule round ``position.j`` of a meeting that began on day ``start``; each
        round schedules the next, until the last or until the talks have closed for good
        (a deal with no truce to break down and reopen them: the rounds left would do
        nothing but still be events)."""
        at(self.world.env, _day(start, position),
           partial(self._play_round, start, label, position))

    def _play_round(self, start: float, label: str, position: Round) -> None:
        """Round ``position.j`` (an event of its own); then, while the meeting's next round
        comes strictly before the head of SimPy's queue and within the horizon, play it here:
        what ``env.step`` would do next (same order, same clock), without a trip through the
        event loop. At most ``INLINE`` in a row, so the event limit is still checked."""
        w = self.world
        env, horizon = w.env, w.plan.horizon
        queue = env._queue  # noqa: SLF001
        taken = 0
        while True:
            self.round(label, position)
            if position.j >= position.rounds or not (self.open or w.truce is not None):
                break
            position = Round(position.j + 1, position.rounds, position.duration,
                             position.audience)
            when = _day(start, position)
            if (w.done or when > horizon or taken >= INLINE
                    or (queue and queue[0][0] <= when)):
                at(env, when, partial(self._play_round, start, label, position))
                break
            env._now = when  # noqa: SLF001 (as env.step sets it)
            taken += 1
        w.inline += taken

    def round(self, label: str = "", position: Round | None = None) -> bool:
        """One proposal and the answers to it; True when it makes a deal."""
        w = self.world
        if not self.open or w.done:
            return False
        self.position = position or Round()
        self.protocol.begin(label)
        if self.position.mediator is not None:
            return self._mediated(self.position.mediator)
        proposer = self.turn % len(self.parties)
        self.turn += 1
        offer = self.protocol.propose(proposer)
        if offer is None:
            return False
        w.record.proposals += 1
        if self.protocol.respond(proposer, offer) if not self.roles.active \
                else self._decided(proposer, offer):
            self.open = False
            w.agree(offer)
            return True
        return False

    # --- roles at the table (docs/model.md, section 3.4) --------------------------------

    def _mediated(self, mediator: str) -> bool:
        """The mediator's single text, put to every party's vote; the turn does not move."""
        offer = self.protocol.mediate(mediator)
        if offer is None:
            return False
        self.world.record.texts[mediator] += 1
        if self._decided(None, offer):
            self.open = False
            self.world.agree(offer)
            return True
        return False

    def _decided(self, proposer: int | None, offer: int) -> bool:
        """The parties vote under the decision rule, then every ratifier votes; a deal binds
        every party (the record keeps who was outvoted)."""
        votes = self.protocol.answers(proposer, offer)
        if not self._carried(votes) or not self._ratified(offer):
            return False
        if self.roles.weights is not None:
            self.world.record.outvoted = {p.name: float(not v)
                                          for p, v in zip(self.parties, votes, strict=True)}
        return True

    def _carried(self, votes: list[bool]) -> bool:
        weights = self.roles.weights
        if weights is None:
            return all(votes)
        yes, total = float(weights[np.array(votes)].sum()), float(weights.sum())
        passed = yes > self.roles.threshold * total + 1e-9 * total
        w = self.world
        if w.tracing:
            w.log("vote", f"the text {'passes' if passed else 'fails'}: weight {yes:g} of "
                  f"{total:g} accepts (needs more than {self.roles.threshold:g} of it)")
        return passed

    def _ratified(self, offer: int) -> bool:
        """Every ratifier votes by its mood (drawn once per replication); one refusal and no
        deal is struck in this round. The negotiators learn from each vote and, when what
        they know changed, the protocol reads the new ratification table."""
        rat, w, ok, learned = self.ratification, self.world, True, False
        for k, r in enumerate(self.roles.ratifiers):
            yes = rat.vote(k, offer)
            ok &= yes
            if not yes:
                w.record.refusals[r.name] += 1
            if w.tracing:
                self._story_vote(k, offer, yes)
            if rat.learn(k, offer, yes):
                learned = True
                if w.tracing:
                    w.log("learning", f"the negotiators learn that {w.label(r.name)}'s mood "
                          f"is {rat.known(k)}", party=r.name)
        if learned:
            self.protocol.learned()
        return ok

    def _story_vote(self, k: int, offer: int, yes: bool) -> None:
        """A ratifier's vote, with the probability the negotiators gave it before."""
        w, r = self.world, self.roles.ratifiers[k]
        u, p = float(r.utilities[offer]), float(self.ratification.each[k][offer])
        w.log("ratification", f"{w.label(r.name)} {'ratifies' if yes else 'refuses to ratify'}"
              f": {u:.3g} against no deal {r.no_deal:.3g} (P(ratify) {p:.2f})", party=r.name,
              utility=u, aspiration=r.no_deal, offer=offer)

    def after_breakdown(self) -> None:
        """Talks reopen after the truce breaks down, when the scenario says so."""
        if self.resume_delay is None:
            return
        w = self.world
        w.log("talks", f"talks resume in {self.resume_delay:g} days")
        after(w.env, self.resume_delay, self._reopen)

    def _reopen(self) -> None:
        self.open = True
