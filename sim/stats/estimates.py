"""Statistics of a run: pure functions on arrays, with no knowledge of scenarios or engines.

Outcome probabilities with Wilson intervals, metric summaries with t-intervals and the timing
of deals against a deadline (Kaplan-Meier truce survival: :mod:`sim.stats.survival`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import ndtri, stdtr, stdtrit

# The normal and t quantiles and tails come from scipy.special, the functions scipy.stats'
# norm and t call themselves (the same floats: tests/test_stats.py): importing scipy.stats
# would add about a second to every command's start (it loads scipy.optimize and more).
Z95: float = float(ndtri(0.975))

_QUANTILES = (0.05, 0.5, 0.95)
_LAST_FIFTH = 0.8


# --- outcome probabilities -------------------------------------------------------------------


def wilson_interval(count: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Args:
        count: Number of successes.
        n: Number of trials.
        confidence: Confidence level of the interval, in (0, 1).

    Returns:
        The interval ``(lo, hi)``; ``(0.0, 1.0)`` when ``n`` is 0.

    Raises:
        ValueError: If ``count`` is not between 0 and ``n``.
    """
    if not 0 <= count <= n:
        raise ValueError(f"count(={count}) must be between 0 and n(={n}).")
    if not 0 <= confidence <= 1:
        raise ValueError(f"confidence(={confidence}) must be in [0, 1].")
    if n == 0:
        return 0.0, 1.0
    # Newcombe (1998), method 3, with scipy's operations in scipy's order (its
    # ``binomtest(k, n).proportion_ci(method="wilson")``, bit for bit), without the test's
    # p-value, which summed the binomial pmf: most of a small run's summary.
    k, n = int(count), int(n)
    p, z = k / n, ndtri(0.5 + 0.5 * confidence)
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    delta = z / denom * math.sqrt(4 * n * p * (1 - p) + z**2)
    return (0.0 if k == 0 else float(center - delta)), (1.0 if k == n else float(center + delta))


def outcome_table(outcomes: np.ndarray | Sequence[str], names: Sequence[str]) -> dict[str, dict]:
    """Probability, Wilson interval and count of every named outcome.

    Args:
        outcomes: One outcome name per replication.
        names: Every possible outcome, in the order the table should list them.

    Returns:
        ``{name: {"p": float, "ci": [lo, hi], "count": int}}`` for every name in ``names``,
        with ``p = 0`` and ``count = 0`` for names that never occurred.

    Raises:
        ValueError: If an outcome is not one of ``names``.
    """
    return outcome_table_of_counts(Counter(str(o) for o in outcomes), names)


def outcome_table_of_counts(counts: Mapping[str, int], names: Sequence[str]
                            ) -> dict[str, dict]:
    """:func:`outcome_table` from the count of each outcome that occurred.

    Raises:
        ValueError: If an outcome counted is not one of ``names``.
    """
    unknown = sorted(set(counts) - set(names))
    if unknown:
        raise ValueError(f"outcome(={unknown[0]!r}) is not one of {list(names)}.")
    n = sum(counts.values())
    return {name: _outcome_row(counts.get(name, 0), n) for name in names}


def outcome_table_from_counts(counts: dict[str, int]) -> dict[str, dict]:
    """Probability, Wilson interval and count of each named count (a partition of the runs).

    Args:
        counts: ``{name: count}``; the counts sum to the number of replications.

    Returns:
        ``{name: {"p", "ci": [lo, hi], "count"}}`` in the order given.
    """
    n = sum(counts.values())
    return {name: _outcome_row(c, n) for name, c in counts.items()}


def _outcome_row(count: int, n: int) -> dict[str, Any]:
    lo, hi = wilson_interval(count, n)
    return {"p": count / n if n else 0.0, "ci": [lo, hi], "count": count}


# --- metric summaries ------------------------------------------------------------------------


