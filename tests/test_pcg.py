"""The compiled PCG64 streams (``sim.engine.pcg``) are numpy's, bit for bit (issue 22).

A replication's named streams are drawn by ``sim.engine.pcg`` instead of a numpy
``Generator`` each: the same 64-bit outputs, the same uniforms and the same standard
exponentials (numpy's ziggurat, its two rare branches included), and a numpy Generator that
takes a stream over where it stands. Every record depends on it; the frozen hashes of
tests/test_speed_identity.py check whole replications, these the streams themselves.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import compile_kernels, pcg
from sim.engine.rng import BLOCK, Draws, _crc, _seed_words, _Seeded, stream
from sim.engine.seeding import pcg64_state

compile_kernels(bargaining=False)

STREAMS = [(20160712, 0, "meetings"), (20160712, 7, "aid"), (1, 123456, "truce:assad"),
           (0, 2**40, "ratifier:us_opposition"), (2**70 + 5, 3, "spoiler:nusra"),
           (42, 2**63 - 1, "deadline:partners")]


def state(seed: int, replication: int, name: str) -> np.ndarray:
    return pcg.seeded(pcg64_state(_seed_words(seed), replication, _crc(name)))


@pytest.mark.parametrize(("seed", "replication", "name"), STREAMS)
def test_the_outputs_are_numpys_pcg64s(seed: int, replication: int, name: str) -> None:
    st = state(seed, replication, name)
    mine = np.array([pcg.next_uint64(st) for _ in range(2000)], dtype=np.uint64)
    assert (mine == stream(seed, replication, name).bit_generator.random_raw(2000)).all()


def test_seeding_any_four_words_is_numpys() -> None:
    """Any state words, carries in the 128-bit additions included (words near 2**64)."""
    rng = np.random.default_rng(5)
    top = np.iinfo(np.uint64).max
    for words in [*rng.integers(0, top, (200, 4), dtype=np.uint64, endpoint=True),
                  np.full(4, top, dtype=np.uint64), np.zeros(4, dtype=np.uint64)]:
        st = pcg.seeded(words)
        want = np.random.PCG64(_Seeded(words)).random_raw(50)  # type: ignore[arg-type]
        assert (np.array([pcg.next_uint64(st) for _ in range(50)], dtype=np.uint64)
                == want).all()


@pytest.mark.parametrize(("seed", "replication", "name"), STREAMS[:3])
def test_a_million_variates_of_each_kind_are_numpys(seed: int, replication: int,
                                                     name: str) -> None:
    """Exponentials and uniforms, blocks of any size one after another; the exponentials
    take both of the ziggurat's rare branches (values beyond its base strip come only from
    the tail's inversion; more than one output a variate, only from a rejection)."""
    n = 1_000_000
    for exponential in (True, False):
        gen = stream(seed, replication, name)
        st, first = pcg.first(_seed_words(seed), replication, _crc(name), 1000, exponential)
        rest = np.empty(n - 1000)
        pcg.fill(st, rest, exponential)
        mine = np.concatenate([first, rest])
        want = gen.standard_exponential(n) if exponential else gen.random(n)
        assert mine.tobytes() == want.tobytes()
        here = int(st[0]) << 64 | int(st[1])
        assert here == gen.bit_generator.state["state"]["state"]  # it goes on where numpy's does
        bits = stream(seed, replication, name).bit_generator
        bits.advance(n)  # one output a variate
        if exponential:
            assert (mine > 7.6971174701310497).sum() > 10
            assert here != bits.state["state"]["state"]
        else:
            assert here == bits.state["state"]["state"]


def test_a_stream_served_by_draws_is_the_generators_in_the_order_blocks_are_drawn() -> None:
    """Exponentials, uniforms and the Generator share one stream: each block is drawn when
    the one before is used up, and the Generator goes on from where the blocks stand; the
    same values as one numpy Generator drawing in that order."""
    d = Draws(20160712, 9, "negotiation")
    exps = [d.exp() for _ in range(5)]
    uniforms = [d.uniform() for _ in range(BLOCK + 2)]
    normals = d.generator.standard_normal(3)
    exps += [d.exp() for _ in range(2 * BLOCK)]
    uniforms.append(d.uniform())
    gen = stream(20160712, 9, "negotiation")
    e1, u1, u2 = gen.standard_exponential(BLOCK), gen.random(BLOCK), gen.random(BLOCK)
    want_normals = gen.standard_normal(3)
    e2, e3 = gen.standard_exponential(BLOCK), gen.standard_exponential(BLOCK)
    assert exps == [*e1, *e2, *e3][:5 + 2 * BLOCK]
    assert uniforms == [*u1, *u2][:BLOCK + 3]
    assert normals.tobytes() == want_normals.tobytes()


@pytest.mark.parametrize(("seed", "replication"), [(7, 2**63), (3, 2**64 + 9)])
def test_seeds_beyond_the_compiled_seeding_take_numpys_seed_sequence(seed: int,
                                                                     replication: int) -> None:
    d = Draws(seed, replication, "aid")
    got = [d.exp() for _ in range(BLOCK + 1)] + [d.uniform()]
    gen = stream(seed, replication, "aid")
    e = gen.standard_exponential(2 * BLOCK)
    assert got == [*e[:BLOCK + 1], gen.random(1)[0]]


def test_a_generator_asked_for_first_starts_the_stream() -> None:
    d = Draws(11, 12, "shock:x")
    assert d.generator.random(4).tobytes() == stream(11, 12, "shock:x").random(4).tobytes()
    assert d.generator is d.generator
    assert d.uniform() == stream(11, 12, "shock:x").random(BLOCK + 4)[4]
