"""The second shipped scenario, Dayton 1995: three parties at the table, a mediator, a
ratifier, two threats (one a party's own) and a staged implementation, read as the engine
runs them (issue 21, item 7)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import sim
from sim.scenario import load
from tests.conftest import SCENARIOS, invoke

DAYTON = SCENARIOS / "dayton_1995.yaml"


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    return sim.run(DAYTON, runs=40, workers=1).to_pandas()


def test_dayton_states_every_role_and_stage() -> None:
    s = load(DAYTON)
    n = s.negotiation
    assert n is not None
    assert list(n.parties) == ["bosnia", "serbia", "croatia"]
    assert list(n.mediators) == ["us"] and list(n.ratifiers) == ["bosnian_serbs"]
    assert set(s.threats()) == {"ceasefire_expiry", "eastern_slavonia"}
    assert s.threats()["eastern_slavonia"].set_by == "croatia"  # a party threatens a party
    assert s.effects["ifor_serbs"].staged and s.effects["ifor_bosnia"].after_effect == "ifor_serbs"


@pytest.mark.slow
def test_the_mediator_opens_the_summit_and_the_ratifier_votes(runs: pd.DataFrame) -> None:
    assert (runs["texts_us"] >= 1).all()  # it hosts the summit that opens on day 0
    assert {"refusals_bosnian_serbs", "utility_bosnian_serbs"} <= set(runs.columns)


@pytest.mark.slow
def test_the_force_arrives_weeks_after_the_deal_and_once(runs: pd.DataFrame) -> None:
    started = runs.dropna(subset=["effect_start_ifor_serbs"])
    assert len(started) >= 30
    # starts.days is triangular [14, 30, 60] after the deal: never sooner than 14 days
    assert (started["effect_start_ifor_serbs"] >= started["deal_day"] + 14 - 1e-9).all()
    # the same force: every other part of it starts on the same day (after_effect, no delay)
    for name in ("ifor_bosnia", "ifor_croatia", "ifor_watches_serbs", "ifor_watches_bosnia"):
        assert (started[f"effect_start_{name}"] == started["effect_start_ifor_serbs"]).all()


@pytest.mark.slow
def test_an_escalation_names_the_threat_carried_out(runs: pd.DataFrame) -> None:
    known = {"ceasefire_expiry", "eastern_slavonia", "collapse"}
    escalated = runs[runs["outcome"] == "escalation"]
    assert all(by in known for by in escalated["escalation_by"])
    assert not any(math.isnan(d) for d in runs["deal_day"][runs["deal"]])


def test_dayton_validates_by_its_shipped_name() -> None:
    result = invoke("validate", "dayton_1995")
    assert result.exit_code == 0 and "OK" in result.output
