"""Budgets checked before any work: offer space, events, replications, points and workers.

Every limit here is documented in the README ("Limits"). A scenario past a budget is refused
by ``validate`` and by every command with the estimate, before anything is allocated; options
past a budget (``-n``, sweep designs) are refused the same way. The numbers are deliberately
round: each is a few times what a laptop does in minutes, and far below what exhausts one.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sim.errors import UsageError

if TYPE_CHECKING:
    from sim.scenario.model import Scenario, Truce
    from sim.scenario.yamlload import Loc

MAX_OFFERS = 1_000_000
"""Offers (the product of the terms' level counts): about 400 bytes each, so about 400 MB."""
MAX_BASE_EVENTS = 1_000_000
"""Expected events per replication from the base rates alone (violations, attacks, aid)."""
MAX_RUNS = 10_000_000
"""Replications of one command (a run, all arms of a compare, all points of a sweep)."""
MAX_RUNS_IN_MEMORY = 1_000_000
"""Replications held in memory together (all arms of a compare; one sweep point)."""
MAX_POINTS = 100_000
"""Points of one sweep (grid product, list lengths, lhs N, sobol N × (d + 2))."""
HAWKES_SD = 4.0
"""A normal alpha or beta is checked at mean ± this many standard deviations."""
THRESHOLD_BOUNDS = 10_000
"""A breakdown threshold below this many violations bounds an explosive truce on its own."""


def offer_space(s: Scenario) -> int:
    """How many offers the negotiation's terms span (the product of their level counts)."""
    if s.negotiation is None:
        return 0
    return math.prod(len(levels) for levels in s.negotiation.terms.values())


def base_events(s: Scenario) -> float:
    """Expected events in one replication from the base rates, before effects and shocks."""
    rate = 0.0
    if s.truce is not None:
        rate += sum(high(s.actors[p].violation_rate) for p in s.truce.parties if p in s.actors)
    rate += sum(high(s.actors[p].attack_rate) for p in s.spoilers if p in s.actors)
    if s.aid is not None:
        rate += high(s.aid.rate_per_day) * max(1.0, high(s.aid.truce_multiplier))
    if s.negotiation is not None:
        rate += high(s.negotiation.meetings.rate_per_day) * s.negotiation.rounds_per_meeting
    return rate * float(s.horizon_days)


def check_scenario(s: Scenario) -> Iterator[tuple[Loc, str]]:
    """Yield (location, message) for every budget the scenario exceeds."""
    offers = offer_space(s)
    if offers > MAX_OFFERS:
        yield ("negotiation", "terms"), (
            f"{len(s.negotiation.terms) if s.negotiation else 0} terms span {offers:.3g} "
            f"offers (about {_bytes(offers * 400)}); the limit is {MAX_OFFERS:,}: "
            "use fewer terms or fewer levels")
    events = base_events(s)
    if events > MAX_BASE_EVENTS:
        yield ("horizon_days",), (
            f"the base rates give about {events:.3g} events per replication; the limit is "
            f"{MAX_BASE_EVENTS:,}: lower the rates or the horizon")
    if s.runs > MAX_RUNS:
        yield ("runs",), f"{s.runs:,} replications; the limit is {MAX_RUNS:,}"
    if s.start.toordinal() + math.ceil(s.horizon_days) > dt.date.max.toordinal():
        yield ("start",), (f"{s.start} plus {s.horizon_days:g} days runs past {dt.date.max}, "
                           "the last date a trace or report can show")
    if s.truce is not None:
        yield from _check_explosion(s.truce)


def _check_explosion(t: Truce) -> Iterator[tuple[Loc, str]]:
    """The branching ratio at the top of alpha's range and the bottom of beta's.

    The scenario's own check covers point values with no threshold; this one adds uncertain
    (normal) values and thresholds too high to stop an explosion in time.
    """
    threshold = t.breakdown.violations
    if threshold is not None and threshold < THRESHOLD_BOUNDS:
        return
    if threshold is None and t.branching_radius(_support_high, _support_low) >= 1:
        return  # already refused by the scenario's cross-check
    radius = t.branching_radius(high, low)
    if radius >= 1:
        why = "no breakdown threshold" if threshold is None else f"a threshold of {threshold:,}"
        yield ("truce", "alpha"), (
            f"at the top of alpha's range (normal: mean + {HAWKES_SD:g} sd) and the bottom of "
            f"beta's, the branching ratio is {radius:.3g} >= 1, so violations can explode with "
            f"{why}; narrow the ranges, raise beta, or set a breakdown threshold below "
            f"{THRESHOLD_BOUNDS:,}")


def _support_high(value: Any) -> float:
    return float(value.support()[1]) if hasattr(value, "support") else float(value)


def _support_low(value: Any) -> float:
    return float(value.support()[0]) if hasattr(value, "support") else float(value)


def high(value: Any) -> float:
    """Upper end of a number or distribution (a normal's mean + HAWKES_SD sd)."""
    if hasattr(value, "normal"):
        return float(value.normal[0] + HAWKES_SD * value.normal[1])
    return _support_high(value)


def low(value: Any) -> float:
    """Lower end of a number or distribution (a normal's mean - HAWKES_SD sd)."""
    if hasattr(value, "normal"):
        return float(value.normal[0] - HAWKES_SD * value.normal[1])
    return _support_low(value)


def _bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000:
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} PB"


# --- options ---------------------------------------------------------------------------------


def check_runs(runs: int, what: str = "<<runs>>", limit: int = MAX_RUNS,
               hint: str = "split the work or use <<precision>> to stop early") -> None:
    """Refuse more replications than ``limit``.

    Raises:
        UsageError: ``runs`` is above the limit, with both numbers and ``hint``.
    """
    if runs > limit:
        raise UsageError(f"{what} {runs:,}: at most {limit:,} replications (see Limits in the "
                         f"README); {hint}")


def check_points(count: int, what: str = "the sweep") -> None:
    """Refuse a sweep of more than MAX_POINTS points (computed before making them).

    Raises:
        UsageError: ``count`` is above MAX_POINTS.
    """
    if count > MAX_POINTS:
        raise UsageError(f"{what} has {count:,} points; at most {MAX_POINTS:,} (see Limits in "
                         "the README)")


def check_sweep(points: int, runs: int) -> None:
    """Refuse a sweep whose points or replications exceed their budgets.

    Raises:
        UsageError: too many points, replications per point, or replications in all.
    """
    check_points(points)
    hint = "use fewer replications per point or fewer points"  # sweep has no --precision
    check_runs(runs, "-n (per sweep point)", MAX_RUNS_IN_MEMORY, hint)
    check_runs(points * runs, f"{points:,} points × {runs:,} replications =", hint=hint)


def grid_size(lengths: Sequence[int]) -> int:
    """Points of a grid, without making it."""
    return math.prod(lengths)


def cores() -> int:
    """Cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def cap_workers(requested: int, tasks: int) -> tuple[int, str]:
    """Workers to start: min(requested, tasks, cores), and a note when that is fewer.

    Returns:
        The worker count and a one-line note ("" when nothing was capped).
    """
    limit = min(max(1, tasks), cores())
    if requested <= limit:
        return requested, ""
    return limit, (f"note: using {limit} worker(s), not {requested}: {tasks:,} task(s) on "
                   f"{cores()} core(s)")
