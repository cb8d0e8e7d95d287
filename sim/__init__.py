"""negsim: negotiation and truce scenario simulator.

From Python::

    import sim
    result = sim.run("scenarios/kerry_moscow_2016.yaml", runs=2000, seed=7)
    result                      # one screen: outcome shares with intervals
    result.outcomes, result.metrics, result.to_pandas()      # DataFrames
    sim.compare("scenarios/kerry_moscow_2016.yaml", variants=[{"deadline.credibility": 0.5}])
    sim.sweep("scenarios/kerry_moscow_2016.yaml", {"actors.russia.leverage.assad": "0:1:6"})
    sim.trace("scenarios/kerry_moscow_2016.yaml", outcome="no_deal")
    sim.discover("results/RUN_FOLDER", "no_deal").box          # PRIM: what leads to no deal
    sim.verify("results/RUN_FOLDER")           # files and numbers as negsim wrote them
"""

from typing import Any

from sim.errors import EngineError, NegsimError, ScenarioError, StorageError, UsageError

__version__ = "0.1.0"

__all__ = ["run", "compare", "sweep", "trace", "discover", "tornado", "verify", "RunResult",
           "CompareResult", "SweepResult", "TraceResult", "DiscoverResult", "TornadoResult",
           "load", "loads", "Scenario",
           "NegsimError", "ScenarioError", "UsageError", "EngineError", "StorageError",
           "__version__"]


def __getattr__(name: str) -> Any:
    # The format (pydantic) and the run machinery (pyarrow, matplotlib) load on first use,
    # keeping `negsim --version` and `negsim validate` quick.
    if name == "ema":  # the EMA Workbench bridge (the discover extra), loaded when asked for
        import importlib

        return importlib.import_module("sim.ema")
    if name in ("Scenario", "load", "loads"):
        from sim import scenario

        return getattr(scenario, name)
    if name in ("run", "compare", "sweep", "trace", "discover", "tornado", "verify",
                "RunResult", "CompareResult", "SweepResult", "TraceResult", "DiscoverResult",
                "TornadoResult"):
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
