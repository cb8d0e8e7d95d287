"""Cost per truce violation against the number of truce parties (issue 22, scaling).

Run: .venv/bin/python benchmarks/truce_parties.py [--parties 2 4 8] [--days D] [-n N]

For each number of parties n, a truce alone (no talks, no breakdown threshold) whose parties
each violate at ``mu = 0.8 / n`` per day and excite every party, themselves included, by
``alpha = 0.75 / n`` decaying at ``beta = 1.5``: the branching ratio is 0.5 and the long-run
total rate ``0.8 / (1 - 0.5) = 1.6`` per day whatever n, so every n plays about the same
number of violations, each of which changes all n intensities. Timed through ``sim.api.run``
(records and summary counted, plan set-up excluded by a warm-up run), interleaved rounds,
best of three. Goal: the cost per violation does not grow with the square of n, i.e. the
growth exponent ``log(c_n / c_2) / log(n / 2)`` stays below 2 (the excitation of all n
parties makes 1, linear, the floor for a full alpha matrix).
"""

from __future__ import annotations

import argparse
import math
import time

import pyarrow.compute as pc


def scenario(n: int, days: float) -> str:
    """The YAML of the n-party truce."""
    names = [f"p{k}" for k in range(1, n + 1)]
    actors = "\n".join(f"  {p}: {{label: P{p[1:]}, violation_rate: {0.8 / n!r}}}"
                       for p in names)
    row = ", ".join(f"{p}: {0.75 / n!r}" for p in names)
    alpha = "\n".join(f"    {p}: {{{row}}}" for p in names)
    return f"""format: 2
name: truce_{n}_parties
title: a truce of {n} mutually exciting parties
start: 2020-01-01
horizon_days: {days}
seed: 7
actors:
{actors}
truce:
  parties: [{", ".join(names)}]
  starts: 0
  alpha:
{alpha}
  beta: 1.5
"""


def measure(n: int, days: float, runs: int):  # type: ignore[no-untyped-def]
    """A measurement of ``sim.api.run`` on the n-party truce: wall seconds and violations."""
    from sim import api

    text = scenario(n, days)
    api.run(text, runs=2, plots=False)  # warm up

    def once() -> tuple[float, float]:
        t0 = time.perf_counter()
        rec = api.run(text, runs=runs, plots=False).records
        wall = time.perf_counter() - t0
        v = sum(pc.sum(rec[f"violations_p{k}"]).as_py() or 0 for k in range(1, n + 1))
        return wall, float(v)

    return once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parties", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--days", type=float, default=10000.0, help="horizon")
    parser.add_argument("-n", type=int, default=5, help="replications per round")
    args = parser.parse_args()
    runs = {n: measure(n, args.days, args.n) for n in args.parties}
    best: dict[int, tuple[float, float]] = {}
    for _ in range(3):
        for n, once in runs.items():
            wall, v = once()
            if n not in best or wall < best[n][0]:
                best[n] = (wall, v)
    cost = {n: 1e6 * wall / v for n, (wall, v) in best.items()}
    first = args.parties[0]
    print(f"truce parties (alpha = 0.75/n to every party, mu = 0.8/n, {args.days:g} days, "
          f"{args.n} replications, best of 3)")
    print(f"  {'parties':>7} {'violations':>11} {'us/violation':>13} {'x vs ' + str(first):>9} "
          f"{'exponent':>9}")
    for n in args.parties:
        ratio = cost[n] / cost[first]
        exp = math.log(ratio) / math.log(n / first) if n != first else float("nan")
        print(f"  {n:>7} {best[n][1]:>11,.0f} {cost[n]:>13.2f} {ratio:>8.2f}x {exp:>9.2f}")
    last = args.parties[-1]
    exponent = math.log(cost[last] / cost[first]) / math.log(last / first)
    print(f"  growth exponent {first} -> {last} parties: {exponent:.2f}   (goal < 2: not "
          f"quadratic; {'met' if exponent < 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
