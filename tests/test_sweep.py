"""``negsim sweep``: the command line, common random numbers across points, path errors,
executor equivalence (pool, Dask), resuming a killed sweep, samplers and plots."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.engine.outcomes import HEADLINE_METRICS
from sim.output import plots
from tests.conftest import FLAGSHIP, HAWKES, POISSON, ROOT, invoke, negsim, same_table

PNG = b"\x89PNG\r\n\x1a\n"

LEVERAGE = "actors.russia.leverage.assad"
INTEL = "negotiation.parties.russia.weights.intel_sharing"
FLAGSHIP_GRID = ("--set", f"{LEVERAGE}=0.3,0.55,0.8", "--set", f"{INTEL}=0.2,0.5")
SUMMARY_KEYS = {"scenario", "seed", "runs", "method", "paths", "points", "sensitivity", "wall_s"}


def assert_same_table(a: pa.Table, b: pa.Table) -> None:
    assert a.column_names == b.column_names
    assert a.schema == b.schema
    assert a.num_rows == b.num_rows
    for name in a.column_names:
        assert same_table(a.select([name]), b.select([name])), name


def summary_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "summary.json").read_text())


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary without its wall time and folder."""
    return {k: v for k, v in summary.items() if k not in ("wall_s", "folder")}


def assert_png(path: Path) -> None:
    import matplotlib.image as mpimg

    assert path.is_file(), path
    assert path.read_bytes()[:8] == PNG, path
    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100, image.shape


# --- a small grid through the CLI -------------------------------------------------------------


