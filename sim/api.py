"""Running a scenario many times: the orchestration behind ``negsim run`` and ``sim.run``."""

from __future__ import annotations

import dataclasses
import html
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim import stats
from sim.engine import Plan
from sim.engine.outcomes import possible
from sim.errors import Interrupted, NegsimError, UsageError
from sim.output import plots
from sim.output.results import CompareResult, DiscoverResult, SweepResult, TraceResult
from sim.running.executor import Executor
from sim.running.precision import Stopping
from sim.running.runner import chunk_size, chunks, run_chunks
from sim.running.summary import ParquetColumns, column, summarise
from sim.running.workers import default_workers
from sim.scenario import Scenario, budgets
from sim.scenario.inputs import Overrides, ScenarioLike, assignments, count, defaults, resolve
from sim.scenario.yamlload import flow
from sim.store import Folder


@dataclass(repr=False)
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

    def to_pandas(self) -> Any:
        """One row per replication as a pandas DataFrame (nulls where a value does not apply)."""
        return self.records.to_pandas()

    @property
    def outcomes(self) -> Any:
        """One row per outcome category: p, its 95% interval, count and meaning."""
        import pandas as pd

        from sim.engine.outcomes import meaning

        return pd.DataFrame([{"outcome": k, "p": v["p"], "ci_low": v["ci"][0],
                              "ci_high": v["ci"][1], "count": v["count"],
                              "meaning": meaning(k)}
                             for k, v in self.summary["outcomes"].items()])

    @property
    def metrics(self) -> Any:
        """One row per metric: n, mean, sd and quantiles over the replications it applies to."""
        import pandas as pd

        return pd.DataFrame([{"metric": k, **v} for k, v in self.summary["metrics"].items()])

    def __repr__(self) -> str:
        s = self.summary
        lines = [f"RunResult({s['scenario']}: {s['runs']} replications, seed {s['seed']}"
                 + (f", folder {self.folder}" if self.folder else "") + ")"]
        lines += [f"  {k:<22} {v['p']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}]"
                  for k, v in s["outcomes"].items()]
        lines.append(f"  {len(s['metrics'])} metrics: .metrics; records: .to_pandas()")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (f"<p><b>{html.escape(repr(self).splitlines()[0])}</b></p>"
                + self.outcomes.to_html(index=False, float_format=lambda x: f"{x:.3f}"))

    def plot_outcomes(self, path: str | Path | None = None, ax: Any = None) -> Any:
        """Outcome probabilities: written to ``path``, or a Figure (on ``ax`` if given)."""
        return plots.plot_outcomes(self.summary["outcomes"], path, self.plan.scenario.title,
                                   ax=ax)

    def plot_survival(self, path: str | Path | None = None, ax: Any = None) -> Any:
        """Kaplan-Meier survival of first truces: to ``path``, or a Figure."""
        return plots.plot_survival(self.summary["survival"], path, self.plan.scenario.title,
                                   self.plan.horizon, ax=ax)

    def plot_deal_days(self, path: str | Path | None = None, ax: Any = None) -> Any:
        """Deal days with the deadlines marked: to ``path``, or a Figure."""
        deadline = self.plan.deadline_day if self.plan.deadline_day == self.plan.deadline_day \
            else None
        return plots.plot_deal_days(column(self.columns, "deal_day"), path, deadline,
                                    self.plan.horizon, self.plan.scenario.title,
                                    renewed_deadlines(self.plan), ax=ax)

    def plot_violations(self, path: str | Path | None = None, ax: Any = None) -> Any:
        """Mean violations per party: to ``path``, or a Figure."""
        cols = self.columns
        actors = self.plan.scenario.actors
        violations = {actors[c.removeprefix("violations_")].label: column(cols, c)
                      for c in cols.column_names  # per actor (not violations_per_truce_day)
                      if c.startswith("violations_") and c.removeprefix("violations_") in actors}
        return plots.plot_violations(violations, path, self.plan.scenario.title, ax=ax)


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
    chunk: int = 0  # replications per chunk; 0 = runner.chunk_size(scenario)
    make_plots: bool = True
    fresh_name: bool = False  # out is a proposed name: take out-2, ... if another run has it
    dask: str | None = None  # "local" or a scheduler address: run the chunks on Dask

    def __post_init__(self) -> None:
        Stopping(self.precision, self.runs)  # refuses a bad precision target before any work

    @property
    def stopping(self) -> Stopping:
        """When the run may stop early (:mod:`sim.running.precision`)."""
        return Stopping(self.precision, self.runs)


