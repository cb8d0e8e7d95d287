"""numpy's ``SeedSequence(seed, spawn_key=(replication, key))`` state for a PCG64 stream,
compiled: the same four 64-bit words, at a tenth of the cost of building the SeedSequence.

A replication builds about nine named streams (``sim.engine.rng``); building each through
numpy's SeedSequence took about 10 us, most of it Python-level set-up around a few dozen
32-bit multiplications. :func:`pcg64_state` does those multiplications (O'Neill's
``seed_seq_fe`` hash as numpy implements it: ``mix_entropy`` over a pool of four words,
then ``generate_state``); ``tests/test_seeding.py`` requires the words to equal numpy's for
every seed, replication and key size. numba is imported with the first stream.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MASK = 0xFFFFFFFF
INIT_A, MULT_A = 0x43B0D7E5, 0x931E8875
INIT_B, MULT_B = 0x8B51F9DD, 0x58F38DED
MIX_L, MIX_R = 0xCA01F9DD, 0x4973F715
POOL = 4


@njit(cache=True, nogil=True)
def _words(x: int, out: np.ndarray, at: int) -> int:  # pragma: no cover (compiled)
    """numpy's 32-bit words of a non-negative integer below 2**64, least significant first
    (0 is one word), written from ``out[at]``; the next free position."""
    if x == 0:
        out[at] = 0
        return at + 1
    while x > 0:
        out[at] = x & MASK
        x >>= 32
        at += 1
    return at


@njit(cache=True, nogil=True)
def pcg64_state(seed_words: np.ndarray, replication: int, key: int
                ) -> np.ndarray:  # pragma: no cover (compiled)
    """The four uint64 words ``SeedSequence(seed, spawn_key=(replication, key))
    .generate_state(4, np.uint64)`` returns, ``seed_words`` the seed's 32-bit words."""
    entropy = np.zeros(len(seed_words) + POOL + 4, dtype=np.uint64)
    n = 0
    for w in seed_words:
        entropy[n] = w
        n += 1
    n = _words(replication, entropy, max(n, POOL))  # a spawn key pads the seed to the pool
    n = _words(key, entropy, n)
    return _generate(_pool(entropy, n))


@njit(cache=True, nogil=True)
def _pool(entropy: np.ndarray, n: int) -> np.ndarray:  # pragma: no cover (compiled)
    """numpy's ``mix_entropy``: the pool of four words from ``entropy[:n]``."""
    pool = np.zeros(POOL, dtype=np.uint64)
    h = np.uint64(INIT_A)
    for i in range(POOL):
        v, h = _hashmix(entropy[i] if i < n else np.uint64(0), h)
        pool[i] = v
    for src in range(POOL):
        for dst in range(POOL):
            if src != dst:
                v, h = _hashmix(pool[src], h)
                pool[dst] = _mix(pool[dst], v)
    for src in range(POOL, n):
        for dst in range(POOL):
            v, h = _hashmix(entropy[src], h)
            pool[dst] = _mix(pool[dst], v)
    return pool


@njit(cache=True, nogil=True)
def _generate(pool: np.ndarray) -> np.ndarray:  # pragma: no cover (compiled)
    """numpy's ``generate_state(4, np.uint64)``: eight 32-bit words from the pool, read in
    pairs as little-endian 64-bit words."""
    out = np.zeros(4, dtype=np.uint64)
    h = np.uint64(INIT_B)
    for i in range(8):
        v = pool[i % POOL] ^ h
        h = (h * np.uint64(MULT_B)) & np.uint64(MASK)
        v = (v * h) & np.uint64(MASK)
        v ^= v >> np.uint64(16)
        out[i // 2] |= v << np.uint64(32 * (i % 2))
    return out


@njit(cache=True, nogil=True)
def _hashmix(value: np.uint64, h: np.uint64) -> tuple[np.uint64, np.uint64]:  # pragma: no cover
    """numpy's ``hashmix``: the mixed value and the hash constant after it."""
    value = value ^ h
    h = (h * np.uint64(MULT_A)) & np.uint64(MASK)
    value = (value * h) & np.uint64(MASK)
    value ^= value >> np.uint64(16)
    return value, h


@njit(cache=True, nogil=True)
def _mix(x: np.uint64, y: np.uint64) -> np.uint64:  # pragma: no cover (compiled)
    """numpy's ``mix``: ``(MIX_L x - MIX_R y) mod 2**32``, its high half folded in."""
    r = (np.uint64(MIX_L) * x - np.uint64(MIX_R) * y) & np.uint64(MASK)
    return r ^ (r >> np.uint64(16))


def warm() -> None:
    """Compile :func:`pcg64_state` at the types ``sim.engine.rng.stream`` passes (the seed's
    words read-only, as its cache keeps them), or load it from numba's cache."""
    words = np.zeros(1, dtype=np.uint64)
    words.flags.writeable = False
    pcg64_state(words, 0, 0)
