"""Reports a person can share and plots that show their point (issue 23, item 2 / deliver 6):
each arm's probabilities in a compare report, sweep tables in A4-wide blocks with the outcomes
first, options that never break, question titles, readable deal-day bars and labels >= 9 pt."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

import sim
from sim.output import plots
from sim.output.report import BLOCK_COLUMNS, build
from tests.conftest import SCENARIOS

POISSON = SCENARIOS / "examples" / "truce_poisson.yaml"


def _tables(page: str) -> list[list[str]]:
    """Each table's header cells, tags stripped."""
    return [[re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th>(.*?)</th>", t)]
            for t in re.findall(r"<table>(.*?)</table>", page, re.S)]


def test_compare_report_states_each_arms_probabilities(tmp_path: Path) -> None:
    result = sim.compare(POISSON, variants=[{"horizon_days": 20}], runs=40, seed=2,
                         out=tmp_path / "cmp", plots=False)
    page = build(tmp_path / "cmp")
    assert "Each scenario's outcome probabilities" in page
    header = next(h for h in _tables(page) if h[:1] == ["outcome"] and "truce_poisson" in h)
    assert header == ["outcome", "truce_poisson", "horizon_days=20"]
    for arm in result.data["scenarios"]:
        o = arm["outcomes"]["truce_collapsed"]
        assert f"{o['p']:.3f} [{o['ci'][0]:.3f}, {o['ci'][1]:.3f}]" in page


def test_sweep_report_puts_outcomes_first_in_blocks_that_fit_a4(tmp_path: Path) -> None:
    sim.sweep(POISSON, {"truce.breakdown.violations": [3, 5], "horizon_days": [10, 20],
                        "actors.side_a.violation_rate": [0.4, 0.6],
                        "truce.breakdown.window_days": [5, 10]},
              runs=10, out=tmp_path / "sw", plots_too=False)
    page = build(tmp_path / "sw")
    points = [h for h in _tables(page) if h[:1] == ["point"]]
    assert len(points) == 2  # 2 outcomes + 4 paths = 6 value columns: two blocks
    assert all(len(h) <= 1 + BLOCK_COLUMNS for h in points)
    assert points[0][1:3] == ["p first_truce_held", "p truce_collapsed"]
    assert "size:A4" in page and ".scroll{overflow:visible}" in page


def test_report_options_never_break_inside_a_flag(tmp_path: Path) -> None:
    sim.run(POISSON, runs=20, out=tmp_path / "run", plots=False)
    page = build(tmp_path / "run")
    assert '<span class="nb">--seed</span>' in page
    assert ".nb{white-space:nowrap}" in page


@pytest.mark.slow
def test_run_plots_ask_their_question_and_keep_labels_at_9_points() -> None:
    run = sim.run(SCENARIOS / "kerry_moscow_2016.yaml", runs=60, seed=3)
    figures = {"outcomes": run.plot_outcomes(), "survival": run.plot_survival(),
               "deal_days": run.plot_deal_days(), "violations": run.plot_violations()}
    titles = {k: f.axes[0].get_title() for k, f in figures.items()}
    assert all(t.startswith(("How", "When", "Who")) and "?" in t for t in titles.values())
    assert run.plan.scenario.title not in " ".join(titles.values())
    for name, fig in figures.items():
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip()]
        assert min(sizes) >= plots.MIN_FONT, (name, min(sizes))
        title = fig.axes[0].title
        box = title.get_window_extent(renderer=canvas.get_renderer())
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width, name  # the title is whole


def test_deal_day_histogram_draws_visible_bars_over_a_long_horizon() -> None:
    days = np.concatenate([np.full(30, 12.0), np.full(10, 40.0), np.full(60, np.nan)])
    fig = plots.plot_deal_days(days, None, 30.0, 180.0)
    bars = [p for p in fig.axes[0].patches if p.get_height() > 0]
    assert len(bars) <= plots.MAX_BINS and sum(p.get_height() for p in bars) == 40
    assert min(p.get_width() for p in bars) >= 180.0 / plots.MAX_BINS - 1e-9
