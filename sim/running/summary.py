"""From the replications table to summary.json: outcome intervals, metrics, survival, timing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim import stats
from sim.engine import Plan
from sim.engine.outcomes import (
    DEADLINE_OUTCOMES,
    FAMILY_PREFIXES,
    METRICS,
    coarse,
    metric_range,
    possible,
)

BASE_METRICS = tuple(m.name for m in METRICS)


class ParquetColumns:
    """The columns of a Parquet file, read one at a time: memory stays flat as runs grow.

    Offers the part of ``pyarrow.Table`` the summaries use: ``column_names``, ``num_rows``
    and ``column(name)``.
    """

    def __init__(self, path: Path):
        self.path = path
        meta = pq.ParquetFile(path)
        self.column_names: list[str] = meta.schema_arrow.names
        self.num_rows: int = meta.metadata.num_rows

    def column(self, name: str) -> pa.ChunkedArray:
        return pq.read_table(self.path, columns=[name]).column(name)

    def batches(self, names: list[str]) -> Iterator[pa.RecordBatch]:
        """The named columns, one row group at a time."""
        file = pq.ParquetFile(self.path)
        for k in range(file.num_row_groups):
            yield from file.read_row_group(k, columns=names).to_batches()


Columns: TypeAlias = "pa.Table | ParquetColumns"


def metric_columns(table: Columns) -> list[str]:
    """The numeric columns summarised: the base metrics, then per-party and per-term ones.

    Metrics null in every replication (no truce, so no breakdowns) are left out.
    """
    names = table.column_names
    extra = [c for c in names if c.startswith(FAMILY_PREFIXES) and c not in BASE_METRICS]
    wanted = [c for c in BASE_METRICS if c in names] + extra
    return [c for c in wanted if _null_count(table, c) < table.num_rows]


def _null_count(table: Columns, name: str) -> int:
    return sum(batch.column(0).null_count for batch in batches(table, [name]))


def column(table: Columns, name: str) -> np.ndarray:
    """A numeric column as floats (NaN for null), assembled from its pieces: the only array
    as long as the replications is this one (Arrow holds one piece at a time)."""
    parts = [np.asarray(b.column(0).to_numpy(zero_copy_only=False), dtype=float)
             for b in batches(table, [name])]
    return np.concatenate(parts) if parts else np.empty(0)


def batches(table: Columns, names: list[str]) -> Iterator[pa.RecordBatch]:
    """The named columns in pieces (a stored file's row groups): nothing as long as the
    replications is held but the pieces' results."""
    if isinstance(table, ParquetColumns):
        return table.batches(names)
    return iter(table.select(names).to_batches())


def tally(table: Columns, name: str) -> Counter[str]:
    """How often each value of a text column occurs, counted piece by piece in Arrow (no
    Python string per replication)."""
    counts: Counter[str] = Counter()
    for batch in batches(table, [name]):
        for row in pc.value_counts(batch.column(0)).to_pylist():
            counts[str(row["values"])] += row["counts"]
    return counts


def summarise(table: Columns, plan: Plan, wall_s: float) -> dict[str, Any]:
    """The summary of a run (summary.json as the README documents it, plus survival and deal
    timing)."""
    outcomes = stats.outcome_table_of_counts(tally(table, "outcome"), possible(plan.scenario))
    deadline = plan.deadline_day if np.isfinite(plan.deadline_day) else None
    return {
        "scenario": plan.scenario.name,
        "title": plan.scenario.title,
        "seed": plan.seed,
        "runs": table.num_rows,
        "outcomes": outcomes,
        "coarse": stats.outcome_table_from_counts(coarse(outcomes)),
        "deadline": stats.outcome_table_of_counts(tally(table, "deadline_outcome"),
                                                  DEADLINE_OUTCOMES),
        "metrics": {c: stats.describe(column(table, c), *metric_range(c))
                    for c in metric_columns(table)},
        "survival": truce_survival(table, plan),
        "deal_timing": stats.deal_timing(column(table, "deal_day"), deadline),
        "events": int(column(table, "events").sum()),
        "wall_s": round(wall_s, 3),
    }


def truce_survival(table: Columns, plan: Plan) -> dict[str, Any]:
    """Kaplan-Meier survival of the first truce, censored at the horizon (or escalation),
    read on a fixed grid so that summary.json does not grow with the number of runs, with the
    number at risk at each grid time (``"at_risk"``), at round times (``"risk"``) and at the
    median (``"median_at_risk"``), and the headline: survival at ``judged_after_days``
    (``"judged"``, see :func:`sim.stats.survival_at`)."""
    table_ = stats.ProductLimit.of(*_first_truces(table))
    km = table_.curve(plan.horizon, points=400)
    km["at_risk"] = table_.at_risk(km["t"]).tolist()
    km["risk"] = table_.risk_table(plan.horizon)
    median = km["median"]
    km["median_at_risk"] = None if median is None else int(table_.at_risk([median])[0])
    truce = plan.scenario.truce
    if truce is not None:
        km["judged"] = table_.at(truce.judged_after_days)
    return km


def _first_truces(table: Columns) -> tuple[np.ndarray, np.ndarray]:
    """The duration of every first truce that started and whether its end was seen (not
    censored), read a piece at a time: two arrays of the truces, nothing else."""
    days: list[np.ndarray] = []
    seen: list[np.ndarray] = []
    for batch in batches(table, ["truce_days", "truce_censored"]):
        d = batch.column(0).to_numpy(zero_copy_only=False).astype(float)
        started = np.isfinite(d)
        days.append(d[started])
        seen.append(~batch.column(1).to_numpy(zero_copy_only=False).astype(bool)[started])
    if not days:
        return np.empty(0), np.empty(0, dtype=bool)
    return np.concatenate(days), np.concatenate(seen)
