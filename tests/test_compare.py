"""``negsim compare``: paired comparisons on common random numbers, end to end.

Every run uses a small -n, --workers 1 and an --out folder under tmp_path. Most tests go
through click's CliRunner; one goes through a real subprocess.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import Result

from sim import stats
from sim.engine.outcomes import possible
from sim.scenario import load
from tests.conftest import FLAGSHIP, POISSON, ROOT, SCENARIOS, invoke

# The flagship read under the faratin protocol (records bit-identical to the flagship before
# issue 19): the numbers quoted below were seen with it.
FARATIN_FLAGSHIP = ROOT / "tests" / "data" / "kerry_moscow_2016_faratin.yaml"
NO_CARROT = SCENARIOS / "no_carrot.yaml"
GENEROUS = SCENARIOS / "generous_carrot.yaml"
FLAGSHIP_SEED = 20160712
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAIN_METRICS = ("deal_day", "truce_days", "spoiler_attacks", "aid_deliveries")
FLAGSHIP_OUTCOMES = possible(load(FLAGSHIP))


# --- helpers ---------------------------------------------------------------------------------


def assert_clean_exit(result: Result, code: int) -> None:
    """Exit ``code`` through sys.exit, never an uncaught exception or a traceback."""
    assert "Traceback" not in result.output, result.output
    if code == 0:
        assert result.exception is None, repr(result.exception)
    else:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, result.output


def compare_json(*args: Any, out: Path) -> dict[str, Any]:
    """``negsim compare ARGS --json`` (one worker, into ``out``) as parsed JSON."""
    result = invoke("compare", *args, "--workers", "1", "--json", "--out", out)
    assert_clean_exit(result, 0)
    return json.loads(result.stdout)


def run_folder(scenario: Path, out: Path, runs: int, seed: int, *sets: str) -> Path:
    """``negsim run`` into ``out`` (no plots); returns the folder."""
    extra = [x for s in sets for x in ("--set", s)]
    result = invoke("run", scenario, "-n", runs, "--seed", seed, "--workers", "1",
                    "--no-plots", "--out", out, "--json", *extra)
    assert_clean_exit(result, 0)
    return out


def outcome_diffs(data: dict[str, Any], k: int = 0) -> dict[str, dict[str, Any]]:
    return data["comparisons"][k]["diff"]["outcomes"]


def indicator(outcomes: Any, name: str) -> np.ndarray:
    return (np.asarray(outcomes) == name).astype(float)


def width(ci: list[float]) -> float:
    return ci[1] - ci[0]


# --- a scenario against itself ---------------------------------------------------------------


@pytest.mark.slow
def test_scenario_compared_with_itself_differs_by_exactly_zero(tmp_path: Path) -> None:
    data = compare_json(FLAGSHIP, FLAGSHIP, "-n", 300, out=tmp_path / "self")
    assert [s["label"] for s in data["scenarios"]] == ["kerry_moscow_2016", "kerry_moscow_2016#2"]
    assert data["paired"] is True and data["runs"] == 300
    assert data["scenarios"][0]["outcomes"] == data["scenarios"][1]["outcomes"]
    (c,) = data["comparisons"]
    assert (c["baseline"], c["variant"], c["paired"]) == ("kerry_moscow_2016",
                                                          "kerry_moscow_2016#2", True)
    assert set(c["diff"]["outcomes"]) == set(FLAGSHIP_OUTCOMES)
    assert set(MAIN_METRICS) <= set(c["diff"]["metrics"])
    for kind in ("outcomes", "metrics"):
        for name, d in c["diff"][kind].items():
            assert d["diff"] == 0.0, (kind, name, d)
            assert d["ci"] == [0.0, 0.0], (kind, name, d)
            assert d["p_value"] == 1.0 and d["p_holm"] == 1.0, (kind, name, d)
            assert d["significant"] is False
            # Identical arrays: an infinite gain (None), or 1 where the column is constant.
            assert d["pairing_gain"] in (None, 1.0), (kind, name, d)


def test_three_copies_get_distinct_labels(tmp_path: Path) -> None:
    data = compare_json(POISSON, POISSON, POISSON, "-n", 50, "--no-plots", out=tmp_path / "c")
    assert [s["label"] for s in data["scenarios"]] == ["truce_poisson", "truce_poisson#2",
                                                       "truce_poisson#3"]
    assert [c["variant"] for c in data["comparisons"]] == ["truce_poisson#2", "truce_poisson#3"]


# --- a change known to help ------------------------------------------------------------------


@pytest.mark.slow
def test_more_leverage_over_assad_significantly_raises_first_truce_held(tmp_path: Path) -> None:
    # Premise: the flagship's leverage is triangular(0.3, 0.5, 0.8), mean 0.533 < 1.
    doc = yaml.safe_load(FARATIN_FLAGSHIP.read_text())
    lo, mode, hi = doc["actors"]["russia"]["leverage"]["assad"]["triangular"]
    assert (lo + mode + hi) / 3 == pytest.approx(0.5333, abs=1e-4)

    data = compare_json(FARATIN_FLAGSHIP, "--vs", "actors.russia.leverage.assad=1.0", "-n", 1500,
                        "--no-plots", out=tmp_path / "leverage")
    assert [s["label"] for s in data["scenarios"]] == ["kerry_moscow_2016",
                                                       "actors.russia.leverage.assad=1.0"]
    # A first truce never broken and running at the end: since issue 20 it is
    # first_truce_held when at least truce.judged_after_days old, first_truce_too_young when
    # younger (every such truce in the flagship's 119 days is young), so the two together are
    # what this test always measured. Paired difference from the compare's pairs, with the
    # exact McNemar test Bonferroni-adjusted over the whole family (stricter than Holm).
    pairs = pq.read_table(tmp_path / "leverage" / "pairs.parquet")
    running = [np.isin(pairs.column(f"outcome__{k}").to_pylist(),
                       ["first_truce_held", "first_truce_too_young"]) for k in (0, 1)]
    holds = stats.paired_difference(running[0].astype(float), running[1].astype(float))
    family = sum(len(v) for v in data["comparisons"][0]["diff"].values())
    assert holds["diff"] > 0, holds
    assert holds["ci"][0] > 0, holds
    assert stats.mcnemar(running[0], running[1]) * family < 0.05


# --- pairing against independent runs --------------------------------------------------------


@pytest.mark.parametrize("change", ["negotiation.parties.us.premium=0.03",
                                    "negotiation.parties.russia.weights.intel_sharing=0.37"])
@pytest.mark.slow
def test_pairing_narrows_intervals_on_a_small_change(tmp_path: Path, change: str) -> None:
    runs = 1000
    data = compare_json(FARATIN_FLAGSHIP, "--vs", change, "-n", runs, "--no-plots",
                        out=tmp_path / "cmp")
    for name in ("deal_truce_pending", "no_deal"):
        d = outcome_diffs(data)[name]
        assert d["test"] == "mcnemar"
        assert d["pairing_gain"] is not None and d["pairing_gain"] > 1, (name, d)
        assert width(d["ci"]) < width(d["unpaired_ci"]), (name, d)
        # Both intervals are t-intervals on ~1000 df: squared width ratio = pairing gain.
        ratio = (width(d["unpaired_ci"]) / width(d["ci"])) ** 2
        assert ratio == pytest.approx(d["pairing_gain"], rel=0.01), (name, d)

    # Empirically: the same variant run on another seed is an independent sample.
    pairs = pq.read_table(tmp_path / "cmp" / "pairs.parquet")
    base = pairs.column("outcome__0").to_pylist()
    paired_variant = pairs.column("outcome__1").to_pylist()
    indep = run_folder(FARATIN_FLAGSHIP, tmp_path / "indep", runs, FLAGSHIP_SEED + 1, change)
    indep_variant = pq.read_table(indep / "replications.parquet").column("outcome").to_pylist()
    for name in ("deal_truce_pending", "no_deal"):
        b = indicator(base, name)
        v, w = indicator(paired_variant, name), indicator(indep_variant, name)
        var_paired = float(np.var(v - b, ddof=1))
        var_indep = float(np.var(w - b, ddof=1))
        gain = outcome_diffs(data)[name]["pairing_gain"]
        # Expected about 5-9; relative error of the empirical ratio here about 15%.
        assert var_indep / var_paired > 2, (name, var_indep, var_paired)
        assert gain / 2 < var_indep / var_paired < gain * 2, (name, var_indep / var_paired, gain)
        unpaired = stats.unpaired_difference(b, w)
        assert width(outcome_diffs(data)[name]["ci"]) < width(unpaired["ci"])


# --- run folders against files ---------------------------------------------------------------


@pytest.mark.slow
def test_compare_of_run_folders_equals_compare_of_files_with_the_same_seed(
        tmp_path: Path) -> None:
    d1 = run_folder(FLAGSHIP, tmp_path / "d1", 400, 9)
    d2 = run_folder(NO_CARROT, tmp_path / "d2", 400, 9)
    from_folders = compare_json(d1, d2, out=tmp_path / "c_folders")
    from_files = compare_json(FLAGSHIP, NO_CARROT, "-n", 400, "--seed", 9, "--no-plots",
                              out=tmp_path / "c_files")
    for data in (from_folders, from_files):
        assert data["paired"] is True and data["seed"] == 9 and data["runs"] == 400
        assert data["comparisons"][0]["paired"] is True
    assert [s["label"] for s in from_folders["scenarios"]] == ["d1", "d2"]
    assert [s["scenario"] for s in from_folders["scenarios"]] == ["kerry_moscow_2016",
                                                                 "no_carrot"]
    for name in FLAGSHIP_OUTCOMES:
        a, b = outcome_diffs(from_folders)[name], outcome_diffs(from_files)[name]
        assert a["diff"] == b["diff"], name
        assert a["ci"] == b["ci"] and a["p_value"] == b["p_value"], name
    fm = from_folders["comparisons"][0]["diff"]["metrics"]
    gm = from_files["comparisons"][0]["diff"]["metrics"]
    assert fm.keys() == gm.keys()
    for name in fm:
        assert fm[name]["diff"] == gm[name]["diff"], name
    assert [s["outcomes"] for s in from_folders["scenarios"]] == \
        [s["outcomes"] for s in from_files["scenarios"]]


@pytest.mark.slow
def test_run_folders_with_different_seeds_compare_unpaired_with_a_warning(
        tmp_path: Path) -> None:
    d1 = run_folder(POISSON, tmp_path / "d1", 300, 9)
    d3 = run_folder(POISSON, tmp_path / "d3", 300, 10, "actors.side_a.violation_rate=0.4")
    result = invoke("compare", d1, d3, "--json", "--out", tmp_path / "c")
    assert_clean_exit(result, 0)
    assert "warning" in result.stderr and "seeds differ" in result.stderr, result.stderr
    assert "9" in result.stderr and "10" in result.stderr
    data = json.loads(result.stdout)
    assert data["paired"] is False
    (c,) = data["comparisons"]
    assert c["paired"] is False
    for name, d in c["diff"]["outcomes"].items():
        assert d["test"] == "welch", name
        assert "pairing_gain" not in d and "unpaired_ci" not in d
    # The Welch figures are those of stats.unpaired_difference on the stored outcomes.
    a = pq.read_table(d1 / "replications.parquet").column("outcome").to_pylist()
    b = pq.read_table(d3 / "replications.parquet").column("outcome").to_pylist()
    ref = stats.unpaired_difference(indicator(a, "first_truce_held"),
                                    indicator(b, "first_truce_held"))
    got = c["diff"]["outcomes"]["first_truce_held"]
    assert got["diff"] == pytest.approx(ref["diff"])
    assert got["ci"] == pytest.approx(ref["ci"])
    assert got["p_value"] == pytest.approx(ref["p_value"])


def test_run_folders_with_different_replications_compare_unpaired_with_a_warning(
        tmp_path: Path) -> None:
    d1 = run_folder(POISSON, tmp_path / "d1", 300, 9)
    d2 = run_folder(POISSON, tmp_path / "d2", 200, 9)
    result = invoke("compare", d1, d2, "--json", "--no-plots", "--out", tmp_path / "c")
    assert_clean_exit(result, 0)
    assert "replications differ" in result.stderr, result.stderr
    assert json.loads(result.stdout)["paired"] is False


# --- three scenarios: Holm ------------------------------------------------------------------


THREE_RUNS = 200  # paired replications per arm of the three-scenario compare


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The flagship against no_carrot and generous_carrot: compare.json and its folder."""
    out = tmp_path_factory.mktemp("three") / "cmp"
    return compare_json(FLAGSHIP, NO_CARROT, GENEROUS, "-n", THREE_RUNS, "--seed", 5, out=out), out


