"""One replication told as a dated story, and the search for a representative one."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa

from sim.engine import Plan, World, play
from sim.engine.outcomes import OUTCOMES, Record, possible
from sim.errors import UsageError
from sim.running.summary import batches

SEARCH_LIMIT = 2000
KEEP = 200  # replications of one outcome ranked by their timing


def representative(plan: Plan, outcome: str, limit: int = SEARCH_LIMIT) -> int:
    """Index of a replication ending in ``outcome`` whose timing is nearest the typical one.

    Among the first ``limit`` replications, those ending in ``outcome`` are ranked by
    distance of their key day (deal day, else truce end, else end day) from the median.

    Raises:
        UsageError: the outcome is unknown or did not occur in ``limit`` replications.
    """
    if outcome not in OUTCOMES:
        raise UsageError(f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}")
    allowed = possible(plan.scenario)
    if outcome not in allowed:
        raise UsageError(f"outcome {outcome!r} cannot occur in {plan.scenario.name}; it can "
                         f"end as {', '.join(allowed)}")
    found: list[tuple[int, float]] = []
    for i in range(limit):
        rec = play(plan, i).record
        if rec.outcome == outcome:
            found.append((i, _key_day(rec)))
        if len(found) >= KEEP:
            break
    if not found:
        raise UsageError(f"no replication among the first {limit} ended in {outcome!r}")
    return _typical(found)


SEARCHED = ["replication", "outcome", "truce_end", "deal_day", "end_day"]


def pick_representatives(records: Any, limit: int = SEARCH_LIMIT) -> dict[str, int]:
    """For each outcome in stored records (columns ``replication``, ``outcome``,
    ``truce_end``, ``deal_day``, ``end_day``), the replication :func:`representative` would
    choose for it, found without re-playing anything."""
    first = _first_replications(records, limit)
    index = first.column("replication").to_numpy(zero_copy_only=False)
    outcome = first.column("outcome").to_pylist()
    days = [first.column(c).to_numpy(zero_copy_only=False).astype(float)
            for c in ("truce_end", "deal_day", "end_day")]
    key = np.where(np.isfinite(days[0]), days[0],
                   np.where(np.isfinite(days[1]), days[1], days[2]))
    found: dict[str, list[tuple[int, float]]] = {}
    for i, name, day in zip(index.tolist(), outcome, key.tolist(), strict=True):
        kept = found.setdefault(name, [])
        if len(kept) < KEEP:
            kept.append((i, day))
    return {name: _typical(kept) for name, kept in found.items()}


def _first_replications(records: Any, limit: int) -> pa.Table:
    """The searched columns of the ``limit`` lowest-numbered replications, in their order,
    read a piece (row group) at a time: at most ``limit`` rows plus one piece held."""
    kept: pa.Table | None = None
    for batch in batches(records, SEARCHED):
        table = pa.Table.from_batches([batch])
        if kept is not None:
            table = pa.concat_tables([kept, table])
        index = table.column("replication").to_numpy(zero_copy_only=False)
        kept = table.take(np.argsort(index, kind="stable")[:limit])
    return kept if kept is not None else pa.table({c: [] for c in SEARCHED})


def _typical(found: list[tuple[int, float]]) -> int:
    """The replication whose key day is nearest the median of ``found`` (ties: the first)."""
    days = np.array([d for _, d in found])
    median = float(np.nanmedian(days)) if np.isfinite(days).any() else 0.0
    return min(found, key=lambda f: (abs(f[1] - median) if math.isfinite(f[1]) else 0, f[0]))[0]


def _key_day(rec: Record) -> float:
    for day in (rec.truce_end, rec.deal_day, rec.end_day):
        if math.isfinite(day):
            return day
    return math.nan


def story_lines(world: World) -> list[str]:
    """The story as text lines: ``DATE (day D) TEXT``."""
    start = world.plan.scenario.start
    lines = [f"{e.date(start).isoformat()} (day {e.day:6.2f})  {e.text}" for e in world.told()]
    rec = world.record
    lines.append(f"END {rec.outcome}: deal={'yes' if rec.deal else 'no'}, deadline "
                 f"{rec.deadline_outcome}, violations (true/observed) "
                 + ", ".join(f"{k} {v}/{rec.observed.get(k, 0)}"
                             for k, v in rec.violations.items())
                 + (f", declared over by {rec.declared_by}" if rec.declared_by else "")
                 + f", spoiler attacks {rec.spoiler_attacks}, aid deliveries "
                 f"{rec.aid_deliveries}, {rec.events} events")
    return lines


def story_json(world: World) -> dict[str, Any]:
    """The story as a JSON-ready mapping."""
    start = world.plan.scenario.start
    return {
        "scenario": world.plan.scenario.name,
        "seed": world.plan.seed,
        "replication": world.record.replication,
        "record": {k: _json_value(v) for k, v in world.record.row().items()},
        "events": [{"day": e.day, "date": e.date(start).isoformat(), "kind": e.kind,
                    "text": e.text, **{k: _json_value(v) for k, v in e.data.items()}}
                   for e in world.told()],
    }


def _json_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _json_value(x) for k, x in v.items()}
    if isinstance(v, np.generic):
        return v.item()
    return v
