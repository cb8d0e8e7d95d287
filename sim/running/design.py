"""Sweep designs: which parameter values each point of a sweep takes.

``PATH=SPEC`` with SPEC ``a,b,c`` (a list), ``lo:hi:steps`` (evenly spaced), or ``lo..hi`` (a
range for the samplers). Grids are cartesian products, ``--zip`` varies lists in lockstep,
``--design`` reads explicit points from a CSV, and ``lhs:N`` / ``sobol:N`` sample ranges with
scipy.stats.qmc, seeded.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import ScenarioError, UsageError
from sim.scenario import budgets
from sim.scenario.yamlload import flow, parse_value
from sim.store import Unreadable, stream_input

Point = dict[str, Any]
MAX_MAGNITUDE = 1e15  # a swept number larger than this is a typo, not a parameter
MAX_DESIGN_BYTES = 50_000_000  # 100,000 points of up to 500 bytes each, streamed


@dataclass(frozen=True)
class Spec:
    """One ``PATH=SPEC`` argument."""

    path: str
    values: list[Any] | None = None  # a list or an evenly spaced grid
    low: float | None = None  # a range for samplers
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return self.values is None


@dataclass(frozen=True)
class Design:
    """The points of a sweep and how they were made."""

    method: str
    paths: list[str]
    points: list[Point]
    sobol: dict[str, Any] = field(default_factory=dict)  # n and d, for sobol_indices
    source: str = ""  # the design CSV, to name its rows in errors


_RANGE = re.compile(r"^\s*(-?[\d.eE+-]+)\s*\.\.\s*(-?[\d.eE+-]+)\s*$")
_STEPS = re.compile(r"^\s*(-?[\d.eE+-]+)\s*:\s*(-?[\d.eE+-]+)\s*:\s*(\d+)\s*$")
_MAX_STEP_DIGITS = 9  # more steps than this are past every budget; int() need not read them


def parse_spec(text: str) -> Spec:
    """Parse ``PATH=SPEC``.

    Raises:
        UsageError: the text is not PATH=SPEC or the SPEC is malformed.
    """
    path, sep, spec = text.partition("=")
    if not sep or not path.strip() or not spec.strip():
        raise UsageError(f"<<set>> {text!r}: expected PATH=SPEC with SPEC a,b,c or lo:hi:steps "
                         "or lo..hi")
    path = path.strip()
    if m := _RANGE.match(spec):
        lo, hi = _number(m[1], text), _number(m[2], text)
        if lo >= hi:
            raise UsageError(f"<<set>> {text!r}: range {lo:g}..{hi:g} must have lo < hi")
        return Spec(path, low=lo, high=hi)
    if m := _STEPS.match(spec):
        if len(m[3].lstrip("0")) > _MAX_STEP_DIGITS:
            raise UsageError(f"<<set>> {text[:60]!r}...: {len(m[3]):,}-digit steps; a sweep has "
                             f"at most {budgets.MAX_POINTS:,} points")
        lo, hi, steps = _number(m[1], text), _number(m[2], text), int(m[3])
        if steps < 2:
            raise UsageError(f"<<set>> {text!r}: lo:hi:steps needs at least 2 steps")
        budgets.check_points(steps, f"<<set>> {text!r}")
        return Spec(path, values=[round(float(v), 12) for v in np.linspace(lo, hi, steps)])
    values = [_value(v, f"<<set>> {text!r}") for v in _split(spec)]
    if not values:
        raise UsageError(f"<<set>> {text!r}: no values between the commas; give a,b,c")
    return Spec(path, values=values)


def _split(spec: str) -> list[str]:
    """Split on commas outside brackets, so ``{uniform: [0, 1]}`` stays whole."""
    parts, depth, current = [], 0, ""
    for ch in spec:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p for p in [*parts, current] if p.strip()]


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"<<set>> {where!r}: {text!r} is not a number") from None
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise UsageError(f"<<set>> {where!r}: {text!r} is out of range (at most "
                         f"{MAX_MAGNITUDE:g} in size)")
    return value


def _value(text: str, where: str) -> Any:
    try:
        return parse_value(text, where)
    except ScenarioError as exc:
        raise UsageError(f"{where}: {text[:40]!r} is not a valid value: "
                         f"{exc.problems[0].message}") from None


def build(specs: list[Spec], sample: str = "grid", zipped: bool = False,
          design_csv: Path | None = None, seed: int = 0) -> Design:
    """The points of a sweep.

    Raises:
        UsageError: inconsistent options (ranges in a grid, unequal zip lengths, ...).
    """
    if design_csv is not None:
        if specs or zipped or sample != "grid":
            raise UsageError("<<design>> gives every point; it cannot be combined with <<set>>, "
                             "<<zip>> or <<sample>>")
        return read_design(design_csv)
    if not specs:
        raise UsageError("a sweep needs at least one parameter to sweep: PATH=SPEC in <<set>>, "
                         "or a CSV of points in <<design>>")
    if len({s.path for s in specs}) != len(specs):
        raise UsageError("each path may be swept once")
    if sample == "grid":
        return _grid(specs, zipped)
    method, _, count = sample.partition(":")
    sampler = SAMPLERS.get(method)
    if sampler is None or not count.isdigit() or int(count) < 2:
        raise UsageError(f"<<sample>> {sample!r}: expected grid, "
                         f"{' or '.join(f'{m}:N' for m in SAMPLERS)} with N >= 2")
    n = int(count)
    budgets.check_points(sampler.points(n, len(specs)), f"<<sample>> {sample}")
    listed = [s.path for s in specs if not s.is_range]
    if listed:
        raise UsageError(f"{', '.join(listed)}: <<sample>> {method} needs ranges lo..hi")
    lo = np.array([s.low for s in specs], dtype=float)
    hi = np.array([s.high for s in specs], dtype=float)
    paths = [s.path for s in specs]
    unit, info = sampler.draw(n, len(specs), seed)
    from scipy.stats import qmc  # scipy.stats loads with a sampled sweep (a second's import)

    return Design(method, paths, _rows(paths, qmc.scale(unit, lo, hi)), info)


def _grid(specs: list[Spec], zipped: bool) -> Design:
    ranged = [s.path for s in specs if s.is_range]
    if ranged:
        raise UsageError(f"{', '.join(ranged)}: lo..hi ranges need <<sample>> lhs:N or sobol:N; "
                         "use lo:hi:steps or a,b,c for a grid")
    paths = [s.path for s in specs]
    lists = [s.values or [] for s in specs]
    if zipped:
        if len({len(v) for v in lists}) != 1:
            raise UsageError("<<zip>> needs lists of equal length, got "
                             + ", ".join(f"{p}: {len(v)}"
                                         for p, v in zip(paths, lists, strict=True)))
        budgets.check_points(len(lists[0]) if lists else 0)
        rows = list(zip(*lists, strict=True))
    else:
        budgets.check_points(budgets.grid_size([len(v) for v in lists]))
        rows = list(itertools.product(*lists))
    return Design("zip" if zipped else "grid", paths,
                  [dict(zip(paths, r, strict=True)) for r in rows])


@dataclass(frozen=True)
class Sampler:
    """A way to place ``n`` sweep points in the unit cube of ``d`` ranges (``--sample
    NAME:N``): how many points it makes, and the points with what the analysis needs."""

    points: Callable[[int, int], int]
    draw: Callable[[int, int, int], tuple[np.ndarray, dict[str, Any]]]


def _lhs(n: int, d: int, seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, seed=seed).random(n), {}


def _saltelli(n: int, d: int, seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Saltelli's design for Sobol indices: A, B and each A with one column from B."""
    if n & (n - 1):
        raise UsageError(f"<<sample>> sobol:{n}: N must be a power of two (e.g. 64, 128)")
    from scipy.stats import qmc

    base = qmc.Sobol(d=2 * d, seed=seed).random(n)
    a, b = base[:, :d], base[:, d:]
    ab = [np.where(np.arange(d) == i, b, a) for i in range(d)]
    return np.vstack([a, b, *ab]), {"n": n, "d": d}


