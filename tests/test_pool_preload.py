"""The process pool: workers fork from a server that has already imported the runner, the
statistics and the engine's compiled kernels (``sim.running.preload``) and inherit them; a
process's first pool lets the process itself take tasks until the pool is up; a command keeps
its pool for its later maps (precision batches, comparison arms) and stops it at its end."""

from __future__ import annotations

import gc
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sim.running import executor
from sim.running.executor import PRELOAD, Executor


def _inherited(_: int) -> tuple[bool, bool, bool, bool, int]:
    """Whether this worker holds the runner, the compiled kernels (set only by
    ``sim.engine.compile_kernels``), the statistics and a frozen heap before its task does
    anything, and its pid."""
    engine = sys.modules.get("sim.engine")
    return ("sim.running.runner" in sys.modules, bool(engine and "bargaining" in engine._compiled),  # noqa: SLF001
            "sim.stats.estimates" in sys.modules, gc.get_freeze_count() > 10_000, os.getpid())


@pytest.mark.skipif(os.name == "nt", reason="a fork server: not on Windows")
def test_the_fork_server_also_imports_the_module_of_the_first_pools_task() -> None:
    from multiprocessing import forkserver

    executor._context(_where)  # noqa: SLF001
    preload = forkserver._forkserver._preload_modules  # type: ignore[attr-defined]  # noqa: SLF001
    assert preload == [*PRELOAD, __name__]


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="a fork server: not on Windows")
def test_workers_inherit_the_preloaded_runner_kernels_statistics_and_frozen_heap() -> None:
    assert "sim.running.preload" in PRELOAD
    list(Executor(2).map(_inherited, [0, 1, 2]))  # a first pool may leave every task here
    for _ in range(2):  # later pools fork from the same server and take every task
        out = list(Executor(2).map(_inherited, [0, 1, 2, 3, 4]))
        assert all(pid != os.getpid() for *_, pid in out)
        assert {tuple(flags) for *flags, _ in out} == {(True, True, True, True)}


def _where(k: int) -> tuple[int, int]:
    if k == -1:
        raise ValueError("the first task fails")
    return k, os.getpid()


_END = object()


class _FakeContext:
    """A pool context whose pool starts when ``ready`` is set and whose feeder thread, as a
    real pool's, takes the remaining tasks at once and runs them (one thread of this process
    standing for the workers), recording the indices it took. ``hold`` keeps the start
    pending that long after the feeder began."""

    def __init__(self, ready: threading.Event | None = None, hold: float = 0.0):
        self.ready, self.hold = ready, hold
        self.pooled: list[int] = []
        self.terminated = threading.Event()

    def Pool(self, *_: object, **__: object) -> _FakeContext:  # noqa: N802 (multiprocessing's name)
        if self.ready is not None:
            self.ready.wait(10)
        return self

    def imap_unordered(self, fn: Callable[[Any], Any], items: Iterator[Any]
                       ) -> Iterator[Any]:
        results: queue.SimpleQueue[Any] = queue.SimpleQueue()

        def feed() -> None:
            for item in items:
                self.pooled.append(item[0])
                results.put(fn(item))
            results.put(_END)

        threading.Thread(target=feed, daemon=True).start()
        time.sleep(self.hold)
        return iter(results.get, _END)

    def terminate(self) -> None:
        self.terminated.set()

    def __enter__(self) -> _FakeContext:
        return self

    def __exit__(self, *_: object) -> None:
        self.terminate()


def _here() -> bool:
    return threading.current_thread() is threading.main_thread()


@pytest.mark.parametrize("ordered", [True, False])
def test_this_process_runs_tasks_until_the_pool_is_up_then_the_pool_the_rest(
        ordered: bool) -> None:
    ready = threading.Event()
    here: list[int] = []

    def task(k: int) -> int:
        if _here():
            here.append(k)
        if k == 3:
            ready.set()  # the pool is up from now on
        time.sleep(0.01)
        return k * k

    ctx = _FakeContext(ready)
    out = list(executor._while_starting(ctx, task, list(range(40)), 2, ordered))  # noqa: SLF001
    assert (out if ordered else sorted(out)) == [k * k for k in range(40)]
    assert here[:4] == [0, 1, 2, 3]  # this process took tasks in order until then
    assert ctx.pooled  # then the pool took the rest
    assert sorted(here + ctx.pooled) == list(range(40))  # each task run once


