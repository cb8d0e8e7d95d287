"""The notebook example and the README's EMA Workbench example run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def _ema_workbench() -> None:
    """Both tests need EMA Workbench; imported when they run, not when the fast loop collects
    this file (about 3 s)."""
    pytest.importorskip("ema_workbench")


@pytest.mark.slow
def test_the_notebook_example_runs_small(tmp_path) -> None:
    env = {**os.environ, "NEGSIM_NOTEBOOK_SMALL": "1", "MPLBACKEND": "Agg"}
    p = subprocess.run([sys.executable, str(ROOT / "examples" / "notebook.py")], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-2000:]
    out = p.stdout
    assert "SweepResult(kerry_moscow_2016: 3 points x 30 runs" in out  # np.linspace's 3
    assert "pawn_null" in out and "r2" in out  # sensitivity read as a DataFrame
    assert "deadline.credibility" in out and "actors.russia.leverage.assad" in out
    assert re.search(r"truce_collapsed\s+escalation", out)  # EMA's outcomes and scores
    assert "swing" in out  # the tornado's table
    assert (tmp_path / "results").is_dir()


def _readme_ema_example() -> str:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    found = [b for b in blocks if "perform_experiments(m" in b]
    assert len(found) == 1, "the README has one EMA Workbench example"
    return found[0]


@pytest.mark.slow
def test_the_readme_ema_example_runs_as_written(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    names: dict[str, object] = {}
    exec(compile(_readme_ema_example(), "README.md", "exec"), names)  # noqa: S102
    experiments, outcomes = names["experiments"], names["outcomes"]
    assert len(experiments) == 20  # type: ignore[arg-type]
    assert sorted(outcomes) == ["escalation", "no_deal"]  # type: ignore[call-overload]
    assert all(0.0 <= p <= 1.0 for v in outcomes.values() for p in v)  # type: ignore[attr-defined]
