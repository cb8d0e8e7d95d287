"""Generated documentation stays in step with the code."""

from __future__ import annotations

import json

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
    readme = _readme_counts("$ negsim run scenarios/kerry_moscow_2016.yaml -n 2000", 7)
    assert readme == {k: v["count"] for k, v in run.summary["outcomes"].items()}
    first = {k: float(np.mean(outcomes[:1000] == k)) for k in readme}
    assert _readme_api_shares() == {k: round(v, 3) for k, v in first.items()}
