"""Bargaining protocols: the registry, Faratin frozen, and the default protocol's closed forms
and directions (issue 19; docs/model.md sections 3-4)."""

from __future__ import annotations

import hashlib
import json

from sim.engine import Plan, run_replication
from sim.scenario import load
from tests.conftest import ROOT

FARATIN_FLAGSHIP = ROOT / "tests" / "data" / "kerry_moscow_2016_faratin.yaml"
# sha256 of 300 replications' records of the flagship as it was before issue 19 (commit 154c89c).
FARATIN_HASH = "c3ee3f2f9950f4252b636c67fdd6a680ceeca529a879a6750e212f61840f9ef4"


def records_hash(plan: Plan, n: int) -> str:
    h = hashlib.sha256()
    for i in range(n):
        row = run_replication(plan, i).row()
        h.update(json.dumps({k: repr(v) for k, v in sorted(row.items())},
                            sort_keys=True).encode())
    return h.hexdigest()


def test_faratin_records_are_frozen() -> None:
    assert records_hash(Plan(load(FARATIN_FLAGSHIP)), 300) == FARATIN_HASH
