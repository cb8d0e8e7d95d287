"""Replications in chunks, serially or on a process pool, streamed as Arrow record batches.

Each chunk is a contiguous range of replication indices; every replication draws only from
its own named streams, so the batches are the same whatever the worker count or chunking.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import pyarrow as pa

from sim.engine import Plan, prepare, run_replication
from sim.engine.outcomes import is_text
from sim.engine.plan import Shape, shape_key
from sim.running.executor import Executor
from sim.scenario import Scenario, budgets

DEFAULT_CHUNK = 250
CHUNK_EVENTS = 100_000  # about half a second of engine work: progress ticks at least that often

@dataclass(frozen=True)
class Chunk:
    """Replications ``start`` (inclusive) to ``stop`` (exclusive)."""

    start: int
    stop: int


class Chunks(Sequence[Chunk]):
    """``[start, stop)`` in chunks of at most ``size``, made one at a time when asked for."""

    def __init__(self, start: int, stop: int, size: int = DEFAULT_CHUNK):
        self._starts = range(start, stop, size)
        self._stop, self._size = stop, size

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, index: int) -> Chunk: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Chunk]: ...

    def __getitem__(self, index: int | slice) -> Chunk | Sequence[Chunk]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        a = self._starts[index]
        return Chunk(a, min(a + self._size, self._stop))


def chunk_size(scenario: Scenario) -> int:
    """Replications per chunk: up to DEFAULT_CHUNK, fewer when each replication is expected to
    be long (base events from ``budgets.base_events``), so progress reaches the user about
    every CHUNK_EVENTS events even for a slow scenario. Records never depend on it."""
    expected = max(budgets.base_events(scenario), 1.0)
    return max(1, min(DEFAULT_CHUNK, int(CHUNK_EVENTS / expected)))


def chunks(start: int, stop: int, size: int = DEFAULT_CHUNK) -> Chunks:
    """Split ``[start, stop)`` into chunks of at most ``size`` (lazily: no list is built)."""
    return Chunks(start, stop, size)


def simulate_chunk(plan: Plan, chunk: Chunk) -> pa.RecordBatch:
    """The records of one chunk as an Arrow batch, one row per replication."""
    # A replication's processes and world refer to each other; collecting the cycles at the
    # chunk's end, rather than whenever Python's oldest generation fills, keeps memory flat
    # as runs grow. The heap is frozen when the plan is built (plan_for) and again here, so
    # that collection walks only what the chunk made, not what an API caller holds (earlier
    # results, say) between chunks.
    gc.freeze()
    prepare(plan, range(chunk.start, chunk.stop))  # the chunk's set-up, done together
    rows = [run_replication(plan, i).row() for i in range(chunk.start, chunk.stop)]
    gc.collect()
    return _typed(pa.RecordBatch.from_pylist(rows))


def _typed(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Columns that are null in every row of a chunk (no deal in it, say) typed as float64
    (text columns as strings), so every chunk of a run has the same schema and the nulls
    stay nulls."""
    if not any(pa.types.is_null(f.type) for f in batch.schema):
        return batch
    columns = [c.cast(pa.string() if is_text(name) else pa.float64())
               if pa.types.is_null(c.type) else c
               for name, c in zip(batch.schema.names, batch.columns, strict=True)]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


_PLANS: dict[tuple[str, int], Plan] = {}  # the plans kept, the most recently used last
PLANS_KEPT = 4


