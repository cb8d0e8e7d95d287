"""A lean default install: EMA Workbench (PRIM, with statsmodels, scikit-learn and SALib)
comes with the ``discover`` extra, and ``negsim discover`` without it says in one line how to
get it (issue 23, item 10)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
from tests.conftest import ROOT, SCENARIOS


def test_ema_workbench_is_an_extra_not_a_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("ema-workbench") for d in project["dependencies"])
    extras = project["optional-dependencies"]
    assert any(d.startswith("ema-workbench") for d in extras["discover"])
    assert any(d.startswith("ema-workbench") for d in extras["dev"])  # the tests discover


def test_discover_without_the_extra_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.run(SCENARIOS / "kerry_moscow_2016.yaml", runs=40, out=tmp_path / "run", plots=False)
    for name in [m for m in sys.modules if m.startswith("ema_workbench")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # import fails as if not installed
    result = CliRunner().invoke(main, ["discover", str(tmp_path / "run"), "--outcome",
                                       "truce_collapsed"])  # an outcome the 40 runs reach
    assert result.exit_code == 1
    assert result.output == ("negsim: discover needs EMA Workbench's PRIM, an optional extra: "
                             "pip install 'negsim[discover]'\n")
