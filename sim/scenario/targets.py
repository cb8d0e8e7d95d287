"""What an effect or a shock may change: the target paths, parsed into the engine's keys.

Every target is a dotted path naming one live parameter. A target is *multiplicative* (an
effect's factor ``max(0, 1 + per_unit * level * via)`` or a shock's ``factor`` multiplies it)
or *additive* (an effect adds ``per_unit * level * via``, a shock its ``shift``): a party's
status quo is in its own units and coverage is a share, so neither can be scaled from 0.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from sim.scenario.model import Scenario

# The valid forms, as an error message lists them.
FORMS = ("ACTOR.violation_rate", "ACTOR.attack_rate", "ACTOR.status_quo",
         "ACTOR.leverage.CLIENT", "aid.rate_per_day", "negotiation.meetings.rate_per_day",
         "truce.monitoring.detection.PARTY", "truce.alpha.PARTY.SOURCE", "truce.beta",
         "truce.covers.PARTY")
# Targets whose value may ramp in (ramp_days): rates read continuously, exactly by thinning.
RAMPED = ("violation_rate", "attack_rate", "rate_per_day", "rate")
ADDITIVE = ("status_quo", "covers")


@dataclass(frozen=True)
class Target:
    """A parsed target: the live parameter's key and whether it moves by a shift."""

    key: tuple[str, str]

    @property
    def additive(self) -> bool:
        """A party's status quo (own units) and truce coverage (a share) move by adding."""
        return self.key[1] in ADDITIVE

    @property
    def rampable(self) -> bool:
        return self.key[1] in RAMPED

    @property
    def text(self) -> str:
        return ".".join(self.key)


def parse(s: Scenario, path: str) -> Target:
    """The target ``path`` names in scenario ``s``.

    Raises:
        ValueError: the path is not one of :data:`FORMS`, or names an unknown actor, client,
            truce party or source; the message says which and lists the valid forms.
    """
    problem = next(_problems(s, path.split(".")), None)
    if problem is not None:
        raise ValueError(f"target {path!r}: {problem}; valid targets: {', '.join(FORMS)}")
    return Target(_key(path.split(".")))


def _key(parts: list[str]) -> tuple[str, str]:
    if parts[0] == "negotiation":
        return "meetings", "rate"
    if parts[0] == "truce":
        if parts[1] == "beta":
            return "truce", "beta"
        if parts[1] == "alpha":
            return parts[2], "alpha." + parts[3]
        return parts[-1], "detection" if parts[1] == "monitoring" else "covers"
    return parts[0], ".".join(parts[1:])


def _problems(s: Scenario, parts: list[str]) -> Iterator[str]:
    head = parts[0]
    if head == "aid":
        if parts != ["aid", "rate_per_day"]:
            yield "aid has one target, aid.rate_per_day"
        elif s.aid is None:
            yield "aid.rate_per_day needs an aid block"
    elif head == "negotiation":
        if parts != ["negotiation", "meetings", "rate_per_day"]:
            yield "the negotiation's one target is negotiation.meetings.rate_per_day"
        elif s.negotiation is None:
            yield "negotiation.meetings.rate_per_day needs a negotiation block"
    elif head == "truce":
        yield from _truce_problems(s, parts)
    else:
        yield from _actor_problems(s, parts)


def _truce_problems(s: Scenario, parts: list[str]) -> Iterator[str]:
    if s.truce is None:
        yield "a truce target needs a truce block"
        return
    names, rest = s.truce.parties, parts[1:]
    if rest == ["beta"]:
        return
    if rest[:1] == ["alpha"] and len(rest) == 3:
        yield from _member(rest[1], names, "truce party")
        yield from _member(rest[2], names, "truce party")
    elif rest[:2] == ["monitoring", "detection"] and len(rest) == 3:
        yield from _member(rest[2], names, "truce party")
    elif rest[:1] == ["covers"] and len(rest) == 2:
        yield from _member(rest[1], names, "truce party")
    else:
        yield f"unknown truce parameter {'.'.join(rest)!r}"


def _actor_problems(s: Scenario, parts: list[str]) -> Iterator[str]:
    who = parts[0]
    if who not in s.actors:
        yield f"unknown actor {who!r}{_near(who, [*s.actors, 'aid', 'truce', 'negotiation'])}"
        return
    rest = parts[1:]
    if rest in (["violation_rate"], ["attack_rate"]):
        return
    if rest == ["status_quo"]:
        table = list(s.negotiation.parties) if s.negotiation else []
        yield from _member(who, table, "party at the table (a status_quo target)")
    elif rest[:1] == ["leverage"] and len(rest) == 2:
        yield from _member(rest[1], list(s.actors[who].leverage), f"client of {who}'s leverage")
    else:
        known = ["violation_rate", "attack_rate", "status_quo", "leverage"]
        yield f"unknown parameter {'.'.join(rest)!r}{_near('.'.join(rest), known)}"


def _member(name: str, names: list[str], what: str) -> Iterator[str]:
    if name not in names:
        yield f"{name!r} is not a {what}{_near(name, names)} (known: {', '.join(names) or 'none'})"


def _near(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""
