"""The Wright–Fisher generation operator ``wright_fisher``: the numba kernel for
per-replicate states (every row in one compiled call) equals the lone calls
(the numpy specification, with the numba backend's multinomial — numpy's own
below ``SPACINGS_MIN_K`` types) row by row with each replicate's own generator, bitwise,
for few and many types (the row sums are numpy's pairwise summation), with and
without mutation and selection; the numpy specification has the model's mean
and variance."""

from __future__ import annotations

import numpy as np
import pytest

from collapsesim.engine import get_backend
from collapsesim.engine.backends.numba_resampling import SPACINGS_MIN_K, pairwise_sum
from collapsesim.engine.rng import ReplicateSeeds


@pytest.mark.parametrize("n", [0, 1, 2, 7, 8, 9, 15, 16, 17, 64, 127, 128, 129, 130, 257, 1000,
                               4099])
def test_pairwise_sum_is_numpys_sum(n):
    rng = np.random.default_rng(n)
    for _ in range(50):
        a = rng.random(n) * 10.0 ** rng.uniform(-8, 8, n)
        assert pairwise_sum(a, n) == a.sum()


# K = SPACINGS_MIN_K + 76 > size: the kernel declines and the rows are looped
@pytest.mark.parametrize("K", [2, 3, 8, 9, 40, 129, 300, SPACINGS_MIN_K + 76])
@pytest.mark.parametrize("mu", [0.0, 0.02])
def test_rows_kernel_equals_the_specification_row_by_row(K, mu):
    rng = np.random.default_rng(K)
    R, size = 9, 400
    seeds = ReplicateSeeds(21, np.arange(R).reshape(R, 1))
    counts = rng.multinomial(size, rng.dirichlet(np.ones(K)), size=R)
    counts[0] = 0
    counts[0, K - 1] = size  # a fixed row (mu = 0: it stays fixed)
    fitness = 1.0 + rng.random(K)
    numba = get_backend("numba")
    rows = numba.row_rngs(seeds)
    op = numba.op("wright_fisher")  # lone calls: the specification with numba's multinomial
    spec = numba.op("wright_fisher")
    gens = [numba.rng(s) for s in seeds]
    for size_next in (size, 250, 2):  # three generations, the last two of other sizes
        got = op(counts, np.broadcast_to(fitness, counts.shape), mu, size_next, rows)
        for r in range(R):
            assert np.array_equal(got[r], spec(counts[r], fitness, mu, size_next, gens[r])), r
        counts = got


def test_rows_of_a_subset_advance_only_their_streams():
    numba, numpy = get_backend("numba"), get_backend("numpy")
    seeds = ReplicateSeeds(3, np.arange(5).reshape(5, 1))
    rows = numba.row_rngs(seeds)
    counts = np.tile([10, 30], (5, 1))
    op, spec = numba.op("wright_fisher"), numpy.op("wright_fisher")
    live = np.array([1, 4])
    got = op(counts[live], np.ones((2, 2)), 0.0, 40, rows.subset(live))
    again = op(counts, np.ones((5, 2)), 0.0, 40, rows)
    for j, r in enumerate(live):
        g = numpy.rng(seeds[r])
        assert np.array_equal(got[j], spec(counts[r], np.ones(2), 0.0, 40, g))
        assert np.array_equal(again[r], spec(counts[r], np.ones(2), 0.0, 40, g))
    for r in (0, 2, 3):  # untouched by the subset call: their first draw
        assert np.array_equal(again[r], spec(counts[r], np.ones(2), 0.0, 40, numpy.rng(seeds[r])))


def test_the_specification_has_the_models_mean_and_variance():
    """Counts (30, 70), fitness (1.5, 1), μ = 0.1, K = 2: type 0's offspring
    count is Binomial(N, p) with q = 45/115, p = q(1 − μ) + (1 − q)μ; mean and
    variance of 20,000 draws within 4 standard errors."""
    numpy = get_backend("numpy")
    spec = numpy.op("wright_fisher")
    rng = numpy.rng(np.random.SeedSequence(5))
    N, draws = 100, 20_000
    x = np.array([spec(np.array([30, 70]), np.array([1.5, 1.0]), 0.1, N, rng)[0]
                  for _ in range(draws)])
    q = 45 / 115
    p = q * 0.9 + (1 - q) * 0.1
    mean, var = N * p, N * p * (1 - p)
    assert abs(x.mean() - mean) <= 4 * np.sqrt(var / draws)
    # the sample variance's standard error: sqrt((μ4 − σ^4)/n), μ4 of the binomial
    mu4 = N * p * (1 - p) * (1 + 3 * (N - 2) * p * (1 - p))
    assert abs(x.var(ddof=1) - var) <= 4 * np.sqrt((mu4 - var ** 2) / draws)