@pytest.mark.parametrize("ordered", [True, False])
def test_the_last_tasks_taken_by_a_pool_coming_up_are_read_not_dropped(ordered: bool) -> None:
    """The pool's feeder takes the last tasks while its start is still pending: this process
    then finds the queue empty, and must read the pool's results, not give up on them."""
    ready = threading.Event()

    def task(k: int) -> int:
        if k == 0:
            ready.set()
            time.sleep(0.05)  # the feeder drains tasks 1-5 meanwhile
        return -k

    ctx = _FakeContext(ready, hold=0.3)
    out = list(executor._while_starting(ctx, task, list(range(6)), 2, ordered))  # noqa: SLF001
    assert (out if ordered else sorted(out, reverse=True)) == [0, -1, -2, -3, -4, -5]
    assert sorted(ctx.pooled) == [1, 2, 3, 4, 5]


def test_a_missing_result_is_an_error_not_a_short_answer() -> None:
    with pytest.raises(RuntimeError, match="task 1 returned no result"):
        list(executor._in_order(iter([(0, "a"), (2, "c")])))  # noqa: SLF001


def test_a_pool_that_started_too_late_for_any_task_is_stopped() -> None:
    ready = threading.Event()
    ctx = _FakeContext(ready)
    out = list(executor._while_starting(ctx, lambda k: -k, [1, 2, 3], 2, True))  # noqa: SLF001
    assert out == [-1, -2, -3] and not ctx.pooled
    ready.set()  # the pool comes up after the last task: it is stopped at once
    assert ctx.terminated.wait(5)


def test_a_task_failing_here_raises_once_the_starting_pool_is_up_and_stopped() -> None:
    ready = threading.Event()
    ctx = _FakeContext(ready)
    threading.Timer(0.2, ready.set).start()
    with pytest.raises(ValueError, match="first task fails"):
        list(executor._while_starting(ctx, _where, [0, -1, 2], 2, True))  # noqa: SLF001
    assert ready.is_set() and ctx.terminated.is_set()


@pytest.mark.skipif(os.name == "nt", reason="a fork server: not on Windows")
def test_a_first_pool_keeps_the_tasks_order_wherever_they_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(executor, "_server_up", False)
    out = list(Executor(2).map(_where, list(range(8))))
    assert [k for k, _ in out] == list(range(8))
    assert out[0][1] == os.getpid()
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


@pytest.mark.skipif(os.name == "nt", reason="a fork server: not on Windows")
def test_a_command_starts_the_fork_server_early_only_when_a_pool_will_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from multiprocessing import forkserver

    started: list[list[str]] = []
    monkeypatch.setattr(forkserver, "ensure_running", lambda: started.append(
        list(forkserver._forkserver._preload_modules)))  # type: ignore[attr-defined]  # noqa: SLF001
    monkeypatch.setattr(executor, "_server_up", False)
    Executor(1).start()
    Executor(2, dask="local").start()
    assert started == []
    Executor(2).start()
    assert started == [PRELOAD]
    monkeypatch.setattr(executor, "_server_up", True)  # a pool has run: the server is up
    Executor(2).start()
    assert started == [PRELOAD]


def _pid(k: int) -> int:
    if k == -1:
        raise ValueError("a task fails")
    time.sleep(0.02)
    return os.getpid()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_a_command_keeps_its_pool_for_its_later_maps_and_stops_it_at_its_end() -> None:
    from sim.running.executor import command_scope

    list(Executor(2).map(_pid, range(3)))  # the fork server up, outside any command
    with command_scope():
        list(Executor(2).map(_pid, range(6)))
        pool = executor._SCOPES[-1].pools[2]  # noqa: SLF001
        workers = {p.pid for p in pool._pool}  # noqa: SLF001
        again = set(Executor(2).map(_pid, range(6)))
        assert executor._SCOPES[-1].pools[2] is pool and again <= workers  # noqa: SLF001
        with pytest.raises(ValueError, match="a task fails"):
            list(Executor(2).map(_pid, [0, -1, 2, 3]))
        assert 2 not in executor._SCOPES[-1].pools  # noqa: SLF001 (a failed map's pool is gone)
        list(Executor(2).map(_pid, range(6)))
        later = executor._SCOPES[-1].pools[2]  # noqa: SLF001
        assert later is not pool
        stopped = workers | {p.pid for p in later._pool}  # noqa: SLF001
    deadline = time.monotonic() + 10
    while any(_running(p) for p in stopped) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(p) for p in stopped)  # stopped with the command (or the map)


def _running(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]  # noqa: PTH123, SIM115
    except OSError:
        return False
    return state not in ("Z", "X")
