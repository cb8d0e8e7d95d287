"""The statistics a comparison reports beside each paired difference, one registry.

Each entry computes one value from the two arms' per-replication values (``x`` baseline,
``y`` variant) and says how to show it; the terminal tables, the HTML report and
``CompareResult`` DataFrames read their columns from ``STATISTICS``. A new statistic is one
function plus one line in the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim import stats


@dataclass(frozen=True)
class Statistic:
    """One reported statistic of a paired difference."""

    key: str  # its key in compare.json's difference entries and its DataFrame column
    header: str  # its column in tables and the report
    meaning: str
    compute: Callable[[np.ndarray, np.ndarray], Any]
    show: Callable[[dict[str, Any]], str]
    paired_only: bool = True  # meaningless for independent (unpaired) runs


def _show_gain(d: dict[str, Any]) -> str:
    if "pairing_gain" not in d:
        return "—"
    g = d["pairing_gain"]
    if g is None:
        return "∞" if d.get("diff") is not None else "—"
    return f"{g:.1f}×"


STATISTICS: list[Statistic] = [
    Statistic("pairing_gain", "gain",
              "pairing gain: the variance of an unpaired difference over that of the paired "
              "one (how much common random numbers narrowed the interval)",
              stats.pairing_gain, _show_gain),
]


def extra(x: np.ndarray, y: np.ndarray, paired: bool) -> dict[str, Any]:
    """Every registered statistic that applies, by key."""
    return {s.key: s.compute(x, y) for s in STATISTICS if paired or not s.paired_only}
