# %% [markdown]
# # negsim from a notebook
#
# A plain script with `# %%` cells (VS Code, Jupyter via jupytext, Spyder run them one by one).
# It sweeps Kerry's deadline credibility with `np.linspace`, reads the sensitivity ranking as
# a DataFrame, runs negsim inside EMA Workbench's `perform_experiments` (the `discover`
# extra: `pip install 'negsim[discover]'`) and reads EMA's feature scores, and ends with the
# tornado of every judgement in the flagship scenario.
#
# Sizes are the README's; `NEGSIM_NOTEBOOK_SMALL=1` (or `python examples/notebook.py
# --small`) makes every step small enough for a test.

# %%
import os
import sys

import numpy as np
import pandas as pd

import sim

SMALL = "--small" in sys.argv or os.environ.get("NEGSIM_NOTEBOOK_SMALL") == "1"
RUNS = 30 if SMALL else 500  # replications per point, experiment or arm
POINTS = 3 if SMALL else 7  # sweep points
EXPERIMENTS = 6 if SMALL else 40  # EMA experiments
pd.set_option("display.width", 120, "display.max_columns", 12)

# %% [markdown]
# ## A sweep with numpy: how does the deadline's credibility move the outcomes?

# %%
sweep = sim.sweep("kerry_moscow_2016",
                  {"deadline.credibility": np.linspace(0.05, 0.5, POINTS)}, runs=RUNS)
print(sweep)
print(sweep.to_pandas()[["deadline.credibility", "p_truce_collapsed", "p_escalation"]])

# %% [markdown]
# The ranking of what moves each outcome, one row per outcome and parameter: SRC with its R^2,
# and PAWN (a distribution-based index that also sees non-linear effects) with its
# permutation null.

# %%
importance = sweep.importance
print(importance[["outcome", "parameter", "src", "r2", "pawn", "pawn_null", "noise"]])

# %% [markdown]
# ## negsim inside EMA Workbench
#
# `sim.ema.model` wraps the scenario as an EMA `Model`: each experiment is a negsim run with
# the sampled values as overrides (the same seed in every experiment: common random
# numbers), each EMA outcome an outcome's probability.

# %%
from ema_workbench import perform_experiments  # noqa: E402
from ema_workbench.analysis import feature_scoring  # noqa: E402

import sim.ema  # noqa: E402

model = sim.ema.model("kerry_moscow_2016",
                      {"deadline.credibility": (0.05, 0.5),
                       "actors.russia.leverage.assad": (0.3, 0.8)},
                      ["truce_collapsed", "escalation"], runs=RUNS)
experiments, outcomes = perform_experiments(model, EXPERIMENTS)
results = experiments[["deadline.credibility", "actors.russia.leverage.assad"]].assign(
    **{name: values for name, values in outcomes.items()})
print(results.head())

# %% [markdown]
# EMA's feature scoring (extra trees) ranks the uncertainties per outcome.

# %%
scores = feature_scoring.get_feature_scores_all(
    experiments[["deadline.credibility", "actors.russia.leverage.assad"]], outcomes)
print(scores)

# %% [markdown]
# ## Which judgements drive the answer? The tornado
#
# Every distribution in the scenario, fixed in turn at its 10th and 90th percentile while the
# others stay drawn; paired differences from the base run.

# %%
tornado = sim.tornado("kerry_moscow_2016", runs=RUNS)
table = tornado.table
print(table[table["measure"] == tornado.measure][["input", "low", "high", "low_diff",
                                                   "high_diff", "swing"]])
