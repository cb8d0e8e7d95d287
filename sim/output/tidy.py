"""The tidy shapes of results, named once (docs/results.md lists every column).

Long tables name their columns the same way everywhere: ``outcome``, ``p``, ``ci_low``,
``ci_high``, ``count`` for outcome shares; ``metric``, ``n``, ``mean``, ``sd``, ``ci_low``,
``ci_high``, ``q05``, ``q50``, ``q95`` for metrics; ``point`` for a sweep's point and ``arm``
for a compare's arm. Wide tables (one row per sweep point) prefix the outcome or metric name
with ``p_``, ``ci_low_``, ``ci_high_`` and ``mean_``.
"""

from __future__ import annotations

import ast
from typing import Any

import pyarrow as pa

from sim.operations.sweeps import point_records, point_rows


def sweep_rows(points: list[dict[str, Any]], paths: list[str]) -> list[dict[str, Any]]:
    """One row per sweep point, as sweep.parquet holds it."""
    return point_rows(points, paths)


def compare_rows(pairs: pa.Table) -> list[dict[str, Any]]:
    """A compare's side-by-side pairs (``COLUMN__K`` per arm K) as one row per replication
    and arm: ``replication``, ``arm`` (its label), then the arm's columns."""
    labels = _labels(pairs)
    data = pairs.to_pydict()
    replications = data.get("replication", [])
    rows = []
    for k, label in labels.items():
        columns = {name.removesuffix(f"__{k}"): values for name, values in data.items()
                   if name.endswith(f"__{k}")}
        if not columns:
            continue  # an arm of another length is left out of the pairs
        rows += [{"replication": r, "arm": label, **{c: v[i] for c, v in columns.items()}}
                 for i, r in enumerate(replications)]
    return rows


def _labels(pairs: pa.Table) -> dict[str, str]:
    meta = (pairs.schema.metadata or {}).get(b"arms")
    if meta is None:
        keys = sorted({n.rpartition("__")[2] for n in pairs.column_names if "__" in n}, key=int)
        return {k: k for k in keys}
    return {str(k): str(v) for k, v in ast.literal_eval(meta.decode()).items()}


__all__ = ["sweep_rows", "compare_rows", "point_records"]
