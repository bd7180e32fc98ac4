"""numba's fast paths: the p = 1/2 packed uniform crossover (one 64-bit word
per 64 genes, the words the per-word kernel drew), the real uniform crossover
on blocks of numpy's uniforms (the reference's children), and multinomial
counts with K >= n categories (sorted uniforms instead of conditional
binomials: the same law, not the same numbers), and truncation by a radix sort
of the chosen (the reference's indices, bit for bit)."""

import numpy as np
import pytest
from scipy import stats

from collapsesim.engine import get_backend, pack_bits
from collapsesim.engine.backends import numba_resampling, numba_selection, numba_variation, numpy_selection

ALPHA = 1e-3
NUMBA = get_backend("numba")


def _pairs_of_halves(rows, words, rng):
    """The masks the per-word numba kernel drew: for each word two scalar
    ``integers(0, 2**32)`` draws, the first one the high half."""
    out = np.empty((rows, words), dtype=np.uint64)
    for r in range(rows):
        for w in range(words):
            hi, lo = (np.uint64(rng.integers(0, 2**32)) for _ in range(2))
            out[r, w] = (hi << np.uint64(32)) | lo
    return out


def test_half_masks_are_the_per_word_stream():
    """The vectorised p = 1/2 masks are the words the per-word kernel drew, and
    leave the generator where it left it (so GA runs keep their numbers)."""
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    mask = numba_variation._bernoulli_words(7, 5, 320, 0.5, g1)
    assert np.array_equal(mask, _pairs_of_halves(7, 5, g2))
    assert g1.random() == g2.random()


@pytest.mark.parametrize("bits", [np.random.PCG64, np.random.PCG64DXSM, np.random.Philox,
                                  np.random.SFC64, np.random.MT19937])
@pytest.mark.parametrize("odd_half", [False, True])
def test_half_words_are_the_32_bit_halves(bits, odd_half):
    """One 64-bit draw per word where it is the same words as two 32-bit draws;
    the 32-bit route where a half is left over (an odd 32-bit draw before) or
    the generator makes its 64-bit words otherwise (MT19937)."""
    g1, g2 = np.random.Generator(bits(11)), np.random.Generator(bits(11))
    if odd_half:
        g1.integers(0, 2**32, size=3, dtype=np.uint32)
        g2.integers(0, 2**32, size=3, dtype=np.uint32)
    words = numba_variation._half_words(1001, g1)
    assert np.array_equal(words, g2.integers(0, 2**32, size=2002, dtype=np.uint32).view(np.uint64))
    assert g1.random() == g2.random()


@pytest.mark.parametrize("p", [0.5, 0.3])
def test_packed_uniform_crossover_exchanges_the_mask(p):
    """Children are ``a`` with ``b``'s bits where the mask is set (and vice versa)."""
    r = np.random.default_rng(1)
    a, b = (pack_bits(r.random((9, 200)) < 0.5) for _ in range(2))
    c1, c2 = NUMBA.uniform_crossover(a, b, np.random.default_rng(4), p)
    if p == 0.5:
        mask = _pairs_of_halves(9, a.shape[1], np.random.default_rng(4))
    else:
        mask = numba_variation._geometric_words(9, a.shape[1], 64 * a.shape[1], p, np.random.default_rng(4))
    assert np.array_equal(c1, (a & ~mask) | (b & mask)) and np.array_equal(c2, (b & ~mask) | (a & mask))


def _spacings_case(K=2002, n=1500, reps=2000, seed=5):
    p = np.concatenate([[0.3, 0.2], np.random.default_rng(seed).random(K - 2)])
    p[2:] *= 0.5 / p[2:].sum()
    p[5::9] = 0.0
    assert K >= n and K >= numba_resampling.SPACINGS_MIN_K
    g = np.random.default_rng(seed + 1)
    return p / p.sum(), np.stack([NUMBA.multinomial_counts(n, p, g) for _ in range(reps)]), n


def test_spacings_counts_totals_and_zero_categories():
    p, counts, n = _spacings_case(reps=50)
    assert counts.dtype == np.int64 and np.all(counts.sum(1) == n)
    assert not counts[:, p == 0].any() and counts.min() >= 0


