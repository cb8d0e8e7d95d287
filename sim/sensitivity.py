"""Which swept parameters move each outcome most, separated from replication noise.

Pure functions of arrays: point-level outcome probabilities ``y`` against parameter values
``x``. Grids and Latin hypercubes get standardized regression coefficients (SRC); Sobol
samples get first-order and total Sobol indices (scipy.stats.sobol_indices). Both report the
share of the variance across points that binomial replication noise alone would produce.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats as sps


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

    Columns that do not vary get a coefficient of 0. ``r2`` is the share of the variance
    across points that the linear fit explains.
    """
    sx, sy = _spread(x), float(_spread(y[:, None])[0])
    varying = sx > 0
    out = {name: {"src": 0.0, "t": 0.0} for name in names}
    if sy == 0.0 or not varying.any() or y.size <= varying.sum() + 1:
        return {"parameters": out, "r2": None}
    z = (x[:, varying] - x[:, varying].mean(axis=0)) / sx[varying]
    design = np.column_stack([np.ones(len(y)), z])
    coef, *_ = np.linalg.lstsq(design, (y - y.mean()) / sy, rcond=None)
    resid = (y - y.mean()) / sy - design @ coef
    dof = len(y) - design.shape[1]
    sigma2 = float(resid @ resid) / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.pinv(design.T @ design)))
    for k, name in enumerate(np.array(names)[varying]):
        t = float(coef[k + 1] / se[k + 1]) if se[k + 1] > 0 else float("inf")
        out[str(name)] = {"src": float(coef[k + 1]), "t": t,
                          "p_value": float(2 * sps.t.sf(abs(t), dof))}
    r2 = 1.0 - float(resid @ resid) / float(len(y) - 1)
    return {"parameters": out, "r2": r2}


def sobol(y: np.ndarray, n: int, names: list[str]) -> dict[str, Any]:
    """Sobol indices from outputs ordered as A (n), B (n), then AB_i (n each) per parameter."""
    d = len(names)
    f_a, f_b = y[:n].reshape(1, n), y[n:2 * n].reshape(1, n)
    f_ab = y[2 * n:].reshape(d, 1, n)
    if np.var(y) == 0.0:
        zero = {name: {"first_order": 0.0, "total_order": 0.0} for name in names}
        return {"parameters": zero}
    res = sps.sobol_indices(func={"f_A": f_a, "f_B": f_b, "f_AB": f_ab}, n=n)
    first, total = np.atleast_2d(res.first_order), np.atleast_2d(res.total_order)
    return {"parameters": {name: {"first_order": float(first[0][k]),
                                  "total_order": float(total[0][k])}
                           for k, name in enumerate(names)}}


def rank(result: dict[str, Any]) -> list[str]:
    """Parameters from most to least influential (|SRC| or total Sobol index)."""
    params = result["parameters"]

    def weight(name: str) -> float:
        v = params[name]
        return abs(v["total_order"]) if "total_order" in v else abs(v["src"])

    return sorted(params, key=weight, reverse=True)
