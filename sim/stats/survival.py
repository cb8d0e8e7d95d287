"""Kaplan-Meier survival from counts per distinct time: the product-limit estimator with
Greenwood intervals, computed without a per-subject Python object (issue 22: memory flat in
the number of replications).

A :class:`ProductLimit` keeps, for each distinct duration ``t_j``, the number at risk ``n_j``
(subjects whose duration is at least ``t_j``) and the events ``d_j`` there; the curve is
``S(t) = prod_{t_j <= t} (1 - d_j / n_j)`` (Kaplan & Meier 1958), its variance Greenwood's
``S(t)^2 sum_{t_j <= t} d_j / (n_j (n_j - d_j))`` (Greenwood 1926). The arithmetic is the one
``scipy.stats.ecdf`` does for the same data (``1 - cumsum(d) / N`` when nothing is censored),
so the numbers are SciPy's to the last bit; only arrays as long as the distinct times are made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

MIN_AT_RISK = 10
"""Fewer truces at risk than this at a time: a Kaplan-Meier figure there is "not estimable"."""

# The normal quantile of a two-sided 95% interval, as scipy.stats.ecdf computes it.
_Z = float(special.ndtri(1 / 2 + 0.95 / 2))


@dataclass(frozen=True)
class ProductLimit:
    """The Kaplan-Meier table of right-censored durations: at each distinct time ``t``, the
    number at risk ``n`` and the events ``d``, and the survival ``s`` just after it."""

    t: np.ndarray  # distinct durations, increasing
    n: np.ndarray  # at risk at each (int64)
    d: np.ndarray  # events at each (int64)
    s: np.ndarray  # the product-limit survival from each distinct time on
    size: int  # subjects
    events: int  # subjects whose event was seen

    @classmethod
    def of(cls, durations: Any, observed: Any) -> ProductLimit:
        """The table of ``durations`` (time to the event or to censoring, finite) where
        ``observed`` is True for an event seen and False for a censored subject."""
        times = np.sort(np.asarray(durations, dtype=float))
        seen = np.asarray(observed, dtype=bool)
        events = np.sort(np.asarray(durations, dtype=float)[seen])
        # The first of each run of equal durations (one byte per subject, no float copy).
        first = np.flatnonzero(np.concatenate((np.ones(min(times.size, 1), dtype=bool),
                                               times[1:] > times[:-1])))
        t = times[first]
        size = times.size
        del times
        n = size - first
        d = (np.searchsorted(events, t, side="right")
             - np.searchsorted(events, t, side="left")).astype(np.int64)
        s: np.ndarray
        if events.size == size:  # nothing censored: the empirical survival, as SciPy has it
            s = 1 - np.cumsum(d) / size
        else:
            s = np.cumprod((n - d) / n)
        return cls(t, n.astype(np.int64), d, s, size, int(events.size))

    def at_risk(self, times: Any) -> np.ndarray:
        """The number at risk at each time: the subjects whose duration is at least it."""
        idx = np.searchsorted(self.t, np.asarray(times, dtype=float), side="left")
        return np.where(idx < self.t.size, np.append(self.n, 0)[idx], 0)

    def evaluate(self, values: np.ndarray, x: Any) -> np.ndarray:
        """A step function with ``values`` at the distinct times (1 before the first) read at
        each of ``x``: the value at the last distinct time at or before it."""
        idx = np.searchsorted(self.t, np.asarray(x, dtype=float), side="right") - 1
        return np.where(idx >= 0, values[np.maximum(idx, 0)], 1.0)

    def greenwood(self) -> np.ndarray:
        """``sum_{t_j <= t} d_j / (n_j (n_j - d_j))`` at each distinct time (inf from where
        every subject at risk has its event)."""
        n, d = self.n, self.d
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.cumsum(d / (n * (n - d)))

    def linear_band(self) -> tuple[np.ndarray, np.ndarray]:
        """Greenwood's 95% interval ``S -/+ z sqrt(S^2 sum)`` at each distinct time, clipped
        to [0, 1]; NaN where undefined (S = 0 with every subject gone)."""
        with np.errstate(invalid="ignore"):
            se = np.sqrt(self.s**2 * self.greenwood())
        return np.clip(self.s - _Z * se, 0, 1), np.clip(self.s + _Z * se, 0, 1)

    def loglog_band(self) -> tuple[np.ndarray, np.ndarray]:
        """The log-log ("exponential Greenwood") 95% interval, ``S^exp(+/- z se)`` with
        ``se = sqrt(sum / log(S)^2)``, at each distinct time; NaN where S is 0 or 1."""
        with np.errstate(divide="ignore", invalid="ignore"):
            se = np.sqrt(1 / np.log(self.s) ** 2 * self.greenwood())
            lnl = np.log(-np.log(self.s))
        low, high = np.exp(-np.exp(lnl + _Z * se)), np.exp(-np.exp(lnl - _Z * se))
        return np.clip(low, 0, 1), np.clip(high, 0, 1)

    def median(self) -> float | None:
        """The first distinct time at which the survival is at most 0.5 (None: never)."""
        below = np.flatnonzero(self.s <= 0.5)
        return float(self.t[below[0]]) if below.size else None

    def curve(self, horizon: float, points: int | None = None) -> dict:
        """The curve as :func:`survival` returns it."""
        if self.size == 0:
            return {"t": [0.0, float(horizon)], "s": [1.0, 1.0], "lo": [1.0, 1.0],
                    "hi": [1.0, 1.0], "median": None, "n": 0, "events": 0}
        k = int(np.searchsorted(self.t, horizon, side="left"))  # knots before the horizon
        s = np.concatenate(([1.0], self.s[:k], self.evaluate(self.s, [horizon])))
        lo, hi = (np.concatenate(([1.0], b[:k], self.evaluate(b, [horizon])))
                  for b in self.linear_band())
        curve = {"t": np.concatenate(([0.0], self.t[:k], [horizon])).astype(float), "s": s,
                 "lo": np.minimum(_fill_forward(lo), s), "hi": np.maximum(_fill_forward(hi), s)}
        if points is not None:
            curve = on_grid(curve, points)
        return {**{k: np.asarray(v, dtype=float).tolist() for k, v in curve.items()},
                "median": self.median(), "n": self.size, "events": self.events}

    def at(self, day: float) -> dict[str, Any]:
        """Survival at ``day`` as :func:`survival_at` returns it."""
        n_risk = int(self.at_risk([day])[0])
        out: dict[str, Any] = {"day": float(day), "s": None, "ci": None, "at_risk": n_risk,
                               "n": self.size, "events": int(self.d[self.t <= day].sum()),
                               "estimable": n_risk >= MIN_AT_RISK}
        if n_risk == 0:
            return out
        s = float(self.evaluate(self.s, [day])[0])
        lo, hi = (float(self.evaluate(b, [day])[0]) for b in self.loglog_band())
        out["s"] = s
        out["ci"] = [s if lo != lo else min(lo, s), s if hi != hi else max(hi, s)]
        return out

    def risk_table(self, horizon: float, most: int = 8) -> dict[str, list]:
        """The number at risk at round times (a step of 1, 2, 5, 7, 10, 14, 30, ... days
        giving at most ``most`` intervals) from 0 to the horizon."""
        steps = (1, 2, 5, 7, 10, 14, 15, 20, 30, 60, 90, 120, 180, 365, 730, 1825, 3650, 36500)
        step = next((x for x in steps if horizon / x <= most), steps[-1])
        times = np.arange(0.0, horizon + 1e-9, step)
        return {"t": times.tolist(), "n": self.at_risk(times).tolist()}


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
        The band is Greenwood's, clipped to [0, 1], carried forward where undefined and kept
        around the curve. :func:`at_risk`, :func:`risk_table` and :func:`survival_at` say how
        much each part rests on.
    """
    return ProductLimit.of(durations, observed).curve(horizon, points)


def at_risk(durations: np.ndarray, times: Any) -> np.ndarray:
    """The number of subjects at risk at each time: those whose duration is at least it."""
    d = np.sort(np.asarray(durations, dtype=float))
    return d.size - np.searchsorted(d, np.asarray(times, dtype=float), side="left")


def risk_table(durations: np.ndarray, horizon: float, most: int = 8) -> dict[str, list]:
    """The number at risk at round times (a step of 1, 2, 5, 7, 10, 14, 30, ... days giving at
    most ``most`` intervals) from 0 to the horizon."""
    return ProductLimit.of(durations, np.zeros(len(durations), dtype=bool)).risk_table(
        horizon, most)


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
    return ProductLimit.of(durations, observed).at(day)


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


def _fill_forward(x: np.ndarray) -> np.ndarray:
    """NaNs replaced by the last defined value before them (the first value must be defined)."""
    idx = np.where(np.isnan(x), 0, np.arange(x.size))
    return np.clip(x[np.maximum.accumulate(idx)], 0.0, 1.0)

