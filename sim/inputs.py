"""What the Python API accepts as a scenario and as overrides, turned into one validated model.

A scenario may be a path to a YAML file, the name of a shipped scenario (``kerry_moscow_2016``),
YAML text, or a :class:`Scenario` (however it was
built or edited: it is dumped and validated again, so an edited model that breaks a rule is
refused exactly as the file would be). Overrides are a mapping ``{dotted.path: value}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError, UsageError
from sim.overrides import load_document
from sim.scenario import Scenario, dumps
from sim.yamlload import Document, flow, parse_text, read_file

ScenarioLike = str | Path | Scenario
Overrides = Mapping[str, Any] | Sequence[str] | None


def resolve(scenario: ScenarioLike, overrides: Overrides = None) -> tuple[Scenario, str, str]:
    """The validated scenario, its effective YAML text and a label of where it came from.

    Raises:
        ScenarioError: the scenario or an override is not valid (file, line and field).
        UsageError: ``overrides`` is not a mapping or a list of ``PATH=VALUE`` strings.
    """
    doc = document(scenario)
    model, text = load_document(doc, assignments(overrides))
    return model, text, doc.source


def defaults(model: Scenario, runs: int | None, seed: int | None) -> tuple[int, int]:
    """Replications and seed: the ones given, else the scenario's (the one place where a
    command's defaults are decided)."""
    return (runs or model.runs), (model.seed if seed is None else seed)


def document(scenario: ScenarioLike) -> Document:
    """Parse a path, YAML text or Scenario into a document (nothing validated yet)."""
    if isinstance(scenario, Scenario):
        return parse_text(dumps(scenario), f"<Scenario {scenario.name}>")
    if isinstance(scenario, str) and ("\n" in scenario or scenario.lstrip().startswith("name:")):
        return parse_text(scenario, "<text>")
    if isinstance(scenario, str | Path):
        from sim import shipped

        return read_file(shipped.resolve(str(scenario)))  # a file, else a shipped name
    raise UsageError(f"scenario: expected a path, YAML text or a Scenario, got "
                     f"{type(scenario).__name__}")


def assignments(overrides: Overrides) -> list[str]:
    """``PATH=VALUE`` strings for a mapping (values as YAML flow text) or a list of them."""
    if overrides is None:
        return []
    if isinstance(overrides, str):
        raise UsageError("overrides: expected a mapping such as {'deadline.credibility': 0.5}, "
                         f"got the string {overrides!r}")
    if isinstance(overrides, Mapping):
        return [f"{path}={flow(value)}" for path, value in overrides.items()]
    if all(isinstance(a, str) and "=" in a for a in overrides):
        return list(overrides)
    raise UsageError("overrides: expected a mapping {PATH: VALUE} or a list of 'PATH=VALUE'")



__all__ = ["resolve", "defaults", "document", "assignments", "ScenarioLike", "Overrides",
           "ScenarioError"]
