"""One-at-a-time sensitivity on common random numbers: the decision analyst's tornado.

Each uncertain input (every distribution in the scenario, by dotted path, and every path a
user names with its own low and high values) is fixed in turn at its 10th and then its 90th
percentile while every other input stays drawn. All arms run the same replications with the
same seed, and every input is drawn by inversion from a stream named after its path, so
replication ``i`` of an arm sees the base run's draws of every other input and the same
meetings, attacks and violations: each arm's difference from the base run is paired, and an
input's *swing* is the high arm's difference minus the low arm's (Howard & Matheson 1984;
Clemen & Reilly, *Making Hard Decisions*, ch. 5).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim import stats
from sim.engine.outcomes import possible
from sim.errors import ScenarioError, UsageError
from sim.operations.comparison import Arm, outcome_names, simulate
from sim.running.executor import Executor
from sim.running.precision import Stopping
from sim.scenario import Scenario, budgets
from sim.scenario.inputs import ScenarioLike, document, resolve
from sim.scenario.overrides import parse_assignment
from sim.scenario.yamlload import flow

LOW, HIGH = 0.10, 0.90  # the percentiles each input is moved to (Clemen's 10-50-90)
DEAL = "deal"  # the measure P(deal): any deal reached in the window
MEDIAN_DAY = "median_deal_day"
_KINDS = ("uniform", "normal", "triangular", "choice")


@dataclass(frozen=True)
class Lever:
    """An input the tornado moves: its dotted path, the values of its low and high arms,
    and where they came from (``drawn``: the scenario's distribution; ``set``: the user)."""

    path: str
    low: float
    high: float
    source: str
    spread: str  # the distribution or the values named, as text


def quantiles(dist: dict[str, Any]) -> tuple[float, float]:
    """The 10th and 90th percentiles of a scenario distribution (scipy.stats).

    A ``choice`` is a discrete uniform over its sorted values: its p-quantile is the
    smallest value whose cumulative share reaches p.
    """
    from scipy import stats as sps  # loaded by a tornado, not with every command

    kind, args = next(iter(dist.items()))
    values = [float(x) for x in args]
    if kind == "choice":
        ranked_values = sorted(values)
        index = sps.randint(0, len(ranked_values))
        return ranked_values[int(index.ppf(LOW))], ranked_values[int(index.ppf(HIGH))]
    law = _law(kind, values)
    if law is None:  # a point (zero width): scipy's degenerate law would give NaN
        return values[0], values[0]
    return float(law.ppf(LOW)), float(law.ppf(HIGH))


def _law(kind: str, values: list[float]) -> Any:
    """The scipy.stats law of a continuous scenario distribution (None: zero width)."""
    from scipy import stats as sps

    if kind == "uniform":
        return sps.uniform(values[0], values[1] - values[0]) if values[1] > values[0] else None
    if kind == "normal":
        return sps.norm(values[0], values[1]) if values[1] > 0 else None
    lo, mode, hi = values
    return sps.triang((mode - lo) / (hi - lo), lo, hi - lo)


def distributions(data: Any, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every distribution in a scenario document, by the dotted path ``--set`` takes."""
    if isinstance(data, dict):
        if len(data) == 1 and next(iter(data)) in _KINDS:
            yield prefix, data
            return
        for key, value in data.items():
            yield from distributions(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        for k, value in enumerate(data):
            yield from distributions(value, f"{prefix}.{k}")


def levers(scenario: ScenarioLike, named: list[str]) -> list[Lever]:
    """The inputs to move: the scenario's distributions, then (replacing one of the same
    path) each ``PATH=LOW,HIGH`` or ``PATH=DISTRIBUTION`` named.

    Raises:
        UsageError: nothing to move, or a named lever without two values or a distribution.
        ScenarioError: a named path that is not in the scenario, or a value it refuses.
    """
    base, _, _ = resolve(scenario)
    given = [_named(base, text) for text in named]  # first: a bad one is refused at once
    replaced = {lever.path for lever in given}
    found = {p: _drawn(base, p, d) for p, d in distributions(document(scenario).data)
             if p not in replaced}
    for lever in given:
        found.pop(lever.path, None)
        found[lever.path] = lever
    if not found:
        raise UsageError(f"{base.name} has no drawn inputs (no distributions) to move; name "
                         "levers with <<set>> PATH=LOW,HIGH")
    return list(found.values())


def _drawn(base: Scenario, path: str, dist: dict[str, Any]) -> Lever:
    low, high = (_admissible(base, path, q) for q in quantiles(dist))
    kind, args = next(iter(dist.items()))
    return Lever(path, low, high, "drawn", f"{kind} {[float(x) for x in args]}")


def _named(base: Scenario, text: str) -> Lever:
    """A lever from ``PATH=LOW,HIGH`` (values as named) or ``PATH={dist: [...]}``.

    Raises:
        UsageError: neither two numbers nor a distribution.
        ScenarioError: the path or the values are refused by the scenario.
    """
    parts, value = parse_assignment(text, "set")
    path = ".".join(parts)
    if isinstance(value, str) and value.count(",") == 1:
        value = [_number(text, v) for v in value.split(",")]
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _KINDS:
        # The distribution is an override as ``negsim run --set`` takes it: validated by
        # the same loader, with the same message, before its percentiles are read (a
        # reversed uniform or a negative rate would otherwise give a point or be clipped).
        resolve(base, [text], via="set")
        q = quantiles(value)
        low, high = (_admissible(base, path, x) for x in q)
        return Lever(path, low, high, "set", flow(value))
    if isinstance(value, list) and len(value) == 2:
        low, high = (_number(text, v) for v in value)
        for x in (low, high):
            _check(base, path, x)
        return Lever(path, low, high, "set", f"{low:g}, {high:g}")
    raise UsageError(f"<<set>> {text}: expected PATH=LOW,HIGH (two numbers) or "
                     "PATH={uniform: [a, b]} (a distribution whose 10th and 90th percentiles "
                     "are used)")


def _number(text: str, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if isinstance(value, bool) or not math.isfinite(x):
        raise UsageError(f"<<set>> {text}: {value!r} is not a finite number")
    return x


def _check(base: Scenario, path: str, value: float) -> None:
    resolve(base, {path: value}, via="set")


def _admissible(base: Scenario, path: str, q: float) -> float:
    """``q`` as the engine uses a draw: clipped to the field's range (a normal's tail may
    leave it; the engine clips such draws, so a fixed value is clipped the same way).

    Raises:
        ScenarioError: no clipped value is accepted (a path the scenario does not have).
    """
    tries = [q, max(q, 0.0), max(q, 1e-9), min(max(q, 0.0), 1.0)]
    for value in dict.fromkeys(tries):
        try:
            _check(base, path, value)
            return value
        except ScenarioError as exc:
            problem = exc
    raise problem


def run_tornado(scenario: ScenarioLike, moved: list[Lever], runs: int, seed: int,
                executor: Executor, progress: Callable[[int], None] | None = None
                ) -> dict[str, Any]:
    """Run the base arm and each lever's low and high arms on common random numbers.

    Returns:
        tornado.json: the base run's measures, and per lever (sorted by swing later) each
        measure's paired difference (with 95% interval) at its low and high values.

    Raises:
        UsageError: more replications than the budget allows.
    """
    budgets.check_runs(runs * (1 + 2 * len(moved)),
                       f"<<runs>> {runs:,} × {1 + 2 * len(moved)} arms =",
                       budgets.MAX_RUNS_IN_MEMORY)
    t0 = time.perf_counter()
    arms = _arms(scenario, moved)
    simulate(arms, Stopping(None, runs), seed, executor, progress)
    measures = _measures(arms)
    base = _values(arms[0])
    rows = [_lever_row(lever, base, arms[1 + 2 * k], arms[2 + 2 * k], measures, seed)
            for k, lever in enumerate(moved)]
    return {"scenario": arms[0].scenario, "source": arms[0].source, "seed": seed, "runs": runs,
            "percentiles": [LOW, HIGH], "measures": measures,
            "base": {m: _base_value(m, _column(base, m, runs)) for m in measures}, "levers": rows,
            "wall_s": round(time.perf_counter() - t0, 3)}


def _arms(scenario: ScenarioLike, moved: list[Lever]) -> list[Arm]:
    model, text, source = resolve(scenario)
    arms = [Arm("base", model.name, source, text, model.seed, model=model)]
    for lever in moved:
        for side, value in (("low", lever.low), ("high", lever.high)):
            m, t, _ = resolve(scenario, {lever.path: value}, via="set")
            arms.append(Arm(f"{lever.path} {side}", m.name, source, t, m.seed, model=m))
    return arms


def _measures(arms: list[Arm]) -> list[str]:
    """Outcome names, then P(deal) and the median deal day when the scenario negotiates."""
    names = list(outcome_names(arms))
    model = arms[0].model
    if model is not None and model.negotiation is not None:
        names += [DEAL, MEDIAN_DAY]
    return names


def _values(arm: Arm) -> dict[str, np.ndarray]:
    """Per replication: an indicator per outcome, ``deal``, and the deal day (NaN: none)."""
    assert arm.table is not None
    out = {str(n): (arm.outcomes() == n).astype(float) for n in set(arm.outcomes())}
    if "deal" in arm.table.column_names:
        out[DEAL] = np.asarray(arm.table.column("deal").to_pylist(), float)
        out[MEDIAN_DAY] = np.array([math.nan if d is None else d
                                    for d in arm.table.column("deal_day").to_pylist()], float)
    return out


def _column(values: dict[str, np.ndarray], name: str, n: int) -> np.ndarray:
    return values.get(name, np.zeros(n))


def _base_value(measure: str, x: np.ndarray) -> float | None:
    """The base run's probability of a measure, or its median deal day (None: no deal)."""
    if measure != MEDIAN_DAY:
        return float(np.mean(x)) if x.size else None
    kept = x[np.isfinite(x)]
    return float(np.median(kept)) if kept.size else None


