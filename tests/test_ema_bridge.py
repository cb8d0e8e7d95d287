"""negsim inside EMA Workbench (issue 23, deliver 3): ``sim.ema.model`` is an EMA ``Model``
that ``perform_experiments`` runs, giving negsim's own numbers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import sim
from sim.errors import UsageError
from tests.conftest import SCENARIOS

POISSON = SCENARIOS / "examples" / "truce_poisson.yaml"


def test_perform_experiments_runs_negsim_and_gets_its_numbers() -> None:
    ema = pytest.importorskip("ema_workbench")
    m = sim.ema.model(POISSON, {"horizon_days": (10, 30), "actors.side_a.violation_rate":
                                (np.float64(0.3), np.float64(0.6))},
                      ["first_truce_held", "truce_days"], runs=30, seed=2)
    assert isinstance(m, ema.Model)
    assert {u.name for u in m.uncertainties} == {"horizon_days", "actors.side_a.violation_rate"}
    assert isinstance(m.uncertainties[0], ema.IntegerParameter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        experiments, outcomes = ema.perform_experiments(m, 3)
    assert len(experiments) == 3 and set(outcomes) == {"first_truce_held", "truce_days"}
    row = experiments.iloc[0]
    direct = sim.run(POISSON, runs=30, seed=2, overrides={
        "horizon_days": int(row["horizon_days"]),
        "actors.side_a.violation_rate": float(row["actors.side_a.violation_rate"])})
    assert outcomes["first_truce_held"][0] == direct.summary["outcomes"]["first_truce_held"]["p"]
    mean = direct.summary["metrics"]["truce_days"]["mean"]
    assert outcomes["truce_days"][0] == pytest.approx(mean)


def test_the_default_outcomes_are_the_scenarios_possible_ones() -> None:
    pytest.importorskip("ema_workbench")
    m = sim.ema.model(POISSON, {"horizon_days": [10, 20]})
    from sim.engine.outcomes import possible

    assert [o.name for o in m.outcomes] == list(possible(sim.load(POISSON)))
    assert type(m.uncertainties[0]).__name__ == "CategoricalParameter"


def test_a_bad_range_is_refused() -> None:
    pytest.importorskip("ema_workbench")
    with pytest.raises(UsageError, match="expected \\(low, high\\) or a list"):
        sim.ema.model(POISSON, {"horizon_days": "ten"})
