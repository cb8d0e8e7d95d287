"""negsim tornado refuses a --set distribution that negsim run refuses: the same one line,
exit 2, before any replication and without writing a folder."""

from __future__ import annotations

import pytest

import sim
from sim.errors import ScenarioError
from sim.operations.tornado import levers
from tests.conftest import FLAGSHIP, TORNADO, invoke, refused

CREDIBILITY = "deadline.credibility"
RATE = "actors.side_a.violation_rate"


@pytest.mark.parametrize(("scenario", "assignment", "says"), [
    # a reversed uniform: its percentiles were read as the point 0.8 (a lever of swing 0)
    (FLAGSHIP, f"{CREDIBILITY}={{uniform: [0.8, 0.3]}}", "must satisfy a <= b"),
    # a triangular with its mode outside [lo, hi]: scipy's law was built from it as given
    (TORNADO, f"{RATE}={{triangular: [0.2, 0.9, 0.5]}}", "lo <= mode <= hi"),
    # a rate that may be negative: the 10th percentile was clipped to 0 and accepted
    (TORNADO, f"{RATE}={{uniform: [-0.3, 0.2]}}", "must be >= 0"),
    # a negative standard deviation: scipy's law gave NaN percentiles
    (TORNADO, f"{RATE}={{normal: [0.5, -0.1]}}", "greater than or equal to 0"),
    # malformed distributions: these crashed with a traceback (exit 1)
    (TORNADO, f"{RATE}={{choice: []}}", "at least 1 item"),
    (TORNADO, f"{RATE}={{uniform: [0.8]}}", "required field is missing"),
])
def test_a_distribution_run_refuses_is_refused_alike(scenario, assignment: str, says: str,
                                                     tmp_path) -> None:
    out = tmp_path / "t"
    ran = invoke("run", scenario, "-n", 2, "-w", 1, "--no-plots", "--set", assignment,
                 "--out", tmp_path / "r")
    refused(ran, says)
    r = invoke("tornado", scenario, "-n", 10, "-w", 1, "--no-plots", "--set", assignment,
               "--out", out)
    refused(r, says)
    assert r.output == ran.output  # the same message, word for word
    assert not out.exists()
    assert not (tmp_path / "r").exists()


def test_the_api_refuses_it_too() -> None:
    with pytest.raises(ScenarioError, match="must satisfy a <= b"):
        sim.tornado(FLAGSHIP, {CREDIBILITY: {"uniform": [0.8, 0.3]}}, runs=2)


def test_a_valid_distribution_lever_is_still_moved() -> None:
    lever = next(x for x in levers(TORNADO, [f"{RATE}={{uniform: [0.3, 0.7]}}"])
                 if x.path == RATE)
    assert lever.source == "set"
    assert (lever.low, lever.high) == pytest.approx((0.34, 0.66), abs=1e-12)
