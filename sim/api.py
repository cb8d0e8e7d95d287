"""The Python API behind ``sim.run``, ``sim.compare``, ``sim.sweep``, ``sim.trace``,
``sim.discover`` and the command line.

A facade: each function checks its arguments, calls one operation (:mod:`sim.operations`)
and wraps what it returns in a typed result (:mod:`sim.output.results`). Files other than
the records (plots) are written by the output layer's writers (:mod:`sim.output.writers`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.engine import Plan, play
from sim.errors import DamagedFile, Interrupted, NegsimError, StorageError, UsageError
from sim.operations import comparison as cmp
from sim.operations import discovery as dsc
from sim.operations import run as run_op
from sim.operations import sweeps as swp
from sim.operations.run import RunOptions
from sim.operations.story import representative, story_lines
from sim.output import writers
from sim.output.results import (
    CompareResult,
    DiscoverResult,
    RunResult,
    SweepResult,
    TraceResult,
)
from sim.output.tornado import TornadoResult
from sim.running import estimate
from sim.running.executor import Executor, command_scope
from sim.running.precision import Stopping
from sim.running.runner import DEFAULT_CHUNK, plan_for
from sim.running.workers import default_workers
from sim.scenario import Scenario, budgets, shipped
from sim.scenario.inputs import (
    Overrides,
    ScenarioLike,
    as_mapping,
    assignments,
    count,
    defaults,
    resolve,
)
from sim.store import (
    PARTIAL,
    Folder,
    clean_json,
    held,
    kind_of,
    refuse_existing,
    rows_of,
    stored,
    timestamped,
)

RESULTS = Path("results")  # where commands write when no folder is named
STORY_LIMIT = 20_000  # a trace keeps the first and last 10,000 entries of a story


def run(scenario: ScenarioLike | None = None, runs: int | None = None,
        seed: int | None = None, workers: int = 1, overrides: Overrides = None,
        precision: float | None = None, out: str | Path | None = None,
        plots: bool | None = None, dask: str | None = None,
        progress: Callable[[int], None] | None = None, fresh_name: bool = False,
        resume: str | Path | None = None) -> RunResult:
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
        plots: write PNG plots into the folder (default: yes; a resume: as first asked).
        dask: ``local`` or a Dask scheduler's address: run the replications there.
        progress: called with the number of replications finished, as they finish.
        fresh_name: ``out`` is a proposed name; take ``out-2``, ... if it is taken.
        resume: an interrupted run's folder (``NAME.partial``, or ``NAME``) to finish: its
            verified chunks are kept, the rest run, and the result equals an uninterrupted
            run's. Only ``workers``, ``dask``, ``plots`` and ``progress`` may be given with it
            (the others, if given, must equal the stored request).

    Returns:
        The run's summary, its records, DataFrames and plotting methods.

    Raises:
        ScenarioError: the scenario or an override is not valid.
        UsageError: ``out`` exists already, an argument is out of range, or (with
            ``resume``) differs from the interrupted run's.
        DamagedFile: a stored chunk of ``resume`` is damaged or stray (named).
    """
    if resume is not None:
        prep = resume_run(resume, scenario, overrides, runs, seed, precision, workers, dask,
                          plots, out)
        return execute(prep.model, prep.text, prep.options, progress, prep.folder)
    if scenario is None:
        raise UsageError("run needs a scenario (or <<resume>> FOLDER)")
    model, text, source = resolve(scenario, overrides)
    opts = run_op.options(model, runs, seed, workers, precision, out, plots is not False, dask,
                          fresh_name, source, tuple(assignments(overrides, "overrides")))
    return execute(model, text, opts, progress)


@dataclass(frozen=True)
class Prepared:
    """A run resolved as ``negsim run`` starts it: the scenario, its text, the options, and
    a note when the workers asked for were capped."""

    model: Scenario
    text: str
    options: RunOptions
    note: str = ""
    folder: Folder | None = None  # a resumed run's folder
    kept: int = 0  # replications a resumed run has already (verified)


