"""The compiled stationary solve gives the numpy reference's values bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.protocols import kernels
from sim.engine.protocols.alternating import (
    EPS,
    MAX_CYCLES,
    Rule,
    Tables,
    _compiled,
    make_tables,
    reference,
    stationary,
)


def _case(seed: int, n: int, offers: int, types: int, levels: int | None
          ) -> tuple[Tables, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random tables (utilities on ``levels`` steps, so ties are common when given), no-deal
    values for ``types`` scenarios, patience and costs."""
    rng = np.random.default_rng(seed)
    u = rng.random((n, offers))
    if levels is not None:
        u = np.round(u * levels) / levels
    shift = float(rng.choice([0.0, 0.0, 0.6, 3.0]))  # own units: negative values too
    u = u - shift
    others = [np.array([j for j in range(n) if j != i]) for i in range(n)]
    tab = make_tables(np.arange(offers), u, u + shift, others)
    d = rng.uniform(0.0, 0.8, (types, n)) - shift
    delta = rng.uniform(0.5, 1.0, n)
    cost = rng.uniform(0.0, 0.05, n) * rng.integers(0, 2, n)
    return tab, d, delta, cost, np.full(n, EPS)


def _rule(seed: int, offers: int) -> Rule:
    """Ratification probabilities with some zeros (refused texts) and some ties."""
    rng = np.random.default_rng(seed + 1)
    r = np.round(rng.random(offers) * 4) / 4
    return Rule(r, None, 0.5)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), offers=st.integers(1, 40),
       types=st.integers(1, 12), levels=st.sampled_from([None, 3, 8]),
       ruled=st.booleans())
def test_compiled_and_reference_agree_bit_for_bit(seed: int, n: int, offers: int, types: int,
                                                  levels: int | None, ruled: bool) -> None:
    tab, d, delta, cost, eps = _case(seed, n, offers, types, levels)
    rule = _rule(seed, offers) if ruled else None
    want = reference(tab, d, delta, cost, eps, rule)
    got = stationary(tab, d, delta, cost, eps, rule)
    assert got.tobytes() == want.tobytes()


def test_the_compiled_loops_solve_without_the_reference(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Under unanimity the reference is never called, cycles included (a kernel that handed
    every case back would pass the test above while doing nothing)."""
    import sim.engine.protocols.alternating as alternating

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reference was called")

    monkeypatch.setattr(alternating, "reference", refuse)
    for seed in range(100):
        tab, d, delta, cost, eps = _case(seed, 2 + seed % 3, 12, 5, 4)
        stationary(tab, d, delta, cost, eps, _rule(seed, 12) if seed % 2 else None)


def test_a_cycle_is_averaged_over_its_period_as_the_reference_does() -> None:
    """Three parties and three offers (seed 12): the choices cycle, a discrete game with no
    stationary point; the kernel says so and returns the reference's mean over the period,
    which is none of the cycles' own values."""
    rng = np.random.default_rng(12)
    n, offers = int(rng.integers(2, 4)), int(rng.integers(2, 8))
    assert (n, offers) == (3, 3)
    u = rng.random((n, offers))
    tab = make_tables(np.arange(offers), u, u,
                      [np.array([j for j in range(n) if j != i]) for i in range(n)])
    d, delta, eps = rng.uniform(0, 0.5, (1, n)), rng.uniform(0.3, 1.0, n), np.full(n, EPS)
    got, status = _compiled(tab, d, delta, np.zeros(n), eps, None)
    assert status == kernels.CYCLED
    want = reference(tab, d, delta, np.zeros(n), eps, None)
    assert got.tobytes() == want.tobytes()
    for cycles in (1, 2):  # stopped before the cycle closes: no cycle's values are the answer
        v, status = kernels.solve(tab.stacked_u, tab.stacked_t, tab.stacked_u[:, 0],
                                  tab.no_rule, False, d, delta, np.zeros(n), eps, cycles)
        assert status == 0 and not np.array_equal(v, want)


def test_max_cycles_is_passed_through() -> None:
    tab, d, delta, cost, eps = _case(1, 2, 10, 3, None)
    r, live = tab.stacked_u[:, 0], tab.no_rule
    v, status = kernels.solve(tab.stacked_u, tab.stacked_t, r, live, False, d, delta, cost,
                              eps, 1)
    assert status == 0 and v.shape == (2, 3, 2)
    assert MAX_CYCLES > 1


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), offers=st.integers(1, 40),
       m=st.integers(1, 9), levels=st.sampled_from([None, 3, 8]), ruled=st.booleans())
