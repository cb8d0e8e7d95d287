"""Statistics of a run: pure functions on arrays, with no knowledge of scenarios or engines.

Outcome probabilities with Wilson intervals, metric summaries with t-intervals,
Kaplan-Meier truce survival and the timing of deals against a deadline.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as sps

Z95: float = float(sps.norm.ppf(0.975))

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
    if n == 0:
        return 0.0, 1.0
    ci = sps.binomtest(int(count), int(n)).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)


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
    counts = Counter(str(o) for o in outcomes)
    unknown = sorted(set(counts) - set(names))
    if unknown:
        raise ValueError(f"outcome(={unknown[0]!r}) is not one of {list(names)}.")
    n = sum(counts.values())
    return {name: _outcome_row(counts[name], n) for name in names}


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
    half = float(sps.t.ppf(0.975, n - 1) * sd / np.sqrt(n))
    lo, hi = mean - half, mean + half
    return [lo if low is None else max(lo, low), hi if high is None else min(hi, high)]


# --- survival ---------------------------------------------------------------------------------


MIN_AT_RISK = 10
"""Fewer truces at risk than this at a time: a Kaplan-Meier figure there is "not estimable"."""


def survival(durations: np.ndarray, observed: np.ndarray, horizon: float,
             points: int | None = None) -> dict:
    """Kaplan-Meier survival curve with a 95% pointwise band, as step-function knots.

    Args:
        durations: Time to the event or to censoring, one per subject (days).
        observed: True where the event was seen, False where the subject was censored.
        horizon: Where the curve ends (days).
        points: read the curve on a grid of ``points + 1`` times (:func:`on_grid`) before
            any list is made, so memory holds no list as long as the subjects.

    Returns:
        ``{"t", "s", "lo", "hi"}`` lists of knots, from ``t = 0, s = 1`` to ``t = horizon``
        (the value at a knot holds until the next one), ``"median"`` (the first time the
        survival is at most 0.5, None if it never is), ``"n"`` subjects and ``"events"``.
        :func:`at_risk`, :func:`risk_table` and :func:`survival_at` say how much each part
        rests on.
    """
    t = np.asarray(durations, dtype=float)
    seen = np.asarray(observed, dtype=bool)
    if t.size == 0:
        return {"t": [0.0, float(horizon)], "s": [1.0, 1.0], "lo": [1.0, 1.0],
                "hi": [1.0, 1.0], "median": None, "n": 0, "events": 0}
    sf = sps.ecdf(sps.CensoredData(uncensored=t[seen], right=t[~seen])).sf
    knots = sf.quantiles[sf.quantiles < horizon]
    s = np.concatenate(([1.0], sf.probabilities[: knots.size], sf.evaluate([horizon])))
    lo, hi = _band(sf, knots.size, horizon, s)
    curve = {"t": np.concatenate(([0.0], knots, [horizon])).astype(float), "s": s, "lo": lo,
             "hi": hi}
    if points is not None:
        curve = on_grid(curve, points)
    return {**{k: np.asarray(v, dtype=float).tolist() for k, v in curve.items()},
            "median": _median(sf), "n": int(t.size), "events": int(seen.sum())}


def at_risk(durations: np.ndarray, times: Any) -> np.ndarray:
    """The number of subjects at risk at each time: those whose duration is at least it."""
    d = np.sort(np.asarray(durations, dtype=float))
    return d.size - np.searchsorted(d, np.asarray(times, dtype=float), side="left")


def risk_table(durations: np.ndarray, horizon: float, most: int = 8) -> dict[str, list]:
    """The number at risk at round times (a step of 1, 2, 5, 7, 10, 14, 30, ... days giving at
    most ``most`` intervals) from 0 to the horizon."""
    steps = (1, 2, 5, 7, 10, 14, 15, 20, 30, 60, 90, 120, 180, 365, 730, 1825, 3650, 36500)
    step = next((x for x in steps if horizon / x <= most), steps[-1])
    times = np.arange(0.0, horizon + 1e-9, step)
    return {"t": times.tolist(), "n": at_risk(durations, times).tolist()}


def survival_at(durations: np.ndarray, observed: np.ndarray, day: float) -> dict[str, Any]:
    """Kaplan-Meier survival at ``day`` with its 95% interval and the number at risk there.

    The interval is the log-log (exponential Greenwood) one, which stays in [0, 1]
    (Kalbfleisch & Prentice 2002); where it is undefined (S = 1 or 0) the bound is S itself.

    Returns:
        ``{"day", "s", "ci": [lo, hi], "at_risk", "n", "events"}`` (``events``: breakdowns at
        or before ``day``), with ``"estimable"`` false when fewer than :data:`MIN_AT_RISK`
        subjects are at risk at ``day``; ``s`` and ``ci`` are None when none is (the curve
        is unknown beyond the oldest subject).
    """
    t = np.asarray(durations, dtype=float)
    seen = np.asarray(observed, dtype=bool)
    n_risk = int(at_risk(t, [day])[0]) if t.size else 0
    out: dict[str, Any] = {"day": float(day), "s": None, "ci": None, "at_risk": n_risk,
                           "n": int(t.size), "events": int((seen & (t <= day)).sum()),
                           "estimable": n_risk >= MIN_AT_RISK}
    if n_risk == 0:
        return out
    sf = sps.ecdf(sps.CensoredData(uncensored=t[seen], right=t[~seen])).sf
    s = float(sf.evaluate([day])[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = sf.confidence_interval(0.95, method="log-log")
        lo, hi = float(ci.low.evaluate([day])[0]), float(ci.high.evaluate([day])[0])
    out["s"] = s
    out["ci"] = [s if lo != lo else min(lo, s), s if hi != hi else max(hi, s)]
    return out


def on_grid(km: dict, points: int = 400) -> dict:
    """A survival curve evaluated on an even grid of ``points + 1`` times from 0 to its end.

    The step function is read at each grid time (the value of the last knot at or before it),
    so summaries and plots stay the same size however many truces were observed; the median
    and the counts are kept exact. Curves with fewer knots are returned unchanged.
    """
    t = np.asarray(km["t"], dtype=float)
    if t.size <= points + 1:
        return km
    grid = np.linspace(0.0, t[-1], points + 1)
    idx = np.searchsorted(t, grid, side="right") - 1
    out = dict(km)
    out["t"] = grid.tolist()
    for key in ("s", "lo", "hi"):
        out[key] = np.asarray(km[key], dtype=float)[idx].tolist()
    return out


def _band(sf: Any, k: int, horizon: float, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 95% band at the knots; undefined points take the previous value, kept around s."""
    with warnings.catch_warnings():
        # The linear (Greenwood) band is undefined where S reaches 0; we fill those points.
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = sf.confidence_interval(0.95)
    lo = np.concatenate(([1.0], ci.low.probabilities[:k], ci.low.evaluate([horizon])))
    hi = np.concatenate(([1.0], ci.high.probabilities[:k], ci.high.evaluate([horizon])))
    return np.minimum(_fill_forward(lo), s), np.maximum(_fill_forward(hi), s)


