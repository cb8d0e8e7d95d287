"""Which swept parameters move each outcome most, separated from replication noise.

Pure functions of arrays: point-level outcome probabilities ``y`` against parameter values
``x``. Grids and Latin hypercubes get standardized regression coefficients (SRC); Sobol
samples get first-order and total Sobol indices (scipy.stats.sobol_indices) with bootstrap 95%
intervals. Both report the share of the variance across points that binomial replication
noise alone would produce, and mark the effects that noise could produce. A coefficient the
design cannot separate from the others (lists varied in lockstep by ``--zip``) is None: not
estimable, never a misleading number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import stdtr

MISSED = 0.1
"""Unexplained share (1 - R^2) of the spread across points above which, when it is also well
above the noise share, the linear fit is missing a real effect."""


def noise_share(y: np.ndarray, runs: int) -> float | None:
    """Expected binomial noise variance ``p(1-p)/runs`` over the observed variance of ``y``."""
    var = float(np.var(y, ddof=1)) if y.size > 1 else 0.0
    noise = float(np.mean(y * (1 - y) / runs))
    if var == 0.0:
        return None if noise == 0.0 else 1.0
    return min(1.0, noise / var)


def _spread(x: np.ndarray) -> np.ndarray:
    """Column standard deviations, with round-off on a constant column reported as exactly 0."""
    if x.shape[0] < 2:
        return np.zeros(x.shape[1])
    sd = x.std(axis=0, ddof=1)
    scale = np.maximum(np.abs(x).max(axis=0), 1.0)
    return np.where(sd > 1e-12 * scale, sd, 0.0)


def src(x: np.ndarray, y: np.ndarray, names: list[str]) -> dict[str, Any]:
    """Standardized regression coefficients of ``y`` on the columns of ``x``, with t-values.

    Columns that do not vary get a coefficient of 0. A column the design cannot separate
    from the others (it is a linear combination of them), or every varying column when there
    are too few points for a fit, gets ``"src": None`` (not estimable). ``r2`` is the share
    of the variance across points that the linear fit explains.
    """
    sx, sy = _spread(x), float(_spread(y[:, None])[0])
    varying = sx > 0
    out: dict[str, dict[str, Any]] = {name: {"src": 0.0, "t": 0.0} for name in names}
    if sy == 0.0:
        return {"parameters": out, "r2": None, "constant": True}
    if not varying.any():
        return {"parameters": out, "r2": None}
    z = (x[:, varying] - x[:, varying].mean(axis=0)) / sx[varying]
    separable = _separable(z)
    if y.size <= int(np.linalg.matrix_rank(z)) + 1:  # no degree of freedom left for a fit
        for name in np.array(names)[varying]:
            out[str(name)] = {"src": None, "t": None, "p_value": None}
        return {"parameters": out, "r2": None}
    design = np.column_stack([np.ones(len(y)), z])
    coef, *_ = np.linalg.lstsq(design, (y - y.mean()) / sy, rcond=None)
    resid = (y - y.mean()) / sy - design @ coef
    dof = len(y) - 1 - int(np.linalg.matrix_rank(z))
    sigma2 = float(resid @ resid) / dof
    se = np.sqrt(np.abs(np.diag(sigma2 * np.linalg.pinv(design.T @ design))))
    for k, name in enumerate(np.array(names)[varying]):
        out[str(name)] = _coefficient(float(coef[k + 1]), float(se[k + 1]), dof) \
            if separable[k] else {"src": None, "t": None, "p_value": None}
    r2 = 1.0 - float(resid @ resid) / float(len(y) - 1)
    return {"parameters": out, "r2": r2}


def _separable(z: np.ndarray) -> np.ndarray:
    """Which columns the design can estimate: those outside every exact linear dependence."""
    _, sv, vt = np.linalg.svd(z, full_matrices=True)
    tol = max(z.shape) * np.finfo(float).eps * (sv[0] if sv.size else 0.0) * 1e3
    rank = int(np.sum(sv > tol))
    null = vt[rank:]
    if null.size == 0:
        return np.ones(z.shape[1], dtype=bool)
    return np.abs(null).max(axis=0) < 1e-8


def _coefficient(coef: float, se: float, dof: int) -> dict[str, Any]:
    t = coef / se if se > 0 else float("inf")
    return {"src": coef, "t": t, "p_value": float(2 * stdtr(dof, -abs(t)))}  # t.sf


def sobol(y: np.ndarray, n: int, names: list[str], resamples: int = 200,
          seed: int = 0) -> dict[str, Any]:
    """Sobol indices from outputs ordered as A (n), B (n), then AB_i (n each) per parameter,
    each with a bootstrap 95% interval (``first_ci``, ``total_ci``; seeded, so reproducible).
    """
    d = len(names)
    f_a, f_b = y[:n].reshape(1, n), y[n:2 * n].reshape(1, n)
    f_ab = y[2 * n:].reshape(d, 1, n)
    if np.var(y) == 0.0:
        zero = {name: {"first_order": 0.0, "total_order": 0.0, "first_ci": [0.0, 0.0],
                       "total_ci": [0.0, 0.0]} for name in names}
        return {"parameters": zero, "constant": True}
    first, total = _indices(f_a, f_b, f_ab)
    f_ci, t_ci = _bootstrap(f_a, f_b, f_ab, resamples, seed)
    return {"parameters": {name: {
        "first_order": _unit(first[k]), "total_order": _unit(total[k]),
        "first_ci": [_unit(x) for x in _interval(f_ci, k)],
        "total_ci": [_unit(x) for x in _interval(t_ci, k)]}
        for k, name in enumerate(names)}}


def _unit(x: float) -> float:
    """A Sobol index clipped to [0, 1], where a share of variance lies (the estimators and
    their bootstrap stray outside it on few points or a noisy outcome)."""
    return float(min(1.0, max(0.0, x)))


def _indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order and total indices (Saltelli 2010), one per page of ``f_ab`` (d, 1, n)."""
    from scipy import stats as sps  # loaded when a sweep is analysed, not with every command

    d = f_ab.shape[0]
    # scipy squeezes the (first, total) pair of (outputs, parameters) arrays: with one output
    # and one parameter both come back as numpy scalars, which sobol_indices then fails to
    # assign into (TypeError). Each page's indices depend on that page, A and B alone, so
    # passing the single page twice gives the same numbers in arrays; read the first.
    pages = np.concatenate([f_ab, f_ab]) if d == 1 else f_ab
    res = sps.sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": pages}, n=f_a.shape[1])
    return np.atleast_2d(res.first_order)[0][:d], np.atleast_2d(res.total_order)[0][:d]


