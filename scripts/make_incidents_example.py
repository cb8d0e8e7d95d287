"""Make scenarios/examples/incidents_synthetic.csv with negsim's engine.

It plays replication 0 of scenarios/examples/truce_fit_truth.yaml (a truce alone, two parties
and a spoiler, one year) with tracing, and writes every violation and attack as an ACLED-shaped
row (event_date, actor1, event_type, and the exact day). The true parameters are in the file's
header comment. Deterministic: running it again gives the same file (a test checks this).

    python scripts/make_incidents_example.py            # (re)write the file
    python scripts/make_incidents_example.py --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.operations.incidents import simulated

ROOT = Path(__file__).resolve().parent.parent
TRUTH = ROOT / "scenarios" / "examples" / "truce_fit_truth.yaml"
TARGET = ROOT / "scenarios" / "examples" / "incidents_synthetic.csv"


def main() -> int:
    text = simulated(TRUTH.relative_to(ROOT) if Path.cwd() == ROOT else TRUTH)
    if "--check" in sys.argv[1:]:
        same = TARGET.exists() and TARGET.read_text() == text
        print("up to date" if same else f"{TARGET} is out of date")
        return 0 if same else 1
    TARGET.write_text(text)
    print(f"wrote {TARGET} ({text.count(chr(10)) - 3} incidents)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