def prepare(scenario: ScenarioLike, overrides: Overrides = None, runs: int | None = None,
            seed: int | None = None, workers: int | None = None,
            precision: float | None = None, out: str | Path | None = None, plots: bool = True,
            dask: str | None = None) -> Prepared:
    """A run as the command line starts it: a fresh folder under ``results/`` unless ``out``
    names one, and as many workers as the first batch of chunks can use.

    Raises:
        ScenarioError: the scenario or an override is not valid.
        UsageError: an argument out of range (replications before anything is loaded).
    """
    budgets.check_runs(runs or 0)
    model, text, source = resolve(scenario, overrides)
    folder = Path(out) if out else timestamped(RESULTS, model.name)
    opts = run_op.options(model, runs, seed, 1, precision, folder, plots, dask,
                          fresh_name=out is None, source=source,
                          overrides=tuple(assignments(overrides, "overrides")))
    budgets.check_runs(opts.runs)
    w, note = workers_note(workers, run_op.first_tasks(model, opts))
    return Prepared(model, text, dataclasses.replace(opts, workers=w), note)


def execute(scenario: Scenario, text: str, opts: RunOptions,
            progress: Callable[[int], None] | None = None,
            resumed: Folder | None = None) -> RunResult:
    """Run a resolved scenario with its options (see :func:`run`); plots are written into
    the folder before it is renamed complete. ``resumed``: an interrupted run's folder
    (:func:`resume_run`) to finish.

    Raises:
        UsageError: more replications than the budget allows (checked before any work).
    """
    extras = writers.run_files if opts.make_plots else None
    with command_scope():  # one local Dask cluster for every batch
        return RunResult.of(run_op.execute(scenario, text, opts, progress, extras, resumed))


def resume_run(folder: str | Path, scenario: ScenarioLike | None = None,
               overrides: Overrides = None, runs: int | None = None, seed: int | None = None,
               precision: float | None = None, workers: int | None = None,
               dask: str | None = None, plots: bool | None = None,
               out: str | Path | None = None) -> Prepared:
    """An interrupted run (``negsim run --resume``) as it was asked, its stored chunks
    verified; the other arguments, when given, must agree with the stored request.

    Raises:
        UsageError: no interrupted run there, or an argument that differs from its request.
        DamagedFile: a stored chunk or the request is damaged or stray (named).
    """
    model, text, opts, found = run_op.reopen(Path(folder), 1, dask, plots)
    with held(found, on_error_only=True):  # locked until execute() ends
        _agree(found.path, {"runs": runs, "seed": seed, "precision": precision, "out": out},
               {"runs": opts.runs, "seed": opts.seed, "precision": opts.precision,
                "out": opts.out})
        if scenario is not None and resolve(scenario, overrides)[1] != text:
            raise UsageError(f"the scenario given (with its <<overrides>>) is not the one the "
                             f"interrupted run ran (stored in {found.path}); <<resume>> needs "
                             "no scenario")
        if scenario is None and overrides and tuple(assignments(overrides, "overrides")
                                                    ) != opts.overrides:
            raise UsageError(f"<<overrides>> {', '.join(assignments(overrides, 'overrides'))} "
                             f"differ from the interrupted run's "
                             f"({', '.join(opts.overrides) or 'none'}); <<resume>> continues "
                             "it as it was asked")
        kept = rows_of(stored(found.path, opts.chunk, opts.runs), opts.chunk, opts.runs)
        w, note = workers_note(workers, run_op.first_tasks(model, opts, opts.chunk))
    return Prepared(model, text, dataclasses.replace(opts, workers=w), note, found, kept)


def _agree(where: Path, given: Mapping[str, Any], asked: Mapping[str, Any]) -> None:
    """Refuse an argument given with a resume that differs from the stored request."""
    for name, value in given.items():
        if value is None:
            continue
        same = (Path(value) == Path(asked[name]) if name == "out" else value == asked[name])
        if not same:
            raise UsageError(f"<<{name}>> {value}: the interrupted job in {where} was asked "
                             f"for {asked[name]}; <<resume>> continues it as it was asked "
                             f"(leave <<{name}>> out)")