def test_the_compiled_screening_offer_is_the_references(seed: int, n: int, offers: int,
                                                       m: int, levels: int | None,
                                                       ruled: bool) -> None:
    """``kernels.screen`` against ``screen_reference``: the same offer and the same believed
    probability, bit for bit, for every proposer, with ties in utilities and going-on values,
    types ruled out, floors set and ratification zeros."""
    from sim.engine.protocols.alternating import screen_reference

    rng = np.random.default_rng(seed)
    u = rng.random((n, offers))
    g = rng.uniform(0.0, 1.0, (1 + n * m, n))
    if levels is not None:  # ties: offers on a grid, going-on values on the same grid
        u, g = np.round(u * levels) / levels, np.round(g * levels) / levels
    alive = rng.random((n, m)) < 0.7
    alive[np.arange(n), rng.integers(0, m, n)] = True  # never none alive (the engine's rule)
    floor = np.where(rng.random(n) < 0.5, -np.inf, rng.random(n))
    eps = np.full(n, EPS)
    ratified = np.round(rng.random(offers) * 4) / 4
    for i in range(n):
        rank = rng.permutation(offers)
        gi = float(g[rng.integers(0, len(g)), i])
        want = screen_reference(u, i, g, m, alive, floor, eps, ratified, ruled, rank, gi)
        got = kernels.screen(u, i, g, m, alive, floor, eps, ratified, ruled, rank, gi)
        assert (int(got[0]), float(got[1]).hex()) == (want[0], float(want[1]).hex())


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), s=st.integers(1, 20),
       deadlines=st.integers(0, 3), solved=st.booleans(), audience=st.booleans())
def test_the_compiled_value_of_going_on_is_the_references(seed: int, n: int, s: int,
                                                          deadlines: int, solved: bool,
                                                          audience: bool) -> None:
    """``kernels.no_deal`` and ``kernels.going_on`` against the numpy definitions (the
    no-deal sums of ``Alternating.no_deal``, ``going_reference``), bit for bit: nested
    lotteries, plan B unstated in places, certain and impossible rounds before a deadline."""
    from sim.engine.protocols.alternating import going_reference

    rng = np.random.default_rng(seed)
    d0, trend = rng.normal(0, 1, (s, n)), rng.normal(0, 0.01, n)
    now, shift = float(rng.uniform(0, 200)), rng.normal(0, 0.3, n) * rng.integers(0, 2, n)
    cut = rng.uniform(0, 0.5, n) * rng.integers(0, 2, n) if audience else np.zeros(n)
    want_d = d0 + trend * now + np.array(shift.tolist())
    for k in np.flatnonzero(cut):
        want_d[:, k] -= cut[k]
    d = kernels.no_deal(d0, trend, now, shift, cut)
    assert d.tobytes() == want_d.tobytes()
    delta, cost = rng.uniform(0.5, 1, n), rng.uniform(0, 0.1, n)
    v = rng.normal(0, 1, (s, n))
    bs = np.where(rng.random((max(deadlines, 1), s, n)) < 0.3, np.nan,
                  rng.normal(0, 1, (max(deadlines, 1), s, n)))
    lots = [(int(k), float(rng.uniform(0, 1)), float(rng.choice([0.0, 1.0, rng.random()])))
            for k in rng.permutation(deadlines)]
    want = going_reference(d, delta, cost, v if solved else None, lots, bs, np.isnan(bs))
    got = kernels.going_on(d, delta, cost, v, solved,
                           np.array(lots, dtype=float).reshape(-1, 3), bs, np.isnan(bs))
    assert got.tobytes() == want.tobytes()


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), s=st.integers(1, 20),
       deadlines=st.integers(0, 3))
