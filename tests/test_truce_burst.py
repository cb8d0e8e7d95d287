"""The truce's inlined violation loop (``Truce._burst``, issue 22) plays exactly what the
general loop (``_strike`` and ``_next``, one call each per violation) plays: the same draws,
the same floating-point operations in the same order, so every record is the same, for a
truce alone, for several mutually exciting parties, and for a monitored truce whose rule
ends it in the middle of a run of violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim.engine import Plan, build, run_replication
from sim.engine.truce import Truce
from sim.scenario import load

ROOT = Path(__file__).resolve().parent.parent
CASES = [  # (scenario, replications, horizon or None)
    ("scenarios/examples/truce_hawkes.yaml", 5, 3000.0),  # one party, no rule: ~2,000 each
    ("scenarios/examples/truce_fit_truth.yaml", 20, None),  # two parties exciting each other
    ("scenarios/examples/truce_poisson.yaml", 40, None),  # a threshold ends it
    ("scenarios/kerry_moscow_2016.yaml", 60, None),  # monitored, attributed, rules, talks
    pytest.param("scenarios/dayton_1995.yaml", 40, None, marks=pytest.mark.slow),  # 2 s
]


def _plan(path: str, horizon: float | None) -> Plan:
    scenario = load(ROOT / path)
    if horizon is not None:
        scenario = scenario.model_copy(update={"horizon_days": horizon})
    return Plan(scenario)


def _rows(plan: Plan, n: int) -> list[dict[str, Any]]:
    return [run_replication(plan, i).row() for i in range(n)]


@pytest.mark.parametrize(("path", "n", "horizon"), CASES)
def test_the_inlined_loop_plays_what_the_general_loop_plays(
        path: str, n: int, horizon: float | None, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _plan(path, horizon)
    truce = build(plan, 0).truce
    assert truce is not None and truce.fast  # the inlined loop is the one these take
    fast = _rows(plan, n)
    refresh = Truce._refresh_mu

    def general(self: Truce, i: int) -> None:
        refresh(self, i)
        self.fast = False

    monkeypatch.setattr(Truce, "_refresh_mu", general)
    assert build(plan, 0).truce.fast is False  # type: ignore[union-attr]
    slow = _rows(plan, n)
    assert sum(sum(r[c] for c in r if c.startswith("violations_") and
                   c != "violations_per_truce_day") for r in fast) > 0
    assert repr(fast) == repr(slow)  # repr: NaN equals NaN, floats bit for bit


def test_a_base_rate_of_zero_or_a_ramp_leaves_the_inlined_loop() -> None:
    plan = _plan("scenarios/examples/truce_hawkes.yaml", None)
    truce = build(plan, 0).truce
    assert truce is not None and truce.fast
    truce.live.modify(truce.keys[0], "test", 0.0)  # LiveParams tells the truce: rate 0
    assert truce.mu == [0.0] and not truce.fast
    truce.live.modify(truce.keys[0], "test", None)
    assert truce.mu == [0.4] and truce.fast
