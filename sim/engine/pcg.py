"""numpy's PCG64 generator and its uniform and standard exponential variates, compiled: the
same 64-bit outputs and the same floats as ``np.random.Generator(np.random.PCG64(...))``,
without building the two objects.

A replication reads about eight named streams (``sim.engine.rng``); each one cost a
``PCG64`` and a ``Generator`` (about 9 us in a loop, more between other work) before its
first block of 128 variates. Here a stream is four 64-bit words (the 128-bit state and
increment, high word first) and a block is one compiled call that also seeds the stream:
``numpy.random``'s own algorithms, O'Neill's PCG64 (XSL-RR output of a 128-bit LCG),
``random()`` as ``(x >> 11) * 2**-53`` and ``standard_exponential()`` by the ziggurat of
Marsaglia and Tsang with numpy's tables (numba ships them; the same ``exp`` and ``log1p``).
``tests/test_pcg.py`` requires the outputs and variates to equal numpy's, bit for bit, for
every seed it tries, over millions of draws (both of the ziggurat's rare branches included).
numba is imported with the first stream.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.np.random._constants import fe_double, ke_double, we_double, ziggurat_exp_r

from sim.engine.seeding import pcg64_state

MASK32 = 0xFFFFFFFF
MULT_HIGH, MULT_LOW = 0x2360ED051FC65DA4, 0x4385DF649FCCF645  # PCG's default 128-bit multiplier
TO_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53
KE, WE, FE = ke_double.copy(), we_double.copy(), fe_double.copy()  # numpy's ziggurat tables


@njit(cache=True, nogil=True)
def _high(a: np.uint64, b: np.uint64) -> np.uint64:  # pragma: no cover (compiled)
    """The high 64 bits of the 128-bit product of two 64-bit words."""
    m = np.uint64(MASK32)
    s = np.uint64(32)
    a_lo, a_hi, b_lo, b_hi = a & m, a >> s, b & m, b >> s
    p0, p1, p2, p3 = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi
    carry = ((p0 >> s) + (p1 & m) + (p2 & m)) >> s
    return p3 + (p1 >> s) + (p2 >> s) + carry


@njit(cache=True, nogil=True)
def _step(st: np.ndarray) -> None:  # pragma: no cover (compiled)
    """``state = state * MULT + inc`` modulo 2**128 (``st``: state high, low, inc high, low)."""
    mh, ml = np.uint64(MULT_HIGH), np.uint64(MULT_LOW)
    sh, sl = st[0], st[1]
    lo = sl * ml
    hi = _high(sl, ml) + sh * ml + sl * mh
    low = lo + st[3]
    st[0] = hi + st[2] + (np.uint64(1) if low < lo else np.uint64(0))
    st[1] = low


@njit(cache=True, nogil=True)
def next_uint64(st: np.ndarray) -> np.uint64:  # pragma: no cover (compiled)
    """The next output: a step, then XSL-RR, ``rotr64(high ^ low, high >> 58)``."""
    _step(st)
    hi = st[0]
    v = hi ^ st[1]
    r = hi >> np.uint64(58)
    return (v >> r) | (v << ((np.uint64(64) - r) & np.uint64(63)))


@njit(cache=True, nogil=True)
def seeded(words: np.ndarray) -> np.ndarray:  # pragma: no cover (compiled)
    """The stream numpy's ``PCG64`` makes of a seed sequence's four state words: state 0,
    increment ``2 * seq + 1`` (``seq`` words 2 and 3), a step, the state plus words 0 and 1,
    a step."""
    st = np.zeros(4, dtype=np.uint64)
    one = np.uint64(1)
    st[2] = (words[2] << one) | (words[3] >> np.uint64(63))
    st[3] = (words[3] << one) | one
    _step(st)
    low = st[1] + words[1]
    st[0] = st[0] + words[0] + (one if low < st[1] else np.uint64(0))
    st[1] = low
    _step(st)
    return st


@njit(cache=True, nogil=True)
def _exponential(st: np.ndarray) -> float:  # pragma: no cover (compiled)
    """numpy's ``random_standard_exponential``: the ziggurat, its base strip's tail by
    inversion and its wedges by rejection."""
    while True:
        ri = next_uint64(st) >> np.uint64(3)
        idx = ri & np.uint64(0xFF)
        ri >>= np.uint64(8)
        x = ri * WE[idx]
        if ri < KE[idx]:
            return x
        if idx == 0:
            return ziggurat_exp_r - np.log1p(-((next_uint64(st) >> np.uint64(11)) * TO_DOUBLE))
        if (FE[idx - np.uint64(1)] - FE[idx]) * ((next_uint64(st) >> np.uint64(11)) * TO_DOUBLE) \
                + FE[idx] < np.exp(-x):
            return x


@njit(cache=True, nogil=True)
def fill(st: np.ndarray, out: np.ndarray, exponential: bool) -> None:  # pragma: no cover
    """``out`` filled with the stream's next standard exponentials (``exponential``) or
    uniforms on [0, 1), as ``Generator.standard_exponential`` and ``Generator.random``."""
    if exponential:
        for k in range(out.shape[0]):
            out[k] = _exponential(st)
    else:
        for k in range(out.shape[0]):
            out[k] = (next_uint64(st) >> np.uint64(11)) * TO_DOUBLE


@njit(cache=True, nogil=True)
def first(seed_words: np.ndarray, replication: int, key: int, n: int, exponential: bool
          ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover (compiled)
    """Stream ``(replication, key)`` of the seed with 32-bit words ``seed_words``
    (``seeding.pcg64_state``) and its first ``n`` variates, in one call."""
    st = seeded(pcg64_state(seed_words, replication, key))
    out = np.empty(n)
    fill(st, out, exponential)
    return st, out


@njit(cache=True, nogil=True)
def firsts(seed_words: np.ndarray, replications: np.ndarray, keys: np.ndarray,
           exponential: np.ndarray, n: int
           ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover (compiled)
    """:func:`first` of several streams (``replications[k]``, ``keys[k]``, ``exponential[k]``)
    in one call: their states after it, one row each, and their first ``n`` variates."""
    m = replications.shape[0]
    states = np.empty((m, 4), dtype=np.uint64)
    blocks = np.empty((m, n))
    for k in range(m):
        states[k], blocks[k] = first(seed_words, replications[k], keys[k], n, exponential[k])
    return states, blocks


def generator(st: np.ndarray) -> np.random.Generator:
    """A numpy Generator that goes on from stream ``st`` (its next output is the stream's)."""
    bits = np.random.PCG64()
    bits.state = {"bit_generator": "PCG64",
                  "state": {"state": int(st[0]) << 64 | int(st[1]),
                            "inc": int(st[2]) << 64 | int(st[3])},
                  "has_uint32": 0, "uinteger": 0}
    return np.random.Generator(bits)


def warm() -> None:
    """Compile the kernels at the types ``sim.engine.rng`` passes them (the seed's words
    read-only, as its cache keeps them), or load them from numba's cache."""
    words = np.zeros(1, dtype=np.uint64)
    words.flags.writeable = False
    for exponential in (True, False):
        st, _ = first(words, 0, 0, 2, exponential)
        fill(st, np.empty(2), exponential)
    seeded(np.zeros(4, dtype=np.uint64))
    states, _ = firsts(words, np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int64),
                       np.array([True, False]), 2)
    fill(states[0], np.empty(2), True)