def test_the_compiled_threat_point_is_the_references(seed: int, n: int, s: int,
                                                     deadlines: int) -> None:
    """``kernels.threat_point`` against ``threat_point_reference``, bit for bit: nested
    deadlines latest first, plan B unstated in places, patient and impatient parties."""
    from sim.engine.protocols.alternating import threat_point_reference

    rng = np.random.default_rng(seed)
    d, rho = rng.normal(0, 1, (s, n)), rng.uniform(0, 0.05, n) * rng.integers(0, 2, n)
    now = float(rng.uniform(0, 100))
    bs = np.where(rng.random((max(deadlines, 1), s, n)) < 0.3, np.nan,
                  rng.normal(0, 1, (max(deadlines, 1), s, n)))
    days = np.sort(now + rng.uniform(0.1, 90, deadlines))[::-1]  # latest first
    ahead = np.array([(int(k), float(rng.uniform(0, 1)), day)
                      for k, day in zip(rng.permutation(deadlines), days, strict=True)],
                     dtype=float).reshape(-1, 3)
    want = threat_point_reference(d, rho, now, ahead, bs, np.isnan(bs))
    got = kernels.threat_point(d, rho, now, ahead, bs, np.isnan(bs))
    assert got.tobytes() == want.tobytes()


def test_the_threat_point_of_one_deadline_is_its_discounted_lottery() -> None:
    """d + exp(-rho (D - t)) c (B - d) by hand; two deadlines nest, the later inside."""
    d = np.array([[0.2, -0.1]])
    bs = np.array([[[-0.5, 0.3]], [[0.0, -1.0]]])
    rho = np.array([0.01, 0.02])
    got = kernels.threat_point(d, rho, 5.0, np.array([[0.0, 0.4, 25.0]]), bs, np.isnan(bs))
    want = [0.2 + math.exp(-0.01 * 20) * 0.4 * (-0.5 - 0.2),
            -0.1 + math.exp(-0.02 * 20) * 0.4 * (0.3 + 0.1)]
    assert got[0] == pytest.approx(want, abs=1e-15)
    two = kernels.threat_point(d, rho, 5.0, np.array([[1.0, 0.5, 45.0], [0.0, 0.4, 25.0]]),
                               bs, np.isnan(bs))
    for k, b1, b2, r in ((0, -0.5, 0.0, 0.01), (1, 0.3, -1.0, 0.02)):
        inner = d[0, k] + 0.5 * (b2 - d[0, k])  # at day 45
        at25 = d[0, k] + math.exp(-r * 20) * (inner - d[0, k])
        at25 = at25 - 0.4 * (at25 - b1)
        assert two[0, k] == pytest.approx(d[0, k] + math.exp(-r * 20) * (at25 - d[0, k]),
                                          abs=1e-15)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 1200), n=st.integers(1, 4),
       m=st.integers(1, 40), grid=st.booleans())
def test_the_compiled_means_are_numpys(seed: int, size: int, n: int, m: int,
                                       grid: bool) -> None:
    """``kernels.mean_at`` and ``kernels.type_means`` against numpy's mean, bit for bit
    (numpy sums float64 pairwise: a plain loop under 8 numbers, eight running sums up to 128,
    halves above; the test covers all three), on values of very different sizes, with ties
    and zeros."""
    rng = np.random.default_rng(seed)
    g = rng.normal(0, 1, (size, n)) * 10.0 ** rng.integers(-6, 6, (size, n))
    if grid:
        g = np.round(g, 1)  # ties, and zeros of either sign
    rows = rng.choice(size, int(rng.integers(1, size + 1)))
    for col in range(n):
        assert kernels.mean_at(g, rows, col).hex() == float(g[rows, col].mean()).hex()
    d = rng.normal(0, 1, (1 + n * m, n)) * 10.0 ** rng.integers(-3, 3, (1 + n * m, n))
    want = np.array([d[1 + k * m: 1 + (k + 1) * m, k].mean() for k in range(n)])
    assert kernels.type_means(d, m).tobytes() == want.tobytes()


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), m=st.integers(1, 12),
       offers=st.integers(1, 40), levels=st.sampled_from([None, 2, 5]),
       ruled=st.booleans())