@pytest.mark.slow
def test_three_scenarios_make_two_comparisons_with_the_first_as_baseline(
        three: tuple[dict[str, Any], Path]) -> None:
    data, _ = three
    assert data["baseline"] == "kerry_moscow_2016"
    assert [s["label"] for s in data["scenarios"]] == ["kerry_moscow_2016", "no_carrot",
                                                       "generous_carrot"]
    assert [(c["baseline"], c["variant"]) for c in data["comparisons"]] == [
        ("kerry_moscow_2016", "no_carrot"), ("kerry_moscow_2016", "generous_carrot")]


@pytest.mark.slow
def test_holm_is_applied_over_every_outcome_and_metric_of_every_comparison(
        three: tuple[dict[str, Any], Path]) -> None:
    data, _ = three
    comparisons = data["comparisons"]
    assert len(comparisons) == 2
    rows = [d for c in comparisons for kind in ("outcomes", "metrics")
            for d in c["diff"][kind].values()]
    expected = stats.holm([r["p_value"] for r in rows])
    for r, p in zip(rows, expected, strict=True):
        assert r["p_holm"] == pytest.approx(p, abs=1e-15)
        if r["p_value"] is not None:
            assert r["p_holm"] >= r["p_value"], r
            assert r["significant"] == (r["p_holm"] < 0.05), r
    family = data["family"]
    assert family["method"] == "holm" and family["alpha"] == 0.05
    assert family["size"] == sum(r["p_value"] is not None for r in rows) > 20
    assert "whole family" in family["text"] and str(family["size"]) in family["text"]