SAMPLERS: dict[str, Sampler] = {
    "lhs": Sampler(lambda n, d: n, _lhs),
    "sobol": Sampler(lambda n, d: n * (d + 2), _saltelli),
}


def _rows(paths: list[str], values: np.ndarray) -> list[Point]:
    return [{p: float(v) for p, v in zip(paths, row, strict=True)} for row in values]


def read_design(path: Path) -> Design:
    """Points from a CSV whose header names the paths (UTF-8, with or without a BOM), read
    row by row as the bytes arrive (a design of MAX_POINTS points is never held as text).

    Raises:
        UsageError: the file is missing, not a regular file, too large, not text, empty, has
            a blank or duplicated column, a ``runs`` or ``seed`` column, a blank line, an
            unterminated quote or a malformed row (each named by its line).
        ScenarioError: a cell is not a valid value, named by its line.
    """
    rows = csv.reader(_design_lines(path), strict=True)
    ends = [0]  # the line the last complete row ended on
    try:
        paths = _header(path, next(rows, None))
        ends[0] = rows.line_num
        points = [_point(path, rows.line_num, row, paths) for row in _counted(path, rows, ends)]
    except csv.Error as exc:  # the row that fails starts on the line after the last one
        raise UsageError(f"{path}:{ends[0] + 1}: {_csv_reason(exc)}") from None
    if not points:
        raise UsageError(f"{path}: a design needs a header of paths and at least one row")
    return Design("design", paths, points, source=str(path))


