"""The ``negsim`` command line. Only this module prints errors and chooses exit codes."""

from __future__ import annotations

import json
import sys
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

from sim import scenario as scn
from sim.engine import Plan, play
from sim.errors import NegsimError, UsageError
from sim.outcomes import OUTCOMES
from sim.overrides import load_with
from sim.trace import representative, story_json, story_lines


def _handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NegsimError as exc:
            click.echo(f"negsim: {exc}" if "\n" not in str(exc) else str(exc), err=True)
            sys.exit(exc.exit_code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="negsim")
def main() -> None:
    """negsim: simulate negotiations under a deadline and the truces they start.

    \b
    Example:
      negsim validate scenarios/kerry_moscow_2016.yaml
    """


@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES; print OK or every problem with its line.

    \b
    Example:
      negsim validate scenarios/*.yaml scenarios/examples/*.yaml
    Exit code 0 when all are valid, 2 otherwise.
    """
    bad = False
    for path in files:
        try:
            scn.load(path)
        except NegsimError as exc:
            bad = True
            click.echo(str(exc), err=True)
        else:
            click.echo(f"OK {path}")
    sys.exit(2 if bad else 0)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors).

    \b
    Example:
      negsim schema > schema/scenario.schema.json
    """
    click.echo(json.dumps(scn.json_schema(), indent=2))


def _set_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--set", "assignments", multiple=True, metavar="PATH=VALUE",
        help="Change a scenario parameter, e.g. --set actors.russia.leverage.assad=0.9 "
        "(repeatable; validated like the file).")(fn)


@main.command()
@click.argument("scenario_file", metavar="SCENARIO")
@click.option("--seed", type=int, default=None, help="Seed (default: the scenario's).")
@click.option("--replication", "-r", type=click.IntRange(min=0), default=None,
              help="Replication index to tell (default 0).")
@click.option("--outcome", type=click.Choice(OUTCOMES), default=None,
              help="Tell a representative replication ending this way.")
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
    if replication is not None and outcome is not None:
        raise UsageError("give --replication or --outcome, not both")
    scenario, _ = load_with(_scenario_arg(scenario_file), assignments)
    plan = Plan(scenario, seed)
    index = replication or 0
    if outcome is not None:
        index = representative(plan, outcome)
    world = play(plan, index, tracing=True)
    if as_json:
        click.echo(json.dumps(story_json(world), indent=2))
        return
    click.echo(f"{scenario.title} — seed {plan.seed}, replication {index}")
    for line in story_lines(world):
        click.echo(line)


def _shipped() -> list[tuple[str, str]]:
    from sim import shipped

    out = []
    for name, path in shipped.names().items():
        try:
            out.append((name, scn.load(path).title))
        except NegsimError:
            out.append((name, "(does not validate)"))
    return out


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", required=False)
@click.option("-n", "--runs", type=click.IntRange(min=1), default=None,
              help="Replications (default: the scenario's runs); the cap with --precision.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Seed (default: the scenario's).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None,
              help="Processes (default: the number of cores). Results do not depend on it.")
@click.option("--precision", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop once every outcome probability's 95% half-width is at most this.")
@_set_option
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Run folder to write (default: results/NAME-YYYYmmdd-HHMMSS).")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json on stdout.")
@click.option("--plots/--no-plots", default=True, help="Write PNG plots in the run folder.")
@_handle_errors
def run(scenario_file: str | None, runs: int | None, seed: int | None, workers: int | None,
        precision: float | None, assignments: tuple[str, ...], out: Path | None, as_json: bool,
        plots: bool) -> None:
    """Run SCENARIO many times and report the distribution of outcomes.

    SCENARIO is a YAML file or the name of a shipped scenario; without SCENARIO, list the
    shipped scenarios. Tables fit the terminal (set COLUMNS to change the width).

    \b
    Example:
      negsim run kerry_moscow_2016 -n 2000
      negsim run scenarios/kerry_moscow_2016.yaml -n 5000 --seed 7
      negsim run scenarios/kerry_moscow_2016.yaml --precision 0.01 -n 50000
      negsim run scenarios/kerry_moscow_2016.yaml --set actors.russia.leverage.assad=0.9
    """
    from sim import api, render, store  # matplotlib and pyarrow load only when running

    if scenario_file is None:
        shipped = _shipped()
        if not shipped:
            raise UsageError("give a SCENARIO file; this installation ships no scenarios")
        for name, title in shipped:
            click.echo(f"{name:34s} {title}")
        return
    scenario, text = load_with(_scenario_arg(scenario_file), assignments)
    opts = api.RunOptions(
        runs=runs or scenario.runs, seed=scenario.seed if seed is None else seed,
        workers=workers or api.default_workers(), precision=precision,
        out=out or store.timestamped(Path("results"), scenario.name), make_plots=plots)
    result = _with_progress(opts.runs, lambda tick: api.execute(scenario, text, opts, tick))
    if as_json:
        printed = {**result.summary, "folder": str(result.folder)}
        click.echo(json.dumps(store.clean_json(printed), indent=2))
        return
    console = Console()
    console.print(render.outcomes_table(result.summary, console.width))
    for line in render.legend(list(result.summary["outcomes"])):
        console.print(line, highlight=False)
    console.print(render.metrics_table(result.summary, console.width))
    for line in render.extras_lines(result.summary):
        console.print(line)
    console.print(f"run folder: {result.folder}")


def _scenario_arg(arg: str) -> str:
    """A SCENARIO argument: an existing file, else the shipped scenario of that name."""
    from sim import shipped

    return shipped.resolve(arg)


@main.command()
@click.argument("name")
@click.option("--from", "start", default="kerry_moscow_2016", show_default=True,
              metavar="SHIPPED", help="The shipped scenario to start from (see negsim run).")
@_handle_errors
def init(name: str, start: str) -> None:
    """Write NAME.yaml here: a shipped scenario to edit, renamed NAME, whose first line points
    editors at the installed JSON Schema. Never overwrites a file.

    \b
    Example:
      negsim init my_talks
      negsim init my_strike --from examples/labour_strike
    """
    from sim import shipped

    path = shipped.init(name, start)
    click.echo(f"wrote {path} (from {start}); check it with: negsim validate {path.name}")


class _RateColumn(TextColumn):
    def __init__(self) -> None:
        super().__init__("")

    def render(self, task: Any) -> Any:
        from rich.text import Text

        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "…/s")


def _with_progress(total: int, job: Callable[[Callable[[int], None]], Any]) -> Any:
    """Run ``job`` with a progress bar (rate, ETA) on stderr."""
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TaskProgressColumn(), _RateColumn(),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("replications", total=total)
        return job(lambda n: bar.advance(task, n))


@main.command()
@click.argument("inputs", nargs=-1, required=True,
                metavar="A B [C ...] | A --vs PATH=VALUE | RUN_DIR RUN_DIR")
@click.option("--vs", "variants", multiple=True, metavar="PATH=VALUE",
              help="Compare the first scenario with a copy changed by PATH=VALUE (repeatable; "
              "each --vs is one variant).")
@click.option("-n", "--runs", type=click.IntRange(min=2), default=None,
              help="Replications per scenario (default: the first scenario's runs).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="One seed for all (default: the first scenario's).")
@click.option("--workers", "-w", type=click.IntRange(min=1), default=None, help="Processes.")
@click.option("--precision", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop once every paired difference's 95% half-width is at most this.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Compare folder to write (default: results/compare-YYYYmmdd-HHMMSS).")
@click.option("--json", "as_json", is_flag=True, help="Print compare.json on stdout.")
@click.option("--plots/--no-plots", default=True, help="Write PNG plots.")
@_handle_errors
def compare(inputs: tuple[str, ...], variants: tuple[str, ...], runs: int | None,
            seed: int | None, workers: int | None, precision: float | None, out: Path | None,
            as_json: bool, plots: bool) -> None:
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
    """
    from sim import compare as cmp
    from sim import render, store

    inputs = tuple(_scenario_arg(p) for p in inputs)
    missing = [p for p in inputs if not Path(p).exists()]
    if missing:
        raise UsageError(f"{missing[0]}: file not found")
    folders = [Path(p).is_dir() for p in inputs]
    if len(inputs) + len(variants) < 2:
        raise UsageError("compare needs at least two scenarios (files, --vs variants, or "
                         "folders)")
    if any(folders):
        if not all(folders) or variants:
            raise UsageError("give either scenario files (with optional --vs) or run folders, "
                             "not a mix")
        arms, problem = cmp.arms_from_folders(list(inputs))
        if problem:
            click.echo(f"warning: runs cannot be paired ({problem}); comparing them as "
                       "independent samples, with wider intervals", err=True)
        result = cmp.analyse(arms, paired=problem is None)
    else:
        arms = cmp.arms_from_files(list(inputs), list(variants))
        first = arms[0].model
        assert first is not None
        n = runs or first.runs
        s = first.seed if seed is None else seed
        result = _with_progress(n * len(arms), lambda tick: cmp.run_comparison(
            arms, n, s, workers or api_workers(), precision, tick))
    folder = _save_comparison(arms, result, out, plots)
    if as_json:
        click.echo(json.dumps(store.clean_json(result), indent=2))
        return
    console = Console()
    for table in render.compare_tables(result, console.width):
        console.print(table)
    console.print(result["family"]["text"])
    console.print("gain (pairing gain) = variance of an unpaired difference / variance of the "
                  "paired one")
    console.print(f"compare folder: {folder}")


def api_workers() -> int:
    from sim.runner import default_workers

    return default_workers()


def _save_comparison(arms: list[Any], result: dict[str, Any], out: Path | None,
                     plots: bool) -> Path:
    from sim import compare as cmp
    from sim import plots as plt
    from sim import store

    folder = store.Folder(out or store.timestamped(Path("results"), "compare"))
    store.write_json(folder.path / "compare.json", result)
    store.write_json(folder.path / "manifest.json", store.manifest(
        "\n---\n".join(a.text for a in arms), seed=result["seed"], runs=result["runs"],
        extra={"arms": [{"label": a.label, "source": a.source, "scenario_text": a.text}
                        for a in arms]}))
    store.write_parquet(cmp.pairs(arms), folder.path / "pairs.parquet")
    if plots:
        plt.plot_side_by_side(result["scenarios"], folder.path / "outcomes.png")
        plt.plot_forest(result["comparisons"], folder.path / "differences.png")
    return folder.complete()


@main.command()
@click.argument("scenario_file", metavar="SCENARIO", required=False)
@click.option("--set", "specs", multiple=True, metavar="PATH=SPEC",
              help="A swept parameter: a,b,c | lo:hi:steps | lo..hi (samplers). Repeatable.")
@click.option("--zip", "zipped", is_flag=True, help="Vary the lists in lockstep, not as a grid.")
@click.option("--design", "design_csv", type=click.Path(path_type=Path), default=None,
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
@click.option("--resume", "resume_dir", type=click.Path(path_type=Path), default=None,
              help="Continue an interrupted sweep folder; finished points are not recomputed.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
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
    from sim import design as dsg
    from sim import store
    from sim import sweep as swp

    if resume_dir is not None:
        given = [name for name, value in (("SCENARIO", scenario_file), ("--set", specs),
                                          ("--design", design_csv), ("-n", runs),
                                          ("--seed", seed), ("--out", out),
                                          ("--sample", sample), ("--zip", zipped)) if value]
        if given:
            raise UsageError(f"--resume takes only the sweep folder (and --workers/--dask); "
                             f"the stored sweep fixes {', '.join(given)}")
        job = swp.Sweep.from_folder(resume_dir)
        click.echo(f"resuming {resume_dir}: {len(job.done())} of {len(job.design.points)} "
                   "points already done", err=True)
    else:
        if scenario_file is None:
            raise UsageError("give a SCENARIO (or --resume SWEEP_DIR)")
        scenario_file = _scenario_arg(scenario_file)
        base, text = load_with(scenario_file)
        s = base.seed if seed is None else seed
        plan = dsg.build([dsg.parse_spec(x) for x in specs], sample or "grid", zipped,
                         design_csv, s)
        folder = out or store.timestamped(Path("results"), f"sweep-{base.name}")
        job = swp.create(folder, text, scenario_file, plan, s, runs or base.runs)
    left = len(job.design.points) - len(job.done())
    summary = _with_progress(left * job.runs, lambda tick: swp.execute(
        job, workers or api_workers(), dask_address, tick))
    if plots:
        _sweep_plots(job, summary)
    if as_json:
        click.echo(json.dumps(store.clean_json(summary), indent=2))
        return
    _print_sweep(job, summary)


def _sweep_plots(job: Any, summary: dict[str, Any]) -> None:
    from sim import plots as plt

    paths, points = job.design.paths, summary["points"]
    numeric = all(isinstance(p["values"][q], int | float) for p in points for q in paths)
    if numeric and len(paths) == 1:
        plt.plot_sweep_line(points, paths[0], job.folder / "sweep.png")
    if numeric and len(paths) == 2 and job.design.method in ("grid", "zip"):
        plt.plot_heatmaps(points, paths, job.folder / "heatmaps.png")
    if summary["sensitivity"]:
        plt.plot_ranking(summary["sensitivity"], job.folder / "ranking.png")


def _print_sweep(job: Any, summary: dict[str, Any]) -> None:
    from sim import render

    console = Console()
    console.print(render.sweep_table(summary, console.width))
    for outcome, res in summary["sensitivity"].items():
        console.print(f"{outcome}: " + ", ".join(render.influence(res, p)
                                                 for p in res["ranking"])
                      + render.noise_note(res.get("noise_share")))
    console.print(f"sweep folder: {job.folder}")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="HTML file to write (default: FOLDER/report.html).")
@_handle_errors
def report(folder: Path, output: Path | None) -> None:
    """Write a self-contained HTML report of a run, compare or sweep FOLDER.

    Images are inlined, nothing is loaded from elsewhere, and every text taken from a
    scenario is escaped. Readable printed and on a phone.

    \b
    Example:
      negsim report results/kerry_moscow_2016-20261125-101500
      negsim report results/compare-20261125-102000 -o carrot.html
    """
    from sim import report as rpt

    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder; expected a negsim run, compare or sweep folder")
    click.echo(f"report: {rpt.write(folder, output)}")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
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
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), default=None,
              help="PNG to write (default: FOLDER/discover-NAME.png).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_handle_errors
def discover(folder: Path, outcome: str, min_coverage: float, peel_alpha: float,
             paste_alpha: float, max_qp: float, plot_path: Path | None, as_json: bool) -> None:
    """Which ranges of the drawn (run) or swept (sweep) inputs in FOLDER lead to an outcome.

    PRIM scenario discovery (EMA Workbench): the coverage/density trade-off of the peeled and
    pasted boxes, the chosen box's restricted inputs with their bounds and quasi-p values,
    and a plot. The result is stored in FOLDER as discover-NAME.json for the report.

    \b
    Example:
      negsim discover results/kerry_moscow_2016-20261125-101500 --outcome no_deal
      negsim discover results/sweep-kerry_moscow_2016-20261125-103000 --outcome escalation
    """
    from sim import discovery as dsc
    from sim import store

    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder; expected a negsim run or sweep folder")
    settings = dsc.Settings(min_coverage=min_coverage, peel_alpha=peel_alpha,
                            paste_alpha=paste_alpha, max_qp=max_qp)
    result = dsc.discover(folder, outcome, settings)
    data, image = dsc.write(folder, result, plot_path)
    if as_json:
        click.echo(json.dumps(store.clean_json(result), indent=2))
        return
    for line in dsc.box_lines(result):
        click.echo(line)
    click.echo(f"trajectory of {len(result['trajectory'])} boxes; result {data}; plot {image}")
