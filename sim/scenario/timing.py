"""Timing references: days tied to other events of the same replication.

A day or a duration may be ``{after: EVENT, plus: DAYS}``. The events are those fixed at the
start of a replication: ``shocks.NAME.start``, ``shocks.NAME.end`` and ``deadlines.NAME.day``
(``deadline.day`` for the single deadline block). Each event depends on the references in its
own timing; they resolve in dependency order, and a cycle or an unknown name is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sim.scenario.model import After, Scenario
from sim.scenario.yamlload import Loc


def events(s: Scenario) -> dict[str, tuple[Loc, list[str]]]:
    """Every event a reference may name, with where its timing is stated and the events that
    timing refers to."""
    out: dict[str, tuple[Loc, list[str]]] = {}
    for name, sh in s.shocks.items():
        start = f"shocks.{name}.start"
        out[start] = (("shocks", name, "day"), _refs(sh.day))
        if sh.duration_days is not None:
            out[f"shocks.{name}.end"] = (("shocks", name, "duration_days"),
                                         [start, *_refs(sh.duration_days)])
    for name, d in s.threats().items():
        path = s.threat_path(name)
        out[f"{path}.day"] = ((*path.split("."), "day"), _refs(d.day))
    return out


def _refs(value: Any) -> list[str]:
    return [value.after] if isinstance(value, After) else []


def references(s: Scenario) -> Iterator[tuple[Loc, str]]:
    """Every reference a scenario states: (location of the field, the event named)."""
    fields: list[tuple[Loc, Any]] = []
    for name, sh in s.shocks.items():
        fields += [(("shocks", name, "day"), sh.day),
                   (("shocks", name, "duration_days"), sh.duration_days)]
    for name, d in s.threats().items():
        fields.append(((*s.threat_path(name).split("."), "day"), d.day))
    for name, p in (s.negotiation.parties.items() if s.negotiation else ()):
        fields.append((("negotiation", "parties", name, "horizon_days"), p.horizon_days))
    for i, m in enumerate(s.negotiation.meetings.scheduled if s.negotiation else ()):
        fields.append((("negotiation", "meetings", "scheduled", i, "day"), m.day))
    for loc, value in fields:
        for ref in _refs(value):
            yield loc, ref


def cycle(s: Scenario) -> list[str] | None:
    """The first cycle among the events' references (the path, back to its start), if any."""
    known = events(s)
    graph = {e: [r for r in refs if r in known] for e, (_, refs) in known.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in graph:
        found = _visit(graph, start, state, [])
        if found:
            return found
    return None


def _visit(graph: dict[str, list[str]], node: str, state: dict[str, int],
           path: list[str]) -> list[str] | None:
    if state.get(node) == 2:
        return None
    if state.get(node) == 1:
        return [*path[path.index(node):], node]
    state[node] = 1
    path.append(node)
    for nxt in graph[node]:
        found = _visit(graph, nxt, state, path)
        if found:
            return found
    path.pop()
    state[node] = 2
    return None