def compare(scenarios: ScenarioLike | Sequence[ScenarioLike] | None = None,
            variants: Sequence[Overrides] | Mapping[str, Any] | str | None = None,
            runs: int | None = None, seed: int | None = None, workers: int = 1,
            precision: float | None = None, out: str | Path | None = None,
            plots: bool | None = None, progress: Callable[[int], None] | None = None,
            fresh_name: bool = False, dask: str | None = None,
            resume: str | Path | None = None) -> CompareResult:
    """Compare scenarios on common random numbers; the first is the baseline.

    Args:
        scenarios: one or more paths, YAML texts or Scenarios; or two or more run folders
            or finished :class:`RunResult` s that have one (compared as stored, paired when
            their seeds and replications match).
        variants: changes of the first scenario, each one more arm (as ``--vs``): a
            ``{dotted.path: value}`` mapping, or a ``PATH=VALUE`` string; a list of them for
            several arms.
        runs, seed, workers, precision: as for :func:`run` (the first scenario's defaults).
        out: write a compare folder here (default: keep the result in memory).
        plots: write PNG plots into the folder (default: yes; a resume: as first asked).
        progress: called with the number of replications finished, as they finish.
        fresh_name: ``out`` is a proposed name; take ``out-2``, ... if it is taken.
        dask: ``local`` or a Dask scheduler's address: run the replications there.
        resume: an interrupted compare's folder (``NAME.partial``, or ``NAME``) to finish:
            its verified chunks are kept, the rest run, and the result equals an
            uninterrupted compare's. Only ``workers``, ``dask``, ``plots`` and ``progress``
            may be given with it (the others, if given, must equal the stored request).

    Raises:
        ScenarioError: a scenario or a variant is not valid.
        UsageError: fewer than two arms, a mix of folders and scenarios, a RunResult
            kept only in memory, or (with ``resume``) an argument that differs from the
            interrupted compare's.
        DamagedFile: a stored chunk of ``resume`` is damaged or stray (named).
    """
    if resume is not None:
        job = resume_compare(resume, scenarios, variants, runs, seed, precision, out)
        return _simulated(job, workers, dask, job.plots if plots is None else plots, progress)
    if scenarios is None:
        raise UsageError("compare needs scenarios (or <<resume>> FOLDER)")
    items = [_stored(x) for x in ([scenarios] if isinstance(scenarios, str | Path | Scenario
                                                              | RunResult) else scenarios)]
    changes = cmp.variants(variants)
    if items and all(cmp.is_folder(x) for x in items):
        if changes:
            raise UsageError("<<vs>> apply to a scenario, not to stored run folders")
        return _of_folders([str(x) for x in items], out, fresh_name, plots is not False)
    arms = cmp.arms(items, changes)
    assert arms[0].model is not None
    n, s = defaults(arms[0].model, runs, seed, least_runs=2)
    folder = Folder(Path(out), "compare", unique=fresh_name) if out is not None else None
    job = cmp.Resumed(arms, n, s, precision, plots is not False, folder)
    if folder is not None:
        try:
            folder.write_request(cmp.request(arms, n, s, precision, job.plots))
        except NegsimError as exc:
            raise _unfinished(exc, folder) from None
    return _simulated(job, workers, dask, job.plots, progress)


def _of_folders(items: list[str], out: str | Path | None, fresh_name: bool,
                plots: bool) -> CompareResult:
    """Stored run folders compared as they are (nothing runs, so nothing is kept on a
    failure: the folder is removed)."""
    folder = Folder(Path(out), "compare", unique=fresh_name) if out is not None else None
    with held(folder):
        try:
            arms, result = cmp.compare_folders(items)
            saved = (cmp.save(arms, result, folder, writers.compare_files if plots else None)
                     if folder is not None else None)
        except (NegsimError, KeyboardInterrupt) as exc:
            if folder is None:
                raise
            raise _unfinished(exc, folder) from None
    return CompareResult(result, cmp.pairs(arms), saved)