def describe(values: np.ndarray, low: float | None = None,
             high: float | None = None) -> dict:
    """Mean, spread, quantiles and a 95% t-interval for the mean, ignoring NaNs.

    Args:
        values: The metric, one value per replication; NaN where undefined.
        low, high: The range the metric can take (a count is never below 0): the interval
            is clipped to it.

    Returns:
        ``{"mean", "sd", "q05", "q50", "q95", "n", "ci": [lo, hi]}`` as Python numbers. ``sd``
        uses ``ddof=1`` and is 0.0 for a single value, whose interval is None (one value says
        nothing about its spread). With no values, everything is None except ``"n": 0``.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return {"mean": None, "sd": None, "q05": None, "q50": None, "q95": None, "n": 0,
                "ci": None}
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if x.size > 1 else 0.0
    q05, q50, q95 = (float(q) for q in np.quantile(x, _QUANTILES))
    return {"mean": mean, "sd": sd, "q05": q05, "q50": q50, "q95": q95, "n": int(x.size),
            "ci": _mean_interval(mean, sd, x.size, low, high)}


def _mean_interval(mean: float, sd: float, n: int, low: float | None,
                   high: float | None) -> list[float] | None:
    if n < 2:
        return None
    half = float(stdtrit(n - 1, 0.975) * sd / np.sqrt(n))
    lo, hi = mean - half, mean + half
    return [lo if low is None else max(lo, low), hi if high is None else min(hi, high)]


# --- deal timing ------------------------------------------------------------------------------


def deal_timing(deal_days: np.ndarray, deadline_day: float | None) -> dict:
    """When deals were struck, relative to the deadline.

    Args:
        deal_days: Day of the deal, one per replication; NaN where there was no deal.
        deadline_day: Day of the deadline, or None when the scenario has none.

    Returns:
        ``{"n_deals", "days_before_deadline", "share_before_deadline", "share_in_last_fifth"}``
        where ``days_before_deadline`` is :func:`describe` of ``deadline - deal_day``, a deal
        on the deadline day counts as before it, the last fifth is
        ``[0.8 * deadline, deadline]`` and the shares are None without deals. Without a
        deadline: ``{"n_deals", "deal_day"}`` with :func:`describe` of the deal days.
    """
    days = np.asarray(deal_days, dtype=float)
    days = days[~np.isnan(days)]
    if deadline_day is None:
        return {"n_deals": int(days.size), "deal_day": describe(days)}
    deadline = float(deadline_day)
    return {"n_deals": int(days.size),
            "days_before_deadline": describe(deadline - days),
            "share_before_deadline": _share(days <= deadline),
            "share_in_last_fifth": _share((days >= _LAST_FIFTH * deadline) & (days <= deadline))}


def _share(mask: np.ndarray) -> float | None:
    return float(mask.mean()) if mask.size else None


# --- paired and unpaired comparisons ---------------------------------------------------------


def paired_difference(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Mean of ``b - a`` over pairs where both are finite, with a 95% t-interval.

    Common random numbers make ``a`` and ``b`` positively correlated, so the interval of the
    mean difference is narrower than an unpaired one; identical inputs give exactly 0 and an
    interval of zero width.

    Returns:
        ``{"diff", "ci", "p_value", "n"}``; the p-value is a one-sample t-test of the
        differences (1.0 when every difference is 0), None when there are no pairs.
    """
    keep = np.isfinite(a) & np.isfinite(b)
    d = b[keep].astype(float) - a[keep].astype(float)
    n = int(d.size)
    if n == 0:
        return {"diff": None, "ci": None, "p_value": None, "n": 0}
    mean = float(d.mean())
    sd = float(d.std(ddof=1)) if n > 1 else 0.0
    if sd == 0.0:
        return {"diff": mean, "ci": [mean, mean], "p_value": 1.0 if mean == 0 else 0.0, "n": n}
    se = sd / np.sqrt(n)
    half = float(stdtrit(n - 1, 0.975)) * se
    return {"diff": mean, "ci": [mean - half, mean + half], "p_value": _t_p(mean / se, n - 1),
            "n": n}


def _t_p(t: float, dof: float) -> float:
    """Two-sided p-value of a t statistic (what scipy's t-tests return, computed from the
    statistic we already have, so nearly identical samples raise no precision warning)."""
    return float(min(1.0, 2.0 * stdtr(dof, -abs(t))))


def mcnemar(a: np.ndarray, b: np.ndarray) -> float:
    """Exact McNemar test for paired binary outcomes (two-sided binomial on discordant pairs).

    Returns:
        The p-value; 1.0 when there are no discordant pairs.
    """
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    if only_a + only_b == 0:
        return 1.0
    from scipy.stats import binomtest  # loaded by a comparison only (see Z95)

    return float(binomtest(only_b, only_a + only_b, 0.5).pvalue)


def unpaired_difference(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Mean of ``b`` minus mean of ``a`` for independent samples (Welch interval and test)."""
    a, b = a[np.isfinite(a)].astype(float), b[np.isfinite(b)].astype(float)
    if a.size < 2 or b.size < 2:
        return {"diff": None, "ci": None, "p_value": None, "n": int(min(a.size, b.size))}
    diff = float(b.mean() - a.mean())
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = float(np.sqrt(va + vb))
    if se == 0.0:
        return {"diff": diff, "ci": [diff, diff], "p_value": 1.0 if diff == 0 else 0.0,
                "n": int(min(a.size, b.size))}
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(stdtrit(dof, 0.975)) * se
    return {"diff": diff, "ci": [diff - half, diff + half], "p_value": _t_p(diff / se, dof),
            "n": int(min(a.size, b.size))}


def pairing_gain(a: np.ndarray, b: np.ndarray) -> float | None:
    """Variance of an unpaired difference over that of the paired one (> 1: pairing helps).

    ``(var(a) + var(b)) / var(b - a)`` over pairs where both are finite; None when the paired
    variance is 0 and the unpaired is not (an infinite gain) or there is nothing to compare.
    """
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep].astype(float), b[keep].astype(float)
    if a.size < 2:
        return None
    unpaired = float(a.var(ddof=1) + b.var(ddof=1))
    paired = float((b - a).var(ddof=1))
    if paired == 0.0:
        return 1.0 if unpaired == 0.0 else None
    return unpaired / paired


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of a family of p-values (None entries are skipped)."""
    present = [(p, k) for k, p in enumerate(p_values) if p is not None]
    present.sort()
    out: list[float | None] = [None] * len(p_values)
    running, m = 0.0, len(present)
    for rank, (p, k) in enumerate(present):
        running = max(running, min(1.0, (m - rank) * p))
        out[k] = running
    return out
