"""From the replications table to summary.json: outcome intervals, metrics, survival, timing."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
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


Columns: TypeAlias = "pa.Table | ParquetColumns"


def metric_columns(table: Columns) -> list[str]:
    """The numeric columns summarised: the base metrics, then per-party and per-term ones.

    Metrics null in every replication (no truce, so no breakdowns) are left out.
    """
    names = table.column_names
    extra = [c for c in names if c.startswith(FAMILY_PREFIXES) and c not in BASE_METRICS]
    wanted = [c for c in BASE_METRICS if c in names] + extra
    return [c for c in wanted if table.column(c).null_count < table.num_rows]


def column(table: Columns, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False).astype(float)


def summarise(table: Columns, plan: Plan, wall_s: float) -> dict[str, Any]:
    """The summary of a run (summary.json as the README documents it, plus survival and deal
    timing)."""
    outcomes = stats.outcome_table(table.column("outcome").to_numpy(zero_copy_only=False),
                                   possible(plan.scenario))
    deadline = plan.deadline_day if np.isfinite(plan.deadline_day) else None
    return {
        "scenario": plan.scenario.name,
        "title": plan.scenario.title,
        "seed": plan.seed,
        "runs": table.num_rows,
        "outcomes": outcomes,
        "coarse": stats.outcome_table_from_counts(coarse(outcomes)),
        "deadline": stats.outcome_table(
            table.column("deadline_outcome").to_numpy(zero_copy_only=False), DEADLINE_OUTCOMES),
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
    days = column(table, "truce_days")
    started = np.isfinite(days)
    censored = table.column("truce_censored").to_numpy(zero_copy_only=False).astype(bool)
    durations, observed = days[started], ~censored[started]
    km = stats.survival(durations, observed, plan.horizon, points=400)
    km["at_risk"] = stats.at_risk(durations, km["t"]).tolist()
    km["risk"] = stats.risk_table(durations, plan.horizon)
    median = km["median"]
    km["median_at_risk"] = None if median is None else int(stats.at_risk(durations, [median])[0])
    truce = plan.scenario.truce
    if truce is not None:
        km["judged"] = stats.survival_at(durations, observed, truce.judged_after_days)
    return km
