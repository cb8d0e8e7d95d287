"""PAWN, a distribution-based importance that sees effects a linear fit misses.

For each input, the outputs are split by the input's value into conditioning slices, and
each slice's outputs are compared with all outputs by the Kolmogorov-Smirnov distance; the
index is the median distance over the slices (Pianosi & Wagener 2015, 2018; the statistic
SALib's ``SALib.analyze.pawn`` reports as ``median``). An input that does not matter leaves
every slice distributed as the whole, but a finite slice is never an exact copy: ``null``
is the 95th percentile of the same index when the outputs are shuffled against the inputs
(a permutation test), so an index above it is an effect, whatever its shape.

Pure functions of arrays (numpy only).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SLICES = 10  # conditioning intervals at most (SALib's default)
PER_SLICE = 10  # points per slice at least, else a slice's KS distance is mostly noise
KS_EXACT = 10_000  # samples up to this size: scipy's ks_2samp rounds d to its exact grid
PERMUTATIONS = 99  # shuffles for the null: a 95th percentile from 99 is the 95th value of 100


def slices(x: np.ndarray, count: int = SLICES) -> list[np.ndarray]:
    """Index sets conditioning on ``x``: one per distinct value when there are at most
    ``count`` (a grid's levels), else slices between its quantiles, ``count`` of them or as
    many as hold PER_SLICE points (at least 2; the last one closed, so that no point is
    left out)."""
    values = np.unique(x)
    if values.size <= count:
        return [np.flatnonzero(x == v) for v in values]
    count = min(count, max(2, x.size // PER_SLICE))
    edges = np.quantile(x, np.linspace(0.0, 1.0, count + 1))
    out = [np.flatnonzero((x >= lo) & (x < hi)) for lo, hi in zip(edges[:-1], edges[1:],
                                                                     strict=True)]
    out[-1] = np.flatnonzero(x >= edges[-2])
    return [s for s in out if s.size]


def ks_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov distance ``max |F_a - F_b|`` between the empirical
    distributions of ``a`` and ``b``, as ``scipy.stats.ks_2samp`` computes its statistic (the
    same operations, so the same float; NaN when either holds a NaN), without the p-value
    and the wrappers that made a sweep's sensitivity cost seconds."""
    a, b = np.sort(a), np.sort(b)
    if np.isnan(a[-1:]).any() or np.isnan(b[-1:]).any():  # sorting puts NaN last
        return math.nan
    n, m = a.shape[0], b.shape[0]
    both = np.concatenate([a, b])
    diffs = np.searchsorted(a, both, side="right") / n - np.searchsorted(b, both, side="right") / m
    low, high = np.clip(-diffs[np.argmin(diffs)], 0, 1), diffs[np.argmax(diffs)]
    d = low if low > high else high
    if max(n, m) <= KS_EXACT:  # scipy's exact mode: d as a multiple of 1 / lcm(n, m)
        lcm = (n // math.gcd(n, m)) * m
        d = int(np.round(d * lcm)) * 1.0 / lcm
    return float(d)


def index(y: np.ndarray, parts: list[np.ndarray]) -> tuple[float, float]:
    """The median and the largest KS distance between each slice's ``y`` and all of ``y``."""
    distances = [ks_distance(y[s], y) for s in parts]
    return float(np.median(distances)), float(np.max(distances))


def pawn(x: np.ndarray, y: np.ndarray, names: list[str], seed: int = 0,
         permutations: int = PERMUTATIONS) -> dict[str, dict[str, Any]]:
    """PAWN per column of ``x``: ``{"pawn": median KS, "pawn_max", "pawn_null", "pawn_real"}``
    (``pawn_real``: above the permutation null). An input that does not vary, or a constant
    output, gets 0 and no test."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, Any]] = {}
    for k, name in enumerate(names):
        parts = slices(x[:, k])
        if len(parts) < 2 or np.ptp(y) == 0:
            out[name] = {"pawn": 0.0, "pawn_max": 0.0, "pawn_null": None, "pawn_real": False}
            continue
        median, largest = index(y, parts)
        null = [index(rng.permutation(y), parts)[0] for _ in range(permutations)]
        cut = float(np.quantile(null, 0.95))
        out[name] = {"pawn": median, "pawn_max": largest, "pawn_null": cut,
                     "pawn_real": bool(median > cut)}
    return out
