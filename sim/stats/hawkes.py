"""Maximum-likelihood fit of a multivariate Hawkes process with exponential kernels.

Truce party ``i`` (of ``d``) violates at the rate

    lambda_i(t) = mu_i + sum_j alpha[i, j] R_j(t) + sum_s gamma[i, s] R_s(t),
    R_j(t) = sum over events t_k of source j with t_k < t of exp(-beta (t - t_k)),

where ``j`` runs over the parties and ``s`` over spoilers, exactly as in negsim's truce
(``sim/engine/truce.py``): one decay ``beta`` for every kernel, ``alpha[i, j]`` the jump in
``i``'s rate per violation by ``j``, ``gamma[i, s]`` the jump per attack by spoiler ``s``.
Spoiler attacks are exogenous: the likelihood is that of the parties' events given them
(Ogata 1978; Daley & Vere-Jones 2003, section 7.2). Times are days in ``[0, horizon]``.

Everything here is a pure function of arrays: ``loglik``, ``fit``, ``compensators``,
``residuals`` and ``goodness_of_fit``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from scipy import optimize, stats

Array = np.ndarray
Z95 = 1.959963984540054
CHI2_95 = 3.841458820694124  # chi-square(1) 95% quantile: the profile likelihood's drop
LOG_LO, LOG_HI = np.log(1e-9), np.log(1e4)  # log-parameter bounds for the optimiser
BOUNDARY = 1e-6  # an estimate below this is "at zero"; it has no log-scale interval


@dataclass(frozen=True)
class History:
    """Observed events: sorted times per party and per spoiler, on ``[0, horizon]``."""

    parties: tuple[Array, ...]
    spoilers: tuple[Array, ...]
    horizon: float

    @classmethod
    def of(cls, parties: Sequence[Sequence[float]], spoilers: Sequence[Sequence[float]],
           horizon: float) -> History:
        """A history from lists of times (sorted here)."""
        def arr(x: Sequence[float]) -> Array:
            return np.sort(np.asarray(x, dtype=float))
        return cls(tuple(arr(p) for p in parties), tuple(arr(s) for s in spoilers),
                   float(horizon))

    @property
    def sources(self) -> tuple[Array, ...]:
        """Every exciting source: the parties, then the spoilers."""
        return self.parties + self.spoilers

    @property
    def events(self) -> int:
        """Number of party events (the modelled ones)."""
        return int(sum(p.size for p in self.parties))

    @cached_property
    def layout(self) -> _Layout:
        """What the likelihood needs that no parameter changes, found once per history."""
        times = np.concatenate(self.parties) if self.parties else np.zeros(0)
        return _Layout(times, np.cumsum([0] + [p.size for p in self.parties]),
                       tuple(_Lags.of(s, times) for s in self.sources),
                       tuple(_Blocks.of(s) if s.size else None for s in self.sources),
                       tuple(self.horizon - s for s in self.sources))


@dataclass(frozen=True)
class Params:
    """Hawkes parameters: base rates, excitation by parties and spoilers, decay."""

    mu: Array
    alpha: Array
    gamma: Array
    beta: float

    @property
    def kernel(self) -> Array:
        """Jumps by source, shape (d, d + m): alpha then gamma."""
        return np.hstack([self.alpha, self.gamma])

    def vector(self) -> Array:
        """Flat vector: mu, alpha row by row, gamma row by row, beta."""
        return np.concatenate([self.mu, self.alpha.ravel(), self.gamma.ravel(), [self.beta]])

    @classmethod
    def from_vector(cls, v: Array, d: int, m: int) -> Params:
        """Inverse of :meth:`vector` for ``d`` parties and ``m`` spoilers."""
        v = np.asarray(v, dtype=float)
        a = v[d:d + d * d].reshape(d, d)
        g = v[d + d * d:d + d * d + d * m].reshape(d, m)
        return cls(v[:d].copy(), a, g, float(v[-1]))

    def branching_ratio(self) -> float:
        """Spectral radius of alpha / beta: below 1 the parties' violations are stationary."""
        return float(np.max(np.abs(np.linalg.eigvals(self.alpha / self.beta))))


