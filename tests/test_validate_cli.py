"""``negsim validate`` and ``negsim schema``, in process (CliRunner) and as a real subprocess."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from sim.scenario import json_schema
from tests.conftest import POISSON, invoke, negsim
from tests.test_scenario_format import BAD, BAD_DIR, ROOT, SHIPPED, expected_report


def assert_no_traceback(*outputs: str) -> None:
    for out in outputs:
        assert "Traceback" not in out, out


# --- validate, in process -------------------------------------------------------------------


def test_validate_prints_ok_for_each_good_file_and_exits_0() -> None:
    paths = [str(p) for p in SHIPPED]
    result = invoke("validate", *paths)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"OK {p}" for p in paths]
    assert result.stderr == ""


@pytest.mark.parametrize("name", sorted(BAD))
def test_validate_refuses_bad_file_with_exit_2_and_file_line_path_message(name: str) -> None:
    path = BAD_DIR / name
    result = invoke("validate", str(path))
    assert_no_traceback(result.output)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert re.search(expected_report(path, name), result.stderr), result.stderr


def test_validate_mixed_good_and_bad_exits_2_and_still_says_ok_for_the_good() -> None:
    bad = BAD_DIR / "negative_rate.yaml"
    result = invoke("validate", str(POISSON), str(bad))
    assert result.exit_code == 2
    assert result.stdout == f"OK {POISSON}\n"
    assert re.search(expected_report(bad, "negative_rate.yaml"), result.stderr)


def test_validate_goes_on_after_a_bad_file() -> None:
    bad = BAD_DIR / "empty.yaml"
    result = invoke("validate", str(bad), str(POISSON))
    assert result.exit_code == 2
    assert f"OK {POISSON}" in result.stdout


def test_validate_reports_a_missing_file_and_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = invoke("validate", str(missing))
    assert_no_traceback(result.output)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{missing}: file not found"


def test_validate_refuses_a_file_over_one_megabyte(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(POISSON.read_text() + ("#" + "x" * 99 + "\n") * 10_500)
    assert big.stat().st_size > 1_000_000
    result = invoke("validate", str(big))
    assert_no_traceback(result.output)
    assert result.exit_code == 2
    assert re.match(rf"{re.escape(str(big))}: file is \d+ bytes; scenario files are limited to",
                    result.stderr)


def test_validate_refuses_an_alias_bomb_quickly() -> None:
    start = time.perf_counter()
    result = invoke("validate", str(BAD_DIR / "alias_bomb.yaml"))
    assert time.perf_counter() - start < 5
    assert result.exit_code == 2
    assert "expands to more than" in result.stderr


def test_validate_reports_every_problem_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(POISSON.read_text().replace("violation_rate: 0.5", "violation_rate: -1")
                    .replace("seed: 1", "sede: 1"))
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert any(line.startswith(f"{path}:17:5: actors.side_a.violation_rate: ") for line in lines)
    assert any(line.startswith(f"{path}:12:1: sede: unknown field") for line in lines)


def test_validate_reports_date_written_for_start_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "date_for_start.yaml"
    path.write_text(POISSON.read_text().replace("start: 2020-01-01", "date: 2020-01-01"))
    result = invoke("validate", str(path))
    assert_no_traceback(result.output)
    assert result.exit_code == 2, repr(result.exception)
    assert f"{path}:10:1: date: unknown field 'date'" in result.stderr
    assert "start: required field is missing" in result.stderr


def test_validate_without_files_is_a_usage_error() -> None:
    result = invoke("validate")
    assert result.exit_code == 2
    assert "Usage:" in result.output
    assert_no_traceback(result.output)


# --- validate, as a subprocess --------------------------------------------------------------


@pytest.mark.slow
def test_validate_subprocess_accepts_every_shipped_scenario() -> None:
    proc = negsim("validate", *map(str, SHIPPED))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"OK {p}" for p in SHIPPED]
    assert proc.stderr == ""


@pytest.mark.slow
def test_validate_subprocess_refuses_the_whole_bad_corpus_without_traceback() -> None:
    paths = [BAD_DIR / name for name in sorted(BAD)]
    proc = negsim("validate", *map(str, paths))
    assert_no_traceback(proc.stdout, proc.stderr)
    assert proc.returncode == 2
    assert proc.stdout == ""
    missing = [p.name for p in paths if not re.search(expected_report(p, p.name), proc.stderr)]
    assert missing == [], proc.stderr


def test_validate_subprocess_mixed_good_and_bad_exits_2_with_ok_for_the_good() -> None:
    bad = BAD_DIR / "unknown_truce_party.yaml"
    proc = negsim("validate", str(bad), str(POISSON))
    assert proc.returncode == 2
    assert proc.stdout == f"OK {POISSON}\n"
    assert f"{bad}:14:13: truce.parties[0]: unknown actor 'sid_a'; did you mean 'side_a'?" \
        in proc.stderr


def test_validate_subprocess_refuses_a_missing_file(tmp_path: Path) -> None:
    proc = negsim("validate", str(tmp_path / "nope.yaml"))
    assert_no_traceback(proc.stderr)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"{tmp_path / 'nope.yaml'}: file not found"


@pytest.mark.slow
def test_validate_subprocess_alias_bomb_does_not_hang() -> None:
    proc = negsim("validate", str(BAD_DIR / "alias_bomb.yaml"), timeout=20)
    assert proc.returncode == 2


@pytest.mark.slow
def test_validate_subprocess_refuses_deep_nesting_without_traceback(tmp_path: Path) -> None:
    # 3000 nested lists: 6 kB of brackets blow Python's recursion limit in PyYAML's composer.
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: deep\nactors: " + "[" * 3000 + "]" * 3000 + "\n")
    proc = negsim("validate", str(deep))
    assert_no_traceback(proc.stderr)
    assert proc.returncode == 2
    assert proc.stderr.startswith(str(deep))


# --- schema ---------------------------------------------------------------------------------


def _walk_fields(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every (name, field schema) in the top-level properties and in each $defs model."""
    fields = [(name, sub) for name, sub in schema["properties"].items()]
    for model, sub in schema.get("$defs", {}).items():
        fields += [(f"{model}.{name}", f) for name, f in sub.get("properties", {}).items()]
    return fields


def test_schema_prints_json_schema_with_the_main_blocks() -> None:
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"actors", "negotiation", "truce", "deadline", "effects"} <= set(schema["properties"])
    assert {"name", "title", "start", "horizon_days", "actors"} <= set(schema["required"])


def test_schema_describes_every_field_and_every_model() -> None:
    schema = json.loads(invoke("schema").stdout)
    fields = _walk_fields(schema)
    assert len(fields) > 50
    assert [name for name, f in fields if not f.get("description", "").strip()] == []
    assert [m for m, d in schema["$defs"].items() if not d.get("description", "").strip()] == []


@pytest.mark.slow
def test_schema_subprocess_matches_json_schema() -> None:
    proc = negsim("schema")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == json_schema()


def test_committed_schema_file_is_up_to_date() -> None:
    committed = json.loads((ROOT / "schema" / "scenario.schema.json").read_text())
    assert committed == json_schema(), \
        "regenerate with: negsim schema > schema/scenario.schema.json"


def test_schema_forbids_unknown_fields_in_every_model() -> None:
    schema = json_schema()
    assert schema.get("additionalProperties") is False
    open_models = [m for m, d in schema["$defs"].items()
                   if d.get("additionalProperties") is not False]
    assert open_models == []
