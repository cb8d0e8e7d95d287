"""``negsim discover``: PRIM scenario discovery on run and sweep folders."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.operations import discovery as dsc
from tests.conftest import ROOT, SCENARIOS, invoke

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RESERVATION = "negotiation.parties.b.reservation"

# Worked by hand: with k = 1 each party's aspiration is its reservation throughout, and with
# tau = 0 and no noise acceptance is a step. A (reservation -0.65, utility -x) offers the
# level best for B among x <= 0.65, that is x = 0.6; B (utility x) accepts iff 0.6 >= r_B.
# If B declines, B offers the smallest level >= r_B, which A accepts iff it is <= 0.65, the
# same condition. So there is no deal exactly when r_B > 0.6; P(no deal) = 0.3 / 0.6 = 0.5.
# The actors' violation rates are drawn too but nothing reads them (no truce): noise inputs.
KNOWN_BOX = """
format: 2
name: known_box
title: No deal exactly when B's reservation exceeds 0.6
description: Deterministic acceptance; the only input that matters is B's reservation.
start: 2020-01-01
horizon_days: 10
seed: 3
runs: 2000
actors:
  a: {label: A, violation_rate: {uniform: [0, 1]}}
  b: {label: B, violation_rate: {uniform: [0, 1]}}
negotiation:
  parties:
    a: {weights: {x: -1}, reservation: -0.65, e: 1, k: 1, tau: 0, noise: 0}
    b: {weights: {x: 1}, reservation: {uniform: [0.3, 0.9]}, e: 1, k: 1, tau: 0, noise: 0}
  terms:
    x: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
  meetings:
    scheduled:
      - {day: 1, label: the only meeting, host: a}
    rate_per_day: 0
  rounds_per_meeting: 2
