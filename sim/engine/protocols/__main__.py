"""``python -m sim.engine.protocols``: compile the bargaining kernels and the streams' kernels
once for this machine (``sim.engine.compile_kernels``), as ``make`` does after
installing."""

from __future__ import annotations

import time

from sim.engine import compile_kernels

if __name__ == "__main__":
    start = time.perf_counter()
    compile_kernels()
    print(f"negsim: compiled kernels ready ({time.perf_counter() - start:.1f} s)")
