"""negsim report: a self-contained, escaped HTML page, checked in a real headless Chromium."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from tests.conftest import FLAGSHIP, ROOT, SCENARIOS

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run of a scenario whose title, description and labels carry markup."""
    base = tmp_path_factory.mktemp("report")
    text = (SCENARIOS / "examples" / "truce_poisson.yaml").read_text()
    text = text.replace("title: A truce alone with Poisson violations", f"title: '{EVIL}'")
    text = text.replace("label: Side A", "label: '<img src=x onerror=alert(2)>'")
    scenario = base / "evil.yaml"
    scenario.write_text(text)
    out = base / "run"
    result = CliRunner().invoke(main, ["run", str(scenario), "-n", "300", "--workers", "1",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _report(folder: Path, tmp: Path) -> tuple[Path, str]:
    target = tmp / "report.html"
    result = CliRunner().invoke(main, ["report", str(folder), "-o", str(target)])
    assert result.exit_code == 0, result.output
    return target, target.read_text().replace("<wbr>", "")  # break hints inside names


def test_report_escapes_scenario_text_and_runs_nothing(run_dir: Path, tmp_path: Path) -> None:
    _, page = _report(run_dir, tmp_path)
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<script" not in page.lower()


def test_report_refers_to_nothing_outside_itself(run_dir: Path, tmp_path: Path) -> None:
    _, page = _report(run_dir, tmp_path)
    assert not re.search(r"""(src|href)\s*=\s*["']?(?!data:)[a-z]+:""", page, re.I)
    assert "http" not in re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page).lower()
    assert "@import" not in page and "url(" not in page


def test_report_of_a_run_has_tables_plots_traces_and_reproduction(run_dir: Path,
                                                                  tmp_path: Path) -> None:
    _, page = _report(run_dir, tmp_path)
    assert page.count("data:image/png;base64,") == len(list(run_dir.glob("*.png"))) >= 3
    for heading in ("Outcomes", "Metrics", "The scenario", "A representative replication",
                    "Assumptions and their sources", "Reproduce"):
        assert f">{heading}" in page
    assert "first_truce_held" in page and "truce_collapsed" in page
    assert "Coarse grouping" in page and "deal_holds" in page
    assert "negsim trace report-scenario.yaml --seed 1 --replication" in page
    assert "counted from the start (no window)" in page  # a comment from the YAML file


def test_report_default_location_is_inside_the_folder(run_dir: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(run_dir)])
    assert result.exit_code == 0
    assert (run_dir / "report.html").exists()


def test_report_of_a_folder_that_is_not_a_result_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a negsim run, compare or sweep folder" in result.output


def test_report_of_a_missing_folder_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_report_shows_results_and_plots_before_the_scenario(run_dir: Path,
                                                             tmp_path: Path) -> None:
    _, page = _report(run_dir, tmp_path)
    assert page.index(">Outcomes<") < page.index("<img") < page.index(">The scenario<")
    assert page.index(">The scenario<") < page.index(">Reproduce<")


