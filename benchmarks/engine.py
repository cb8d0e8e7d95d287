"""Engine speed: flagship replications/s and events/s against raw SimPy timeouts/s.

Run: .venv/bin/python benchmarks/engine.py [SCENARIO] [-n N]
Both figures are measured in this process, one after the other, so their ratio is
comparable across machines. Goal: events/s at least half of raw SimPy's timeouts/s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import simpy

from sim.engine import Plan, run_replication
from sim.scenario import load

ROOT = Path(__file__).resolve().parent.parent


def raw_simpy(n: int) -> float:
    """Timeouts per second of a bare SimPy process doing nothing else."""
    env = simpy.Environment()

    def ticker(env: simpy.Environment):
        for _ in range(n):
            yield env.timeout(1.0)

    env.process(ticker(env))
    t0 = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - t0)


def engine(path: Path, n: int) -> tuple[float, float, float]:
    """Replications/s, events/s and mean events per replication of a scenario."""
    plan = Plan(load(path))
    run_replication(plan, 0)  # warm up caches
    t0 = time.perf_counter()
    events = sum(run_replication(plan, i).events for i in range(n))
    wall = time.perf_counter() - t0
    return n / wall, events / wall, events / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    flagship = str(ROOT / "scenarios/kerry_moscow_2016.yaml")
    parser.add_argument("scenario", nargs="?", default=flagship)
    parser.add_argument("-n", type=int, default=3000, help="replications")
    args = parser.parse_args()
    raw = max(raw_simpy(200_000) for _ in range(3))
    reps, events, per = engine(Path(args.scenario), args.n)
    print(f"scenario            {Path(args.scenario).name}")
    print(f"replications/s      {reps:12,.0f}")
    print(f"events/replication  {per:12.1f}")
    print(f"events/s (negsim)   {events:12,.0f}")
    print(f"timeouts/s (SimPy)  {raw:12,.0f}")
    print(f"ratio               {events / raw:12.2f}   (goal >= 0.5)")


if __name__ == "__main__":
    main()
