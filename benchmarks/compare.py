"""Variance reduction of paired comparisons (common random numbers) on the flagship.

Run: .venv/bin/python benchmarks/compare.py [-n N] [-R R] [--workers W]

For each small change to the flagship (``--vs PATH=VALUE`` as ``negsim compare`` takes it) and
each outcome, the factor Var(unpaired difference) / Var(paired difference), estimated two ways:

  (a) from one paired run, as ``negsim compare`` reports it (``pairing_gain``: the variance of
      the two arms' indicators summed, over the variance of the per-pair differences); shown
      for the run at the first seed and averaged over the R seeds;
  (b) empirically: R repetitions with different seeds. Paired: both arms on seed s_r, the
      estimate is the difference of the outcome shares. Independent: the variant on another
      seed s_{R+r}. The factor is the variance of the independent estimates across the R
      repetitions over that of the paired ones (the 90% interval is the F interval with
      R-1 and R-1 df; approximate, since both estimates share the baseline arm).

Goal: a factor of at least 4 for the outcomes the change moves. Outcomes a change leaves
identical in every pair (e.g. no_deal when only the truce is touched) have an infinite factor.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
from scipy import stats as sps

from sim.engine.outcomes import possible
from sim.operations import comparison as cmp
from sim.running.runner import chunks, run_chunks
from sim.scenario import load
from sim.scenario.overrides import load_with

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "kerry_moscow_2016.yaml"
OUTCOMES = possible(load(FLAGSHIP))  # the outcomes the flagship can end in
CHANGES = (
    "actors.russia.leverage.assad=0.6",     # baseline: triangular(0.3, 0.5, 0.8), mean 0.533
    "effects.intel_carrot.per_unit=-0.5",   # baseline: -0.4
)
GOAL = 4.0


def simulate(path: str, change: str | None, seed: int, runs: int) -> pa.Table:
    """One arm: the scenario (with the change, if any) on replications 0..runs-1."""
    model, _ = load_with(path, [change] if change else [])
    return pa.Table.from_batches(list(run_chunks(model, seed, chunks(0, runs), 1)))


def shares(table: pa.Table) -> dict[str, float]:
    out = table.column("outcome").to_numpy(zero_copy_only=False)
    return {name: float(np.mean(out == name)) for name in OUTCOMES}


def one_run_gains(base: pa.Table, variant: pa.Table) -> dict[str, float | None]:
    """pairing_gain per outcome through sim.operations.comparison.analyse, as compare.json
    reports it."""
    text = FLAGSHIP.read_text()
    arms = [cmp.Arm("baseline", "b", "b", text, 0, table=base),
            cmp.Arm("variant", "v", "v", text, 0, table=variant)]
    diffs = cmp.analyse(arms, paired=True)["comparisons"][0]["diff"]["outcomes"]
    return {name: diffs[name]["pairing_gain"] for name in OUTCOMES}


def fmt(x: float | None, spec: str = ".2f") -> str:
    if x is None:
        return "—"
    if np.isinf(x):
        return "∞"
    return format(x, spec)


def report(change: str, base: list[pa.Table], paired: list[pa.Table], indep: list[pa.Table],
           runs: int, seed: int) -> list[tuple[str, str, float | None]]:
    """Print one change's table; return (change, outcome, empirical factor) rows."""
    reps = len(base)
    gains = [one_run_gains(b, v) for b, v in zip(base, paired, strict=True)]
    sb = [shares(t) for t in base]
    sp = [shares(t) for t in paired]
    si = [shares(t) for t in indep]
    f_lo, f_hi = sps.f.ppf([0.95, 0.05], reps - 1, reps - 1)
    print(f"\nchange: {change}")
    print(f"  one paired run: negsim compare {FLAGSHIP.relative_to(ROOT)} --vs {change} "
          f"-n {runs} --seed {seed}")
    head = (f"  {'outcome':16s} {'p base':>7s} {'diff':>8s} {'(a) one run':>12s} "
            f"{'(a) mean R':>11s} {'Var indep':>10s} {'Var paired':>11s} {'(b) factor':>11s} "
            f"{'90% interval':>16s} {'goal>=4':>8s}")
    print(head)
    print("  " + "-" * (len(head) - 2))
    rows: list[tuple[str, str, float | None]] = []
    for name in OUTCOMES:
        d_paired = np.array([p[name] - b[name] for b, p in zip(sb, sp, strict=True)])
        d_indep = np.array([i[name] - b[name] for b, i in zip(sb, si, strict=True)])
        var_p, var_i = float(d_paired.var(ddof=1)), float(d_indep.var(ddof=1))
        factor = var_i / var_p if var_p > 0 else (np.inf if var_i > 0 else None)
        finite = [g[name] for g in gains if g[name] is not None]
        mean_gain = float(np.mean(finite)) if len(finite) == reps else np.inf
        lo = hi = None
        if factor is not None and np.isfinite(factor):
            lo, hi = factor / f_lo, factor / f_hi
        interval = f"[{fmt(lo, '.1f')}, {fmt(hi, '.1f')}]" if lo is not None else ""
        moved = bool(np.any(d_paired != 0))
        verdict = ("yes" if factor is not None and factor >= GOAL else "NO") if moved \
            else "(unmoved)"
        print(f"  {name:16s} {np.mean([b[name] for b in sb]):7.3f} {d_paired.mean():+8.4f} "
              f"{fmt(gains[0][name] if gains[0][name] is not None else np.inf):>12s} "
              f"{fmt(mean_gain):>11s} {var_i:10.2e} {var_p:11.2e} {fmt(factor):>11s} "
              f"{interval:>16s} {verdict:>8s}")
        rows.append((change, name, factor))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=1000, help="replications per arm")
    parser.add_argument("-R", "--reps", type=int, default=20, help="repetitions (seeds)")
    parser.add_argument("--seed", type=int, default=20160712, help="first seed")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    n, reps, s0 = args.runs, args.reps, args.seed
    path = str(FLAGSHIP)

    print("Variance reduction of paired comparisons (common random numbers)")
    print(f"command: .venv/bin/python benchmarks/compare.py -n {n} -R {reps} --seed {s0} "
          f"--workers {args.workers}")
    print(f"scenario {FLAGSHIP.name}; {n} replications per arm; R = {reps}; paired seeds "
          f"{s0}..{s0 + reps - 1}, independent variant seeds {s0 + reps}..{s0 + 2 * reps - 1}")

    # Tasks: the baseline on R seeds (shared), each change on the same R seeds and on R others.
    tasks: list[tuple[str | None, int]] = [(None, s0 + r) for r in range(reps)]
    for change in CHANGES:
        tasks += [(change, s0 + r) for r in range(2 * reps)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        tables = list(pool.map(simulate, [path] * len(tasks), [c for c, _ in tasks],
                               [s for _, s in tasks], [n] * len(tasks)))
    wall = time.perf_counter() - t0
    results = dict(zip(tasks, tables, strict=True))
    base = [results[(None, s0 + r)] for r in range(reps)]

    rows = []
    for change in CHANGES:
        paired = [results[(change, s0 + r)] for r in range(reps)]
        indep = [results[(change, s0 + reps + r)] for r in range(reps)]
        rows += report(change, base, paired, indep, n, s0)

    moved = [(c, o, f) for c, o, f in rows if f is not None and np.isfinite(f)]
    worst = min(moved, key=lambda r: r[2]) if moved else None
    print(f"\n{len(tasks)} arm runs of {n} replications in {wall:.1f} s on {args.workers} "
          f"worker(s) ({len(tasks) * n / wall:,.0f} replications/s)")
    if worst is not None:
        print(f"smallest empirical factor (b): {worst[2]:.1f} ({worst[1]}, {worst[0]}); "
              f"goal >= {GOAL:g}: {'met' if worst[2] >= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
