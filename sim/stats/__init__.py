"""Statistics: pure functions of arrays (intervals, survival, paired differences, sensitivity
indices, Hawkes estimation). Needs only numpy and scipy; imports nothing else from negsim."""

from sim.stats.estimates import (
    Z95,
    deal_timing,
    describe,
    holm,
    mcnemar,
    on_grid,
    outcome_table,
    outcome_table_from_counts,
    paired_difference,
    pairing_gain,
    survival,
    unpaired_difference,
    wilson_interval,
)

__all__ = ["Z95", "deal_timing", "describe", "holm", "mcnemar", "on_grid", "outcome_table",
           "outcome_table_from_counts", "paired_difference", "pairing_gain", "survival",
           "unpaired_difference", "wilson_interval"]
