"""Running a scenario many times: the orchestration behind ``negsim run`` and ``sim.run``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim import plots, stats
from sim.engine import Plan
from sim.errors import UsageError
from sim.outcomes import possible
from sim.overrides import load_with
from sim.runner import DEFAULT_CHUNK, Chunk, chunks, default_workers, run_chunks
from sim.scenario import Scenario, dumps
from sim.store import Folder, manifest, write_json
from sim.summary import ParquetColumns, column, summarise

PRECISION_BATCH = 1000


@dataclass
class RunResult:
    """A finished run: its summary, its records and, when saved, its folder.

    With a folder, records stay on disk until ``.records`` is read, and the plots read one
    column at a time, so a run of any size needs little memory.
    """

    summary: dict[str, Any]
    plan: Plan
    folder: Path | None = None
    plots: list[Path] = field(default_factory=list)
    table: pa.Table | None = None
    source: Path | None = None  # replications.parquet while the table is not loaded

    @property
    def records(self) -> pa.Table:
        """One row per replication (``.to_pandas()`` where pandas is installed)."""
        if self.table is None:
            assert self.source is not None
            self.table = pq.read_table(self.source)
        return self.table

    @property
    def columns(self) -> Any:
        if self.table is None and self.source is not None:
            return ParquetColumns(self.source)
        return self.records

    def plot_outcomes(self, path: str | Path) -> Path:
        return plots.plot_outcomes(self.summary["outcomes"], path, self.plan.scenario.title)

    def plot_survival(self, path: str | Path) -> Path:
        return plots.plot_survival(self.summary["survival"], path, self.plan.scenario.title,
                                   self.plan.horizon)

    def plot_deal_days(self, path: str | Path) -> Path:
        deadline = self.plan.deadline_day if self.plan.deadline_day == self.plan.deadline_day \
            else None
        return plots.plot_deal_days(column(self.columns, "deal_day"), path, deadline,
                                    self.plan.horizon, self.plan.scenario.title,
                                    renewed_deadlines(self.plan))

    def plot_violations(self, path: str | Path) -> Path:
        cols = self.columns
        actors = self.plan.scenario.actors
        violations = {actors[c.removeprefix("violations_")].label: column(cols, c)
                      for c in cols.column_names  # per actor (not violations_per_truce_day)
                      if c.startswith("violations_") and c.removeprefix("violations_") in actors}
        return plots.plot_violations(violations, path, self.plan.scenario.title)


def renewed_deadlines(plan: Plan) -> list[float]:
    """The days of the new deadlines that may follow lapses, within the horizon."""
    d = plan.scenario.deadline
    if d is None or not d.extension_days or not d.extensions:
        return []
    days = [plan.deadline_day + k * d.extension_days for k in range(1, d.extensions + 1)]
    return [day for day in days if day <= plan.horizon]


@dataclass(frozen=True)
class RunOptions:
    """How to run: replications, seed, workers, precision target, where to save."""

    runs: int
    seed: int
    workers: int = 1
    precision: float | None = None
    out: Path | None = None
    chunk: int = DEFAULT_CHUNK
    make_plots: bool = True


def run(scenario: str | Path | Scenario, runs: int | None = None, seed: int | None = None,
        workers: int = 1, overrides: tuple[str, ...] = (), precision: float | None = None,
        out: str | Path | None = None) -> RunResult:
    """Run a scenario from Python (for notebooks).

    Args:
        scenario: a path to a YAML file, or a validated :class:`Scenario`.
        runs: replications (default: the scenario's ``runs``); with ``precision``, the cap.
        seed: seed (default: the scenario's).
        workers: processes; results do not depend on it.
        overrides: ``PATH=VALUE`` assignments, as ``--set`` on the command line.
        precision: stop once every outcome's 95% half-width is at most this.
        out: write a run folder here (default: keep everything in memory).

    Returns:
        The run's summary, its records as a pyarrow table, and plotting methods.

    Raises:
        ScenarioError: the scenario or an override is not valid.
        UsageError: ``out`` exists already.
    """
    if isinstance(scenario, Scenario):
        if overrides:
            raise UsageError("overrides need a scenario file; edit the Scenario object instead")
        model, text = scenario, dumps(scenario)
    else:
        model, text = load_with(str(scenario), overrides)
    opts = RunOptions(runs or model.runs, model.seed if seed is None else seed, workers,
                      precision, Path(out) if out else None)
    return execute(model, text, opts)


def execute(scenario: Scenario, text: str, opts: RunOptions,
            progress: Callable[[int], None] | None = None) -> RunResult:
    """Run replications (to a folder when ``opts.out`` is set) and summarise them."""
    plan = Plan(scenario, opts.seed)
    folder = Folder(opts.out) if opts.out else None
    t0 = time.perf_counter()
    batches: list[pa.RecordBatch] = []
    for todo in _batches(opts):
        for chunk, batch in zip(todo, run_chunks(scenario, opts.seed, todo, opts.workers,
                                                 progress), strict=True):
            if folder:
                folder.write_chunk(chunk.start, batch)
            else:
                batches.append(batch)
        if opts.precision is not None and _precise_enough(folder, batches, opts.precision,
                                                          possible(scenario)):
            break
    return _finish(plan, text, opts, folder, batches, time.perf_counter() - t0)


def _batches(opts: RunOptions) -> list[list[Chunk]]:
    """The chunks to run, grouped into batches checked for precision between them."""
    if opts.precision is None:
        return [chunks(0, opts.runs, opts.chunk)]
    step = max(PRECISION_BATCH, opts.chunk)  # independent of workers: same stop for any count
    return [chunks(a, min(a + step, opts.runs), opts.chunk) for a in range(0, opts.runs, step)]


def _precise_enough(folder: Folder | None, batches: list[pa.RecordBatch], p: float,
                    names: tuple[str, ...]) -> bool:
    outcomes = _outcome_column(folder, batches)
    return stats.max_half_width(stats.outcome_table(outcomes, names)) <= p


def _outcome_column(folder: Folder | None, batches: list[pa.RecordBatch]) -> Any:
    if folder is None:
        return pa.Table.from_batches(batches).column("outcome").to_numpy(zero_copy_only=False)
    parts = [pq.read_table(f, columns=["outcome"]).column("outcome") for f in folder.chunk_files()]
    return pa.chunked_array([c for p in parts for c in p.chunks]).to_numpy(zero_copy_only=False)


def _finish(plan: Plan, text: str, opts: RunOptions, folder: Folder | None,
            batches: list[pa.RecordBatch], wall: float) -> RunResult:
    if folder is None:
        table = pa.Table.from_batches(batches)
        result = RunResult(_summary(table, plan, opts, wall), plan, table=table)
        return result
    records = folder.merge_chunks()
    columns = ParquetColumns(records)
    summary = _summary(columns, plan, opts, wall)
    write_json(folder.path / "summary.json", summary)
    write_json(folder.path / "manifest.json", manifest(
        text, seed=opts.seed, runs=columns.num_rows,
        extra={"scenario": plan.scenario.name, "workers": opts.workers,
               "precision": opts.precision, "chunk": opts.chunk}))
    result = RunResult(summary, plan, source=records)
    if opts.make_plots:
        _plots(result, folder.path)
    final = folder.complete()
    result.folder, result.source = final, final / records.name
    result.plots = [final / p.name for p in result.plots]
    return result


def _summary(columns: Any, plan: Plan, opts: RunOptions, wall: float) -> dict[str, Any]:
    summary = summarise(columns, plan, wall)
    if opts.precision is not None:
        summary["precision"] = {"target": opts.precision, "cap": opts.runs,
                                "achieved": stats.max_half_width(summary["outcomes"])}
    return summary


def _plots(result: RunResult, where: Path) -> None:
    s = result.plan.scenario
    result.plots.append(result.plot_outcomes(where / "outcomes.png"))
    if s.truce is not None:
        result.plots.append(result.plot_survival(where / "survival.png"))
        result.plots.append(result.plot_violations(where / "violations.png"))
    if s.negotiation is not None:
        result.plots.append(result.plot_deal_days(where / "deal_days.png"))


__all__ = ["run", "execute", "RunResult", "RunOptions", "default_workers"]
