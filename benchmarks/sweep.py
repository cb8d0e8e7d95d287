"""Sweep speed: a 20-point flagship sweep on one process, a pool of 2 and Dask (2 workers).

Run: .venv/bin/python benchmarks/sweep.py [-n RUNS] [--workers W] [--repeat R]

The design is actors.russia.leverage.assad=0:1:5 x
negotiation.parties.russia.weights.intel_sharing=0.2,0.4,0.6,0.8 (20 points), -n 100
replications per point, seed 20160712. Each configuration goes through
sim.operations.sweeps.create and sim.operations.sweeps.execute into its own folder in a
temporary directory, as ``negsim sweep`` does; the wall time includes starting the pool or
the LocalCluster and assembling the results.

What a command pays once is timed apart, as for Dask: this process is warmed first by one
point (imports and the compiled kernels, which a command loads before its pilot), and the
pool's fork server is started and timed before the configurations run (a command starts it
before its pilot, ``Executor.start``; every pool of the command forks from it):
"pool 1 worker" and "pool W workers" are then the sweep's work. "--dask local" starts its own
LocalCluster once for the command: its start-up is timed apart
(sim.running.executor.STARTUPS) and the ratio to the pool is taken on the work alone (the
total is printed too); "dask tcp" runs on a LocalCluster started beforehand, its workers
preloading ``sim.running.preload`` as the README starts remote ones. Each speed-up
is also printed with the start-up added, as if nothing of the command covered it.

Goals: 2 workers at least 1.8x as fast as 1 (parallel efficiency >= 0.9); Dask within 15%
of the pool with the same number of workers. All configurations must give identical points.
Other processes on the machine distort the figures; the load average is printed.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sim.engine.outcomes import possible_in
from sim.operations import sweeps as swp
from sim.running.design import build, parse_spec
from sim.running.executor import STARTUPS, WORKER_PRELOAD, Executor, command_scope
from sim.scenario.overrides import load_with

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "kerry_moscow_2016.yaml"
SPECS = ("actors.russia.leverage.assad=0:1:5",
         "negotiation.parties.russia.weights.intel_sharing=0.2,0.4,0.6,0.8")


def one(tmp: Path, label: str, runs: int, workers: int, dask: str | None
        ) -> tuple[float, float, Any]:
    """Wall seconds of one whole sweep, the seconds its LocalCluster took to start, its points."""
    base, text = load_with(str(FLAGSHIP))
    design = build([parse_spec(s) for s in SPECS], seed=base.seed)
    folder = tmp / label.replace(" ", "_").replace(":", "")
    started = len(STARTUPS)
    t0 = time.perf_counter()
    job = swp.create(folder, text, str(FLAGSHIP), design, base.seed, runs)
    with command_scope():  # as the sweep command runs it
        summary = swp.execute(job, workers, dask)
    swp.finish(job)
    wall = time.perf_counter() - t0
    return wall, sum(STARTUPS[started:]), summary["points"]


def warm(workers: int) -> float:
    """Warm this process with one point (imports, compiled kernels), then start the pool's
    fork server as a command does and wait for it: the seconds the server took to start."""
    base, _ = load_with(str(FLAGSHIP))
    swp.run_point(base, base.seed, 10, possible_in([base]))
    t0 = time.perf_counter()
    Executor(workers).start()
    with mp.get_context("forkserver").Pool(1) as pool:  # ready once the server has preloaded
        pool.apply(os.getpid)
    return time.perf_counter() - t0


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=100, help="replications per point")
    parser.add_argument("--workers", type=int, default=2, help="workers of the parallel runs")
    parser.add_argument("--repeat", type=int, default=1, help="best of R runs each")
    parser.add_argument("--no-tcp", action="store_true",
                        help="skip the pre-started LocalCluster configuration")
    args = parser.parse_args()
    w = args.workers
    print(f"cores (affinity)    {len(os.sched_getaffinity(0))}")
    print(f"load average before {load()}   (1, 5, 15 min)")

    from dask.distributed import LocalCluster

    server = warm(w)

    times: dict[str, float] = {}
    startup: dict[str, float] = {}
    points: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="negsim-bench-sweep-") as tmpdir:
        tmp = Path(tmpdir)
        configs: list[tuple[str, int, str | None]] = [
            ("pool 1 worker", 1, None), (f"pool {w} workers", w, None),
            (f"dask local {w}", w, "local")]
        cluster = None
        if not args.no_tcp:
            cluster = LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                   dashboard_address=None,  # workers as the README starts them
                                   preload=[WORKER_PRELOAD])
            configs.append((f"dask tcp {w}", w, cluster.scheduler_address))
        try:
            for rep in range(args.repeat):
                for label, workers, dask in configs:
                    wall, start, pts = one(tmp, f"{label}-{rep}", args.runs, workers, dask)
                    if wall - start < times.get(label, float("inf")):
                        times[label], startup[label] = wall - start, start
                    points[label] = pts
        finally:
            if cluster is not None:
                cluster.close()

    n_points = len(next(iter(points.values())))
    print(f"sweep               {n_points} points x {args.runs} replications of "
          f"{FLAGSHIP.name} (best of {args.repeat})")
    print(f"{'configuration':22s} {'work s':>8s} {'start-up s':>10s} {'points/s':>9s} "
          f"{'reps/s':>8s}")
    for label, wall in times.items():
        print(f"{label:22s} {wall:8.2f} {startup[label]:10.2f} {n_points / wall:9.2f} "
              f"{n_points * args.runs / wall:8.0f}")
    print(f"{'fork server start-up':22s} {'':8s} {server:10.2f}   (once per command; "
          "negsim starts it before its pilot)")
    t1, tw = times["pool 1 worker"], times[f"pool {w} workers"]
    speedup = t1 / tw
    print(f"speedup pool {w} vs 1     {speedup:6.2f}x   (goal >= {0.9 * w:.1f}x)"
          f"   parallel efficiency {speedup / w:.2f}   (goal >= 0.90; "
          f"{t1 / (tw + server):.2f}x with the server's start-up)")
    for label in times:
        if label.startswith("dask"):
            ratio = times[label] / tw
            total = (times[label] + startup[label]) / tw
            print(f"{label} / pool {w}    {ratio:6.2f}    (goal <= 1.15, the work alone; "
                  f"{total:.2f} with the cluster's start-up of {startup[label]:.2f} s)")
    same = all(p == points["pool 1 worker"] for p in points.values())
    print(f"identical points    {'yes' if same else 'NO'}")
    print(f"load average after  {load()}")


if __name__ == "__main__":
    main()
