"""Processes outside the table: spoilers, aid deliveries, scheduled shocks, the deadline."""

from __future__ import annotations

import math
from collections.abc import Generator
from functools import partial
from typing import Any

from sim.engine.plan import ShockParams, ThreatParams
from sim.engine.state import Key, PoissonClock, after, follow
from sim.engine.world import World


def start_spoilers(world: World) -> None:
    """Each spoiler attacks as a Poisson process at its (possibly changing) attack rate."""
    for name, jumps in world.params.excites.items():
        key = (name, "attack_rate")

        def attack(name: str = name, jumps: list[float] = jumps) -> None:
            world.record.spoiler_attacks += 1
            hits = world.truce is not None and world.truce.active
            if world.tracing:
                world.log("attack", f"attack by {world.label(name)}"
                          + (" excites the truce parties" if hits else ""), spoiler=name)
            if hits:
                world.truce.excite(jumps, name)  # type: ignore[union-attr]

        def counted(arrivals: int, events: int) -> None:
            world.record.spoiler_attacks += arrivals
            world.inline += events

        # Quiet (counted, no event each) while no truce holds for an attack to excite.
        clock = PoissonClock(world.env, world.streams["spoiler:" + name], world.live[key], attack,
                             None if world.tracing else counted, quiet=True)
        world.live.subscribe(key, partial(_follow, world, clock, key))
        world.counting.append(clock)
        world.spoilers.append(clock)


class AidFlow:
    """Aid deliveries: Poisson at the aid rate, multiplied while a truce holds."""

    KEY = ("aid", "rate_per_day")

    def __init__(self, world: World):
        self.world = world
        # Quiet (counted, no event each) unless a story is told: a delivery changes nothing.
        self.clock = PoissonClock(world.env, world.streams["aid"], self.rate(), self.deliver,
                                  None if world.tracing else self._counted, quiet=True)
        world.live.subscribe(self.KEY, self.refresh)
        world.counting.append(self.clock)

    def rate(self) -> float:
        truce = self.world.truce
        boost = self.world.params.aid_multiplier if truce is not None and truce.active else 1.0
        return self.world.live[self.KEY] * boost

    def refresh(self) -> None:
        truce = self.world.truce
        boost = self.world.params.aid_multiplier if truce is not None and truce.active else 1.0
        follow(self.world.live, self.KEY, self.clock, boost)

    def _counted(self, arrivals: int, events: int) -> None:
        self.world.record.aid_deliveries += arrivals
        self.world.inline += events

    def deliver(self) -> None:
        self.world.record.aid_deliveries += 1
        if self.world.tracing:
            self.world.log("aid", "aid delivery")


def _follow(world: World, clock: PoissonClock, key: Key) -> None:
    follow(world.live, key, clock)


def schedule_shocks(world: World) -> None:
    """Decide which shocks happen (one coin each, own stream) and schedule them."""
    for shock in world.params.shocks:
        happens = world.streams["shock:" + shock.name].uniform() < shock.probability
        if happens:
            after(world.env, shock.day, partial(_hit, world, shock))


def _hit(world: World, shock: ShockParams) -> None:
    world.log("shock", f"SHOCK: {shock.label}")
    if shock.target is not None and shock.target[1] == "status_quo":
        _move(world, shock, shock.shift)
    elif shock.target is not None and shock.target[1] == "covers":
        world.live.shift(shock.target, "shock:" + shock.name, shock.shift)
        world.log("shock", f"{'.'.join(shock.target)} {shock.shift:+g} "
                  f"(now {world.live[shock.target]:.3g})")
        if shock.duration is not None:
            after(world.env, shock.duration, partial(_lift, world, shock))
    elif shock.target is not None:
        world.live.modify(shock.target, "shock:" + shock.name, shock.factor)
        world.log("shock", f"{'.'.join(shock.target)} x {shock.factor:g} "
                  f"(now {world.live[shock.target]:.3g})")
        if shock.duration is not None:
            after(world.env, shock.duration, partial(_lift, world, shock))
    if shock.breaks_truce and world.truce is not None and world.truce.active:
        world.truce.end(f"shock: {shock.label}")


def _move(world: World, shock: ShockParams, amount: float, first: bool = True) -> None:
    """A PARTY.status_quo shock: the party's status quo moves by ``amount`` (and back)."""
    assert shock.target is not None
    if world.talks is not None:
        world.talks.move(shock.target[0], amount)
    if first and shock.duration is not None:
        after(world.env, shock.duration, partial(_move, world, shock, -amount, False))