def run(scenario: ScenarioLike, runs: int | None = None, seed: int | None = None,
        workers: int = 1, overrides: Overrides = None, precision: float | None = None,
        out: str | Path | None = None, plots: bool = True, dask: str | None = None,
        progress: Callable[[int], None] | None = None, fresh_name: bool = False) -> RunResult:
    """Run a scenario many times (``negsim run`` is this function with a progress bar).

    Args:
        scenario: a path to a YAML file, the name of a shipped scenario, YAML text, or a
            :class:`Scenario` (validated again, however it was built or edited).
        runs: replications (default: the scenario's ``runs``); with ``precision``, the cap.
        seed: seed (default: the scenario's).
        workers: processes; results do not depend on it.
        overrides: ``{dotted.path: value}`` changes to the scenario (or ``PATH=VALUE``
            strings).
        precision: stop once every outcome's 95% half-width is at most this
            (:mod:`sim.running.precision`).
        out: write a run folder here (default: keep everything in memory).
        plots: write PNG plots into the folder.
        dask: ``local`` or a Dask scheduler's address: run the replications there.
        progress: called with the number of replications finished, as they finish.
        fresh_name: ``out`` is a proposed name; take ``out-2``, ... if it is taken.

    Returns:
        The run's summary, its records, DataFrames and plotting methods.

    Raises:
        ScenarioError: the scenario or an override is not valid.
        UsageError: ``out`` exists already, or an argument is out of range.
    """
    model, text, _ = resolve(scenario, overrides)
    opts = options(model, runs, seed, workers, precision, out, plots, dask, fresh_name)
    return execute(model, text, opts, progress)


def options(model: Scenario, runs: int | None = None, seed: int | None = None,
            workers: int = 1, precision: float | None = None, out: str | Path | None = None,
            plots: bool = True, dask: str | None = None, fresh_name: bool = False
            ) -> RunOptions:
    """How :func:`run` runs a resolved scenario: its defaults filled in, every argument
    checked (``negsim run`` builds its options here too).

    Raises:
        UsageError: an argument out of range.
    """
    n, s = defaults(model, runs, seed)
    return RunOptions(n, s, count("workers", workers, 1), precision,
                      Path(out) if out else None, make_plots=plots, dask=dask,
                      fresh_name=fresh_name)


def execute(scenario: Scenario, text: str, opts: RunOptions,
            progress: Callable[[int], None] | None = None) -> RunResult:
    """Run replications (to a folder when ``opts.out`` is set) and summarise them.

    Raises:
        UsageError: more replications than the budget allows (checked before any work).
    """
    budgets.check_runs(opts.runs)
    if opts.chunk <= 0:
        opts = dataclasses.replace(opts, chunk=chunk_size(scenario))
    plan = Plan(scenario, opts.seed)
    folder = Folder(opts.out, "run", unique=opts.fresh_name) if opts.out else None
    t0 = time.perf_counter()
    batches: list[pa.RecordBatch] = []
    try:
        _simulate(scenario, opts, folder, batches, progress)
    except KeyboardInterrupt:
        if folder is None:
            raise Interrupted("interrupted; nothing was saved (no run folder)") from None
        folder.mark_incomplete("interrupted")
        raise Interrupted(f"interrupted; the finished chunks are kept in {folder.path}") from None
    except NegsimError as exc:
        if folder is not None:
            folder.abandon(f"failed: {exc}")
        raise
    return _finish(plan, text, opts, folder, batches, time.perf_counter() - t0)


def _simulate(scenario: Scenario, opts: RunOptions, folder: Folder | None,
              batches: list[pa.RecordBatch], progress: Callable[[int], None] | None) -> None:
    """Run the chunks batch by batch, to the folder or into ``batches``, until the
    precision rule (:mod:`sim.running.precision`) is met or every replication has run."""
    rule = opts.stopping
    names = possible(scenario)
    for batch in rule.batches(opts.chunk):
        todo = chunks(batch.start, batch.stop, opts.chunk)
        executor = Executor(opts.workers, opts.dask)
        for chunk, records in zip(todo, run_chunks(scenario, opts.seed, todo, executor,
                                                   progress), strict=True):
            if folder:
                folder.write_chunk(chunk.start, records)
            else:
                batches.append(records)
        if rule.reached(_intervals(folder, batches, names)):
            break


