"""Linear ranking selection (collapsesim.engine.kernels.rank)."""

import numpy as np
import pytest
from scipy import stats

from collapsesim.engine import get_backend


def test_rank_weights_are_baker_s():
    w = get_backend("numpy").op("rank_weights")(np.array([[3.0, 1.0, 2.0, 0.0]]), 1.8)
    np.testing.assert_allclose(w.sum(), 1.0)
    assert w[0, 0] / w[0, 3] == pytest.approx(1.8 / 0.2)
    # ranks 0..3 → (2 − s)/n + 2r(s − 1)/(n(n − 1))
    np.testing.assert_allclose(w[0], [(0.2 + 2 * 3 * 0.8 / 3) / 4, (0.2 + 2 * 0.8 / 3) / 4,
                                      (0.2 + 4 * 0.8 / 3) / 4, 0.2 / 4])


def test_rank_selection_draws_the_ranking_distribution():
    be = get_backend("numpy")
    f = np.array([[0.5, 4.0, 1.0, 3.0, 2.0]])
    m = 20_000
    idx = be.op("rank_selection")(f, m, 1.6, be.rng(np.random.SeedSequence(4)))
    counts = np.bincount(idx[0], minlength=5)
    expected = m * be.op("rank_weights")(f, 1.6)[0]
    assert stats.chisquare(counts, expected).pvalue > 1e-3
    # shuffled: not sorted (multinomial resampling returns sorted indices)
    assert np.any(np.diff(idx[0]) < 0)


def test_torch_draws_the_ranking_distribution():
    # torch resamples with its own generator: the same distribution, not the same draws
    be = get_backend("torch")
    f = np.array([[0.5, 4.0, 1.0, 3.0, 2.0]])
    m = 20_000
    idx = be.to_numpy(be.op("rank_selection")(be.asarray(f), m, 1.6, be.rng(np.random.SeedSequence(4))))
    expected = m * get_backend("numpy").op("rank_weights")(f, 1.6)[0]
    assert stats.chisquare(np.bincount(idx[0], minlength=5), expected).pvalue > 1e-3


def test_numba_is_numpy():
    f = np.random.default_rng(3).random((3, 40))
    seed = np.random.SeedSequence(11)
    a = get_backend("numpy").op("rank_selection")(f, 40, 1.7, get_backend("numpy").rng(seed))
    b = get_backend("numba").op("rank_selection")(f, 40, 1.7, get_backend("numba").rng(seed))
    np.testing.assert_array_equal(a, b)
