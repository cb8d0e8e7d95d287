"""A chunk's parameters set up together (``Plan.prepare``) are those of each replication set up
alone, bit for bit and in the same order of draws (issue 22).

The runner prepares every chunk: its replications' draws, then the truce's worth of every
offer as arrays over all of them (``sim.engine.worth.worth_tables``), then each one's parties
and roles. Nothing a record holds may depend on it; the frozen hashes of
tests/test_speed_identity.py are computed one replication at a time, and here the two ways
are compared directly, on every shipped scenario that draws and on variants that reach the
worth's other branches (a truce drawn per replication, explosive in some replications,
retaliation on actual violations, no breakdown threshold, staged effects).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.engine import Plan, World, build, prepare, run_replication
from sim.engine.protocols.alternating import fixed, make_tables
from sim.running.runner import Chunk, simulate_chunk
from sim.scenario import load
from sim.scenario.overrides import load_with
from tests.conftest import FLAGSHIP, ROOT

DRAWING = sorted(p for p in [*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("scenarios/*/*.yaml")]
                 if Plan(load(p)).random)
REPLICATIONS = range(7, 47)


def same(a: Any, b: Any, where: str = "params") -> None:
    """``a`` and ``b`` hold the same values, bit for bit (NaN where NaN), in the same order."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{k}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
    else:
        assert type(a) is type(b) and a == b, (where, a, b)


def prepared_and_alone(plan_a: Plan, plan_b: Plan) -> None:
    plan_a.prepare(REPLICATIONS)
    for r in REPLICATIONS:
        same(plan_a.params(r), plan_b.params(r), f"replication {r}")


def test_the_shipped_scenarios_that_draw_are_found() -> None:
    names = {p.name for p in DRAWING}
    assert {"kerry_moscow_2016.yaml", "staged_pullback.yaml", "generous_carrot.yaml"} <= names


@pytest.mark.parametrize("path", DRAWING, ids=lambda p: p.stem)
def test_prepared_parameters_are_each_replications_own(path: Path) -> None:
    scenario = load(path)
    prepared_and_alone(Plan(scenario), Plan(scenario))


VARIANTS = {
    # alpha/beta of the regime on itself up to 1.5: some replications explosive, their rates inf
    "drawn and sometimes explosive": ["truce.alpha.assad.assad={uniform: [0.1, 1.5]}"],
    "actual retaliation": ["truce.retaliation=actual",
                           "truce.monitoring.deterrence.assad={uniform: [0, 2]}"],
    "no breakdown threshold": ["truce.breakdown.violations=null",
                               "truce.breakdown.window_days=null"],
}


@pytest.mark.filterwarnings("ignore:invalid value encountered in subtract")  # inf - inf
@pytest.mark.parametrize("changes", VARIANTS.values(), ids=list(VARIANTS))
def test_prepared_worth_reaches_every_branch(changes: list[str]) -> None:
    scenario, _ = load_with(str(FLAGSHIP), changes)
    plan = Plan(scenario)
    prepared_and_alone(plan, Plan(scenario))
    if changes is VARIANTS["drawn and sometimes explosive"]:  # both kinds in one batch
        self_excited = [Plan(scenario).params(r).alpha[0][0] >= 1.0 for r in REPLICATIONS]
        assert 0 < sum(self_excited) < len(REPLICATIONS)


def test_prepared_parameters_are_handed_over_once() -> None:
    scenario = load(FLAGSHIP)
    plan, alone = Plan(scenario), Plan(scenario)
    plan.prepare(range(3, 6))
    first = plan.params(4)
    again = plan.params(4)  # set up afresh: equal, not the object handed over
    assert again is not first
    same(first, again)
    same(again, alone.params(4))
    plan.prepare(range(10, 12))  # a later call drops what was left of the earlier one
    assert 3 not in plan._prepared and 5 not in plan._prepared  # noqa: SLF001


def test_a_deterministic_scenario_is_set_up_once() -> None:
    scenario = load(ROOT / "scenarios/examples/labour_strike.yaml")
    plan = Plan(scenario)
    assert not plan.random
    plan.prepare(range(0, 5))
    assert plan.params(0) is plan.params(3)


def test_a_chunk_gives_the_records_of_its_replications_alone() -> None:
    plan = Plan(load(FLAGSHIP))
    rows = simulate_chunk(plan, Chunk(20, 60)).to_pylist()
    alone = Plan(load(FLAGSHIP))
    for r, row in zip(range(20, 60), rows, strict=True):
        expected = run_replication(alone, r).row()
        assert row.keys() == expected.keys()
        for key, value in expected.items():
            got = row[key]
            if isinstance(value, float) and math.isnan(value):
                assert got is None or math.isnan(got), (r, key)
            else:
                assert got == value, (r, key, got, value)


def tables_alone(idx: np.ndarray, u: np.ndarray, scaled: np.ndarray,
                 others: list[np.ndarray]) -> tuple[Any, ...]:
    """The tables of one replication, proposer by proposer (their definition): positions
    sorted by own utility, then the others' lowest rescaled utility, then the index."""
    order, rank = [], []
    for i, oth in enumerate(others):
        score = scaled[oth].min(axis=0) if len(oth) else np.ones(len(idx))
        o = np.lexsort((np.arange(len(idx)), -score, -u[i]))
        r = np.empty(len(idx), dtype=int)
        r[o] = np.arange(len(idx))
        order.append(o)
        rank.append(r)
    orders = np.array(order, dtype=np.intp).reshape(len(others), len(idx))
    stacked = np.ascontiguousarray(u[:, orders].transpose(1, 0, 2))
    return (idx, u, order, rank, others, stacked,
            np.ascontiguousarray(stacked.transpose(0, 2, 1)), orders)


