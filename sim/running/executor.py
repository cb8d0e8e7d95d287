"""One way to run independent tasks for every command: in this process, on a process pool,
or on a Dask cluster (a new ``LocalCluster`` or a scheduler's address).

Run and compare hand it chunks of replications, sweep hands it points; results never depend
on which executor ran them, since every replication draws only from its own named streams.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import itertools
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sim.errors import UsageError
from sim.running.workers import guard_worker
from sim.scenario import budgets

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Executor:
    """Where tasks run: ``workers`` processes here, or a Dask cluster when ``dask`` is set."""

    workers: int = 1
    dask: str | None = None  # "local" (a new LocalCluster of ``workers``) or an address

    def map(self, fn: Callable[[T], R], tasks: Collection[T], ordered: bool = True
            ) -> Iterator[R]:
        """``fn`` over ``tasks``, results in task order (or as they finish, unordered).

        Raises:
            UsageError: Dask is asked for but not installed, or its scheduler cannot be
                reached.
        """
        workers, _ = budgets.cap_workers(self.workers, len(tasks))  # as the CLI caps them
        if self.dask:
            return _dask_map(fn, tasks, self.dask, workers, ordered)
        if workers <= 1:
            return map(fn, tasks)
        return _pool_map(fn, tasks, workers, ordered)

    def start(self) -> None:
        """Start the pool's fork server now, in the background, when :meth:`map` will use a
        pool: its imports take a second or two, which a command's pilot then covers (a command
        starts it once every kernel its preload loads is compiled: on a machine's first run
        both would otherwise compile them at once). Nothing for one worker or Dask, or once
        a pool has run."""
        if self.dask or self.workers <= 1 or os.name == "nt" or _server_up:
            return
        _context()  # PRELOAD only: the server is up before the command's first map
        _spawn_server()


WORKER_PRELOAD = "sim.running.preload"
"""What a worker loads before its first task (:mod:`sim.running.preload`): the pool's fork
server imports it, and so does each worker of a LocalCluster as it starts."""

PRELOAD = ["__main__", WORKER_PRELOAD]
"""What the fork server imports before it forks a worker (the main module, as by default,
then :data:`WORKER_PRELOAD`); the module of the first pool's task is added to them."""


def _context(fn: Callable[..., Any] | None = None) -> Any:
    """The pool's start method: a fork server (spawn on Windows) that imports
    :data:`PRELOAD` and the module defining ``fn`` once, before it forks the first worker
    (a later pool forks from the same server: what it preloaded stays as it was)."""
    if os.name == "nt":
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    module = getattr(fn, "__module__", None)
    ctx.set_forkserver_preload(PRELOAD + ([module] if module and module not in PRELOAD
                                          else []))
    return ctx


_server_up = False  # whether this process has started its fork server (its first pool)


def _spawn_server() -> None:
    """Start the fork server (when it does not run yet) with Ctrl-C ignored from its first
    instruction: a signal ignored stays ignored across ``exec``, and Python then installs no
    KeyboardInterrupt handler. A Ctrl-C while the server imports its preload (a second or
    two, while this process already runs tasks) would otherwise print the server's
    traceback; the server ignores it afterwards anyway, and so do the workers it forks.
    Returns before the server's imports end. Every kernel the preload loads is compiled here
    first (:func:`_kernels_first`)."""
    from multiprocessing import forkserver

    _kernels_first()

    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        forkserver.ensure_running()  # signals: main thread only; None: a handler set in C
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def _kernels_first() -> None:
    """Every kernel compiled (or loaded from numba's cache) in this process before a fork
    server or a LocalCluster starts: their preload (:data:`WORKER_PRELOAD`) loads them all,
    and on a machine's first run each would otherwise compile them itself, in the background,
    for up to a minute, even after this process had done every task (a scenario without talks
    compiles only the streams' kernels here). Nothing once done."""
    from sim.engine import compile_kernels

    compile_kernels()


def _pool_map(fn: Callable[[T], R], tasks: Collection[T], workers: int, ordered: bool
              ) -> Iterator[R]:
    """``fn`` over ``tasks`` on a pool of ``workers``. A process's first pool starts its fork
    server, whose imports take a second or two: until the pool is up, this process runs tasks
    itself (:func:`_while_starting`). Later pools fork from the running server at once and take
    every task (this process working too would only crowd the workers). Within a command
    (:func:`command_scope`) the pool is kept for the command's later maps (precision batches,
    comparison arms), whose tasks then find its workers warm (their plans built)."""
    global _server_up
    ctx = _context(fn)
    if len(tasks) < 2:
        yield from map(fn, tasks)
        return
    scope = _SCOPES[-1] if _SCOPES else None
    if scope is not None and workers in scope.pools:
        pool = scope.pools[workers]
    elif _server_up:
        pool = ctx.Pool(workers, initializer=guard_worker, initargs=(os.getpid(),))
    else:
        _server_up = True
        if os.name != "nt":
            _spawn_server()  # here, not in the thread that starts the pool (signals)
        yield from _while_starting(ctx, fn, tasks, workers, ordered, scope)
        return
    yield from _served(pool, (pool.imap if ordered else pool.imap_unordered)(fn, tasks),
                       scope, workers)


