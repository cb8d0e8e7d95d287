"""Sweeps: every point of a design run on the same streams, stored point by point, resumable.

A sweep folder holds ``sweep.json`` (the base scenario text, the design, seed and runs),
``points/NNNNN.parquet`` and ``points/NNNNN.json`` for each finished point (the JSON, written
last and atomically, marks the point done) and an ``INCOMPLETE`` marker until the end, when
``sweep.parquet``, ``summary.json`` and the plots are written. ``--resume`` reads the folder,
skips every finished point and runs the rest, so the final numbers equal an uninterrupted
sweep's.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim import sensitivity, stats
from sim.design import Design, assignments
from sim.engine import Plan
from sim.errors import ScenarioError, UsageError
from sim.outcomes import possible_in
from sim.overrides import apply
from sim.runner import Chunk, simulate_chunk
from sim.scenario import Scenario, from_document
from sim.store import MARKER, provenance, read_json, write_json, write_parquet
from sim.summary import column
from sim.yamlload import parse_text

POINT_METRICS = ("deal_day", "truce_days", "truce_share", "breakdowns",
                 "violations_per_truce_day", "spoiler_attacks", "aid_deliveries")


@dataclass
class Sweep:
    """A sweep's definition, as stored in sweep.json."""

    folder: Path
    text: str
    source: str
    design: Design
    seed: int
    runs: int
    _scenarios: list[Scenario] | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"scenario_text": self.text, "source": self.source, "seed": self.seed,
                "runs": self.runs, "method": self.design.method, "paths": self.design.paths,
                "points": self.design.points, "sobol": self.design.sobol}

    @classmethod
    def from_folder(cls, folder: Path) -> Sweep:
        data = read_json(folder / "sweep.json")
        design = Design(data["method"], data["paths"], data["points"], data.get("sobol", {}))
        return cls(folder, data["scenario_text"], data["source"], design, data["seed"],
                   data["runs"])

    def scenarios(self) -> list[Scenario]:
        """Each point's validated scenario.

        Raises:
            ScenarioError: a point's values are refused, naming the path.
        """
        if self._scenarios is None:
            base = parse_text(self.text, self.source)  # parsed once; each point edits a copy
            out = []
            for k, point in enumerate(self.design.points):
                try:
                    out.append(from_document(apply(base, assignments(point))))
                except ScenarioError as exc:
                    raise ScenarioError([_at_point(p, k) for p in exc.problems]) from None
            self._scenarios = out
        return self._scenarios

    def outcome_names(self) -> tuple[str, ...]:
        """The outcomes any point's scenario allows, in registry order."""
        return possible_in(self.scenarios())

    def done(self) -> set[int]:
        return {int(p.stem) for p in (self.folder / "points").glob("*.json")}


def _at_point(problem: Any, k: int) -> Any:
    from dataclasses import replace

    return replace(problem, message=f"{problem.message} (sweep point {k})")


def create(folder: Path, text: str, source: str, design: Design, seed: int, runs: int) -> Sweep:
    """Start a sweep folder (refusing an existing one).

    Raises:
        UsageError: the folder exists.
    """
    if folder.exists():
        raise UsageError(f"{folder} exists already; use --resume {folder} to continue it")
    sweep = Sweep(folder, text, source, design, seed, runs)
    sweep.scenarios()  # validate every point before creating anything
    (folder / "points").mkdir(parents=True)
    (folder / MARKER).write_text("Sweep in progress or interrupted: negsim sweep --resume "
                                 f"{folder}\n")
    write_json(folder / "sweep.json", {**sweep.to_json(), **provenance()})
    return sweep


def run_point(scenario: Scenario, seed: int, runs: int,
              names: tuple[str, ...]) -> tuple[pa.Table, dict[str, Any]]:
    """One point: its replications and their summary over the outcomes ``names``."""
    table = pa.Table.from_batches([simulate_chunk(Plan(scenario, seed), Chunk(0, runs))])
    outcomes = stats.outcome_table(table.column("outcome").to_numpy(zero_copy_only=False),
                                   names)
    metrics = {m: stats.describe(column(table, m)) for m in POINT_METRICS
               if m in table.column_names}
    return table, {"outcomes": outcomes, "metrics": metrics}