# --- compare.json and the compare folder -----------------------------------------------------


def test_every_comparison_has_outcome_and_metric_differences(
        three: tuple[dict[str, Any], Path]) -> None:
    data, _ = three
    assert data["runs"] == THREE_RUNS and data["seed"] == 5 and data["paired"] is True
    assert "wall_s" in data
    scen = {s["label"]: s["outcomes"] for s in data["scenarios"]}
    for s in data["scenarios"]:
        assert s["runs"] == THREE_RUNS
        assert list(s["outcomes"]) == list(FLAGSHIP_OUTCOMES)
        assert sum(row["count"] for row in s["outcomes"].values()) == THREE_RUNS
    for c in data["comparisons"]:
        outcomes, metrics = c["diff"]["outcomes"], c["diff"]["metrics"]
        assert list(outcomes) == list(FLAGSHIP_OUTCOMES)
        assert set(MAIN_METRICS) <= set(metrics)
        assert any(m.startswith("violations_") for m in metrics)
        assert any(m.startswith("utility_") for m in metrics)
        for name, d in outcomes.items():
            keys = {"diff", "ci", "p_value", "n", "test", "pairing_gain", "unpaired_ci",
                    "p_holm", "significant"}
            assert keys <= set(d), (name, d)
            assert d["test"] == "mcnemar" and d["n"] == THREE_RUNS
            # The paired difference of indicators is the difference of the probabilities.
            expected = scen[c["variant"]][name]["p"] - scen[c["baseline"]][name]["p"]
            assert d["diff"] == pytest.approx(expected, abs=1e-12), name
            assert d["ci"][0] <= d["diff"] <= d["ci"][1]
        # The outcomes partition the replications, so their differences sum to zero.
        assert sum(d["diff"] for d in outcomes.values()) == pytest.approx(0.0, abs=1e-12)
        for name, d in metrics.items():
            assert d["test"] == "paired t", name
            assert {"diff", "ci", "p_value", "n", "p_holm", "significant"} <= set(d), name