def _lever_row(lever: Lever, base: dict[str, np.ndarray], low: Arm, high: Arm,
               measures: list[str], seed: int) -> dict[str, Any]:
    lo, hi = _values(low), _values(high)
    n = next(iter(base.values())).size
    cells = {}
    for m in measures:
        a = _column(base, m, n)
        sides = {side: _difference(a, _column(v, m, n), m, seed)
                 for side, v in (("low", lo), ("high", hi))}
        swing = (None if sides["low"]["diff"] is None or sides["high"]["diff"] is None
                 else sides["high"]["diff"] - sides["low"]["diff"])
        cells[m] = {**sides, "swing": swing}
    return {"path": lever.path, "source": lever.source, "spread": lever.spread,
            "low": lever.low, "high": lever.high, "measures": cells}


def _difference(a: np.ndarray, b: np.ndarray, measure: str, seed: int) -> dict[str, Any]:
    """The arm's value and its paired difference from the base run, with a 95% interval."""
    if measure == MEDIAN_DAY:
        d = stats.median_difference(a, b, seed=seed)
        return {"value": d["median_b"], "diff": d["diff"], "ci": d["ci"]}
    d = stats.paired_difference(a, b)
    ci = None if d["ci"] is None else [max(-1.0, d["ci"][0]), min(1.0, d["ci"][1])]
    return {"value": float(np.mean(b)), "diff": d["diff"], "ci": ci}


