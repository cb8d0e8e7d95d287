"""Reading and fitting a million incidents with ``negsim fit`` (scale of the Hawkes fit).

Run: .venv/bin/python benchmarks/fit.py [--rows N] [--repeat R]

Writes an ACLED-like CSV of N incidents (default 1,000,000) spread uniformly over 20 years
among three actors (two parties, one spoiler), then times the whole command as a user runs it
(``python -m sim fit big.csv --spoiler c --json`` in a fresh process: start-up, reading,
the fit with its warm start, the intervals), best of R. Prints the seconds and incidents a
second. Uniform days hold no excitation, so the fitted branching ratio must come out near 0;
the benchmark says so beside the time. Measured here, not asserted by a timed test: the
suite checks the same fit's results on a fifth of the rows (``tests/test_integrity.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def incidents(path: Path, rows: int) -> None:
    """The CSV: ``rows`` incidents on uniform days of 2000-2019 among actors a, b and c."""
    rng = np.random.default_rng(1)
    days = np.sort(rng.integers(0, 7300, rows)).astype("timedelta64[D]")
    dates = (np.datetime64("2000-01-01") + days).astype(str)
    lines = np.char.add(np.char.add(dates, ","), rng.choice(["a", "b", "c"], rows))
    path.write_text("event_date,actor1\n" + "\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="best of R runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        incidents(Path(tmp) / "big.csv", args.rows)
        best, data = float("inf"), {}
        for _ in range(args.repeat):
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "sim", "fit", "big.csv", "--spoiler",
                                   "c", "--json"], cwd=tmp, capture_output=True, text=True,
                                  check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            best = min(best, time.perf_counter() - start)
            data = json.loads(done.stdout)
    ratio = data["branching_ratio"]["estimate"]
    print(f"negsim fit of {args.rows:,} incidents (best of {args.repeat}): {best:.1f} s, "
          f"{args.rows / best:,.0f} incidents/s; branching ratio {ratio:.4f} "
          "(uniform days: near 0)")


if __name__ == "__main__":
    main()
