"""Sweeps: every point of a design run on the same streams, stored point by point, resumable.

A sweep folder (written by :class:`sim.store.Folder`, like every results folder) holds
``manifest.json``, ``sweep.json`` (the base scenario text, the design, seed and runs),
``points/NNNNN.parquet`` and ``points/NNNNN.json`` for each finished point (the JSON, written
last and atomically, marks the point done) and an ``INCOMPLETE`` marker until the end, when
``sweep.parquet``, ``summary.json`` and the plots are written. ``--resume`` reads the folder,
skips every finished point and runs the rest, so the final numbers equal an uninterrupted
sweep's.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim import stats
from sim.engine.outcomes import HEADLINE_METRICS, metric_range, possible_in
from sim.errors import Interrupted, ScenarioError, StorageError, UsageError, interrupts
from sim.operations import verification
from sim.running import design as dsg
from sim.running import estimate
from sim.running.design import Design, assignments
from sim.running.executor import Executor
from sim.running.runner import chunks, point_plan, simulate_chunk
from sim.running.summary import column
from sim.scenario import Scenario, budgets, from_document
from sim.scenario.overrides import apply
from sim.scenario.yamlload import flow, parse_text, plain
from sim.stats import pawn, sensitivity
from sim.store import Folder, held, make_dirs, read_json, refuse_links, written

_POINT_FILE = re.compile(r"^\d{5}\.json$")


@dataclass
class Sweep:
    """A sweep's definition, as stored in sweep.json."""

    folder: Path
    text: str
    source: str
    design: Design
    seed: int
    runs: int
    writer: Folder | None = field(default=None, repr=False, compare=False)
    _checked: tuple[str, tuple[str, ...]] | None = field(default=None, repr=False,
                                                         compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"scenario_text": self.text, "source": self.source, "seed": self.seed,
                "runs": self.runs, "method": self.design.method, "paths": self.design.paths,
                "points": self.design.points, "sobol": self.design.sobol}

    @classmethod
    def from_folder(cls, folder: Path) -> Sweep:
        """The sweep stored in ``folder``, locked (its writer holds the lock until the sweep
        ends) and verified first (:mod:`verification`).

        Raises:
            UsageError: not a folder, or another negsim process is writing it.
            DamagedFile: the folder fails verification (the file and what differs named).
        """
        if not folder.is_dir():
            raise UsageError(f"{folder}: no sweep to resume; expected a sweep folder that an "
                             "interrupted negsim sweep left")
        data = read_json(folder / "sweep.json", folder)
        with held(Folder.reopen(folder, "sweep"), on_error_only=True) as writer:
            verification.verify(folder)
        design = Design(data["method"], data["paths"], data["points"], data.get("sobol", {}))
        return cls(folder, data["scenario_text"], data["source"], design, data["seed"],
                   data["runs"], writer)

    def scenarios(self, skip: Container[int] = ()) -> Iterator[tuple[int, Scenario]]:
        """Each point's index and validated scenario, one at a time (memory stays flat in
        the number of points), leaving out the indices in ``skip``.

        Raises:
            ScenarioError: a point's values are refused, naming the path.
        """
        base = parse_text(self.text, self.source)  # parsed once; each point edits a copy
        for k, point in enumerate(self.design.points):
            if k in skip:
                continue
            try:
                yield k, from_document(apply(base, assignments(point), via="set"))
            except ScenarioError as exc:
                raise ScenarioError([_at_point(p, k, self.design) for p in exc.problems]
                                    ) from None

    def check(self) -> tuple[str, tuple[str, ...]]:
        """Validate every point in one pass: the first point's scenario name and the
        outcomes any point allows (kept; the scenarios are not).

        Raises:
            ScenarioError: a point's values are refused, naming the path.
        """
        if self._checked is None:
            name, names = "", set[str]()
            for _, scenario in self.scenarios():
                name = name or scenario.name
                names.update(possible_in([scenario]))
            self._checked = name, possible_in([], names)
        return self._checked

    def out(self) -> Folder:
        """The folder's writer."""
        if self.writer is None:
            self.writer = Folder.reopen(self.folder, "sweep")
        return self.writer

    def outcome_names(self) -> tuple[str, ...]:
        """The outcomes any point's scenario allows, in registry order."""
        return self.check()[1]

    def done(self) -> set[int]:
        """Indices of the stored points (stray files are ignored; damaged ones refused).

        Raises:
            DamagedFile: a point file is truncated, planted, out of range or does not match
                its Parquet, the design or the runs, naming it and saying to delete it.
        """
        points = self.folder / "points"
        refuse_links(points, self.folder)
        found = sorted(int(p.stem) for p in points.glob("*.json") if _POINT_FILE.match(p.name))
        job, names = self.to_json(), None
        for k in found:
            names = verification.point(points / f"{k:05d}.json", job, names, self.folder)
        return set(found)


