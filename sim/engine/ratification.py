"""Ratifiers' moods and what the negotiators learn of them (docs/model.md, section 3.4).

Ratifier r draws its mood ``eps_r ~ Logistic(0, tau_r)`` once per replication, by the inverse
CDF from the first uniform of its own stream ``ratifier:NAME`` (``tau = 0``: ``eps = 0``), and
ratifies text o iff ``u_r(o) - d_r + eps_r >= 0``: a first vote ratifies with the logit
probability ``q_r(o)``, and the same text gets the same answer every time (a two-level game
with uncertainty, Iida 1993).

The negotiators (and mediators) know ``u_r``, ``d_r`` and the mood's distribution, never the
draw. Each vote bounds the mood: a refusal of o says ``eps_r < d_r - u_r(o)`` (the upper bound
``hi_r``), a ratification says ``eps_r >= d_r - u_r(o)`` (the lower bound ``lo_r``, which only
a text that failed through another ratifier can teach). From then on they use

    R_r(o) = max(0, F(hi) - F(max(x, lo))) / (F(hi) - F(lo)),   x = d_r - u_r(o),

``F`` the logistic CDF with scale ``tau_r``, and ``R(o) = prod_r R_r(o)``. A text a ratifier
refused has ``R = 0`` (``x = hi``), so it is never put to it again. A ratifier's utilities and
no-deal value are fixed within a replication, so the bounds, kept on the mood, are bounds on
its texts too.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from sim.engine.plan import RatifierParams, ratified_product
from sim.engine.rng import Streams


def mood(tau: float, uniform: float) -> float:
    """The Logistic(0, tau) variate of ``uniform`` by the inverse CDF, ``tau log(U / (1 - U))``
    (``-inf`` at ``U = 0``); 0 when ``tau = 0``."""
    if tau <= 0:
        return 0.0
    return -math.inf if uniform <= 0 else tau * math.log(uniform / (1.0 - uniform))


def mass(a: np.ndarray, b: float, tau: float) -> np.ndarray:
    """``P(a <= eps < b)`` for ``eps ~ Logistic(0, tau)``, elementwise in ``a`` (0 where
    ``a >= b``); from the upper tail where ``a >= 0``, so that no difference of two numbers
    near 1 loses the digits."""
    upper = expit(-a / tau) - expit(-b / tau)
    lower = expit(b / tau) - expit(a / tau)
    return np.where(a < b, np.where(a >= 0, upper, lower), 0.0)


def truncated(r: RatifierParams, lo: float, hi: float) -> np.ndarray:
    """``R_r(o)`` for every offer, the mood known to lie in ``[lo, hi)`` (module doc)."""
    x = r.no_deal - r.utilities
    total = float(mass(np.array([lo]), hi, r.tau)[0])
    if total <= 0:  # both bounds deep in one tail: the mood is as good as known
        return (x <= lo).astype(float)
    return np.asarray(mass(np.maximum(x, lo), hi, r.tau) / total, dtype=float)


class Ratification:
    """The ratifiers' moods (hidden) and the negotiators' ratification table ``R(o)``."""

    def __init__(self, ratifiers: list[RatifierParams], table: np.ndarray | None,
                 streams: Streams):
        self.ratifiers = ratifiers
        self.moods = [mood(r.tau, streams["ratifier:" + r.name].uniform() if r.tau > 0
                           else 0.0) for r in ratifiers]
        self.lo = [-math.inf] * len(ratifiers)
        self.hi = [math.inf] * len(ratifiers)
        self.each = [r.q for r in ratifiers]  # R_r(o), as the negotiators believe it
        self.table = table  # R(o) = prod_r R_r(o); None without ratifiers

    def vote(self, k: int, offer: int) -> bool:
        """Whether ratifier ``k`` ratifies ``offer``: ``u - d + eps >= 0`` (``tau = 0``: the
        plan's exact rule, ``u >= d`` to a relative tolerance)."""
        r = self.ratifiers[k]
        if r.tau <= 0:
            return bool(r.q[offer] >= 1.0)
        return bool(r.utilities[offer] - r.no_deal + self.moods[k] >= 0)

    def learn(self, k: int, offer: int, yes: bool) -> bool:
        """Narrow ratifier ``k``'s mood bounds by its vote on ``offer``; True when the table
        changed (recomputed only then)."""
        r = self.ratifiers[k]
        x = float(r.no_deal - r.utilities[offer])
        if r.tau <= 0 or (x <= self.lo[k] if yes else x >= self.hi[k]):
            return False
        if yes:
            self.lo[k] = x
        else:
            self.hi[k] = x
        self.each[k] = truncated(r, self.lo[k], self.hi[k])
        self.table = ratified_product(self.each)
        return True

    def known(self, k: int) -> str:
        """What the negotiators know of ratifier ``k``'s mood, for the story."""
        lo, hi = self.lo[k], self.hi[k]
        if math.isinf(lo):
            return f"below {hi:.3g}"
        return f"at least {lo:.3g}" if math.isinf(hi) else f"in [{lo:.3g}, {hi:.3g})"
