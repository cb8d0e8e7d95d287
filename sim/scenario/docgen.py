"""Generate docs/scenario-reference.md from the scenario schema (``make docs``)."""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from sim import scenario as scn

MODELS: list[tuple[str, type[BaseModel]]] = [
    ("Scenario (top level)", scn.Scenario), ("actors.ID", scn.Actor),
    ("negotiation", scn.Negotiation), ("negotiation.parties.ID", scn.Party),
    ("negotiation.parties.ID.interactions[]", scn.Interaction),
    ("negotiation.constraints[]", scn.Constraint), ("negotiation.meetings", scn.Meetings),
    ("negotiation.meetings.scheduled[]", scn.Meeting),
    ("negotiation.ratifiers.ID", scn.Ratifier), ("negotiation.mediators.ID", scn.Mediator),
    ("deadline (or each of deadlines.NAME)", scn.Deadline), ("deadline.plan_b", scn.PlanB),
    ("deadline.plan_b.partners.ID", scn.Partner),
    ("{after, plus} (a timing reference)", scn.After), ("truce", scn.Truce),
    ("truce.breakdown", scn.Breakdown),
    ("truce.monitoring", scn.Monitoring), ("truce.exits", scn.Exits),
    ("truce.exits.parties.ID", scn.Exit), ("truce.degraded", scn.Degraded),
    ("truce.collapse", scn.Collapse),
    ("spoilers.ID", scn.Spoiler), ("aid", scn.Aid), ("effects.NAME", scn.Effect),
    ("effects.NAME.starts", scn.EffectStart), ("effects.NAME.requires", scn.Requires),
    ("shocks.NAME", scn.Shock),
]

HEADER = """# Scenario reference

Generated from the schema in `sim/scenario/model.py` by `make docs`; do not edit by hand (a test
fails when this file is stale). `negsim schema` prints the same schema as JSON Schema.

A **number** field also accepts a distribution, drawn once per replication:
`{uniform: [a, b]}`, `{normal: [mu, sd]}` (clipped to the field's range),
`{triangular: [lo, mode, hi]}`, `{choice: [v1, v2, ...]}`.
A **day** is an ISO date (`2016-08-01`) or a day offset from `start` (`20`).

## Timing references

A deadline's day, a shock's day and duration, a scheduled meeting's day and a party's
`horizon_days` may also be a distribution of the offset or a reference to another event of
the same replication plus an offset: `{after: EVENT, plus: DAYS}` (`plus` a number or a
distribution, default 0; the day is clipped at 0). The grammar:

    EVENT := shocks.NAME.start | shocks.NAME.end | deadlines.NAME.day | deadline.day

`shocks.NAME.start` is the day the shock is scheduled (whether or not its `probability` lets
it happen), `shocks.NAME.end` its start plus its duration (a shock without `duration_days` has
no end), `deadlines.NAME.day` a deadline's first day (`deadline.day` for the single block).
For a duration, the reference names the day it ends: the duration is max(0, that day - start).
References resolve once per replication, before anything happens, in dependency order; an
unknown event or a cycle (`shocks.a.start -> shocks.b.end -> shocks.a.start`) is refused
(exit 2, naming the file, line and the cycle). In-run events (the deal, a truce's start) cannot
be referenced: they are not known when a replication starts.
"""


def render() -> str:
    """The reference as Markdown."""
    parts = [HEADER]
    for where, model in MODELS:
        parts.append(f"\n## `{where}`\n\n{inspect.cleandoc(model.__doc__ or '')}\n")
        parts.append("| field | type | default | description |\n|---|---|---|---|")
        for name, f in model.model_fields.items():
            default = "required" if f.is_required() else _default(f.default, f.default_factory)
            parts.append(f"| `{name}` | {_type(f.annotation)} | {default} | "
                         f"{(f.description or '').replace('|', '/')} |")
    return "\n".join(parts) + "\n"


def _default(value: Any, factory: Any) -> str:
    if factory is not None:
        return f"`{factory()!r}`"
    return "—" if value is PydanticUndefined or value is None else f"`{value!r}`"


def _type(tp: Any) -> str:
    text = _name(tp)
    return text.replace("|", " or ")


def _timing(args: tuple[Any, ...]) -> str:
    """A day or duration that may be a reference: 'day or `{after, plus}`'."""
    rest = [_name(a) for a in args if a not in (scn.After, type(None))]
    kind = "day" if "date" in rest else "number"
    return kind + " or `{after, plus}`" + (" (optional)" if type(None) in args else "")


def _union(args: tuple[Any, ...]) -> str:
    if scn.After in args:
        return _timing(args)
    if scn.Uniform in args:
        return "number"
    names = [_name(a) for a in args if a is not type(None)]
    if set(names) == {"date", "number"} or names == ["date", "number"]:
        return "day"
    return " or ".join(dict.fromkeys(names)) + (" (optional)" if type(None) in args else "")


def _name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _name(args[0])
    if origin in (typing.Union, types.UnionType):
        return _union(args)
    if origin is dict:
        return f"mapping of {_name(args[0])} to {_name(args[1])}"
    if origin is list:
        return f"list of {_name(args[0])}"
    if origin is tuple:
        return "list"
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in args)
    if isinstance(tp, type):
        return {"float": "number", "str": "text", "int": "integer", "bool": "true/false",
                "date": "date"}.get(tp.__name__, f"`{tp.__name__}`")
    return str(tp)


if __name__ == "__main__":
    print(render(), end="")
