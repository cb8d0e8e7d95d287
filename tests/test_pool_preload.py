"""Pool workers start from a fork server that has already imported the runner and loaded the
engine's compiled kernels (``sim.running.preload``): a worker inherits them instead of
loading them itself, for every pool a command starts (one per ``--precision`` batch)."""

from __future__ import annotations

import os
import sys

import pytest

from sim.running.executor import PRELOAD, Executor


def _inherited(_: int) -> tuple[bool, bool]:
    """Whether this worker holds the runner and the compiled kernels (set only by
    ``sim.engine.compile_kernels``) before its task does anything."""
    engine = sys.modules.get("sim.engine")
    return "sim.running.runner" in sys.modules, bool(engine and engine._compiled)  # noqa: SLF001


@pytest.mark.skipif(os.name == "nt", reason="a fork server: not on Windows")
def test_workers_inherit_the_preloaded_runner_and_kernels() -> None:
    assert "sim.running.preload" in PRELOAD
    for _ in range(2):  # the second pool forks from the same server
        assert list(Executor(2).map(_inherited, [0, 1, 2, 3])) == [(True, True)] * 4