def _intervals(folder: Folder | None, batches: list[pa.RecordBatch],
               names: tuple[str, ...]) -> Iterator[list[float]]:
    """The 95% intervals of the outcome shares over the replications so far (lazily: only
    a precision target reads them)."""
    table = stats.outcome_table(_outcome_column(folder, batches), names)
    yield from (row["ci"] for row in table.values())


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
    folder.write_json("summary.json", summary)
    folder.write_manifest(text, seed=opts.seed, runs=columns.num_rows,
                          extra={"scenario": plan.scenario.name, "workers": opts.workers,
                                 "precision": opts.precision, "chunk": opts.chunk})
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
        summary["precision"] = opts.stopping.report(
            row["ci"] for row in summary["outcomes"].values())
    return summary


def _plots(result: RunResult, where: Path) -> None:
    s = result.plan.scenario
    result.plots.append(result.plot_outcomes(where / "outcomes.png"))
    if s.truce is not None:
        result.plots.append(result.plot_survival(where / "survival.png"))
        result.plots.append(result.plot_violations(where / "violations.png"))
    if s.negotiation is not None:
        result.plots.append(result.plot_deal_days(where / "deal_days.png"))


def compare(scenarios: ScenarioLike | Sequence[ScenarioLike],
            variants: Sequence[Overrides] | Mapping[str, Any] | str | None = None,
            runs: int | None = None, seed: int | None = None, workers: int = 1,
            precision: float | None = None, out: str | Path | None = None,
            plots: bool = True, progress: Callable[[int], None] | None = None,
            fresh_name: bool = False, dask: str | None = None) -> CompareResult:
    """Compare scenarios on common random numbers; the first is the baseline.

    Args:
        scenarios: one or more paths, YAML texts or Scenarios; or two or more run folders
            (compared as stored, paired when their seeds and replications match).
        variants: changes of the first scenario, each one more arm (as ``--vs``): a
            ``{dotted.path: value}`` mapping, or a ``PATH=VALUE`` string; a list of them for
            several arms.
        runs, seed, workers, precision: as for :func:`run` (the first scenario's defaults).
        out: write a compare folder here (default: keep the result in memory).
        plots: write PNG plots into the folder.
        progress: called with the number of replications finished, as they finish.
        fresh_name: ``out`` is a proposed name; take ``out-2``, ... if it is taken.
        dask: ``local`` or a Dask scheduler's address: run the replications there.

    Raises:
        ScenarioError: a scenario or a variant is not valid.
        UsageError: fewer than two arms, or a mix of folders and scenarios.
    """
    from sim.operations import comparison as cmp

    items = [scenarios] if isinstance(scenarios, str | Path | Scenario) else list(scenarios)
    changes = _variants(variants)
    folder = Folder(Path(out), "compare", unique=fresh_name) if out is not None else None
    try:
        if items and all(_is_folder(x) for x in items):
            if changes:
                raise UsageError("<<vs>> apply to a scenario, not to stored run folders")
            arms, problem = cmp.arms_from_folders([str(x) for x in items])
            result = cmp.analyse(arms, paired=problem is None)
            if problem:
                result["warning"] = f"runs cannot be paired ({problem}); compared as independent"
        else:
            arms = _arms(items, changes)
            assert arms[0].model is not None
            n, s = defaults(arms[0].model, runs, seed, least_runs=2)
            result = cmp.run_comparison(arms, n, s, Executor(count("workers", workers, 1), dask),
                                        precision, progress)
        saved = save_comparison(arms, result, folder, plots) if folder is not None else None
    except (NegsimError, KeyboardInterrupt):
        if folder is not None:
            folder.abandon("failed")  # a compare keeps no chunks: nothing is left behind
        raise
    return CompareResult(result, cmp.pairs(arms), saved)


def _variants(variants: Sequence[Overrides] | Mapping[str, Any] | str | None) -> list[Overrides]:
    """Each variant's overrides: a mapping is one variant, a ``PATH=VALUE`` string one
    variant of one change, a list one variant per item.

    Raises:
        UsageError: anything else, naming ``variants`` and showing the value.
    """
    if variants is None:
        return []
    if isinstance(variants, Mapping):
        return [variants]
    items = [variants] if isinstance(variants, str) else variants
    if not isinstance(items, Sequence):
        raise UsageError(f"<<vs>>: expected {{PATH: VALUE}} mappings or 'PATH=VALUE' strings, "
                         f"got {variants!r:.80}")
    out: list[Overrides] = []
    for item in items:
        if isinstance(item, str):
            if "=" not in item:
                raise UsageError(f"<<vs>>: expected {{PATH: VALUE}} mappings or 'PATH=VALUE' "
                                 f"strings, got {item!r:.80} (scenarios to compare go in a "
                                 "list as the first argument)")
            out.append([item])
        else:
            out.append(item)
    return out


