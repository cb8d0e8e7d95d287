"""Verifying a results folder: every stored file against the size and SHA-256 its manifest
recorded as it was written, and the numbers against each other.

A complete folder's ``manifest.json`` lists every file (``files``); an incomplete sweep's
points each record their Parquet's size and SHA-256 in their JSON. The cross-checks: outcome
counts add up to the replications, each ``p`` is its count over them, each interval is the
Wilson interval of that count, a point's index matches its file name and its values the
design, outcome names are ones the scenario can have, and a Parquet holds the rows its JSON
counts. The first mismatch is refused in one line naming the file and what differs.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from sim.engine.outcomes import OUTCOMES, possible
from sim.errors import DamagedFile, NegsimError, UsageError
from sim.scenario import loads
from sim.stats import wilson_interval
from sim.store import (
    CHUNKS,
    MARKER,
    REQUEST,
    arms_stored,
    clean_json,
    difference,
    kind_of,
    read_json,
    read_manifest,
    read_request,
    read_table,
    stored,
)
from sim.store.folders import UNSEALED, refuse_links

_POINT = re.compile(r"^(\d{5})\.(json|parquet)$")
_READ = (".json", ".parquet", ".png")  # what negsim reads back from a folder
TOLERANCE = 1e-9


def verify(folder: Path) -> dict[str, Any]:
    """Check a run, compare or sweep folder (see the module's docstring).

    Returns:
        ``{"folder", "kind", "files": files checked against the manifest (0 when it lists
        none: an incomplete sweep, or a folder from an earlier version), "complete": bool}``.

    Raises:
        UsageError: not a negsim results folder.
        DamagedFile: a file is missing, changed, planted or inconsistent (named).
    """
    folder = Path(folder)
    refuse_links(folder)
    kind = kind_of(folder)
    if kind is None and (folder / CHUNKS / REQUEST).is_file():
        return unfinished(folder)
    if kind is None and (folder / MARKER).is_file():
        raise DamagedFile(f"{folder}: an interrupted run or compare, never finished (its "
                          f"{MARKER} note says so); it cannot be resumed: remove it and run "
                          "again")
    if kind is None:
        raise UsageError(f"{folder}: not a negsim run, compare or sweep folder")
    manifest = read_manifest(folder)
    listed = manifest.get("files")
    if listed is not None:
        _check_listed(folder, listed)
    {"run": _run, "compare": _compare, "sweep": _sweep, "tornado": _tornado}[kind](
        folder, manifest)
    return {"folder": str(folder), "kind": kind, "files": len(listed or {}),
            "complete": not (folder / MARKER).exists() and not folder.name.endswith(".partial")}


def unfinished(folder: Path) -> dict[str, Any]:
    """An interrupted run or compare (``NAME.partial``): its request and every finished
    chunk against the record written with it.

    Returns:
        As :func:`verify`, ``complete`` false, ``files`` the chunks checked, and ``resume``
        the command that continues it.

    Raises:
        DamagedFile: the request, a record or a chunk is damaged, or a file is stray (named).
    """
    request = read_request(folder)
    kind, size, runs = request["kind"], request["chunk"], request["runs"]
    if kind == "run":
        found = [stored(folder, size, runs)]
    else:
        found = arms_stored(folder, size, runs, len(request["arms"]))
    return {"folder": str(folder), "kind": kind, "files": sum(len(f) for f in found),
            "complete": False, "resume": f"negsim {kind} --resume {folder}"}


def _check_listed(folder: Path, listed: dict[str, Any]) -> None:
    for rel, want in listed.items():
        path = folder / rel
        if not isinstance(want, dict) or Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise DamagedFile(f"{folder / 'manifest.json'}: files: {rel!r} is not a file of "
                              "the folder")
        found = difference(path, want, folder)
        if found is not None:
            raise DamagedFile(found.says("the manifest lists it", "the manifest recorded"))
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.suffix in _READ and rel not in listed and rel not in UNSEALED:
            raise DamagedFile(f"{path} is not listed in the manifest (planted, or from "
                              "another run?); remove it")


def rows(where: Path, table: Any, runs: int, allowed: tuple[str, ...]) -> None:
    """An outcome table's counts, probabilities and intervals against ``runs``.

    Raises:
        DamagedFile: they disagree (named).
    """
    if not isinstance(table, dict):
        raise DamagedFile(f"{where}: outcomes: expected a table of outcomes")
    unknown = [name for name in table if name not in allowed]
    if unknown:
        raise DamagedFile(f"{where}: outcome {unknown[0]!r} cannot occur in this scenario "
                          f"(it can end as {', '.join(allowed)})")
    total = sum(int(r["count"]) for r in table.values())
    if total != runs:
        raise DamagedFile(f"{where}: outcome counts add up to {total:,}, not the {runs:,} "
                          "replications run")
    for name, r in table.items():
        _row(where, name, r, runs)


def _row(where: Path, name: str, r: dict[str, Any], runs: int) -> None:
    p, count = float(r["p"]), int(r["count"])
    if not math.isclose(p, count / runs if runs else 0.0, abs_tol=TOLERANCE):
        raise DamagedFile(f"{where}: {name}: p is {p:g}, but {count} of {runs} replications "
                          f"give {count / runs:.6g}")
    lo, hi = (float(x) for x in r["ci"])
    want = wilson_interval(count, runs)
    if not (math.isclose(lo, want[0], abs_tol=1e-6) and math.isclose(hi, want[1], abs_tol=1e-6)):
        raise DamagedFile(f"{where}: {name}: interval [{lo:g}, {hi:g}] is not the 95% interval "
                          f"of {count} of {runs} ([{want[0]:.4g}, {want[1]:.4g}])")


def allowed_in(text: str, folder: Path) -> tuple[str, ...]:
    """The outcomes a stored scenario text can have (all registered ones if it no longer
    loads)."""
    try:
        return possible(loads(text, str(folder)))
    except NegsimError:
        return OUTCOMES


def _run(folder: Path, manifest: dict[str, Any]) -> None:
    summary = read_json(folder / "summary.json", folder)
    runs = int(manifest["runs"])
    if summary["runs"] != runs:
        raise DamagedFile(f"{folder / 'summary.json'}: runs is {summary['runs']}, the manifest "
                          f"says {runs}")
    rows(folder / "summary.json", summary.get("outcomes"), runs,
         allowed_in(manifest["scenario_text"], folder))
    if not isinstance(summary.get("metrics"), dict):
        raise DamagedFile(f"{folder / 'summary.json'}: no metrics table")
    parquet = folder / "replications.parquet"
    if parquet.exists():
        n = _rows_in(parquet, folder)
        if n != runs:
            raise DamagedFile(f"{parquet} holds {n:,} replications; the manifest says {runs:,}")


def _rows_in(path: Path, folder: Path) -> int:
    refuse_links(path, folder)
    try:
        return int(pq.read_metadata(path).num_rows)
    except (OSError, ValueError) as exc:
        raise DamagedFile(f"{path} is not a readable Parquet file ({exc})") from None


def _compare(folder: Path, manifest: dict[str, Any]) -> None:
    result = read_json(folder / "compare.json", folder)
    for k, arm in enumerate(result["scenarios"]):
        runs = int(arm.get("runs", result["runs"]))
        rows(folder / "compare.json", arm.get("outcomes"), runs, OUTCOMES)
        if "label" not in arm:
            raise DamagedFile(f"{folder / 'compare.json'}: scenarios.{k}: no label")


def _sweep(folder: Path, manifest: dict[str, Any]) -> None:
    job = read_json(folder / "sweep.json", folder)
    _design(folder / "sweep.json", job)
    points = folder / "points"
    refuse_links(points, folder)
    names: list[str] | None = None
    for path in sorted(points.iterdir()) if points.is_dir() else []:
        m = _POINT.match(path.name)
        if m and m[2] == "json":
            names = point(path, job, names, folder)
        elif not m and not path.name.endswith(".tmp"):
            raise DamagedFile(f"{path} is not a point file (planted?); remove it")


def _design(where: Path, job: dict[str, Any]) -> None:
    """The design is one negsim makes: every point sets every swept path, and a Sobol'
    design states its base sample size."""
    if job["method"] == "sobol" and not isinstance((job.get("sobol") or {}).get("n"), int):
        raise DamagedFile(f"{where}: method is sobol but the Sobol' sample size (sobol.n) is "
                          "missing")
    for k, values in enumerate(job["points"]):
        missing = [p for p in job["paths"] if p not in values]
        if missing:
            raise DamagedFile(f"{where}: point {k} does not set {missing[0]}")


def point(path: Path, job: dict[str, Any], names: list[str] | None,
          folder: Path) -> list[str]:
    """One finished point against the design, its runs and its Parquet; the outcome names
    every point must share.

    Raises:
        DamagedFile: the point disagrees with its file name, the design or its Parquet.
    """
    k = int(path.stem)
    if k >= len(job["points"]):
        raise DamagedFile(f"{path}: the design has {len(job['points'])} points, none numbered "
                          f"{k}; delete it")
    data = read_json(path, folder)
    if type(data["point"]) is not int or data["point"] != k:  # "1" and true are not 1
        raise DamagedFile(f"{path}: it says point {data['point']!r}, its name says {k}; "
                          f"delete {path.name} and {path.stem}.parquet, then resume")
    if clean_json(data["values"]) != clean_json(job["points"][k]):
        raise DamagedFile(f"{path}: values {data['values']} are not the design's point {k} "
                          f"({job['points'][k]})")
    mine = list(data["outcomes"])
    if names is not None and mine != names:
        raise DamagedFile(f"{path}: outcomes {mine} differ from the other points' {names}")
    rows(path, data["outcomes"], int(job["runs"]), OUTCOMES)
    _point_table(path.with_suffix(".parquet"), data, int(job["runs"]), folder)
    return mine


def _point_table(parquet: Path, data: dict[str, Any], runs: int, folder: Path) -> None:
    want = data.get("parquet")
    if isinstance(want, dict):
        found = difference(parquet, want, folder)
        if found is not None and found.unread:
            raise DamagedFile(f"{parquet} is missing or unreadable; delete "
                              f"{parquet.stem}.json and resume")
        if found is not None:  # its size or its SHA-256
            raise DamagedFile(f"{parquet} differs from what negsim wrote ({found.found['size']} "
                              f"bytes, recorded {want.get('size')}); delete it and "
                              f"{parquet.stem}.json, then resume")
        return
    table = read_table(parquet, ("outcome",), folder)
    counts = Counter(str(o) for o in table.column("outcome").to_pylist())
    stated = {n: int(r["count"]) for n, r in data["outcomes"].items() if r["count"]}
    if table.num_rows != runs or dict(counts) != stated:
        raise DamagedFile(f"{parquet} holds {table.num_rows} replications whose outcomes do "
                          f"not match {parquet.stem}.json; delete both, then resume")


def _tornado(folder: Path, manifest: dict[str, Any]) -> None:
    """tornado.json against the manifest: the replications per arm and the inputs moved."""
    where = folder / "tornado.json"
    data = read_json(where, folder)
    if data.get("runs") != manifest.get("runs"):
        raise DamagedFile(f"{where}: runs is {data.get('runs')}, the manifest says "
                          f"{manifest.get('runs')}")
    paths = [r.get("path") for r in data.get("levers", [])]
    if paths != manifest.get("levers"):
        raise DamagedFile(f"{where}: the inputs moved ({', '.join(map(str, paths))}) are not "
                          "the ones the manifest records")
