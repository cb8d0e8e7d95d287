"""``--set dotted.path=value``: change a scenario parameter without editing the file."""

from __future__ import annotations

import copy
import re
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario import Scenario, did_you_mean, field_paths, from_document
from sim.scenario.yamlload import Document, Loc, dotted, dump, parse_value, read_file

VIA = "overrides"
"""How an assignment was given, as an argument token of sim.errors.ARGUMENTS: ``overrides``
(``--set``), ``vs`` (compare's variants, ``--vs``) or ``set`` (a sweep's specs)."""


def parse_assignment(text: str, via: str = VIA) -> tuple[list[str], Any]:
    """Split ``a.b.c=VALUE`` into a path and a YAML-parsed value.

    Raises:
        ScenarioError: no ``=``, an empty path, or a value that is not YAML (or nested too
            deeply, as in a file).
    """
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise _bad(text, "expected PATH=VALUE, e.g. actors.russia.leverage.assad=0.9", via)
    parts = path.strip().split(".")
    if any(not p for p in parts):
        raise _bad(text, f"path {path!r} has an empty part", via)
    try:
        return parts, parse_value(raw, f"<<{via}>> {text}")
    except ScenarioError as exc:
        message = exc.problems[0].message
        if message.startswith("invalid YAML: "):
            message = f"value {raw[:40]!r} is not valid YAML: {message[len('invalid YAML: '):]}"
        raise _bad(text, message, via) from None


def apply(doc: Document, assignments: list[str], via: str = VIA) -> Document:
    """A copy of ``doc`` with each ``PATH=VALUE`` applied (positions of edited values kept).

    Raises:
        ScenarioError: a path that does not exist in the scenario, with its valid neighbours.
    """
    data = copy.copy(doc.data)
    fresh = {id(data)}  # containers copied for this document (the rest is shared, unedited)
    edits = dict(doc.edits)
    for text in assignments:
        parts, value = parse_assignment(text, via)
        _assign(data, parts, value, text, via, fresh)
        edits[tuple(parts)] = f"<<{via}>> {text if len(text) <= 80 else text[:77] + '...'}"
    return Document(data=data, source=doc.source, text=doc.text, marks=doc.marks, edits=edits)


def _assign(data: Any, parts: list[str], value: Any, text: str, via: str,
            fresh: set[int]) -> None:
    """Set ``parts`` to ``value``, copying each container on the way that is not yet this
    document's own (copy on write: 100,000 sweep points share their base's untouched
    blocks instead of each copying the whole scenario)."""
    node = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        loc: Loc = tuple(parts[:depth])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise _bad(text, f"{dotted(loc) or 'scenario'} is a list of {len(node)}; "
                           f"{part!r} is not an index in it", via)
            key: Any = int(part)
        elif isinstance(node, dict):
            key = part
            if part not in node:
                if part not in field_paths(loc) and not _known_name(data, loc, part):
                    raise _bad(text, _unknown(node, loc, part), via)
                if not last:
                    node[part] = {}  # a block or entry the file leaves out
        else:
            raise _bad(text, f"{dotted(loc)} is a value, not a block; cannot set {part!r} in it",
                       via)
        if last:
            node[key] = value
        else:
            node = _own(node, key, fresh)


def _own(node: Any, key: Any, fresh: set[int]) -> Any:
    child = node[key]
    if id(child) not in fresh and isinstance(child, dict | list):
        child = node[key] = copy.copy(child)
        fresh.add(id(child))
    return child


def _known_name(data: Any, loc: Loc, part: str) -> bool:
    """Whether ``part`` may start a new entry of a mapping keyed by actors or terms.

    ``--set truce.alpha.rebels.assad=0.2`` may add a row the file leaves out, but only for
    an actor (or a term) the scenario defines; anything else is a typo to report.
    """
    if not loc or field_paths(loc) or loc == ("actors",):
        return False
    actors = data.get("actors", {}) if isinstance(data, dict) else {}
    terms = (data.get("negotiation") or {}).get("terms", {}) if isinstance(data, dict) else {}
    return part in actors or part in terms


def _unknown(node: dict[str, Any], loc: Loc, part: str) -> str:
    choices = sorted(set(node) | set(field_paths(loc)))
    where = dotted(loc) or "the scenario"
    return (f"{part!r} is not in {where}{did_you_mean(part, choices)}; "
            f"valid here: {', '.join(choices) or '(nothing)'}")


def _bad(text: str, message: str, via: str) -> ScenarioError:
    return ScenarioError([Problem(f"<<{via}>> {text}", None, None, text.partition("=")[0],
                                  message)])


def load_with(path: str, assignments: list[str] | tuple[str, ...] = ()) -> tuple[Scenario, str]:
    """Load a scenario file with overrides; also return the effective YAML text.

    Raises:
        ScenarioError: the file or an override is not valid.
    """
    return load_document(read_file(path), assignments)


def load_document(doc: Document, assignments: list[str] | tuple[str, ...] = (),
                  via: str = VIA) -> tuple[Scenario, str]:
    """Validate a parsed document with overrides; also return the effective YAML text.

    Raises:
        ScenarioError: the document or an override is not valid.
    """
    if not assignments:
        return from_document(doc), doc.text
    edited = apply(doc, list(assignments), via)
    try:
        scenario = from_document(edited)
    except ScenarioError as exc:
        raise ScenarioError([_blame(p, assignments, via) for p in exc.problems]) from None
    header = "".join(f"# --set {a}\n" for a in assignments)
    return scenario, header + dump(edited.data, sort_keys=False)


def _blame(problem: Problem, assignments: list[str] | tuple[str, ...], via: str) -> Problem:
    """Point a validation problem at the override that caused it, where one did."""
    where = re.sub(r"\[(\d+)\]", r".\1", problem.path)
    for a in assignments:
        path = a.partition("=")[0].strip()
        if where == path or where.startswith(path + "."):
            return Problem(f"<<{via}>> {a}", None, None, problem.path, problem.message)
    return problem
