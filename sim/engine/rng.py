"""Named random streams: one per replication and mechanism, independent of chunking.

Replication ``i`` of a scenario with seed ``s`` draws from ``SeedSequence(s, spawn_key=(i,))``;
each mechanism or actor gets the child ``spawn_key=(i, crc32(name))``. Two scenarios that
differ in one parameter therefore share every other draw (common random numbers), and no
result depends on which worker ran which replication.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

BLOCK = 128


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator for one named stream of one replication: PCG64 seeded by
    ``SeedSequence(seed, spawn_key=(replication, crc32(name)))``, its state words computed by
    ``sim.engine.seeding`` (numpy's own SeedSequence beyond what that handles)."""
    key = _crc(name)
    if not compiled_seeding(seed, replication):
        return np.random.Generator(np.random.PCG64(
            np.random.SeedSequence(seed, spawn_key=(replication, key))))
    from sim.engine.seeding import pcg64_state  # numba loads with the first stream

    seeded = _Seeded(pcg64_state(_seed_words(seed), replication, key))
    return np.random.Generator(np.random.PCG64(seeded))  # type: ignore[arg-type]


def compiled_seeding(seed: int, replication: int) -> bool:
    """Whether ``sim.engine.seeding`` seeds the streams of ``(seed, replication)`` (a
    replication below 2**63; numpy's SeedSequence otherwise, and it refuses a negative
    seed)."""
    return seed >= 0 and 0 <= replication < 2**63


class _Seeded(ISeedSequence):
    """A seed sequence whose state words are already computed (``seeding.pcg64_state``),
    handed to PCG64, which asks for exactly those four uint64 words."""

    __slots__ = ("words",)

    def __init__(self, words: np.ndarray):
        self.words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if n_words != len(self.words) or np.dtype(dtype) != np.uint64:
            raise ValueError("a precomputed PCG64 state is four uint64 words")
        return self.words


