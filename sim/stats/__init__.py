"""Statistics: pure functions of arrays (intervals, survival, paired differences, sensitivity
indices, Hawkes estimation). Needs only numpy and scipy; imports nothing else from negsim."""

from sim.stats.estimates import (
    Z95,
    deal_timing,
    describe,
    holm,
    mcnemar,
    outcome_table,
    outcome_table_from_counts,
    outcome_table_of_counts,
    paired_difference,
    pairing_gain,
    unpaired_difference,
    wilson_interval,
)
from sim.stats.paired import median_difference
from sim.stats.survival import (
    MIN_AT_RISK,
    ProductLimit,
    at_risk,
    on_grid,
    risk_table,
    survival,
    survival_at,
)

__all__ = ["MIN_AT_RISK", "ProductLimit", "Z95", "at_risk", "risk_table", "survival_at",
           "deal_timing", "describe", "holm", "median_difference", "mcnemar", "on_grid",
           "outcome_table", "outcome_table_from_counts", "outcome_table_of_counts",
           "paired_difference", "pairing_gain", "survival", "unpaired_difference",
           "wilson_interval"]