def _bootstrap(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray, resamples: int,
               seed: int) -> tuple[Any, Any]:
    """Percentile bootstrap intervals of the indices, resampling the n base rows (seeded)."""

    def statistic(idx: np.ndarray) -> np.ndarray:
        idx = idx.astype(int)
        first, total = _indices(f_a[:, idx], f_b[:, idx], f_ab[..., idx])
        return np.concatenate([first, total])

    from scipy import stats as sps

    with np.errstate(invalid="ignore", divide="ignore"):  # a constant resample has no variance
        res = sps.bootstrap((np.arange(f_a.shape[1]),), statistic, n_resamples=resamples,
                            vectorized=False, method="percentile",
                            rng=np.random.default_rng(seed))
    d = f_ab.shape[0]
    lo, hi = np.nan_to_num(res.confidence_interval.low), np.nan_to_num(res.confidence_interval.high)
    return _Interval(lo[:d], hi[:d]), _Interval(lo[d:], hi[d:])


class _Interval:
    def __init__(self, low: np.ndarray, high: np.ndarray):
        self.low, self.high = low, high


def _interval(ci: Any, k: int) -> list[float]:
    return [float(np.atleast_2d(ci.low)[0][k]), float(np.atleast_2d(ci.high)[0][k])]


def mark_noise(result: dict[str, Any], share: float | None) -> None:
    """Flag each parameter's effect that noise alone could produce (``"noise": True``).

    SRC: not significant at 5%, or explaining (SRC squared) no more of the variance across
    points than binomial noise does, unless the fit leaves unexplained (1 - R^2) more than
    twice what noise makes and more than MISSED of the spread, or the parameter's PAWN index
    (:mod:`sim.stats.pawn`, when computed) is above its permutation null: then the effect
    is real and marked ``"nonlinear": True`` instead (the linear fit misses its shape).
    Sobol: the bootstrap interval of the total index reaches 0, or the index is no larger
    than the noise share. Not estimable effects are not flagged.
    """
    floor = share or 0.0
    if result.get("constant"):
        return  # nothing varies: no effect to mark
    r2 = result.get("r2")
    # Variance the linear fit leaves unexplained, well beyond what noise makes, is a real
    # effect the fit misses (non-linear, or an interaction): a weak coefficient is then
    # "non-linear?", not "noise?".
    missed = r2 is not None and (1.0 - r2) > max(2.0 * floor, MISSED)
    for v in result["parameters"].values():
        if "total_order" in v:
            lo = v.get("total_ci", [0.0, 0.0])[0]
            v["noise"] = bool(lo <= 0.0 or v["total_order"] <= floor)
        elif v.get("src") is not None:
            p = v.get("p_value")
            weak = bool(p is None or p >= 0.05 or v["src"] ** 2 <= floor)
            shaped = missed or bool(v.get("pawn_real"))  # PAWN sees an effect SRC misses
            v["noise"] = weak and not shaped
            v["nonlinear"] = weak and shaped


def rank(result: dict[str, Any]) -> list[str]:
    """Parameters from most to least influential (|SRC| or total Sobol index); not estimable
    ones last."""
    params = result["parameters"]

    def weight(name: str) -> float:
        v = params[name]
        value = v["total_order"] if "total_order" in v else v["src"]
        return -1.0 if value is None else abs(value)

    return sorted(params, key=weight, reverse=True)