def default_measure(result: dict[str, Any]) -> str:
    """What the chart ranks by unless told: the base run's most frequent outcome short of
    certain (an outcome with p = 1 cannot move up). The answer most replications give is
    the one a reader asks about first; P(deal) is often near 1 when talks are likely to
    close at some point, and then it barely moves (``--outcome deal`` ranks by it)."""
    base = result["base"]
    outcomes = [m for m in result["measures"] if m not in (DEAL, MEDIAN_DAY)]
    open_ = [m for m in outcomes if (base[m] or 0.0) < 1.0] or outcomes
    return max(open_, key=lambda m: base[m] or 0.0)


def check_measure(model: Scenario, measure: str | None) -> None:
    """Refuse, before any replication runs, a measure the tornado cannot rank by.

    Raises:
        UsageError: not an outcome the scenario can have, ``deal`` or ``median_deal_day``.
    """
    allowed = list(possible(model)) + ([DEAL, MEDIAN_DAY] if model.negotiation else [])
    if measure is not None and measure not in allowed:
        raise UsageError(f"<<outcome>> {measure!r}: expected one of {', '.join(allowed)}")


def ranked(result: dict[str, Any], measure: str) -> list[dict[str, Any]]:
    """The levers by the size of their swing on ``measure``, largest first (ties: path).

    Raises:
        UsageError: a measure the tornado did not compute.
    """
    if measure not in result["measures"]:
        raise UsageError(f"<<outcome>> {measure!r}: expected one of "
                         f"{', '.join(result['measures'])}")

    def size(row: dict[str, Any]) -> float:
        swing = row["measures"][measure]["swing"]
        return -abs(swing) if swing is not None else math.inf

    return sorted(result["levers"], key=lambda r: (size(r), r["path"]))


__all__ = ["Lever", "levers", "quantiles", "distributions", "run_tornado", "default_measure",
           "check_measure",
           "ranked", "LOW", "HIGH", "DEAL", "MEDIAN_DAY"]
