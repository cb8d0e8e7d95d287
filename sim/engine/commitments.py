"""The commitments of a deal in force: when each effect starts, ramps in and is withdrawn.

An effect that is not staged acts at the deal, as it always has. A staged effect is armed at
the deal when the agreed levels meet its condition (``requires``); it starts ``delay`` days
after the last of its anchor (the deal, or the start of the truce), the start of the effect
it waits for (``after_effect``) and the truce having held ``after_truce`` days; from its start
its factor ramps from 1 to its full value over ``ramp`` days. docs/model.md, section 7.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from sim.engine.plan import EffectParams, combined
from sim.engine.state import Key, after

if TYPE_CHECKING:
    from sim.engine.world import World


class Commitments:
    """The effects of the deal in force (the latest deal) in one replication."""

    def __init__(self, world: World):
        self.world = world
        self.live = world.live
        self.effects = world.params.effects
        n = len(self.effects)
        self.deal = 0  # counts deals, so a schedule left by an earlier deal is ignored
        self.levels: np.ndarray = np.zeros(len(world.plan.terms))
        self.armed = [False] * n  # waiting to start in the current deal
        self.started: list[float | None] = [None] * n  # start day in the current deal
        self.applied: list[float | None] = [None] * n  # the change in force (factor or shift)
        self.marks: list[dict[str, float]] = [{} for _ in range(n)]  # conditions met, when
        for key in dict.fromkeys(k for e in self.effects for k in e.via_keys):
            self.live.subscribe(key, partial(self._leverage, key))

    # --- the deal ----------------------------------------------------------------------------

    def on_deal(self, levels: np.ndarray) -> None:
        """A deal: effects that are not staged act now; staged ones whose condition the
        agreed levels meet are armed."""
        w = self.world
        self.deal += 1
        self.levels = levels
        self.started = [None] * len(self.effects)
        self.marks = [{} for _ in self.effects]
        for k, e in enumerate(self.effects):
            self.armed[k] = False
            if not e.staged:
                self._apply(k)
                self.started[k] = w.now
            elif e.met(levels):
                self.armed[k] = True
            elif w.tracing:
                w.log("effect", f"effect {e.name} is inert: the agreed levels do not meet its "
                      "condition")
        for k, e in enumerate(self.effects):
            if self.armed[k]:
                self._arm(k, e)

    def _arm(self, k: int, e: EffectParams) -> None:
        truce = self.world.truce
        running = truce is not None and truce.active
        if e.anchor == "deal":
            self._mark(k, "anchor", self.world.now)
        elif running:
            self._mark(k, "anchor", truce.since_start)  # type: ignore[union-attr]
        if e.after_effect is not None and self.started[e.after_effect] is not None:
            self._mark(k, "effect", self.started[e.after_effect])  # type: ignore[arg-type]
        if e.after_truce is not None and running:
            self._watch(k, e.after_truce, truce.since_start)  # type: ignore[union-attr]

    def on_truce_start(self) -> None:
        """A truce starts: anchors and milestones on it begin."""
        now = self.world.now
        for k, e in enumerate(self.effects):
            if not self.armed[k]:
                continue
            if e.anchor == "truce" and "anchor" not in self.marks[k]:
                self._mark(k, "anchor", now)
            if e.after_truce is not None:
                self._watch(k, e.after_truce, now)

    def _watch(self, k: int, days: float, start: float) -> None:
        """Mark the milestone when the truce that started at ``start`` has held ``days``."""
        after(self.world.env, max(0.0, start + days - self.world.now),
              partial(self._held, k, self.deal, start))

    def _held(self, k: int, deal: int, start: float) -> None:
        truce = self.world.truce
        if deal == self.deal and truce is not None and truce.active and truce.since_start == start:
            self._mark(k, "truce", self.world.now)

    def _mark(self, k: int, condition: str, day: float) -> None:
        """A condition of effect ``k`` is met on ``day``; when all are, schedule its start."""
        marks, e = self.marks[k], self.effects[k]
        marks[condition] = day
        needed = 1 + (e.after_effect is not None) + (e.after_truce is not None)
        if len(marks) == needed and self.armed[k]:
            start = max(marks.values()) + e.delay
            after(self.world.env, max(0.0, start - self.world.now),
                  partial(self._start, k, self.deal))

    # --- starting, ramping, withdrawing ------------------------------------------------------

    def _start(self, k: int, deal: int) -> None:
        if deal != self.deal or not self.armed[k] or self.world.done:
            return
        e, w = self.effects[k], self.world
        self.armed[k] = False
        if e.ramp > 0 and not e.additive:
            full = e.change(float(self.levels[e.term]), self._via(e))
            self._unapply(k)
            self.live.ramp(e.target, "effect:" + e.name, w.now, e.ramp, full)
            self.applied[k] = full
            w.log("effect", f"effect {e.name} starts: {'.'.join(e.target)} ramps to x "
                  f"{full:.3g} over {e.ramp:g} days")
            after(w.env, e.ramp, partial(self._full, k, deal))
        else:
            self._apply(k)
        self.started[k] = w.now
        w.record.effect_starts[e.name] = w.now
        for j, other in enumerate(self.effects):
            if other.after_effect == k and self.armed[j]:
                self._mark(j, "effect", w.now)

    def _full(self, k: int, deal: int) -> None:
        """The ramp is over: the factor stays at its full value."""
        e = self.effects[k]
        ramping = "effect:" + e.name in self.live.ramps.get(e.target, {})
        if deal == self.deal and self.applied[k] is not None and ramping:
            self.live.modify(e.target, "effect:" + e.name, self.applied[k])

    def _apply(self, k: int) -> None:
        """Put effect ``k`` in force at full strength now (replacing an earlier deal's)."""
        e, w = self.effects[k], self.world
        change = e.change(float(self.levels[e.term]), self._via(e))
        self._unapply(k)
        self._put(e, change)
        self.applied[k] = change
        if w.tracing:
            how = f"{change:+.3g}" if e.additive else f"x {change:.3g}"
            w.log("effect", f"effect {e.name}: {'.'.join(e.target)} {how} "
                  f"(now {self._now(e):.3g})")

    def _put(self, e: EffectParams, change: float | None) -> None:
        """Set (None: remove) the effect's change on its target."""
        source = "effect:" + e.name
        if e.target[1] == "status_quo":
            if self.world.talks is not None and change:
                self.world.talks.move(e.target[0], change)
        elif e.additive:
            self.live.shift(e.target, source, change)
        else:
            self.live.modify(e.target, source, change)

    def _unapply(self, k: int) -> None:
        e, old = self.effects[k], self.applied[k]
        if old is None:
            return
        self.applied[k] = None
        if e.target[1] == "status_quo":
            self._put(e, -old)
        elif e.additive or "effect:" + e.name in self.live.ramps.get(e.target, {}):
            self._put(e, None)

    def _now(self, e: EffectParams) -> float:
        if e.target[1] == "status_quo" and self.world.talks is not None:
            return self.world.talks.reservations[self.world.talks.index[e.target[0]]]
        return self.live[e.target]

    def on_breakdown(self) -> None:
        """Carrots tied to the truce are withdrawn; tied ones still waiting are cancelled."""
        w = self.world
        for k, e in enumerate(self.effects):
            if not e.tied_to_truce:
                continue
            waiting, self.armed[k] = self.armed[k], False
            self._unapply(k)
            if not e.additive:
                self.live.modify(e.target, "effect:" + e.name, None)
            w.log("effect", f"carrot {'cancelled' if waiting else 'withdrawn'}: {e.name}")

    # --- leverage that moves ---------------------------------------------------------------

    def _via(self, e: EffectParams) -> float:
        """The combined leverage now (as drawn until an effect or shock moves it)."""
        if not e.via_keys:
            return 1.0
        return combined([min(1.0, max(0.0, self.live[key])) for key in e.via_keys])

    def _leverage(self, key: Key) -> None:
        """A leverage changed: every effect in force through it takes the new strength."""
        for k, e in enumerate(self.effects):
            if key in e.via_keys and self.applied[k] is not None:
                ramp = self.live.ramps.get(e.target, {}).get("effect:" + e.name)
                if ramp is None:
                    self._apply(k)
                    continue
                full = e.change(float(self.levels[e.term]), self._via(e))
                self.applied[k] = full
                self.live.ramp(e.target, "effect:" + e.name, ramp[0], ramp[1], full)
