"""Scenario discovery: which ranges of the drawn or swept inputs lead to an outcome.

PRIM (the Patient Rule Induction Method; Friedman and Fisher 1999) from EMA Workbench
(``ema_workbench.analysis.prim``) peels and then pastes a box in the inputs' space; each step
trades coverage (the share of the cases of interest inside the box) against density (the
share of the box that is of interest). We read the whole trajectory, choose the box with the
most coverage whose density is within one binomial standard error of the best density among
boxes covering at least ``min_coverage``, drop its restrictions whose quasi-p value exceeds
``max_qp`` (Bryant and Lempert 2010: a one-sided binomial test of whether the restriction
raises the density; peeling also trims inputs that do not matter), and report the
restricted inputs left with their bounds and a quasi-p value per bound. Everything is read
from the stored folder: nothing is re-run.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim.engine.outcomes import BY_NAME, GROUPS, OUTCOMES, is_input, possible, possible_in
from sim.errors import DamagedFile, MissingExtra, NegsimError, UsageError
from sim.operations.verification import verify
from sim.scenario import Scenario, loads
from sim.scenario.inputs import finite, number
from sim.store import (
    kind_of,
    read_json,
    read_manifest,
    read_table,
    record_written,
    write_bytes,
    write_json,
)

MIN_COVERAGE = 0.8
PEEL_ALPHA = 0.05
PASTE_ALPHA = 0.05
MASS_MIN = 0.05
MAX_QP = 0.05


@dataclass
class Experiments:
    """Inputs (one column per drawn or swept parameter) and outcomes, one row per replication."""

    folder: Path
    kind: str  # "run" or "sweep"
    inputs: dict[str, np.ndarray]
    outcomes: np.ndarray
    allowed: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    """PRIM's settings: how much is peeled and pasted per step and which box is chosen."""

    min_coverage: float = MIN_COVERAGE
    peel_alpha: float = PEEL_ALPHA
    paste_alpha: float = PASTE_ALPHA
    mass_min: float = MASS_MIN
    max_qp: float = MAX_QP

    def __post_init__(self) -> None:
        """Refuse settings PRIM cannot use, before any work: a NaN or out-of-range share
        would otherwise be stored as null, or fail deep inside EMA Workbench.

        Raises:
            UsageError: a share outside [0, 1], or an alpha outside (0, 0.5].
        """
        for name in ("min_coverage", "max_qp"):
            number(name, getattr(self, name), 0.0, 1.0, "a share between 0 and 1")
        for name in ("peel_alpha", "paste_alpha"):
            number(name, getattr(self, name), 0.0, 0.5, "a share above 0 and at most 0.5",
                   low_open=True)


def load(folder: Path) -> Experiments:
    """The experiments stored in a run folder (drawn inputs) or a sweep folder (swept inputs).

    Raises:
        UsageError: the folder is not a run or sweep folder, or holds no varying input.
    """
    kind = kind_of(folder)
    if kind is not None:
        verify(folder)
    if kind == "sweep":
        exp = _sweep(folder)
    elif kind == "run":
        exp = _run(folder)
    else:
        raise UsageError(f"{folder}: not a negsim run or sweep folder (no replications.parquet "
                         "or sweep.json)")
    if not exp.outcomes.size:
        raise UsageError(f"{folder}: no replications stored; nothing to explain")
    for name, values in exp.inputs.items():
        if not np.isfinite(values).all():
            raise DamagedFile(f"{folder}: input {name} holds a value that is not a finite "
                              "number (NaN or infinite); not from negsim")
    exp.inputs = {k: v for k, v in exp.inputs.items() if np.ptp(v) > 0}
    if not exp.inputs:
        raise UsageError(f"{folder}: no input varies across its replications (give the "
                         "scenario distributions, or sweep parameters), so nothing can explain "
                         "the outcomes")
    return exp


def _run(folder: Path) -> Experiments:
    table = read_table(folder / "replications.parquet", inside=folder)
    manifest = read_manifest(folder)
    inputs = {c: _floats(table.column(c)) for c in table.column_names if is_input(c)}
    scenario = _scenario(manifest.get("scenario_text", ""), folder)
    allowed = possible(scenario) if scenario else _observed(table)
    return Experiments(folder, "run", inputs, _outcomes(table), allowed)


