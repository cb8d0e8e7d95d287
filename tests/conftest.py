"""Shared fixtures: paths and small scenario builders."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from click.testing import CliRunner, Result

from sim.cli import main
from sim.engine import Plan
from sim.scenario import loads

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
EXAMPLES = SCENARIOS / "examples"
FLAGSHIP = SCENARIOS / "kerry_moscow_2016.yaml"
POISSON = EXAMPLES / "truce_poisson.yaml"
TORNADO = ROOT / "tests" / "data" / "tornado_truce.yaml"  # two drawn inputs, a known lever
HAWKES = EXAMPLES / "truce_hawkes.yaml"
TRADE = EXAMPLES / "trade_talks.yaml"
SYNTHETIC = EXAMPLES / "incidents_synthetic.csv"

# A suite started as a background job of a shell without job control (`make test &` in a
# script) inherits Ctrl-C ignored, and so would every negsim process it starts: the tests
# that stop one by SIGINT would see it run to its end. A handler, unlike an ignored signal,
# is reset at exec, so the processes these tests start take Ctrl-C as a terminal's user's.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def invoke(*args: Any, **kwargs: Any) -> Result:
    """``negsim ARGS`` in this process, through click's test runner."""
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def refused(result: Result, *words: str) -> None:
    """The command exited 2 with one line, no traceback, saying each of ``words``."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1, result.output
    for word in words:
        assert word in result.output, result.output


def negsim(*args: Any, timeout: float = 180, cwd: Path = ROOT,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m sim ARGS`` as a real subprocess (from the checkout by default)."""
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=timeout)


def stop_after(chunks: int) -> Callable[[int], None]:
    """A progress callback that interrupts (as Ctrl-C) once ``chunks`` chunks (or sweep
    points) finished."""
    seen = [0]

    def tick(n: int) -> None:
        seen[0] += 1
        if seen[0] > chunks:
            raise KeyboardInterrupt

    return tick


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
