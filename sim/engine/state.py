"""Parameters that change during a replication, and clocks whose rate follows them."""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL

from sim.engine.rng import Draws
from sim.errors import EngineError

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


def call_at(env: simpy.Environment, when: float, callbacks: Any, args: Any = None) -> None:
    """Schedule a :class:`Call` on day ``when`` (not before now): the same time, to the last
    bit, as a ``call_in`` made earlier with the delay that reaches it."""
    if when < env._now:  # noqa: SLF001
        raise ValueError(f"{when} is in the past")
    queue: list[Any] = env._queue  # noqa: SLF001
    heappush(queue, (when, NORMAL, next(env._eid), Call(callbacks, args)))  # noqa: SLF001


def _run(event: Call) -> None:
    event.args()


_RUN = (_run,)


def after(env: simpy.Environment, delay: float, action: Callable[[], Any]) -> None:
    """Run ``action`` ``delay`` days from now, as an event callback rather than a process."""
    call_in(env, delay, _RUN, action)


def at(env: simpy.Environment, when: float, action: Callable[[], Any]) -> None:
    """Run ``action`` on day ``when``, as an event callback rather than a process."""
    call_at(env, when, _RUN, action)


class LiveParams:
    """Current parameter values: (base + shifts) times every active modifier, times ramps.

    Effects and shocks register modifiers (factors), shifts (added, for additive targets) or
    ramps (a factor moving linearly from 1 to its full value) under their own name; whoever
    reads a parameter (a truce party, a spoiler clock, the aid clock) subscribes and is told
    when its value changes. A ramping parameter changes continuously without telling anyone:
    its readers ask for its value now (:meth:`at`) and a bound over what is left
    (:meth:`bound`), as thinning needs.
    """

    def __init__(self, base: dict[Key, float], clock: Callable[[], float] = lambda: 0.0):
        self._base = base
        self._mods: dict[Key, dict[str, float]] = {}
        self._shifts: dict[Key, dict[str, float]] = {}
        self._value = dict(base)
        self._listeners: dict[Key, list[Callable[[], None]]] = {}
        self.ramps: dict[Key, dict[str, tuple[float, float, float]]] = {}
        self.clock = clock

    @property
    def values(self) -> dict[Key, float]:
        """The current values without ramps (a live view: updated in place; missing keys
        are 0)."""
        return self._value

    def __getitem__(self, key: Key) -> float:
        if key in self.ramps:
            return self.at(key, self.clock())
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
        self._refresh(key, self._unramp(key, source))

    def shift(self, key: Key, source: str, amount: float | None) -> None:
        """Set (or with ``None`` remove) the amount ``source`` adds to ``key``'s base."""
        shifts = self._shifts.setdefault(key, {})
        if amount is None:
            shifts.pop(source, None)
        else:
            shifts[source] = amount
        self._refresh(key, False)

    def ramp(self, key: Key, source: str, start: float, days: float, full: float) -> None:
        """``source``'s factor on ``key`` moves from 1 at ``start`` to ``full`` at
        ``start + days`` (then :meth:`modify` should fix it at ``full``)."""
        self._mods.get(key, {}).pop(source, None)
        self.ramps.setdefault(key, {})[source] = (start, days, full)
        self._refresh(key, True)

    def at(self, key: Key, t: float) -> float:
        """The value at time ``t``, ramps included."""
        value = self._value.get(key, 0.0)
        for start, days, full in self.ramps.get(key, {}).values():
            value *= 1.0 + (full - 1.0) * min(1.0, max(0.0, (t - start) / days))
        return value

    def bound(self, key: Key, t: float) -> float:
        """An upper bound of the value from ``t`` on, until the next change it is told of:
        each ramp's factor is linear, so its largest value ahead is now or at its end."""
        value = self._value.get(key, 0.0)
        for start, days, full in self.ramps.get(key, {}).values():
            now = 1.0 + (full - 1.0) * min(1.0, max(0.0, (t - start) / days))
            value *= max(now, full)
        return value

    def _unramp(self, key: Key, source: str) -> bool:
        ramps = self.ramps.get(key)
        if not ramps or ramps.pop(source, None) is None:
            return False
        if not ramps:
            del self.ramps[key]
        return True

    def _refresh(self, key: Key, changed: bool) -> None:
        before = self._value.get(key, 0.0)
        base = self._base.get(key, 0.0)
        shifts = self._shifts.get(key)
        if shifts:
            base = base + sum(shifts.values())
        self._value[key] = base * math.prod(self._mods.get(key, {}).values())
        if self._value[key] == before and not changed:
            return  # an inert modifier (x 1) reschedules nothing
        for listener in self._listeners.get(key, ()):
            listener()


def follow(live: LiveParams, key: Key, clock: PoissonClock, scale: float = 1.0) -> None:
    """Set ``clock``'s rate to ``scale`` times ``key``'s value; while the value ramps, the
    clock thins candidates drawn at the bound (exact for any rate under the bound)."""
    if key not in live.ramps:
        clock.set_rate(live[key] * scale)
        return
    env = clock.env
    clock.set_rate(live.bound(key, env.now) * scale, lambda: live.at(key, env.now) * scale)