def _lift(world: World, shock: ShockParams) -> None:
    assert shock.target is not None
    if shock.target[1] == "covers":
        world.live.shift(shock.target, "shock:" + shock.name, None)
    else:
        world.live.modify(shock.target, "shock:" + shock.name, None)
    world.log("shock", f"{shock.label} ends; {'.'.join(shock.target)} back to "
              f"{world.live[shock.target]:.3g}")


def deadline(world: World, k: int = 0) -> Generator[Any, Any, None]:
    """Deadline ``k`` (docs/model.md, section 4). On its day: met if a deal holds; else the
    setter decides to carry out plan B with probability c and each partner joins with its
    willingness; plan B is carried out when the setter decides and enough partners join
    (the run ends as escalation); otherwise the deadline lapses: credibility decays and a
    renewed deadline may follow (whether or not it falls inside the window). Every change of
    the threat reaches the talks at once. Each deadline draws from its own stream."""
    threat = world.params.threats[k]
    spec = world.plan.threats[threat.name]
    env, draws = world.env, world.streams[threat.stream]
    setter = world.label(threat.set_by)
    day, credibility = threat.day, threat.credibility
    extensions = spec.extensions
    while True:
        _result(world, k, None, day)
        yield env.timeout(max(day - env.now, 0.0))
        if world.done:
            return
        if world.deal_holds():
            _result(world, k, "met", day)
            world.log("deadline", f"deadline: a deal holds; {setter}'s deadline is met")
            return
        decides = draws.uniform() < credibility
        joined = _partners(world, threat)
        if decides and len(joined) >= threat.need:
            _enforce(world, k, credibility, joined)
            return
        _result(world, k, "lapsed", day)
        world.log("deadline", f"deadline passes with no deal; {setter} does not act"
                  + _why(world, threat, decides, joined, credibility) + "; talks go on")
        credibility *= 1.0 - threat.decay
        step = spec.extension_days
        if extensions == 0 or step is None:
            _rethreaten(world, k, 0.0, math.nan)
            world.log("deadline", "the threat is spent: no deadline follows")
            return
        extensions -= 1
        day += step
        _rethreaten(world, k, credibility * threat.joined, day)
        world.log("deadline", f"new deadline on day {day:g} (credibility {credibility:.2f})")


def _partners(world: World, threat: ThreatParams) -> list[str]:
    """The partners that join this time: one coin each from the deadline's partner stream
    (drawn whatever the setter decides, so a change of c leaves them alone)."""
    if not threat.partners:
        return []
    draws = world.streams[threat.stream + ":partners"]
    return [p for p, w in zip(threat.partners, threat.willingness, strict=True)
            if draws.uniform() < w]


def _why(world: World, threat: ThreatParams, decides: bool, joined: list[str],
         credibility: float) -> str:
    if decides:
        return (f": it would, but only {len(joined)} of the {threat.need} partners it needs "
                f"join ({', '.join(world.label(p) for p in joined) or 'none'})")
    return f" (credibility {credibility:.2f})"


def _enforce(world: World, k: int, credibility: float, joined: list[str]) -> None:
    threat = world.params.threats[k]
    spec = world.plan.threats[threat.name]
    _result(world, k, "enforced", math.nan)
    with_ = f" with {', '.join(world.label(p) for p in joined)}" if joined else ""
    against = ", ".join(world.label(t) for t in threat.targets)
    world.log("deadline", f"deadline passes with no deal; {world.label(threat.set_by)} carries "
              f"out plan B{with_}" + (f" against {against}" if against else "")
              + f" (credibility {credibility:.2f})")
    world.escalate(spec.plan_b.label, by=k, joined=joined)


def _result(world: World, k: int, outcome: str | None, day: float) -> None:
    """The deadline's result (and, for the first deadline, the record's deadline columns)."""
    rec = world.record
    if k == 0:
        if outcome is not None:
            rec.deadline_outcome = outcome
        if day == day:
            rec.deadline_day = day
    if outcome is not None and rec.threats:
        rec.threats["deadline_outcome_" + world.params.threats[k].name] = outcome


def _rethreaten(world: World, k: int, credibility: float, day: float) -> None:
    if world.talks is not None:
        world.talks.retime(k, credibility, day)
