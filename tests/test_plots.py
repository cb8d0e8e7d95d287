"""Every plot writes a readable PNG, with data and without."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from sim.output import plots
from sim.stats import outcome_table, survival

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAMES = ("deal", "truce", "escalation", "stalemate")


def assert_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = imread(path)
    assert image.shape[0] > 100
    assert image.shape[1] > 100


def test_plot_outcomes_writes_a_png(tmp_path: Path) -> None:
    table = outcome_table(["deal"] * 6 + ["truce"] * 3 + ["escalation"], NAMES)
    out = plots.plot_outcomes(table, tmp_path / "outcomes.png", "Kerry in Moscow")
    assert out == tmp_path / "outcomes.png"
    assert_png(out)


def test_plot_outcomes_with_no_replications(tmp_path: Path) -> None:
    assert_png(plots.plot_outcomes(outcome_table([], NAMES), tmp_path / "a.png"))
    assert_png(plots.plot_outcomes({}, tmp_path / "b.png"))


def test_plot_survival_writes_a_png(tmp_path: Path) -> None:
    km = survival(np.array([1, 2, 2, 3, 4]), np.array([True, True, False, True, False]), 6.0)
    out = plots.plot_survival(km, str(tmp_path / "survival.png"), "Truce", horizon=6.0)
    assert out == tmp_path / "survival.png"
    assert_png(out)


def test_plot_survival_without_truces(tmp_path: Path) -> None:
    km = survival(np.array([]), np.array([], dtype=bool), 30.0)
    assert_png(plots.plot_survival(km, tmp_path / "a.png", horizon=30.0))
    assert_png(plots.plot_survival({"t": [], "s": [], "lo": [], "hi": []}, tmp_path / "b.png"))


def test_plot_deal_days_writes_a_png(tmp_path: Path) -> None:
    days = np.array([3.0, np.nan, 20.0, 28.5, 29.0, np.nan, 12.0])
    out = plots.plot_deal_days(days, tmp_path / "deals.png", deadline_day=30.0, horizon=60.0,
                               title="Deals")
    assert_png(out)


def test_plot_deal_days_without_deals_or_deadline(tmp_path: Path) -> None:
    assert_png(plots.plot_deal_days(np.array([np.nan, np.nan]), tmp_path / "a.png", 30.0, 60.0))
    assert_png(plots.plot_deal_days(np.array([]), tmp_path / "b.png"))
    assert_png(plots.plot_deal_days(np.array([5.0]), tmp_path / "c.png"))


def test_plot_violations_writes_a_png(tmp_path: Path) -> None:
    violations = {"regime": np.array([3.0, 5.0, 4.0]), "opposition": np.array([1.0, 0.0, 2.0])}
    assert_png(plots.plot_violations(violations, tmp_path / "violations.png", "Violations"))


@pytest.mark.parametrize("violations", [{}, {"regime": np.array([])}, {"a": np.array([2.0])}])
def test_plot_violations_with_little_data(tmp_path: Path,
                                          violations: dict[str, np.ndarray]) -> None:
    assert_png(plots.plot_violations(violations, tmp_path / "v.png"))


@pytest.mark.slow
def test_importing_plots_does_not_load_pyplot() -> None:
    code = "import sys, sim.output.plots; print('matplotlib.pyplot' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def _grid_points(names: tuple[str, ...]) -> list[dict]:
    points = []
    for x in (0.0, 0.5, 1.0):
        for y in (1, 2):
            labels = [names[int(x * 2 + y) % len(names)]] * 3 + [names[0]]
            points.append({"values": {"a": x, "b": y}, "outcomes": outcome_table(labels, names)})
    return points


@pytest.mark.slow
@pytest.mark.parametrize("count", [1, 3, 6, 7])
def test_sweep_heat_maps_draw_one_panel_per_outcome_for_any_number(tmp_path: Path,
                                                                   count: int) -> None:
    names = tuple(f"outcome_{k}" for k in range(count))
    out = plots.plot_heatmaps(_grid_points(names), ["a", "b"], tmp_path / "heat.png")
    assert_png(out)


def test_ranking_marks_noise_and_not_estimable_effects(tmp_path: Path) -> None:
    sensitivity = {name: {"method": "src", "parameters": {
        "a": {"src": 0.8, "noise": False}, "b": {"src": None}, "c": {"src": 0.05, "noise": True}}}
        for name in ("first_truce_held", "truce_collapsed", "no_deal")}
    assert_png(plots.plot_ranking(sensitivity, tmp_path / "ranking.png"))
    sobol = {"no_deal": {"method": "sobol", "parameters": {
        "a": {"first_order": 0.5, "total_order": 0.6, "total_ci": [0.4, 0.8], "noise": False},
        "b": {"first_order": 0.0, "total_order": 0.01, "total_ci": [-0.02, 0.05],
              "noise": True}}}}
    assert_png(plots.plot_ranking(sobol, tmp_path / "sobol.png"))


def test_discovery_plot_with_and_without_a_box(tmp_path: Path) -> None:
    trajectory = [{"coverage": 1.0, "density": 0.3, "mass": 1.0, "restricted": 0, "n": 100},
                  {"coverage": 0.9, "density": 0.6, "mass": 0.45, "restricted": 1, "n": 45}]
    box = {"input": "actors.x.rate", "min": 0.4, "max": 1.0, "range": [0.0, 1.0],
           "restricts_min": True, "restricts_max": False, "qp_min": 1e-6, "qp_max": None}
    for restricted in ([box], []):
        result = {"outcome": "no_deal", "cases": 30, "n": 100, "trajectory": trajectory,
                  "chosen": {"index": 1, **trajectory[1], "restricted": restricted}}
        assert_png(plots.plot_discovery(result, tmp_path / f"d{len(restricted)}.png"))


def test_a_dollar_in_a_scenario_title_is_shown_as_written_not_as_math(tmp_path: Path) -> None:
    table = outcome_table(["deal"] * 3, NAMES)
    bad_math = r"Costs $5 \undefined and $6"  # as mathtext this fails to draw
    assert_png(plots.plot_outcomes(table, tmp_path / "a.png", bad_math))
    assert_png(plots.plot_side_by_side([{"label": "$x$ \\bad", "outcomes": table}],
                                       tmp_path / "b.png", bad_math))


def test_deal_days_marks_renewed_deadlines(tmp_path: Path) -> None:
    out = plots.plot_deal_days(np.array([21.0, 55.0, np.nan]), tmp_path / "d.png", 20.0, 120.0,
                               "t", renewed=[50.0, 80.0])
    assert_png(out)


def test_renewed_deadlines_follow_the_flagship_deadline_within_the_horizon() -> None:
    from sim.engine import Plan
    from sim.output.results import renewed_deadlines
    from sim.scenario import load
    from tests.conftest import FLAGSHIP

    plan = Plan(load(FLAGSHIP))
    d = plan.scenario.deadline
    assert d is not None and d.extension_days
    expected = [plan.deadline_day + k * d.extension_days for k in range(1, d.extensions + 1)]
    assert renewed_deadlines(plan) == [x for x in expected if x <= plan.horizon]
    assert renewed_deadlines(plan)


def test_violations_are_plotted_per_actor_under_the_actors_labels(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sim
    from sim.scenario import load
    from tests.conftest import SCENARIOS

    path = SCENARIOS / "examples" / "ceasefire_three_party.yaml"
    seen: dict[str, object] = {}
    monkeypatch.setattr(plots, "plot_violations", lambda violations, out, title="", **kw:
                        seen.update(violations) or Path(out))
    sim.run(path, runs=20, workers=1).plot_violations(tmp_path / "v.png")
    scenario = load(path)
    assert set(seen) == {scenario.actors[p].label for p in scenario.truce.parties}  # type: ignore[union-attr]


@pytest.mark.slow
def test_a_command_that_draws_nothing_does_not_import_matplotlib(tmp_path: Path) -> None:
    """matplotlib (about 0.3 s) loads when a plot is drawn, not with the API or a run
    without plots; drawing one then works. scipy.stats (about a second) does not load with a
    run either: its summary's t and normal quantiles come from scipy.special."""
    code = ("import sys\n"
            "from sim import api\n"
            "r = api.run('kerry_moscow_2016', runs=5, plots=False)\n"
            "assert 'matplotlib' not in sys.modules, 'imported without a plot'\n"
            "assert 'scipy.stats' not in sys.modules, 'a run needs scipy.special only'\n"
            "r.plot_outcomes(sys.argv[1])\n"
            "assert 'matplotlib' in sys.modules\n")
    out = tmp_path / "o.png"
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