def _at_point(problem: Any, k: int, design: Design) -> Any:
    from dataclasses import replace

    if design.source:  # a design CSV: name its row, where the value came from
        return replace(problem, file=f"{design.source}:{k + 2}", line=None, column=None,
                       message=f"{problem.message} (design row {k + 2})")
    return replace(problem, message=f"{problem.message} (sweep point {k})")


def create(folder: Path, text: str, source: str, design: Design, seed: int, runs: int,
           unique: bool = False) -> Sweep:
    """Start a sweep folder (refusing an existing one; with ``unique``, taking the next free
    name ``folder-2``, ... instead, atomically, so parallel sweeps never share a folder).

    Raises:
        UsageError: the folder exists, or the sweep is past its budgets (points, runs).
        StorageError: the folder cannot be created.
    """
    budgets.check_sweep(len(design.points), runs)
    sweep = Sweep(folder, text, source, design, seed, runs)
    first, _ = sweep.check()  # validate every point before creating anything
    with held(Folder(folder, "sweep", unique=unique, resumable=True),
              on_error_only=True) as writer:
        sweep.folder, sweep.writer = writer.path, writer
        make_dirs(writer.path / "points")
        writer.write_json("sweep.json", sweep.to_json())
        writer.write_manifest(text, seed=seed, runs=runs, extra={
            "scenario": first, "source": source,
            "points": len(design.points)})
    return sweep


def run_point(scenario: Scenario, seed: int, runs: int,
              names: tuple[str, ...]) -> tuple[pa.Table, dict[str, Any]]:
    """One point: its replications and their summary over the outcomes ``names``."""
    plan = point_plan(scenario, seed)
    table = pa.Table.from_batches([simulate_chunk(plan, c) for c in chunks(0, runs)])
    outcomes = stats.outcome_table(table.column("outcome").to_numpy(zero_copy_only=False),
                                   names)
    metrics = {m: stats.describe(column(table, m), *metric_range(m)) for m in HEADLINE_METRICS
               if m in table.column_names}
    return table, {"outcomes": outcomes, "metrics": metrics}


def pilot(sweep: Sweep) -> tuple[int, float, float]:
    """The unfinished points, the seconds one point's scenario takes to build and
    the seconds per replication, measured on the first unfinished point."""
    done = sweep.done()
    left = len(sweep.design.points) - len(done)
    if not left:
        return 0, 0.0, 0.0
    start = time.perf_counter()
    _, scenario = next(sweep.scenarios(skip=done))
    built = time.perf_counter() - start
    return left, built, estimate.per_replication(point_plan(scenario, sweep.seed), sweep.runs)


def _task(args: tuple[int, Scenario, int, int, tuple[str, ...]]
          ) -> tuple[int, pa.Table, dict[str, Any]]:
    k, scenario, seed, runs, names = args
    table, summary = run_point(scenario, seed, runs, names)
    return k, table, summary