def _is_folder(item: Any) -> bool:
    """Whether a compare input names a stored run folder (YAML text never does)."""
    if not isinstance(item, str | Path) or "\n" in str(item):
        return False
    try:
        return Path(item).is_dir()
    except OSError:  # a name too long to be a path
        return False


def _arms(items: list[ScenarioLike], variants: list[Overrides]) -> list[Any]:
    from sim.operations import comparison as cmp

    arms: list[cmp.Arm] = []
    for item in items:
        model, text, source = resolve(item)
        arms.append(cmp.Arm(cmp.unique_label(model.name, arms), model.name, source, text,
                            model.seed, model=model))
    for change in variants:
        model, text, source = resolve(items[0], change, via="vs")
        label = ", ".join(assignments(change, "vs"))
        arms.append(cmp.Arm(cmp.unique_label(label, arms), model.name, f"{source} {label}",
                            text, model.seed, model=model))
    return arms


def save_comparison(arms: list[Any], result: dict[str, Any], folder: Folder,
                    plots_too: bool) -> Path:
    """Write a compare folder (claimed before the replications ran): compare.json,
    manifest.json, pairs.parquet and plots."""
    from sim.operations import comparison as cmp

    folder.write_json("compare.json", result)
    folder.write_manifest("\n---\n".join(a.text for a in arms), seed=result["seed"],
                          runs=result["runs"],
                          extra={"arms": [{"label": a.label, "source": a.source,
                                           "scenario_text": a.text} for a in arms]})
    folder.write_parquet("pairs.parquet", cmp.pairs(arms))
    if plots_too:
        plots.plot_side_by_side(result["scenarios"], folder.path / "outcomes.png")
        plots.plot_forest(result["comparisons"], folder.path / "differences.png")
    return folder.complete()


SweepSpec = str | Sequence[Any]


def sweep(scenario: ScenarioLike | None = None, specs: Mapping[str, SweepSpec] | None = None,
          sample: str = "grid", zipped: bool = False, design: str | Path | None = None,
          runs: int | None = None, seed: int | None = None, workers: int = 1,
          dask: str | None = None, out: str | Path | None = None, resume: str | Path | None = None,
          plots_too: bool = True, progress: Callable[[int], None] | None = None,
          job: Any = None) -> SweepResult:
    """Sweep parameters of a scenario; every point runs on the same random streams.

    Args:
        scenario: a path, YAML text or Scenario (not with ``resume``).
        specs: ``{dotted.path: spec}``, a spec being a list of values, ``"a,b,c"``,
            ``"lo:hi:steps"`` or, for samplers, ``"lo..hi"``.
        sample: ``grid``, ``lhs:N`` or ``sobol:N``; zipped: vary lists in lockstep.
        design: a CSV of explicit points (its header names the paths).
        runs, seed, workers: per point; ``dask``: ``local`` or a scheduler address.
        out: the sweep folder (default: ``results/sweep-NAME-TIMESTAMP``, a fresh name).
        resume: an interrupted sweep folder to finish (nothing else may be given).
        plots_too: write PNG plots into the folder.
        progress: called with the number of replications finished, as they finish.
        job: a sweep already created (:func:`new_sweep`), instead of the arguments above.

    Raises:
        ScenarioError: the scenario or a point is not valid.
        UsageError: inconsistent arguments, or a sweep past its budgets.
    """
    from sim.operations import sweeps as swp

    if job is None and resume is not None:
        if scenario is not None or specs or design is not None:
            raise UsageError("resume takes only the sweep folder (and workers/dask)")
        job = swp.Sweep.from_folder(Path(resume))
    elif job is None:
        if scenario is None:
            raise UsageError("sweep needs a scenario (or resume=FOLDER)")
        if specs is not None and not isinstance(specs, Mapping):
            raise UsageError(f"<<set>>: expected a mapping {{dotted.path: spec}} such as "
                             f"{{'deadline.credibility': [0.2, 0.5]}}, got {specs!r:.80}")
        job = new_sweep(scenario, [f"{p}={_spec_text(v)}" for p, v in (specs or {}).items()],
                        sample, zipped, design, runs, seed, out)
    summary = swp.execute(job, count("workers", workers, 1), dask, progress)
    if plots_too:
        sweep_plots(job, summary)
    swp.finish(job)
    return SweepResult(summary, list(job.design.paths), job.folder)


