"""Shared fixtures: paths and small scenario builders."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from sim.engine import Plan
from sim.scenario import loads

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
FLAGSHIP = SCENARIOS / "kerry_moscow_2016.yaml"


@pytest.fixture
def root() -> Path:
    return ROOT


def plan_of(text: str, seed: int | None = None) -> Plan:
    """A Plan from inline YAML."""
    return Plan(loads(text), seed)


def same_value(a: object, b: object) -> bool:
    """Equal, or both NaN."""
    both_nan = isinstance(a, float) and isinstance(b, float) and a != a and b != b
    return both_nan or a == b


def same_table(a: pa.Table, b: pa.Table) -> bool:
    """Equal schemas and values, NaN equal to NaN (records of identical runs compare equal)."""
    if a.schema != b.schema or a.num_rows != b.num_rows:
        return False
    da, db = a.to_pydict(), b.to_pydict()
    return all(same_value(x, y) for name in da for x, y in zip(da[name], db[name], strict=True))