def execute(sweep: Sweep, workers: int = 1, dask: str | None = None,
            progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run every unfinished point, storing each as it finishes; then assemble the results
    (the folder stays marked incomplete until :func:`finish`)."""
    t0 = time.perf_counter()
    finished = sweep.done()
    names = sweep.outcome_names()
    todo = _Todo(sweep, finished, names)
    sweep.out().mark_incomplete("running")
    results = Executor(workers, dask).map(_task, todo, ordered=False)
    try:
        with interrupts():
            _store(sweep, results, progress)
    except KeyboardInterrupt:
        sweep.out().mark_incomplete("interrupted")
        raise Interrupted(f"interrupted; {len(sweep.done())} of {len(sweep.design.points)} "
                          "points are "
                          f"stored: negsim sweep --resume {sweep.folder}") from None
    except StorageError as exc:  # disk full, I/O error: the finished points stay
        with contextlib.suppress(StorageError):
            sweep.out().mark_incomplete(f"failed: {exc}")
        raise type(exc)(f"{exc.template}; the finished points are kept: negsim sweep "
                        f"--resume {sweep.folder}") from None
    return assemble(sweep, time.perf_counter() - t0)


@dataclass
class _Todo:
    """The unfinished points' tasks, each scenario built only when the executor takes it."""

    sweep: Sweep
    finished: set[int]
    names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.sweep.design.points) - len(self.finished)

    def __iter__(self) -> Iterator[tuple[int, Scenario, int, int, tuple[str, ...]]]:
        for k, scenario in self.sweep.scenarios(skip=self.finished):
            yield k, scenario, self.sweep.seed, self.sweep.runs, self.names

    def __contains__(self, task: object) -> bool:
        return any(task == t for t in self)


def _store(sweep: Sweep, results: Iterator[tuple[int, pa.Table, dict[str, Any]]],
           progress: Callable[[int], None] | None) -> None:
    """Write each finished point (Parquet, then its JSON, which marks it done)."""
    for k, table, summary in results:
        out = sweep.out()
        parquet = out.write_parquet(f"points/{k:05d}.parquet", _with_swept(table, sweep, k))
        out.write_json(f"points/{k:05d}.json", {"point": k, "values": sweep.design.points[k],
                                                **summary, "parquet": written(parquet)})
        if progress:
            progress(sweep.runs)


def _with_swept(table: pa.Table, sweep: Sweep, k: int) -> pa.Table:
    """A point's replications with its ``point`` first and one column per swept parameter
    (its dotted path): the point files read as one Parquet dataset."""
    values = sweep.design.points[k]
    table = table.add_column(0, "point", pa.array([k] * table.num_rows, pa.int64()))
    for path in sweep.design.paths:
        if path not in table.column_names:
            table = table.append_column(path, pa.array([_scalar(values[path])] * table.num_rows))
    return table


def assemble(sweep: Sweep, wall_s: float) -> dict[str, Any]:
    """sweep.parquet, summary.json and the sensitivity ranking, from the stored points."""
    points = [read_json(sweep.folder / "points" / f"{k:05d}.json", sweep.folder)
              for k in range(len(sweep.design.points))]
    sweep.out().write_parquet("sweep.parquet", _table(sweep, points))
    summary = {
        "scenario": _name(sweep),
        "seed": sweep.seed,
        "runs": sweep.runs,
        "method": sweep.design.method,
        "paths": sweep.design.paths,
        "points": points,
        "sensitivity": _sensitivity(sweep, points),
        "wall_s": round(wall_s, 3),
    }
    sweep.out().write_json("summary.json", summary)
    return summary


def finish(sweep: Sweep) -> Path:
    """Mark the sweep complete (once its plots are written too)."""
    return sweep.out().complete()


def _name(sweep: Sweep) -> str:
    return sweep.check()[0]