def _served(pool: Any, results: Iterator[R], scope: _Scope | None, workers: int
            ) -> Iterator[R]:
    """A map's ``results`` from ``pool``. Within a command the pool is kept in ``scope`` for
    the command's later maps (its end stops it); a map that does not finish (a task failed,
    the caller stopped early) takes the pool with it, whatever it still runs. Outside a
    command the pool stops with its map."""
    if scope is not None:
        scope.pools.setdefault(workers, pool)
    finished = False
    try:
        yield from results
        finished = True
    finally:
        if scope is None or not finished:
            if scope is not None and scope.pools.get(workers) is pool:
                del scope.pools[workers]
            pool.terminate()


def _while_starting(ctx: Any, fn: Callable[[T], R], tasks: Collection[T], workers: int,
                    ordered: bool, scope: _Scope | None = None) -> Iterator[R]:
    """The first pool starts in a thread while this process takes tasks one at a time, in
    order, and runs them; once the pool is up, it takes the rest from the same queue
    (:class:`_Queue`). The results are those of ``map(fn, tasks)``, in task order when
    ``ordered``, whoever computed them."""
    queue = _Queue(tasks)

    def start() -> tuple[Any, Iterator[tuple[int, R]]]:
        pool = ctx.Pool(workers, initializer=guard_worker, initargs=(os.getpid(),))
        return pool, pool.imap_unordered(_Indexed(fn), iter(queue.take_for_pool, None))

    starting = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="negsim-pool")
    pending = starting.submit(start)
    starting.shutdown(wait=False)
    pairs = _here_then_pool(queue, fn, pending, scope, workers)
    yield from (_in_order(pairs) if ordered else (result for _, result in pairs))


def _here_then_pool(queue: _Queue, fn: Callable[[T], R],
                    pending: concurrent.futures.Future[tuple[Any, Iterator[tuple[int, R]]]],
                    scope: _Scope | None, workers: int) -> Iterator[tuple[int, R]]:
    """Indexed results: this process's while the pool starts, then the pool's (kept in
    ``scope`` from the moment it is up, :func:`_served`)."""
    try:
        while not pending.done():
            item = queue.take()
            if item is None:
                if queue.pooled:  # the pool, up meanwhile, took the last tasks: read them
                    break
                pending.add_done_callback(_terminate)  # every task was taken here
                return
            yield item[0], fn(item[1])
    except BaseException:  # a task failed here, or the command was stopped: the pool is
        _terminate(pending)  # stopped once started (a worker half-started by the server
        raise  # after this process left would print a traceback of the pool's locks)
    pool, results = pending.result()
    yield from _served(pool, results, scope, workers)


def _in_order(pairs: Iterator[tuple[int, R]]) -> Iterator[R]:
    """The results of indexed pairs in index order (0, 1, 2, ...), each as soon as it can."""
    early: dict[int, R] = {}
    turn = 0
    for k, result in pairs:
        early[k] = result
        while turn in early:
            yield early.pop(turn)
            turn += 1
    if early:  # a result is missing: an error, never a short answer
        raise RuntimeError(f"task {turn} returned no result (tasks {sorted(early)} did)")


def _terminate(future: concurrent.futures.Future[Any]) -> None:
    """Stop a pool that has no task to run (or whose command failed) once it has started
    (waiting for that)."""
    with contextlib.suppress(Exception):
        future.result()[0].terminate()


class _Queue:
    """Tasks handed out one at a time with their index, to this process and to the pool's
    feeder thread alike (a lock keeps a lazy collection's iteration in one thread at once),
    counting what the pool took."""

    def __init__(self, tasks: Collection[T]):
        self._items = enumerate(tasks)
        self._lock = threading.Lock()
        self.pooled = 0

    def take(self) -> tuple[int, Any] | None:
        with self._lock:
            return next(self._items, None)

    def take_for_pool(self) -> tuple[int, Any] | None:
        with self._lock:
            item = next(self._items, None)
            self.pooled += item is not None
            return item


@dataclass(frozen=True)
class _Indexed:
    """``fn`` on an indexed task, the index kept with the result (picklable when ``fn`` is)."""

    fn: Callable[[Any], Any]

    def __call__(self, item: tuple[int, Any]) -> tuple[int, Any]:
        return item[0], self.fn(item[1])


