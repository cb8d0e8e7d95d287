"""Parameters that change during a replication, and clocks whose rate follows them."""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL

from sim.engine.rng import Draws

Key = tuple[str, str]


class Call:
    """A bare SimPy event that runs its callbacks at its time, carrying ``args`` for them.

    What ``env.timeout(delay)`` with a callback appended does (same queue, same priority, same
    event ids, so the same order of events), without a Timeout's set-up or a closure per event:
    the engine's hot paths (thinning candidates, Poisson arrivals) schedule millions of them.
    ``callbacks`` may be a tuple shared by every event of one kind (SimPy only iterates it).
    """

    __slots__ = ("callbacks", "_ok", "args")

    def __init__(self, callbacks: Any, args: Any):
        self.callbacks = callbacks
        self._ok = True
        self.args = args


def call_in(env: simpy.Environment, delay: float, callbacks: Any, args: Any = None) -> None:
    """Schedule a :class:`Call` ``delay`` days from now (as ``env.timeout(delay)`` would)."""
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    queue: list[Any] = env._queue  # noqa: SLF001
    heappush(queue, (env._now + delay, NORMAL, next(env._eid), Call(callbacks, args)))  # noqa: SLF001


def _run(event: Call) -> None:
    event.args()


_RUN = (_run,)


def after(env: simpy.Environment, delay: float, action: Callable[[], Any]) -> None:
    """Run ``action`` ``delay`` days from now, as an event callback rather than a process."""
    call_in(env, delay, _RUN, action)


class LiveParams:
    """Current parameter values: a base value times every active modifier.

    Effects and shocks register modifiers under their own name; whoever reads a parameter
    (a truce party, a spoiler clock, the aid clock) subscribes and is told when its value changes.
    """

    def __init__(self, base: dict[Key, float]):
        self._base = base
        self._mods: dict[Key, dict[str, float]] = {}
        self._value = dict(base)
        self._listeners: dict[Key, list[Callable[[], None]]] = {}

    @property
    def values(self) -> dict[Key, float]:
        """The current values (a live view: updated in place; missing keys are 0)."""
        return self._value

    def __getitem__(self, key: Key) -> float:
        return self._value.get(key, 0.0)

    def subscribe(self, key: Key, listener: Callable[[], None]) -> None:
        self._listeners.setdefault(key, []).append(listener)

    def modify(self, key: Key, source: str, factor: float | None) -> None:
        """Set (or with ``None`` remove) the multiplier ``source`` applies to ``key``."""
        mods = self._mods.setdefault(key, {})
        if factor is None:
            mods.pop(source, None)
        else:
            mods[source] = factor
        before = self._value.get(key, 0.0)
        self._value[key] = self._base.get(key, 0.0) * math.prod(mods.values())
        if self._value[key] == before:
            return  # an inert modifier (x 1) reschedules nothing
        for listener in self._listeners.get(key, ()):
            listener()


class PoissonClock:
    """A Poisson process with a piecewise-constant rate, simulated by inversion.

    Each arrival consumes one unit exponential of integrated rate. When the rate changes,
    the part already used is kept, so a rate change moves later arrivals smoothly instead of
    redrawing them: the times stay as close as possible across scenario variants.
    """

    def __init__(self, env: simpy.Environment, draws: Draws, rate: float,
                 fire: Callable[[], None]):
        self._env, self._draws, self._fire = env, draws, fire
        self._rate = rate
        self._left = draws.exp()
        self._since = env.now
        self._token = 0
        self._callbacks = (self._arrival,)
        self._schedule()

    def set_rate(self, rate: float) -> None:
        now = self._env.now
        self._left -= self._rate * (now - self._since)
        self._since, self._rate = now, rate
        self._token += 1
        self._schedule()

    def _schedule(self) -> None:
        if self._rate > 0:
            token = self._token
            delay = max(self._left, 0.0) / self._rate
            call_in(self._env, delay, self._callbacks, token)

    def _arrival(self, event: Call) -> None:
        self._arrive(event.args)

    def _arrive(self, token: int) -> None:
        if token != self._token:
            return  # superseded by a rate change
        self._left, self._since = self._draws.exp(), self._env.now
        self._token += 1
        token = self._token
        self._fire()
        if token == self._token:  # fire() did not already reschedule through set_rate
            self._schedule()
