"""Bargaining protocols: what a proposer offers and whether a responder accepts.

The talks (``sim.engine.negotiation.Talks``) are shared by every protocol: meetings and their
rounds, the proposing order, the deadline and its renewals, breakdowns, the record and the
story. In each round the talks ask the protocol two things: ``propose(i)`` (an offer index into
the plan's offer table, or None to pass) and ``respond(i, offer)`` (whether every other party
accepts). A protocol reads the replication's numbers from ``talks.world.params`` (parties in
their own units, the utility tables) and the talks' state (``talks.credibility`` and
``talks.deadline`` of the first deadline, ``talks.live(now)`` for every live deadline,
``talks.shift``, the current round's position and audience costs).

To add a protocol, write one module with a subclass of ``Protocol`` and register it::

    from sim.engine.protocols import Protocol, register

    @register("mine")
    class Mine(Protocol):
        def propose(self, i): ...
        def respond(self, i, offer): ...

then name it in a scenario (``negotiation.protocol: mine``). The shipped protocols are
imported at the end of this file (one line each). A protocol that derives tables from each
replication's numbers may also override the class method ``prepare``, which the runner calls
with the parameters of a whole chunk before it is played, to compute them for all of it at
once into ``Params.derived``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from sim.engine.negotiation import Talks
    from sim.engine.plan import Params, Plan

__all__ = ["Protocol", "REGISTRY", "register", "make", "prepare", "others"]


def others(n: int) -> list[np.ndarray]:
    """For each of ``n`` parties, the positions of the other parties, in order."""
    return [np.array([j for j in range(n) if j != i]) for i in range(n)]


class Protocol:
    """The interface every bargaining protocol implements (see the module docstring)."""

    #: Whether the talks should call a last meeting before a live deadline when
    #: ``wants_last_meeting`` says so (docs/model.md, section 4).
    calls_last_meeting: ClassVar[bool] = False

    def __init__(self, talks: Talks):
        self.talks = talks

    @classmethod
    def prepare(cls, plan: Plan, params: list[Params]) -> None:
        """Set up what the protocol derives from each replication's parameters for a chunk
        of replications together, into ``Params.derived`` (``sim.engine.prepare``); the
        protocol of one replication then takes it from there instead of computing it. The
        same values either way; nothing by default."""

    def threat(self, credibility: float, deadline: float) -> None:
        """A deadline's threat changed (set, lapsed, renewed; ``deadline`` NaN when spent);
        ``talks.live(now)`` lists every live deadline."""

    def moved(self) -> None:
        """A party's no-deal value moved (a shock, a breakdown)."""

    def no_deal_values(self) -> list[float]:
        """Each party's current no-deal value, in its own units (for the story)."""
        raise NotImplementedError

    def breakdown_values(self) -> list[float]:
        """What each party expects, in its own units, were the deal in force to break now:
        what a deal is worth above, for the truce's stakes and exits. Its no-deal value
        unless the protocol weighs the live deadlines' threats in it."""
        return self.no_deal_values()

    def status(self) -> str:
        """One line for the story at a meeting's start."""
        return ""

    def begin(self, label: str) -> None:
        """A round starts (``label`` is the meeting's, or empty for an instantaneous one)."""

    def propose(self, i: int) -> int | None:
        """Party i's offer (an index into the plan's offer table), or None to pass."""
        raise NotImplementedError

    def respond(self, i: int, offer: int) -> bool:
        """Whether every party but i accepts ``offer``."""
        raise NotImplementedError

    def answers(self, i: int | None, offer: int) -> list[bool]:
        """Every party's vote on ``offer`` (proposer i votes yes; None: a mediator's text).
        Needed for ratifiers, mediators and decision rules (docs/model.md, section 3.4)."""
        raise NotImplementedError

    def mediate(self, name: str) -> int | None:
        """Mediator ``name``'s single text, or None when it has none to put."""
        raise NotImplementedError

    def learned(self) -> None:
        """A ratifier's vote changed what the negotiators know of it: the ratification table
        ``talks.ratification.table`` is new (docs/model.md, section 3.4)."""

    def wants_last_meeting(self, deadline: float) -> bool:
        """Whether some offer beats every party's value of not agreeing by ``deadline``."""
        return False


REGISTRY: dict[str, type[Protocol]] = {}


def register(name: str) -> Callable[[type[Protocol]], type[Protocol]]:
    """Register a protocol class under ``name`` (a class decorator)."""

    def add(cls: type[Protocol]) -> type[Protocol]:
        REGISTRY[name] = cls
        return cls

    return add


def prepare(name: str, plan: Plan, params: list[Params]) -> None:
    """:meth:`Protocol.prepare` of the protocol ``name``."""
    REGISTRY[name].prepare(plan, params)


def make(name: str, talks: Talks) -> Protocol:
    """The protocol ``name`` for one replication's talks."""
    return REGISTRY[name](talks)


from sim.engine.protocols import alternating, faratin  # noqa: E402,F401  (registration)
