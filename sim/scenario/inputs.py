"""What the Python API accepts as a scenario and as overrides, turned into one validated model.

A scenario may be a path to a YAML file, the name of a shipped scenario (``kerry_moscow_2016``),
YAML text, or a :class:`Scenario` (however it was
built or edited: it is dumped and validated again, so an edited model that breaks a rule is
refused exactly as the file would be). Overrides are a mapping ``{dotted.path: value}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import ScenarioError, UsageError
from sim.scenario import Scenario, dumps
from sim.scenario.overrides import load_document
from sim.scenario.yamlload import Document, flow, parse_text, plain, read_file

ScenarioLike = str | Path | Scenario
Overrides = Mapping[str, Any] | Sequence[str] | None


def resolve(scenario: ScenarioLike, overrides: Overrides = None, via: str = "overrides"
            ) -> tuple[Scenario, str, str]:
    """The validated scenario, its effective YAML text and a label of where it came from.

    ``via`` names the argument the overrides came in (``overrides``, or ``vs`` for compare's
    variants), so that a bad one is blamed on it.

    Raises:
        ScenarioError: the scenario or an override is not valid (file, line and field).
        UsageError: ``overrides`` is not a mapping or a list of ``PATH=VALUE`` strings.
    """
    given = assignments(overrides, via)
    key = scenario.model_dump_json() if isinstance(scenario, Scenario) and not given else None
    if key is not None and key == _LAST[0]:
        return _LAST[1]
    doc = document(scenario)
    model, text = load_document(doc, given, via)
    if key is not None:
        _LAST[:] = [key, (model, text, doc.source)]
        return _LAST[1]  # type: ignore[no-any-return]
    return model, text, doc.source


# The last Scenario resolved without overrides, by its content (JSON, 0.1 ms for the
# flagship), and what it gave: running the same model again (a notebook's cells, compare's
# arms, a benchmark's rounds) skips its YAML dump and its validation again (50 ms for the
# flagship). Content, not identity: a nested dict edited in place is a new scenario.
_LAST: list[Any] = [None, None]


def defaults(model: Scenario, runs: int | None, seed: int | None,
             least_runs: int = 1) -> tuple[int, int]:
    """Replications and seed: the ones given, else the scenario's (the one place where a
    command's defaults are decided).

    Raises:
        UsageError: ``runs`` below ``least_runs`` or ``seed`` below 0, or not whole numbers.
    """
    n = model.runs if runs is None else count("runs", runs, least_runs)
    return n, model.seed if seed is None else count("seed", seed, 0)


def count(name: str, value: Any, least: int) -> int:
    """``value`` as a whole number of at least ``least``.

    Raises:
        UsageError: anything else, naming the argument ``name``.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise UsageError(f"<<{name}>> {value!r}: expected a whole number of at least {least}")
    return int(value)


def finite(value: Any) -> bool:
    """Whether ``value`` is a finite real number (not a bool, not NaN or infinite)."""
    return (isinstance(value, int | float | np.integer | np.floating)
            and not isinstance(value, bool) and math.isfinite(value))


def number(name: str, value: Any, low: float, high: float, expected: str,
           low_open: bool = False) -> float:
    """``value`` as a finite number in [low, high] (or (low, high] when ``low_open``).

    Raises:
        UsageError: anything else, naming the argument ``name`` and saying what was
            ``expected``.
    """
    if not finite(value) or not low <= value <= high or (low_open and value == low):
        raise UsageError(f"<<{name}>> {value!r}: expected {expected}")
    return float(value)


def document(scenario: ScenarioLike) -> Document:
    """Parse a path, YAML text or Scenario into a document (nothing validated yet)."""
    if isinstance(scenario, Scenario):
        return parse_text(dumps(scenario), f"<Scenario {scenario.name}>")
    if isinstance(scenario, str) and ("\n" in scenario or scenario.lstrip().startswith("name:")):
        return parse_text(scenario, "<text>")
    if isinstance(scenario, str | Path):
        from sim.scenario import shipped

        return read_file(shipped.resolve(str(scenario)))  # a file, else a shipped name
    raise UsageError(f"scenario: expected a path, YAML text or a Scenario, got "
                     f"{type(scenario).__name__}")


def assignments(overrides: Overrides, via: str = "overrides") -> list[str]:
    """``PATH=VALUE`` strings for a mapping (values as YAML flow text) or a list of them.

    Raises:
        UsageError: anything else (a bare string, say), blamed on the argument ``via``.
    """
    if overrides is None:
        return []
    overrides = as_mapping(overrides)
    if isinstance(overrides, str):
        raise UsageError(f"<<{via}>>: expected a mapping such as "
                         f"{{'deadline.credibility': 0.5}}, got the string {overrides!r}")
    if isinstance(overrides, Mapping):
        return [f"{path}={flow(value)}" for path, value in overrides.items()]
    if not isinstance(overrides, Sequence):
        overrides = plain(overrides)  # a numpy array of strings
    if isinstance(overrides, Sequence) and all(isinstance(a, str) for a in overrides):
        return list(overrides)  # each checked where it is applied (expected PATH=VALUE)
    raise UsageError(f"<<{via}>>: expected a mapping {{PATH: VALUE}} or a list of "
                     f"'PATH=VALUE' strings, got {overrides!r:.80}")



def as_mapping(value: Any) -> Any:
    """A pandas Series (a row of a design, say) as the ``{path: value}`` dict it stands for;
    anything else as it is."""
    if isinstance(value, Mapping | str) or not hasattr(value, "to_dict"):
        return value
    if hasattr(value, "columns"):  # a DataFrame is many variants, not one mapping
        return value
    converted = value.to_dict()
    return converted if isinstance(converted, dict) else value


def rows(value: Any) -> Any:
    """A pandas DataFrame as a list of its rows' ``{column: value}`` dicts (each row one
    variant or point); anything else as it is."""
    if hasattr(value, "columns") and hasattr(value, "to_dict"):
        return list(value.to_dict("records"))
    return value


__all__ = ["resolve", "as_mapping", "rows", "defaults", "count", "finite", "number", "document",
           "assignments",
           "ScenarioLike", "Overrides", "ScenarioError"]
