"""Quiet Poisson clocks (issue 22): arrivals that would only be counted (a spoiler's attack
with no truce to excite, an aid delivery) are counted without an event each, and every
record is what one event per arrival gives: the same draws, the same days, the same counts
of arrivals and of events, stale events of superseded rates included."""

from __future__ import annotations

from pathlib import Path

import pytest
import simpy

from sim.engine import Plan, play, run_replication
from sim.engine.rng import Draws
from sim.engine.state import PoissonClock, after
from sim.errors import EngineError
from sim.scenario import load

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted(
    (ROOT / "scenarios/examples").glob("*.yaml"))


def _clock_run(quiet: bool, horizon: float = 400.0) -> tuple[int, int, float, float]:
    """A clock whose rate changes four times and which is made loud, then quiet again, run
    to ``horizon``: (arrivals, events, the pending exponential, the day it started)."""
    env = simpy.Environment()
    fired, counted = [0], [0, 0]

    def tally(arrivals: int, events: int) -> None:
        counted[0] += arrivals
        counted[1] += events

    def fire() -> None:
        fired[0] += 1

    clock = PoissonClock(env, Draws(7, 3, "test"), 0.5, fire, tally if quiet else None,
                         quiet=quiet)
    for day, rate in ((40.3, 2.0), (95.7, 0.0), (120.1, 0.8), (260.9, 3.5)):
        after(env, day, lambda rate=rate: clock.set_rate(rate))
    after(env, 150.2, lambda: clock.hush(False))
    after(env, 210.6, lambda: clock.hush(True))
    events = 0
    while env.peek() <= horizon:
        env.step()
        events += 1
    clock.catch_up(horizon)
    # The five set_rate and hush events are not arrivals: count only the clock's own events.
    own = events - 6 + counted[1]
    return fired[0] + counted[0], own, clock._left, clock._since  # noqa: SLF001


def test_a_quiet_clock_counts_what_a_loud_clock_fires() -> None:
    loud, quiet = _clock_run(False), _clock_run(True)
    assert loud[0] > 300  # a real workload: about 0.5*40 + 2*55 + 0.8*140 + 3.5*139 arrivals
    assert quiet == loud  # arrivals, events (stale ones included), and the state after them


def test_a_quiet_clock_counts_nothing_past_the_day_asked() -> None:
    short, long = _clock_run(True, 200.0), _clock_run(True, 400.0)
    assert 0 < short[0] < long[0]
    assert short == _clock_run(False, 200.0)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_quiet_records_equal_the_traced_records_that_fire_every_arrival(path: Path) -> None:
    """A traced replication fires every arrival as an event (its story tells each): its
    record, events included, is the untraced one's."""
    plan = Plan(load(path), 0)
    for i in range(12):
        quiet = run_replication(plan, i).row()
        loud = play(plan, i, tracing=True).record.row()
        assert quiet == pytest.approx(loud, nan_ok=True), (path.stem, i)
        assert quiet["events"] == loud["events"]


def test_the_event_guard_still_counts_quiet_arrivals(monkeypatch: pytest.MonkeyPatch) -> None:
    """A replication whose quiet arrivals alone pass the budget is stopped, and the guard
    names them."""
    import sim.engine as engine

    monkeypatch.setattr(engine, "MAX_EVENTS", 40)
    plan = Plan(load(ROOT / "scenarios/kerry_moscow_2016.yaml"), 0)
    with pytest.raises(EngineError, match="most were (spoiler attacks|aid deliveries)"):
        for i in range(20):
            run_replication(plan, i)