def test_compare_folder_holds_json_manifest_pairs_and_pngs(
        three: tuple[dict[str, Any], Path]) -> None:
    data, folder = three
    assert folder.is_dir()
    assert not folder.with_name(folder.name + ".partial").exists()
    assert sorted(p.name for p in folder.iterdir()) == [
        "compare.json", "differences.png", "manifest.json", "outcomes.png", "pairs.parquet"]

    stored = json.loads((folder / "compare.json").read_text())
    printed = dict(data)
    stored.pop("wall_s", None)
    printed.pop("wall_s", None)
    assert printed.pop("folder") == str(folder)
    assert stored == printed

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "compare"
    assert manifest["seed"] == 5 and manifest["runs"] == THREE_RUNS
    assert [a["label"] for a in manifest["arms"]] == [s["label"] for s in data["scenarios"]]
    for arm, path in zip(manifest["arms"], (FLAGSHIP, NO_CARROT, GENEROUS), strict=True):
        assert arm["source"] == str(path)
        assert arm["scenario_text"] == path.read_text()

    pairs = pq.read_table(folder / "pairs.parquet")
    assert pairs.num_rows == data["runs"]
    assert pairs.column("replication").to_pylist() == list(range(THREE_RUNS))
    for k, s in enumerate(data["scenarios"]):
        outcomes = pairs.column(f"outcome__{k}").to_pylist()
        for name in FLAGSHIP_OUTCOMES:
            assert outcomes.count(name) == s["outcomes"][name]["count"], (k, name)
        for metric in MAIN_METRICS:
            assert f"{metric}__{k}" in pairs.column_names

    for png in ("outcomes.png", "differences.png"):
        raw = (folder / png).read_bytes()
        assert raw[:8] == PNG_SIGNATURE, png
        image = matplotlib.image.imread(folder / png)
        assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50, png


