"""The ``negsim`` command line. Only this module prints errors and chooses exit codes."""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

import sim
from sim.errors import NegsimError, UsageError, interrupts
from sim.output.text import for_rich, for_terminal


class _Named(click.Path):
    """A file or folder a command reads or writes: a path with a name (``--out ''`` would
    be the current folder, which is never what was meant)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> Any:
        # One line like every other refusal, not click's three-line usage error.
        flag = ("the path" if param is None else param.human_readable_name
                if isinstance(param, click.Argument) else max(param.opts, key=len))
        if isinstance(value, str) and not value.strip():
            click.echo(f"negsim: {flag}: the name is empty; give a file or folder name",
                       err=True)
            raise click.exceptions.Exit(2)
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as exc:  # a folder where a file was expected, and the like
            what = "a file" if not self.dir_okay else "a folder" if not self.file_okay else ""
            expected = f"; expected {what}" if what else ""
            message = for_terminal(exc.message.rstrip("."))
            click.echo(f"negsim: {flag}: {message}{expected}", err=True)
            raise click.exceptions.Exit(2) from None


_OUT = _Named(path_type=Path)


def _handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            signal.signal(signal.SIGTERM, _terminated)  # SIGTERM ends a command like Ctrl-C
            with interrupts():
                return fn(*args, **kwargs)
        except NegsimError as exc:
            message = for_terminal(exc.cli_text())  # flags, where the library names arguments
            click.echo(f"negsim: {message}" if "\n" not in message else message, err=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            click.echo("negsim: interrupted", err=True)
            code = 130
        except OSError as exc:  # an environment failure no layer below anticipated
            if exc.filename is None and exc.errno in _OUTPUT_ERRORS:
                code = _output_failed(exc)
            else:
                where = f"{exc.filename}: " if exc.filename else ""
                click.echo(f"negsim: {for_terminal(where)}{exc.strerror or exc}", err=True)
                code = 1
        except MemoryError:
            click.echo("negsim: out of memory; use fewer replications, points or terms",
                       err=True)
            code = 1
        # Exit outside the handler: an exit raised inside it would carry the error, and with it
        # the failed frames (a Parquet writer, a pool), into the interpreter's final teardown,
        # where native libraries' threads may abort the process (exit -6 instead of 1).
        _exit(code)

    return wrapper


_OUTPUT_ERRORS = (errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EFBIG)


def _output_failed(exc: OSError) -> int:
    """Standard output cannot be written: a closed pipe (``| head``) ends quietly, like any
    tool (0); a full device (``> /dev/full``) in one line (1). Output is then discarded, so
    that Python's own flush at exit adds nothing."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if exc.errno == errno.EPIPE:
        return 0
    click.echo(f"negsim: cannot write the output: {exc.strerror or exc}", err=True)
    return 1


def _exit(code: int) -> None:
    """Exit once what failed is released; when stopped (130), at once: what finished is
    stored and the message printed, and a Dask cluster's clean-up at exit would wait on its
    dropped tasks."""
    gc.collect()  # native objects of the failed work go while their libraries are alive
    if code == 130:
        from multiprocessing import util

        util._exit_function()  # type: ignore[attr-defined]  # what atexit would: pools, semaphores
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM: stop as Ctrl-C does (finished work kept, folders marked "interrupted")."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough while shutting down
    raise KeyboardInterrupt


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="negsim")
def main() -> None:
    """negsim: simulate negotiations under a deadline and the truces they start.

    \b
    Example:
      negsim validate scenarios/kerry_moscow_2016.yaml
    """


@main.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...|NAME",
                type=_Named(dir_okay=False))
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per file: ok, and each problem with its line.")
@_handle_errors
def validate(files: tuple[str, ...], as_json: bool) -> None:
    """Check scenario FILES (or shipped scenarios by NAME); print OK or every problem with
    its line.

    \b
    Example:
      negsim validate scenarios/*.yaml scenarios/examples/*.yaml
      negsim validate kerry_moscow_2016 --json
    Exit code 0 when all are valid, 2 otherwise.
    """
    checked = [_check(path) for path in files]
    if as_json:
        click.echo(json.dumps(checked, indent=2))
    sys.exit(0 if all(c["ok"] for c in checked) else 2)