def _sweep(folder: Path) -> Experiments:
    job = read_json(folder / "sweep.json", folder)
    done = sorted((folder / "points").glob("[0-9]*.json"))  # verified: each with its Parquet
    if not done:
        raise UsageError(f"{folder}: the sweep has no finished points")
    parts = [_point(read_table(f.with_suffix(".parquet"), ("outcome",), folder),
                    job["points"][int(f.stem)], job["paths"]) for f in done]
    table = pa.concat_tables(parts, promote_options="default")
    inputs = {c: _floats(table.column(c)) for c in table.column_names if is_input(c)}
    scenario = _scenario(job.get("scenario_text", ""), folder)
    allowed = possible_in([scenario] if scenario else [], _observed(table))
    return Experiments(folder, "sweep", inputs, _outcomes(table), allowed)


def _point(table: pa.Table, values: dict[str, Any], paths: list[str]) -> pa.Table:
    """A point's replications with its swept values as columns (older sweeps lack them)."""
    for path in paths:
        if path not in table.column_names and isinstance(values[path], int | float):
            table = table.append_column(path, pa.array([float(values[path])] * table.num_rows))
    keep = [c for c in table.column_names if c == "outcome" or is_input(c)]
    return table.select(keep)


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    try:
        return column.to_numpy(zero_copy_only=False).astype(float)
    except (TypeError, ValueError):
        return np.zeros(len(column))  # a non-numeric input cannot bound a box


def _outcomes(table: pa.Table) -> np.ndarray:
    return np.asarray(table.column("outcome").to_numpy(zero_copy_only=False)).astype(str)


def _observed(table: pa.Table) -> tuple[str, ...]:
    return possible_in([], set(_outcomes(table)))


def _scenario(text: str, folder: Path) -> Scenario | None:
    try:
        return loads(text, str(folder))
    except NegsimError:
        return None


def interest(exp: Experiments, outcome: str) -> np.ndarray:
    """True for the replications that ended in ``outcome`` (or in its coarse group).

    Raises:
        UsageError: the name is neither an outcome nor a group, or cannot occur here.
    """
    if outcome in GROUPS:
        members = [o.name for o in BY_NAME.values() if o.group == outcome]
        return np.isin(exp.outcomes, members)
    if outcome not in OUTCOMES:
        names = dict.fromkeys(OUTCOMES + tuple(GROUPS))  # escalation is both: list it once
        raise UsageError(f"unknown outcome {outcome!r}; expected one of {', '.join(names)}")
    if outcome not in exp.allowed:
        raise UsageError(f"outcome {outcome!r} cannot occur in {exp.folder}; it can end as "
                         f"{', '.join(exp.allowed)}")
    return exp.outcomes == outcome


def discover(folder: str | Path, outcome: str, settings: Settings | None = None
             ) -> dict[str, Any]:
    """PRIM boxes for ``outcome`` over the inputs stored in ``folder``.

    Args:
        folder: A run folder (drawn inputs) or sweep folder (swept inputs).
        outcome: An outcome name, or a coarse group name.
        settings: PRIM's settings (defaults: ``Settings()``).

    Returns:
        ``{"folder", "kind", "outcome", "n", "cases", "inputs", "settings", "library",
        "trajectory": [...], "picked", "chosen": {"index", "coverage", "density", "mass",
        "restricted": [...]}}``: ``picked`` is the box chosen on the trajectory, ``chosen`` the
        box left after dropping insignificant restrictions; each restricted input has ``min``,
        ``max``, the input's range and a quasi-p value per bound.

    Raises:
        UsageError: bad folder or outcome, or no replication ended in ``outcome``.
    """
    exp = load(Path(folder))
    y = interest(exp, outcome)
    if not y.any():
        raise UsageError(f"no replication in {folder} ended in {outcome!r}; nothing to explain")
    opts = settings or Settings()
    box = _prim(exp, y, opts)
    trajectory = _trajectory(box)
    picked = choose(trajectory, opts.min_coverage)
    index = prune(box, picked, opts.max_qp)
    # The chosen box is numbered on the trajectory read (pruning appends its wider boxes
    # beyond it), with the restrictions pruning dropped counted.
    chosen = _chosen(box, index, _trajectory(box)[index])
    chosen.update(index=picked, dropped=len(box.box_lims) - len(trajectory))
    return {"folder": str(folder), "kind": exp.kind, "outcome": outcome, "n": int(y.size),
            "cases": int(y.sum()), "inputs": list(exp.inputs), "settings": opts.__dict__,
            "library": _library(), "trajectory": trajectory, "picked": picked,
            "chosen": chosen}


