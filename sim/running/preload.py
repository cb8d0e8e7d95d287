"""What a pool worker needs, loaded once in the fork server that forks the workers: the
runner with the engine below it, the engine's compiled kernels and the statistics that
summarise a chunk or a sweep point (``sim.stats``). The heap is then collected and frozen
(:func:`sim.running.runner.freeze`, which also imports what pyarrow loads the first time it
builds a batch from rows). Each worker starts with all of it in memory, out of its
collector's sight, instead of importing, loading and walking it itself: about a second and a
half for every worker of every pool (a command keeps its pool for its later maps, but each
command, and each ``negsim`` process, starts its own)."""

from __future__ import annotations

import sim.stats  # noqa: F401 (imported for the workers: a point's summary)
from sim.engine import compile_kernels
from sim.running import runner

compile_kernels()
runner.freeze()
