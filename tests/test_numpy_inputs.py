"""The API takes numpy and pandas numbers and arrays wherever it takes numbers and lists, and
compares finished runs by their folders (issue 23, item 1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.errors import UsageError
from sim.operations.comparison import variants
from sim.operations.sweeps import spec_text
from sim.scenario.inputs import assignments
from tests.conftest import SCENARIOS

POISSON = SCENARIOS / "examples" / "truce_poisson.yaml"


def test_overrides_take_numpy_scalars_as_plain_numbers() -> None:
    assert assignments({"deadline.credibility": np.float64(0.3), "runs": np.int64(5),
                        "x": np.bool_(True)}) == ["deadline.credibility=0.3", "runs=5", "x=true"]


def test_an_override_given_as_a_numpy_array_is_a_list() -> None:
    assert assignments({"a.b": np.array([1.5, 2.0])}) == ["a.b=[1.5, 2.0]"]


def test_sweep_specs_take_linspace_arrays_and_pandas_series() -> None:
    assert spec_text("p", np.linspace(0, 1, 3)) == "p=0.0,0.5,1.0"
    assert spec_text("p", pd.Series([3, 5])) == "p=3,5"
    assert spec_text("p", np.float32(0.5)) == "p=0.5"


def test_compare_variants_take_pandas_rows_and_frames() -> None:
    frame = pd.DataFrame({"deadline.credibility": [0.2, 0.4]})
    from_frame = [assignments(v) for v in variants(frame)]
    from_rows = [assignments(v) for v in variants([row for _, row in frame.iterrows()])]
    assert from_frame == from_rows == [["deadline.credibility=0.2"],
                                       ["deadline.credibility=0.4"]]


def test_run_with_numpy_overrides_gives_the_plain_numbers() -> None:
    by_numpy = sim.run(POISSON, runs=np.int64(60), seed=np.int64(3),
                       overrides={"horizon_days": np.float64(20.0)})
    by_float = sim.run(POISSON, runs=60, seed=3, overrides={"horizon_days": 20.0})
    assert by_numpy.summary["outcomes"] == by_float.summary["outcomes"]
    assert by_numpy.plan.horizon == 20.0


def test_sweep_takes_a_linspace_spec(tmp_path: Path) -> None:
    result = sim.sweep(POISSON, {"truce.breakdown.violations": np.linspace(3, 5, 2).astype(int)},
                       runs=20, out=tmp_path / "sw", plots_too=False)
    assert list(result.to_pandas()["truce.breakdown.violations"]) == [3, 5]


def test_compare_takes_finished_runs_with_folders(tmp_path: Path) -> None:
    a = sim.run(POISSON, runs=40, seed=1, out=tmp_path / "a", plots=False)
    b = sim.run(POISSON, runs=40, seed=1, out=tmp_path / "b", plots=False,
                overrides={"horizon_days": 20})
    by_result = sim.compare([a, b])
    by_folder = sim.compare([tmp_path / "a", tmp_path / "b"])
    assert by_result.data["comparisons"] == by_folder.data["comparisons"]
    assert by_result.data["paired"]


def test_compare_refuses_a_run_kept_in_memory() -> None:
    a = sim.run(POISSON, runs=20, seed=1)
    with pytest.raises(UsageError, match="kept in memory cannot be compared"):
        sim.compare([a, a])
