"""``negsim fit`` through click's CliRunner, and once as a real subprocess."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pytest
import yaml
from click.testing import CliRunner, Result

from sim.cli import main
from tests.conftest import ROOT, SYNTHETIC

WINDOW = ("--spoiler", "splinter", "--start", "2024-01-01", "--end", "2025-12-30")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, ["fit", *args], terminal_width=160)


def test_fit_prints_estimates_branching_ratio_and_goodness_of_fit() -> None:
    result = invoke(str(SYNTHETIC), *WINDOW)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("actors.government.violation_rate", "truce.alpha.rebels.government",
                 "spoilers.splinter.excites.rebels", "truce.beta", "actors.splinter.attack_rate",
                 "95% interval", "branching ratio", "stationary", "time-rescaling (678 residuals)",
                 "consistent with the model", "737 day-resolution times spread"):
        assert text in out, text


def test_fit_json_is_machine_readable() -> None:
    result = invoke(str(SYNTHETIC), *WINDOW, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["parties"] == {"government": "government", "rebels": "rebels"}
    assert len(data["parameters"]) == 10
    beta = next(p for p in data["parameters"] if p["path"] == "truce.beta")
    assert beta["ci"][0] < 0.5 < beta["ci"][1]
    assert data["goodness_of_fit"]["consistent"] is True
    assert data["yaml"].startswith("# negsim fit incidents_synthetic.csv")


@pytest.mark.slow
def test_fit_writes_yaml_and_plot_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out, plot = tmp_path / "fit.yaml", tmp_path / "qq.png"
    result = invoke(str(SYNTHETIC), *WINDOW, "--out", str(out), "--plot", str(plot))
    assert result.exit_code == 0, result.output
    block = yaml.safe_load(out.read_text())
    assert set(block) == {"actors", "truce", "spoilers"}
    assert block["truce"]["parties"] == ["government", "rebels"]
    assert matplotlib.image.imread(plot).shape[2] in (3, 4)
    again = invoke(str(SYNTHETIC), *WINDOW, "--out", str(out))
    assert again.exit_code == 2
    assert f"{out} exists; give --force to overwrite it" in again.stderr
    forced = invoke(str(SYNTHETIC), *WINDOW, "--out", str(out), "--plot", str(plot), "--force")
    assert forced.exit_code == 0, forced.output


def test_fit_with_profile_intervals_says_so() -> None:
    result = invoke(str(SYNTHETIC), "--parties", "government", "--end", "2024-06-30",
                    "--profile", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["intervals"] == "profile likelihood"
    for p in data["parameters"]:
        assert p["ci"][0] <= p["estimate"] <= (p["ci"][1] or math.inf)


def test_fit_of_exact_day_column_with_day_number_window() -> None:
    result = invoke(str(SYNTHETIC), "--time-column", "day", "--spoiler", "splinter",
                    "--start", "0", "--end", "730", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["spread_within_day"] == 0
    assert data["window"]["days"] == 730


def test_fit_with_chosen_parties_drops_the_rest() -> None:
    result = invoke(str(SYNTHETIC), "--parties", "rebels", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data["parties"]) == ["rebels"]
    assert data["dropped"] == {"government": 339, "splinter": 59}


@pytest.mark.parametrize(("text", "where", "message"), [
    ("event_date,actor2\n2020-01-01,a\n", ":1:", "no column 'actor1'"),
    ("event_date,actor1\n2020-01-01,a\n2020-02-30,a\n", ":3:", "cannot read event_date"),
    ("", ": ", "empty file"),
    ("event_date,actor1\n", ":1:", "no incidents"),
])
def test_bad_file_exits_2_with_file_line_and_no_traceback(tmp_path: Path, text: str, where: str,
                                                          message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    result = invoke(str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"negsim: {path}{where}")
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_binary_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = invoke(str(path))
    assert result.exit_code == 2
    assert f"{path}: binary file" in result.stderr


def test_party_without_events_exits_2(tmp_path: Path) -> None:
    result = invoke(str(SYNTHETIC), "--parties", "government,rebels", "--start", "2030-01-01",
                    "--end", "2030-12-31")
    assert result.exit_code == 2
    assert "no events for party 'government' in the window [2030-01-01, 2031-01-01)" in \
        result.stderr


@pytest.mark.slow
def test_fit_through_a_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "fit.yaml"
    proc = subprocess.run([sys.executable, "-m", "sim", "fit", str(SYNTHETIC), *WINDOW,
                           "--json", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["yaml"] == out.read_text()