def _dask_map(fn: Callable[[T], R], tasks: Collection[T], address: str, workers: int,
              ordered: bool) -> Iterator[R]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise UsageError("Dask needs dask.distributed: pip install 'negsim[dask]'") from None
    cluster = None
    kept = address == "local" and bool(_SCOPES)  # the command's own cluster, kept for reuse
    if kept and workers in _SCOPES[-1].clusters:
        client, cluster = _SCOPES[-1].clusters[workers]
    elif address == "local":
        client, cluster = _local_cluster(Client, LocalCluster, workers)
        if kept:
            _SCOPES[-1].clusters[workers] = (client, cluster)
    else:
        try:
            client = Client(address, timeout="10s")
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(f"Dask scheduler {address}: cannot reach it ({exc})") from None
    stopped = True
    try:
        yield from _windowed(client, as_completed, fn, tasks, ordered)
        stopped = False
    finally:
        if stopped or not kept:
            if kept:
                del _SCOPES[-1].clusters[workers]
            _close(client, cluster, QUICK_CLOSE if stopped else None)


IN_FLIGHT = 4  # tasks a Dask cluster holds per thread (one running, the rest queued)


def _windowed(client: Any, as_completed: Any, fn: Callable[[T], R], tasks: Collection[T],
              ordered: bool) -> Iterator[R]:
    """``fn`` over ``tasks`` on ``client``'s cluster, at most :data:`IN_FLIGHT` tasks a
    thread submitted at a time, the next submitted as each is taken: the first results come
    as soon as the first tasks are done, however many tasks there are (submitting 12,000
    chunks one by one took 10 s before the first ran), and the scheduler, the client and
    this process hold a bounded number of futures and results."""
    todo = iter(tasks)
    window = IN_FLIGHT * max(1, sum(client.nthreads().values()))
    first = [client.submit(fn, task, pure=False) for task in itertools.islice(todo, window)]
    if ordered:
        queue = collections.deque(first)
        while queue:
            future = queue.popleft()
            for task in itertools.islice(todo, 1):  # keep the cluster busy while we wait
                queue.append(client.submit(fn, task, pure=False))
            yield future.result()
        return
    done = as_completed(first)
    for future in done:
        for task in itertools.islice(todo, 1):
            done.add(client.submit(fn, task, pure=False))
        yield future.result()


@dataclass
class _Scope:
    """What one command keeps for its later maps, by number of workers: the LocalCluster it
    started (client and cluster) and its process pool."""

    clusters: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    pools: dict[int, Any] = field(default_factory=dict)


# The scopes of the commands running (innermost last).
_SCOPES: list[_Scope] = []
STARTUPS: list[float] = []  # seconds each LocalCluster took to start, in order


@contextlib.contextmanager
def command_scope() -> Iterator[None]:
    """One command: a ``LocalCluster`` it starts (``dask="local"``) or its process pool is
    started once, reused by every map of the command (precision batches, comparison arms)
    and closed at its end (at once, its workers killed, when the command is stopped or
    fails)."""
    scope = _Scope()
    _SCOPES.append(scope)
    stopped = True
    try:
        yield
        stopped = False
    finally:
        _SCOPES.remove(scope)
        for pool in scope.pools.values():  # its workers stop, whatever they still run
            pool.terminate()
        for client, cluster in scope.clusters.values():  # a stopped command kills its workers
            _close(client, cluster, QUICK_CLOSE if stopped else None)


def _local_cluster(client_type: Any, cluster_type: Any, workers: int) -> tuple[Any, Any]:
    """A new LocalCluster of ``workers`` processes and its client; the start-up is timed
    into :data:`STARTUPS`, so that it can be reported apart from the work. Each worker loads
    what a pool's worker inherits (:data:`WORKER_PRELOAD`: the runner, the kernels, the
    statistics) as it starts, not at its first task."""
    _kernels_first()
    t0 = time.perf_counter()
    # its logs would print shutdown tracebacks on Ctrl-C: errors reach us as exceptions
    cluster = cluster_type(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.CRITICAL + 1,
                           preload=[WORKER_PRELOAD])
    client = client_type(cluster)
    STARTUPS.append(time.perf_counter() - t0)
    return client, cluster


QUICK_CLOSE = 1.0  # seconds given to Dask to close when a command is stopped


def _close(client: Any, cluster: Any, timeout: float | None) -> None:
    """Close the client, then the cluster we started; quietly, since a cluster closed
    while working logs every task it drops (errors reach us as exceptions anyway). When the
    command was stopped (``timeout`` set), our cluster's busy workers are killed first:
    closing waits for their tasks otherwise."""
    if timeout and cluster is not None:
        _kill_workers(cluster)
    with _quiet_dask(), contextlib.suppress(Exception):
        client.close(timeout=timeout) if timeout else client.close()
    if cluster is not None:
        with _quiet_dask(), contextlib.suppress(Exception):
            cluster.close(timeout=timeout) if timeout else cluster.close()


def _kill_workers(cluster: Any) -> None:
    for nanny in list(getattr(cluster, "workers", {}).values()):
        with contextlib.suppress(Exception):
            pid = nanny.pid
            nanny.close_gracefully()  # tells the nanny not to restart its worker
            if pid:
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def _quiet_dask() -> Iterator[None]:
    logger = logging.getLogger("distributed")
    before = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(before)


__all__ = ["STARTUPS", "Executor", "command_scope"]