INSTALL_HINT = ("discover needs EMA Workbench's PRIM, an optional extra: "
                "pip install 'negsim[discover]'")


def _prim(exp: Experiments, y: np.ndarray, opts: Settings) -> Any:
    import pandas as pd

    with warnings.catch_warnings():
        # EMA Workbench warns at import about optional parallel back ends we do not use.
        warnings.simplefilter("ignore")
        try:
            from ema_workbench.analysis import prim
        except ImportError:
            raise MissingExtra(INSTALL_HINT) from None

        x = pd.DataFrame(exp.inputs)
        # y is 0 or 1: a threshold just above 0 makes the 1s the cases of interest and always
        # keeps the peeled and pasted box, so the whole trajectory is ours to read
        finder = prim.Prim(x, y.astype(int), threshold=1e-9, peel_alpha=opts.peel_alpha,
                           paste_alpha=opts.paste_alpha, mass_min=opts.mass_min)
        return finder.find_box()


def _library() -> str:
    from importlib import metadata

    return f"ema-workbench {metadata.version('ema-workbench')} (ema_workbench.analysis.prim)"


def _trajectory(box: Any) -> list[dict[str, Any]]:
    rows = box.peeling_trajectory
    return [{"coverage": float(r.coverage), "density": float(r.density), "mass": float(r.mass),
             "restricted": int(r.res_dim), "n": int(r.n)} for r in rows.itertuples()]


def choose(trajectory: list[dict[str, Any]], min_coverage: float) -> int:
    """The box with the most coverage whose density is within one binomial standard error of
    the best density among the boxes covering at least ``min_coverage`` (index 0 when none
    does)."""
    eligible = [k for k, t in enumerate(trajectory) if t["coverage"] >= min_coverage]
    if not eligible:
        return 0
    best = max(eligible, key=lambda k: trajectory[k]["density"])
    d, n = trajectory[best]["density"], trajectory[best]["n"]
    floor = d - math.sqrt(d * (1 - d) / max(n, 1))
    return next(k for k in eligible if trajectory[k]["density"] >= floor)


def prune(box: Any, index: int, max_qp: float) -> int:
    """Drop, one at a time, the restriction whose quasi-p is largest while it exceeds
    ``max_qp`` (EMA Workbench's ``drop_restriction``, which appends the wider box to the
    trajectory); returns the index of the box left."""
    while True:
        worst = max(((min(v for v in qp if v >= 0), name) for name, qp in box.qp[index].items()),
                    default=(0.0, ""))
        if worst[0] <= max_qp:
            return index
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            box.drop_restriction(worst[1], index)
        index = len(box.box_lims) - 1


def _chosen(box: Any, index: int, stats: dict[str, Any]) -> dict[str, Any]:
    lims = box.box_lims[index]
    first = box.box_lims[0]
    qp = box.qp[index]
    restricted = []
    for name in qp:
        lo, hi = float(lims[name].iloc[0]), float(lims[name].iloc[1])
        q_lo, q_hi = (None if v is None or v < 0 else float(v) for v in qp[name])
        restricted.append({"input": name, "min": lo, "max": hi,
                           "range": [float(first[name].iloc[0]), float(first[name].iloc[1])],
                           "restricts_min": q_lo is not None, "restricts_max": q_hi is not None,
                           "qp_min": q_lo, "qp_max": q_hi})
    restricted.sort(key=lambda r: min(v for v in (r["qp_min"], r["qp_max"], 1.0)
                                      if v is not None))
    return {"index": index, **stats, "restricted": restricted}


def save(folder: Path, result: dict[str, Any], image: Path, force: bool,
         draw: Callable[[dict[str, Any], Path], Any]) -> list[Path]:
    """Store a discovery in its folder, all or nothing: the plot (``draw``, the output
    layer's writer, at ``image``), then ``discover-OUTCOME.json``, then both in the folder's
    manifest. Should any step fail (a plot that cannot be written, a full disk, Ctrl-C), each
    file is put back as it was, or removed if it is new, so the folder still verifies.

    Returns:
        The JSON's and the plot's paths.

    Raises:
        UsageError: a stored discovery with other settings and no ``force`` (before anything
            is written).
        StorageError: a file cannot be written (the folder is left as it was).
    """
    data = _refuse_other_settings(folder, result, force)
    before = {p: _content(p) for p in dict.fromkeys((image, data)) if _puttable(p)}
    try:
        draw(result, image)
        write_json(data, result)
        record_written(folder, [data, image])
    except BaseException:
        for path, content in before.items():
            _put_back(path, content)
        raise
    return [data, image]


