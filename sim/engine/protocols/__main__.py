"""``python -m sim.engine.protocols``: compile the bargaining kernels and the streams' seeding
once for this machine (``alternating.warm``, ``seeding.warm``), as ``make`` does after
installing."""

from __future__ import annotations

import time

from sim.engine import seeding
from sim.engine.protocols.alternating import warm

if __name__ == "__main__":
    start = time.perf_counter()
    warm()
    seeding.warm()
    print(f"negsim: compiled kernels ready ({time.perf_counter() - start:.1f} s)")
