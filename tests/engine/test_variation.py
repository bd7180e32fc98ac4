"""Variation: Gaussian and bit-flip mutation, uniform and one-point crossover."""

import numpy as np
import pytest
from scipy import stats

from collapsesim.engine import get_backend, pack_bits, unpack_bits
from collapsesim.engine.backends import numpy_variation

from engine_helpers import to_numpy

ALPHA = 1e-3
ONES = np.uint64(0xFFFFFFFFFFFFFFFF)


def _pair(a, b):
    return to_numpy(a), to_numpy(b)


def test_pack_unpack_roundtrip():
    bits = np.random.default_rng(0).random((3, 4, 130)) < 0.5
    words = pack_bits(bits)
    assert words.shape == (3, 4, 3) and words.dtype == np.uint64
    assert np.array_equal(unpack_bits(words, 130), bits)
    assert not unpack_bits(words, 192)[..., 130:].any()
    assert pack_bits(np.eye(64, dtype=bool)[[0, 63]]).ravel().tolist() == [1, 2**63]


@pytest.mark.parametrize("rate", [1.0, 0.3, 0.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gaussian_numba_equals_numpy(rate, dtype):
    x = np.random.default_rng(1).random((7, 5, 3)).astype(dtype)
    a = get_backend("numpy").gaussian_mutation(x, 0.7, np.random.default_rng(2), rate)
    b = get_backend("numba").gaussian_mutation(x, 0.7, np.random.default_rng(2), rate)
    assert a.dtype == b.dtype == dtype and np.array_equal(a, b)


@pytest.mark.parametrize("rate", [1.0, 0.25])
def test_gaussian_statistics(backend, rate):
    x = np.full((200, 100), 3.0)
    y = to_numpy(backend.gaussian_mutation(x, 2.0, backend.rng(3), rate))
    assert y.shape == x.shape and y.dtype == np.float64
    moved = y != x
    assert stats.binomtest(int(moved.sum()), moved.size, rate).pvalue > ALPHA if rate < 1 else moved.all()
    steps = (y - x)[moved] / 2.0
    assert stats.kstest(steps, "norm").pvalue > ALPHA
    assert np.array_equal(to_numpy(backend.gaussian_mutation(x, 2.0, backend.rng(3), 0.0)), x)


def test_bitflip_numpy_spec():
    g = pack_bits(np.random.default_rng(4).random((6, 100)) < 0.5)
    out = numpy_variation.bitflip_mutation(g, 100, 0.2, np.random.default_rng(5))
    flips = np.random.default_rng(5).random((6, 100)) < 0.2
    assert np.array_equal(unpack_bits(out, 100), unpack_bits(g, 100) ^ flips)


@pytest.mark.parametrize("p", [0.01, 0.3, 0.5, 1.0])
def test_bitflip_statistics(backend, p):
    """Flips ~ Binomial(bits, p); every gene position equally likely; padding untouched."""
    genomes = pack_bits(np.random.default_rng(6).random((4000, 100)) < 0.5)
    out = to_numpy(backend.bitflip_mutation(genomes, 100, p, backend.rng(7)))
    assert out.dtype == np.uint64 and out.shape == genomes.shape
    flipped = unpack_bits(out ^ genomes, 128)
    assert not flipped[:, 100:].any()
    total = int(flipped.sum())
    if p == 1.0:
        assert total == 400_000
        return
    assert stats.binomtest(total, 400_000, p).pvalue > ALPHA
    assert stats.chisquare(flipped[:, :100].sum(0)).pvalue > ALPHA


def test_bitflip_zero_rate_is_identity(backend):
    g = np.arange(10, dtype=np.uint64).reshape(5, 2)
    assert np.array_equal(to_numpy(backend.bitflip_mutation(g, 128, 0.0, backend.rng(0))), g)


@pytest.mark.parametrize(
    "name, dtype",
    [
        ("uniform_crossover", np.float64),
        ("uniform_crossover", np.float32),
        ("one_point_crossover", np.float64),
        ("one_point_crossover", np.uint64),
    ],
)
def test_crossover_numba_equals_numpy(name, dtype):
    """Exact where numba draws numpy's stream (packed uniform crossover is statistical)."""
    rng = np.random.default_rng(8)
    a = rng.integers(0, 2**62, (3, 9, 4)).astype(dtype)
    b = rng.integers(0, 2**62, (3, 9, 4)).astype(dtype)
    c = getattr(get_backend("numpy"), name)(a, b, np.random.default_rng(9))
    d = getattr(get_backend("numba"), name)(a, b, np.random.default_rng(9))
    assert all(x.dtype == dtype and np.array_equal(x, y) for x, y in zip(c, d))


def _children_are_complementary(a, b, c1, c2):
    if a.dtype == np.uint64:
        return np.array_equal(c1 ^ c2, a ^ b) and np.array_equal(c1 & c2, a & b)
    return np.array_equal(np.where(c1 == a, c2, c1), b) and np.array_equal(np.where(c1 == a, c1, c2), a)


@pytest.mark.parametrize("p", [0.5, 0.2])
def test_uniform_crossover_statistics(backend, p):
    a, b = np.zeros((3000, 2), np.uint64), np.full((3000, 2), ONES)
    c1, c2 = _pair(*backend.uniform_crossover(a, b, backend.rng(10), p))
    assert _children_are_complementary(a, b, c1, c2)
    from_b = unpack_bits(c1, 128)
    assert stats.binomtest(int(from_b.sum()), from_b.size, p).pvalue > ALPHA
    assert stats.chisquare(from_b.sum(0)).pvalue > ALPHA
    ra, rb = np.zeros((2000, 50)), np.ones((2000, 50))
    r1, r2 = _pair(*backend.uniform_crossover(ra, rb, backend.rng(11), p))
    assert _children_are_complementary(ra, rb, r1, r2)
    assert stats.binomtest(int(r1.sum()), r1.size, p).pvalue > ALPHA


@pytest.mark.parametrize("packed", [False, True])
def test_one_point_cut_is_uniform(backend, packed):
    """Child 1 = a[:c] + b[c:] with c uniform on {1, ..., G-1}."""
    genes, pairs = 100, 20_000
    if packed:
        a, b = np.zeros((pairs, 2), np.uint64), np.full((pairs, 2), ONES)
    else:
        a, b = np.zeros((pairs, genes)), np.ones((pairs, genes))
    c1, c2 = _pair(*backend.one_point_crossover(a, b, backend.rng(12), genes))
    assert _children_are_complementary(a, b, c1, c2)
    tail = unpack_bits(c1, genes) if packed else c1.astype(bool)
    cut = tail.argmax(-1)
    assert np.all(tail.sum(-1) == genes - cut)
    assert cut.min() >= 1
    assert stats.chisquare(np.bincount(cut, minlength=genes)[1:]).pvalue > ALPHA


def test_crossover_rejects_mismatched_parents(backend):
    with pytest.raises(ValueError, match="parents differ"):
        backend.uniform_crossover(np.zeros((2, 3)), np.zeros((2, 4)), backend.rng(0))
    with pytest.raises(ValueError, match="at least 2 genes"):
        backend.one_point_crossover(np.zeros((2, 1)), np.zeros((2, 1)), backend.rng(0))


def test_variation_reproducible(backend):
    x = np.random.default_rng(13).random((20, 8))
    g = pack_bits(np.random.default_rng(14).random((20, 70)) < 0.5)
    ops = [
        lambda r: backend.gaussian_mutation(x, 1.0, r, 0.5),
        lambda r: backend.bitflip_mutation(g, 70, 0.1, r),
        lambda r: backend.uniform_crossover(g, g[::-1].copy(), r)[0],
        lambda r: backend.one_point_crossover(x, x[::-1].copy(), r)[1],
    ]
    for op in ops:
        assert np.array_equal(to_numpy(op(backend.rng(2))), to_numpy(op(backend.rng(2))))
