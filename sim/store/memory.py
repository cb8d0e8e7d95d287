"""Arrow's memory for results: the system allocator unless the user chose one.

Arrow's bundled allocator (mimalloc or jemalloc) keeps the pages of freed buffers for reuse,
so a process's resident memory stays at the largest set of columns it ever held: reading the
records of 50,000 replications left their pages behind, and the peak grew with the number of
replications even though every column is read a row group at a time. The system allocator
(glibc) hands large freed buffers back to the operating system at once. Issue 22: peak
memory flat in the number of replications (``benchmarks/run.py``).
"""

from __future__ import annotations

import os

import pyarrow as pa

ENV = "ARROW_DEFAULT_MEMORY_POOL"  # Arrow's own setting: when set, the user's choice stands


def use_system_allocator() -> None:
    """Make the system allocator Arrow's default in this process, unless ``ENV`` is set."""
    if not os.environ.get(ENV):
        pa.set_memory_pool(pa.system_memory_pool())