def test_the_compiled_mediator_candidates_are_the_references(seed: int, n: int, m: int,
                                                             offers: int, levels: int | None,
                                                             ruled: bool) -> None:
    """``kernels.candidates`` against ``candidates_reference``: the same offers and whether
    there is any, with gains tied to eps on a grid, negative utilities, NaN no-deal values
    and ratification zeros."""
    from sim.engine.protocols.alternating import candidates_reference

    rng = np.random.default_rng(seed)
    u = rng.uniform(-1.0, 1.0, (n, offers))
    d = rng.uniform(-1.0, 1.0, (1 + n * m, n))
    if levels is not None:  # gains exactly at eps: means of grid values, eps on the grid
        u, d = np.round(u * levels) / levels, np.round(d * levels) / levels
    if rng.random() < 0.2:
        d[rng.integers(0, 1 + n * m), rng.integers(0, n)] = np.nan
    eps = np.full(n, 0.0 if levels is not None else EPS)
    r = np.round(rng.random(offers) * 3) / 3 if ruled else np.ones(offers)
    ok, some = kernels.candidates(np.ascontiguousarray(u), d, m, eps, r)
    want = candidates_reference(u, d, m, eps, r)
    assert ok.tolist() == want.tolist()
    assert some == bool(want.any())
    # the mediator's one call: the no-deal values (here d itself: no trend, shift or cut)
    zeros = np.zeros(n)
    got_d, ok, some = kernels.mediation(d, zeros, 0.0, zeros, zeros, np.ascontiguousarray(u),
                                        m, eps, r)
    assert got_d.tobytes() == kernels.no_deal(d, zeros, 0.0, zeros, zeros).tobytes()
    assert ok.tolist() == want.tolist() and some == bool(want.any())


def _turn(seed: int, n: int, offers: int, m: int, levels: int | None, ruled: bool,
          deadlines: int, kept: str) -> tuple[tuple, tuple]:  # type: ignore[type-arg]
    """A random proposer's turn: ``kernels.propose``'s arguments but the last (``exact``),
    and what ``no_deal``, ``solve``, ``going_on``, ``mean_at`` and ``screen`` give one after
    another: ``(f, prob, gi, g, v)``."""
    tab, d0, delta, cost, eps = _case(seed, n, offers, 1 + n * m, levels)
    rng = np.random.default_rng(seed + 2)
    rule = _rule(seed, offers) if ruled else None
    r, live = rule.stacked(tab) if rule is not None else (tab.certain, tab.no_rule)
    ratified = rule.ratified if rule is not None else tab.certain[0]
    trend, now = rng.normal(0, 0.01, n), float(rng.uniform(0, 100))
    shift, cut = rng.normal(0, 0.1, n) * rng.integers(0, 2, n), np.zeros(n)
    bs = np.where(rng.random((max(deadlines, 1), 1 + n * m, n)) < 0.3, np.nan,
                  rng.normal(0, 1, (max(deadlines, 1), 1 + n * m, n)))
    lots = np.array([(k, rng.uniform(0, 1), rng.choice([0.0, 1.0, rng.random()]))
                     for k in range(deadlines)], dtype=float).reshape(-1, 3)
    alive = rng.random((n, m)) < 0.7
    alive[np.arange(n), rng.integers(0, m, n)] = True
    floor = np.where(rng.random(n) < 0.5, -np.inf, rng.random(n) - 0.5)
    i = int(rng.integers(0, n))
    rows = np.concatenate([1 + j * m + np.flatnonzero(alive[j]) for j in range(n) if j != i])
    d = kernels.no_deal(d0, trend, now, shift, cut)
    v = kernels.solve(tab.stacked_u, tab.stacked_t, r, live, ruled, d, delta, cost, eps,
                      MAX_CYCLES)[0]
    rounds = kept != "no rounds"
    g = (kernels.going_on(d, delta, cost, v[(i + 1) % n], True, lots, bs, np.isnan(bs))
         if rounds else kernels.going_on(d, delta, cost, d, False, lots, bs, np.isnan(bs)))
    gi = kernels.mean_at(g, rows, i)
    f, prob = kernels.screen(tab.uc, i, g, m, alive, floor, eps, ratified, ruled, tab.rank[i],
                             gi)
    assert kernels.believed_rows(alive, i, m).tolist() == rows.tolist()
    v_in = v.copy() if kept == "kept" else np.zeros((0, 0, 0))
    args = (d0, trend, now, shift, cut, delta, cost, v_in, kept == "solve", rounds,
            tab.stacked_u, tab.stacked_t, r, live, ruled, eps, MAX_CYCLES,
            kernels.bounds(r, tab.stacked_t, live), kernels.reaches(tab.stacked_t), lots, bs,
            np.isnan(bs), i, tab.uc, m, alive, floor, ratified, tab.rank[i])
    return args, (f, prob, gi, g, v)


