"""The record of one replication, as MODEL.md lists it, and its flat row form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("truce_holds", "truce_collapsed", "no_deal", "escalation")
DEADLINE_OUTCOMES = ("met", "lapsed", "enforced", "none")
NAN = math.nan


@dataclass(slots=True)
class Record:
    """What happened in one replication.

    Days are offsets from the scenario's start; NaN means "did not happen".
    """

    replication: int
    outcome: str = "no_deal"
    deal: bool = False
    deal_day: float = NAN
    deals: int = 0
    levels: dict[str, float] = field(default_factory=dict)
    truce_start: float = NAN
    truce_end: float = NAN
    truce_censored: bool = False
    truce_days: float = NAN
    breakdown_cause: str = ""
    violations: dict[str, int] = field(default_factory=dict)
    spoiler_attacks: int = 0
    aid_deliveries: int = 0
    deadline_outcome: str = "none"
    deadline_day: float = NAN
    utility: dict[str, float] = field(default_factory=dict)
    meetings: int = 0
    proposals: int = 0
    end_day: float = NAN
    events: int = 0

    def row(self) -> dict[str, Any]:
        """Flat column -> value mapping (one Parquet row)."""
        out: dict[str, Any] = {}
        for name in self.__slots__:  # type: ignore[attr-defined]
            value = getattr(self, name)
            if isinstance(value, dict):
                prefix = {"levels": "level", "violations": "violations",
                          "utility": "utility"}[name]
                out.update({f"{prefix}_{k}": v for k, v in value.items()})
            else:
                out[name] = value
        return out