@functools.cache
def _crc(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


@functools.cache
def _seed_words(seed: int) -> np.ndarray:
    """A non-negative seed's 32-bit words as numpy's SeedSequence reads it (0 is one word),
    least significant first."""
    words, x = [], seed
    while True:
        words.append(x & 0xFFFFFFFF)
        x >>= 32
        if not x:
            break
    out = np.array(words, dtype=np.uint64)
    out.flags.writeable = False
    return out


def one_uniform(seed: int, replication: int, name: str) -> float:
    """A single uniform on [0, 1) for (seed, replication, name), without building a generator.

    A counter-based draw: the BLAKE2b hash of the three, so each parameter path has its own
    independent uniform in every replication at a fraction of a generator's set-up cost.
    """
    digest = hashlib.blake2b(f"{seed}/{replication}/{name}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "little") >> 11) * 2.0**-53


class Draws:
    """Block-drawn exponentials and uniforms from one stream, served as Python floats.

    ``exp()`` gives a standard exponential variate, ``uniform()`` a uniform on [0, 1). Each
    serves a block of ``BLOCK`` values drawn from the stream when the previous block is used
    up (and only then, so the values served are the same whatever the block size of other
    streams, and the same as one refill per exhausted block in any order of calls). Each is
    the ``__next__`` of a C-level iterator over the blocks once first used: a draw in the
    event loop costs no Python frame.

    The stream is numpy's PCG64 of :func:`stream`, drawn by ``sim.engine.pcg`` (the same
    variates) until someone asks for :attr:`generator`: the numpy Generator then takes the
    stream over where it stands, and later blocks come from it.
    """

    __slots__ = ("_key", "_source", "_ready", "first_kind", "exp", "uniform", "_exps",
                 "_uniforms")

    exp: Callable[[], float]
    uniform: Callable[[], float]

    def __init__(self, seed: int, replication: int, name: str, ready: Ready | None = None):
        self._key = (seed, replication, name)
        self._ready = ready  # its first block, drawn ahead with the chunk's (Ahead)
        self.first_kind: bool | None = None  # whether its first draw was an exponential
        # [the stream's state words, or the Generator that took it over]; shared with the
        # block iterators, which hold it and not this object (no reference cycle)
        self._source: list[Any] | None = None
        self._exps: Iterator[float] | None = None
        self._uniforms: Iterator[float] | None = None
        self.exp = self._first_exp
        self.uniform = self._first_uniform

    @property
    def generator(self) -> np.random.Generator:
        """A numpy Generator of this stream, from where its draws stand."""
        if self._source is None:
            self._source = [_state(*self._key)]
        if isinstance(self._source[0], np.ndarray):
            self._source[0] = _pcg().generator(self._source[0])
        return self._source[0]  # type: ignore[no-any-return]

    def _first(self, exponential: bool) -> Iterator[float]:
        """The iterator over the stream's blocks of one kind, its first block drawn (with
        the stream itself when nothing has drawn from it yet: one compiled call)."""
        if self._source is None:
            self.first_kind = exponential
            ready, self._ready = self._ready, None
            if ready is not None and ready[0] == exponential:
                self._source = [ready[1]]
                return chain(ready[2], chain.from_iterable(
                    _blocks(self._source, exponential)))
            seed, replication, name = self._key
            if compiled_seeding(seed, replication):
                state, block = _pcg().first(_seed_words(seed), replication, _crc(name), BLOCK,
                                            exponential)
                self._source = [state]
                return chain(block.tolist(), chain.from_iterable(
                    _blocks(self._source, exponential)))
            self._source = [_state(seed, replication, name)]
        return chain.from_iterable(_blocks(self._source, exponential))

    def _first_exp(self) -> float:
        if self._exps is None:
            self._exps = self._first(True)
            self.exp = self._exps.__next__
        return next(self._exps)

    def _first_uniform(self) -> float:
        if self._uniforms is None:
            self._uniforms = self._first(False)
            self.uniform = self._uniforms.__next__
        return next(self._uniforms)


def _blocks(source: list[Any], exponential: bool) -> Iterator[list[float]]:
    """A stream's blocks of one kind (exponentials, or uniforms), each drawn when the
    iterator asks for it from the stream's source as it is then (``Draws._source``)."""
    fill = _pcg().fill
    while True:
        s = source[0]
        if isinstance(s, np.ndarray):
            out = np.empty(BLOCK)
            fill(s, out, exponential)
            yield out.tolist()
        else:
            yield (s.standard_exponential(BLOCK) if exponential else s.random(BLOCK)).tolist()


def _state(seed: int, replication: int, name: str) -> np.ndarray:
    """The state words of :func:`stream`'s generator, before any draw."""
    key = _crc(name)
    if not compiled_seeding(seed, replication):
        words = np.random.SeedSequence(seed, spawn_key=(replication, key)).generate_state(
            4, np.uint64)
    else:
        from sim.engine.seeding import pcg64_state

        words = pcg64_state(_seed_words(seed), replication, key)
    return _pcg().seeded(words)  # type: ignore[no-any-return]


@functools.cache
def _pcg() -> Any:
    """``sim.engine.pcg``, imported with the first stream (it loads numba)."""
    from sim.engine import pcg

    return pcg


class Streams:
    """The lazily created named streams of one replication (with first blocks drawn ahead,
    ``ready``, by :class:`Ahead`)."""

    def __init__(self, seed: int, replication: int, ready: dict[str, Ready] | None = None):
        self.seed = seed
        self.replication = replication
        self._draws: dict[str, Draws] = {}
        self._ready = ready or {}

    def __getitem__(self, name: str) -> Draws:
        draws = self._draws.get(name)
        if draws is None:
            draws = self._draws[name] = Draws(self.seed, self.replication, name,
                                              self._ready.get(name))
        return draws

    def used(self) -> Iterator[tuple[str, bool]]:
        """The streams drawn from, each with whether its first draw was an exponential."""
        for name, draws in self._draws.items():
            if draws.first_kind is not None:
                yield name, draws.first_kind


# A stream's first block drawn ahead: whether it holds exponentials, the stream's state after
# it and the block.
Ready = tuple[bool, np.ndarray, list[float]]


class Ahead:
    """The first blocks of a chunk's streams, drawn together before it is played (one
    compiled call, ``pcg.firsts``): for the streams that at least half of the replications
    played so far drew from, of the kind they drew first. A replication's streams take
    theirs (:meth:`take`); a stream first drawn otherwise draws its own, so nothing but the
    time depends on what was drawn ahead."""

    def __init__(self) -> None:
        self._kinds: dict[str, bool] = {}
        self._counts: dict[str, int] = {}
        self._played = 0
        self._ready: dict[int, dict[str, Ready]] = {}

    def note(self, streams: Streams) -> None:
        """What a replication played drew first from each stream."""
        self._played += 1
        for name, kind in streams.used():
            self._kinds[name] = kind
            self._counts[name] = self._counts.get(name, 0) + 1

    def draw(self, seed: int, replications: range) -> None:
        """Draw the first blocks of ``replications`` (dropping any left from before)."""
        self._ready = {}
        names = [n for n, c in self._counts.items() if 2 * c >= self._played]
        if not names or not len(replications) or not compiled_seeding(seed, replications[0]) \
                or not compiled_seeding(seed, replications[-1]):
            return
        reps = np.repeat(np.arange(replications.start, replications.stop, replications.step,
                                   dtype=np.int64), len(names))
        count = len(replications)
        keys = np.tile(np.array([_crc(n) for n in names], dtype=np.int64), count)
        kinds = np.tile(np.array([self._kinds[n] for n in names]), count)
        states, blocks = _pcg().firsts(_seed_words(seed), reps, keys, kinds, BLOCK)
        rows, k = blocks.tolist(), 0
        for r in replications:
            ready = self._ready[r] = {}
            for name in names:
                ready[name] = (bool(kinds[k]), states[k], rows[k])
                k += 1

    def take(self, replication: int) -> dict[str, Ready] | None:
        """The first blocks drawn ahead for ``replication`` (once)."""
        return self._ready.pop(replication, None)
