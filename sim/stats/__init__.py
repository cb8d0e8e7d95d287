"""Statistics: pure functions of arrays (intervals, survival, paired differences, sensitivity
indices, Hawkes estimation). Needs only numpy and scipy; imports nothing else from negsim."""

from sim.stats.estimates import (
    MIN_AT_RISK,
    Z95,
    at_risk,
    deal_timing,
    describe,
    holm,
    mcnemar,
    on_grid,
    outcome_table,
    outcome_table_from_counts,
    paired_difference,
    pairing_gain,
    risk_table,
    survival,
    survival_at,
    unpaired_difference,
    wilson_interval,
)
from sim.stats.paired import median_difference

__all__ = ["MIN_AT_RISK", "Z95", "at_risk", "risk_table", "survival_at", "deal_timing",
           "describe", "holm", "median_difference", "mcnemar", "on_grid", "outcome_table",
           "outcome_table_from_counts", "paired_difference", "pairing_gain", "survival",
           "unpaired_difference", "wilson_interval"]
