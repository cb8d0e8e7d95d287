"""Pydantic's validation errors translated into one message per problem, at its location
(union branches that do not apply to the value are dropped; unknown fields get a suggestion)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from sim.errors import Problem
from sim.scenario.checks import did_you_mean
from sim.scenario.model import Scenario
from sim.scenario.yamlload import Document, Loc


def validation_problems(doc: Document, exc: ValidationError) -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple[Loc, str]] = set()
    for loc, message in _explain(doc.data, exc.errors(include_url=False)):
        if (loc, message) not in seen:
            seen.add((loc, message))
            out.append(doc.problem(loc, message))
    return out


DIST_NAMES = ("uniform", "normal", "triangular", "choice")
NUMBER_OR_DIST = ("expected a number or a distribution ({uniform: [a, b]}, {normal: [mu, sd]}, "
                  "{triangular: [lo, mode, hi]}, {choice: [...]})")


def _explain(data: Any, errors: list[Any]) -> Iterator[tuple[Loc, str]]:
    """One message per problem: union branches that do not apply to the value are dropped."""
    groups: dict[Loc, list[tuple[Loc, list[str], Any]]] = {}
    for err in errors:
        loc, branches, at = _split(data, tuple(err["loc"]))
        if branches:
            groups.setdefault(at, []).append((loc, branches, err))
        else:
            yield loc, _message(loc, err)
    for at, items in groups.items():
        yield from _explain_union(_value_at(data, at), at, items)


def _split(data: Any, raw: tuple[Any, ...]) -> tuple[Loc, list[str], Loc]:
    """Separate real keys from pydantic's union branch names, walking the data itself."""
    node, at = data, ()
    loc: list[Any] = []
    branches: list[str] = []
    for part in raw:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif _is_branch_tag(part):
            if not branches:
                at = tuple(loc)
            branches.append(part)
            continue
        else:
            node = None
        loc.append(part)
    return tuple(loc), branches, at


def _explain_union(value: Any, at: Loc, items: list[Any]) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in DIST_NAMES:
        tag = next(iter(value)).capitalize()
        chosen = [i for i in items if _branch(i[1][0]) == tag] or items
    elif isinstance(value, dict) and "after" in value:
        chosen = [i for i in items if _branch(i[1][0]) == "After"]
    elif isinstance(value, int | float) and not isinstance(value, bool):
        chosen = [i for i in items if _branch(i[1][0]) in ("float", "int")]
    else:
        chosen = []
    if chosen:
        for loc, _, err in chosen:
            yield loc, _message(loc, err)
        return
    tags = {_branch(i[1][0]) for i in items}
    if "Uniform" in tags:
        also = ", or {after: EVENT, plus: DAYS}" if "After" in tags else ""
        yield at, NUMBER_OR_DIST + also + _dist_hint(value)
    elif "date" in tags:
        yield at, f"expected an ISO date or a day offset >= 0, got {value!r}"
    else:
        yield at, "; or ".join(dict.fromkeys(_message(i[0], i[2]) for i in items))


def _branch(tag: str) -> str:
    """The type a union branch stands for: 'Uniform', 'float', 'date', ..."""
    if match := re.search(r", (\w+)\]$", tag):
        return match[1]
    if "float" in tag:
        return "float"
    if "int" in tag and "constrained-str" not in tag:
        return "int"
    return tag


def _dist_hint(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        return did_you_mean(str(next(iter(value))), DIST_NAMES)
    return f", got {value!r}"


def _value_at(data: Any, loc: Loc) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _message(loc: Loc, err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden" and loc:
        fields = _fields_at(loc[:-1])
        return f"unknown field {loc[-1]!r}{did_you_mean(str(loc[-1]), fields)}" + (
            f"; expected one of: {', '.join(fields)}" if fields else "")
    if kind == "missing":
        return "required field is missing"
    return str(err["msg"]).removeprefix("Value error, ")


def _is_branch_tag(part: Any) -> bool:
    if not isinstance(part, str):
        return False
    return part in {"Uniform", "Normal", "Triangular", "Choice", "float", "int", "date", "str",
                    "bool"} or part.startswith(("function-", "constrained-", "literal[",
                                                "lax-", "strict-", "json-or-python"))


def _fields_at(loc: Loc) -> list[str]:
    """Field names of the model found at ``loc`` (empty when it is not a model)."""
    tp: Any = Scenario
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return []
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def _step(tp: Any, part: Any) -> Any:
    import typing

    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(part))
        return _unwrap(field.annotation) if field else None
    origin = typing.get_origin(tp)
    if origin in (dict, list):
        return _unwrap(typing.get_args(tp)[-1])
    return None


def _unwrap(tp: Any) -> Any:
    import types
    import typing

    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if len(models) == 1 else args[0]
        else:
            return tp




def field_paths(loc: Loc) -> list[str]:
    """Public helper: the valid field names at a dotted location (for did-you-mean)."""
    return _fields_at(loc)