def scenario_key(scenario: Scenario) -> str:
    """A digest of everything a scenario states (equal scenarios, equal keys)."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()


def plan_for(scenario: Scenario, seed: int, key: str | None = None) -> Plan:
    """The Plan of ``scenario`` and ``seed``, built once per process and kept with the
    :data:`PLANS_KEPT` - 1 others used last (a bounded memory, whatever the number of
    scenarios run): a process that goes back and forth between a few scenarios (compare's
    arms, a notebook, a benchmark's interleaved rounds) builds each plan once, where it
    rebuilt and froze one at every switch (20 ms for the Hawkes example's run of 80 ms)."""
    key = scenario_key(scenario) if key is None else key
    plan = _PLANS.pop((key, seed), None)
    if plan is None:
        while len(_PLANS) >= PLANS_KEPT:
            del _PLANS[next(iter(_PLANS))]  # the least recently used
        plan = Plan(scenario, seed)
        freeze()
    _PLANS[(key, seed)] = plan
    return plan


_SHAPES: list[tuple[Shape, int]] = []  # this process's current shape and its points so far


def point_plan(scenario: Scenario, seed: int) -> Plan:
    """The Plan of one sweep point, sharing the offer table, mask and derived tables of the
    previous point when the shape is the same (:class:`sim.engine.plan.Shape`).

    The heap is frozen at a shape's first point and again at its second (the first point
    imports what summaries and Parquet need), so each later point's collections walk only
    what the point made: a whole-heap collection per point cost more than the point's
    replications."""
    if not _SHAPES or _SHAPES[0][0].key != shape_key(scenario):
        _SHAPES[:] = [(Shape(scenario), 0)]
    shape, seen = _SHAPES[0]
    if seen < 2:
        freeze()
    _SHAPES[0] = shape, seen + 1
    return Plan(scenario, seed, shape)


def freeze() -> None:
    """Move everything alive now (modules, numpy, scipy, the plan) out of the collector's
    sight, after a collection (a full one, with the previously frozen heap back in it, when
    that heap has doubled since the last: see ``_FULL``): the collections during and after
    each chunk then walk only what replications made. Bit-identical: the collector frees
    memory, it draws nothing. What a chunk loads on first use is loaded first, so that it
    is frozen too: pyarrow imports pandas (10,000-odd objects) the first time it builds a
    batch from rows, and every later chunk's collection walked them."""
    pa.RecordBatch.from_pylist([{"x": 0.0}])
    if gc.get_freeze_count() > 2 * _FULL[0]:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _FULL[0] = gc.get_freeze_count()
    else:  # the frozen heap is at most twice what a full collection left: walk the rest only
        gc.collect()
        gc.freeze()


# The frozen heap's size after the last full collection. A full one walks the whole heap
# (about 0.14 s with numpy, scipy, numba and pandas loaded); doing it only when the frozen
# heap has doubled since keeps what a dropped plan leaves in cycles bounded, and makes
# switching between scenarios in one process (compare's arms, a notebook) cheap.
_FULL = [0]


def _work(task: tuple[str, Scenario, int, Chunk]) -> pa.RecordBatch:
    """One chunk, on whichever process runs it."""
    key, scenario, seed, chunk = task
    return simulate_chunk(plan_for(scenario, seed, key), chunk)


class _Tasks(Sequence[tuple[str, Scenario, int, Chunk]]):
    """The chunk tasks, made lazily from the chunks (no list of millions is built)."""

    def __init__(self, scenario: Scenario, seed: int, todo: Sequence[Chunk]):
        self._key = scenario_key(scenario)
        self._scenario, self._seed, self._todo = scenario, seed, todo

    def __len__(self) -> int:
        return len(self._todo)

    @overload
    def __getitem__(self, index: int) -> tuple[str, Scenario, int, Chunk]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[str, Scenario, int, Chunk]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self._key, self._scenario, self._seed, self._todo[index]


def run_chunks(scenario: Scenario, seed: int, todo: Sequence[Chunk],
               executor: Executor | int = 1,
               progress: Callable[[int], None] | None = None) -> Iterator[pa.RecordBatch]:
    """Yield each chunk's batch in order, computed by ``executor`` (or that many processes).

    Every process, this one included, builds the scenario's Plan once (:func:`plan_for`).
    """
    ex = executor if isinstance(executor, Executor) else Executor(executor)
    if ex.dask is None and min(ex.workers, len(todo), budgets.cores()) <= 1:
        plan = plan_for(scenario, seed)
        batches: Iterator[pa.RecordBatch] = (simulate_chunk(plan, c) for c in todo)
    else:
        batches = ex.map(_work, _Tasks(scenario, seed, todo))
    for batch in batches:
        if progress:
            progress(batch.num_rows)
        yield batch