_NOT_SWEPT = {  # the same for every point: the points are compared on common streams
    "runs": "every point runs the same replications (give their number with -n)",
    "seed": "every point runs on the same random streams (give the seed with --seed)"}


def _header(path: Path, row: list[str] | None) -> list[str]:
    if not row:
        raise UsageError(f"{path}: a design needs a header of paths and at least one row")
    paths = [h.strip() for h in row]
    if "" in paths:
        where = "a trailing comma?" if paths[-1] == "" else "two commas in a row?"
        raise UsageError(f"{path}:1: column {paths.index('') + 1} of the header is empty "
                         f"({where}); the header names one scenario path per column")
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        raise UsageError(f"{path}:1: column {repeated[0]!r} appears more than once")
    fixed = [p for p in paths if p in _NOT_SWEPT]
    if fixed:
        raise UsageError(f"{path}:1: column {fixed[0]!r} cannot vary by point: "
                         f"{_NOT_SWEPT[fixed[0]]}")
    return paths


def _counted(path: Path, rows: Any, ends: list[int]) -> Any:
    """The rows, refusing a blank line and more than MAX_POINTS points as they come (each
    row's last line kept in ``ends``)."""
    for k, row in enumerate(rows, start=1):
        ends[0] = rows.line_num
        if not row:
            raise UsageError(f"{path}:{rows.line_num}: a blank line; a design has one point "
                             "per line (remove the blank line)")
        if k > budgets.MAX_POINTS:
            budgets.check_points(k, str(path))
        yield row


def _point(path: Path, line: int, row: list[str], paths: list[str]) -> Point:
    if len(row) != len(paths):
        raise UsageError(f"{path}:{line}: expected {len(paths)} values, got {len(row)}")
    return {p: _value(v, f"{path}:{line}") for p, v in zip(paths, row, strict=True)}


def _csv_reason(exc: csv.Error) -> str:
    reason = str(exc)
    if "unexpected end of data" in reason:
        return "a quote is opened and never closed"
    if "NUL" in reason:
        return "binary data (NUL byte), expected CSV text"
    return f"not valid CSV: {reason}"


def _design_lines(path: Path) -> Any:
    """The design's text line by line (line ends kept, for quoted cells spanning lines)."""
    try:
        tail = ""
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        for block in stream_input(path, MAX_DESIGN_BYTES, "design CSV"):
            *lines, tail = (tail + decoder.decode(block)).split("\n")
            yield from (line + "\n" for line in lines)
        tail += decoder.decode(b"", final=True)
        if tail:
            yield tail
    except Unreadable as exc:
        raise UsageError(f"{path}: {exc.reason}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text; save the design as CSV UTF-8") from None


def assignments(point: Point) -> list[str]:
    """``PATH=VALUE`` strings for a point (values as YAML flow text)."""
    return [f"{p}={flow(v)}" for p, v in point.items()]