ALTERNATING = [p for p in DRAWING if (s := load(p)).negotiation is not None
               and s.negotiation.protocol == "alternating"]


@pytest.mark.parametrize("path", ALTERNATING, ids=lambda p: p.stem)
def test_prepared_tables_are_each_replications_own(path: Path) -> None:
    plan = Plan(load(path))
    prepare(plan, REPLICATIONS)
    idx = np.flatnonzero(plan.feasible)
    for r in REPLICATIONS:
        params = plan.params(r)
        tab = params.derived["alternating"].tab
        n = len(params.parties)
        others = [np.array([j for j in range(n) if j != i]) for i in range(n)]
        expected = tables_alone(idx, params.utilities[:, idx], params.beliefs[:, idx], others)
        for field, want in zip(dataclasses.fields(tab), expected, strict=True):
            same(getattr(tab, field.name), want, f"replication {r}: {field.name}")
        for got in (tab.stacked_u, tab.stacked_t, *tab.rank):  # as the kernels read them
            assert got.flags.c_contiguous


@pytest.mark.parametrize("path", ALTERNATING, ids=lambda p: p.stem)
def test_what_a_replication_fixes_for_its_talks_is_the_same_prepared(path: Path) -> None:
    """``alternating.Fixed`` set up with the chunk equals the one the talks make alone: the
    no-deal and plan-B rows, tolerances, rates, the rule and the solve's arguments."""
    plan, alone = Plan(load(path)), Plan(load(path))
    prepare(plan, REPLICATIONS)
    idx = np.flatnonzero(alone.feasible)
    for r in REPLICATIONS:
        params, own = plan.params(r), alone.params(r)
        n = len(own.parties)
        others = [np.array([j for j in range(n) if j != i]) for i in range(n)]
        want = fixed(alone, own, make_tables(idx, own.utilities[:, idx], own.beliefs[:, idx],
                                             others))
        same(params.derived["alternating"], want, f"replication {r}")


def test_the_talks_take_the_prepared_tables() -> None:
    plan = Plan(load(FLAGSHIP))
    prepare(plan, range(3, 5))
    params = plan._prepared[3]  # noqa: SLF001 (what build will be handed)
    world: World = build(plan, 3)
    assert world.params is params and world.talks is not None
    assert world.talks.protocol.tab is params.derived["alternating"].tab  # type: ignore[attr-defined]


def alone(path: Path, replications: range) -> list[dict[str, Any]]:
    plan = Plan(load(path))
    return [run_replication(plan, r).row() for r in replications]


@pytest.mark.parametrize("path", [FLAGSHIP, ROOT / "scenarios/examples/truce_hawkes.yaml"],
                         ids=lambda p: p.stem)
def test_streams_drawn_ahead_give_the_records_of_replications_alone(path: Path) -> None:
    """After a first chunk, the next one's streams take first blocks drawn ahead for them
    (``rng.Ahead``): the records are those of its replications played alone."""
    plan = Plan(load(path))
    simulate_chunk(plan, Chunk(0, 8))  # what the replications draw first is learned
    prepare(plan, range(30, 50))
    ahead = plan.ahead._ready  # noqa: SLF001
    assert set(ahead) == set(range(30, 50)) and all(ahead.values())
    assert plan.ahead.take(30) is not None and plan.ahead.take(30) is None  # once
    rows = simulate_chunk(plan, Chunk(30, 50)).to_pylist()
    assert rows == alone(path, range(30, 50))


def test_blocks_drawn_ahead_of_the_wrong_kind_or_never_used_change_nothing() -> None:
    """A stream first drawn otherwise than predicted draws its own first block, and blocks
    drawn for streams a replication never uses are dropped."""
    plan = Plan(load(FLAGSHIP))
    simulate_chunk(plan, Chunk(0, 8))
    kinds = plan.ahead._kinds  # noqa: SLF001
    for name in kinds:
        kinds[name] = not kinds[name]
    plan.ahead._kinds["never drawn"], plan.ahead._counts["never drawn"] = True, 10**6  # noqa: SLF001
    rows = simulate_chunk(plan, Chunk(30, 45)).to_pylist()
    assert rows == alone(FLAGSHIP, range(30, 45))


SHIPPED = sorted([*ROOT.glob("scenarios/*.yaml"), *ROOT.glob("scenarios/*/*.yaml")])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenarios_second_chunk_is_its_replications_alone(path: Path) -> None:
    """A chunk played after another (its streams' first blocks drawn ahead, its parameters
    and talks set up together; one set-up shared by every replication of a scenario that
    draws nothing) gives the records of its replications played alone."""
    plan = Plan(load(path))
    simulate_chunk(plan, Chunk(0, 4))
    rows = simulate_chunk(plan, Chunk(10, 16)).to_pylist()
    want = alone(path, range(10, 16))
    for row, expected in zip(rows, want, strict=True):
        same(row, expected, path.stem)