@pytest.fixture(scope="module")
def hawkes_grid(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("hawkes") / "sweep"
    result = invoke("sweep", HAWKES, "-n", 40, "--workers", 1, "--set", "truce.beta=1.5,2,3",
                    "--out", out, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed.pop("folder") == str(out)  # --json says where the folder is
    return out, printed


@pytest.fixture(scope="module")
def flagship_grid(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("flagship") / "w1"
    result = invoke("sweep", FLAGSHIP, "-n", 40, "--seed", 11, "--workers", 1, *FLAGSHIP_GRID,
                    "--out", out, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed.pop("folder") == str(out)  # --json says where the folder is
    return out, printed


def test_json_has_points_with_values_outcomes_and_metrics(hawkes_grid: tuple) -> None:
    out, summary = hawkes_grid
    assert set(summary) == SUMMARY_KEYS
    assert summary["scenario"] == "truce_hawkes"
    assert (summary["seed"], summary["runs"], summary["method"]) == (1, 40, "grid")
    assert summary["paths"] == ["truce.beta"]
    points = summary["points"]
    assert [p["point"] for p in points] == [0, 1, 2]
    assert [p["values"] for p in points] == [{"truce.beta": v} for v in (1.5, 2, 3)]
    for p in points:
        # No breakdown rule: the only outcome that can occur is the first truce holding.
        assert list(p["outcomes"]) == ["first_truce_held"]
        assert sum(o["count"] for o in p["outcomes"].values()) == 40
        for o in p["outcomes"].values():
            assert set(o) == {"p", "ci", "count"}
            assert o["p"] == pytest.approx(o["count"] / 40)
            assert o["ci"][0] <= o["p"] <= o["ci"][1]
        # No breakdown rule: the truce holds to the 30-day horizon every time.
        assert p["outcomes"]["first_truce_held"]["p"] == 1.0
        assert set(p["metrics"]) == set(HEADLINE_METRICS)
        for m in p["metrics"].values():
            assert {"mean", "sd", "q05", "q50", "q95", "n", "ci"} <= set(m)
        assert p["metrics"]["truce_days"]["mean"] == 30.0
        assert p["metrics"]["truce_days"]["n"] == 40
    assert summary == summary_of(out)


def test_sweep_folder_holds_one_point_file_pair_per_point(hawkes_grid: tuple) -> None:
    out, summary = hawkes_grid
    assert not (out / "INCOMPLETE").exists()
    assert sorted(p.name for p in (out / "points").iterdir()) == [
        f"{k:05d}.{ext}" for k in range(3) for ext in ("json", "parquet")]
    for k, point in enumerate(summary["points"]):
        table = pq.read_table(out / "points" / f"{k:05d}.parquet")
        assert table.num_rows == 40
        assert table.column("replication").to_pylist() == list(range(40))
        assert {"outcome", "truce_days", "deal_day"} <= set(table.column_names)
        assert json.loads((out / "points" / f"{k:05d}.json").read_text()) == point
    stored = json.loads((out / "sweep.json").read_text())
    assert stored["scenario_text"] == HAWKES.read_text()
    assert (stored["seed"], stored["runs"], stored["method"]) == (1, 40, "grid")
    assert stored["points"] == [{"truce.beta": v} for v in (1.5, 2, 3)]


def test_sweep_parquet_has_one_row_per_point_with_parameter_columns(hawkes_grid: tuple) -> None:
    out, summary = hawkes_grid
    table = pq.read_table(out / "sweep.parquet")
    assert table.num_rows == 3
    assert table.column_names[:2] == ["point", "truce.beta"]
    assert table.column("point").to_pylist() == [0, 1, 2]
    assert table.column("truce.beta").to_pylist() == [1.5, 2.0, 3.0]
    for name in ("first_truce_held",):
        for prefix in ("p", "ci_low", "ci_high"):
            assert f"{prefix}_{name}" in table.column_names
        assert table.column(f"p_{name}").to_pylist() == [
            p["outcomes"][name]["p"] for p in summary["points"]]
    for m in HEADLINE_METRICS:
        assert f"mean_{m}" in table.column_names
    assert table.column("mean_truce_days").to_pylist() == [30.0] * 3


@pytest.mark.slow
def test_grid_as_a_real_subprocess_gives_the_same_points(hawkes_grid: tuple,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    proc = negsim("sweep", "scenarios/examples/truce_hawkes.yaml", "-n", 40, "--workers", 1,
                  "--set", "truce.beta=1.5,2,3", "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["points"] == hawkes_grid[1]["points"]
    assert summary["sensitivity"] == hawkes_grid[1]["sensitivity"]
    assert_same_table(pq.read_table(out / "sweep.parquet"),
                      pq.read_table(hawkes_grid[0] / "sweep.parquet"))
    assert (out / "sweep.png").is_file()


def test_without_json_prints_a_table_the_ranking_and_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = invoke("sweep", POISSON, "-n", 50, "--workers", 1, "--no-plots",
                    "--set", "truce.breakdown.violations=3,5,7", "--out", out)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())  # rich wraps at the terminal width
    assert "truce_poisson: 3 points × 50 replications, seed 1 (grid)" in text
    assert "first_truce_held: truce.breakdown.violations (SRC " in result.stdout
    assert f"sweep folder: {out}" in result.stdout.replace("\n", "")
    assert not list(out.glob("*.png"))


@pytest.mark.slow
def test_zip_and_design_csv_through_the_cli(tmp_path: Path) -> None:
    zipped = invoke("sweep", POISSON, "-n", 30, "--workers", 1, "--no-plots", "--zip", "--json",
                    "--set", "truce.breakdown.violations=3,5,7",
                    "--set", "horizon_days=5,10,20", "--out", tmp_path / "zip")
    assert zipped.exit_code == 0, zipped.output
    zs = json.loads(zipped.stdout)
    assert zs["method"] == "zip"
    assert [tuple(p["values"].values()) for p in zs["points"]] == [(3, 5), (5, 10), (7, 20)]

    csv = tmp_path / "points.csv"
    csv.write_text("truce.breakdown.violations,horizon_days\n3,5\n5,10\n7,20\n")
    designed = invoke("sweep", POISSON, "-n", 30, "--workers", 1, "--no-plots", "--json",
                      "--design", csv, "--out", tmp_path / "design")
    assert designed.exit_code == 0, designed.output
    ds = json.loads(designed.stdout)
    assert ds["method"] == "design"
    assert [p["values"] for p in ds["points"]] == [p["values"] for p in zs["points"]]
    assert [p["outcomes"] for p in ds["points"]] == [p["outcomes"] for p in zs["points"]]

    csv.write_text("truce.breakdown.violations,horizon_days\n3,5\n5\n")
    bad = invoke("sweep", POISSON, "--design", csv, "--out", tmp_path / "bad")
    assert bad.exit_code == 2
    assert f"{csv}:3: expected 2 values, got 1" in bad.stderr
    assert not (tmp_path / "bad").exists()


# --- common random numbers --------------------------------------------------------------------


@pytest.mark.parametrize(("scenario", "sweep_sets", "point", "run_sets"), [
    (HAWKES, ["truce.beta=1.5,2,3"], 1, ["truce.beta=2"]),
    (POISSON, ["truce.breakdown.violations=3,5,7", "actors.side_a.violation_rate=0.3,0.6"], 3,
     ["truce.breakdown.violations=5", "actors.side_a.violation_rate=0.6"]),
    (FLAGSHIP, [f"{LEVERAGE}=0:1:3", f"{INTEL}=0.2,0.65"], 2,
     [f"{LEVERAGE}=0.5", f"{INTEL}=0.2"]),
], ids=["hawkes", "poisson", "flagship"])
@pytest.mark.slow
def test_a_point_equals_a_plain_run_with_the_same_seed_and_set(
        tmp_path: Path, scenario: Path, sweep_sets: list[str], point: int,
        run_sets: list[str]) -> None:
    n, seed = 60, 7
    sets = [a for s in sweep_sets for a in ("--set", s)]
    swept = invoke("sweep", scenario, "-n", n, "--seed", seed, "--workers", 1, "--no-plots",
                   *sets, "--out", tmp_path / "sweep", "--json")
    assert swept.exit_code == 0, swept.output
    values = json.loads(swept.stdout)["points"][point]["values"]
    assert [f"{k}={v}" for k, v in values.items()] == run_sets
    run = invoke("run", scenario, "-n", n, "--seed", seed, "--workers", 1, "--no-plots",
                 *[a for s in run_sets for a in ("--set", s)], "--out", tmp_path / "run", "--json")
    assert run.exit_code == 0, run.output
    stored = pq.read_table(tmp_path / "sweep" / "points" / f"{point:05d}.parquet")
    for path, value in values.items():  # each point's rows carry its swept inputs
        assert set(stored.column(path).to_pylist()) == {value}
    plain = pq.read_table(tmp_path / "run" / "replications.parquet")
    assert_same_table(stored.select(plain.column_names), plain)
    assert json.loads(swept.stdout)["points"][point]["outcomes"] == json.loads(run.stdout)[
        "outcomes"]


# --- path errors --------------------------------------------------------------------------------


def test_an_unknown_path_exits_2_naming_it_with_valid_neighbours(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = invoke("sweep", FLAGSHIP, "-n", 5, "--set", "actors.russia.levrage.assad=0:1:3",
                    "--out", out)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "actors.russia.levrage.assad" in result.stderr
    assert "did you mean 'leverage'" in result.stderr
    assert "valid here:" in result.stderr and "violation_rate" in result.stderr
    assert result.stdout == ""
    assert not out.exists()


@pytest.mark.parametrize("spec", ["--set=actors.russia.leverage.assad=0.5,1.5",
                                  "--set=actors.russia.leverage.assad=0:1.5:4"])
def test_a_value_the_schema_refuses_exits_2_naming_the_path(tmp_path: Path, spec: str) -> None:
    out = tmp_path / "sweep"
    result = invoke("sweep", FLAGSHIP, "-n", 5, spec, "--out", out)
    assert result.exit_code == 2, result.output
    assert "actors.russia.leverage.assad" in result.stderr
    assert "1.5" in result.stderr
    assert "sweep point" in result.stderr
    assert not out.exists()


def test_a_sampled_value_the_schema_refuses_exits_2_before_anything_runs(tmp_path: Path) -> None:
    # lhs:4 over 0.5..1.5 puts exactly two points above 1.
    out = tmp_path / "sweep"
    result = invoke("sweep", FLAGSHIP, "-n", 5, "--sample", "lhs:4",
                    "--set", "actors.russia.leverage.assad=0.5..1.5", "--out", out)
    assert result.exit_code == 2, result.output
    assert "actors.russia.leverage.assad" in result.stderr
    assert not out.exists()


def test_usage_errors_exit_2_and_create_nothing(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    cases = [
        (["sweep", "--set", "truce.beta=1,2", "--out", out], "give a SCENARIO"),
        (["sweep", HAWKES, "--out", out], "PATH=SPEC in --set"),
        (["sweep", HAWKES, "--set", "truce.beta=1..2", "--out", out], "ranges need --sample"),
        (["sweep", HAWKES, "--sample", "sobol:6", "--set", "truce.beta=1..2", "--out", out],
         "power of two"),
        (["sweep", HAWKES, "--sample", "lhs:8", "--set", "truce.beta=1,2", "--out", out],
         "needs ranges"),
        (["sweep", HAWKES, "--zip", "--set", "truce.beta=1,2", "--set",
          "actors.side_a.violation_rate=0.1,0.2,0.3", "--out", out], "equal length"),
    ]
    for args, message in cases:
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert not out.exists(), args


# --- executors ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_workers_and_dask_local_give_identical_results(flagship_grid: tuple,
                                                      tmp_path: Path) -> None:
    one, summary1 = flagship_grid
    two = tmp_path / "w2"
    result = invoke("sweep", FLAGSHIP, "-n", 40, "--seed", 11, "--workers", 2, *FLAGSHIP_GRID,
                    "--out", two, "--json", "--no-plots")
    assert result.exit_code == 0, result.output
    summary2 = json.loads(result.stdout)
    dask = tmp_path / "dask"
    proc = negsim("sweep", FLAGSHIP, "-n", 40, "--seed", 11, "--workers", 2, "--dask", "local",
                  *FLAGSHIP_GRID, "--out", dask, "--json", "--no-plots")
    assert proc.returncode == 0, proc.stderr
    summary3 = json.loads(proc.stdout)

    assert len(summary1["points"]) == 6
    # Different points really differ (otherwise equality would prove little).
    assert len({json.dumps(p["outcomes"]) for p in summary1["points"]}) > 1
    for other in (summary2, summary3):
        assert comparable(other) == comparable(summary1)
        for k in range(6):
            assert other["points"][k]["outcomes"] == summary1["points"][k]["outcomes"]
            assert other["points"][k]["metrics"] == summary1["points"][k]["metrics"]
    reference = pq.read_table(one / "sweep.parquet")
    for folder in (two, dask):
        assert_same_table(pq.read_table(folder / "sweep.parquet"), reference)
        for k in range(6):
            assert_same_table(pq.read_table(folder / "points" / f"{k:05d}.parquet"),
                              pq.read_table(one / "points" / f"{k:05d}.parquet"))
        assert not (folder / "INCOMPLETE").exists()


# --- resume -------------------------------------------------------------------------------------


RESUME_RUNS = 60
RESUME_POINTS = 12  # 3 leverages x 4 values
RESUME_ARGS = ["sweep", "scenarios/kerry_moscow_2016.yaml", "-n", str(RESUME_RUNS),
               "--set", f"{LEVERAGE}=0:1:3", "--set", f"{INTEL}=0.2,0.35,0.5,0.65",
               "--workers", "1"]


def _finished(points: Path) -> dict[str, tuple[int, bytes, int, bytes]]:
    out = {}
    for j in sorted(points.glob("*.json")):
        p = j.with_suffix(".parquet")
        out[j.stem] = (j.stat().st_mtime_ns, j.read_bytes(), p.stat().st_mtime_ns, p.read_bytes())
    return out


@pytest.mark.slow
def test_resume_after_a_killed_sweep_reuses_finished_points_and_matches(tmp_path: Path) -> None:
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    cmd = [sys.executable, "-m", "sim"]
    reference = subprocess.Popen([*cmd, *RESUME_ARGS, "--out", str(whole)], cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    victim = subprocess.Popen([*cmd, *RESUME_ARGS, "--out", str(killed)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list((killed / "points").glob("*.json"))) < 3:
            assert victim.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no 3 finished points within 120 s"
            time.sleep(0.02)
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()

    # What a killed sweep leaves: the marker, whole point files, nothing assembled.
    assert (killed / "INCOMPLETE").is_file()
    assert "--resume" in (killed / "INCOMPLETE").read_text()
    assert (killed / "sweep.json").is_file()
    assert not (killed / "summary.json").exists()
    assert not (killed / "sweep.parquet").exists()
    for f in (killed / "points").glob("*.parquet"):
        assert pq.read_table(f).num_rows == RESUME_RUNS, f
    done = _finished(killed / "points")
    assert 3 <= len(done) < RESUME_POINTS
    for stem in done:
        assert json.loads((killed / "points" / f"{stem}.json").read_text())["point"] == int(stem)

    # Refused resumes and reuses of the folder change nothing.
    again = invoke("sweep", FLAGSHIP, "--resume", killed)
    assert again.exit_code == 2, again.output
    assert "--resume takes only the sweep folder" in again.stderr
    clash = invoke("sweep", HAWKES, "--set", "truce.beta=1,2", "--out", killed)
    assert clash.exit_code == 2, clash.output
    assert "exists already" in clash.stderr and "--resume" in clash.stderr
    assert _finished(killed / "points") == done

    resumed = negsim("sweep", "--resume", killed)
    assert resumed.returncode == 0, resumed.stderr
    told = f"resuming {killed}: {len(done)} of {RESUME_POINTS} points already done"
    assert told in resumed.stderr
    assert reference.wait(timeout=300) == 0, reference.stderr.read() if reference.stderr else ""

    # Finished points were not recomputed or rewritten; every point now exists.
    after = _finished(killed / "points")
    assert {k: after[k] for k in done} == done
    assert sorted(after) == [f"{k:05d}" for k in range(RESUME_POINTS)]
    assert len(list((killed / "points").glob("*.parquet"))) == RESUME_POINTS
    assert not (killed / "INCOMPLETE").exists()
    assert not list((killed / "points").glob("*.tmp"))

    # The same numbers as an uninterrupted sweep.
    resumed_summary, whole_summary = summary_of(killed), summary_of(whole)
    assert resumed_summary["points"] == whole_summary["points"]
    assert comparable(resumed_summary) == comparable(whole_summary)
    assert_same_table(pq.read_table(killed / "sweep.parquet"),
                      pq.read_table(whole / "sweep.parquet"))
    for k in range(RESUME_POINTS):
        assert_same_table(pq.read_table(killed / "points" / f"{k:05d}.parquet"),
                          pq.read_table(whole / "points" / f"{k:05d}.parquet"))
    assert (killed / "heatmaps.png").is_file()


@pytest.fixture
def finished_copy(hawkes_grid: tuple, tmp_path: Path) -> Path:
    folder = tmp_path / "sweep"
    shutil.copytree(hawkes_grid[0], folder)
    return folder


def test_existing_out_folder_without_resume_exits_2(finished_copy: Path) -> None:
    before = (finished_copy / "summary.json").stat().st_mtime_ns
    result = invoke("sweep", HAWKES, "-n", 10, "--set", "truce.beta=1,2", "--out", finished_copy)
    assert result.exit_code == 2, result.output
    assert f"{finished_copy} exists already; use --resume {finished_copy}" in result.stderr
    assert (finished_copy / "summary.json").stat().st_mtime_ns == before


@pytest.mark.parametrize("extra", [["SCENARIO"], ["--set", "truce.beta=1,2"],
                                   ["--design", "points.csv"]])
def test_resume_with_a_new_definition_exits_2(finished_copy: Path, extra: list[str]) -> None:
    args = [str(HAWKES) if a == "SCENARIO" else a for a in extra]
    result = invoke("sweep", "--resume", finished_copy, *args)
    assert result.exit_code == 2, result.output
    assert "--resume takes only the sweep folder (and --workers/--dask)" in result.stderr


@pytest.mark.parametrize("extra", [["-n", "500"], ["--seed", "3"], ["--out", "elsewhere"]])
def test_resume_refuses_options_it_would_silently_ignore(finished_copy: Path, tmp_path: Path,
                                                         extra: list[str]) -> None:
    # The refusal says --resume takes only the folder and --workers/--dask; -n, --seed and
    # --out are nevertheless accepted and ignored, so `--resume D -n 500` quietly keeps the
    # stored 40 runs and `--resume D --out E` writes to D.
    args = [str(tmp_path / a) if a == "elsewhere" else a for a in extra]
    result = invoke("sweep", "--resume", finished_copy, "--no-plots", *args)
    assert result.exit_code == 2, (extra, result.output)
    assert "--resume takes only the sweep folder" in result.stderr


def test_resume_of_a_finished_sweep_recomputes_nothing(finished_copy: Path) -> None:
    before = _finished(finished_copy / "points")
    result = invoke("sweep", "--resume", finished_copy, "--json", "--no-plots")
    assert result.exit_code == 0, result.output
    assert "3 of 3 points already done" in result.stderr
    assert _finished(finished_copy / "points") == before
    assert json.loads(result.stdout)["points"] == summary_of(finished_copy)["points"]


def test_resume_of_a_folder_that_is_not_a_sweep_exits_2(tmp_path: Path) -> None:
    result = invoke("sweep", "--resume", tmp_path / "nothing")
    assert result.exit_code == 2, result.output
    assert "no sweep to resume" in result.stderr


# --- samplers through the CLI -----------------------------------------------------------------


SAMPLED = ("--set", "truce.beta=1.2..3", "--set", "actors.side_a.violation_rate=0.2..0.6")


@pytest.mark.parametrize(("sample", "count", "method"), [("lhs:8", 8, "src"),
                                                         ("sobol:8", 32, "sobol")])
@pytest.mark.slow
def test_samplers_through_the_cli(tmp_path: Path, sample: str, count: int, method: str) -> None:
    out = tmp_path / "sweep"
    result = invoke("sweep", HAWKES, "-n", 20, "--workers", 1, "--sample", sample, *SAMPLED,
                    "--out", out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    kind = sample.partition(":")[0]
    assert summary["method"] == kind
    assert json.loads((out / "sweep.json").read_text())["method"] == kind
    assert len(summary["points"]) == count
    assert len(list((out / "points").glob("*.parquet"))) == count
    assert pq.read_table(out / "sweep.parquet").num_rows == count
    beta = np.array([p["values"]["truce.beta"] for p in summary["points"]])
    rate = np.array([p["values"]["actors.side_a.violation_rate"] for p in summary["points"]])
    assert np.all((beta >= 1.2) & (beta <= 3)) and np.all((rate >= 0.2) & (rate <= 0.6))
    if kind == "lhs":
        for x, lo, hi in ((beta, 1.2, 3.0), (rate, 0.2, 0.6)):
            assert sorted(np.floor((x - lo) / (hi - lo) * 8).astype(int).tolist()) == list(
                range(8))
    else:
        assert json.loads((out / "sweep.json").read_text())["sobol"] == {"n": 8, "d": 2}
    # Violations vary with beta and the rate even though the truce always holds.
    assert len({p["metrics"]["truce_days"]["mean"] for p in summary["points"]}) == 1
    for res in summary["sensitivity"].values():
        assert res["method"] == method
        assert set(res["parameters"]) == {"truce.beta", "actors.side_a.violation_rate"}
        key = "total_order" if method == "sobol" else "src"
        assert all(key in v for v in res["parameters"].values())
    assert_png(out / "ranking.png")
    assert not (out / "heatmaps.png").exists()  # not a grid
    assert not (out / "sweep.png").exists()  # two parameters


# --- plots ----------------------------------------------------------------------------------


def test_one_parameter_gives_sweep_png_and_ranking_png(hawkes_grid: tuple) -> None:
    out, _ = hawkes_grid
    assert_png(out / "sweep.png")
    assert_png(out / "ranking.png")
    assert not (out / "heatmaps.png").exists()


def test_two_parameter_grid_gives_heatmaps_png_and_ranking_png(flagship_grid: tuple) -> None:
    out, _ = flagship_grid
    assert_png(out / "heatmaps.png")
    assert_png(out / "ranking.png")
    assert not (out / "sweep.png").exists()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:No artists with labels found to put in legend")
def test_plot_functions_write_decodable_pngs(hawkes_grid: tuple, flagship_grid: tuple,
                                             tmp_path: Path) -> None:
    _, line = hawkes_grid
    _, grid = flagship_grid
    written = [
        plots.plot_sweep_line(line["points"], "truce.beta", tmp_path / "line.png"),
        plots.plot_heatmaps(grid["points"], grid["paths"], tmp_path / "heat.png"),
        plots.plot_ranking(grid["sensitivity"], tmp_path / "rank.png"),
        plots.plot_ranking({}, tmp_path / "empty_rank.png"),
    ]
    assert written == [tmp_path / n for n in ("line.png", "heat.png", "rank.png",
                                              "empty_rank.png")]
    for path in written:
        assert_png(path)
