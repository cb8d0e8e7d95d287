"""``negsim fit`` says when the data cannot support the model, filters event types, maps
source actors to parties and spoilers, and fits its table in 80 columns (issue 23, item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from sim.cli import main
from tests.conftest import ROOT

SYNTHETIC = ROOT / "scenarios" / "examples" / "incidents_synthetic.csv"
WINDOW = ("--spoiler", "splinter", "--start", "2024-01-01", "--end", "2025-12-30")


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, ["fit", *map(str, args)])


def _csv(path: Path, rows: list[tuple[float, str, str]]) -> Path:
    path.write_text("day,actor1,event_type\n"
                    + "".join(f"{t:.4f},{a},{k}\n" for t, a, k in rows))
    return path


def test_one_event_is_refused_in_one_line(tmp_path: Path) -> None:
    result = invoke(_csv(tmp_path / "one.csv", [(1.5, "a", "x")]), "--time-column", "day")
    assert result.exit_code == 2
    assert "1 party events for 3 parameters: too few to fit" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_a_regime_shift_is_not_called_consistent_or_stationary(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    quiet = np.cumsum(rng.exponential(1 / 0.1, 60))  # ~0.1 a day ...
    quiet = quiet[quiet < 400]
    loud = 400 + np.cumsum(rng.exponential(1 / 3.0, 300))  # ... then 3 a day
    rows = [(t, "a", "x") for t in np.concatenate([quiet, loud])]
    result = invoke(_csv(tmp_path / "shift.csv", rows), "--time-column", "day", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["goodness_of_fit"]["consistent"] is False or data["branching_ratio"]["ci"][1] >= 1
    assert data["branching_ratio"]["stationary"] is False or \
        not data["goodness_of_fit"]["consistent"]
    assert data["warnings"]
    text = invoke(tmp_path / "shift.csv", "--time-column", "day").output
    assert "warning: " in text and "consistent with the model" not in text
    assert "]: stationary" not in " ".join(text.split())


def test_the_synthetic_file_fits_without_warnings() -> None:
    data = json.loads(invoke(SYNTHETIC, *WINDOW, "--json").output)
    assert data["warnings"] == [] and data["branching_ratio"]["stationary"] is True


def test_event_type_filter_keeps_only_those_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    times = np.sort(rng.uniform(0, 300, 400))
    rows = [(t, "a" if k % 2 else "b", "Battles" if k % 4 < 2 else "Protests")
            for k, t in enumerate(times)]
    path = _csv(tmp_path / "typed.csv", rows)
    everything = json.loads(invoke(path, "--time-column", "day", "--json").output)
    battles = json.loads(invoke(path, "--time-column", "day", "--event-type", "Battles",
                                "--json").output)
    assert sum(everything["events"].values()) == 400
    assert sum(battles["events"].values()) == 200
    refused = invoke(path, "--time-column", "day", "--event-type", "Riots")
    assert refused.exit_code == 2 and "no row has event_type in ['Riots']" in refused.output


@pytest.mark.parametrize("form", ["yaml", "csv"])
def test_actor_mapping_names_parties_and_spoilers(tmp_path: Path, form: str) -> None:
    mapping = tmp_path / f"actors.{form}"
    if form == "yaml":
        mapping.write_text("parties:\n  gov: [government]\n  reb: [rebels]\n"
                           "spoilers:\n  isis: [splinter]\n")
    else:
        mapping.write_text("source,actor,role\ngovernment,gov,party\nrebels,reb,party\n"
                           "splinter,isis,spoiler\n")
    result = invoke(SYNTHETIC, "--actors", mapping, "--start", "2024-01-01", "--end",
                    "2025-12-30", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["parties"] == {"gov": "gov", "reb": "reb"} and data["spoilers"] == {
        "isis": "isis"}
    plain = json.loads(invoke(SYNTHETIC, *WINDOW, "--json").output)
    assert [p["estimate"] for p in data["parameters"]] == pytest.approx(
        [p["estimate"] for p in plain["parameters"]])


def test_actor_mapping_leaves_unnamed_actors_out(tmp_path: Path) -> None:
    mapping = tmp_path / "a.yaml"
    mapping.write_text("parties:\n  gov: [government]\n")
    data = json.loads(invoke(SYNTHETIC, "--actors", mapping, "--json").output)
    assert data["parties"] == {"gov": "gov"}
    assert data["dropped"] == {"rebels": 339, "splinter": 59}


def test_actor_mapping_and_parties_together_are_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "a.yaml"
    mapping.write_text("parties:\n  gov: [government]\n")
    result = invoke(SYNTHETIC, "--actors", mapping, "--parties", "rebels")
    assert result.exit_code == 2 and "--actors" in result.output


def test_fit_table_fits_80_columns_with_whole_parameter_paths() -> None:
    result = invoke(SYNTHETIC, *WINDOW)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert any("spoilers.splinter.excites.government" in line for line in lines)
    assert any("jump of government per splinter" in line for line in lines)