def _check(path: str) -> dict[str, Any]:
    """Validate one scenario, printing its verdict unless JSON was asked for."""
    as_json = click.get_current_context().params.get("as_json", False)
    try:
        sim.load(path)
    except NegsimError as exc:
        if not as_json:
            click.echo(for_terminal(exc), err=True)
        problems = getattr(exc, "problems", None) or []
        return {"file": path, "ok": False,
                "problems": [{"file": p.file, "line": p.line, "column": p.column,
                              "path": p.path, "message": p.message} for p in problems]
                or [{"message": str(exc)}]}
    if not as_json:
        click.echo(f"OK {for_terminal(path)}")
    return {"file": path, "ok": True, "problems": []}


@main.command()
@_handle_errors
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors).

    \b
    Example:
      negsim schema > schema/scenario.schema.json
    """
    from sim import api

    click.echo(json.dumps(api.schema(), indent=2))


def _force_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--force", is_flag=True,
                        help="Read an incomplete (.partial) run folder anyway.")(fn)


def _set_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--set", "assignments", multiple=True, metavar="PATH=VALUE",
        help="Change a scenario parameter, e.g. --set actors.russia.leverage.assad=0.9 "
        "(repeatable; validated like the file).")(fn)


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=_Named(dir_okay=False))
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Seed (default: the scenario's).")
@click.option("--replication", "-r", type=click.IntRange(min=0), default=None,
              help="Replication index to tell (default 0).")
@click.option("--outcome", default=None, metavar="NAME",
              help="Tell a representative replication ending this way (an outcome name).")
@click.option("--json", "as_json", is_flag=True, help="Print the story as JSON.")
@_set_option
@_handle_errors
def trace(scenario_file: str, seed: int | None, replication: int | None, outcome: str | None,
          as_json: bool, assignments: tuple[str, ...]) -> None:
    """Tell one replication of SCENARIO as a dated story.

    \b
    Example:
      negsim trace scenarios/kerry_moscow_2016.yaml --seed 3
      negsim trace scenarios/kerry_moscow_2016.yaml --seed 3 --outcome truce_collapsed
    """
    from sim import api

    told = api.trace(_scenario_arg(scenario_file), seed, replication, outcome, list(assignments),
                     ready=_kernels)
    world = told.world
    if as_json:
        click.echo(json.dumps(told.to_json(), indent=2))
        return
    scenario, plan, index = world.plan.scenario, world.plan, world.record.replication
    click.echo(f"{for_terminal(scenario.title)} — seed {plan.seed}, replication {index}")
    for line in told.lines:
        click.echo(for_terminal(line))


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", required=False,
                type=_Named(dir_okay=False))
@click.option("-n", "--runs", type=click.IntRange(min=1), default=None,
              help="Replications (default: the scenario's runs); the cap with --precision.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Seed (default: the scenario's).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None,
              help="Processes (default: the number of cores, at most one per chunk of the first "
              "batch). Results do not depend on it.")
@click.option("--dask", "dask_address", default=None, metavar="local|tcp://HOST:PORT",
              help="Run on a Dask cluster (a new LocalCluster, or a scheduler's address).")
@click.option("--precision", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop once every outcome probability's 95% half-width is at most this.")
@_set_option
@click.option("--out", type=_OUT, default=None,
              help="Run folder to write (default: results/NAME-YYYYmmdd-HHMMSS).")
@click.option("--resume", "resume_dir", type=_Named(path_type=Path), default=None,
              help="Finish an interrupted run (its NAME.partial folder, or NAME): finished "
              "chunks are verified and kept, the rest run.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json on stdout.")
@click.option("--plots/--no-plots", default=None,
              help="Write PNG plots in the run folder (default: yes; a resume: as first asked).")
@_handle_errors
def run(scenario_file: str | None, runs: int | None, seed: int | None, workers: int | None,
        dask_address: str | None, precision: float | None, assignments: tuple[str, ...],
        resume_dir: Path | None, out: Path | None, as_json: bool, plots: bool | None) -> None:
    """Run SCENARIO many times and report the distribution of outcomes.

    SCENARIO is a YAML file or the name of a shipped scenario; without SCENARIO, list the
    shipped scenarios. Tables fit the terminal (set COLUMNS to change the width).

    \b
    Example:
      negsim run kerry_moscow_2016 -n 2000
      negsim run scenarios/kerry_moscow_2016.yaml -n 5000 --seed 7
      negsim run scenarios/kerry_moscow_2016.yaml --precision 0.01 -n 50000
      negsim run scenarios/kerry_moscow_2016.yaml --set actors.russia.leverage.assad=0.9
      negsim run --resume results/kerry_moscow_2016-20261125-101500.partial
    """
    from sim import api  # matplotlib and pyarrow load only when running
    from sim.output import render

    if resume_dir is not None:
        prep = api.resume_run(resume_dir, _scenario_arg(scenario_file) if scenario_file else None,
                              list(assignments) or None, runs, seed, precision, workers,
                              dask_address, plots, out)
        click.echo(f"resuming {for_terminal(prep.folder.path if prep.folder else resume_dir)}: "
                   f"{prep.kept:,} of {prep.options.runs:,} replications already done",
                   err=True)
    elif scenario_file is None:
        shipped = api.shipped_scenarios()
        if not shipped:
            raise UsageError("give a SCENARIO file; this installation ships no scenarios")
        if as_json:
            click.echo(json.dumps([{"name": n, "title": t} for n, t in shipped], indent=2))
            return
        for name, title in shipped:
            click.echo(f"{for_terminal(name):34s} {for_terminal(title)}")
        return
    else:
        prep = api.prepare(_scenario_arg(scenario_file), list(assignments), runs, seed,
                           workers, precision, out, plots is not False, dask_address)
    _note(prep.note)
    # A pool's fork server and a cluster's workers load every kernel, so the executor
    # compiles them all before it starts them; here first, the notice covers that compile too
    talks = (prep.model.negotiation is not None or prep.options.workers > 1
             or prep.options.dask is not None)
    _kernels(talks)
    api.start_workers(prep.options.workers, prep.options.dask)  # overlaps the pilot
    _note(api.run_time(prep))
    result = _with_progress(prep.options.runs, lambda tick: api.execute(
        prep.model, prep.text, prep.options, tick, prep.folder), talks)
    if as_json:
        click.echo(api.to_json({**result.summary, "folder": str(result.folder)}))
        return
    console = Console()
    console.print(render.outcomes_table(result.summary, console.width))
    for line in render.legend(list(result.summary["outcomes"])):
        console.print(line, highlight=False)
    console.print(render.metrics_table(result.summary, console.width))
    for line in render.extras_lines(result.summary):
        console.print(line)
    console.print(f"run folder: {for_rich(result.folder)}")


def _scenario_arg(arg: str) -> str:
    """A SCENARIO argument: an existing file, else the shipped scenario of that name."""
    from sim import api

    return api.locate(arg)


def _note(note: str) -> None:
    if note:
        click.echo(note, err=True)


COMPILING_AFTER = 2.0
"""Seconds of getting the kernels ready after which the compiler must be running (loading
them from numba's cache takes a fraction of a second): then a line says so."""


def _kernels(bargaining: bool = True) -> None:
    """The engine's compiled kernels ready before a job or its pilot (the bargaining ones only
    when ``bargaining``: a scenario without talks never needs them), with a line on stderr
    when the compiler runs (a machine's first run, unless ``make`` compiled them)."""
    from sim import api

    api.compile_kernels(lambda: click.echo(
        "negsim: compiling the engine's kernels for this machine, once (under a minute)",
        err=True), after=COMPILING_AFTER, bargaining=bargaining)


@main.command()
@click.argument("name")
@click.option("--from", "start", default=None, metavar="SHIPPED",
              help="Copy this shipped scenario instead (see negsim run), e.g. "
              "kerry_moscow_2016.")
@_handle_errors
def init(name: str, start: str | None) -> None:
    """Write NAME.yaml here: a small commented starting scenario (two parties, one term, a
    deadline, a truce) or a copy of a shipped one, renamed NAME, whose first line points
    editors at the installed JSON Schema. Never overwrites a file.

    \b
    Example:
      negsim init my_talks
      negsim init my_strike --from examples/labour_strike
    """
    from sim import api

    path = api.init(name, start)
    click.echo(f"wrote {path} (from {start or 'the starting scenario'}); check it with: "
               f"negsim validate {path.name}")


class _RateColumn(TextColumn):
    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: Any) -> Any:
        from rich.text import Text

        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "…/s")


