"""A run: replications of one scenario in chunks, streamed to a run folder or kept in memory,
stopped early by a precision target, summarised, with a traced replication of each outcome
stored beside the records so that readers never re-play the model."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim import stats
from sim.engine import Plan, play
from sim.engine.outcomes import possible
from sim.errors import Interrupted, NegsimError, StorageError, interrupts
from sim.operations.story import pick_representatives, story_lines
from sim.running.executor import Executor
from sim.running.precision import Stopping
from sim.running.runner import chunk_size, chunks, plan_for, run_chunks
from sim.running.summary import ParquetColumns, summarise, tally
from sim.scenario import Scenario, budgets, loads
from sim.scenario.inputs import count, defaults
from sim.store import Folder, held, read_request, release, rows_of, stored

TRACES = "traces.json"
TRACE_LINES = 80  # lines kept of each stored story: its head, a note of the gap, its end


@dataclass(frozen=True)
class RunOptions:
    """How to run: replications, seed, workers, precision target, where to save."""

    runs: int
    seed: int
    workers: int = 1
    precision: float | None = None
    out: Path | None = None
    chunk: int = 0  # replications per chunk; 0 = runner.chunk_size(scenario)
    make_plots: bool = True
    fresh_name: bool = False  # out is a proposed name: take out-2, ... if another run has it
    dask: str | None = None  # "local" or a scheduler address: run the chunks on Dask
    source: str = ""  # where the scenario came from (stored so that a resume can load it)
    overrides: tuple[str, ...] = ()  # the --set assignments already in the scenario text

    def __post_init__(self) -> None:
        Stopping(self.precision, self.runs)  # refuses a bad precision target before any work

    @property
    def stopping(self) -> Stopping:
        """When the run may stop early (:mod:`sim.running.precision`)."""
        return Stopping(self.precision, self.runs)


@dataclass
class Finished:
    """A finished run as data: its summary and records (in memory or in the folder)."""

    summary: dict[str, Any]
    plan: Plan
    folder: Path | None = None
    table: pa.Table | None = None
    source: Path | None = None  # replications.parquet, when the run has a folder
    extras: list[Path] = dataclasses.field(default_factory=list)  # files the caller added


# Called with the run (records still in the unfinished folder) and the folder's path, before
# the folder is renamed complete; returns the files it wrote (plots).
Extras = Callable[[Finished, Path], list[Path]]


def options(model: Scenario, runs: int | None = None, seed: int | None = None,
            workers: int = 1, precision: float | None = None, out: str | Path | None = None,
            plots: bool = True, dask: str | None = None, fresh_name: bool = False,
            source: str = "", overrides: tuple[str, ...] = ()) -> RunOptions:
    """How a resolved scenario runs: its defaults filled in, every argument checked.

    Raises:
        UsageError: an argument out of range.
    """
    n, s = defaults(model, runs, seed)
    return RunOptions(n, s, count("workers", workers, 1), precision,
                      Path(out) if out else None, make_plots=plots, dask=dask,
                      fresh_name=fresh_name, source=source, overrides=overrides)


def first_tasks(scenario: Scenario, opts: RunOptions, chunk: int | None = None) -> int:
    """The chunks of the first batch (of ``chunk`` replications, by default the scenario's
    chunk size): more workers than these would have nothing to do."""
    size = chunk_size(scenario) if chunk is None else chunk
    return len(chunks(0, opts.stopping.first_batch(), size))


def execute(scenario: Scenario, text: str, opts: RunOptions,
            progress: Callable[[int], None] | None = None,
            extras: Extras | None = None, resumed: Folder | None = None) -> Finished:
    """Run replications (to a folder when ``opts.out`` is set) and summarise them.

    Args:
        resumed: an interrupted run's folder (:func:`reopen`): its verified chunks are kept
            and only the others run.

    Raises:
        UsageError: more replications than the budget allows (checked before any work).
        DamagedFile: a stored chunk of ``resumed`` is damaged or stray (named).
        Interrupted: Ctrl-C; the folder keeps the finished chunks, marked incomplete.
    """
    budgets.check_runs(opts.runs)
    if opts.chunk <= 0:
        opts = dataclasses.replace(opts, chunk=chunk_size(scenario))
    plan = plan_for(scenario, opts.seed)
    with held(resumed or _claim(text, opts)) as folder:  # its lock released at the end
        t0 = time.perf_counter()
        batches: list[pa.RecordBatch] = []
        try:
            with interrupts():
                done = _simulate(scenario, opts, folder, batches, progress)
        except KeyboardInterrupt:
            if folder is None:
                raise Interrupted("interrupted; nothing was saved (no run folder)") from None
            folder.mark_incomplete("interrupted")  # resumable, even before its first chunk
            raise Interrupted(_kept("interrupted", folder)) from None
        except NegsimError as exc:
            if folder is not None:
                folder.abandon(f"failed: {exc}")
            raise
        wall = time.perf_counter() - t0
        if folder is None:
            table = pa.Table.from_batches(batches)
            return Finished(_summary(table, plan, opts, wall), plan, table=table)
        try:
            with interrupts():
                return _store(plan, text, opts, folder, wall, extras,
                              [done[k] for k in sorted(done)])
        except StorageError as exc:  # disk full, I/O error: the chunks stay, and we say so
            folder.abandon(f"failed: {exc}")
            raise type(exc)(_kept(exc.template, folder)) from None
        except KeyboardInterrupt:
            folder.abandon("interrupted")
            raise Interrupted(_kept("interrupted", folder)) from None


def _kept(what: str, folder: Folder) -> str:
    """What an unfinished run says: what is kept, and the command that continues it."""
    if not folder.path.exists():
        return f"{what}; no chunk had finished, so nothing was kept"
    return (f"{what}; the finished chunks are kept in {folder.path}: negsim run --resume "
            f"{folder.path} continues it")


def _claim(text: str, opts: RunOptions) -> Folder | None:
    """A new run folder (None without ``opts.out``), its request stored first, so that an
    interrupted run can be resumed as it was asked."""
    if opts.out is None:
        return None
    folder = Folder(opts.out, "run", unique=opts.fresh_name)
    folder.write_request({"scenario_text": text, "source": opts.source,
                          "overrides": list(opts.overrides), "seed": opts.seed,
                          "runs": opts.runs, "chunk": opts.chunk, "precision": opts.precision,
                          "plots": opts.make_plots})
    return folder


def reopen(given: Path, workers: int = 1, dask: str | None = None,
           plots: bool | None = None) -> tuple[Scenario, str, RunOptions, Folder]:
    """An interrupted run, as it was asked (``chunks/request.json``): its scenario, text,
    options and folder; only the workers, Dask and the plots may differ.

    Raises:
        UsageError: no interrupted run there, its final name is taken, or another negsim
            process is writing it (the folder, locked, is this process's until its run
            ends: :func:`execute` releases it).
        DamagedFile: its request is not what negsim writes.
        ScenarioError: the stored scenario no longer validates.
    """
    with held(Folder.resume(given, "run"), on_error_only=True) as folder:
        req = read_request(folder.path, "run")
        model = loads(req["scenario_text"], req["source"])
        opts = RunOptions(req["runs"], req["seed"], count("workers", workers, 1),
                          req["precision"], folder.final, chunk=req["chunk"],
                          make_plots=req["plots"] if plots is None else plots, dask=dask,
                          source=req["source"], overrides=tuple(req["overrides"]))
    return model, req["scenario_text"], opts, folder


def _simulate(scenario: Scenario, opts: RunOptions, folder: Folder | None,
              batches: list[pa.RecordBatch], progress: Callable[[int], None] | None
              ) -> dict[int, Path]:
    """Run the chunks batch by batch, to the folder or into ``batches``, until the
    precision rule (:mod:`sim.running.precision`) is met or every replication has run.

    Chunks a resumed folder holds (verified) are not run again, and the rule is checked
    after each batch on the chunks of that batch and before, exactly as the uninterrupted
    run checked it, so a resumed run stops where it would have stopped.

    Returns:
        The chunk files of the replications run, by first replication (empty without a
        folder).
    """
    rule = opts.stopping
    names = possible(scenario)
    done = stored(folder.path, opts.chunk, opts.runs) if folder else {}
    if progress and done:
        progress(rows_of(done, opts.chunk, opts.runs))
    for batch in rule.batches(opts.chunk):
        todo = [c for c in chunks(batch.start, batch.stop, opts.chunk) if c.start not in done]
        executor = Executor(opts.workers, opts.dask)
        for chunk, records in zip(todo, run_chunks(scenario, opts.seed, todo, executor,
                                                   progress), strict=True):
            if folder:
                done[chunk.start] = folder.write_chunk(chunk.start, records)
            else:
                batches.append(records)
        if rule.reached(_intervals(_upto(done, batch.stop), batches, names)):
            return _upto(done, batch.stop)
    return done


def _upto(done: dict[int, Path], stop: int) -> dict[int, Path]:
    return {start: path for start, path in done.items() if start < stop}


def _intervals(done: dict[int, Path], batches: list[pa.RecordBatch],
               names: tuple[str, ...]) -> Iterator[list[float]]:
    """The 95% intervals of the outcome shares over the replications so far (lazily: only
    a precision target reads them)."""
    table = stats.outcome_table_of_counts(_outcome_counts(done, batches), names)
    yield from (row["ci"] for row in table.values())


def _outcome_counts(done: dict[int, Path], batches: list[pa.RecordBatch]) -> Counter[str]:
    """The count of each outcome so far, chunk by chunk (no string per replication)."""
    if batches:
        return tally(pa.Table.from_batches(batches), "outcome")
    counts: Counter[str] = Counter()
    for k in sorted(done):
        counts.update(tally(pq.read_table(done[k], columns=["outcome"]), "outcome"))
    return counts


def _store(plan: Plan, text: str, opts: RunOptions, folder: Folder, wall: float,
           extras: Extras | None, files: list[Path]) -> Finished:
    """Merge the chunks, write the summary, manifest and traces, let the caller add its
    files, and rename the folder complete."""
    records = folder.merge_chunks(files=files)
    columns = ParquetColumns(records)
    summary = _summary(columns, plan, opts, wall)
    release()  # the columns the summary read, each the length of the run
    folder.write_json("summary.json", summary)
    folder.write_manifest(text, seed=opts.seed, runs=columns.num_rows,
                          extra={"scenario": plan.scenario.name, "workers": opts.workers,
                                 "precision": opts.precision, "chunk": opts.chunk})
    folder.write_json(TRACES, traces(plan, columns))
    release()
    done = Finished(summary, plan, source=records)
    if extras is not None:
        done.extras = extras(done, folder.path)
    final = folder.complete()
    done.folder, done.source = final, final / records.name
    done.extras = [final / p.name for p in done.extras]
    return done


def _summary(columns: Any, plan: Plan, opts: RunOptions, wall: float) -> dict[str, Any]:
    summary = summarise(columns, plan, wall)
    if opts.precision is not None:
        summary["precision"] = opts.stopping.report(
            row["ci"] for row in summary["outcomes"].values())
    return summary


def traces(plan: Plan, columns: Any) -> dict[str, Any]:
    """A representative replication of each outcome that occurred, chosen from the stored
    records and told as a story (only those few are re-played, with tracing on)."""
    out: dict[str, Any] = {}
    for name, index in pick_representatives(columns).items():
        lines = story_lines(play(plan, index, tracing=True))
        if len(lines) > TRACE_LINES:
            lines = lines[:TRACE_LINES - 1] + [f"… {len(lines) - TRACE_LINES} more lines …",
                                               lines[-1]]
        out[name] = {"replication": index, "lines": lines}
    return {"seed": plan.seed, "outcomes": out}
