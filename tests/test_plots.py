"""Every plot writes a readable PNG, with data and without."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from sim import plots
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


def test_importing_plots_does_not_load_pyplot() -> None:
    code = "import sys, sim.plots; print('matplotlib.pyplot' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