TURNS = dict(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 4), offers=st.integers(1, 30),
             m=st.integers(1, 6), levels=st.sampled_from([None, 3, 8]), ruled=st.booleans(),
             deadlines=st.integers(0, 2), kept=st.sampled_from(["solve", "kept", "no rounds"]))


@settings(max_examples=150, deadline=None)
@given(**TURNS)
def test_a_compiled_turn_is_the_calls_one_by_one(seed: int, n: int, offers: int, m: int,
                                                 levels: int | None, ruled: bool,
                                                 deadlines: int, kept: str) -> None:
    """``kernels.propose`` (a proposer's turn in one call), asked to be ``exact``, gives what
    ``no_deal``, ``solve``, ``going_on``, ``mean_at`` and ``screen`` give one after another,
    bit for bit: solving there, reusing a kept solution, and with no round ever to come; it
    says it solved exactly when it was asked to."""
    args, (f, prob, gi, g, v) = _turn(seed, n, offers, m, levels, ruled, deadlines, kept)
    got = kernels.propose(*args, True)
    assert (int(got[0]), float(got[1]).hex(), float(got[2]).hex()) == (
        int(f), float(prob).hex(), float(gi).hex())
    assert got[3].tobytes() == g.tobytes()
    if kept != "no rounds":
        assert got[4].tobytes() == v.tobytes()
    assert got[5] is (kept == "solve")


@settings(max_examples=300, deadline=None)
@given(**TURNS)
def test_a_turn_skips_the_solve_only_when_the_proposer_passes_whatever_it_gives(
        seed: int, n: int, offers: int, m: int, levels: int | None, ruled: bool,
        deadlines: int, kept: str) -> None:
    """Not ``exact``, a turn that would solve first checks whether the proposer passes on a
    lower bound of the values of going on (:func:`kernels.certain_pass`). When it skips the
    solve, the full turn passes too, and the bound is below the true values; otherwise the
    turn is the exact one bit for bit."""
    args, (f, prob, gi, g, v) = _turn(seed, n, offers, m, levels, ruled, deadlines, kept)
    got = kernels.propose(*args, False)
    if kept == "solve" and not got[5]:  # skipped: a certain pass
        assert (int(got[0]), float(got[1]), int(f)) == (-1, 0.0, -1)
        assert np.isnan(got[2])
        assert (got[3] <= g).all()
        return
    assert (int(got[0]), float(got[1]).hex(), float(got[2]).hex()) == (
        int(f), float(prob).hex(), float(gi).hex())
    assert got[3].tobytes() == g.tobytes()


