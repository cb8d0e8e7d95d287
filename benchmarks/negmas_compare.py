"""The same negotiation in negsim and in NegMAS, side by side in one process.

Run: .venv/bin/python benchmarks/negmas_compare.py [-n N] [--rounds 20 100]
Needs the ``bench`` extra (``pip install -e '.[bench]'``); without NegMAS it says so and
measures negsim alone.

The problem (NegMAS's size): 2 parties, 4 issues of 3, 3, 5 and 2 levels (90 offers), linear
additive utilities on opposed weights, reservation 0.3 of each party's range, a Boulware
party (e = 0.2) against a Conceder (e = 5), at most R proposals (R = 20 and 100), no truce.
negsim runs it with the ``faratin`` protocol (one meeting of R rounds, one proposal a round,
each party conceding over R days) through ``sim.api.run``, counting its records and
summary; NegMAS runs ``SAOMechanism(n_steps=R, one_offer_per_step=True)`` (one offer a step)
with ``BoulwareTBNegotiator`` against ``ConcederTBNegotiator``, counting the mechanism's
and negotiators' set-up. Each figure is negotiations per second, best of three interleaved
rounds; the ratio negsim/NegMAS is what to compare across machines.
Goals (issue 22): >= 20x at 20 rounds, >= 40x at 100 rounds.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from typing import Any

LEVELS = {"w": [0, 0.5, 1], "x": [0, 0.5, 1], "y": [0, 0.25, 0.5, 0.75, 1], "z": [0, 1]}
WEIGHTS_A = {"w": 0.4, "x": 0.3, "y": 0.2, "z": 0.1}
WEIGHTS_B = {"w": -0.1, "x": -0.2, "y": -0.3, "z": -0.4}
E_A, E_B = 0.2, 5.0  # Boulware, Conceder
RESERVE = 0.3  # of each party's utility range [0, 1]
GOALS = {20: 20.0, 100: 40.0}


def scenario(rounds: int) -> str:
    """The problem as a negsim scenario (faratin protocol, one meeting of ``rounds`` rounds)."""
    return f"""
format: 2
name: negmas_size
title: NegMAS-sized bilateral negotiation
start: 2020-01-01
horizon_days: {rounds}
seed: 1
actors: {{a: {{label: A}}, b: {{label: B}}}}
negotiation:
  protocol: faratin
  parties:
    a: {{weights: {WEIGHTS_A}, reservation: {RESERVE}, e: {E_A}, horizon_days: {rounds}}}
    b: {{weights: {WEIGHTS_B}, reservation: {RESERVE - 1}, e: {E_B}, horizon_days: {rounds}}}
  terms: {LEVELS}
  meetings: {{scheduled: [{{day: 0, duration_days: {rounds}, rounds: {rounds}}}]}}
"""


def negsim_rate(rounds: int, n: int) -> Callable[[], float]:
    from sim import api
    from sim.scenario import loads

    model = loads(scenario(rounds))
    api.run(model, runs=10, plots=False)  # warm up: plan, imports

    def once() -> float:
        t0 = time.perf_counter()
        result = api.run(model, runs=n, plots=False)
        wall = time.perf_counter() - t0
        assert result.summary["runs"] == n
        return n / wall

    return once


def negmas_rate(rounds: int, n: int) -> Callable[[], float]:
    from negmas import SAOMechanism, make_issue
    from negmas.preferences import LinearUtilityFunction
    from negmas.sao import BoulwareTBNegotiator, ConcederTBNegotiator

    issues = [make_issue(len(v), k) for k, v in LEVELS.items()]
    # level index -> level value: weight * value = weight / (levels - 1) * index
    wa = [WEIGHTS_A[k] / (len(v) - 1) for k, v in LEVELS.items()]
    wb = [WEIGHTS_B[k] / (len(v) - 1) for k, v in LEVELS.items()]

    def negotiation() -> Any:
        m = SAOMechanism(issues=issues, n_steps=rounds, one_offer_per_step=True)
        m.add(BoulwareTBNegotiator(name="a"),
              ufun=LinearUtilityFunction(weights=wa, issues=issues, reserved_value=RESERVE))
        m.add(ConcederTBNegotiator(name="b"),
              ufun=LinearUtilityFunction(weights=wb, bias=1.0, issues=issues,
                                         reserved_value=RESERVE))
        return m.run()

    negotiation()

    def once() -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            negotiation()
        return n / (time.perf_counter() - t0)

    return once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=400, help="negsim replications per round")
    parser.add_argument("--negmas-n", type=int, default=40, help="NegMAS negotiations per round")
    parser.add_argument("--rounds", type=int, nargs="+", default=[20, 100])
    args = parser.parse_args()
    have = importlib.util.find_spec("negmas") is not None
    if not have:
        print("negmas_compare: NegMAS is not installed, so only negsim is measured "
              "(install the bench extra: .venv/bin/pip install -e '.[bench]')")
    for rounds in args.rounds:
        # NegMAS first: its imports are then part of the heap negsim freezes when it builds
        # the plan (sim.running.runner.plan_for), as a user's imports would be.
        theirs = negmas_rate(rounds, args.negmas_n) if have else None
        ours = negsim_rate(rounds, args.n)
        best_ours = best_theirs = 0.0
        for _ in range(3):  # interleaved rounds, best of each
            best_ours = max(best_ours, ours())
            if theirs is not None:
                best_theirs = max(best_theirs, theirs())
        line = f"negotiation-only, {rounds:3d} rounds: negsim {best_ours:9,.0f}/s"
        if theirs is not None:
            import negmas

            goal = GOALS.get(rounds)
            line += (f"  NegMAS {negmas.__version__} {best_theirs:7,.1f}/s  ratio "
                     f"{best_ours / best_theirs:6.1f}x")
            line += f"   (goal >= {goal:g}x)" if goal else ""
        print(line)


if __name__ == "__main__":
    main()
