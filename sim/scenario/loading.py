"""Reading a scenario: YAML with line numbers, validation, cross-checks; and writing it back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)

from sim.errors import ScenarioError
from sim.scenario.checks import cross_check
from sim.scenario.explain import validation_problems
from sim.scenario.model import FORMAT, Scenario
from sim.scenario.yamlload import Document, parse_text, read_file


def load(path: str | Path) -> Scenario:
    """Read, validate and cross-check a scenario file, or the shipped scenario of that name
    (``kerry_moscow_2016``) when no such file exists.

    Raises:
        ScenarioError: with every problem found, each with file, line and field.
    """
    from sim.scenario import shipped

    return from_document(read_file(shipped.resolve(str(path))))


def loads(text: str, source: str = "<string>") -> Scenario:
    """Validate a scenario given as YAML text."""
    return from_document(parse_text(text, source))


def from_document(doc: Document) -> Scenario:
    """Validate a parsed document.

    Raises:
        ScenarioError: the document is not a valid scenario.
    """
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        raise ScenarioError([doc.problem((), f"expected a mapping of scenario fields, got {kind}")])
    _check_format(doc)
    try:
        scenario = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(doc, exc)) from None
    problems = [doc.problem(loc, msg) for loc, msg in cross_check(scenario)]
    if problems:
        raise ScenarioError(problems)
    return scenario




PORTING = (
    "What changed in format 2: negotiation.protocol names the bargaining model, and the "
    "default is now 'alternating' (offers in turn; each party's cost of delay, "
    "discount_rate and/or delay_cost; private no-deal values; a deadline acts through the "
    "lottery c * plan B + (1 - c) * going on); a party's horizon_days is read only under "
    "protocol 'faratin', where it is required (format 1 defaulted it to the window). To port "
    "a format-1 file: add 'format: 2' as its first line after the schema comment; to keep "
    "its old reading add 'protocol: faratin' under negotiation and state every party's "
    "horizon_days (the old default was the scenario's horizon_days); to read it under the "
    "new default, state each party's discount_rate or delay_cost instead (docs/model.md, "
    "section 3).")


def _check_format(doc: Document) -> None:
    """A file must state the format it is written in; older ones are refused, never misread."""
    stated = doc.data.get("format")
    if stated is None:
        raise ScenarioError([doc.problem((), f"the file states no format version (expected "
                                             f"'format: {FORMAT}'). {PORTING}")])
    if isinstance(stated, str) and stated.strip() == str(FORMAT):
        raise ScenarioError([doc.problem(("format",), f"expected the number {FORMAT}, got the "
                                                      f"text {stated!r}: remove the quotes")])
    if stated != FORMAT or isinstance(stated, bool):
        raise ScenarioError([doc.problem(("format",), f"format {stated!r} is not format "
                                                      f"{FORMAT}, the one negsim reads. "
                                                      f"{PORTING}")])


def dumps(scenario: Scenario) -> str:
    """The scenario as YAML text that :func:`loads` reads back to an equal model."""
    import yaml

    data = scenario.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "negsim scenario"
    return schema