def _fill_forward(x: np.ndarray) -> np.ndarray:
    """NaNs replaced by the last defined value before them (the first value must be defined)."""
    idx = np.where(np.isnan(x), 0, np.arange(x.size))
    return np.clip(x[np.maximum.accumulate(idx)], 0.0, 1.0)


def _median(sf: Any) -> float | None:
    below = np.flatnonzero(sf.probabilities <= 0.5)
    return float(sf.quantiles[below[0]]) if below.size else None


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
    half = float(sps.t.ppf(0.975, n - 1)) * se
    return {"diff": mean, "ci": [mean - half, mean + half], "p_value": _t_p(mean / se, n - 1),
            "n": n}


def _t_p(t: float, dof: float) -> float:
    """Two-sided p-value of a t statistic (what scipy's t-tests return, computed from the
    statistic we already have, so nearly identical samples raise no precision warning)."""
    return float(min(1.0, 2.0 * sps.t.sf(abs(t), dof)))


def mcnemar(a: np.ndarray, b: np.ndarray) -> float:
    """Exact McNemar test for paired binary outcomes (two-sided binomial on discordant pairs).

    Returns:
        The p-value; 1.0 when there are no discordant pairs.
    """
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    if only_a + only_b == 0:
        return 1.0
    return float(sps.binomtest(only_b, only_a + only_b, 0.5).pvalue)


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
    half = float(sps.t.ppf(0.975, dof)) * se
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
