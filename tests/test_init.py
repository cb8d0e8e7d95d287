"""``negsim init`` writes a small commented starting scenario that validates and runs, and the
shipped files cite only sources a reader can find (issue 23, item 9 / deliver 7)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from click.testing import CliRunner

import sim
from sim.cli import main
from sim.scenario import shipped
from tests.conftest import ROOT, SCENARIOS


def test_init_writes_a_small_starting_scenario_that_validates_and_runs(tmp_path: Path) -> None:
    path = shipped.init("my_talks", where=tmp_path)
    text = path.read_text()
    lines = text.splitlines()
    assert lines[0].startswith(shipped.SCHEMA_LINE)
    assert len(lines) < 80 and sum(line.lstrip().startswith("#") or "  # " in line
                                   for line in lines) >= 20  # commented
    model = sim.load(path)
    assert model.name == "my_talks"
    assert len(model.negotiation.parties) == 2 and len(model.negotiation.terms) == 1
    assert model.deadline is not None and model.truce is not None
    run = sim.run(path, runs=200)
    seen = {k for k, v in run.summary["outcomes"].items() if v["count"]}
    assert {"escalation", "first_truce_held", "truce_collapsed"} <= seen  # it shows the model


def test_init_puts_the_format_line_right_after_the_schema_line_when_the_format_has_one(
        tmp_path: Path) -> None:
    lines = shipped.init("talks", where=tmp_path).read_text().splitlines()
    if "format" in sim.Scenario.model_fields:
        assert lines[1] == "format: 2"
    else:
        assert not any(line.startswith("format:") for line in lines)


def test_the_cli_init_says_where_it_started_from(tmp_path: Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["init", "first"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert "from the starting scenario" in result.output
    assert CliRunner().invoke(main, ["validate", str(tmp_path / "first.yaml")]).exit_code == 0


def test_shipped_files_cite_no_path_outside_the_repository() -> None:
    for path in sorted(SCENARIOS.rglob("*.yaml")):
        text = path.read_text()
        assert "shared/seed" not in text and "/work/" not in text, path
        for cited in re.findall(r"\b([\w/.-]+\.md)\b", text):
            assert (ROOT / cited).is_file(), (path, cited)


def test_the_flagship_cites_its_source_as_a_news_report() -> None:
    head = (SCENARIOS / "kerry_moscow_2016.yaml").read_text()[:600]
    assert "# a news report of 12 July 2016 on" in head
