"""Terminal tables never cut a number: at 80 columns, piped, or narrower, every number is
printed whole (folded, wrapped between numbers, or stacked), never with an ellipsis."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from sim.cli import main
from sim.output import render
from tests.conftest import POISSON, ROOT, SCENARIOS

LABOUR = SCENARIOS / "examples" / "labour_strike.yaml"


def printed(renderable: Any, width: int) -> str:
    console = Console(file=io.StringIO(), width=width)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def assert_whole(number: str, text: str) -> None:
    """``number`` appears in ``text`` as a whole token, not as a piece of a longer one."""
    pattern = rf"(?<![\w.+\-]){re.escape(number)}(?![\w.])"
    assert re.search(pattern, text), f"{number!r} not printed whole in:\n{text}"


def metric_numbers(summary: dict[str, Any]) -> list[str]:
    out = []
    for m in summary["metrics"].values():
        out += [render._num(m[k]) for k in ("mean", "sd", "q05", "q50", "q95")]
    return out


def outcome_numbers(summary: dict[str, Any]) -> list[str]:
    return [f"{x:.3f}" for o in summary["outcomes"].values() for x in (o["p"], *o["ci"])]


@pytest.mark.parametrize(("p", "significant", "text"), [
    (1.7e-313, True, "< 1e-16 *"), (0.0, False, "< 1e-16"), (1e-16, False, "1e-16"),
    (0.013312, True, "0.0133 *"), (None, False, "—"), (1.0, False, "1")])
def test_p_values_print_a_floor_below_1e_16_and_keep_their_star(
        p: float | None, significant: bool, text: str) -> None:
    assert render.pvalue(p, significant) == text


@pytest.mark.parametrize("width", [30, 50, 64, 80, 120])
def test_a_fitted_table_never_cuts_a_number_at_any_width(width: int) -> None:
    cols = [render.Col("metric", numeric=False), render.Col("n"), render.Col("mean ± 95%"),
            render.Col("p (Holm)", whole=True)]
    rows = [["violations_per_truce_day", "123456", "-0.000721 ± 0.000278", "< 1e-16 *"],
            ["utility_russia", "7", "-1.23e+04 ± 5.6e+03", "3.42e-06 *"]]
    text = printed(render.fitted("A title", cols, rows, width), width)
    assert "…" not in text
    assert max(map(len, text.splitlines())) <= width
    for number in ("123456", "-0.000721", "0.000278", "-1.23e+04", "5.6e+03", "3.42e-06 *",
                   "< 1e-16 *"):
        assert_whole(number, text)


@pytest.mark.slow
def test_run_at_80_columns_prints_every_number_of_the_summary_whole(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(LABOUR), "-n", "300", "--out", str(out),
                                       "--no-plots"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert "…" not in result.stdout
    assert max(map(len, result.stdout.splitlines())) <= 80
    for number in outcome_numbers(summary) + metric_numbers(summary):
        assert_whole(number, result.stdout)
    assert "no_deal: no deal was ever struck" in result.stdout  # the legend under the table


def _piped(*args: str, columns: str = "80") -> str:
    """``COLUMNS=80 negsim ... | cat``: a real subprocess whose stdout is a pipe."""
    env = {**os.environ, "COLUMNS": columns}
    proc = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.slow
def test_run_piped_at_80_columns_cuts_no_number(tmp_path: Path) -> None:
    out = tmp_path / "run"
    text = _piped("run", str(POISSON), "-n", "400", "--out", str(out), "--no-plots")
    summary = json.loads((out / "summary.json").read_text())
    assert "…" not in text
    for number in outcome_numbers(summary) + metric_numbers(summary):
        assert_whole(number, text)


@pytest.mark.slow
def test_compare_piped_at_80_columns_prints_p_values_whole_with_their_stars(
        tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    text = _piped("compare", str(POISSON), "--vs", "truce.breakdown.violations=7",
                  "--vs", "horizon_days=20", "-n", "600", "--out", str(out), "--no-plots")
    result = json.loads((out / "compare.json").read_text())
    assert "…" not in text
    assert max(map(len, text.splitlines())) <= 80
    for c in result["comparisons"]:
        for kind in ("outcomes", "metrics"):
            for d in c["diff"][kind].values():
                assert_whole(render._pval(d), text)
                if d.get("diff") is not None:
                    for number in render._diff(d, "+.3f" if kind == "outcomes" else ".3g"
                                               ).split(" ± "):
                        assert_whole(number, text)
    assert "e-3" not in text and not re.search(r"(?<![\d.])0 \*", text)


@pytest.mark.slow
def test_sweep_at_80_columns_prints_every_point_whole(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    result = CliRunner().invoke(main, ["sweep", str(POISSON), "--set",
                                       "truce.breakdown.violations=3,5,7", "--set",
                                       "actors.side_a.violation_rate=0.3,0.5", "-n", "100",
                                       "--out", str(out), "--no-plots"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert "…" not in result.stdout
    for point in summary["points"]:
        for o in point["outcomes"].values():
            assert_whole(f"{o['p']:.3f}", result.stdout)
            assert_whole(f"{(o['ci'][1] - o['ci'][0]) / 2:.3f}", result.stdout)


@pytest.mark.parametrize(("text", "width", "lines"), [
    ("violations_per_truce_day", 19, ["violations_per_", "truce_day"]),
    ("observed_per_truce_day", 19, ["observed_per_truce_", "day"]),
    ("level_assad_restraint", 19, ["level_assad_", "restraint"]),
    ("deal_day", 19, ["deal_day"]),
    ("a scenario title that is long", 12, ["a scenario", "title that", "is long"]),
    ("unbreakablename", 6, ["unbreakablename"]),  # no separator: the table folds it
])
def test_names_fold_after_a_separator_never_inside_a_word(text: str, width: int,
                                                        lines: list[str]) -> None:
    assert render.fold(text, width).split("\n") == lines


def test_the_flagship_metrics_at_80_columns_fold_names_only_at_underscores() -> None:
    from sim.running.summary import METRICS

    names = [m.name for m in METRICS] + ["level_assad_restraint", "level_joint_operations"]
    summary = {"metrics": {n: {"n": 200, "mean": 0.0515, "ci": [0.0, 0.1], "sd": 0.417,
                               "q05": 0, "q50": 0.868, "q95": 0.0819} for n in names}}
    text = printed(render.metrics_table(summary, 80), 80)
    cells = [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│")]
    for cell in cells:  # each line of a name cell is a whole name or ends at a separator
        assert cell in names or cell.endswith("_") or any(n.endswith(cell) for n in names), cell
    assert "".join(cells) == "".join(names)  # all of every name, in order


def _sweep_summary() -> dict[str, Any]:
    names = ["first_truce_held", "renewed_truce_active", "truce_degraded", "deal_truce_pending",
             "truce_collapsed", "no_deal", "escalation"]
    points = [{"values": {"actors.russia.leverage.assad": a,
                          "negotiation.parties.russia.weights.intel_sharing": w},
               "outcomes": {n: {"p": 0.1 * k, "ci": [0.1 * k - 0.081, 0.1 * k + 0.081]}
                            for k, n in enumerate(names)}}
              for a in (0.3, 0.9) for w in (0.2, 0.6)]
    return {"scenario": "kerry_moscow_2016", "runs": 20, "seed": 1, "method": "grid",
            "paths": list(points[0]["values"]), "points": points}


@pytest.mark.parametrize("width", [60, 80, 100])
def test_a_wide_sweep_table_prints_in_blocks_that_repeat_the_swept_values(width: int) -> None:
    summary = _sweep_summary()
    text = printed(render.sweep_table(summary, width), width)
    assert max(len(line) for line in text.splitlines()) <= width
    headers = [line for line in text.splitlines() if line.startswith("┃")]
    words = {w.strip() for line in headers for w in line.split("┃") if w.strip()}
    for name in summary["points"][0]["outcomes"]:  # every header word whole
        for word in render._BREAKS.split(name):
            assert any(word.rstrip("_") in w for w in words), (name, word, words)
    blocks = text.count("┏")
    assert blocks >= 2 if width < 100 else blocks >= 1
    assert text.count("assad") == blocks  # the swept columns head every block
    for p in summary["points"]:
        for o in p["outcomes"].values():
            assert_whole(f"{o['p']:.3f}", text)


def test_a_table_that_fits_is_one_block_and_one_column_too_wide_is_stacked() -> None:
    cols = [render.Col("metric", numeric=False), render.Col("value")]
    one = printed(render.fitted("T", cols, [["deal_day", "116"]], 80), 80)
    assert one.count("┏") == 1
    stacked = printed(render.fitted("T", cols, [["deal_day", "1" * 25]], 30), 30)
    assert "┏" not in stacked and "value:" in stacked
    assert_whole("1" * 25, stacked)  # on a line of its own, but whole
