"""The Python API (``sim.run``, ``sim.compare``, ``sim.sweep``, ``sim.trace``) gives the CLI's
numbers, takes paths, YAML text or Scenarios with overrides as a mapping, validates every
Scenario however it was edited, and shows results in one screen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.errors import ScenarioError, UsageError
from tests.conftest import FLAGSHIP, POISSON, SCENARIOS


def cli_json(*args: object) -> dict:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # stderr may state the time the job implies


@pytest.mark.slow
def test_compare_through_the_api_gives_the_clis_numbers(tmp_path: Path) -> None:
    variant = {"deadline.credibility": 0.5}
    api = sim.compare(FLAGSHIP, variants=[variant], runs=150)
    cli = cli_json("compare", FLAGSHIP, "--vs", "deadline.credibility=0.5", "-n", 150,
                   "--no-plots", "--json", "--out", tmp_path / "cmp")
    assert api.data["comparisons"][0]["diff"] == cli["comparisons"][0]["diff"]
    frame = api.outcomes
    assert set(frame.columns) >= {"baseline", "variant", "outcome", "diff", "ci_low", "p_holm"}
    tidy = api.to_pandas()  # one row per replication and arm
    assert len(tidy) == 300 and set(tidy["arm"]) == {a["label"] for a in api.data["scenarios"]}


@pytest.mark.slow
def test_sweep_through_the_api_gives_the_clis_numbers(tmp_path: Path) -> None:
    api = sim.sweep(POISSON, {"truce.breakdown.violations": [3, 5]}, runs=200,
                    out=tmp_path / "api", plots_too=False)
    cli = cli_json("sweep", POISSON, "--set", "truce.breakdown.violations=3,5", "-n", 200,
                   "--no-plots", "--json", "--out", tmp_path / "cli")
    assert [p["outcomes"] for p in api.data["points"]] == [p["outcomes"] for p in cli["points"]]
    frame = api.to_pandas()
    assert list(frame["truce.breakdown.violations"]) == [3, 5]
    assert api.folder == tmp_path / "api"


def test_run_accepts_yaml_text_a_scenario_and_overrides_as_a_mapping() -> None:
    text = POISSON.read_text()
    by_text = sim.run(text, runs=300, overrides={"horizon_days": 20})
    by_model = sim.run(sim.load(POISSON), runs=300, overrides={"horizon_days": 20})
    assert by_text.summary["outcomes"] == by_model.summary["outcomes"]
    assert by_text.plan.horizon == 20.0
    assert list(by_text.outcomes["outcome"]) == list(by_text.summary["outcomes"])
    assert "mean" in by_text.metrics.columns and len(by_text.to_pandas()) == 300


def test_overrides_given_as_one_string_are_refused() -> None:
    with pytest.raises(UsageError, match="expected a mapping"):
        sim.run(POISSON, runs=10, overrides="horizon_days=20")  # type: ignore[arg-type]


def test_an_edited_scenario_is_validated_like_the_file() -> None:
    broken = sim.load(POISSON).model_copy(update={"horizon_days": -5})
    with pytest.raises(ScenarioError) as from_model:
        sim.run(broken, runs=10)
    edited = POISSON.read_text().replace("horizon_days: 10 ", "horizon_days: -5 ")
    with pytest.raises(ScenarioError) as from_text:
        sim.run(edited, runs=10)
    assert [(p.path, p.message) for p in from_model.value.problems] == [
        (p.path, p.message) for p in from_text.value.problems]


@pytest.mark.slow
def test_every_result_prints_in_one_screen(tmp_path: Path) -> None:
    results = [sim.run(FLAGSHIP, runs=100),
               sim.compare([FLAGSHIP, SCENARIOS / "no_carrot.yaml"], runs=100),
               sim.sweep(POISSON, {"horizon_days": "10:20:3"}, runs=50, out=tmp_path / "s",
                         plots_too=False),
               sim.trace(FLAGSHIP, replication=3)]
    for result in results:
        text = repr(result)
        assert len(text) < 2000 and text.count("\n") < 25, text
        assert "<table" in result._repr_html_() or "<pre>" in result._repr_html_()


def test_trace_tells_the_same_story_as_the_cli() -> None:
    told = sim.trace(FLAGSHIP, seed=3, replication=5)
    result = CliRunner().invoke(main, ["trace", str(FLAGSHIP), "--seed", "3",
                                       "--replication", "5"])
    assert result.output.splitlines()[1:] == told.lines
    assert list(told.to_pandas().columns) == ["day", "date", "kind", "text"]


@pytest.mark.slow
def test_run_and_compare_give_identical_numbers_serially_on_a_pool_and_on_dask() -> None:
    from tests.conftest import same_table

    runs = [sim.run(FLAGSHIP, runs=600, workers=1), sim.run(FLAGSHIP, runs=600, workers=2),
            sim.run(FLAGSHIP, runs=600, workers=2, dask="local")]
    assert same_table(runs[0].records, runs[1].records)
    assert same_table(runs[0].records, runs[2].records)
    variant = [{"actors.russia.leverage.assad": 0.7}]
    compares = [sim.compare(FLAGSHIP, variant, runs=150, workers=1),
                sim.compare(FLAGSHIP, variant, runs=150, workers=2, dask="local")]
    assert compares[0].data["comparisons"] == compares[1].data["comparisons"]


@pytest.mark.slow
def test_plots_return_figures_and_draw_on_given_axes(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    run = sim.run(FLAGSHIP, runs=200)
    fig = run.plot_outcomes()
    assert isinstance(fig, Figure) and fig.axes[0].get_title()
    mine = Figure()
    ax = mine.add_subplot()
    assert run.plot_survival(ax=ax) is mine and ax.get_ylabel()
    assert run.plot_deal_days(tmp_path / "d.png") == tmp_path / "d.png"
    assert isinstance(run.plot_violations(), Figure)
    diff = sim.compare([FLAGSHIP, SCENARIOS / "no_carrot.yaml"], runs=100).plot_differences()
    assert isinstance(diff, Figure)


def test_library_errors_name_arguments_and_the_cli_names_flags(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^sample 'bogus': expected grid") as raised:
        sim.sweep(POISSON, {"horizon_days": [5, 10]}, sample="bogus", out=tmp_path / "s")
    assert raised.value.cli_text().startswith("--sample 'bogus': expected grid")
    result = CliRunner().invoke(main, ["sweep", str(POISSON), "--set", "horizon_days=5,10",
                                       "--sample", "bogus", "--out", str(tmp_path / "c")])
    assert result.exit_code == 2 and "--sample 'bogus': expected grid" in result.output


def test_trace_refuses_a_replication_and_an_outcome_together() -> None:
    with pytest.raises(UsageError, match="^give replication or outcome, not both$"):
        sim.trace(FLAGSHIP, replication=2, outcome="no_deal")
    result = CliRunner().invoke(main, ["trace", str(FLAGSHIP), "--replication", "2",
                                       "--outcome", "no_deal"])
    assert result.exit_code == 2 and "give --replication or --outcome, not both" in result.output
