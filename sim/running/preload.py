"""What a pool worker needs, loaded once in the fork server that forks the workers: the
runner with the engine below it, and the engine's compiled kernels. Each worker then starts
with them in memory instead of importing and loading them itself (about a second, for every
pool: a run with ``--precision`` starts one per batch)."""

from __future__ import annotations

from sim.engine import compile_kernels
from sim.running import runner  # noqa: F401 (imported for the workers)

compile_kernels()
