"""When to stop early: the one precision rule of ``run`` and ``compare``.

Replications run in batches of :data:`BATCH` (or of whole chunks, when chunks are larger);
after each batch the command's reported 95% intervals are checked, and the run stops once
the widest half-width is at most the target. A run reports outcome shares, a compare the
paired differences of those shares, so each passes its own intervals; the rule, the batch
and the report are the same. Batches do not depend on the number of workers, so a stopped
run has the same replications, and the same numbers, on one process or twenty.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sim.scenario.inputs import number

BATCH = 1000
"""Replications between two checks of the intervals."""


@dataclass(frozen=True)
class Stopping:
    """A precision target (None: run every replication) and the replication cap."""

    target: float | None
    cap: int

    def __post_init__(self) -> None:
        """Raises:
        UsageError: a target that is not a finite half-width above 0.
        """
        if self.target is not None:
            number("precision", self.target, 0.0, math.inf,
                   "a finite half-width above 0, such as 0.01", low_open=True)

    def batches(self, chunk: int = 0) -> Iterator[range]:
        """The replication ranges to run, checked between them (lazily).

        Args:
            chunk: replications per chunk; a batch is never smaller than one chunk.
        """
        if self.target is None:
            yield range(0, self.cap)
            return
        step = max(BATCH, chunk)
        for start in range(0, self.cap, step):
            yield range(start, min(start + step, self.cap))

    def first_batch(self) -> int:
        """Replications in the first batch (what the workers are sized for)."""
        return self.cap if self.target is None else min(self.cap, BATCH)

    def reached(self, intervals: Iterable[Sequence[float] | None]) -> bool:
        """Whether the target is met by these 95% intervals (never without a target, and
        then ``intervals`` is not read: give a generator to compute them only when needed)."""
        return self.target is not None and widest(intervals) <= self.target

    def report(self, intervals: Iterable[Sequence[float] | None]) -> dict[str, Any]:
        """What summary.json and compare.json say of it: target, cap and the widest
        half-width achieved."""
        return {"target": self.target, "cap": self.cap, "achieved": widest(intervals),
                "batch": BATCH}


def widest(intervals: Iterable[Sequence[float] | None]) -> float:
    """The widest half-width ``(hi - lo) / 2`` of the intervals (None ones are skipped);
    0.0 when there are none."""
    return float(max(((ci[1] - ci[0]) / 2 for ci in intervals if ci is not None), default=0.0))
