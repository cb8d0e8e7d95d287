"""The stationary solve of the alternating protocol, compiled (numba).

:func:`sim.engine.protocols.alternating.stationary` is the reference: numpy over the scenarios,
ten or so array operations a round on arrays of a few thousand numbers, which leaves most of
the time in numpy's per-call overhead (it was 45% of the flagship's run). This is the same
backward induction as loops, compiled once per machine (``cache=True``), with the same
floating-point operations in the same order, so its values are bit-identical to the
reference's (``tests/test_kernels.py`` checks both on random tables). It covers unanimity,
with or without ratification, and choices that cycle (the mean over the period, found by a
hash of each cycle's choices); the reference solves majority and weighted rules.

numba is imported here only: the engine imports this module the first time a replication
solves, so commands that simulate nothing do not pay for it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

CYCLED = -2  # the status when the choices cycle: V is then the mean over the period


@njit(cache=True, nogil=True)
def solve(us: np.ndarray, ut: np.ndarray, r: np.ndarray, live: np.ndarray, ruled: bool,
          d: np.ndarray, delta: np.ndarray, cost: np.ndarray, eps: np.ndarray,
          max_cycles: int) -> tuple[np.ndarray, int]:  # pragma: no cover (compiled)
    """``V[i, s, k]`` as :func:`alternating.stationary` computes it, and a status (0, or
    :data:`CYCLED` when the choices cycle and ``V`` is the mean over the period).

    ``us[i]`` is ``Tables.stacked_u[i]`` (parties x offers in i's order), ``ut[i]`` its
    transpose, ``r[i]`` and ``live[i]`` R in i's order and where it is positive; ``ruled``
    says whether a ratification rule applies (:func:`alternating._round_roles`) or not
    (:func:`alternating._round`)."""
    return solve_within(us, ut, r, live, ruled, d, delta, cost, eps, max_cycles,
                        bounds(r, ut, live), reaches(ut))


@njit(cache=True, nogil=True)
def solve_within(us: np.ndarray, ut: np.ndarray, r: np.ndarray, live: np.ndarray, ruled: bool,
                 d: np.ndarray, delta: np.ndarray, cost: np.ndarray, eps: np.ndarray,
                 max_cycles: int, top: np.ndarray, reach: np.ndarray
                 ) -> tuple[np.ndarray, int]:  # pragma: no cover (compiled)
    """:func:`solve` with what the tables alone fix found beforehand: ``top``
    (:func:`bounds`) and ``reach`` (:func:`reaches`), the same for every solve of a rule."""
    n, s = us.shape[0], d.shape[0]
    v = np.empty((n, s, n))
    for i in range(n):
        v[i] = d
    picks = np.full((n, s), -2, dtype=np.int64)
    seen = [np.full((n, s), -3, dtype=np.int64)]  # typed by a first entry no choice equals
    hashes = [np.int64(0)]
    values = [v.copy()]  # values[k]: V when seen[k] was recorded (entry 0 a placeholder)
    thr = np.empty((s, n))
    settled = False
    # fixed[a]: scenario a's values came out of the last cycle bit for bit as they went in,
    # so every later cycle gives them (and its choices) again: it is not computed anew.
    fixed = np.zeros(s, dtype=np.bool_)
    for _ in range(max_cycles):
        before, prev = picks.copy(), v.copy()
        for i in range(n):
            _thresholds(thr, d, delta, cost, v[(i + 1) % n])
            _round(us[i], ut[i], r[i], top[i], live[i], ruled, i, thr, eps, v[i], picks[i],
                   reach[i], fixed)
        _mark_fixed(fixed, v, prev)
        if np.array_equal(picks, before):
            if settled:
                break
            _never(picks, v, d, fixed)  # every scenario where nobody agrees: exactly d
            settled = True
            continue
        settled = False
        h = _hash(picks)
        for k in range(1, len(seen)):
            if hashes[k] == h and np.array_equal(seen[k], picks):
                return _period_mean(values, k), CYCLED
        seen.append(picks.copy())
        hashes.append(h)
        values.append(v.copy())
    return v, 0


@njit(cache=True, nogil=True)
def _hash(picks: np.ndarray) -> np.int64:  # pragma: no cover (compiled)
    """FNV-1a over the choices: a cheap key, equal choices equal keys (then compared whole)."""
    h = np.int64(-3750763034362895579)
    for x in picks.ravel():
        h = (h ^ np.int64(x + 3)) * np.int64(1099511628211)
    return h


@njit(cache=True, nogil=True)
def _period_mean(values: list[np.ndarray], start: int) -> np.ndarray:  # pragma: no cover
    """The mean of ``values[start:]`` as numpy's ``mean(axis=0)`` adds them: in order, from
    the first, then divided by their number."""
    out = values[start].copy()
    for k in range(start + 1, len(values)):
        out += values[k]
    return out / float(len(values) - start)


@njit(cache=True, nogil=True)
def bounds(r: np.ndarray, ut: np.ndarray, live: np.ndarray
           ) -> np.ndarray:  # pragma: no cover (compiled)
    """What the offers from f on in i's order can score, ``top[i, :, f]``: the largest R
    (``top[i, 0]``), the largest ``R u_i`` and the smallest R among the live ones
    (``top[i, 1]``, ``top[i, 2]``; -inf and inf when none is live), and in ``top[i, 3, 0]``
    the largest ``|u_i|`` of all, the scale of the rounding margin."""
    n, offers = r.shape
    top = np.empty((n, 4, offers))
    for i in range(n):
        hi, ru, lo, scale = -np.inf, -np.inf, np.inf, 0.0
        for f in range(offers - 1, -1, -1):
            hi = max(hi, r[i, f])
            if live[i, f]:
                ru, lo = max(ru, r[i, f] * ut[i, f, i]), min(lo, r[i, f])
            scale = max(scale, abs(ut[i, f, i]))
            top[i, 0, f], top[i, 1, f], top[i, 2, f] = hi, ru, lo
        top[i, 3, :] = scale
    return top


@njit(cache=True, nogil=True)
def reaches(ut: np.ndarray) -> np.ndarray:  # pragma: no cover (compiled)
    """``reach[i, j, f] = max(ut[i, :f + 1, j])``: the most party j gets from any of the
    first f + 1 offers in i's order (non-decreasing in f, so searchable)."""
    n, offers = ut.shape[0], ut.shape[1]
    reach = np.empty((n, n, offers))
    for i in range(n):
        for j in range(n):
            best = -np.inf
            for f in range(offers):
                best = max(best, ut[i, f, j])
                reach[i, j, f] = best
    return reach


@njit(cache=True, nogil=True)
def _start(reach: np.ndarray, i: int, low: np.ndarray) -> int:  # pragma: no cover (compiled)
    """The first offer in i's order that might pass: before it, some responder j gets less
    than ``low[j]`` from every offer (the first f with ``reach[j, f] >= low[j]``, by
    bisection); the number of offers when none can."""
    start = 0
    for j in range(reach.shape[0]):
        if j != i:
            start = max(start, np.searchsorted(reach[j], low[j]))
    return start


@njit(cache=True, nogil=True)
def _thresholds(thr: np.ndarray, d: np.ndarray, delta: np.ndarray, cost: np.ndarray,
                vn: np.ndarray) -> None:  # pragma: no cover (compiled)
    """``thr = maximum(d, d + delta (V_next - d) - cost)``, in numpy's order of operations."""
    s, n = d.shape
    for a in range(s):
        for k in range(n):
            x = d[a, k] + delta[k] * (vn[a, k] - d[a, k]) - cost[k]
            thr[a, k] = d[a, k] if d[a, k] >= x else x


@njit(cache=True, nogil=True)
def _round(us: np.ndarray, ut: np.ndarray, r: np.ndarray, top: np.ndarray, live: np.ndarray,
           ruled: bool, i: int, thr: np.ndarray, eps: np.ndarray, vi: np.ndarray,
           picks: np.ndarray, reach: np.ndarray, fixed: np.ndarray
           ) -> None:  # pragma: no cover (compiled)
    """One round, i proposing, in every scenario not ``fixed``: writes ``vi`` and ``picks``.
    Each scan starts at :func:`_start` (the offers before it pass nobody's test, so they
    change nothing)."""
    s, n = thr.shape
    low = np.empty(n)  # each responder's lowest acceptable utility, u_j >= t_j - eps_j
    for a in range(s):
        if fixed[a]:
            continue
        for j in range(n):
            low[j] = thr[a, j] - eps[j]
        low[i] = -np.inf  # i votes for its own offer
        start = _start(reach, i, low)
        if ruled:
            first = _best(ut, r, top, live, i, thr[a, i], low, start)
        else:
            first = _first(ut, low, start)
        agree = first >= 0 and us[i, first] >= thr[a, i] - eps[i]
        if agree and ruled:
            rf = r[first]
            for k in range(n):
                vi[a, k] = rf * ut[first, k] + (1.0 - rf) * thr[a, k]
        elif agree:
            for k in range(n):
                vi[a, k] = ut[first, k]
        else:
            for k in range(n):
                vi[a, k] = thr[a, k]
        picks[a] = first if agree else -1


@njit(cache=True, nogil=True)
def _passes(ut: np.ndarray, f: int, low: np.ndarray) -> bool:  # pragma: no cover
    """Every responder accepts offer f (the proposer's ``low`` is -inf)."""
    for j in range(ut.shape[1]):
        if ut[f, j] < low[j]:
            return False
    return True


@njit(cache=True, nogil=True)
def _first(ut: np.ndarray, low: np.ndarray, start: int) -> int:  # pragma: no cover
    """Without a rule: the first offer in i's order that every responder accepts (-1: none)."""
    for f in range(start, ut.shape[0]):
        if _passes(ut, f, low):
            return f
    return -1


@njit(cache=True, nogil=True)
def _best(ut: np.ndarray, r: np.ndarray, top: np.ndarray, live: np.ndarray, i: int,
          ti: float, low: np.ndarray, start: int) -> int:  # pragma: no cover (compiled)
    """With a rule: among the offers that pass, the first maximising ``R (u_i - t_i)``
    (numpy's argmax over a -inf-masked score; -1 when none passes).

    The scan stops once no later offer can beat the best so far: i's order lists offers by
    ``u_i`` falling, so a later offer scores at most ``top (u_i - t_i)`` (``top`` the largest
    R still to come) while that gain is positive, and less than zero after; rounding is
    monotone, so the bound holds for the computed scores too, and a tie goes to the earlier
    offer anyway. It also stops once the live offers still to come score at most
    ``max(R u) - t min(R)`` (``- t max(R)`` for a negative t) and that, plus a margin a
    million times the rounding of either side, is below the best so far."""
    best, first = -np.inf, -1
    margin = 1e-9 * (top[3, 0] + abs(ti))  # far above the rounding of either side
    for f in range(start, ut.shape[0]):
        gain = ut[f, i] - ti
        if first >= 0 and best >= 0.0 and (gain < 0.0 or top[0, f] * gain <= best):
            break
        # Also: R (u - t) <= max(R u) - t min(R) over the live offers still to come (t >= 0;
        # t < 0: - t max(R)), exact arithmetic, so a margin covers the rounding.
        if first >= 0 and top[1, f] - ti * (top[2, f] if ti >= 0.0 else top[0, f]) \
                + margin < best:
            break
        if live[f] and _passes(ut, f, low):
            score = r[f] * gain
            if first < 0 or score > best:
                best, first = score, f
    return first


@njit(cache=True, nogil=True)
def _mark_fixed(fixed: np.ndarray, v: np.ndarray, prev: np.ndarray
                ) -> None:  # pragma: no cover (compiled)
    """``fixed[a]`` once scenario a's values after a cycle equal those before it, bit for bit
    (the sign of a zero included; NaN never equals)."""
    n, s, m = v.shape
    for a in range(s):
        if fixed[a]:
            continue
        same = True
        for i in range(n):
            for k in range(m):
                x, y = v[i, a, k], prev[i, a, k]
                if not (x == y and np.signbit(x) == np.signbit(y)):
                    same = False
        fixed[a] = same


@njit(cache=True, nogil=True)
def _never(picks: np.ndarray, v: np.ndarray, d: np.ndarray,
           fixed: np.ndarray) -> None:  # pragma: no cover (compiled)
    """Where no proposer agrees, every value is exactly d (the going-on value's fixed point);
    a scenario whose values this changes is computed again."""
    n, s = picks.shape
    for a in range(s):
        never = True
        for i in range(n):
            if picks[i, a] >= 0:
                never = False
        if never:
            for i in range(n):
                for k in range(d.shape[1]):
                    x, y = v[i, a, k], d[a, k]
                    if not (x == y and np.signbit(x) == np.signbit(y)):
                        fixed[a] = False
                    v[i, a, k] = y


@njit(cache=True, nogil=True)
def screen(u: np.ndarray, i: int, g: np.ndarray, m: int, alive: np.ndarray, floor: np.ndarray,
           eps: np.ndarray, ratified: np.ndarray, ruled: bool, rank: np.ndarray,
           gi: float) -> tuple[int, float]:  # pragma: no cover (compiled)
    """Proposer i's screening offer as :func:`alternating.screen_reference` chooses it (its
    position, -1 to pass) and its believed probability of passing, under unanimity: each
    other party's share of surviving types that accept (above its floor), multiplied in
    party order, times R when ``ruled``."""
    n, offers = u.shape
    prob = np.ones(offers)
    for j in range(n):
        if j != i:
            _times_share(prob, u[j], g[1 + j * m: 1 + (j + 1) * m, j], alive[j], eps[j],
                         floor[j])
    if ruled:
        for f in range(offers):
            prob[f] = prob[f] * ratified[f]
    pick = _choose(u[i], prob, gi, eps[i], rank)
    return pick, prob[pick] if pick >= 0 else 0.0


@njit(cache=True, nogil=True)
def _choose(ui: np.ndarray, prob: np.ndarray, gi: float, eps: float,
            rank: np.ndarray) -> int:  # pragma: no cover (compiled)
    """:func:`alternating.choose`: the best expected offer worth ``gi``, ties to the higher
    prob, then the lower rank (-1: none)."""
    offers = len(ui)
    cand = np.empty(offers, dtype=np.bool_)
    best, ok = -np.inf, False
    for f in range(offers):
        cand[f] = ui[f] >= gi - eps and prob[f] > 0
        if cand[f]:
            eu = prob[f] * ui[f] + (1.0 - prob[f]) * gi
            best, ok = eu if not ok or eu > best else best, True
    if not ok:
        return -1
    top = -np.inf
    for f in range(offers):
        if cand[f]:
            cand[f] = prob[f] * ui[f] + (1.0 - prob[f]) * gi >= best - eps
            if cand[f] and prob[f] > top:
                top = prob[f]
    pick = -1
    for f in range(offers):
        if cand[f] and prob[f] >= top - 1e-12 and (pick < 0 or rank[f] < rank[pick]):
            pick = f
    return pick


@njit(cache=True, nogil=True)
def _times_share(prob: np.ndarray, uj: np.ndarray, types: np.ndarray, alive: np.ndarray,
                 eps: float, floor: float) -> None:  # pragma: no cover (compiled)
    """``prob *= share``: the share of j's surviving types whose value of going on (less
    eps) an offer meets, zero at or below j's floor (``alternating._acceptance``)."""
    thr = types[alive] - eps
    k = len(thr)
    for f in range(len(uj)):
        c = 0
        for t in range(k):
            if uj[f] >= thr[t]:
                c += 1
        share = c / k
        prob[f] = prob[f] * (share if uj[f] > floor + eps else 0.0)


@njit(cache=True, nogil=True)
def no_deal(d0: np.ndarray, trend: np.ndarray, now: float, shift: np.ndarray,
            cut: np.ndarray) -> np.ndarray:  # pragma: no cover (compiled)
    """``d[s, k] = d0[s, k] + trend[k] now + shift[k] - cut[k]`` in numpy's order of
    operations (:meth:`alternating.Alternating.no_deal`; ``cut`` the audience costs, 0 for a
    party without one)."""
    s, n = d0.shape
    d = np.empty((s, n))
    for k in range(n):
        t = trend[k] * now
        for a in range(s):
            x = d0[a, k] + t + shift[k]
            d[a, k] = x - cut[k] if cut[k] != 0.0 else x
    return d


@njit(cache=True, nogil=True)
def going_on(d: np.ndarray, delta: np.ndarray, cost: np.ndarray, v: np.ndarray, solved: bool,
             lots: np.ndarray, bs: np.ndarray, unstated: np.ndarray
             ) -> np.ndarray:  # pragma: no cover (compiled)
    """:func:`alternating.going_reference`: ``g = max(d, d + delta (v - d) - cost)`` (``d``
    when not ``solved``: no round will ever come), then each lottery ``(k, c, p)`` of ``lots``
    in turn, ``g - (1 - p) c (g - b)`` with ``b`` deadline k's plan-B payoffs (``d`` where
    ``unstated``)."""
    s, n = d.shape
    g = np.empty((s, n))
    for a in range(s):
        for k in range(n):
            if solved:
                x = d[a, k] + delta[k] * (v[a, k] - d[a, k]) - cost[k]
                g[a, k] = d[a, k] if d[a, k] >= x else x
            else:
                g[a, k] = d[a, k]
    for row in range(lots.shape[0]):
        _lottery(g, d, int(lots[row, 0]), (1.0 - lots[row, 2]) * lots[row, 1], bs, unstated)
    return g


@njit(cache=True, nogil=True)
def _lottery(g: np.ndarray, d: np.ndarray, dk: int, w: float, bs: np.ndarray,
             unstated: np.ndarray) -> None:  # pragma: no cover (compiled)
    """Deadline dk's lottery with weight ``w`` on ``g`` in place: ``g - w (g - b)``, ``b`` its
    plan-B payoffs (``d`` where ``unstated``)."""
    s, n = d.shape
    for a in range(s):
        for k in range(n):
            b = d[a, k] if unstated[dk, a, k] else bs[dk, a, k]
            g[a, k] = g[a, k] - w * (g[a, k] - b)


@njit(cache=True, nogil=True)
def _block(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover (compiled)
    """numpy's float64 sum of up to 128 numbers ``a[lo:lo + n]``: a plain loop under 8,
    else eight running sums combined as a tree, then the rest one by one."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r = a[lo: lo + 8].copy()
    i = 8
    while i < n - (n % 8):
        for k in range(8):
            r[k] += a[lo + i + k]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def _pairwise(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover (compiled)
    """The sum of ``a[lo:lo + n]`` as numpy's float64 ``add.reduce`` adds it (pairwise
    summation: :func:`_block` up to 128 numbers, above that the sum of two halves, the
    first a multiple of 8). The halving is walked with a stack, not by recursion: numba's
    cache does not keep recursive functions reliably."""
    if n <= 128:
        return _block(a, lo, n)
    seg = np.empty((64, 3), dtype=np.int64)  # (start, length, halves done) per open segment
    vals = np.empty(64)  # sums of finished segments, awaiting their sibling
    top, nv = 0, 0
    seg[0, 0], seg[0, 1], seg[0, 2] = lo, n, 0
    while top >= 0:
        start, length, done = seg[top, 0], seg[top, 1], seg[top, 2]
        if length <= 128:
            vals[nv] = _block(a, start, length)
            nv, top = nv + 1, top - 1
            continue
        half = length // 2
        half -= half % 8
        if done < 2:  # open the first half, then the second
            seg[top, 2] = done + 1
            top += 1
            seg[top, 0] = start if done == 0 else start + half
            seg[top, 1] = half if done == 0 else length - half
            seg[top, 2] = 0
        else:  # both halves summed: first + second
            vals[nv - 2] = vals[nv - 2] + vals[nv - 1]
            nv, top = nv - 1, top - 1
    return vals[0]


@njit(cache=True, nogil=True)
def mean_at(g: np.ndarray, rows: np.ndarray, col: int) -> float:  # pragma: no cover
    """``g[rows, col].mean()`` as numpy computes it (the sum of :func:`_pairwise` over the
    count)."""
    a = np.empty(len(rows))
    for t in range(len(rows)):
        a[t] = g[rows[t], col]
    return _pairwise(a, 0, len(a)) / len(a)


@njit(cache=True, nogil=True)
def type_means(d: np.ndarray, m: int) -> np.ndarray:  # pragma: no cover (compiled)
    """Each party k's mean over its m types, ``d[1 + k m: 1 + (k + 1) m, k].mean()``, as
    numpy computes it."""
    n = d.shape[1]
    out = np.empty(n)
    for k in range(n):
        out[k] = mean_at(d, np.arange(1 + k * m, 1 + (k + 1) * m), k)
    return out


@njit(cache=True, nogil=True)
def candidates(u: np.ndarray, d: np.ndarray, m: int, eps: np.ndarray,
               r: np.ndarray) -> tuple[np.ndarray, bool]:  # pragma: no cover (compiled)
    """:func:`alternating.candidates_reference`: the offers a mediator may put forward, each
    party's utility more than ``eps`` above its mean no-deal value over its types and
    ``r > 0``; and whether there is any."""
    believed = type_means(d, m)
    n, offers = u.shape
    ok = np.empty(offers, dtype=np.bool_)
    some = False
    for f in range(offers):
        good = r[f] > 0
        for k in range(n):
            if not u[k, f] - believed[k] > eps[k]:
                good = False
        ok[f] = good
        some = some or good
    return ok, some


@njit(cache=True, nogil=True)
def propose(d0: np.ndarray, trend: np.ndarray, now: float, shift: np.ndarray, cut: np.ndarray,
            delta: np.ndarray, cost: np.ndarray, v: np.ndarray, solve_now: bool, rounds: bool,
            us: np.ndarray, ut: np.ndarray, r: np.ndarray, live: np.ndarray, ruled: bool,
            eps: np.ndarray, max_cycles: int, top: np.ndarray, reach: np.ndarray,
            lots: np.ndarray, bs: np.ndarray, unstated: np.ndarray, i: int, u: np.ndarray,
            m: int, alive: np.ndarray, floor: np.ndarray, ratified: np.ndarray,
            rank: np.ndarray, exact: bool
            ) -> tuple[int, float, float, np.ndarray, np.ndarray, bool]:  # pragma: no cover
    """A proposer's turn under unanimity in one call: :func:`no_deal`, the stationary values
    ``v`` (:func:`solve`, when ``solve_now``; else ``v`` is the kept solution, or unused when
    no round will ever come: ``rounds`` false; ``top`` and ``reach`` as :func:`solve_within`
    reads them), :func:`going_on` with the next proposer's values, i's believed value of
    going on (:func:`mean_at` over :func:`believed_rows`) and :func:`screen`. Returns the
    offer's position (-1: pass), its believed probability, i's value of going on, ``g``,
    ``v`` and whether ``v`` is a new solution to keep. The same operations in the same order
    as the calls one by one (``Alternating.going_on``, ``_believed``, ``kernels.screen``).

    Unless ``exact``, a turn that would solve first asks :func:`certain_pass`; when i passes
    whatever the solution, the turn returns the pass without solving (the same choice, so the
    same replication): ``gi`` is then NaN, ``g`` the lower bound it screened and ``v`` the one
    passed in (not a solution: not to keep). ``exact`` (a story that prints ``gi``) always
    solves."""
    d = no_deal(d0, trend, now, shift, cut)
    solved = False
    if not rounds:
        g = going_on(d, delta, cost, d, False, lots, bs, unstated)
    else:
        if solve_now:
            if not exact:
                low = certain_pass(d, delta, cost, lots, bs, unstated, i, u, m, alive, floor,
                                   eps, ratified, ruled, rank)
                if low.shape[0] > 0:
                    return -1, 0.0, np.nan, low, v, False
            v = solve_within(us, ut, r, live, ruled, d, delta, cost, eps, max_cycles, top,
                             reach)[0]
            solved = True
        g = going_on(d, delta, cost, v[(i + 1) % us.shape[0]], True, lots, bs, unstated)
    gi = mean_at(g, believed_rows(alive, i, m), i)
    f, prob = screen(u, i, g, m, alive, floor, eps, ratified, ruled, rank, gi)
    return f, prob, gi, g, v, solved


SLACK = 1e-9  # of the values' scale: far above the rounding of either side of a comparison


@njit(cache=True, nogil=True)
def certain_pass(d: np.ndarray, delta: np.ndarray, cost: np.ndarray, lots: np.ndarray,
                 bs: np.ndarray, unstated: np.ndarray, i: int, u: np.ndarray, m: int,
                 alive: np.ndarray, floor: np.ndarray, eps: np.ndarray, ratified: np.ndarray,
                 ruled: bool, rank: np.ndarray) -> np.ndarray:  # pragma: no cover (compiled)
    """A lower bound of the values of going on under which proposer i passes, when i passes
    whatever the stationary values are; an empty array when that is not certain.

    The value of going on is ``max(d, d + delta (v - d) - cost)`` with each lottery applied,
    ``g - w (g - b)`` for a weight ``w`` in [0, 1]: at least ``d`` with the lotteries applied,
    whatever ``v``. Screening is monotone in those values: a higher value of going on for i
    leaves fewer offers worth making, and for a responder's types fewer types that accept an
    offer (its floor and R do not depend on them). So when :func:`screen` finds no offer on
    the bound, lowered by a slack far above rounding, it finds none on the true values: the
    stationary solve can be skipped. Weights outside [0, 1] or values that are not finite
    leave it uncertain."""
    if not _weighted(lots):
        return np.empty((0, 0))
    low = going_on(d, delta, cost, d, False, lots, bs, unstated)
    scale = max(1.0, _magnitude(d), _magnitude(low), _stated(bs, unstated), _magnitude(u))
    if not np.isfinite(scale):
        return np.empty((0, 0))
    low -= SLACK * scale
    f, _ = screen(u, i, low, m, alive, floor, eps, ratified, ruled, rank,
                  mean_at(low, believed_rows(alive, i, m), i))
    return low if f < 0 else np.empty((0, 0))


@njit(cache=True, nogil=True)
def going_on_bounds(d: np.ndarray, delta: np.ndarray, cost: np.ndarray, lots: np.ndarray,
                    bs: np.ndarray, unstated: np.ndarray, umax: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover (compiled)
    """Bounds of the value of going on :func:`going_on` gives with any stationary solution:
    below, the lotteries applied to ``d`` (``g >= d`` by its max); above, ``v`` replaced by
    ``max(d, umax)`` (a solution's values are offers' utilities, values of going on and their
    mixtures and means, none above both ``d`` and the best offer ``umax`` of its party, when
    the discounts are in [0, 1] and the costs not negative; ``going_on`` is increasing in
    ``v``, its lotteries in ``g`` for weights in [0, 1]). Each is moved out by a slack far
    above rounding (:data:`SLACK` of the values' scale). Empty arrays when a condition fails
    or a value is not finite."""
    none = (np.empty((0, 0)), np.empty((0, 0)))
    for k in range(d.shape[1]):
        if not (0.0 <= delta[k] <= 1.0 and cost[k] >= 0.0):
            return none
    if not _weighted(lots):
        return none
    s, n = d.shape
    top = np.empty((s, n))
    for a in range(s):
        for k in range(n):
            top[a, k] = max(d[a, k], umax[k])
    low = going_on(d, delta, cost, d, False, lots, bs, unstated)
    high = going_on(d, delta, cost, top, True, lots, bs, unstated)
    scale = max(1.0, _magnitude(top), _magnitude(low), _magnitude(high),
                _stated(bs, unstated))
    if not np.isfinite(scale):
        return none
    return low - SLACK * scale, high + SLACK * scale


@njit(cache=True, nogil=True)
def _weighted(lots: np.ndarray) -> bool:  # pragma: no cover (compiled)
    """Every lottery's weight ``(1 - p) c`` is in [0, 1] (the lottery is increasing in g)."""
    for row in range(lots.shape[0]):
        w = (1.0 - lots[row, 2]) * lots[row, 1]
        if not 0.0 <= w <= 1.0:
            return False
    return True


@njit(cache=True, nogil=True)
def _magnitude(x: np.ndarray) -> float:  # pragma: no cover (compiled)
    """The largest ``|x|`` of a table (NaN when it holds one: then no bound is kept)."""
    out = 0.0
    for a in range(x.shape[0]):
        for k in range(x.shape[1]):
            v = abs(x[a, k])
            if np.isnan(v):
                return np.nan
            out = max(out, v)
    return out


@njit(cache=True, nogil=True)
def _stated(bs: np.ndarray, unstated: np.ndarray) -> float:  # pragma: no cover (compiled)
    """The largest ``|b|`` of the plan-B payoffs stated."""
    out = 0.0
    for dk in range(bs.shape[0]):
        out = max(out, _magnitude(np.where(unstated[dk], 0.0, bs[dk])))
    return out


@njit(cache=True, nogil=True)
def believed_rows(alive: np.ndarray, i: int, m: int) -> np.ndarray:  # pragma: no cover
    """The scenario rows of the other parties' types that i still holds possible, party by
    party in index order, each party's types in order (``Alternating._rows``)."""
    n = alive.shape[0]
    count = 0
    for j in range(n):
        if j != i:
            for t in range(m):
                count += alive[j, t]
    rows = np.empty(count, dtype=np.int64)
    k = 0
    for j in range(n):
        if j != i:
            for t in range(m):
                if alive[j, t]:
                    rows[k] = 1 + j * m + t
                    k += 1
    return rows


@njit(cache=True, nogil=True)
def answer(u: np.ndarray, f: int, g: np.ndarray, m: int, eps: np.ndarray, alive: np.ndarray,
           floor: np.ndarray, i: int) -> np.ndarray:  # pragma: no cover (compiled)
    """Every party's vote on the offer at position ``f`` (``Alternating.answers``): j accepts
    iff ``u_j >= g[0, j] - eps_j``; the types of j the others still hold are those that would
    have answered the same (all of them again when none would), and a refusal raises j's
    floor to ``u_j``. The proposer ``i`` votes yes (-1: a mediator's text, every party
    answers). Updates ``alive`` and ``floor``; returns the votes."""
    n = u.shape[0]
    votes = np.ones(n, dtype=np.bool_)
    for j in range(n):
        if j == i:
            continue
        x = u[j, f]
        yes = x >= g[0, j] - eps[j]
        votes[j] = yes
        left = False
        for t in range(m):
            keep = (x >= g[1 + j * m + t, j] - eps[j]) == yes
            alive[j, t] = alive[j, t] and keep
            left = left or alive[j, t]
        if not left:
            alive[j, :] = True
        if not yes and x > floor[j]:  # Python's max(floor, x): floor unless x is larger
            floor[j] = x
    return votes


@njit(cache=True, nogil=True)
def acceptable(u: np.ndarray, g: np.ndarray, eps: np.ndarray, ratified: np.ndarray,
               ruled: bool) -> bool:  # pragma: no cover (compiled)
    """Whether some offer is worth every party's value of going on ``g`` (row 0:
    ``u_k >= g[0, k] - eps_k``) and, when ``ruled``, has R > 0
    (``alternating.acceptable_reference``)."""
    n, offers = u.shape
    for f in range(offers):
        if ruled and not ratified[f] > 0:
            continue
        ok = True
        for k in range(n):
            if not u[k, f] >= g[0, k] - eps[k]:
                ok = False
                break
        if ok:
            return True
    return False


@njit(cache=True, nogil=True)
def mediation(d0: np.ndarray, trend: np.ndarray, now: float, shift: np.ndarray, cut: np.ndarray,
              u: np.ndarray, m: int, eps: np.ndarray, r: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, bool]:  # pragma: no cover (compiled)
    """A mediator's look at the table in one call: :func:`no_deal`, then :func:`candidates`
    on it; returns the no-deal values, the candidate texts and whether there is any."""
    d = no_deal(d0, trend, now, shift, cut)
    ok, some = candidates(u, d, m, eps, r)
    return d, ok, some


@njit(cache=True, nogil=True)
def threat_point(d: np.ndarray, rho: np.ndarray, now: float, ahead: np.ndarray,
                 bs: np.ndarray, unstated: np.ndarray) -> np.ndarray:  # pragma: no cover
    """:func:`alternating.threat_point_reference`, the same operations in the same order:
    the value of never agreeing while the deadlines ``ahead`` (rows ``(k, c, day)``, latest
    first) are live, each one's lottery ``x - c (x - b)`` discounted by ``exp(-rho gap)``
    from it to the one before and from the first to ``now``."""
    never = d.copy()
    factor = np.empty(d.shape[1])
    for row in range(ahead.shape[0]):
        if row > 0:
            _discount(never, d, rho, ahead[row - 1, 2] - ahead[row, 2], factor)
        _lottery(never, d, int(ahead[row, 0]), ahead[row, 1], bs, unstated)
    if ahead.shape[0]:
        _discount(never, d, rho, ahead[ahead.shape[0] - 1, 2] - now, factor)
    return never


@njit(cache=True, nogil=True)
def _discount(never: np.ndarray, d: np.ndarray, rho: np.ndarray, gap: float,
              factor: np.ndarray) -> None:  # pragma: no cover (compiled)
    """``never = d + exp(-rho gap) (never - d)`` in place."""
    s, n = d.shape
    for k in range(n):
        factor[k] = np.exp(-rho[k] * gap)
    for a in range(s):
        for k in range(n):
            never[a, k] = d[a, k] + factor[k] * (never[a, k] - d[a, k])
