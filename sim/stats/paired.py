"""Paired statistics beyond the mean: a difference of medians on common random numbers.

Pure functions of arrays (numpy only), like the rest of :mod:`sim.stats`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

RESAMPLES = 400  # bootstrap resamples: the interval's ends move by about 1% of its width


def median_difference(a: np.ndarray, b: np.ndarray, resamples: int = RESAMPLES,
                      seed: int = 0) -> dict[str, Any]:
    """Median of ``b`` minus median of ``a``, each over its finite values, with a paired
    percentile-bootstrap 95% interval (replications resampled together, so the common
    random numbers that pair them are kept; Efron & Tibshirani 1993, ch. 13).

    ``a`` and ``b`` hold one value per replication (NaN where it does not apply, such as a
    deal day without a deal).

    Returns:
        ``{"diff", "ci", "median_a", "median_b", "n"}``; ``diff`` and ``ci`` are None when
        either array has no finite value.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    med_a, med_b = _median(a), _median(b)
    if med_a is None or med_b is None:
        return {"diff": None, "ci": None, "median_a": med_a, "median_b": med_b, "n": a.size}
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, a.size, size=(resamples, a.size))
    with warnings.catch_warnings():  # a resample without any deal has no median: dropped
        warnings.simplefilter("ignore", RuntimeWarning)
        diffs = np.nanmedian(b[picks], axis=1) - np.nanmedian(a[picks], axis=1)
    diffs = diffs[np.isfinite(diffs)]
    ci = [float(x) for x in np.percentile(diffs, [2.5, 97.5])] if diffs.size else None
    return {"diff": med_b - med_a, "ci": ci, "median_a": med_a, "median_b": med_b,
            "n": int(a.size)}


def _median(x: np.ndarray) -> float | None:
    kept = x[np.isfinite(x)]
    return float(np.median(kept)) if kept.size else None