def _task(args: tuple[int, Scenario, int, int, tuple[str, ...]]
          ) -> tuple[int, pa.Table, dict[str, Any]]:
    k, scenario, seed, runs, names = args
    table, summary = run_point(scenario, seed, runs, names)
    return k, table, summary


def execute(sweep: Sweep, workers: int = 1, dask: str | None = None,
            progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run every unfinished point, storing each as it finishes; then assemble the results."""
    t0 = time.perf_counter()
    scenarios = sweep.scenarios()
    finished = sweep.done()
    names = sweep.outcome_names()
    todo = [(k, s, sweep.seed, sweep.runs, names) for k, s in enumerate(scenarios)
            if k not in finished]
    results = _dask(todo, dask, workers) if dask else _local(todo, workers)
    for k, table, summary in results:
        write_parquet(_with_swept(table, sweep, k), sweep.folder / "points" / f"{k:05d}.parquet")
        write_json(sweep.folder / "points" / f"{k:05d}.json",
                   {"point": k, "values": sweep.design.points[k], **summary})
        if progress:
            progress(sweep.runs)
    return assemble(sweep, time.perf_counter() - t0)


def _with_swept(table: pa.Table, sweep: Sweep, k: int) -> pa.Table:
    """A point's replications with one column per swept parameter (its dotted path)."""
    values = sweep.design.points[k]
    for path in sweep.design.paths:
        if path not in table.column_names:
            table = table.append_column(path, pa.array([_scalar(values[path])] * table.num_rows))
    return table


def _local(todo: list[Any], workers: int) -> Iterator[tuple[int, pa.Table, dict[str, Any]]]:
    if workers <= 1 or len(todo) <= 1:
        yield from map(_task, todo)
        return
    with mp.get_context("forkserver").Pool(workers) as pool:
        yield from pool.imap_unordered(_task, todo)


def _dask(todo: list[Any], address: str, workers: int) -> Iterator[tuple[int, pa.Table, dict]]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise UsageError("--dask needs dask.distributed: pip install 'negsim[dask]'") from None
    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        client = Client(cluster)
    else:
        try:
            client = Client(address, timeout="10s")
        except OSError as exc:
            raise UsageError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
    try:
        futures = [client.submit(_task, item, pure=False) for item in todo]
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def assemble(sweep: Sweep, wall_s: float) -> dict[str, Any]:
    """sweep.parquet, summary.json and the sensitivity ranking, from the stored points."""
    points = [read_json(sweep.folder / "points" / f"{k:05d}.json")
              for k in range(len(sweep.design.points))]
    write_parquet(_table(sweep, points), sweep.folder / "sweep.parquet")
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
    write_json(sweep.folder / "summary.json", summary)
    (sweep.folder / MARKER).unlink(missing_ok=True)
    return summary


def _name(sweep: Sweep) -> str:
    scenarios = sweep.scenarios()
    return scenarios[0].name if scenarios else ""


def _table(sweep: Sweep, points: list[dict[str, Any]]) -> pa.Table:
    rows = []
    for p in points:
        row: dict[str, Any] = {"point": p["point"]}
        row.update({path: _scalar(p["values"][path]) for path in sweep.design.paths})
        for name, o in p["outcomes"].items():
            row.update({f"p_{name}": o["p"], f"lo_{name}": o["ci"][0], f"hi_{name}": o["ci"][1]})
        for name, m in p["metrics"].items():
            row[f"mean_{name}"] = m["mean"]
        rows.append(row)
    return pa.Table.from_pylist(rows)


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
        res["noise_share"] = sensitivity.noise_share(y, sweep.runs)
        sensitivity.mark_noise(res, res["noise_share"])
        res["ranking"] = sensitivity.rank(res)
        out[name] = res
    return out
