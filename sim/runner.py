"""Replications in chunks, serially or on a process pool, streamed as Arrow record batches.

Each chunk is a contiguous range of replication indices; every replication draws only from
its own named streams, so the batches are the same whatever the worker count or chunking.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyarrow as pa

from sim.engine import Plan, run_replication
from sim.scenario import Scenario

DEFAULT_CHUNK = 250

_PLAN: Plan | None = None


@dataclass(frozen=True)
class Chunk:
    """Replications ``start`` (inclusive) to ``stop`` (exclusive)."""

    start: int
    stop: int


def chunks(start: int, stop: int, size: int = DEFAULT_CHUNK) -> list[Chunk]:
    """Split ``[start, stop)`` into chunks of at most ``size``."""
    return [Chunk(a, min(a + size, stop)) for a in range(start, stop, size)]


def simulate_chunk(plan: Plan, chunk: Chunk) -> pa.RecordBatch:
    """The records of one chunk as an Arrow batch, one row per replication."""
    rows = [run_replication(plan, i).row() for i in range(chunk.start, chunk.stop)]
    # A replication's processes and world refer to each other; collecting the cycles here,
    # rather than whenever Python's oldest generation fills, keeps memory flat as runs grow.
    gc.collect()
    return _typed(pa.RecordBatch.from_pylist(rows))


def _typed(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Columns that are null in every row of a chunk (no deal in it, say) typed as float64,
    so every chunk of a run has the same schema and the nulls stay nulls."""
    if not any(pa.types.is_null(f.type) for f in batch.schema):
        return batch
    columns = [c.cast(pa.float64()) if pa.types.is_null(c.type) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def _init_worker(scenario: Scenario, seed: int) -> None:
    global _PLAN
    _PLAN = Plan(scenario, seed)


def _work(chunk: Chunk) -> pa.RecordBatch:
    assert _PLAN is not None
    return simulate_chunk(_PLAN, chunk)


def run_chunks(scenario: Scenario, seed: int, todo: list[Chunk], workers: int = 1,
               progress: Callable[[int], None] | None = None) -> Iterator[pa.RecordBatch]:
    """Yield each chunk's batch in order, computing them on ``workers`` processes.

    Memory stays bounded: the pool works a few chunks ahead of the consumer.
    """
    if workers <= 1 or len(todo) <= 1:
        plan = Plan(scenario, seed)
        for chunk in todo:
            batch = simulate_chunk(plan, chunk)
            if progress:
                progress(batch.num_rows)
            yield batch
        return
    ctx = mp.get_context("spawn" if os.name == "nt" else "forkserver")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(scenario, seed)) as pool:
        for batch in pool.imap(_work, todo):
            if progress:
                progress(batch.num_rows)
            yield batch