def names(d: int, m: int) -> list[tuple[str, int, int]]:
    """(kind, row, column) of each vector entry, in :meth:`Params.vector` order."""
    out = [("mu", i, -1) for i in range(d)]
    out += [("alpha", i, j) for i in range(d) for j in range(d)]
    out += [("gamma", i, s) for i in range(d) for s in range(m)]
    return out + [("beta", -1, -1)]


# --- the likelihood -----------------------------------------------------------------------

SPAN = 600.0  # a block's local exponentials exp(beta (t - t0)) stay below e^600 (finite)


@dataclass(frozen=True)
class _Blocks:
    """A sorted source cut into about sqrt(n) blocks of equal count (the last one padded),
    with what the recursion needs that no parameter changes: each event's time since its
    block's first (``w``), since the previous block's last (``lag``), and the gaps between
    blocks' last events."""

    n: int
    w: Array
    lag: Array
    gaps: tuple[float, ...]

    @classmethod
    def of(cls, source: Array) -> _Blocks:
        n = source.size
        size = int(np.clip(np.sqrt(n), 16, 4096))
        rows = -(-n // size)
        t = np.concatenate([source, np.full(rows * size - n, source[-1])]).reshape(rows, size)
        ends = t[:, -1]
        lag = t - np.concatenate([t[:1, 0], ends[:-1]])[:, None]  # block 0: from itself
        return cls(n, t - t[:, :1], lag, tuple(np.diff(ends, prepend=ends[0]).tolist()))


def _prefix(blocks: _Blocks, beta: float) -> tuple[Array, Array]:
    """Ozaki's (1979) recursion at each event ``k`` of a sorted source, vectorised:
    ``A_k = sum_{i <= k} exp(-beta (t_k - t_i))`` and ``D_k = sum_{i <= k} (t_k - t_i)
    exp(-beta (t_k - t_i))``.

    Inside a block the sums are cumulative sums of ``exp(beta (t_i - t0))`` from the
    block's first time ``t0`` (in log space for a block spanning more than SPAN decays,
    where those would overflow); the blocks are then chained by the recursion ``A <-
    A_block + exp(-beta gap) A_before``, one step per block. No factor exceeds 1.
    """
    w = blocks.w
    v = beta * w
    safe = v[:, -1] <= SPAN
    if safe.all():
        a, dd = _block_sums(w, v, blocks.n)
    else:
        a, dd = np.empty_like(w), np.empty_like(w)
        real = (np.arange(w.size) < blocks.n).reshape(w.shape)
        pad = (w.size - blocks.n) if safe[-1] else 0  # the padding is in the last block
        a[safe], dd[safe] = _block_sums(w[safe], v[safe], w[safe].size - pad)
        a[~safe], dd[~safe] = _block_sums_log(w[~safe], v[~safe], real[~safe])
    _chain(blocks, a, dd, beta)
    return a.ravel()[:blocks.n], dd.ravel()[:blocks.n]


def _block_sums(w: Array, v: Array, n: int) -> tuple[Array, Array]:
    e = np.exp(v)
    e.reshape(-1)[n:] = 0.0  # the padding adds nothing
    cs, cw = np.cumsum(e, axis=1), np.cumsum(w * e, axis=1)
    back = np.exp(-v)
    return back * cs, back * (w * cs - cw)


def _block_sums_log(w: Array, v: Array, real: Array) -> tuple[Array, Array]:
    """:func:`_block_sums` in log space, for blocks whose exponentials would overflow."""
    vv = np.where(real, v, -np.inf)
    with np.errstate(divide="ignore"):
        la = np.logaddexp.accumulate(vv, axis=1)
        lw = np.logaddexp.accumulate(vv + np.log(w), axis=1)
    a = np.exp(la - v)
    return a, w * a - np.exp(lw - v)


def _chain(blocks: _Blocks, a: Array, dd: Array, beta: float) -> None:
    """Add to each block (in place) what the events of the blocks before it contribute."""
    rows = a.shape[0]
    carry_a, carry_d = np.zeros(rows), np.zeros(rows)
    end_a, end_d = a[:, -1].tolist(), dd[:, -1].tolist()  # each block's own, at its end
    ca = cd = 0.0
    for r in range(1, rows):  # one step per block: about sqrt(n) steps
        gap = blocks.gaps[r - 1]
        g = math.exp(-beta * gap)
        ca, cd = end_a[r - 1] + g * ca, end_d[r - 1] + g * (cd + gap * ca)
        carry_a[r], carry_d[r] = ca, cd
    decay = np.exp(-beta * blocks.lag)
    dd += decay * (carry_d[:, None] + blocks.lag * carry_a[:, None])
    a += decay * carry_a[:, None]


def _decayed(source: Array, at: Array, beta: float) -> tuple[Array, Array, Array]:
    """R(t), Q(t) = sum (t - t_k) exp(-beta (t - t_k)) and the count, over t_k < t in source.

    ``searchsorted(side="left")`` makes the sums strict, so simultaneous events do not
    excite each other.
    """
    count = np.searchsorted(source, at, side="left")
    if source.size == 0:
        zero = np.zeros(at.shape)
        return zero, zero, count
    r, q = _at_times(_prefix(_Blocks.of(source), beta), _Lags.of(source, at), beta)
    return r, q, count


@dataclass(frozen=True)
class _Lags:
    """Where times fall in a source, independent of the parameters (found once per fit):
    the last source event strictly before each time, how long before, and whether any."""

    last: Array
    lag: Array
    some: Array

    @classmethod
    def of(cls, source: Array, at: Array) -> _Lags:
        count = np.searchsorted(source, at, side="left")
        last = np.maximum(count - 1, 0)
        some = count > 0
        lag = np.where(some, at - source[last] if source.size else 0.0, 0.0)
        return cls(last, lag, some.astype(float))


def _at_times(prefix: tuple[Array, Array], lags: _Lags, beta: float) -> tuple[Array, Array]:
    """R and Q at times from the source's prefix sums: ``R(t) = exp(-beta lag) A_last``,
    ``Q(t) = exp(-beta lag) (D_last + lag A_last)``."""
    a, dd = prefix[0][lags.last], prefix[1][lags.last]
    g = np.exp(-beta * lags.lag) * lags.some
    return g * a, g * (dd + lags.lag * a)


@dataclass(frozen=True)
class _Layout:
    """The party events in one array (``times``; party i's from ``starts[i]`` to
    ``starts[i + 1]``), where they fall
    in each source (``lags``), its blocks (``blocks``, None when empty), and each source's
    time to the horizon (``tau``)."""

    times: Array
    starts: Array
    lags: tuple[_Lags, ...]
    blocks: tuple[_Blocks | None, ...]
    tau: tuple[Array, ...]


def _compensator_terms(tau: Array, beta: float) -> tuple[float, float]:
    """Integral over [0, horizon] of a source's kernel sum, and its beta-derivative, from
    each event's time to the horizon ``tau``."""
    e = np.exp(-beta * tau)
    k = float(np.sum(1.0 - e)) / beta
    return k, float(np.sum(tau * e)) / beta - k / beta


def loglik_and_grad(params: Params, history: History) -> tuple[float, Array]:
    """Log-likelihood and its gradient with respect to :meth:`Params.vector`.

    ``L = sum_i [sum_{t in i} log lambda_i(t) - integral_0^T lambda_i]`` (Ogata 1978), in
    O(n) time per call: the searches are done once per history (:attr:`History.layout`), the
    kernel sums by Ozaki's (1979) recursion (:func:`_prefix`).
    """
    d, kernel, beta = len(history.parties), params.kernel, params.beta
    layout = history.layout
    g_mu, g_k = np.full(d, -float(history.horizon)), np.zeros(kernel.shape)
    total, g_beta = -history.horizon * float(np.sum(params.mu)), 0.0
    for j, tau in enumerate(layout.tau):
        k, dk = _compensator_terms(tau, beta)
        total -= k * float(np.sum(kernel[:, j]))
        g_k[:, j] -= k
        g_beta -= dk * float(np.sum(kernel[:, j]))
    r, q = _source_sums(history, beta)
    for i, (lo, hi) in enumerate(itertools.pairwise(layout.starts)):  # party i's events
        lam = params.mu[i] + sum(kernel[i, j] * r[j, lo:hi] for j in range(r.shape[0]))
        if np.any(lam <= 0):
            return -np.inf, np.zeros(params.vector().size)
        inv = 1.0 / lam
        total += float(np.sum(np.log(lam)))
        g_mu[i] += float(np.sum(inv))
        g_k[i] += r[:, lo:hi] @ inv
        g_beta -= float(kernel[i] @ (q[:, lo:hi] @ inv))
    m = len(history.spoilers)
    grad = np.concatenate([g_mu, g_k[:, :d].ravel(), g_k[:, d:d + m].ravel(), [g_beta]])
    return total, grad


def _source_sums(history: History, beta: float) -> tuple[Array, Array]:
    """R_j and Q_j of every source at every party event, shape (d + m, events)."""
    layout = history.layout
    n = layout.times.size
    r, q = np.zeros((len(history.sources), n)), np.zeros((len(history.sources), n))
    for j, (blocks, lags) in enumerate(zip(layout.blocks, layout.lags, strict=True)):
        if blocks is not None:
            r[j], q[j] = _at_times(_prefix(blocks, beta), lags, beta)
    return r, q


def loglik(params: Params, history: History) -> float:
    """Log-likelihood of the parties' events given the spoilers' (Ogata 1978)."""
    return loglik_and_grad(params, history)[0]


# --- the estimate -------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """A maximum-likelihood estimate with its 95% intervals.

    ``lower``/``upper`` come from the observed information (:func:`fit`) or the profile
    likelihood (:func:`profile`); ``se_log`` is always the observed-information one.
    ``why`` says, for each entry whose interval is not finite on both sides, why (one
    reason each; "" when the interval is complete); ``branching_why`` the same for the
    branching ratio's interval.
    """

    params: Params
    loglik: float
    converged: bool
    message: str
    se_log: Array
    lower: Array
    upper: Array
    branching: tuple[float, float, float]
    why: tuple[str, ...] = ()
    branching_why: str = ""


def _objective(x: Array, history: History, d: int, m: int) -> tuple[float, Array]:
    theta = np.exp(x)
    value, grad = loglik_and_grad(Params.from_vector(theta, d, m), history)
    scale = max(history.events, 1)
    if not np.isfinite(value):
        return 1e300, np.zeros_like(x)
    return -value / scale, -grad * theta / scale


def _start(history: History, beta: float) -> Array:
    d, m = len(history.parties), len(history.spoilers)
    rates = np.array([max(p.size, 1) for p in history.parties]) / history.horizon
    alpha = np.full(d * d, 0.3 * beta / d)
    gamma = np.full(d * m, 0.3 * beta)
    return np.log(np.concatenate([0.5 * rates, alpha, gamma, [beta]]))


WARM = 50_000  # party events: a longer history starts from the fit of its first WARM events


def maximise(history: History, betas: Sequence[float] = (0.3, 3.0),
             maxiter: int = 500) -> optimize.OptimizeResult:
    """Bounded truncated Newton (TNC) on log-parameters with the analytic gradient.

    Beta is bounded below by one over the observation window. One run per starting beta;
    the best optimum is kept. (L-BFGS-B finds the same optimum but its BLAS calls are slow
    when threads contend for the cores.) A history of more than WARM party events starts
    instead from the estimate on the window holding its first WARM events (a consistent
    estimate, so near the optimum: a million events need tens of evaluations, not
    hundreds).
    """
    d, m = len(history.parties), len(history.spoilers)
    bounds = _bounds(history)
    starts = [_start(history, beta) for beta in betas]
    if history.events > WARM:
        starts = [maximise(_first(history, WARM), betas, maxiter).x]
    best = None
    for x0 in starts:
        res = optimize.minimize(_objective, x0, args=(history, d, m),
                                jac=True, method="TNC", bounds=bounds,
                                options={"maxfun": max(maxiter, 30 * len(bounds))})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    return best


def _bounds(history: History) -> list[tuple[float, float]]:
    """The optimiser's bounds on each log-parameter."""
    d, m = len(history.parties), len(history.spoilers)
    # A kernel that outlasts the window is a trend, not retaliation: its ratio alpha / beta is
    # not identified (alpha and beta near 0 together fit any ratio), so beta decays within it.
    slowest = float(np.log(1.0 / max(history.horizon, 1e-9)))
    return [(LOG_LO, LOG_HI)] * (d + d * d + d * m) + [(max(LOG_LO, slowest), LOG_HI)]


def _first(history: History, events: int) -> History:
    """The history up to (not including) its ``events``-th party event."""
    end = float(np.sort(np.concatenate(history.parties))[events])
    def cut(times: Array) -> Array:
        return times[times < end]
    return History(tuple(map(cut, history.parties)), tuple(map(cut, history.spoilers)), end)


def log_hessian(x: Array, history: History, step: float = 1e-4) -> Array:
    """Hessian of the log-likelihood in log-parameters: central differences of the gradient."""
    d, m = len(history.parties), len(history.spoilers)
    scale = max(history.events, 1)
    cols = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = step
        hi = _objective(x + e, history, d, m)[1]
        lo = _objective(x - e, history, d, m)[1]
        cols.append(-(hi - lo) * scale / (2 * step))
    h = np.array(cols)
    return (h + h.T) / 2


SINGULAR = ("the observed information is singular (the likelihood is flat along some "
            "direction: these parameters are not identified separately)")
NOT_PD = ("the Hessian is not positive definite at the optimum (the likelihood does not curve "
          "down in every direction: not identified, or not a maximum)")
AT_ZERO = ("estimate at 0, the edge of the parameter space: a Wald interval needs an interior "
           "estimate (profile intervals can reach 0)")
AT_BOUND = "estimate at the optimiser's bound {bound:.3g}: not identified by the data"
OVERFLOW = "the standard error is so large that the interval overflows: not identified"


def _covariance(x: Array, history: History) -> tuple[Array, str]:
    """Inverse observed information on the log scale, boundary entries left out (nan), and
    why it is missing ("" when it is not)."""
    free = np.exp(x) >= BOUNDARY
    cov = np.full((x.size, x.size), np.nan)
    info = -log_hessian(x, history)[np.ix_(free, free)]
    try:
        inv = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return cov, SINGULAR
    if np.any(np.diag(inv) <= 0) or not np.all(np.isfinite(inv)):
        return cov, NOT_PD
    cov[np.ix_(free, free)] = inv
    return cov, ""


def _reasons(x: Array, bounds: Sequence[tuple[float, float]], problem: str,
             lower: Array, upper: Array) -> tuple[str, ...]:
    """Why each interval is not finite on both sides: one reason per entry ("" if it is)."""
    out = []
    for k, value in enumerate(x):
        edge = [b for b in bounds[k] if abs(value - b) < 1e-6 and b > LOG_LO]
        if np.isfinite(lower[k]) and np.isfinite(upper[k]):
            out.append("")
        elif np.exp(value) < BOUNDARY:
            out.append(AT_ZERO)
        elif edge:
            out.append(AT_BOUND.format(bound=float(np.exp(edge[0]))))
        else:
            out.append(problem or OVERFLOW)
    return tuple(out)


NO_EXCITATION = "every jump between parties is estimated at 0: the ratio is 0, at its edge"


def _branching_interval(x: Array, cov: Array, d: int, m: int, problem: str
                        ) -> tuple[tuple[float, float, float], str]:
    """Branching ratio with a delta-method 95% interval on the natural scale, cut at 0, and
    why the interval is missing ("" when it is not).

    Not on the log scale: with no excitation the ratio is near 0 and its log is unbounded.
    """
    def rho(z: Array) -> float:
        return Params.from_vector(np.exp(z), d, m).branching_ratio()

    value = rho(x)
    if value <= 0 or value < BOUNDARY:
        return (value, np.nan, np.nan), NO_EXCITATION
    if not np.all(np.isfinite(np.diag(cov)[np.exp(x) >= BOUNDARY])):
        return (value, np.nan, np.nan), problem or OVERFLOW
    g = np.array([(rho(x + h) - rho(x - h)) / 2e-5 for h in np.eye(x.size) * 1e-5])
    ok = np.isfinite(np.diag(cov))
    se = float(np.sqrt(max(g[ok] @ cov[np.ix_(ok, ok)] @ g[ok], 0.0)))
    return (value, max(value - Z95 * se, 0.0), value + Z95 * se), ""


def fit(history: History, betas: Sequence[float] = (0.3, 3.0), maxiter: int = 500) -> Fit:
    """Maximum-likelihood estimate with 95% intervals from the observed information.

    Intervals are Wald intervals on the log scale (the delta method), ``exp(log theta
    +- 1.96 se)``, so they stay positive; an entry estimated at zero gets ``[0, nan]``.

    Args:
        history: the events and the observation window.
        betas: starting values of beta (days^-1); the best optimum is kept.
        maxiter: function-evaluation budget of each optimiser run (at least 30 per
            parameter).

    Returns:
        The estimate, its intervals and the branching ratio ``(value, lower, upper)``.
    """
    d, m = len(history.parties), len(history.spoilers)
    res = maximise(history, betas, maxiter)
    cov, problem = _covariance(res.x, history)
    se = np.sqrt(np.diag(cov))
    theta = np.exp(res.x)
    at_zero = theta < BOUNDARY
    with np.errstate(over="ignore"):
        lower = np.where(at_zero, 0.0, theta * np.exp(-Z95 * se))
        upper = np.where(at_zero, np.nan, theta * np.exp(Z95 * se))
    params = Params.from_vector(np.where(at_zero, 0.0, theta), d, m)
    branching, branching_why = _branching_interval(res.x, cov, d, m, problem)
    return Fit(params, -res.fun * max(history.events, 1), bool(res.success), str(res.message),
               se, lower, upper, branching,
               _reasons(res.x, _bounds(history), problem, lower, upper), branching_why)


OPEN_ABOVE = ("the profile likelihood does not fall by the chi-square cut (3.84) above the "
              "estimate within the optimiser's bounds: the data set no upper limit")


def profile(history: History, result: Fit, which: Sequence[int] | None = None) -> Fit:
    """The same fit with profile-likelihood 95% intervals instead of Wald intervals.

    For each parameter, the interval is where ``2 (L_max - L_profile) <= 3.84`` (chi-square,
    1 df), ``L_profile`` maximising over the others. A side that never drops that far within
    the optimiser's bounds is open: the lower bound becomes 0 (the data cannot rule out no
    effect), the upper ``nan``. Slower (one optimisation per trial value) but exact in the
    parameterisation and honest at zero. ``which`` limits it to some entries of
    :meth:`Params.vector` (the others keep their Wald intervals).
    """
    x = np.log(np.maximum(result.params.vector(), np.exp(LOG_LO)))
    top = loglik(result.params, history)
    lower, upper = result.lower.copy(), result.upper.copy()
    why = list(result.why or [""] * x.size)
    for k in range(x.size) if which is None else which:
        def drop(v: float, k: int = k) -> float:
            return 2 * (top - _profile_loglik(history, x, k, v)) - CHI2_95
        lo, hi = _side(drop, x[k], -1.0), _side(drop, x[k], 1.0)
        lower[k] = 0.0 if lo is None else np.exp(lo)
        upper[k] = np.nan if hi is None else np.exp(hi)
        why[k] = "" if hi is not None else OPEN_ABOVE
    return replace(result, lower=lower, upper=upper, why=tuple(why))


def _profile_loglik(history: History, x0: Array, k: int, value: float) -> float:
    d, m = len(history.parties), len(history.spoilers)
    free = np.arange(x0.size) != k

    def objective(z: Array) -> tuple[float, Array]:
        x = x0.copy()
        x[free], x[k] = z, value
        f, g = _objective(x, history, d, m)
        return f, g[free]

    res = optimize.minimize(objective, x0[free], jac=True, method="TNC",
                            bounds=[(LOG_LO, LOG_HI)] * int(free.sum()))
    return float(-res.fun * max(history.events, 1))


def _side(drop: Callable[[float], float], start: float, direction: float) -> float | None:
    """Where ``drop`` crosses 0 going from ``start`` in ``direction`` (log scale), or None."""
    inner, step = start, 0.25
    while True:
        outer = float(np.clip(start + direction * step, LOG_LO, LOG_HI))
        if drop(outer) > 0:
            return float(optimize.brentq(drop, min(inner, outer), max(inner, outer), xtol=1e-3))
        if outer in (LOG_LO, LOG_HI):
            return None
        inner, step = outer, step * 2


# --- goodness of fit: time-rescaling ------------------------------------------------------


def compensators(params: Params, history: History) -> tuple[list[Array], Array]:
    """``Lambda_i(t)`` at each event of party ``i``, and ``Lambda_i(horizon)`` per party.

    ``Lambda_i(t) = mu_i t + sum_j kernel[i, j] (count_j(t) - R_j(t)) / beta``.
    """
    kernel, beta = params.kernel, params.beta
    at_events = []
    totals = np.zeros(len(history.parties))
    end = np.array([history.horizon])
    for i, times in enumerate(history.parties):
        at_events.append(_compensator_at(params.mu[i], kernel[i], beta, history, times))
        totals[i] = _compensator_at(params.mu[i], kernel[i], beta, history, end)[0]
    return at_events, totals


def _compensator_at(mu: float, row: Array, beta: float, history: History,
                    times: Array) -> Array:
    out = mu * times
    for j, source in enumerate(history.sources):
        r, _, count = _decayed(source, times, beta)
        out = out + row[j] * (count - r) / beta
    return np.asarray(out, dtype=float)


def residuals(params: Params, history: History) -> Array:
    """Time-rescaled inter-event times of every party, pooled: iid Exp(1) under the model."""
    at_events, _ = compensators(params, history)
    return np.concatenate([np.diff(c, prepend=0.0) for c in at_events])


@dataclass(frozen=True)
class GoodnessOfFit:
    """Time-rescaling checks (Ogata 1988): two Kolmogorov-Smirnov tests and a verdict."""

    residuals: Array
    scaled: Array
    ks_exponential: float
    p_exponential: float
    ks_uniform: float
    p_uniform: float

    @property
    def consistent(self) -> bool:
        """Neither test rejects at 5% overall (Bonferroni: each at 2.5%)."""
        return min(self.p_exponential, self.p_uniform) >= 0.025


def goodness_of_fit(params: Params, history: History) -> GoodnessOfFit:
    """Test the time-rescaled events against a unit-rate Poisson process.

    Under the model, the rescaled inter-event times are iid Exp(1) (KS test against the unit
    exponential) and each party's rescaled event times ``Lambda_i(t) / Lambda_i(T)`` are iid
    uniform on [0, 1] given their number (KS test against the uniform): the second catches a
    rate that drifts over the window, which leaves the residuals' marginal law nearly
    exponential. Parameters are estimated, so p-values are slightly conservative.
    """
    at_events, totals = compensators(params, history)
    res = np.concatenate([np.diff(c, prepend=0.0) for c in at_events])
    scaled = np.concatenate([c / t for c, t in zip(at_events, totals, strict=True) if t > 0])
    ks_e = stats.kstest(res, "expon")
    ks_u = stats.kstest(scaled, "uniform")
    return GoodnessOfFit(res, np.sort(scaled), float(ks_e.statistic), float(ks_e.pvalue),
                         float(ks_u.statistic), float(ks_u.pvalue))