def _table(sweep: Sweep, points: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(point_rows(points, sweep.design.paths))


def point_rows(points: list[dict[str, Any]], paths: list[str]) -> list[dict[str, Any]]:
    """One row per point (sweep.parquet, ``SweepResult.to_pandas()``): ``point``, the swept
    values, ``p_NAME``, ``ci_low_NAME``, ``ci_high_NAME`` per outcome, ``mean_NAME`` per
    metric."""
    rows = []
    for k, p in enumerate(points):
        row: dict[str, Any] = {"point": p.get("point", k)}
        row.update({path: _scalar(p["values"][path]) for path in paths})
        for name, o in p["outcomes"].items():
            row.update({f"p_{name}": o["p"], f"ci_low_{name}": o["ci"][0],
                        f"ci_high_{name}": o["ci"][1]})
        for name, m in p.get("metrics", {}).items():
            row[f"mean_{name}"] = m["mean"]
        rows.append(row)
    return rows


def point_records(folder: Path) -> pa.Table:
    """Every stored point's replications as one table, each row with its ``point``."""
    tables = []
    for path in sorted((folder / "points").glob("*.parquet")):
        table = pq.read_table(path)
        if "point" not in table.column_names:  # a sweep stored before points had the column
            table = table.add_column(0, "point", pa.array([int(path.stem)] * table.num_rows))
        tables.append(table)
    return pa.concat_tables(tables, promote_options="permissive") if tables else pa.table({})


def _scalar(value: Any) -> Any:
    return value if isinstance(value, int | float | str) else str(value)


def parameter_matrix(sweep: Sweep) -> np.ndarray | None:
    """Points by parameters as floats (None when a swept value is not numeric)."""
    try:
        return np.array([[float(p[path]) for path in sweep.design.paths]
                         for p in sweep.design.points], dtype=float)
    except (TypeError, ValueError):
        return None


def _sensitivity(sweep: Sweep, points: list[dict[str, Any]]) -> dict[str, Any]:
    x = parameter_matrix(sweep)
    if x is None or len(points) < 3:
        return {}
    out = {}
    for name in points[0]["outcomes"]:
        y = np.array([p["outcomes"][name]["p"] for p in points])
        if sweep.design.method == "sobol":
            res = sensitivity.sobol(y, sweep.design.sobol["n"], sweep.design.paths)
            res["method"] = "sobol"
        else:
            res = sensitivity.src(x, y, sweep.design.paths)
            res["method"] = "src"
            _add_pawn(res, x, y, sweep.design.paths)
        res["noise_share"] = sensitivity.noise_share(y, sweep.runs)
        sensitivity.mark_noise(res, res["noise_share"])
        res["ranking"] = sensitivity.rank(res)
        out[name] = res
    return out


def _add_pawn(res: dict[str, Any], x: np.ndarray, y: np.ndarray, paths: list[str]) -> None:
    """PAWN beside each SRC (grids and Latin hypercubes): an effect the linear fit misses,
    such as a peak in the middle of a range, still shows (:mod:`sim.stats.pawn`)."""
    if res.get("constant"):
        return
    for name, cell in pawn.pawn(x, y, paths).items():
        res["parameters"][name].update(cell)


def new(base: Scenario, text: str, source: str, specs: list[str], sample: str, zipped: bool,
        design: Path | None, runs: int, seed: int, folder: Path, unique: bool) -> Sweep:
    """Create a sweep folder for ``PATH=SPEC`` strings or a design CSV (every point
    validated first; see :func:`create`)."""
    points = dsg.build([dsg.parse_spec(x) for x in specs], sample, zipped, design, seed)
    return create(folder, text, source, points, seed, runs, unique=unique)


def spec_text(path: str, spec: str | Sequence[Any]) -> str:
    """``PATH=SPEC`` for a spec given as text or as a list of values (a numpy array or a
    pandas Series too; one number stands for a list of one)."""
    values = plain(spec)
    if isinstance(values, str):
        return f"{path}={values}"
    return f"{path}={','.join(flow(v) for v in (values if isinstance(values, list) else [values]))}"
