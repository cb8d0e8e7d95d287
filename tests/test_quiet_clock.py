"""Quiet Poisson clocks (issue 22): arrivals that would only be counted (a spoiler's attack
with no truce to excite, an aid delivery) are counted without an event each, and every
record is what one event per arrival gives: the same draws, the same days, the same counts
of arrivals and of events, stale events of superseded rates included."""

from __future__ import annotations

import json
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


# (day, new rate, thinning bound's rate now or None): rate changes while quiet, while loud
# (150.2 to 210.6), a thinning stretch (the clock stays loud for it), a pause (rate 0) and a
# change just before the end of the shortest run below.
CHANGES = ((40.3, 2.0, None), (95.7, 0.0, None), (120.1, 0.8, None), (180.4, 1.7, None),
           (260.9, 3.5, None), (300.2, 4.0, 2.5), (330.8, 1.1, None), (399.95, 0.6, None))


def _clock_run(quiet: bool, horizon: float = 400.0) -> tuple[tuple[int, int, float, float],
                                                              PoissonClock]:
    """A clock through CHANGES, made loud on day 150.2 and quiet again on day 210.6, run to
    ``horizon``: (arrivals, the clock's own events, the pending exponential, the day it was
    drawn), and the clock."""
    env = simpy.Environment()
    fired, counted = [0], [0, 0]

    def tally(arrivals: int, events: int) -> None:
        counted[0] += arrivals
        counted[1] += events

    def fire() -> None:
        fired[0] += 1

    clock = PoissonClock(env, Draws(7, 3, "test"), 0.5, fire, tally if quiet else None,
                         quiet=quiet)
    for day, rate, now in CHANGES:
        after(env, day, lambda rate=rate, now=now: clock.set_rate(
            rate, None if now is None else (lambda: now)))
    after(env, 150.2, lambda: clock.hush(False))
    after(env, 210.6, lambda: clock.hush(True))
    events = 0
    while env.peek() <= horizon:
        env.step()
        events += 1
    clock.catch_up(horizon)
    # Count the clock's own events: not the set_rate and hush events up to the horizon.
    others = sum(day <= horizon for day, _, _ in CHANGES) + (150.2 <= horizon) + (210.6 <= horizon)
    own = events - others + counted[1]
    return (fired[0] + counted[0], own, clock._left, clock._since), clock  # noqa: SLF001


@pytest.mark.parametrize("horizon", [400.0, 261.0, 200.0, 99.0])
def test_a_quiet_clock_counts_what_a_loud_clock_fires(horizon: float) -> None:
    """The arrivals, the events (stale ones included) and the state after them are the same,
    however the run ends."""
    loud, (quiet, _) = _clock_run(False, horizon)[0], _clock_run(True, horizon)
    assert loud[0] > horizon / 4  # a real workload (rates 0.5 to 4 a day)
    assert quiet == loud


@pytest.mark.parametrize(("horizon", "stale_before"), [(400.0, True), (40.5, False)])
def test_a_stale_day_after_the_end_is_not_counted(horizon: float, stale_before: bool) -> None:
    """The rate changes of days 399.95 and 40.3 leave the quiet clock a stale day after the
    end (these draws: 400.49 and 41.60): a loud clock's stale event would come after the
    run, so it is no event of the run; those before the end are."""
    counts, clock = _clock_run(True, horizon)
    assert clock._stale and min(clock._stale) > horizon  # noqa: SLF001
    assert counts == _clock_run(False, horizon)[0]
    assert (counts[1] > counts[0]) == stale_before  # stale events before the end count too


def test_a_clock_beyond_any_budget_is_an_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sim.engine.state as state

    monkeypatch.setattr(state, "CATCH_UP_LIMIT", 100)
    env = simpy.Environment()
    clock = PoissonClock(env, Draws(1, 0, "fast"), 1000.0, lambda: None,
                         lambda arrivals, events: None, quiet=True)
    with pytest.raises(EngineError, match="passed 100 arrivals"):
        clock.catch_up(1.0)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_quiet_records_equal_the_traced_records_that_fire_every_arrival(path: Path) -> None:
    """A traced replication fires every arrival as an event (its story tells each): its
    record, events included, is the untraced one's, float for float."""
    plan = Plan(load(path), 0)
    for i in range(12):
        quiet = run_replication(plan, i).row()
        loud = play(plan, i, tracing=True).record.row()
        assert json.dumps(quiet, sort_keys=True, default=repr) == json.dumps(
            loud, sort_keys=True, default=repr), (path.stem, i)


AID_ALONE = """\
format: 2
name: aid_alone
title: Aid deliveries alone
start: 2020-01-01
horizon_days: 100
seed: 1
runs: 10
actors:
  un:
    label: UN
aid:
  rate_per_day: 2.0
"""


def test_the_event_guard_counts_arrivals_no_event_ever_caught_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Aid with nothing else: its clock is quiet from the start to the end, so only the
    count at the run's end passes the budget; the guard still stops the replication and
    names the deliveries."""
    import sim.engine as engine

    path = tmp_path / "aid.yaml"
    path.write_text(AID_ALONE)
    plan = Plan(load(path), 0)
    assert 150 < run_replication(plan, 0).aid_deliveries < 250  # Poisson(200)
    monkeypatch.setattr(engine, "MAX_EVENTS", 100)
    with pytest.raises(EngineError, match="most were aid deliveries"):
        run_replication(plan, 0)


def test_the_event_guard_names_quiet_arrivals_mid_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the budget is passed mid-run, the quiet clocks are counted up to then, so the
    guard names what made the events."""
    import sim.engine as engine

    monkeypatch.setattr(engine, "MAX_EVENTS", 40)
    plan = Plan(load(ROOT / "scenarios/kerry_moscow_2016.yaml"), 0)
    with pytest.raises(EngineError, match="most were (spoiler attacks|aid deliveries)"):
        for i in range(20):
            run_replication(plan, i)
