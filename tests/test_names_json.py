"""Shipped names everywhere, JSON where a person scripts, completion of file names and a
quick --version (issue 23, items 7 and 8)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import click
from click.testing import CliRunner

import sim
from sim.cli import main
from tests.conftest import FLAGSHIP, ROOT


def test_load_takes_a_shipped_name() -> None:
    assert sim.load("kerry_moscow_2016") == sim.load(FLAGSHIP)


def test_validate_takes_a_shipped_name() -> None:
    result = CliRunner().invoke(main, ["validate", "kerry_moscow_2016"])
    assert result.exit_code == 0 and result.output == "OK kerry_moscow_2016\n"


def test_validate_json_gives_each_file_and_its_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FLAGSHIP.read_text().replace("horizon_days:", "horizon_dayz:", 1))
    result = CliRunner().invoke(main, ["validate", "kerry_moscow_2016", str(bad), "--json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data[0] == {"file": "kerry_moscow_2016", "ok": True, "problems": []}
    assert data[1]["ok"] is False and data[1]["problems"]
    assert any("horizon_dayz" in (p["path"] or "") + p["message"] for p in data[1]["problems"])
    assert all(p["line"] for p in data[1]["problems"])


def test_run_json_without_a_scenario_lists_the_shipped_ones_as_json() -> None:
    result = CliRunner().invoke(main, ["run", "--json"])
    assert result.exit_code == 0
    names = {row["name"] for row in json.loads(result.stdout)}
    assert "kerry_moscow_2016" in names


def test_path_arguments_complete_file_names() -> None:
    for command in ("run", "compare", "trace", "sweep", "fit", "validate"):
        argument = next(p for p in main.commands[command].params
                        if isinstance(p, click.Argument))
        assert isinstance(argument.type, click.Path), command


def test_version_does_not_load_the_format_or_the_engine() -> None:
    code = ("import sys, sim.cli; print(sorted(m for m in ('pydantic', 'pyarrow', 'matplotlib',"
            " 'sim.scenario') if m in sys.modules))")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out
    assert time.perf_counter() - t0 < 5


def test_compare_table_says_p_values_are_adjusted_and_intervals_are_not(tmp_path: Path) -> None:
    poisson = ROOT / "scenarios" / "examples" / "truce_poisson.yaml"
    result = CliRunner().invoke(main, ["compare", str(poisson), "--vs", "horizon_days=20",
                                       "-n", "30", "--no-plots", "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "p values are Holm-adjusted; the ± 95% intervals are not" in text
