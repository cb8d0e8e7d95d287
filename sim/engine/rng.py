"""Named random streams: one per replication and mechanism, independent of chunking.

Replication ``i`` of a scenario with seed ``s`` draws from ``SeedSequence(s, spawn_key=(i,))``;
each mechanism or actor gets the child ``spawn_key=(i, crc32(name))``. Two scenarios that
differ in one parameter therefore share every other draw (common random numbers), and no
result depends on which worker ran which replication.
"""

from __future__ import annotations

import hashlib
import zlib

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

    Drawing in blocks keeps numpy's per-call overhead out of the event loop; the sequence
    of values served is the same whatever the block size of other streams.
    """

    __slots__ = ("_key", "_gen_", "_exp", "_uni", "_ie", "_iu")

    def __init__(self, seed: int, replication: int, name: str):
        self._key = (seed, replication, name)
        self._gen_: np.random.Generator | None = None
        self._exp: list[float] = []
        self._uni: list[float] = []
        self._ie = 0
        self._iu = 0

    @property
    def _gen(self) -> np.random.Generator:
        # Created on first use: many replications never touch most of their streams.
        if self._gen_ is None:
            self._gen_ = stream(*self._key)
        return self._gen_

    @property
    def generator(self) -> np.random.Generator:
        return self._gen

    def exp(self) -> float:
        """A standard exponential variate."""
        if self._ie == len(self._exp):
            self._exp = self._gen.standard_exponential(BLOCK).tolist()
            self._ie = 0
        self._ie += 1
        return self._exp[self._ie - 1]

    def uniform(self) -> float:
        """A uniform variate on [0, 1)."""
        if self._iu == len(self._uni):
            self._uni = self._gen.random(BLOCK).tolist()
            self._iu = 0
        self._iu += 1
        return self._uni[self._iu - 1]


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