class PoissonClock:
    """A Poisson process with a piecewise-constant rate, simulated by inversion.

    Each arrival consumes one unit exponential of integrated rate. When the rate changes,
    the part already used is kept, so a rate change moves later arrivals smoothly instead of
    redrawing them: the times stay as close as possible across scenario variants. With a
    varying rate (``rate_now``, under the bound ``rate``) each candidate is kept with
    probability ``rate_now() / rate`` (Lewis & Shedler's thinning), one more uniform each.

    A clock given ``tally`` may run *quiet* (:meth:`hush`) while its owner says an arrival
    would only be counted (a spoiler's attack with no truce to excite, an aid delivery):
    it then schedules no event per arrival but counts the arrivals up to a day when asked
    (:meth:`catch_up`: before its rate changes, when it is made loud again, at the run's
    end), with the same exponentials, the same float operations and so the same days. Each
    counted arrival is still one event of the replication, and so is each arrival a rate
    change superseded (a loud clock's stale event, popped and ignored), when its day comes:
    ``tally(arrivals, events)`` receives both counts, so the record is what one event per
    arrival gives.
    """

    def __init__(self, env: simpy.Environment, draws: Draws, rate: float,
                 fire: Callable[[], None], tally: Callable[[int, int], None] | None = None,
                 quiet: bool = False) -> None:
        self._env, self._draws, self._fire, self._tally = env, draws, fire, tally
        self._rate = rate
        self._rate_now: Callable[[], float] | None = None
        self._left = draws.exp()
        self._since = env.now
        self._token = 0
        self._callbacks = (self._arrival,)
        self._quiet = quiet and tally is not None  # arrivals are only counted (hush)
        self._dormant = False  # quiet, and no event is scheduled for the next arrival
        self._stale: list[float] = []  # days of superseded arrivals a loud clock would pop
        self._schedule()

    @property
    def env(self) -> simpy.Environment:
        return self._env

    def set_rate(self, rate: float, rate_now: Callable[[], float] | None = None) -> None:
        """A new rate from now on (or a bound, with ``rate_now`` the rate at each moment)."""
        now = self._env.now
        if self._dormant:
            self.catch_up(now)
            if self._rate > 0:  # the arrival a loud clock had scheduled is now stale
                self._stale.append(self._since + max(self._left, 0.0) / self._rate)
        self._left -= self._rate * (now - self._since)
        self._since, self._rate, self._rate_now = now, rate, rate_now
        self._token += 1
        self._schedule()

    def hush(self, quiet: bool) -> None:
        """Count arrivals without an event each (``quiet``), or fire each again. A clock made
        loud counts what came before now and schedules its next arrival; one made quiet
        goes dormant after the arrival already scheduled."""
        if self._tally is None or quiet == self._quiet:
            return
        self._quiet = quiet
        if not quiet and self._dormant:
            self.catch_up(self._env.now)
            self._dormant = False
            self._push()

    def catch_up(self, until: float) -> None:
        """Count a dormant clock's arrivals (and stale events) on days up to ``until``."""
        arrivals, stale = 0, 0
        if self._stale:
            stale = sum(t <= until for t in self._stale)
            self._stale = [t for t in self._stale if t > until]
        if self._dormant and self._rate > 0:
            draws, rate = self._draws, self._rate
            left, since = self._left, self._since
            while True:
                t = since + max(left, 0.0) / rate
                if t > until:
                    break
                arrivals += 1
                if arrivals > CATCH_UP_LIMIT:
                    raise EngineError(f"a Poisson clock at {rate:.4g}/day passed "
                                      f"{CATCH_UP_LIMIT:,} arrivals by day {t:.4g}: is its rate "
                                      "(a spoiler's attack_rate, aid.rate_per_day) too high?")
                left, since = draws.exp(), t
            self._left, self._since = left, since
            self._token += arrivals
        if arrivals or stale:
            self._tally(arrivals, arrivals + stale)  # type: ignore[misc]

    def _schedule(self) -> None:
        if self._quiet and self._rate_now is None:
            self._dormant = True
            return
        self._dormant = False
        self._push()

    def _push(self) -> None:
        """Schedule the next arrival: ``since + left / rate``, the day a loud clock computed
        when it last drew (``since`` is now, except for a dormant clock made loud)."""
        if self._rate > 0:
            delay = max(self._left, 0.0) / self._rate
            call_at(self._env, self._since + delay, self._callbacks, self._token)

    def _arrival(self, event: Call) -> None:
        self._arrive(event.args)

    def _arrive(self, token: int) -> None:
        if token != self._token:
            return  # superseded by a rate change
        self._left, self._since = self._draws.exp(), self._env.now
        self._token += 1
        token = self._token
        if self._rate_now is None or self._draws.uniform() * self._rate < self._rate_now():
            self._fire()
        if token == self._token:  # fire() did not already reschedule through set_rate
            self._schedule()


# A quiet clock that counts more arrivals than this in one catch-up raises: beyond the event
# budget (sim.engine.MAX_EVENTS, 5,000,000), whose guard would stop the replication anyway,
# and a bound on the loop whatever that budget is set to (never a count cut short).
CATCH_UP_LIMIT = 5_000_001
