"""Fuzzing the scenario loader: whatever comes in, the answer is a Scenario or a ScenarioError.

Generated documents (random nested data, mutations of valid scenarios, random text and bytes,
random ``--set`` overrides) must never escape as any other exception: the CLI turns only
ScenarioError into a clean message, anything else is a traceback.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim import scenario as scn
from sim.errors import ScenarioError
from sim.scenario import Scenario, from_document, loads, yamlload
from sim.scenario.overrides import load_with
from sim.scenario.yamlload import Document, parse_text, read_file
from tests.conftest import POISSON
from tests.test_scenario_format import SHIPPED, TALKS

FUZZ = settings(max_examples=150, deadline=None)

# Names that steer random documents into the schema: every field name, every actor id and
# term of the bases, the distribution keys and a few special values.
FIELD_NAMES = sorted({name for obj in vars(scn).values()
                      if isinstance(obj, type) and issubclass(obj, BaseModel)
                      and obj.__module__ == scn.__name__ for name in obj.model_fields})
BASES: list[dict[str, Any]] = [yaml.safe_load(TALKS)] + [
    yaml.safe_load(p.read_text(encoding="utf-8")) for p in SHIPPED]
NAMES = sorted(set(FIELD_NAMES) | {"side_a", "us", "russia", "assad", "rebels", "intel",
                                   "restraint", "on_deal", "aid", "us.leverage.rebels",
                                   "assad.violation_rate", "aid.rate_per_day"})


def outcome(fn: Any, *args: Any) -> Any:
    """Call ``fn``; a ScenarioError is an answer (returned as None), anything else fails."""
    try:
        return fn(*args)
    except ScenarioError as exc:
        assert exc.problems
        assert all(p.message for p in exc.problems)
        assert str(exc)
        return None


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(min_value=0, max_value=1),
    st.text(max_size=20), st.sampled_from(NAMES),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
)
keys = st.one_of(st.sampled_from(NAMES), st.text(max_size=12))
values = st.recursive(
    scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(keys, kids, max_size=5)),
    max_leaves=25,
)
YAML_TOKENS = (list(":-[]{}&*!|>?'\"#%@`,.~ \t\n\r0123456789abcxyz<")
               + ["!!", "<<: ", "&a ", "*a", "---\n", "...\n", "\n  ", "name: x\n", "- ",
                  "!!python/object/apply:os.system ", "!!binary ", "\x00", "\ufeff", "\x85"])
yamlish = st.lists(st.sampled_from(YAML_TOKENS), max_size=60).map("".join)


def _locations(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key-or-index) in a document."""
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((node, k))
            _locations(v, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((node, i))
            _locations(v, out)
    return out


def _containers(node: Any) -> list[Any]:
    found = [node] if isinstance(node, dict | list) else []
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        found += _containers(child)
    return found


def mutate(doc: dict[str, Any], data: st.DataObject) -> None:
    """One random edit: delete, retype, replace with text, or insert a key / item."""
    action = data.draw(st.sampled_from(["delete", "retype", "text", "insert"]))
    if action == "insert":
        target = data.draw(st.sampled_from(_containers(doc)))
        if isinstance(target, dict):
            target[data.draw(keys)] = data.draw(values)
        else:
            target.insert(data.draw(st.integers(0, len(target))), data.draw(values))
        return
    locations = _locations(doc, [])
    if not locations:
        return
    container, key = data.draw(st.sampled_from(locations))
    if action == "delete":
        del container[key]
    elif action == "retype":
        container[key] = data.draw(values.filter(lambda v: type(v) is not type(container[key])))
    else:
        container[key] = data.draw(st.text(max_size=30))


def test_bases_of_the_mutations_are_valid() -> None:
    for base in BASES:
        assert isinstance(from_document(Document(base, "<base>", "")), Scenario)


@pytest.mark.slow
@FUZZ
@given(st.one_of(st.dictionaries(keys, values, max_size=8), values))
def test_random_document_loads_or_raises_scenario_error(data: Any) -> None:
    outcome(loads, yaml.safe_dump(data))
    outcome(from_document, Document(data, "<fuzz>", ""))


@pytest.mark.slow
@FUZZ
@given(st.data())
def test_mutated_scenario_loads_or_raises_scenario_error(data: st.DataObject) -> None:
    doc = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    for _ in range(data.draw(st.integers(1, 3))):
        mutate(doc, data)
    direct = outcome(from_document, Document(doc, "<fuzz>", ""))
    # Written by negsim's dumper, which quotes what its YAML 1.2 reading takes for a number
    # (PyYAML's writes the title "0E0" bare, which negsim then reads as the number 0.0).
    via_yaml = outcome(loads, yamlload.dump(doc, allow_unicode=True))
    assert direct == via_yaml


@FUZZ
@given(st.one_of(st.text(max_size=200), yamlish))
def test_random_text_loads_or_raises_scenario_error(text: str) -> None:
    outcome(loads, text)


@FUZZ
@given(st.data())
def test_valid_scenario_with_random_text_spliced_in_loads_or_raises(data: st.DataObject) -> None:
    text = TALKS
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 20))
    outcome(loads, text[:at] + data.draw(yamlish) + text[at + cut:])


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "scenario.yaml"


@FUZZ
@given(raw=st.one_of(
    st.binary(max_size=300),
    st.builds(lambda head, junk, tail: head + junk + tail,
              st.sampled_from([b"", POISSON.read_bytes()[:200], POISSON.read_bytes()]),
              st.binary(max_size=20), st.sampled_from([b"", POISSON.read_bytes()[200:]]))))
def test_random_bytes_read_or_raise_scenario_error(scratch: Path, raw: bytes) -> None:
    scratch.write_bytes(raw)
    doc = outcome(read_file, scratch)
    if doc is not None:
        outcome(from_document, doc)


@FUZZ
@given(st.lists(st.one_of(
    st.text(max_size=40),
    st.builds(lambda path, value: ".".join(path) + "=" + value,
              st.lists(st.one_of(st.sampled_from(NAMES), st.sampled_from(["0", "1", "7"])),
                       min_size=1, max_size=4),
              st.one_of(yamlish, st.sampled_from(["1", "-1", "0.5", "yes", "{uniform: [0, 1]}",
                                                  "[side_a]", "~", "''", "2020-01-05"])))),
    max_size=3))
def test_random_overrides_load_or_raise_scenario_error(assignments: list[str]) -> None:
    outcome(load_with, str(POISSON), assignments)


@FUZZ
@given(yamlish)
def test_parse_text_keeps_a_position_for_every_path(text: str) -> None:
    doc = outcome(parse_text, text, "<fuzz>")
    if doc is None:
        return
    assert () in doc.marks
    lines = len(text.splitlines()) + 1
    for line, col in doc.marks.values():
        assert 1 <= line <= lines
        assert col >= 1


@pytest.mark.parametrize("text", ["0E0", "1e3", "0o17", "0x1F", "010", "1_000", ".5", ".inf"])
def test_negsims_writer_quotes_what_its_reader_takes_for_a_number(text: str) -> None:
    """A string that YAML 1.2 reads as a number (negsim's reading) is quoted when negsim writes
    it, so it comes back a string; PyYAML's own writer left ``0E0`` bare (hypothesis found it
    as a scenario title, read back as the number 0.0)."""
    written = yamlload.dump({"title": text})
    assert parse_text(written, "<t>").data == {"title": text}