def _refuse_other_settings(folder: Path, result: dict[str, Any], force: bool) -> Path:
    """The JSON's path, refused when it holds a discovery with other settings (no force)."""
    data = folder / f"discover-{result['outcome']}.json"
    if data.exists() and not force:
        before = read_json(data).get("settings")
        if before != result["settings"]:
            changed = ", ".join(f"{k} {before.get(k)} -> {v}" for k, v in
                                result["settings"].items() if (before or {}).get(k) != v)
            raise UsageError(f"{data} holds a discovery with other settings ({changed}); "
                             "pass <<force>> to replace it")
    return data


def _puttable(path: Path) -> bool:
    """Whether ``path`` is absent or a regular file: what the writers may replace (they
    refuse a link or a folder, which therefore never needs putting back)."""
    return not os.path.lexists(path) or (path.is_file() and not path.is_symlink())


def _content(path: Path) -> bytes | None:
    """A file's bytes, or None when there is none."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _put_back(path: Path, content: bytes | None) -> None:
    """Return ``path`` to ``content`` (None: no file) if it changed; best effort, so that
    the error that called for it is the one reported."""
    with contextlib.suppress(OSError, NegsimError):
        if content is None:
            if path.is_file() and not path.is_symlink():
                path.unlink()
        elif _content(path) != content:
            write_bytes(path, content)


def stored(folder: Path) -> list[dict[str, Any]]:
    """Discovery results already stored in a folder, by outcome name."""
    return [read_json(p) for p in sorted(folder.glob("discover-*.json"))]


def box_lines(result: dict[str, Any]) -> list[str]:
    """The chosen box in words, one line per restricted input (the CLI prints them, the
    report joins them). With nothing restricted, say only what was searched and how to
    search wider: a box covering less of the outcome may still restrict an input."""
    c = result["chosen"]
    dropped = c.get("dropped", 0)
    head = (f"{result['outcome']}: {result['cases']} of {result['n']} replications; box "
            f"{c['index']} of {len(result['trajectory'])} on the trajectory"
            + (f" ({dropped} restriction(s) with quasi-p above the limit dropped)" if dropped
               else "")
            + f" covers {c['coverage']:.0%} of them at density {c['density']:.0%} "
            f"(mass {c['mass']:.0%}), {len(c['restricted'])} input(s) restricted")
    if c["restricted"]:
        return [head, *(f"  {_bound(r)}" for r in c["restricted"])]
    settings = result.get("settings") or {}
    coverage = _setting(settings, "min_coverage", ".0%")
    qp = _setting(settings, "max_qp", "g")
    return [head,
            "  no box covering " + (f"at least {coverage}" if coverage else "the share asked")
            + " of these replications restricts an input significantly"
            + (f" (quasi-p <= {qp})" if qp else "") + ";",
            "  a lower minimum coverage may find a smaller box that does; if none "
            "does, the outcome may come from what varies within replications (meeting times, "
            "violations, attacks, shocks)"]


def _setting(settings: dict[str, Any], name: str, spec: str) -> str | None:
    """A stored setting formatted with ``spec``, or None when it is missing or not a finite
    number (older results stored a NaN setting as null)."""
    value = settings.get(name)
    return format(value, spec) if finite(value) else None


def _bound(r: dict[str, Any]) -> str:
    parts = []
    if r["restricts_min"]:
        parts.append(f"{r['input']} >= {r['min']:.4g} (quasi-p {_p(r['qp_min'])})")
    if r["restricts_max"]:
        parts.append(f"{r['input']} <= {r['max']:.4g} (quasi-p {_p(r['qp_max'])})")
    span = f"   [range {r['range'][0]:.4g} to {r['range'][1]:.4g}]"
    return " and ".join(parts or [f"{r['input']} in [{r['min']:.4g}, {r['max']:.4g}]"]) + span


def _p(value: float | None) -> str:
    return "—" if value is None else f"{value:.2g}"
