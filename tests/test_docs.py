"""Generated documentation stays in step with the code."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sim.cli import main
from sim.docgen import render
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
