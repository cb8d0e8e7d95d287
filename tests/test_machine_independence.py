"""A replication's record does not depend on which CPU kernels numpy and its BLAS pick.

OpenBLAS chooses its kernels by the CPU: an AVX-512 machine's matrix-vector product rounded
the truce's observed-violation rate differently from an AVX2 machine's, and one shipped
scenario's records (``generous_carrot``) changed with the machine. The engine now adds such
sums in a stated order (``sim.engine.worth.weighted_sum``). Here the frozen records of
``tests/test_speed_identity.py`` are computed again in a process held to the oldest x86-64
kernels (OpenBLAS's Prescott, numpy without its dispatched SIMD loops) and in this one, with
the kernels this CPU gets: the two must agree, and with the frozen hashes.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_speed_identity import FROZEN, records_hash

CASES = [("scenarios/generous_carrot.yaml", 40, None),
         ("scenarios/kerry_moscow_2016.yaml", 300, None),
         ("scenarios/examples/truce_hawkes.yaml", 300, None)]


def _dispatched() -> str:
    """numpy's SIMD extensions beyond its baseline that this CPU has (its runtime report)."""
    try:
        from numpy._core._multiarray_umath import (  # type: ignore[attr-defined]
            __cpu_dispatch__,
            __cpu_features__,
        )
    except ImportError:  # another layout: numpy's loops are left as they are
        return ""
    return " ".join(f for f in __cpu_dispatch__ if __cpu_features__.get(f))


@pytest.mark.slow
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 kernels")
def test_records_are_the_same_with_the_oldest_cpu_kernels() -> None:
    code = (
        "import json, sys\n"
        "from tests.test_speed_identity import records_hash, ROOT\n"
        "cases = json.loads(sys.argv[1])\n"
        "print(json.dumps([records_hash(ROOT / p, n, h) for p, n, h in cases]))\n")
    env = os.environ | {"OPENBLAS_CORETYPE": "Prescott",
                        "NPY_DISABLE_CPU_FEATURES": _dispatched()}
    out = subprocess.run([sys.executable, "-c", code, json.dumps(CASES)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    oldest = json.loads(out)
    here = [records_hash(ROOT / path, n, horizon) for path, n, horizon in CASES]
    assert here == oldest
    assert oldest == [FROZEN[case] for case in CASES]