def test_certain_pass_finds_the_passes_it_can_prove() -> None:
    """A proposer whose no-deal value is above every offer passes whatever the others do,
    and so does one whose responder accepts none: the bound proves both (and returns ``d``
    lowered by the slack); a proposer with an offer above its no-deal value that the
    responder's types accept is not a certain pass."""
    n, m, offers = 2, 2, 4
    u = np.array([[0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]])
    d = np.full((1 + n * m, n), 0.05)
    d[:, 0] = 0.5  # party 0's no-deal value beats every offer
    args = (np.ones(n), np.zeros(n), np.zeros((0, 3)), np.zeros((1, 1 + n * m, n)),
            np.ones((1, 1 + n * m, n), dtype=bool))
    rest = (m, np.ones((n, m), dtype=bool), np.full(n, -np.inf), np.full(n, EPS),
            np.ones(offers), False, np.arange(offers))
    for proposer in (0, 1):
        low = kernels.certain_pass(d, *args, proposer, u, *rest)
        assert low.shape == d.shape and (low < d).all() and (low > d - 1e-8).all()
    d[:, 0] = 0.05  # now offer 3 gives each more than its no-deal value
    assert kernels.certain_pass(d, *args, 1, u, *rest).shape == (0, 0)
    assert kernels.certain_pass(d, *args, 0, u, *rest).shape == (0, 0)


@pytest.mark.slow
def test_every_shipped_protocol_setting_compiles_each_kernel_once() -> None:
    """The kernels get one array type whatever the scenario (C-ordered tables, R = 1 as an
    array of its own without ratifiers): a second type would compile the kernel again, seconds
    on a user's first run. ``warm()``, which ``make`` runs after installing, compiles that one
    type of each, so the engine compiles nothing more. In a fresh process, since other tests
    call the kernels directly."""
    import subprocess
    import sys

    code = """
from sim.engine import Plan, run_replication
from sim.engine.protocols import kernels as K
from sim.engine import seeding
from sim.engine.protocols.alternating import warm
from sim.scenario import load
names = ("solve_within", "bounds", "reaches", "screen", "going_on", "no_deal", "mean_at",
         "type_means", "candidates", "propose", "mediation", "threat_point")
warm()
seeding.warm()
print(*(len(getattr(K, k).signatures) for k in names), len(seeding.pcg64_state.signatures))
for path in ["kerry_moscow_2016", "dayton_1995", "examples/trade_talks",
             "examples/ratified_treaty", "examples/two_threats"]:
    plan = Plan(load(f"scenarios/{path}.yaml"))
    for i in range(5):
        run_replication(plan, i)
print(*(len(getattr(K, k).signatures) for k in names), len(seeding.pcg64_state.signatures))
"""
    from tests.conftest import ROOT

    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["1"] * 26  # warm() compiled each kernel at the engine's types: no more


@settings(max_examples=200, deadline=None)
@given(**TURNS)
def test_the_bounds_of_going_on_hold_whatever_the_solution(
        seed: int, n: int, offers: int, m: int, levels: int | None, ruled: bool,
        deadlines: int, kept: str) -> None:
    """``kernels.going_on_bounds`` brackets the value of going on of every proposer's next
    round, computed with the stationary solution, in every scenario and for every party."""
    args, _ = _turn(seed, n, offers, m, levels, ruled, deadlines, kept)
    d0, trend, now, shift, cut, delta, cost = args[:7]
    lots, bs, unstated, u = args[19], args[20], args[21], args[23]
    us, ut, r, live, ruled_, eps = args[10:16]
    d = kernels.no_deal(d0, trend, now, shift, cut)
    v = kernels.solve(us, ut, r, live, ruled_, d, delta, cost, eps, MAX_CYCLES)[0]
    low, high = kernels.going_on_bounds(d, delta, cost, lots, bs, unstated, u.max(axis=1))
    assert low.shape == high.shape == d.shape  # discounts in [0, 1], costs >= 0: bounded
    for i in range(n):
        g = kernels.going_on(d, delta, cost, v[(i + 1) % n], True, lots, bs, unstated)
        assert (low <= g).all() and (g <= high).all()


