"""Generated documentation stays in step with the code."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.scenario.docgen import render
from tests.conftest import ROOT


def test_scenario_reference_is_regenerated_from_the_schema() -> None:
    committed = (ROOT / "docs" / "scenario-reference.md").read_text()
    assert committed == render(), "docs/scenario-reference.md is stale: run `make docs`"


def test_scenario_reference_lists_every_field_of_every_block() -> None:
    text = render()
    for name in ("horizon_days", "violation_rate", "reservation", "credibility_decay",
                 "window_days", "tied_to_truce", "breaks_truce", "truce_multiplier"):
        assert f"| `{name}` |" in text


def test_committed_json_schema_matches_negsim_schema() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    committed = json.loads((ROOT / "schema" / "scenario.schema.json").read_text())
    assert committed == json.loads(result.output), "schema/ is stale: run `make docs`"


def _readme_counts(after: str, rows: int) -> dict[str, int]:
    """Outcome counts of the README table printed after the line ``after``."""
    import re

    text = (ROOT / "README.md").read_text()
    block = text[text.index(after):].splitlines()
    pattern = re.compile(r"^│ (\w+)\s+│\s+[\d.]+ │ \[[\d., ]+\] │\s+(\d+) │$")
    found = [m.groups() for m in map(pattern.match, block[:40]) if m]
    assert len(found) >= rows, f"no outcome table after {after!r}"
    return {name: int(count) for name, count in found[:rows]}


def _readme_api_shares() -> dict[str, float]:
    import re

    text = (ROOT / "README.md").read_text()
    block = text[text.index(">>> run\nRunResult("):].splitlines()
    pattern = re.compile(r"^  (\w+)\s+([\d.]+) \[")
    return {m[1]: float(m[2]) for m in map(pattern.match, block[1:12]) if m}


@pytest.mark.slow
def test_the_readme_numbers_are_the_engines_of_today() -> None:
    """The README's flagship run (2,000 replications) and its API example (the first 1,000 of
    them: records depend only on the seed and the replication index) are what the engine
    gives now; after a model change, regenerate the README."""
    import numpy as np

    import sim

    run = sim.run(ROOT / "scenarios" / "kerry_moscow_2016.yaml", runs=2000, plots=False)
    outcomes = run.records.column("outcome").to_numpy(zero_copy_only=False)
    readme = _readme_counts("$ negsim run scenarios/kerry_moscow_2016.yaml -n 2000", 8)
    assert readme == {k: v["count"] for k, v in run.summary["outcomes"].items()}
    first = {k: float(np.mean(outcomes[:1000] == k)) for k in readme}
    assert _readme_api_shares() == {k: round(v, 3) for k, v in first.items()}


# --- formulas stated in the schema and docs/model.md are the engine's ------------------------

def _no_deal(v: dict[str, float]) -> float:
    from sim.engine.plan import PartyParams

    party = PartyParams("p", v["status_quo"], v["premium"], None, v["plan_b"], 100.0, 1.0, 0.0,
                        0.0, 0.0, 1.0, 0.0, 1.0)
    return party.no_deal(v["c"])


def _speed(v: dict[str, float]) -> float:
    from sim.engine.plan import PartyParams
    from sim.engine.protocols.faratin import effective_horizon

    # A party plan B hurts (plan B below its status quo), with its own horizon T_own.
    party = PartyParams("p", 0.0, 0.0, None, -1.0, v["T_own"], 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0)
    return 1.0 / (effective_horizon(party, v["c"], v["D"], v["t"]) - v["t"])


def _lottery(v: dict[str, float]) -> float:
    from sim.engine.protocols.alternating import lottery

    return float(lottery(v["g"], v["B"], v["c"], v["p"]))


def _formulas() -> list[tuple[str, Any, dict[str, tuple[float, float]]]]:
    from sim.engine.plan import NO_DEAL
    from sim.engine.protocols.alternating import LOTTERY
    from sim.engine.protocols.faratin import SPEED

    return [(NO_DEAL, _no_deal, {"c": (0, 1), "status_quo": (-1, 1), "plan_b": (-2, 0),
                                 "premium": (0, 0.1)}),
            (SPEED, _speed, {"c": (0.01, 1), "t": (0, 10), "D": (20, 40), "T_own": (60, 120)}),
            (LOTTERY, _lottery, {"c": (0, 1), "p": (0, 1), "g": (-1, 1), "B": (-2, 0)})]


@pytest.mark.parametrize("k", range(3))
def test_each_stated_formula_is_what_the_engine_computes(k: int) -> None:
    formula, compute, ranges = _formulas()[k]
    rng = np.random.default_rng(k)
    for _ in range(50):
        values = {name: float(rng.uniform(lo, hi)) for name, (lo, hi) in ranges.items()}
        assert eval(formula, {}, dict(values)) == pytest.approx(compute(values), rel=1e-12)


@pytest.mark.parametrize("k", range(3))
def test_each_formula_is_stated_in_the_schema_and_the_model_page(k: int) -> None:
    from sim.scenario import json_schema

    formula = _formulas()[k][0]
    credibility = json_schema()["$defs"]["Deadline"]["properties"]["credibility"]["description"]
    assert formula in credibility
    assert formula in (ROOT / "docs" / "model.md").read_text()
