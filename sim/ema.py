"""negsim inside EMA Workbench: a scenario as an EMA ``Model`` (``sim.ema.model``).

EMA's ``perform_experiments`` samples the uncertainties, calls the model once per experiment
with ``{dotted.path: value}`` and collects its outcomes; here each call is a negsim run of the
scenario with those overrides, and each outcome an outcome's probability (or a metric's
mean). EMA's own analyses (PRIM, feature scoring, robust optimisation) then read negsim's
numbers. EMA Workbench is the ``discover`` extra: ``pip install 'negsim[discover]'``.

    import sim.ema
    from ema_workbench import perform_experiments
    m = sim.ema.model("kerry_moscow_2016", {"deadline.credibility": (0.05, 0.5)},
                      ["no_deal", "escalation"], runs=200)
    experiments, outcomes = perform_experiments(m, 20)
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.api import run
from sim.errors import MissingExtra, UsageError
from sim.scenario.inputs import ScenarioLike, resolve
from sim.scenario.yamlload import plain

INSTALL_HINT = "sim.ema needs EMA Workbench, an optional extra: pip install 'negsim[discover]'"


@dataclass(frozen=True)
class Evaluate:
    """One experiment: a run of the scenario with the sampled values as overrides, its
    outcome probabilities (and metric means) as EMA outcomes. A class, not a closure, so
    EMA's multiprocessing evaluator can pickle it."""

    scenario: ScenarioLike
    outcomes: tuple[str, ...]
    runs: int | None
    seed: int | None

    def __call__(self, **values: Any) -> dict[str, float]:
        result = run(self.scenario, self.runs, self.seed, overrides=plain(values), plots=False)
        shares, metrics = result.summary["outcomes"], result.summary["metrics"]
        return {name: _value(name, shares, metrics) for name in self.outcomes}


def _value(name: str, shares: dict[str, Any], metrics: dict[str, Any]) -> float:
    if name in shares:
        return float(shares[name]["p"])
    mean = metrics.get(name, {}).get("mean")
    return float("nan") if mean is None else float(mean)


def model(scenario: ScenarioLike, uncertainties: Mapping[str, Any],
          outcomes: Sequence[str] | None = None, runs: int | None = None,
          seed: int | None = None, name: str | None = None) -> Any:
    """The scenario as an EMA Workbench ``Model``.

    Args:
        scenario: a path, shipped name, YAML text or Scenario.
        uncertainties: ``{dotted.path: range}``; a range is a tuple ``(low, high)`` (whole
            numbers: an ``IntegerParameter``, else a ``RealParameter``) or a list (or array)
            of values (a ``CategoricalParameter``).
        outcomes: outcome names (their probabilities) or metric names (their means);
            default: every outcome the scenario allows.
        runs, seed: replications and seed of each experiment's run (the same seed in every
            experiment: common random numbers across them).
        name: the model's name in EMA (default: the scenario's).

    Raises:
        ScenarioError: the scenario is not valid.
        UsageError: an uncertainty's range is not ``(low, high)`` or a list.
        MissingExtra: EMA Workbench is not installed.
    """
    ema = _workbench()
    base, _, _ = resolve(scenario)
    from sim.engine.outcomes import possible

    wanted = tuple(outcomes) if outcomes is not None else tuple(possible(base))
    label = re.sub(r"[^A-Za-z0-9]", "", name or base.name) or "negsim"  # EMA: alphanumeric
    m = ema.Model(label, function=Evaluate(scenario, wanted, runs, seed))
    m.uncertainties = [_parameter(ema, path, spec) for path, spec in uncertainties.items()]
    m.outcomes = [ema.ScalarOutcome(o) for o in wanted]
    return m


def _parameter(ema: Any, path: str, spec: Any) -> Any:
    is_range = isinstance(spec, tuple)  # (low, high); a list is the values themselves
    spec = plain(spec)
    if is_range and len(spec) == 2 and all(isinstance(x, int | float) for x in spec):
        low, high = spec
        if isinstance(low, int) and isinstance(high, int):
            return ema.IntegerParameter(path, low, high)
        return ema.RealParameter(path, float(low), float(high))
    if isinstance(spec, list) and spec:
        return ema.CategoricalParameter(path, spec)
    raise UsageError(f"uncertainty {path}: expected (low, high) or a list of values, "
                     f"got {spec!r:.60}")


def _workbench() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EMA warns at import about optional back ends
        try:
            import ema_workbench
        except ImportError:
            raise MissingExtra(INSTALL_HINT) from None
    return ema_workbench


__all__ = ["model", "Evaluate"]
