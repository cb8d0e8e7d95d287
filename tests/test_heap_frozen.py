"""The heap a chunk's collection walks (issue 22): what a chunk loads on first use is frozen
with the plan, so the collection after each chunk walks only what the chunk made."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import POISSON, ROOT

SCRIPT = f"""
import gc
from sim.running.runner import Chunk, plan_for, simulate_chunk
from sim.scenario import load

scenario = load({str(POISSON)!r})
plan = plan_for(scenario, scenario.seed)
simulate_chunk(plan, Chunk(0, 5))
simulate_chunk(plan, Chunk(5, 10))
gc.collect()
print(len(gc.get_objects()))
print(sum(1 for o in gc.get_objects()
          if str(getattr(o, "__module__", None) or "").startswith("pandas")))
"""


@pytest.mark.slow  # a fresh interpreter importing negsim: 3-9 s
def test_a_chunk_collection_walks_no_module_loaded_on_first_use() -> None:
    # A fresh process: pandas is loaded by pyarrow when the first chunk's batch is built.
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split()
    unfrozen, from_pandas = int(out[0]), int(out[1])
    assert from_pandas == 0
    assert unfrozen < 2_000  # was about 24,000 with pandas' objects out of the freeze