def test_spacings_counts_multinomial_law():
    """Pooled counts against n·p (chi-square), the heavy categories' marginals
    against Binomial(n, p_i) and their covariance against −n·p0·p1."""
    p, counts, n = _spacings_case()
    reps = len(counts)
    pooled, live = counts.sum(0), p > 0
    assert stats.chisquare(pooled[live], reps * n * p[live]).pvalue > ALPHA
    for c, q in ((counts[:, 0], p[0]), (counts[:, 0] + counts[:, 1], p[0] + p[1])):
        edges = np.arange(int(n * q - 4 * np.sqrt(n * q)), int(n * q + 4 * np.sqrt(n * q)), 8)
        observed = np.histogram(np.clip(c, edges[0], edges[-1] - 1), edges)[0]
        cdf = stats.binom.cdf(edges - 1, n, q)
        expected = np.diff(cdf)
        expected[0] += cdf[0]
        expected[-1] += 1 - cdf[-1]
        assert stats.chisquare(observed, reps * expected / expected.sum()).pvalue > ALPHA
    cov = np.cov(counts[:, 0], counts[:, 1])[0, 1]
    target = -n * p[0] * p[1]
    # SE of a sample covariance of a bivariate multinomial pair: the fourth-moment
    # term is within a few percent of the Gaussian (1 + rho^2)·s0²·s1² at n = 1500
    s0, s1 = np.sqrt(n * p[0] * (1 - p[0])), np.sqrt(n * p[1] * (1 - p[1]))
    rho = target / (s0 * s1)
    assert abs(cov - target) < 4 * np.sqrt((1 + rho**2) / reps) * s0 * s1


def test_spacings_counts_batched_equals_rows_in_sequence():
    """One call for R rows draws the rows' exponentials in row order: the same
    counts as R calls in turn; n broadcasts over p's rows and vice versa."""
    p = np.random.default_rng(2).random((3, 1500))
    n = np.array([1500, 0, 700])
    batched = NUMBA.multinomial_counts(n, p, np.random.default_rng(9))
    g = np.random.default_rng(9)
    assert np.array_equal(batched, np.stack([NUMBA.multinomial_counts(k, row, g) for k, row in zip(n, p)]))
    assert NUMBA.multinomial_counts(n, p[0], np.random.default_rng(9)).shape == (3, 1500)
    assert NUMBA.multinomial_counts(1000, p, np.random.default_rng(9)).sum(-1).tolist() == [1000] * 3


def test_few_categories_or_many_draws_stay_numpys_counts():
    """Below SPACINGS_MIN_K categories, or with more draws than categories,
    the counts are numpy's conditional binomials bit for bit."""
    for K, n in ((numba_resampling.SPACINGS_MIN_K - 1, 10), (2000, 2001)):
        p = np.random.default_rng(K).random(K)
        a = get_backend("numpy").multinomial_counts(n, p, np.random.default_rng(1))
        assert np.array_equal(a, NUMBA.multinomial_counts(n, p, np.random.default_rng(1)))


def test_real_uniform_crossover_in_blocks_equals_numpy():
    """Across several blocks of uniforms the children are the reference's, and
    the generator ends where the reference leaves it."""
    r = np.random.default_rng(6)
    a, b = r.random((3 * numba_variation.BLOCK // 50 + 1, 50)), r.random((3 * numba_variation.BLOCK // 50 + 1, 50))
    g1, g2 = np.random.default_rng(8), np.random.default_rng(8)
    x, y = get_backend("numpy").uniform_crossover(a, b, g1, 0.4), NUMBA.uniform_crossover(a, b, g2, 0.4)
    assert all(np.array_equal(u, v) for u, v in zip(x, y)) and g1.random() == g2.random()


def _fitness_cases(rng, size):
    """Fitness rows that take each path of the numba truncation: continuous
    values, heavy ties, signed zeros / infinities / subnormals (key order), and
    values that differ only in their low bits (runs of equal high halves long
    enough for the second radix stage)."""
    specials = [-np.inf, np.inf, -0.0, 0.0, 1.0, -1.0, 5e-324, -5e-324, 1e308, -1e308, 2.5]
    return {
        "continuous": rng.standard_normal((3, size)),
        "ties": np.round(rng.random((3, size)) * 7) - 3.0,
        "specials": rng.choice(specials, size=(3, size)),
        "low bits": 1.0 + rng.integers(0, 2**20, (3, size)) * 2.0**-52 * rng.choice([1, -1], (3, size)),
        "float32": rng.random((3, size)).astype(np.float32),
    }


@pytest.mark.parametrize("size", [1, 7, numba_selection.RADIX_MIN + 1, 5_000, 60_000])
def test_truncation_radix_equals_the_reference(size):
    """Every n from the few-chosen branch (8n <= N) to n = N, rows and single
    rows: the same indices as numpy's partition-and-stable-sort."""
    rng = np.random.default_rng(size)
    for kind, f in _fitness_cases(rng, size).items():
        for n in sorted({0, 1, size // 9, size // 3, size // 2, size - 1, size}):
            expected = numpy_selection.truncation(f, n)
            assert np.array_equal(NUMBA.truncation(f, n), expected), (kind, n)
            assert np.array_equal(NUMBA.truncation(f[1], n), expected[1]), (kind, n)


def test_truncation_of_integers_is_numpys():
    """Integer fitness past 2^53 has no exact float64 key: numpy's route."""
    f = np.array([2**60 + 1, 2**60, 2**60 + 3, 5], dtype=np.int64)
    assert NUMBA.truncation(f, 3).tolist() == numpy_selection.truncation(f, 3).tolist() == [2, 0, 1]