def new_sweep(scenario: ScenarioLike, specs: list[str], sample: str, zipped: bool,
              design: str | Path | None, runs: int | None, seed: int | None,
              out: str | Path | None) -> Any:
    """Create a sweep folder for ``PATH=SPEC`` strings (every point validated first)."""
    from sim import store
    from sim.operations import sweeps as swp
    from sim.running import design as dsg

    base, text, source = resolve(scenario)
    n, s = defaults(base, runs, seed)
    points = dsg.build([dsg.parse_spec(x) for x in specs], sample, zipped,
                       Path(design) if design else None, s)
    folder = Path(out) if out else store.timestamped(Path("results"), f"sweep-{base.name}")
    return swp.create(folder, text, source, points, s, n, unique=out is None)


def _spec_text(spec: SweepSpec) -> str:
    if isinstance(spec, str):
        return spec
    return ",".join(flow(v) for v in spec)


def sweep_plots(job: Any, summary: dict[str, Any]) -> None:
    """The sweep's plots: a line for one numeric path, heat maps for a two-path grid, the
    sensitivity ranking."""
    paths, points = job.design.paths, summary["points"]
    numeric = all(isinstance(p["values"][q], int | float) for p in points for q in paths)
    if numeric and len(paths) == 1:
        plots.plot_sweep_line(points, paths[0], job.folder / "sweep.png")
    if numeric and len(paths) == 2 and job.design.method in ("grid", "zip"):
        plots.plot_heatmaps(points, paths, job.folder / "heatmaps.png")
    if summary["sensitivity"]:
        plots.plot_ranking(summary["sensitivity"], job.folder / "ranking.png")


def discover(source: str | Path | RunResult | SweepResult, outcome: str,
             min_coverage: float = 0.8, peel_alpha: float = 0.05, paste_alpha: float = 0.05,
             max_qp: float = 0.05, save: bool = False,
             plot: str | Path | None = None) -> DiscoverResult:
    """Which ranges of the drawn (run) or swept (sweep) inputs lead to ``outcome`` (PRIM).

    Args:
        source: a run or sweep folder, or a result that has one (``run(..., out=...)``, a
            sweep).
        outcome: an outcome name, or a coarse group (deal_holds, no_deal_holds, escalation).
        min_coverage: choose among boxes covering at least this share of the cases.
        peel_alpha, paste_alpha: the share peeled off, and pasted back, per step.
        max_qp: drop restrictions whose quasi-p value exceeds this.
        save: store ``discover-OUTCOME.json`` and its plot in the folder (for the report).
        plot: where to write the plot when saving (default: beside the JSON).

    Raises:
        UsageError: no folder, a bad outcome, or no replication ended in ``outcome``.
    """
    from sim.operations import discovery as dsc

    folder = source.folder if isinstance(source, RunResult | SweepResult) else source
    if folder is None:
        raise UsageError("discover reads a run or sweep folder: run with <<out>> to keep one")
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder; expected a negsim run or sweep folder")
    settings = dsc.Settings(min_coverage=min_coverage, peel_alpha=peel_alpha,
                            paste_alpha=paste_alpha, max_qp=max_qp)
    data = dsc.discover(folder, outcome, settings)
    stored: list[Path] = []
    if save:
        image = Path(plot) if plot else folder / f"discover-{data['outcome']}.png"
        stored = [dsc.write(folder, data), image]
        plots.plot_discovery(data, image)
    return DiscoverResult(data, stored)


STORY_LIMIT = 20_000  # a trace keeps the first and last 10,000 entries of a story


def trace(scenario: ScenarioLike, seed: int | None = None, replication: int | None = None,
          outcome: str | None = None, overrides: Overrides = None) -> TraceResult:
    """One replication told as a dated story: ``replication``, or a representative one
    ending in ``outcome`` (not both).

    Raises:
        ScenarioError: the scenario or an override is not valid.
        UsageError: both replication and outcome given, or an outcome that cannot occur.
    """
    from sim.engine import play
    from sim.operations.story import representative, story_lines

    if replication is not None and outcome is not None:
        raise UsageError("give <<replication>> or <<outcome>>, not both")
    model, _, _ = resolve(scenario, overrides)
    plan = Plan(model, None if seed is None else count("seed", seed, 0))
    index = (representative(plan, outcome) if outcome is not None
             else count("replication", replication or 0, 0))
    world = play(plan, index, tracing=True, story_limit=STORY_LIMIT)
    return TraceResult(world, story_lines(world))


__all__ = ["run", "compare", "sweep", "trace", "discover", "execute", "RunResult", "RunOptions",
           "CompareResult", "SweepResult", "TraceResult", "DiscoverResult", "default_workers"]
