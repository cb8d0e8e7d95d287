"""The time a job's budget implies, from a short measured pilot, stated before it starts.

The pilot plays the job's first replications (at most ``PILOT_RUNS``, stopping once
``PILOT_S`` has passed) and times them; the job's time is then its replications times that
cost, plus each sweep point's own set-up, divided by the workers that run at once. Records
never depend on the pilot: a replication is a function of its plan and index alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sim.engine import Plan, compile_kernels, run_replication
from sim.scenario import budgets

PILOT_S = 0.25
"""The pilot stops once this many seconds have passed (after at least one replication)."""
PILOT_RUNS = 20
"""The pilot plays at most this many replications."""
QUIET_S = 5.0
"""A job expected to take less than this is started without a word."""


def per_replication(plan: Plan, runs: int, clock: Callable[[], float] = time.perf_counter
                    ) -> float:
    """Seconds per replication of ``plan`` over its first replications (at most ``runs``),
    the kernels compiled first: a machine's first run would otherwise count the compiler's
    seconds as the first replication's and overstate the job many times over."""
    compile_kernels(plan.scenario.negotiation is not None)
    start, k = clock(), 0
    while k < min(runs, PILOT_RUNS) and (k == 0 or clock() - start < PILOT_S):
        run_replication(plan, k)
        k += 1
    return (clock() - start) / k


def seconds(replications: int, per_run: float, workers: int, points: int = 0,
            per_point: float = 0.0) -> float:
    """``(replications * per_run + points * per_point) / min(workers, cores)``."""
    return (replications * per_run + points * per_point) / max(1, min(workers, budgets.cores()))


def duration(s: float) -> str:
    """``s`` seconds in words a person reads at a glance: ``45 s``, ``12 min``,
    ``3 h 20 min``, ``2 days 4 h``."""
    if s < 90:
        return f"{s:.0f} s"
    minutes = round(s / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h" if hours else f"{days} days"


def note(job: str, s: float, workers: int, at_most: bool = False) -> str:
    """``JOB: about 3 h 20 min on 2 workers`` (empty when under ``QUIET_S``)."""
    if s < QUIET_S:
        return ""
    w = max(1, min(workers, budgets.cores()))
    about = "at most about" if at_most else "about"
    return f"{job}: {about} {duration(s)} on {w} worker{'s' if w > 1 else ''}"
