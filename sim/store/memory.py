"""Arrow's memory for results: the system allocator unless the user chose one.

Arrow's bundled allocator (mimalloc or jemalloc) keeps the pages of freed buffers for reuse,
so a process's resident memory stays at the largest set of columns it ever held: reading the
records of 50,000 replications left their pages behind, and the peak grew with the number of
replications even though every column is read a row group at a time. The system allocator
(glibc) hands large freed buffers back to the operating system at once. Issue 22: peak
memory flat in the number of replications (``benchmarks/run.py``).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable

import pyarrow as pa

ENV = "ARROW_DEFAULT_MEMORY_POOL"  # Arrow's own setting: when set, the user's choice stands


def use_system_allocator() -> None:
    """Make the system allocator Arrow's default in this process, unless ``ENV`` is set."""
    if not os.environ.get(ENV):
        pa.set_memory_pool(pa.system_memory_pool())


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl, Windows)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release() -> None:
    """Hand the free pages of the C heap back to the operating system (glibc only).

    A run's last phases (merging the chunk files, the summary, the representative stories,
    the plots) each read columns the length of the run and free them; with the system
    allocator, what they free stays in the process among the live buffers, in holes the next
    phase does not reuse whole, so each phase's peak stacks on the last. ``malloc_trim``
    returns every free page, wherever it lies in the heap; called between the phases
    (issue 22: peak memory flat in the number of replications, ``benchmarks/run.py``)."""
    if _TRIM is not None:
        _TRIM(0)