def test_no_plots_writes_no_pngs(tmp_path: Path) -> None:
    compare_json(POISSON, "--vs", "actors.side_a.violation_rate=0.4", "-n", 50, "--no-plots",
                 out=tmp_path / "c")
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [
        "compare.json", "manifest.json", "pairs.parquet"]


def test_human_output_shows_the_tables_and_the_folder(tmp_path: Path) -> None:
    result = invoke("compare", POISSON, "--vs", "actors.side_a.violation_rate=0.4", "-n", 200,
                    "--workers", "1", "--no-plots", "--out", tmp_path / "c")
    assert_clean_exit(result, 0)
    text = " ".join(result.stdout.split())  # rich wraps at the terminal width
    assert "(paired, common random numbers)" in text
    assert "first_truce_held" in text and "pairing gain" in text
    assert "Holm's correction over the whole family" in text
    assert f"comparefolder:{tmp_path / 'c'}" in "".join(result.stdout.split())


@pytest.mark.slow
def test_precision_stops_in_whole_batches_once_the_intervals_are_narrow(
        tmp_path: Path) -> None:
    data = compare_json(POISSON, "--vs", "actors.side_a.violation_rate=0.4", "-n", 9000,
                        "--precision", 0.02, "--no-plots", out=tmp_path / "c")
    assert data["runs"] % 1000 == 0 and data["runs"] < 9000
    for d in outcome_diffs(data).values():
        assert width(d["ci"]) / 2 <= 0.02
    assert data["precision"]["target"] == 0.02 and data["precision"]["cap"] == 9000
    assert data["folder"] == str(tmp_path / "c")  # --json says where the folder is
    shown = invoke("compare", POISSON, "--vs", "actors.side_a.violation_rate=0.4", "-n", 9000,
                   "--precision", 0.02, "--no-plots", "--out", tmp_path / "c2")
    assert f"after {data['runs']} of at most 9000 replications" in " ".join(shown.stdout.split())


# --- bad input -------------------------------------------------------------------------------


def test_mixing_a_folder_and_a_file_exits_2(tmp_path: Path) -> None:
    folder = tmp_path / "somedir"
    folder.mkdir()
    for args in ((folder, FLAGSHIP), (FLAGSHIP, folder)):
        result = invoke("compare", *args, "--out", tmp_path / "c")
        assert_clean_exit(result, 2)
        assert "not a mix" in result.stderr, result.stderr
        assert result.stdout == ""
    assert not (tmp_path / "c").exists()


