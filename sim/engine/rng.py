"""Named random streams: one per replication and mechanism, independent of chunking.

Replication ``i`` of a scenario with seed ``s`` draws from ``SeedSequence(s, spawn_key=(i,))``;
each mechanism or actor gets the child ``spawn_key=(i, crc32(name))``. Two scenarios that
differ in one parameter therefore share every other draw (common random numbers), and no
result depends on which worker ran which replication.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Iterator
from itertools import chain

import numpy as np

BLOCK = 128


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator for one named stream of one replication."""
    key = zlib.crc32(name.encode("utf-8"))
    seq = np.random.SeedSequence(seed, spawn_key=(replication, key))
    return np.random.Generator(np.random.PCG64(seq))


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
    serves a block of ``BLOCK`` values drawn from the stream's generator when the previous
    block is used up (and only then, so the values served are the same whatever the block
    size of other streams, and the same as one refill per exhausted block in any order of
    calls). Each is the ``__next__`` of a C-level iterator over the blocks once first used:
    a draw in the event loop costs no Python frame.
    """

    __slots__ = ("_key", "_gen_", "exp", "uniform", "_exps", "_uniforms")

    exp: Callable[[], float]
    uniform: Callable[[], float]

    def __init__(self, seed: int, replication: int, name: str):
        self._key = (seed, replication, name)
        self._gen_: np.random.Generator | None = None
        self._exps: Iterator[float] | None = None
        self._uniforms: Iterator[float] | None = None
        self.exp = self._first_exp
        self.uniform = self._first_uniform

    @property
    def _gen(self) -> np.random.Generator:
        # Created on first use: many replications never touch most of their streams.
        if self._gen_ is None:
            self._gen_ = stream(*self._key)
        return self._gen_

    @property
    def generator(self) -> np.random.Generator:
        return self._gen

    def _blocks(self, kind: str) -> Iterator[list[float]]:
        """The stream's blocks of one kind, each drawn when the iterator asks for it."""
        while True:
            gen = self._gen
            block = gen.standard_exponential(BLOCK) if kind == "exp" else gen.random(BLOCK)
            yield block.tolist()

    # The first call sets up the iterator; a caller may still hold this bound method.
    def _first_exp(self) -> float:
        if self._exps is None:
            self._exps = chain.from_iterable(self._blocks("exp"))
            self.exp = self._exps.__next__
        return next(self._exps)

    def _first_uniform(self) -> float:
        if self._uniforms is None:
            self._uniforms = chain.from_iterable(self._blocks("uniform"))
            self.uniform = self._uniforms.__next__
        return next(self._uniforms)


class Streams:
    """The lazily created named streams of one replication."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication
        self._draws: dict[str, Draws] = {}

    def __getitem__(self, name: str) -> Draws:
        draws = self._draws.get(name)
        if draws is None:
            draws = self._draws[name] = Draws(self.seed, self.replication, name)
        return draws
