"""What a process keeps as runs grow and follow one another (issue 22): nothing per chunk once
a run is complete, a bounded number of plans, and the merge's freed heap handed back."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from sim import api
from sim.running import runner
from sim.scenario import load
from sim.store import folders, memory
from sim.store.folders import Folder
from tests.conftest import HAWKES, POISSON


def _remembered_under(path: Path) -> list[str]:
    prefix = str(path.resolve())
    return [k for k in folders._WRITTEN if k.startswith(prefix)]  # noqa: SLF001


def test_a_completed_run_forgets_its_chunk_files_and_its_partial_name(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "r", "run")
    partial = folder.path
    for k in range(3):
        folder.write_chunk(k, pa.record_batch({"replication": [k], "outcome": ["no_deal"]}))
    assert len(_remembered_under(partial / "chunks")) == 6  # a Parquet file and its record
    folder.merge_chunks()
    assert _remembered_under(partial)  # the merged file, until the folder is renamed
    folder.complete()
    assert _remembered_under(partial) == []


def test_a_run_through_the_api_leaves_no_entry_per_chunk(tmp_path: Path) -> None:
    before = len(folders._WRITTEN)  # noqa: SLF001
    model = load(POISSON)
    opts = api.RunOptions(runs=40, seed=1, out=tmp_path / "run", chunk=5, make_plots=False)
    result = api.execute(model, POISSON.read_text(), opts)
    assert result.summary["runs"] == 40 and result.folder == tmp_path / "run"
    assert len(folders._WRITTEN) - before <= 2  # noqa: SLF001 (not 16 for 8 chunks)


def test_release_hands_back_the_free_heap_where_the_c_library_can() -> None:
    memory.release()  # glibc: malloc_trim; elsewhere nothing, and no error either way
    assert memory._TRIM is None or callable(memory._TRIM)  # noqa: SLF001


def test_switching_between_scenarios_builds_each_plan_once_and_keeps_a_few() -> None:
    a, b = load(POISSON), load(HAWKES)
    first_a = runner.plan_for(a, 1)
    first_b = runner.plan_for(b, 1)
    assert runner.plan_for(a, 1) is first_a and runner.plan_for(b, 1) is first_b
    for seed in range(2, 2 + runner.PLANS_KEPT):  # more plans than are kept
        runner.plan_for(a, seed)
    assert len(runner._PLANS) == runner.PLANS_KEPT  # noqa: SLF001
    assert runner.plan_for(b, 1) is not first_b  # the least recently used went first