def test_folders_with_vs_exit_2(tmp_path: Path) -> None:
    d1 = run_folder(POISSON, tmp_path / "d1", 20, 1)
    d2 = run_folder(POISSON, tmp_path / "d2", 20, 1)
    result = invoke("compare", d1, d2, "--vs", "actors.side_a.violation_rate=0.4",
                    "--out", tmp_path / "c")
    assert_clean_exit(result, 2)
    assert "not a mix" in result.stderr


def test_bad_vs_path_exits_2_naming_the_path_with_a_suggestion(tmp_path: Path) -> None:
    result = invoke("compare", FLAGSHIP, "--vs", "actors.russia.leverag.assad=0.9", "-n", 10,
                    "--workers", "1", "--out", tmp_path / "c")
    assert_clean_exit(result, 2)
    assert "actors.russia.leverag.assad" in result.stderr, result.stderr
    assert "did you mean 'leverage'" in result.stderr, result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "c").exists()


def test_invalid_vs_value_exits_2_naming_the_override(tmp_path: Path) -> None:
    result = invoke("compare", FLAGSHIP, "--vs", "actors.russia.leverage.assad=1.5", "-n", 10,
                    "--workers", "1", "--out", tmp_path / "c")
    assert_clean_exit(result, 2)
    assert "actors.russia.leverage.assad=1.5" in result.stderr
    assert "[0, 1]" in result.stderr, result.stderr


def test_one_scenario_only_exits_2(tmp_path: Path) -> None:
    result = invoke("compare", FLAGSHIP, "-n", 10, "--workers", "1", "--out", tmp_path / "c")
    assert_clean_exit(result, 2)
    assert "at least two" in result.stderr, result.stderr
    assert not (tmp_path / "c").exists()


def test_one_run_folder_only_exits_2(tmp_path: Path) -> None:
    # A lone run folder is one scenario too: it must be refused like a lone file, not turned
    # into a compare folder with no comparisons.
    d1 = run_folder(POISSON, tmp_path / "d1", 20, 1)
    result = invoke("compare", d1, "--out", tmp_path / "c")
    assert_clean_exit(result, 2)
    assert "at least two" in result.stderr, result.stderr
    assert not (tmp_path / "c").exists()


def test_missing_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = invoke("compare", FLAGSHIP, missing, "-n", 10, "--out", tmp_path / "c")
    assert_clean_exit(result, 2)
    assert str(missing) in result.stderr and "not found" in result.stderr, result.stderr
    assert not (tmp_path / "c").exists()


def test_folder_that_is_not_a_run_folder_exits_2(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    result = invoke("compare", a, b, "--out", tmp_path / "c")
    assert_clean_exit(result, 2)
    assert "not a negsim results folder" in result.stderr or "not found" in result.stderr


def test_existing_out_folder_exits_2(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    result = invoke("compare", POISSON, POISSON, "-n", 10, "--workers", "1",
                    "--out", tmp_path / "c")
    assert_clean_exit(result, 2)
    assert "exists" in result.stderr


# --- through a real process ------------------------------------------------------------------


@pytest.mark.slow
def test_compare_through_a_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "c"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "compare", str(POISSON), "--vs",
         "actors.side_a.violation_rate=0.4", "-n", "400", "--workers", "1", "--json",
         "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    assert data["paired"] is True and data["runs"] == 400
    assert (out / "compare.json").is_file() and (out / "pairs.parquet").is_file()
    # Closed form (the file's header): P(Poisson(5) <= 4) = 0.44049 at rate 0.5 and
    # P(Poisson(4) <= 4) = 0.62884 at rate 0.4, a difference of 0.18835.
    holds = outcome_diffs(data)["first_truce_held"]
    p = [sum(math.exp(-lam) * lam**k / math.factorial(k) for k in range(5)) for lam in (5, 4)]
    se = width(holds["ci"]) / 2 / stats.Z95
    assert abs(holds["diff"] - (p[1] - p[0])) < 3 * se, (holds, p)
    assert holds["significant"] is True
