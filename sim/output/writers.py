"""The files each kind of folder gets beside its data, one registry per kind.

A writer is a function of what the operation stored (and the folder it goes in) that returns
the files it wrote. Adding an output format is one function, in its own module if it is
large, plus one line in the registry of the folders it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.operations.run import Finished
from sim.output import plots
from sim.output.results import RunResult

RunWriter = Callable[[RunResult, Path], Path | None]
CompareWriter = Callable[[dict[str, Any], Path], Path | None]
SweepWriter = Callable[[Any, dict[str, Any]], Path | None]


def _saved(written: Any) -> Path:
    """A plot function's return value when it was given a path: the file written."""
    assert isinstance(written, Path)
    return written


def _outcomes(run: RunResult, where: Path) -> Path:
    return _saved(run.plot_outcomes(where / "outcomes.png"))


def _survival(run: RunResult, where: Path) -> Path | None:
    if run.plan.scenario.truce is None:
        return None
    return _saved(run.plot_survival(where / "survival.png"))


def _violations(run: RunResult, where: Path) -> Path | None:
    if run.plan.scenario.truce is None:
        return None
    return _saved(run.plot_violations(where / "violations.png"))


def _deal_days(run: RunResult, where: Path) -> Path | None:
    if run.plan.scenario.negotiation is None:
        return None
    return _saved(run.plot_deal_days(where / "deal_days.png"))


def _side_by_side(result: dict[str, Any], where: Path) -> Path:
    return _saved(plots.plot_side_by_side(result["scenarios"], where / "outcomes.png"))


def _forest(result: dict[str, Any], where: Path) -> Path:
    return _saved(plots.plot_forest(result["comparisons"], where / "differences.png"))


def _numeric(job: Any, summary: dict[str, Any]) -> bool:
    return all(isinstance(p["values"][q], int | float)
               for p in summary["points"] for q in job.design.paths)


def _sweep_line(job: Any, summary: dict[str, Any]) -> Path | None:
    paths = job.design.paths
    if len(paths) != 1 or not _numeric(job, summary):
        return None
    return plots.plot_sweep_line(summary["points"], paths[0], job.folder / "sweep.png")


def _heatmaps(job: Any, summary: dict[str, Any]) -> Path | None:
    paths = job.design.paths
    if len(paths) != 2 or job.design.method not in ("grid", "zip") or not _numeric(job, summary):
        return None
    return plots.plot_heatmaps(summary["points"], paths, job.folder / "heatmaps.png")


def _ranking(job: Any, summary: dict[str, Any]) -> Path | None:
    if not summary["sensitivity"]:
        return None
    return plots.plot_ranking(summary["sensitivity"], job.folder / "ranking.png")


RUN: list[RunWriter] = [_outcomes, _survival, _violations, _deal_days]
COMPARE: list[CompareWriter] = [_side_by_side, _forest]
SWEEP: list[SweepWriter] = [_sweep_line, _heatmaps, _ranking]


def run_files(finished: Finished, where: Path) -> list[Path]:
    """Every run writer's file for a finished run in folder ``where``."""
    run = RunResult.of(finished)
    return [p for w in RUN if (p := w(run, where)) is not None]


def compare_files(result: dict[str, Any], where: Path) -> list[Path]:
    """Every compare writer's file for ``result`` (compare.json's content) in ``where``."""
    return [p for w in COMPARE if (p := w(result, where)) is not None]


def sweep_files(job: Any, summary: dict[str, Any]) -> list[Path]:
    """Every sweep writer's file for a sweep and its summary, in the sweep's folder."""
    return [p for w in SWEEP if (p := w(job, summary)) is not None]


def discovery_file(result: dict[str, Any], image: Path) -> Path:
    """The discovery plot (PRIM's trade-off and the chosen box) at ``image``."""
    plots.plot_discovery(result, image)
    return image
