"""The scenarios and the schema ship inside the package: a real wheel holds them, and an
installed negsim lists, runs and copies them from any folder; manifests say where a run ran."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sim import store
from sim.scenario import shipped
from tests.conftest import ROOT, SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.yaml")) + sorted(SCENARIOS.glob("examples/*.yaml"))


def negsim(*args: str, cwd: Path, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=120)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """negsim built as a wheel (about 5 s) and unpacked: an installation without the checkout."""
    out = tmp_path_factory.mktemp("wheel")
    src = out / "src"  # a clean copy: the build writes build/ and *.egg-info where it runs
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("sim", "scenarios", "schema"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(out), str(src)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (built,) = out.glob("negsim-*.whl")
    site = out / "site"
    zipfile.ZipFile(built).extractall(site)
    return site


@pytest.mark.slow
def test_the_wheel_holds_every_module_scenario_and_the_schema_once(wheel: Path) -> None:
    for path in SHIPPED:
        copy = wheel / "sim" / "scenarios" / path.relative_to(SCENARIOS)
        assert copy.read_bytes() == path.read_bytes()
    assert (wheel / "sim" / "schema" / "scenario.schema.json").read_bytes() == \
        (ROOT / "schema" / "scenario.schema.json").read_bytes()
    modules = {p.relative_to(ROOT) for p in (ROOT / "sim").rglob("*.py")}
    assert modules == {p.relative_to(wheel) for p in (wheel / "sim").rglob("*.py")}


@pytest.mark.slow
def test_an_installed_negsim_lists_runs_and_copies_shipped_scenarios_anywhere(
        wheel: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(wheel)}  # ahead of the editable checkout on sys.path
    listing = negsim("run", cwd=tmp_path, env=env)
    assert listing.returncode == 0, listing.stderr
    assert "kerry_moscow_2016" in listing.stdout and "examples/truce_poisson" in listing.stdout
    assert len(listing.stdout.splitlines()) == len(SHIPPED)
    ran = negsim("run", "truce_poisson", "-n", "50", "--no-plots", "--json", "--out",
                 str(tmp_path / "run"), cwd=tmp_path, env=env)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["folder"] == str(tmp_path / "run")
    made = negsim("init", "my_talks", cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    first = (tmp_path / "my_talks.yaml").read_text().splitlines()[0]
    assert first == shipped.SCHEMA_LINE + (wheel / "sim/schema/scenario.schema.json").as_uri()
    assert negsim("validate", "my_talks.yaml", cwd=tmp_path, env=env).returncode == 0


@pytest.mark.slow
def test_init_writes_a_valid_renamed_scenario_pointing_at_the_schema(tmp_path: Path) -> None:
    proc = negsim("init", "my_strike", "--from", "examples/labour_strike", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "my_strike.yaml").read_text()
    schema = Path(text.splitlines()[0].removeprefix(shipped.SCHEMA_LINE).removeprefix("file://"))
    assert schema == ROOT / "schema" / "scenario.schema.json"
    assert "\nname: my_strike\n" in text
    assert negsim("validate", "my_strike.yaml", cwd=tmp_path).returncode == 0


@pytest.mark.slow
def test_init_never_overwrites_a_file(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("keep me")
    proc = negsim("init", "mine", cwd=tmp_path)
    assert proc.returncode == 2
    assert "exists already" in proc.stderr
    assert (tmp_path / "mine.yaml").read_text() == "keep me"


def test_init_refuses_a_bad_name_and_an_unknown_start(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="must be lower case"):
        shipped.init("My Talks", where=tmp_path)
    with pytest.raises(Exception, match="is not a shipped scenario"):
        shipped.init("talks", "nope", where=tmp_path)


def test_shipped_names_resolve_with_or_without_examples_and_yaml() -> None:
    assert shipped.find("kerry_moscow_2016") == SCENARIOS / "kerry_moscow_2016.yaml"
    assert shipped.find("truce_poisson.yaml") == SCENARIOS / "examples" / "truce_poisson.yaml"
    assert shipped.find("nope") is None


def test_the_manifest_records_the_system_the_commit_and_every_requirement() -> None:
    m = store.manifest("name: x\n", seed=1, runs=2, extra={})
    assert {"os", "platform", "python", "machine"} <= set(m["platform"])
    assert {"numpy", "scipy", "simpy", "pydantic", "click", "pyyaml", "rich", "matplotlib",
            "pyarrow", "ema-workbench"} <= set(m["versions"])
    assert "not installed" not in {m["versions"][k] for k in ("pyyaml", "rich")}
    if (ROOT / ".git").exists():
        assert len(m["git"]["commit"]) == 40
