"""Stream seeding: ``sim.engine.seeding`` computes numpy's SeedSequence state bit for bit, so
every stream (and every record) is what numpy's own SeedSequence would give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import rng
from sim.engine.seeding import pcg64_state


def _numpy(seed: int, replication: int, key: int) -> np.ndarray:
    return np.random.SeedSequence(seed, spawn_key=(replication, key)).generate_state(
        4, np.uint64)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None)
@given(seed=st.one_of(st.integers(0, 2**32), st.integers(0, 2**200)),
       replication=st.one_of(st.integers(0, 2**32 + 5), st.integers(0, 2**63 - 1)),
       key=st.integers(0, 2**32 - 1))
def test_the_state_words_are_numpys(seed: int, replication: int, key: int) -> None:
    """Seeds of one word up to seven, replications of one and two words, zeros included."""
    got = pcg64_state(rng._seed_words(seed), replication, key)  # noqa: SLF001
    assert got.tolist() == _numpy(seed, replication, key).tolist()


@pytest.mark.parametrize(("seed", "replication", "name"),
                         [(0, 0, ""), (20160712, 3, "meetings"), (2**64 + 1, 2**40, "truce"),
                          (7, 2**63 - 1, "spoiler:nusra")])
def test_a_stream_draws_what_numpys_seed_sequence_gives(seed: int, replication: int,
                                                        name: str) -> None:
    want = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        seed, spawn_key=(replication, rng._crc(name)))))  # noqa: SLF001
    got = rng.stream(seed, replication, name)
    assert got.random(300).tobytes() == want.random(300).tobytes()
    assert got.standard_exponential(5).tobytes() == want.standard_exponential(5).tobytes()
    assert got.bit_generator.state == want.bit_generator.state


def test_what_the_compiled_seeding_does_not_cover_goes_to_numpy() -> None:
    """A replication index beyond 2**63 still gets numpy's stream; a negative seed gets
    numpy's error."""
    big = 2**64 + 3
    want = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        5, spawn_key=(big, rng._crc("x")))))  # noqa: SLF001
    assert rng.stream(5, big, "x").random(3).tolist() == want.random(3).tolist()
    with pytest.raises(ValueError):
        rng.stream(-1, 0, "x")


def test_the_precomputed_state_refuses_another_request() -> None:
    seeded = rng._Seeded(np.zeros(4, dtype=np.uint64))  # noqa: SLF001
    with pytest.raises(ValueError):
        seeded.generate_state(8, np.uint32)
