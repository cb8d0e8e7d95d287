"""Shared fixtures: paths and small scenario builders."""

from __future__ import annotations

from pathlib import Path

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