def _simulated(job: Any, workers: int, dask: str | None, plots: bool,
               progress: Callable[[int], None] | None) -> CompareResult:
    """Run a compare's arms (a new one, or an interrupted one resumed), its chunks kept in
    its folder as they finish, and save it."""
    folder = job.folder
    with held(folder):  # the folder's lock, released however the compare ends
        try:
            with command_scope():  # one local Dask cluster for every arm and batch
                result = cmp.run_comparison(job.arms, job.runs, job.seed,
                                            Executor(count("workers", workers, 1), dask),
                                            job.precision, progress, folder)
            saved = None
            if folder is not None:
                saved = cmp.save(job.arms, result, folder,
                                 writers.compare_files if plots else None)
        except (NegsimError, KeyboardInterrupt) as exc:
            if folder is None:
                raise
            raise _unfinished(exc, folder) from None
    return CompareResult(result, cmp.pairs(job.arms), saved)


def _unfinished(exc: BaseException, folder: Folder) -> BaseException:
    """A compare stopped by ``exc``: its finished chunks kept (resumable), or, with none,
    its folder removed so the same ``out`` is free; the error to raise says which."""
    stopped = isinstance(exc, KeyboardInterrupt)
    folder.abandon("interrupted" if stopped else f"failed: {exc}")
    lost = isinstance(exc, StorageError) and not isinstance(exc, DamagedFile)
    if not (stopped or lost):
        return exc
    if folder.path.exists():
        tail = (f"the finished chunks are kept in {folder.path}: negsim compare --resume "
                f"{folder.path} continues it")
    else:
        tail = f"nothing was kept: {folder.path} was removed, so the same <<out>> is free"
    if isinstance(exc, NegsimError):
        return type(exc)(f"{exc.template}; {tail}")
    return Interrupted(f"interrupted; {tail}")


def resume_compare(folder: str | Path, scenarios: Any = None, variants: Any = None,
                   runs: int | None = None, seed: int | None = None,
                   precision: float | None = None, out: str | Path | None = None) -> Any:
    """An interrupted compare (``negsim compare --resume``) as it was asked, its stored
    chunks verified; the other arguments, when given, must agree with the stored request.

    Raises:
        UsageError: no interrupted compare there, or an argument that differs from it.
        DamagedFile: a stored chunk or the request is damaged or stray (named).
        ScenarioError: a stored scenario no longer validates.
    """
    job = cmp.reopen(Path(folder))
    found = job.folder
    assert found is not None
    with held(found, on_error_only=True):  # locked until the compare ends
        _agree(found.path, {"runs": runs, "seed": seed, "precision": precision, "out": out},
               {"runs": job.runs, "seed": job.seed, "precision": job.precision,
                "out": found.final})
        if scenarios is not None or variants:
            items = [scenarios] if isinstance(scenarios, str | Path | Scenario) else scenarios
            given = cmp.arms(list(items or []), cmp.variants(variants))
            if [(a.label, a.text) for a in given] != [(a.label, a.text) for a in job.arms]:
                raise UsageError(f"the scenarios given are not the ones the interrupted "
                                 f"compare ran (stored in {found.path}); <<resume>> needs none")
    return job