def test_no_bounds_when_a_discount_or_a_lottery_is_out_of_range() -> None:
    """A discount above 1, a negative cost or a lottery weight above 1 makes ``going_on``
    non-monotone in what it bounds: no bounds, so the caller solves."""
    d, umax = np.zeros((3, 2)), np.ones(2)
    bs = np.zeros((1, 3, 2))
    ok = (np.full(2, 0.9), np.zeros(2), np.array([[0.0, 0.5, 0.0]]))
    assert kernels.going_on_bounds(d, *ok, bs, np.isnan(bs), umax)[0].shape == (3, 2)
    for k, bad in ((0, np.array([1.1, 0.9])), (1, np.array([0.0, -0.1])),
                   (2, np.array([[0.0, 1.5, 0.0]]))):
        args = list(ok)
        args[k] = bad
        assert kernels.going_on_bounds(d, *args, bs, np.isnan(bs), umax)[0].shape == (0, 0)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), offers=st.integers(1, 20),
       m=st.integers(1, 6), levels=st.sampled_from([None, 2, 4]), mediator=st.booleans())
def test_the_compiled_answers_are_the_references(seed: int, n: int, offers: int, m: int,
                                                 levels: int | None, mediator: bool) -> None:
    """``kernels.answer`` against ``answers_reference``: the same votes, surviving types and
    floors, with utilities and values of going on tied on a grid (answers at the margin),
    signed zeros, -inf and equal floors, types that all drop out (they come back), NaN
    values of going on."""
    from sim.engine.protocols.alternating import answers_reference

    rng = np.random.default_rng(seed)
    u = rng.uniform(-1.0, 1.0, (n, offers))
    g = rng.uniform(-1.0, 1.0, (1 + n * m, n))
    if levels is not None:
        u, g = np.round(u * levels) / levels, np.round(g * levels) / levels
    if rng.random() < 0.2:
        g[rng.integers(0, 1 + n * m), rng.integers(0, n)] = np.nan
    eps = np.full(n, 0.0 if levels is not None else EPS)
    alive = rng.random((n, m)) < 0.6
    floor = rng.choice([-np.inf, -0.0, 0.0, 0.5], n)
    f, i = int(rng.integers(0, offers)), None if mediator else int(rng.integers(0, n))
    want_alive, want_floor = alive.copy(), floor.copy()
    want = answers_reference(u, f, g, m, eps, want_alive, want_floor, i)
    votes = kernels.answer(np.ascontiguousarray(u), f, g, m, eps, alive, floor,
                           -1 if i is None else i)
    assert votes.tolist() == want
    assert alive.tolist() == want_alive.tolist()
    assert floor.tobytes() == want_floor.tobytes()  # signed zeros kept as Python's max keeps them


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4), offers=st.integers(1, 20),
       levels=st.sampled_from([None, 2, 4]), ruled=st.booleans())
def test_the_compiled_last_call_test_is_the_references(seed: int, n: int, offers: int,
                                                       levels: int | None, ruled: bool) -> None:
    """``kernels.acceptable`` is ``acceptable_reference(...).any()``: utilities tied with
    the values of going on on a grid, NaN values, ratification zeros."""
    from sim.engine.protocols.alternating import acceptable_reference

    rng = np.random.default_rng(seed)
    u = rng.uniform(-1.0, 1.0, (n, offers))
    g = rng.uniform(-1.0, 0.5, (3, n))
    if levels is not None:
        u, g = np.round(u * levels) / levels, np.round(g * levels) / levels
    if rng.random() < 0.2:
        g[0, rng.integers(0, n)] = np.nan
    eps = np.full(n, 0.0 if levels is not None else EPS)
    r = np.round(rng.random(offers) * 2) / 2
    want = acceptable_reference(u, g, eps, r if ruled else None).any()
    assert kernels.acceptable(np.ascontiguousarray(u), g, eps, r, ruled) is bool(want)
