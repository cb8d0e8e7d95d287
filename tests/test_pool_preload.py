"""Pool workers start from a fork server that has already imported the runner and loaded the
engine's compiled kernels (``sim.running.preload``): a worker inherits them instead of
loading them itself, for every pool a command starts (one per ``--precision`` batch)."""

from __future__ import annotations

import os
import sys

import pytest

from sim.running import executor
from sim.running.executor import PRELOAD, Executor


def _inherited(_: int) -> tuple[bool, bool, int]:
    """Whether this worker holds the runner and the compiled kernels (set only by
    ``sim.engine.compile_kernels``) before its task does anything, and its pid."""
    engine = sys.modules.get("sim.engine")
    return ("sim.running.runner" in sys.modules, bool(engine and engine._compiled),  # noqa: SLF001
            os.getpid())


@pytest.mark.skipif(os.name == "nt", reason="a fork server: not on Windows")
def test_workers_inherit_the_preloaded_runner_and_kernels() -> None:
    assert "sim.running.preload" in PRELOAD
    for _ in range(2):  # the second pool forks from the same server
        out = list(Executor(2).map(_inherited, [0, 1, 2, 3, 4]))
        workers = [(runner, kernels) for runner, kernels, pid in out if pid != os.getpid()]
        assert len(workers) >= 4  # a first pool leaves one task to this process (below)
        assert set(workers) == {(True, True)}


def _where(k: int) -> tuple[int, int]:
    if k == -1:
        raise ValueError("the first task fails")
    return k, os.getpid()


@pytest.mark.skipif(os.name == "nt", reason="a fork server: not on Windows")
def test_this_process_runs_the_first_task_while_the_first_pool_starts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A process's first pool: the first task runs here (instead of waiting a second for the
    fork server), the others on the pool; a later pool takes every task. The results keep
    the tasks' order."""
    monkeypatch.setattr(executor, "_server_up", False)
    out = list(Executor(2).map(_where, list(range(8))))
    assert [k for k, _ in out] == list(range(8))
    assert out[0][1] == os.getpid()
    assert all(pid != os.getpid() for _, pid in out[1:])
    later = list(Executor(2).map(_where, list(range(8))))
    assert [k for k, _ in later] == list(range(8))
    assert all(pid != os.getpid() for _, pid in later)


def test_a_failing_first_task_raises_and_stops_the_pool(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    import multiprocessing

    monkeypatch.setattr(executor, "_server_up", False)
    before = set(multiprocessing.active_children())
    with pytest.raises(ValueError, match="first task fails"):
        list(Executor(2).map(_where, [-1, 1, 2, 3]))
    assert set(multiprocessing.active_children()) <= before  # no worker left behind


def test_one_task_runs_here_without_a_pool() -> None:
    assert list(Executor(2).map(_where, [5])) == [(5, os.getpid())]