def first_tasks(job: Any) -> int:
    """The chunks of a compare's first batch: more workers than these would have nothing
    to do."""
    first = Stopping(job.precision, job.runs).first_batch()
    return -(-first // DEFAULT_CHUNK)


def kept_chunks(job: Any) -> int:
    """Replications an interrupted compare has already, over all its arms (verified)."""
    from sim.store import arms_stored

    assert job.folder is not None
    found = arms_stored(job.folder.path, DEFAULT_CHUNK, job.runs, len(job.arms))
    return sum(rows_of(d, DEFAULT_CHUNK, job.runs) for d in found)


def _stored(item: Any) -> Any:
    """A compare input as given, or a finished run's folder.

    Raises:
        UsageError: a run kept only in memory (it has no folder to read its records from).
    """
    if not isinstance(item, RunResult):
        return item
    if item.folder is None:
        raise UsageError(f"a run of {item.summary['scenario']} kept in memory cannot be "
                         "compared: run it with <<out>> to keep a folder, or pass the scenario")
    return item.folder


def compare_start(first: ScenarioLike, runs: int | None, seed: int | None,
                  precision: float | None, requested: int | None,
                  variants: Sequence[str] = ()) -> tuple[int, int, str]:
    """How ``negsim compare`` starts on ``first`` and its variants: replications per arm,
    the workers worth starting (for one arm's first batch: the arms run one after another),
    and a note when the number asked for was capped.

    Raises:
        ScenarioError: ``first``, or ``first`` with one of the ``variants``, is not valid:
            refused before anything is timed or started.
    """
    model, _, _ = resolve(first)
    for variant in variants:
        resolve(first, [variant], via="vs")
    n, s = defaults(model, runs, seed, least_runs=2)
    opts = run_op.options(model, n, s, precision=precision)
    w, note = workers_note(requested, run_op.first_tasks(model, opts, DEFAULT_CHUNK))
    return n, w, note


def compile_kernels(notice: Callable[[], None] | None = None, after: float = 1.0,
                    bargaining: bool = True) -> None:
    """Compile the engine's kernels for this machine, or load them from numba's cache
    (``sim.engine.compile_kernels``; the bargaining kernels only when ``bargaining``); when
    that takes longer than ``after`` seconds (the compiler runs: under a minute, once per
    machine), ``notice`` is called once, from another thread, while it goes on."""
    import threading

    from sim.engine import compile_kernels as compile_now

    timer = threading.Timer(after, notice) if notice is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        compile_now(bargaining)
    finally:
        if timer is not None:
            timer.cancel()


def start_workers(workers: int, dask: str | None = None) -> None:
    """Start, in the background, the process pool's server that ``workers`` processes will
    fork from (:meth:`Executor.start`), so that it is ready by the time a command's pilot is
    done; nothing for one worker or Dask."""
    Executor(workers, dask).start()


def run_time(prep: Prepared) -> str:
    """What ``prep``'s replications imply in time, from a pilot of its first replications
    (empty for a job of a few seconds): ``2,000 replications: about 45 s on 2 workers``."""
    o, left = prep.options, prep.options.runs - prep.kept
    per_run = estimate.per_replication(plan_for(prep.model, o.seed), left)
    return estimate.note(f"{left:,} replications", estimate.seconds(left, per_run, o.workers),
                         o.workers, at_most=o.precision is not None)


def compare_time(first: ScenarioLike, runs: int, arms: int, workers: int,
                 seed: int | None = None, precision: float | None = None) -> str:
    """What a compare of ``arms`` arms of ``runs`` replications implies in time, from a pilot
    of the first scenario (empty for a job of a few seconds)."""
    model, _, _ = resolve(first)
    _, s = defaults(model, runs, seed, least_runs=2)
    per_run = estimate.per_replication(plan_for(model, s), runs)
    return estimate.note(f"{arms} arms × {runs:,} replications",
                         estimate.seconds(arms * runs, per_run, workers), workers,
                         at_most=precision is not None)


def sweep_time(job: Any, workers: int) -> str:
    """What a sweep's unfinished points imply in time, from a pilot of its first unfinished
    point (empty for a job of a few seconds): ``100,000 points × 500 runs: about 3 h 20 min
    on 2 workers``."""
    left, per_point, per_run = swp.pilot(job)
    return estimate.note(f"{left:,} points × {job.runs:,} runs",
                         estimate.seconds(left * job.runs, per_run, workers, left, per_point),
                         workers)


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
    if job is None and resume is not None:
        if scenario is not None or specs or design is not None:
            raise UsageError("resume takes only the sweep folder (and workers/dask)")
        job = resume_sweep(resume)
    elif job is None:
        if scenario is None:
            raise UsageError("sweep needs a scenario (or resume=FOLDER)")
        specs = as_mapping(specs)
        if specs is not None and not isinstance(specs, Mapping):
            raise UsageError(f"<<set>>: expected a mapping {{dotted.path: spec}} such as "
                             f"{{'deadline.credibility': [0.2, 0.5]}}, got {specs!r:.80}")
        job = new_sweep(scenario, [swp.spec_text(p, v) for p, v in (specs or {}).items()],
                        sample, zipped, design, runs, seed, out)
    with held(job.out()):  # the folder's lock, released however the sweep ends
        with command_scope():
            summary = swp.execute(job, count("workers", workers, 1), dask, progress)
        if plots_too:
            writers.sweep_files(job, summary)
        swp.finish(job)
    return SweepResult(summary, list(job.design.paths), job.folder)


def new_sweep(scenario: ScenarioLike, specs: list[str], sample: str, zipped: bool,
              design: str | Path | None, runs: int | None, seed: int | None,
              out: str | Path | None) -> Any:
    """Create a sweep folder for ``PATH=SPEC`` strings (every point validated first)."""
    base, text, source = resolve(scenario)
    n, s = defaults(base, runs, seed)
    folder = Path(out) if out else timestamped(RESULTS, f"sweep-{base.name}")
    return swp.new(base, text, source, specs, sample, zipped,
                   Path(design) if design else None, n, s, folder, unique=out is None)


def resume_sweep(folder: str | Path) -> Any:
    """The interrupted sweep stored in ``folder``, ready to finish."""
    return swp.Sweep.from_folder(Path(folder))


def discover(source: str | Path | RunResult | SweepResult, outcome: str,
             min_coverage: float = 0.8, peel_alpha: float = 0.05, paste_alpha: float = 0.05,
             max_qp: float = 0.05, save: bool = False,
             plot: str | Path | None = None, force: bool = False) -> DiscoverResult:
    """Which ranges of the drawn (run) or swept (sweep) inputs lead to ``outcome`` (PRIM).

    Args:
        source: a run or sweep folder, or a result that has one (``run(..., out=...)``, a
            sweep).
        outcome: an outcome name, or a coarse group (deal_holds, no_deal_holds, escalation).
        min_coverage: choose among boxes covering at least this share of the cases.
        peel_alpha, paste_alpha: the share peeled off, and pasted back, per step.
        max_qp: drop restrictions whose quasi-p value exceeds this.
        save: store ``discover-OUTCOME.json`` and its plot in the folder (for the report).
        plot: where to write the plot when saving (default: beside the JSON); a file that
            exists is overwritten only with ``force``.
        force: replace a stored discovery of the outcome made with other settings, and an
            existing plot file.

    Raises:
        UsageError: no folder, a bad outcome, no replication ended in ``outcome``, or (when
            saving) a stored discovery with other settings and no ``force``, or a ``plot``
            that cannot be written (refused before any work).
        StorageError: a file cannot be written when saving; the folder is left as it was.
    """
    folder = source.folder if isinstance(source, RunResult | SweepResult) else source
    if folder is None:
        raise UsageError("discover reads a run or sweep folder: run with <<out>> to keep one")
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder; expected a negsim run or sweep folder")
    if save and plot is not None:
        refuse_existing(Path(plot), force)
    settings = dsc.Settings(min_coverage=min_coverage, peel_alpha=peel_alpha,
                            paste_alpha=paste_alpha, max_qp=max_qp)
    data = dsc.discover(folder, outcome, settings)
    stored: list[Path] = []
    if save:
        image = Path(plot) if plot else folder / f"discover-{data['outcome']}.png"
        stored = dsc.save(folder, data, image, force, writers.discovery_file)  # all or nothing
    return DiscoverResult(data, stored)


def trace(scenario: ScenarioLike, seed: int | None = None, replication: int | None = None,
          outcome: str | None = None, overrides: Overrides = None,
          ready: Callable[[], None] | None = None) -> TraceResult:
    """One replication told as a dated story: ``replication``, or a representative one
    ending in ``outcome`` (not both). ``ready`` is called once the inputs are accepted,
    before anything is played (the command line loads the kernels there).

    Raises:
        ScenarioError: the scenario or an override is not valid.
        UsageError: both replication and outcome given, or an outcome that cannot occur.
    """
    if replication is not None and outcome is not None:
        raise UsageError("give <<replication>> or <<outcome>>, not both")
    model, _, _ = resolve(scenario, overrides)
    plan = Plan(model, None if seed is None else count("seed", seed, 0))
    if outcome is None:
        index = count("replication", replication or 0, 0)
    if ready is not None:
        ready()
    if outcome is not None:
        index = representative(plan, outcome)
    world = play(plan, index, tracing=True, story_limit=STORY_LIMIT)
    return TraceResult(world, story_lines(world))


def tornado(scenario: ScenarioLike, levers: Sequence[str] | Mapping[str, Any] | None = None,
            outcome: str | None = None, runs: int | None = None, seed: int | None = None,
            workers: int = 1, out: str | Path | None = None, force: bool = False,
            plots: bool = True, progress: Callable[[int], None] | None = None,
            fresh_name: bool = False, dask: str | None = None) -> TornadoResult:
    """One-at-a-time sensitivity on common random numbers (``negsim tornado``).

    Every distribution in the scenario (and every lever named) is fixed in turn at its 10th
    and its 90th percentile while the other inputs stay drawn; each arm's outcome
    probabilities, P(deal) and median deal day are differenced, replication by replication,
    from the base run's.

    Args:
        scenario: a path, a shipped scenario's name, YAML text or a Scenario.
        levers: more inputs to move: ``PATH=LOW,HIGH`` strings (or ``{PATH: [low, high]}``),
            or ``PATH={uniform: [a, b]}`` whose percentiles are used.
        outcome: the measure the ranking and chart use: an outcome name, ``deal`` or
            ``median_deal_day`` (default: the base run's most frequent outcome short of
            certain).
        runs, seed, workers, dask: as for :func:`run` (per arm).
        out: write a tornado folder here (tornado.json, tornado.png, manifest.json).
        force: replace an existing tornado folder at ``out`` (never another kind).
        plots: write tornado.png into the folder.
        progress: called with the number of replications finished, as they finish.
        fresh_name: ``out`` is a proposed name; take ``out-2``, ... if it is taken.

    Raises:
        ScenarioError: the scenario or a lever's path or values are not valid.
        UsageError: nothing to move, an unknown ``outcome``, or ``out`` exists (without
            ``force``, or not a tornado folder).
    """
    from sim.operations import tornado as trn
    from sim.output import tornado as view

    named = _lever_texts(levers)
    model, text, _ = resolve(scenario)
    n, s = defaults(model, runs, seed, least_runs=2)
    moved = trn.levers(model, named)
    trn.check_measure(model, outcome)
    executor = Executor(count("workers", workers, 1), dask)
    folder = _tornado_folder(Path(out), force, fresh_name) if out is not None else None
    with held(folder):
        try:
            data = trn.run_tornado(model, moved, n, s, executor, progress)
            result = view.TornadoResult(data, outcome or trn.default_measure(data))
            trn.ranked(data, result.measure)  # an unknown outcome is refused before writing
            if folder is not None:
                result.folder = view.save(result, text, folder, plots)
        except (NegsimError, KeyboardInterrupt):
            if folder is not None:
                folder.abandon("failed")
            raise
    return result


def tornado_levers(scenario: ScenarioLike, levers: Sequence[str] | Mapping[str, Any] | None
                   = None) -> list[str]:
    """The dotted paths a tornado of ``scenario`` moves (to size its progress bar).

    Raises:
        ScenarioError, UsageError: as :func:`tornado` would for the same levers.
    """
    from sim.operations import tornado as trn

    model, _, _ = resolve(scenario)
    return [lever.path for lever in trn.levers(model, _lever_texts(levers))]


def _lever_texts(levers: Sequence[str] | Mapping[str, Any] | None) -> list[str]:
    """``PATH=...`` strings for levers given as strings or as a mapping."""
    levers = as_mapping(levers)
    if levers is None:
        return []
    if isinstance(levers, Mapping):
        return [f"{p}={_flow_pair(v)}" for p, v in levers.items()]
    if isinstance(levers, str):
        return [levers]
    return [str(x) for x in levers]


def _flow_pair(value: Any) -> str:
    from sim.scenario.yamlload import flow

    return flow(value)


def _tornado_folder(out: Path, force: bool, fresh_name: bool) -> Folder:
    """The folder to write, an existing tornado folder removed first with ``force``.

    Raises:
        UsageError: ``out`` exists and is not a tornado folder, or ``force`` is not set.
    """
    if force and out.is_dir() and not out.is_symlink() and kind_of(out) == "tornado":
        import shutil

        shutil.rmtree(out)
    return Folder(out, "tornado", unique=fresh_name)


def report(folder: str | Path, out: str | Path | None = None, force: bool = False) -> Path:
    """Write the HTML report of a run, compare or sweep folder; returns its path.

    Args:
        folder: The results folder (verified first, see :func:`verify`).
        out: The HTML file (default: ``FOLDER/report.html``).
        force: use an incomplete folder; overwrite ``out`` and its side files.

    Raises:
        UsageError: not a folder, an incomplete one, or ``out`` (or a side file) exists,
            without ``force``.
        DamagedFile: the folder fails verification.
    """
    from sim.output import report as rpt

    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder; expected a negsim run, compare or sweep folder")
    check_complete(folder, force)
    verify(folder)
    return rpt.write(folder, Path(out) if out else None, force)


def verify(folder: str | Path) -> dict[str, Any]:
    """Check a results folder: every file against the size and SHA-256 its manifest
    recorded, and its numbers against each other (``negsim verify``).

    Returns:
        ``{"folder", "kind", "files": files checked against the manifest, "complete": bool}``.

    Raises:
        UsageError: not a negsim results folder.
        DamagedFile: a file is missing, changed, planted or inconsistent (named).
    """
    from sim.operations import verification

    folder = Path(folder)
    partial = folder.with_name(folder.name + PARTIAL)
    if not folder.is_dir() and partial.is_dir():
        folder = partial  # an interrupted run or compare, named by its final name
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder; expected a negsim run, compare or sweep folder")
    return verification.verify(folder)


def check_complete(folder: str | Path, force: bool = False) -> None:
    """Refuse an incomplete (``.partial``) folder unless ``force``.

    Raises:
        UsageError: the folder is incomplete and ``force`` is not set.
    """
    folder = Path(folder)
    if folder.name.endswith(PARTIAL) and not force:
        raise UsageError(f"{folder} is an incomplete run (see its INCOMPLETE file); run it "
                         "again, or pass --force to use what it holds")


def results_folder(name: str) -> Path:
    """A fresh, time-stamped folder name under ``results/``."""
    return timestamped(RESULTS, name)


def to_json(data: Any) -> str:
    """``data`` as indented JSON text, non-finite numbers as null."""
    return json.dumps(clean_json(data), indent=2)


def locate(name: str) -> str:
    """A scenario argument: an existing file, else the shipped scenario of that name."""
    return shipped.resolve(name)


def shipped_scenarios() -> list[tuple[str, str]]:
    """The shipped scenarios' names and titles (a title says when a file does not load)."""
    from sim.scenario import load

    out = []
    for name, path in shipped.names().items():
        try:
            out.append((name, load(path).title))
        except NegsimError:
            out.append((name, "(does not validate)"))
    return out


def init(name: str, start: str | None = None) -> Path:
    """Write ``NAME.yaml`` here: a small commented starting scenario, or a copy of the
    shipped scenario ``start`` (never overwrites); its path."""
    return shipped.init(name, start)


def schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format."""
    from sim.scenario import json_schema

    return json_schema()


def workers_note(requested: int | None, tasks: int) -> tuple[int, str]:
    """Workers for ``tasks`` points or chunks: the number of cores when none is asked for, at
    most ``tasks`` (a pool for one task would start its server, its imports and on a fresh
    installation the compiler for nothing), else ``requested`` capped, with a note when it
    was."""
    if requested is None:
        return min(default_workers(), max(1, tasks)), ""
    return budgets.cap_workers(requested, tasks)


__all__ = ["run", "compare", "sweep", "trace", "discover", "tornado", "TornadoResult",
           "execute", "prepare", "report",
           "RunResult", "RunOptions", "CompareResult", "SweepResult", "TraceResult",
           "DiscoverResult", "default_workers"]