def _with_progress(total: int, job: Callable[[Callable[[int], None]], Any],
                   bargaining: bool = True) -> Any:
    """Run ``job`` with a progress bar (rate, ETA) on stderr when stderr is a terminal
    (redirected, a bar is noise, and it would leave a blank line before an error), the
    kernels it needs compiled first (:func:`_kernels`)."""
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TaskProgressColumn(), _RateColumn(),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    _kernels(bargaining)
    console = Console(stderr=True)
    if not console.is_terminal:
        return job(_Lines(total))
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("replications", total=total)
        return job(lambda n: bar.advance(task, n))


class _Lines:
    """Progress when stderr is not a terminal (a log, a batch job): a line every
    ``every`` seconds, none for a job shorter than that."""

    def __init__(self, total: int, every: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.every, self.clock, self.done = total, every, clock, 0
        self.start = self.last = clock()

    def __call__(self, n: int) -> None:
        self.done += n
        now = self.clock()
        if now - self.last < self.every or not self.done:
            return
        self.last, took = now, now - self.start
        left = took * (self.total - self.done) / self.done
        click.echo(f"negsim: {self.done:,} of {self.total:,} replications "
                   f"({self.done / max(self.total, 1):.0%}), {took:,.0f} s so far, about "
                   f"{left:,.0f} s left", err=True)


@main.command()
@click.argument("inputs", nargs=-1, type=_Named(),
                metavar="A B [C ...] | A --vs PATH=VALUE | RUN_DIR RUN_DIR")
@click.option("--vs", "variants", multiple=True, metavar="PATH=VALUE",
              help="Compare the first scenario with a copy changed by PATH=VALUE (repeatable; "
              "each --vs is one variant).")
@click.option("-n", "--runs", type=click.IntRange(min=2), default=None,
              help="Replications per scenario (default: the first scenario's runs).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="One seed for all (default: the first scenario's).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None, help="Processes.")
@click.option("--dask", "dask_address", default=None, metavar="local|tcp://HOST:PORT",
              help="Run on a Dask cluster (a new LocalCluster, or a scheduler's address).")
@click.option("--precision", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop once every paired difference's 95% half-width is at most this.")
@click.option("--out", type=_OUT, default=None,
              help="Compare folder to write (default: results/compare-YYYYmmdd-HHMMSS).")
@click.option("--resume", "resume_dir", type=_Named(path_type=Path), default=None,
              help="Finish an interrupted compare (its NAME.partial folder, or NAME): "
              "finished chunks are verified and kept, the rest run.")
@click.option("--json", "as_json", is_flag=True, help="Print compare.json on stdout.")
@click.option("--plots/--no-plots", default=None,
              help="Write PNG plots (default: yes; a resume: as first asked).")
@_force_option
@_handle_errors
def compare(inputs: tuple[str, ...], variants: tuple[str, ...], runs: int | None,
            seed: int | None, workers: int | None, dask_address: str | None,
            precision: float | None, out: Path | None, resume_dir: Path | None,
            as_json: bool, plots: bool | None, force: bool) -> None:
    """Compare scenarios on common random numbers; the first is the baseline.

    Each replication i of every scenario uses the same random streams, so differences are
    paired: far narrower intervals than independent runs would give. Per outcome: the paired
    difference with a 95% interval and McNemar's test; per metric: the mean paired
    difference. Stars are Holm-corrected over every outcome and metric of the compare.

    \b
    Example:
      negsim compare scenarios/kerry_moscow_2016.yaml scenarios/no_carrot.yaml \\
        scenarios/generous_carrot.yaml
      negsim compare scenarios/kerry_moscow_2016.yaml --vs actors.russia.leverage.assad=0.9
      negsim compare results/run-a results/run-b
      negsim compare --resume results/compare-20261125-102000.partial
    """
    from sim import api
    from sim.output import render

    if resume_dir is not None:
        outcome = _resume_compare(resume_dir, inputs, variants, runs, seed, workers,
                                  dask_address, precision, out, plots)
    else:
        outcome = _new_compare(inputs, variants, runs, seed, workers, dask_address, precision,
                               out, plots, force)
    result, folder = outcome.data, outcome.folder
    if as_json:
        click.echo(api.to_json({**result, "folder": str(folder)}))
        return
    console = Console()
    for table in render.compare_tables(result, console.width):
        console.print(table)
    console.print(result["family"]["text"])
    if "precision" in result:
        console.print(render.precision_line(result, "half-width of a paired difference"))
    console.print("gain (pairing gain) = variance of an unpaired difference / variance of the "
                  "paired one")
    console.print(f"compare folder: {for_rich(folder)}")


def _resume_compare(resume_dir: Path, inputs: tuple[str, ...], variants: tuple[str, ...],
                    runs: int | None, seed: int | None, workers: int | None,
                    dask_address: str | None, precision: float | None, out: Path | None,
                    plots: bool | None) -> Any:
    """``compare --resume``: the interrupted compare as it was asked, only what is missing
    run."""
    from sim import api

    job = api.resume_compare(resume_dir, [_scenario_arg(p) for p in inputs] or None,
                             [[v] for v in variants] or None, runs, seed, precision, out)
    kept, total = api.kept_chunks(job), job.runs * len(job.arms)
    click.echo(f"resuming {for_terminal(job.folder.path)}: {kept:,} of {total:,} replications "
               "already done", err=True)
    w, note = api.workers_note(workers, api.first_tasks(job))
    _note(note)
    return _with_progress(total, lambda tick: api.compare(
        resume=job.folder.path, workers=w, dask=dask_address, plots=plots, progress=tick))


def _new_compare(inputs: tuple[str, ...], variants: tuple[str, ...], runs: int | None,
                 seed: int | None, workers: int | None, dask_address: str | None,
                 precision: float | None, out: Path | None, plots: bool | None,
                 force: bool) -> Any:
    """A compare of scenarios (and variants) or of run folders."""
    from sim import api

    inputs = tuple(_scenario_arg(p) for p in inputs)
    missing = [p for p in inputs if not Path(p).exists()]
    if missing:
        raise UsageError(f"{missing[0]}: file not found")
    if len(inputs) + len(variants) < 2:
        raise UsageError("compare needs at least two scenarios (files, --vs variants, or "
                         "folders)")
    folders = [Path(p).is_dir() for p in inputs]
    where: dict[str, Any] = {"out": out or api.results_folder("compare"),
             "fresh_name": out is None, "plots": plots}
    if any(folders):
        if not all(folders) or variants:
            raise UsageError("give either scenario files (with optional --vs) or run folders, "
                             "not a mix")
        given = [flag for flag, value in (("-n", runs), ("--seed", seed),
                                          ("--precision", precision)) if value is not None]
        if given:  # never ignored silently
            raise UsageError(f"{given[0]}: a compare of run folders uses every replication "
                             "they stored, on their seeds; leave it out")
        for p in inputs:
            api.check_complete(p, force)
        outcome = api.compare(list(inputs), **where)
        if "warning" in outcome.data:
            click.echo(f"warning: {for_terminal(outcome.data['warning'])}, with wider "
                       "intervals", err=True)
    else:
        n, w, note = api.compare_start(inputs[0], runs, seed, precision, workers, variants)
        _note(note)
        _kernels()
        api.start_workers(w, dask_address)  # overlaps the pilot
        _note(api.compare_time(inputs[0], n, len(inputs) + len(variants), w, seed, precision))
        outcome = _with_progress(n * (len(inputs) + len(variants)), lambda tick: api.compare(
            list(inputs), [[v] for v in variants], n, seed, w, precision,
            progress=tick, dask=dask_address, **where))
    return outcome


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", type=_Named(dir_okay=False))
@click.option("--set", "levers", multiple=True, metavar="PATH=LOW,HIGH",
              help="Also move this input: between the two values named, or "
              "PATH='{uniform: [a, b]}' at that distribution's 10th and 90th percentiles "
              "(repeatable; replaces the scenario's own distribution at PATH).")
@click.option("--outcome", default=None, metavar="NAME",
              help="Rank and chart by this: an outcome, deal or median_deal_day (default: "
              "the base run's most frequent outcome short of certain).")
@click.option("-n", "--runs", type=click.IntRange(min=2), default=None,
              help="Replications per arm (default: the scenario's runs).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="One seed for every arm (default: the scenario's).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None, help="Processes.")
@click.option("--out", type=_OUT, default=None,
              help="Tornado folder to write (default: results/tornado-NAME-YYYYmmdd-HHMMSS).")
@click.option("--force", is_flag=True, help="Replace the tornado folder --out if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print tornado.json on stdout.")
@click.option("--plots/--no-plots", default=True, help="Write tornado.png.")
@_handle_errors
def tornado(scenario_file: str, levers: tuple[str, ...], outcome: str | None,
            runs: int | None, seed: int | None, workers: int | None, out: Path | None,
            force: bool, as_json: bool, plots: bool) -> None:
    """Which judgements drive the answer: each uncertain input moved alone.

    Every distribution in the scenario (and every --set lever) is fixed in turn at its 10th
    and its 90th percentile while the other inputs stay drawn; all arms run on common random
    numbers, so each difference from the base run is paired. Prints the inputs by swing
    (difference at the 90th minus at the 10th percentile) and writes a tornado chart.

    \b
    Example:
      negsim tornado kerry_moscow_2016 -n 1000
      negsim tornado kerry_moscow_2016 \\
        --set negotiation.parties.us.weights.intel_sharing=-0.35,-0.15
    """
    from sim import api
    from sim.output import tornado as view

    path = _scenario_arg(scenario_file)
    n, w, note = api.compare_start(path, runs, seed, None, workers)
    _note(note)
    folder = out or api.results_folder(f"tornado-{Path(path).stem}")
    result = _with_progress(n * (1 + 2 * len(api.tornado_levers(path, list(levers)))),
                            lambda tick: api.tornado(
        path, list(levers), outcome, n, seed, w, folder, force, plots, tick,
        fresh_name=out is None))
    if as_json:
        click.echo(api.to_json({**result.data, "rank_by": result.measure,
                                "folder": str(result.folder)}))
        return
    console = Console()
    console.print(view.terminal_table(result, console.width))
    for line in view.note_lines(result):
        console.print(line)
    console.print(f"tornado folder: {for_rich(result.folder)}")


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", required=False,
                type=_Named(dir_okay=False))
@click.option("--set", "specs", multiple=True, metavar="PATH=SPEC",
              help="A swept parameter: a,b,c | lo:hi:steps | lo..hi (samplers). Repeatable.")
@click.option("--zip", "zipped", is_flag=True, help="Vary the lists in lockstep, not as a grid.")
@click.option("--design", "design_csv", type=_Named(path_type=Path), default=None,
              help="Explicit points: a CSV whose header names the paths.")
@click.option("--sample", default=None, metavar="grid|lhs:N|sobol:N",
              help="How to choose points: a grid (default) or samples from lo..hi ranges "
              "(scipy.stats.qmc, seeded).")
@click.option("-n", "--runs", type=click.IntRange(min=1), default=None,
              help="Replications per point (default: the scenario's runs).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed for all points.")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None, help="Processes.")
@click.option("--dask", "dask_address", default=None, metavar="local|tcp://HOST:PORT",
              help="Run the points on a Dask cluster (a new LocalCluster, or a scheduler).")
@click.option("--resume", "resume_dir", type=_Named(path_type=Path), default=None,
              help="Continue an interrupted sweep folder; finished points are not recomputed.")
@click.option("--out", type=_OUT, default=None,
              help="Sweep folder (default: results/sweep-NAME-YYYYmmdd-HHMMSS).")
@click.option("--json", "as_json", is_flag=True, help='Print {"points": [...], ...} on stdout.')
@click.option("--plots/--no-plots", default=True, help="Write PNG plots.")
@_handle_errors
def sweep(scenario_file: str | None, specs: tuple[str, ...], zipped: bool,
          design_csv: Path | None, sample: str | None, runs: int | None, seed: int | None,
          workers: int | None, dask_address: str | None, resume_dir: Path | None,
          out: Path | None, as_json: bool, plots: bool) -> None:
    """Sweep parameters of SCENARIO; every point runs on the same random streams.

    \b
    Example:
      negsim sweep scenarios/kerry_moscow_2016.yaml -n 500 \\
        --set actors.russia.leverage.assad=0:1:6 \\
        --set negotiation.parties.russia.weights.intel_sharing=0.2,0.35,0.5,0.65
      negsim sweep scenarios/kerry_moscow_2016.yaml --sample sobol:64 -n 200 \\
        --set actors.russia.leverage.assad=0.2..0.9 --set deadline.credibility=0..0.5
      negsim sweep --resume results/sweep-kerry_moscow_2016-20261125-101500
    """
    from sim import api

    if resume_dir is not None:
        given = [name for name, value in (("SCENARIO", scenario_file), ("--set", specs),
                                          ("--design", design_csv), ("-n", runs),
                                          ("--seed", seed), ("--out", out),
                                          ("--sample", sample), ("--zip", zipped)) if value]
        if given:
            raise UsageError(f"--resume takes only the sweep folder (and --workers/--dask); "
                             f"the stored sweep fixes {', '.join(given)}")
        job = api.resume_sweep(resume_dir)
        click.echo(f"resuming {resume_dir}: {len(job.done())} of {len(job.design.points)} "
                   "points already done", err=True)
    else:
        if scenario_file is None:
            raise UsageError("give a SCENARIO (or --resume SWEEP_DIR)")
        job = api.new_sweep(_scenario_arg(scenario_file), list(specs), sample or "grid",
                            zipped, design_csv, runs, seed, out)
    left = len(job.design.points) - len(job.done())
    w, note = api.workers_note(workers, left)
    _note(note)
    _kernels()
    api.start_workers(w, dask_address)  # overlaps the pilot
    _note(api.sweep_time(job, w))
    result = _with_progress(left * job.runs, lambda tick: api.sweep(
        job=job, workers=w, dask=dask_address, plots_too=plots, progress=tick))
    summary = result.data
    if as_json:
        click.echo(api.to_json({**summary, "folder": str(job.folder)}))
        return
    _print_sweep(job, summary)


def _print_sweep(job: Any, summary: dict[str, Any]) -> None:
    from sim.output import render

    console = Console()
    console.print(render.sweep_table(summary, console.width))
    for outcome, res in summary["sensitivity"].items():
        ps = [p["outcomes"][outcome]["p"] for p in summary["points"]]
        console.print(for_rich(render.sensitivity_line(outcome, res, ps)))
    console.print(f"sweep folder: {for_rich(job.folder)}")


@main.command()
@click.argument("folder", type=_Named(path_type=Path))
@click.option("-o", "--output", type=_OUT, default=None,
              help="HTML file to write (default: FOLDER/report.html).")
@click.option("--force", is_flag=True, help="Overwrite -o and its side files if they exist; "
              "read an incomplete (.partial) folder anyway.")
@_handle_errors
def report(folder: Path, output: Path | None, force: bool) -> None:
    """Write a self-contained HTML report of a run, compare or sweep FOLDER.

    Images are inlined, nothing is loaded from elsewhere, and every text taken from a
    scenario is escaped. Readable printed and on a phone.

    \b
    Example:
      negsim report results/kerry_moscow_2016-20261125-101500
      negsim report results/compare-20261125-102000 -o carrot.html
    """
    from sim import api

    click.echo(f"report: {for_terminal(api.report(folder, output, force))}")


@main.command()
@click.argument("folder", type=_Named(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_handle_errors
def verify(folder: Path, as_json: bool) -> None:
    """Check a run, compare or sweep FOLDER: every file against the size and SHA-256 its
    manifest recorded, and the numbers against each other. Exit 2 names the first mismatch.

    \b
    Example:
      negsim verify results/kerry_moscow_2016-20261125-101500
    """
    from sim import api

    found = api.verify(folder)
    if as_json:
        click.echo(api.to_json(found))
        return
    if "resume" in found:
        click.echo(f"OK {for_terminal(folder)}: an interrupted {found['kind']}, incomplete; "
                   f"its {found['files']} finished chunk(s) match their records; continue it "
                   f"with: {for_terminal(found['resume'])}")
        return
    state = "complete" if found["complete"] else "incomplete"
    files = (f"{found['files']} file(s) match the manifest" if found["files"] else
             "no file list in its manifest (incomplete, or from an earlier negsim)")
    click.echo(f"OK {for_terminal(folder)}: {found['kind']} folder, {state}; {files}; "
               "its numbers agree")


@main.command()
@click.argument("folder", type=_Named(path_type=Path))
@click.option("--outcome", required=True, metavar="NAME",
              help="An outcome (e.g. no_deal, truce_collapsed) or a coarse group "
              "(deal_holds, no_deal_holds, escalation).")
@click.option("--min-coverage", type=click.FloatRange(0, 1), default=0.8, show_default=True,
              help="Choose among boxes covering at least this share of the cases.")
@click.option("--peel-alpha", type=click.FloatRange(0, 0.5, min_open=True), default=0.05,
              show_default=True, help="Share of the box peeled off per step.")
@click.option("--paste-alpha", type=click.FloatRange(0, 0.5, min_open=True), default=0.05,
              show_default=True, help="Share of the data pasted back per step.")
@click.option("--max-qp", type=click.FloatRange(0, 1), default=0.05, show_default=True,
              help="Drop restrictions whose quasi-p value exceeds this.")
@click.option("--plot", "plot_path", type=_OUT, default=None,
              help="PNG to write (default: FOLDER/discover-NAME.png).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--force", is_flag=True,
              help="Replace a stored discovery of this outcome made with other settings, and "
              "an existing --plot file.")
@_handle_errors
def discover(folder: Path, outcome: str, min_coverage: float, peel_alpha: float,
             paste_alpha: float, max_qp: float, plot_path: Path | None, as_json: bool,
             force: bool) -> None:
    """Which ranges of the drawn (run) or swept (sweep) inputs in FOLDER lead to an outcome.

    PRIM scenario discovery (EMA Workbench): the coverage/density trade-off of the peeled and
    pasted boxes, the chosen box's restricted inputs with their bounds and quasi-p values,
    and a plot. The result is stored in FOLDER as discover-NAME.json for the report.

    \b
    Example:
      negsim discover results/kerry_moscow_2016-20261125-101500 --outcome no_deal
      negsim discover results/sweep-kerry_moscow_2016-20261125-103000 --outcome escalation
    """
    from sim import api

    found = api.discover(folder, outcome, min_coverage, peel_alpha, paste_alpha, max_qp,
                         save=True, plot=plot_path, force=force)
    result, (data, image) = found.data, found.stored
    if as_json:
        click.echo(api.to_json(result))
        return
    for line in found.lines:
        click.echo(line)
    click.echo(f"trajectory of {len(result['trajectory'])} boxes; result {data}; plot {image}")


@main.command("fit")
@click.argument("incidents", metavar="INCIDENTS.csv", type=_Named(dir_okay=True))
@click.option("--time-column", default="event_date", show_default=True,
              help="Column of the times: dates, datetimes or day numbers.")
@click.option("--actor-column", default="actor1", show_default=True,
              help="Column naming who did it.")
@click.option("--parties", default=None, metavar="A,B",
              help="Actors modelled as truce parties, in order (default: every actor that is "
              "not a spoiler). Others are left out and counted.")
@click.option("--spoiler", "spoilers", multiple=True, metavar="NAME",
              help="An actor whose events excite the parties but are not modelled (repeatable).")
@click.option("--actors", "actor_map", type=_Named(dir_okay=False, path_type=Path),
              default=None, metavar="MAP.yaml|MAP.csv",
              help="Which source actors are which party or spoiler: YAML 'parties: {NAME: "
              "[SOURCE, ...]}' and 'spoilers: {...}', or CSV source,actor,role. Other actors "
              "are left out and counted.")
@click.option("--event-type", "event_types", multiple=True, metavar="TYPE",
              help="Keep only incidents of this type (repeatable), read from --type-column.")
@click.option("--type-column", default="event_type", show_default=True,
              help="Column of the event types (ACLED's event_type).")
@click.option("--start", default=None, help="First day of the window (default: the first event's).")
@click.option("--end", default=None,
              help="Last day of the window, included for dates; a time for day numbers "
              "(default: the last event's day).")
@click.option("--out", type=_OUT, default=None,
              help="Write the paste-ready YAML block (actors, truce, spoilers) to this file.")
@click.option("--plot", type=_OUT, default=None,
              help="Write the time-rescaling QQ plot (PNG) to this file.")
@click.option("--spread-seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the within-day placement of day-resolution times (rerun with "
              "another to see how much it matters).")
@click.option("--profile", is_flag=True,
              help="Profile-likelihood intervals (slower; honest when a jump may be 0) instead "
              "of observed-information ones.")
@click.option("--force", is_flag=True, help="Overwrite --out / --plot files that exist.")
@click.option("--json", "as_json", is_flag=True, help="Print the fit as JSON.")
@_handle_errors
def fit_command(incidents: str, time_column: str, actor_column: str, parties: str | None,
                spoilers: tuple[str, ...], actor_map: Path | None, event_types: tuple[str, ...],
                type_column: str, start: str | None, end: str | None, out: Path | None,
                plot: Path | None, spread_seed: int, profile: bool, force: bool,
                as_json: bool) -> None:
    """Fit a Hawkes model (exponential kernels) to dated, attributed incidents.

    Maximum likelihood with 95% intervals from the observed information, a time-rescaling
    goodness-of-fit check, and a YAML block to paste into a scenario.

    \b
    Example:
      negsim fit scenarios/examples/incidents_synthetic.csv --spoiler splinter \\
        --start 2024-01-01 --end 2025-12-30 --out fitted.yaml --plot qq.png
      negsim fit acled.csv --parties 'Military Forces of Syria (2000-)','Opposition Rebels' \\
        --spoiler 'Islamic State' --time-column event_date --actor-column actor1
    """
    from sim.output import fitreport as fr

    opts = fr.FitOptions(time_column, actor_column, fr.split_names(parties), list(spoilers),
                         start, end, spread_seed, profile, list(event_types) or None,
                         type_column, actor_map)
    report = fr.fit_file(incidents, opts)
    if out is not None:
        fr.write_new(out, fr.yaml_block(report), force)
    if plot is not None:
        fr.save_plot(report, plot, force)
    if as_json:
        click.echo(json.dumps(fr.to_json(report), indent=2))
        return
    console = Console()
    console.print(fr.table(report, console.width))
    for line in fr.summary_lines(report) + [f"wrote {p}" for p in (out, plot) if p]:
        console.print(for_rich(line), highlight=False)
