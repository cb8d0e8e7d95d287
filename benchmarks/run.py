"""``negsim run`` at scale: speed, workers, bytes per replication, memory, early stopping.

Run: .venv/bin/python benchmarks/run.py [SCENARIO] [-n N] [--large L] [--memory-repeat R]
                                        [--precision P] [--cap C]

Every measurement runs ``sim.api.execute`` (what ``negsim run`` calls: chunks, run folder,
merged Parquet file, plots) in a fresh Python process, writing to a temporary folder, so that
its peak RSS (``resource.getrusage``) starts from the same imports each time.

  1. N flagship replications with 1 and with 2 workers: wall seconds, replications/s and the
     speed-up 2w/1w, with the load average (goal: >= 1.8x on an idle 2-core machine; N =
     10,000 with 2 workers in at most 10 s). Beside it, the machine's own ceiling: the same
     replications played by ``run_replication`` in one process alone, then in two
     independent processes at once (no pool, no files, nothing shared): two cores that
     share a physical core, a cache or a host give less than 2x there, and no executor can
     do better than that ceiling.
  2. Bytes per replication on disk (replications.parquet / runs) and in memory (the records
     table's ``nbytes`` / runs); peak RSS of the command's process (the workers apart) for N
     and L replications on 2 workers, and its growth per extra replication (goal: <= 100 B
     from 10,000 to 50,000: chunks go to disk, the summary and the Kaplan-Meier curve are
     read from the stored columns one at a time). A size's peak moves by up to 1.5 MiB from
     run to run with the heap's layout (about 40 B per replication over 40,000):
     ``--memory-repeat R`` runs each size R times and compares the least peaks.
  3. ``--precision P`` (default 0.01) with a cap C against the fixed N that guarantees the same
     95% half-width whatever the probabilities (worst case p = 0.5): n = (1.96 * 0.5 / P)^2,
     9,604 for P = 0.01; on the flagship and on two shipped scenarios with skewed shares.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "kerry_moscow_2016.yaml"
# Shipped scenarios whose outcome shares are far from 1/2, where early stopping pays.
SKEWED = ("no_carrot.yaml", "examples/trade_talks.yaml")


def measure(scenario: Path, runs: int, workers: int, precision: float | None) -> dict[str, Any]:
    """One run in this process; its figures (called in a fresh child process)."""
    from sim import api
    from sim.scenario import load

    model, text = load(scenario), scenario.read_text()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        opts = api.RunOptions(runs=runs, seed=model.seed, workers=workers, precision=precision,
                              out=Path(tmp) / "run")
        t0 = time.perf_counter()
        result = api.execute(model, text, opts)
        wall = time.perf_counter() - t0
        assert result.folder is not None
        disk = (result.folder / "replications.parquet").stat().st_size
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before loading records
        rss_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        mem = result.records.nbytes  # what a notebook holds after reading .records
    n = result.summary["runs"]
    return {"runs": n, "workers": workers, "wall_s": wall, "disk_bytes": disk,
            "mem_bytes": mem, "rss_before_kib": rss0, "rss_peak_kib": rss1,
            "rss_workers_kib": rss_workers,
            "events": result.summary["events"],
            "half_width": max((r["ci"][1] - r["ci"][0]) / 2
                              for r in result.summary["outcomes"].values()),
            "max_pq": max(r["p"] * (1 - r["p"]) for r in result.summary["outcomes"].values())}


def in_child(scenario: Path, runs: int, workers: int, precision: float | None = None
             ) -> dict[str, Any]:
    """``measure`` in a fresh interpreter, so peak RSS is not inherited from earlier runs."""
    cmd = [sys.executable, __file__, str(scenario), "--measure", str(runs), str(workers)]
    if precision is not None:
        cmd += ["--precision", str(precision)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"measurement failed: {' '.join(cmd)}\n{proc.stderr}")
    return json.loads(proc.stdout.splitlines()[-1])


def play(scenario: Path, runs: int) -> float:
    """Wall seconds of ``runs`` replications played in this process (after a warm-up
    of 100), nothing stored: the work a worker does, without the pool."""
    from sim.engine import run_replication
    from sim.running.runner import plan_for
    from sim.scenario import load

    model = load(scenario)
    plan = plan_for(model, model.seed)
    for i in range(100):
        run_replication(plan, i)
    t0 = time.perf_counter()
    for i in range(runs):
        run_replication(plan, i)
    return time.perf_counter() - t0


def ceiling(scenario: Path, runs: int) -> tuple[float, float, float]:
    """The machine's parallel ceiling: seconds of ``runs`` replications in one process alone,
    then the slower of two independent processes playing them at once, and the speed-up
    ``2 * alone / together`` that two perfectly independent workers reach on this machine."""
    cmd = [sys.executable, __file__, str(scenario), "--play", str(runs)]

    def wall(proc: subprocess.Popen[str]) -> float:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"measurement failed: {' '.join(cmd)}\n{err}")
        return float(out.split()[-1])

    alone = wall(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True))
    pair = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    together = max(wall(p) for p in pair)
    return alone, together, 2 * alone / together


def report(args: argparse.Namespace) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    one = in_child(args.scenario, args.n, 1)
    two = in_child(args.scenario, args.n, 2)
    alone, together, top = ceiling(args.scenario, args.n // 2)
    large = in_child(args.scenario, args.large, 2)
    small = two
    for _ in range(args.memory_repeat - 1):  # the least peak of each size: noise only adds
        small = min(small, in_child(args.scenario, args.n, 2), key=lambda r: r["rss_peak_kib"])
        large = min(large, in_child(args.scenario, args.large, 2),
                    key=lambda r: r["rss_peak_kib"])
    fixed_n = (1.96 * 0.5 / args.precision) ** 2
    early = [in_child(path, args.cap, 2, args.precision)
             for path in [args.scenario, *(ROOT / "scenarios" / e for e in SKEWED)]]

    exe = Path(sys.executable)
    exe_shown = exe.relative_to(ROOT) if exe.is_relative_to(ROOT) else exe
    print(f"command: {exe_shown} benchmarks/run.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"scenario: {args.scenario.name}; sim.api.execute with a run folder and plots; "
          f"cores {os.cpu_count()}, load average before {load} (1, 5, 15 min)\n")
    print("speed")
    print(f"  {'workers':>8} {'runs':>8} {'wall s':>8} {'repl/s':>9} {'events/s':>10}")
    for r in (one, two):
        print(f"  {r['workers']:>8} {r['runs']:>8,} {r['wall_s']:>8.2f} "
              f"{r['runs'] / r['wall_s']:>9,.0f} {r['events'] / r['wall_s']:>10,.0f}")
    speedup = one["wall_s"] / two["wall_s"]
    print(f"  speed-up 2w/1w: {speedup:.2f}x   (goal >= 1.8x on an idle 2-core machine; "
          f"{'met' if speedup >= 1.8 else 'NOT met'} at this load)")
    print(f"  the machine's ceiling: {args.n // 2:,} replications played alone in "
          f"{alone:.2f} s, by each of two independent processes at once in {together:.2f} s: "
          f"{top:.2f}x; 2 workers reach {speedup / top:.2f} of it")
    print(f"  {args.n:,} with 2 workers: {two['wall_s']:.2f} s   (goal <= 10 s: "
          f"{'met' if two['wall_s'] <= 10 else 'NOT met'})\n")

    print("size per replication")
    print(f"  on disk (replications.parquet): {two['disk_bytes'] / two['runs']:8.1f} B"
          f"   ({two['disk_bytes'] / 1e6:.2f} MB for {two['runs']:,})")
    print(f"  in memory (records.nbytes):     {two['mem_bytes'] / two['runs']:8.1f} B"
          f"   ({two['mem_bytes'] / 1e6:.2f} MB for {two['runs']:,})\n")

    grow = (large["rss_peak_kib"] - small["rss_peak_kib"]) * 1024
    extra = large["runs"] - small["runs"]
    print(f"peak RSS, 2 workers (fresh process each; the least of {args.memory_repeat} "
          f"at each size)" if args.memory_repeat > 1 else
          "peak RSS, 2 workers (fresh process each)")
    print(f"  {'runs':>8} {'after imports MiB':>18} {'peak MiB':>9} {'largest worker MiB':>19}")
    for r in (small, large):
        print(f"  {r['runs']:>8,} {r['rss_before_kib'] / 1024:>18.1f} "
              f"{r['rss_peak_kib'] / 1024:>9.1f} {r['rss_workers_kib'] / 1024:>19.1f}")
    print(f"  growth {small['runs']:,} -> {large['runs']:,}: {grow / 2**20:.2f} MiB = "
          f"{grow / extra:.0f} B per extra replication   (goal <= 100 B: "
          f"{'met' if grow / extra <= 100 else 'NOT met'}; records read into memory would be "
          f"{large['mem_bytes'] / large['runs']:.0f} B/replication)\n")

    print(f"early stopping: --precision {args.precision} (cap {args.cap:,}, 2 workers) against "
          f"a fixed N = {fixed_n:,.0f} (half-width {args.precision} at p = 0.5)")
    print(f"  {'scenario':<28} {'max p(1-p)':>10} {'runs used':>10} {'half-width':>11} "
          f"{'saved':>7} {'used/fixed':>10} {'wall s':>7}")
    for path, r in zip([args.scenario, *SKEWED], early, strict=True):
        print(f"  {Path(path).name:<28} {r['max_pq']:>10.3f} {r['runs']:>10,} "
              f"{r['half_width']:>11.4f} {fixed_n - r['runs']:>7,.0f} "
              f"{r['runs'] / fixed_n:>10.2f} {r['wall_s']:>7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", type=Path, default=FLAGSHIP)
    parser.add_argument("-n", type=int, default=10_000, help="replications (default 10,000)")
    parser.add_argument("--large", type=int, default=50_000,
                        help="the larger run for RSS growth, against N (default 50,000)")
    parser.add_argument("--memory-repeat", type=int, default=1, metavar="R",
                        help="run N and L R times each (fresh processes) and compare the "
                             "least peak of each: a size's peak moves by up to 1.5 MiB "
                             "from run to run (default 1)")
    parser.add_argument("--precision", type=float, default=0.01)
    parser.add_argument("--cap", type=int, default=50_000, help="the cap with --precision")
    parser.add_argument("--measure", nargs=2, type=int, metavar=("RUNS", "WORKERS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--play", type=int, metavar="RUNS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.play:
        print(f"{play(args.scenario, args.play):.4f}")
        return
    if args.measure:
        runs, workers = args.measure
        precision = args.precision if "--precision" in sys.argv else None
        print(json.dumps(measure(args.scenario, runs, workers, precision)))
        return
    report(args)


if __name__ == "__main__":
    main()
