"""The SimPy engine: one replication of a compiled scenario in, one record out.

Owns what a scenario fixes for a run and what a replication draws (``plan``, ``worth``), the
named random streams (``rng``), the world a replication shares (``world``, ``state``), the
mechanisms (``negotiation`` with its ``protocols``, ``truce``, ``outside``: spoilers, aid,
shocks, the deadline) and the outcome and metric registry with the record (``outcomes``).
May import ``sim.scenario``, ``sim.stats``, ``sim.store`` and ``sim.errors``."""

from __future__ import annotations

from sim.engine import protocols
from sim.engine.negotiation import Talks
from sim.engine.outcomes import Record
from sim.engine.outside import AidFlow, deadline, schedule_shocks, start_spoilers
from sim.engine.plan import Plan
from sim.engine.truce import Truce
from sim.engine.world import Entry, World
from sim.errors import EngineError

MAX_EVENTS = 5_000_000

__all__ = ["Plan", "run_replication", "play", "prepare", "Entry", "World", "compile_kernels"]

_compiled: set[str] = set()  # the parts loaded in this process: "streams", "bargaining"


def compile_kernels(bargaining: bool = True) -> None:
    """Compile the engine's numba kernels for this machine, or load them from numba's cache (a
    fraction of a second); nothing the second time in a process. The streams' kernels (their
    seeding and draws, ``seeding`` and ``pcg``) are every scenario's; the bargaining kernels
    (most of the compiler's time: 41 s on this round's 2-core machine) only a scenario with
    talks needs, so ``bargaining`` false leaves them to be compiled when a scenario first
    needs them. ``make`` compiles both after installing (``python -m sim.engine.protocols``);
    a pilot does what its scenario needs before its clock starts."""
    if "streams" not in _compiled:
        from sim.engine import pcg, seeding

        seeding.warm()
        pcg.warm()
        _compiled.add("streams")
    if bargaining and "bargaining" not in _compiled:
        from sim.engine.protocols.alternating import warm

        warm()
        _compiled.add("bargaining")


def prepare(plan: Plan, replications: range) -> None:
    """Set up the replications of a chunk together before they are played: their parameters
    (``Plan.prepare``), the first blocks of their streams (``rng.Ahead``) and what the
    scenario's protocol derives from them (``Protocol.prepare``). Every replication is then
    what it is when set up alone."""
    params = plan.prepare(replications)
    plan.ahead.draw(plan.seed, replications)
    n = plan.scenario.negotiation
    if n is not None and params:
        protocols.prepare(n.protocol, plan, params)


def build(plan: Plan, replication: int, tracing: bool = False,
          story_limit: int | None = None) -> World:
    """Set up the processes of one replication; nothing has happened yet."""
    world = World(plan, replication, tracing, story_limit)
    s = plan.scenario
    if s.truce is not None:
        world.truce = Truce(world)
    if s.negotiation is not None:
        world.talks = Talks(world)
    if s.aid is not None:
        world.aid = AidFlow(world)
    start_spoilers(world)
    schedule_shocks(world)
    for k in range(len(world.params.threats)):
        world.env.process(deadline(world, k))
    return world


def play(plan: Plan, replication: int, tracing: bool = False,
         story_limit: int | None = None) -> World:
    """Play one replication to its end and return its world (record and story)."""
    world = build(plan, replication, tracing, story_limit)
    env, horizon = world.env, plan.horizon
    step, peek = env.step, env.peek
    events = 0
    while not world.done and peek() <= horizon:
        step()
        events += 1
        if events + world.inline > MAX_EVENTS:
            world.settle(env.now)  # the quiet clocks' counts so far, for the culprit
            _exceeded(world, replication, env.now)
    world.settle()
    if events + world.inline > MAX_EVENTS:
        _exceeded(world, replication, world.end_day())
    world.finish(events + world.inline)
    plan.ahead.note(world.streams)
    return world


def _exceeded(world: World, replication: int, day: float) -> None:
    raise EngineError(f"replication {replication} exceeded {MAX_EVENTS} events "
                      f"by day {day:.4g}; {_culprit(world)}")


def _culprit(world: World) -> str:
    """Which process made the events: the largest of the record's counters."""
    rec = world.record
    if world.truce is not None:
        world.truce.tally()
    counts = {"truce violations (is alpha/beta >= 1?)": sum(rec.violations.values()),
              "spoiler attacks (attack_rate too high?)": rec.spoiler_attacks,
              "aid deliveries (aid.rate_per_day too high?)": rec.aid_deliveries}
    name, count = max(counts.items(), key=lambda kv: kv[1])
    if count == 0:
        return "the talks or shocks scheduled too many events"
    return f"most were {name}: {count:,}"


def run_replication(plan: Plan, replication: int) -> Record:
    """The record of replication ``replication``; deterministic for its inputs."""
    return play(plan, replication).record
