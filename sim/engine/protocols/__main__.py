"""``python -m sim.engine.protocols``: compile the bargaining kernels once for this machine
(``alternating.warm``), as ``make`` does after installing."""

from __future__ import annotations

import time

from sim.engine.protocols.alternating import warm

if __name__ == "__main__":
    start = time.perf_counter()
    warm()
    print(f"negsim: bargaining kernels ready ({time.perf_counter() - start:.1f} s)")