@pytest.mark.slow
def test_report_embeds_the_yaml_and_its_command_reproduces_the_run(
        run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, page = _report(run_dir, tmp_path)
    text = json.loads((run_dir / "manifest.json").read_text())["scenario_text"]
    assert (tmp_path / "report-scenario.yaml").read_text() == text
    assert "<details><summary>The scenario file (report-scenario.yaml" in page
    assert html.escape(text) in page
    command = "negsim run report-scenario.yaml --seed 1 -n 300"
    assert command in re.sub(r"<[^>]+>", "", page)  # options are wrapped to stay whole
    monkeypatch.chdir(tmp_path)
    again = CliRunner().invoke(main, [*command.split()[1:], "--out", "again", "--no-plots"])
    assert again.exit_code == 0, again.output
    first = json.loads((run_dir / "summary.json").read_text())
    assert json.loads((tmp_path / "again" / "summary.json").read_text())["outcomes"] == \
        first["outcomes"]


def test_report_of_a_three_arm_compare_shows_what_differs_and_one_scenario(
        tmp_path: Path) -> None:
    out = tmp_path / "cmp3"
    poisson = str(SCENARIOS / "examples" / "truce_poisson.yaml")
    result = CliRunner().invoke(main, ["compare", poisson, "--vs", "truce.breakdown.violations=7",
                                       "--vs", "horizon_days=20", "-n", "100", "--workers", "1",
                                       "--no-plots", "--out", str(out)])
    assert result.exit_code == 0, result.output
    _, page = _report(out, tmp_path)
    differs = page[page.index("What differs between the arms"):page.index("The baseline")]
    assert "<td>truce.breakdown.violations</td><td class=\"n\">5</td><td class=\"n\">7</td>" \
        "<td class=\"n\">5</td>" in differs
    assert "<td>horizon_days</td>" in differs and "<td>seed</td>" not in differs
    assert page.count("<h3>Actors</h3>") == 1
    for k in (1, 2, 3):
        assert (tmp_path / f"report-scenario-{k}.yaml").exists()
    assert ("negsim compare report-scenario-1.yaml report-scenario-2.yaml "
            "report-scenario-3.yaml --seed 1 -n 100") in re.sub(r"<[^>]+>", "", page)


def test_report_of_a_compare_folder(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    ex = SCENARIOS / "examples"
    result = CliRunner().invoke(main, ["compare", str(ex / "truce_poisson.yaml"), "--vs",
                                       "truce.breakdown.violations=7", "-n", "200",
                                       "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    _, page = _report(out, tmp_path)
    assert "truce.breakdown.violations=7 minus truce_poisson" in page
    assert page.count("data:image/png;base64,") == 2
    assert "Holm&#x27;s correction over the whole family" in page


@pytest.mark.slow
def test_report_of_a_sweep_folder(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    result = CliRunner().invoke(main, ["sweep", str(SCENARIOS / "examples" / "truce_poisson.yaml"),
                                       "--set", "truce.breakdown.violations=3,5,7", "-n", "100",
                                       "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    _, page = _report(out, tmp_path)
    assert "Which parameters matter" in page and "truce.breakdown.violations" in page
    assert "binomial noise alone would be" in page
    assert (tmp_path / "report-points.csv").read_text().splitlines() == [
        "truce.breakdown.violations", "3", "5", "7"]
    assert "--design report-points.csv --seed 1 -n 100" in re.sub(r"<[^>]+>", "", page)


# --- a real browser ---------------------------------------------------------------------------


def _browser() -> tuple[str, str] | None:
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chrome, driver) if chrome and driver else None


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    found = _browser()
    if found is None:
        if os.environ.get("NEGSIM_REQUIRE_BROWSER"):
            pytest.fail("Chromium and chromedriver are required here (NEGSIM_REQUIRE_BROWSER)")
        pytest.skip("Chromium/chromedriver not installed: apt-get install chromium "
                    "chromium-driver (CI installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=420,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    yield driver
    driver.quit()


def test_report_opens_in_chromium_with_every_image_shown(browser, run_dir: Path,  # type: ignore[no-untyped-def]
                                                         tmp_path: Path) -> None:
    target, _ = _report(run_dir, tmp_path)
    browser.get(target.as_uri())
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, "
        "i.naturalHeight, i.getBoundingClientRect().width])")
    assert len(images) >= 3
    for complete, width, height, shown in images:
        assert complete and width > 100 and height > 100 and shown > 50
    assert browser.execute_script("return document.querySelectorAll('table').length") >= 4
    assert browser.execute_script("return document.scripts.length") == 0
    assert EVIL in browser.find_element("tag name", "h1").text  # shown as text, not run
    # Readable on a phone: nothing wider than the 420-pixel window but scrollable tables.
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert overflow


NUMBER_CELLS = """
return Array.from(document.querySelectorAll('td.n')).filter(td => td.textContent.trim())
  .map(td => { const r = document.createRange(); r.selectNodeContents(td);
    const style = getComputedStyle(td);
    const line = parseFloat(style.lineHeight) || 1.45 * parseFloat(style.fontSize);
    return [td.textContent, r.getBoundingClientRect().height, line]; })
"""
FIRST_PLOT_ABOVE_SCENARIO = """
const img = document.querySelector('img');
const h2 = Array.from(document.querySelectorAll('h2'))
  .find(h => /^The (baseline )?scenario/.test(h.textContent));
return img.getBoundingClientRect().top < h2.getBoundingClientRect().top;
"""


@pytest.fixture(scope="module")
def flagship_compare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compare report of the flagship and its variants: long p-values and labels."""
    base = tmp_path_factory.mktemp("cmpreport")
    names = ("kerry_moscow_2016", "no_carrot", "generous_carrot")
    result = CliRunner().invoke(main, ["compare", *(str(SCENARIOS / f"{n}.yaml") for n in names),
                                       "-n", "150", "--workers", "1", "--out",
                                       str(base / "cmp")])
    assert result.exit_code == 0, result.output
    target, _ = _report(base / "cmp", base)
    return target


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1280])
def test_no_number_cell_wraps_and_plots_come_first_at_phone_and_desktop_widths(
        browser, run_dir: Path, flagship_compare: Path, tmp_path: Path,  # type: ignore[no-untyped-def]
        width: int) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
    run_report, _ = _report(run_dir, tmp_path)
    for target in (run_report, flagship_compare):
        browser.get(target.as_uri())
        cells = browser.execute_script(NUMBER_CELLS)
        assert len(cells) > 20
        wrapped = [text for text, height, line in cells if height > 1.5 * line]
        assert not wrapped, f"number cells on more than one line at {width}px: {wrapped[:5]}"
        assert browser.execute_script(FIRST_PLOT_ABOVE_SCENARIO)
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.slow
def test_flagship_report_opens_in_chromium(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "flag"
    proc = subprocess.run([sys.executable, "-m", "sim", "run", str(FLAGSHIP), "-n", "300",
                           "--workers", "1", "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    target, _ = _report(out, tmp_path)
    browser.get(target.as_uri())
    shown = browser.execute_script(
        "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    assert shown
    assert browser.execute_script("return document.images.length") == 4


A4_PRINTABLE_PX = round((210 - 2 * 12) / 25.4 * 96)  # A4 less the report's 12 mm margins
WIDEST = """
const boxes = Array.from(document.querySelectorAll('table, img, pre'))
  .map(t => [t.tagName, Math.ceil(t.getBoundingClientRect().width)]);
return [boxes, document.documentElement.scrollWidth];
"""
CLIPPED_CELLS = """
return Array.from(document.querySelectorAll('td, th'))
  .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent);
"""


@pytest.fixture(scope="module")
def flagship_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sweep report of the flagship over two parameters: eight outcome columns and more."""
    base = tmp_path_factory.mktemp("sweepreport")
    result = CliRunner().invoke(main, ["sweep", str(FLAGSHIP), "--set",
                                       "actors.russia.leverage.assad=0.3,0.8", "--set",
                                       "deadline.credibility=0.1,0.5", "-n", "30",
                                       "--workers", "1", "--out", str(base / "sw")])
    assert result.exit_code == 0, result.output
    target, _ = _report(base / "sw", base)
    return target


@pytest.mark.slow
def test_sweep_and_compare_reports_fit_the_printable_width_of_an_a4_page(
        browser, flagship_sweep: Path, flagship_compare: Path) -> None:  # type: ignore[no-untyped-def]
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": A4_PRINTABLE_PX, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
    try:
        for target in (flagship_sweep, flagship_compare):
            browser.get(target.as_uri())
            assert browser.execute_script("return matchMedia('print').matches")
            boxes, page = browser.execute_script(WIDEST)
            assert len([b for b in boxes if b[0] == "TABLE"]) >= 3
            wide = [b for b in boxes if b[1] > A4_PRINTABLE_PX + 1]
            assert not wide, f"{target.name}: wider than A4's {A4_PRINTABLE_PX}px: {wide}"
            assert page <= A4_PRINTABLE_PX + 1
            assert browser.execute_script(CLIPPED_CELLS) == []
        text = browser.find_element("tag name", "body").text  # the sweep's outcome columns
        assert "p_truce_collapsed" in text or "truce_collapsed" in text
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


ARM_TABLES = """
const h2 = Array.from(document.querySelectorAll('h2'))
  .find(h => h.textContent.startsWith("Each scenario's outcome probabilities"));
const out = [];
for (let el = h2.nextElementSibling; el && el.tagName !== 'H2'; el = el.nextElementSibling) {
  for (const t of (el.tagName === 'TABLE' ? [el] : el.querySelectorAll('table'))) {
    out.push(Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.innerText.trim())));
  }
}
return out;
"""


def test_a_compare_report_shows_each_arms_probabilities_in_the_browser(
        browser, flagship_compare: Path) -> None:  # type: ignore[no-untyped-def]
    browser.get(flagship_compare.as_uri())
    tables = browser.execute_script(ARM_TABLES)
    assert tables, "no table under 'Each scenario's outcome probabilities'"
    shown: dict[tuple[str, str], str] = {}
    for rows in tables:  # blocks of columns, each repeating the outcome column
        header = rows[0]
        for row in rows[1:]:
            shown.update({(row[0], arm): cell for arm, cell in zip(header[1:], row[1:],
                                                                    strict=True)})
    data = json.loads((flagship_compare.parent / "cmp" / "compare.json").read_text())
    assert len(data["scenarios"]) == 3
    for arm in data["scenarios"]:
        for name, o in arm["outcomes"].items():
            want = f"{o['p']:.3f} [{o['ci'][0]:.3f}, {o['ci'][1]:.3f}]"
            got = shown[(name, arm["label"])].replace("\n", " ")
            assert re.sub(r"\s+", " ", got) == want, (name, arm["label"])


@pytest.mark.slow
def test_a_run_and_a_compare_stopped_by_precision_say_so(tmp_path: Path) -> None:
    import sim
    from sim.output import report

    poisson = SCENARIOS / "examples" / "truce_poisson.yaml"
    run = sim.run(poisson, runs=20_000, precision=0.03, out=tmp_path / "run", plots=False)
    cmp = sim.compare(poisson, [{"actors.side_a.violation_rate": 0.4}], runs=20_000,
                      precision=0.03, out=tmp_path / "cmp", plots=False)
    for folder, runs, what in ((run.folder, run.summary["runs"], "half-width"),
                               (cmp.folder, cmp.data["runs"],
                                "half-width of a paired difference")):
        assert folder is not None
        page = html.unescape(report.build(folder))
        assert f"precision: largest 95% {what} " in page
        assert f"after {runs} of at most 20000 replications, checked every 1000" in page
        assert f"-n {runs}" in re.sub(r"<[^>]+>", "", page)  # the command runs exactly these
    plain = sim.run(poisson, runs=50, out=tmp_path / "plain", plots=False)
    assert plain.folder is not None and "precision:" not in report.build(plain.folder)


@pytest.mark.slow
def test_representative_traces_are_replications_of_the_run_itself(tmp_path: Path) -> None:
    import sim
    from sim.output import report

    run = sim.run(FLAGSHIP, runs=200, out=tmp_path / "run", plots=False)
    assert run.folder is not None
    shown = [int(i) for i in re.findall(r"--replication (\d+)", report.build(run.folder))]
    assert shown and all(0 <= i < 200 for i in shown)
    outcomes = run.records.column("outcome").to_pylist()
    page = report.build(run.folder)
    for name, index in re.findall(r"<h3>(\w+) \(replication (\d+);", page):
        assert outcomes[int(index)] == name  # the trace is of a replication that ended so


def test_report_replays_no_replication_and_shows_the_stored_traces(
        run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.engine import world

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the report re-played a replication")

    monkeypatch.setattr(world.World, "__init__", refuse)  # every replication builds a World
    stored = json.loads((run_dir / "traces.json").read_text())
    _, page = _report(run_dir, tmp_path)
    for name, story in stored["outcomes"].items():
        assert f">{name} (replication {story['replication']};" in page
        assert html.escape(story["lines"][-1]) in page


def test_stored_traces_are_the_replications_a_search_of_the_run_finds(run_dir: Path) -> None:
    """The same choice as re-playing the run's replications would make (the search that
    ``negsim trace --outcome`` does over its first replications)."""
    from sim.engine import Plan, play
    from sim.operations.story import representative, story_lines
    from sim.scenario import loads

    stored = json.loads((run_dir / "traces.json").read_text())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    plan = Plan(loads(manifest["scenario_text"]), stored["seed"])
    assert stored["outcomes"]
    for name, story in stored["outcomes"].items():
        index = representative(plan, name, limit=manifest["runs"])
        assert story["replication"] == index
        assert story_lines(play(plan, index, tracing=True))[-1] == story["lines"][-1]