"""
THRESHOLD = 0.6


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("known")
    path = root / "known_box.yaml"
    path.write_text(KNOWN_BOX)
    sim.run(path, runs=2000, out=root / "run")
    return root / "run"


@pytest.fixture(scope="module")
def known_result(known: Path) -> dict:
    return dsc.discover(known, "no_deal")


@pytest.mark.slow
def test_prim_recovers_a_known_box(known_result: dict) -> None:
    r = known_result
    assert abs(r["cases"] / r["n"] - 0.5) < 4 * math.sqrt(0.25 / r["n"])
    c = r["chosen"]
    assert [b["input"] for b in c["restricted"]] == [RESERVATION]
    (box,) = c["restricted"]
    assert box["restricts_min"] and not box["restricts_max"]
    assert abs(box["min"] - THRESHOLD) <= 0.005, box
    assert box["qp_min"] < 1e-10
    assert c["coverage"] >= 0.9 and c["density"] >= 0.9
    assert set(r["inputs"]) == {RESERVATION, "actors.a.violation_rate",
                                "actors.b.violation_rate"}


def test_the_trajectory_trades_coverage_for_density(known_result: dict) -> None:
    t = known_result["trajectory"]
    assert t[0]["coverage"] == 1.0 and t[0]["restricted"] == 0
    assert t[0]["density"] == pytest.approx(known_result["cases"] / known_result["n"])
    assert max(x["density"] for x in t) > t[0]["density"]
    assert all(0 <= x["coverage"] <= 1 and 0 <= x["density"] <= 1 for x in t)


def test_discover_prints_the_box_and_writes_json_and_plot(known: Path) -> None:
    result = invoke("discover", known, "--outcome", "no_deal")
    assert result.exit_code == 0, result.output
    assert f"{RESERVATION} >= 0.60" in result.stdout
    assert "quasi-p" in result.stdout
    stored = json.loads((known / "discover-no_deal.json").read_text())
    assert stored["chosen"]["restricted"][0]["input"] == RESERVATION
    assert (known / "discover-no_deal.png").read_bytes()[:8] == PNG_SIGNATURE


def test_discover_json_equals_the_stored_result(known: Path, tmp_path: Path) -> None:
    plot = tmp_path / "box.png"
    result = invoke("discover", known, "--outcome", "deal_holds", "--json", "--plot", plot)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == json.loads((known / "discover-deal_holds.json").read_text())
    assert data["chosen"]["restricted"][0]["input"] == RESERVATION
    assert data["chosen"]["restricted"][0]["restricts_max"]
    assert plot.read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.slow
def test_discover_as_a_subprocess(known: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "sim", "discover", str(known), "--outcome",
                           "no_deal", "--json"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["chosen"]["restricted"][0]["input"] == RESERVATION


def test_an_unknown_outcome_exits_2_with_one_line(known: Path) -> None:
    result = invoke("discover", known, "--outcome", "truce_holds")
    assert result.exit_code == 2
    assert "unknown outcome 'truce_holds'" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    named = result.output.split("expected one of ")[1].strip().split(", ")
    assert len(named) == len(set(named)) and named.count("escalation") == 1
    assert {"no_deal", "truce_collapsed", "deal_holds", "no_deal_holds"} <= set(named)


def test_an_outcome_that_cannot_occur_exits_2_with_one_line(known: Path) -> None:
    result = invoke("discover", known, "--outcome", "truce_collapsed")
    assert result.exit_code == 2
    assert "cannot occur" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_folder_without_varying_inputs_exits_2_with_one_line(tmp_path: Path) -> None:
    sim.run(SCENARIOS / "examples" / "truce_poisson.yaml", runs=50, out=tmp_path / "run")
    result = invoke("discover", tmp_path / "run", "--outcome", "truce_collapsed")
    assert result.exit_code == 2
    assert "no input varies" in result.output
    assert len(result.output.strip().splitlines()) == 1
    missing = invoke("discover", tmp_path / "nothing", "--outcome", "no_deal")
    assert missing.exit_code == 2 and "not a folder" in missing.output
    (tmp_path / "empty").mkdir()
    empty = invoke("discover", tmp_path / "empty", "--outcome", "no_deal")
    assert empty.exit_code == 2 and "not a negsim run or sweep folder" in empty.output


@pytest.mark.slow
def test_discover_on_a_sweep_folder_uses_the_swept_input(tmp_path: Path) -> None:
    path = tmp_path / "known_box.yaml"
    path.write_text(KNOWN_BOX)
    out = tmp_path / "sweep"
    swept = invoke("sweep", path, "-n", 10, "--workers", 1, "--no-plots", "--json",
                   "--set", f"{RESERVATION}=0.3:0.9:13", "--out", out)
    assert swept.exit_code == 0, swept.output
    result = dsc.discover(out, "no_deal")
    assert result["kind"] == "sweep" and result["n"] == 130
    (box,) = result["chosen"]["restricted"]
    assert box["input"] == RESERVATION and box["restricts_min"]
    assert THRESHOLD < box["min"] <= 0.65 + 1e-9  # the first grid value past the threshold
    assert result["chosen"]["density"] == 1.0 and result["chosen"]["coverage"] == 1.0


def test_the_python_api_discovers_the_same_box(known: Path, known_result: dict) -> None:
    before = {p: p.stat().st_mtime_ns for p in known.glob("discover-*")}
    found = sim.discover(known, "no_deal")
    assert found.data["chosen"] == known_result["chosen"]
    after = {p: p.stat().st_mtime_ns for p in known.glob("discover-*")}
    assert found.stored == [] and after == before  # it saves only when asked
    box = found.box  # a DataFrame: one row per restricted input
    assert list(box["input"]) == [RESERVATION]
    assert box.loc[0, "min"] == pytest.approx(known_result["chosen"]["restricted"][0]["min"])
    assert box.loc[0, "qp_min"] < 0.05 and box.loc[0, "qp_max"] is None
    assert len(found.trajectory) == len(known_result["trajectory"])
    assert {"coverage", "density", "mass"} <= set(found.trajectory.columns)
    text = repr(found)
    assert text.startswith("DiscoverResult(no_deal in ") and RESERVATION in text
    assert len(text) < 2000 and "<table" in found._repr_html_()


@pytest.mark.slow
def test_the_python_api_takes_a_run_result_and_plots_on_your_axes(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    path = tmp_path / "known_box.yaml"
    path.write_text(KNOWN_BOX)
    run = sim.run(path, runs=400, out=tmp_path / "run", plots=False)
    found = sim.discover(run, "no_deal", save=True)
    assert [p.name for p in found.stored] == ["discover-no_deal.json", "discover-no_deal.png"]
    assert all(p.parent == tmp_path / "run" and p.is_file() for p in found.stored)
    fig = found.plot()
    assert isinstance(fig, Figure) and len(fig.axes) >= 2
    mine = Figure()
    axes = mine.subplots(1, 2)
    assert found.plot(axes=axes) is mine and axes[0].has_data()
    with pytest.raises(sim.UsageError, match="run with out to keep one"):
        sim.discover(sim.run(path, runs=50, plots=False), "no_deal")


@pytest.mark.slow
def test_report_computes_discovery_from_stored_replications_when_none_is_stored(
        tmp_path: Path) -> None:
    path = tmp_path / "known_box.yaml"
    path.write_text(KNOWN_BOX)
    sim.run(path, runs=400, out=tmp_path / "run")
    result = invoke("report", tmp_path / "run", "-o", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text().replace("<wbr>", "")  # break hints in names
    assert ">What leads to this outcome" in page and ">no_deal</h3>" in page
    assert RESERVATION in page
    assert not list((tmp_path / "run").glob("discover-*"))  # the report writes nothing there


def test_report_has_a_what_leads_to_this_outcome_section(known: Path, tmp_path: Path) -> None:
    sim.discover(known, "no_deal", save=True)
    result = invoke("report", known, "-o", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text().replace("<wbr>", "")  # break hints in names
    assert ">What leads to this outcome" in page
    assert RESERVATION in page and "quasi-p" in page


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("min_coverage", math.nan, "a share between 0 and 1"),
    ("min_coverage", 2, "a share between 0 and 1"),
    ("min_coverage", -1, "a share between 0 and 1"),
    ("max_qp", -1, "a share between 0 and 1"),
    ("max_qp", math.inf, "a share between 0 and 1"),
    ("peel_alpha", 0, "a share above 0 and at most 0.5"),
    ("peel_alpha", 0.6, "a share above 0 and at most 0.5"),
    ("paste_alpha", math.nan, "a share above 0 and at most 0.5"),
    ("paste_alpha", -0.1, "a share above 0 and at most 0.5"),
])
def test_settings_refuse_values_prim_cannot_use(name: str, value: float, expected: str) -> None:
    with pytest.raises(sim.UsageError) as caught:
        dsc.Settings(**{name: value})
    assert str(caught.value) == f"{name} {value!r}: expected {expected}"
    assert caught.value.cli_text().startswith(f"--{name.replace('_', '-')} {value!r}: ")


def test_settings_accept_the_bounds() -> None:
    assert dsc.Settings(min_coverage=0, max_qp=1, peel_alpha=0.5, paste_alpha=0.5).max_qp == 1
    assert dsc.Settings(min_coverage=1, max_qp=0, peel_alpha=1e-3).min_coverage == 1


def test_the_python_api_refuses_bad_settings_before_any_work(known: Path) -> None:
    for kwargs, text in [({"min_coverage": 2}, "min_coverage 2: expected a share between"),
                         ({"max_qp": -1}, "max_qp -1: expected a share between"),
                         ({"peel_alpha": 0}, "peel_alpha 0: expected a share above 0")]:
        with pytest.raises(sim.UsageError, match=text):
            sim.discover(known, "no_deal", **kwargs)


def test_a_nan_coverage_exits_2_and_stores_nothing(known: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in known.glob("discover-*")}
    result = invoke("discover", known, "--outcome", "no_deal", "--min-coverage", "nan")
    assert result.exit_code == 2
    assert "--min-coverage nan: expected a share between 0 and 1" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert {p: p.stat().st_mtime_ns for p in known.glob("discover-*")} == before


def test_a_stored_result_with_null_settings_still_reads_and_reports(
        known_result: dict, tmp_path: Path) -> None:
    from sim.store import write_json

    old = json.loads(json.dumps(known_result))  # as an older negsim stored a NaN coverage
    old["chosen"]["restricted"] = []
    old["settings"].update(min_coverage=None, max_qp=None)
    lines = dsc.box_lines(old)
    assert lines[0].startswith("no_deal: ") and "0 input(s) restricted" in lines[0]
    assert "no box covering the share asked of these replications" in lines[1]
    assert "quasi-p" not in lines[1] and "lower minimum coverage" in lines[2]
    path = tmp_path / "known_box.yaml"
    path.write_text(KNOWN_BOX)
    sim.run(path, runs=200, out=tmp_path / "run", plots=False)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    del manifest["files"]  # an older negsim's folder lists no files
    (tmp_path / "run" / "manifest.json").write_text(json.dumps(manifest))
    write_json(tmp_path / "run" / "discover-no_deal.json", old)
    result = invoke("report", tmp_path / "run", "-o", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text()
    assert "no box covering the share asked" in page


def test_the_chosen_box_is_numbered_on_the_trajectory(known_result: dict) -> None:
    chosen, trajectory = known_result["chosen"], known_result["trajectory"]
    assert 0 <= chosen["index"] < len(trajectory)
    assert chosen["index"] == known_result["picked"] and chosen["dropped"] >= 0
    head = dsc.box_lines(known_result)[0]
    assert f"box {chosen['index']} of {len(trajectory)} on the trajectory" in head


@pytest.mark.slow
def test_a_rerun_with_other_settings_does_not_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "known_box.yaml"
    path.write_text(KNOWN_BOX)
    sim.run(path, runs=300, out=tmp_path / "run", plots=False)
    assert invoke("discover", tmp_path / "run", "--outcome", "no_deal").exit_code == 0
    same = invoke("discover", tmp_path / "run", "--outcome", "no_deal")
    assert same.exit_code == 0, same.output  # the same settings: a re-run replaces it
    other = invoke("discover", tmp_path / "run", "--outcome", "no_deal", "--min-coverage", "0.5")
    assert other.exit_code == 2
    assert "other settings (min_coverage 0.8 -> 0.5); pass --force" in other.output
    stored = json.loads((tmp_path / "run" / "discover-no_deal.json").read_text())
    assert stored["settings"]["min_coverage"] == 0.8
    forced = invoke("discover", tmp_path / "run", "--outcome", "no_deal", "--min-coverage",
                    "0.5", "--force")
    assert forced.exit_code == 0, forced.output
    stored = json.loads((tmp_path / "run" / "discover-no_deal.json").read_text())
    assert stored["settings"]["min_coverage"] == 0.5
