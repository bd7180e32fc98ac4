"""Selection: tournament, truncation (top-k), proportional."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import integrate, stats

from collapsesim.engine import get_backend
from collapsesim.engine.backends import numpy_selection, torch_selection

from engine_helpers import offspring_counts, to_numpy

ALPHA = 1e-3


def test_tournament_winners_torch_equals_numpy():
    rng = np.random.default_rng(0)
    for _ in range(50):
        f = rng.integers(0, 4, (3, 25)).astype(float)
        cand = rng.integers(0, 25, (3, 11, 4))
        expected = numpy_selection.tournament_winners(f, cand)
        got = torch_selection.tournament_winners(torch.as_tensor(f), torch.as_tensor(cand))
        assert np.array_equal(to_numpy(got), expected)
        assert np.array_equal(numpy_selection.tournament_winners(f[0], cand[0]), expected[0])


def test_tournament_ties_go_to_the_lowest_index():
    f = np.array([1.0, 5.0, 5.0, 0.0])
    assert numpy_selection.tournament_winners(f, np.array([[2, 1, 3], [3, 2, 2]])).tolist() == [1, 2]


def test_tournament_numba_equals_numpy():
    f = np.random.default_rng(1).integers(0, 10, (4, 300)).astype(float)
    for rows in (f, f[0]):
        for k in (1, 2, 7):
            a = get_backend("numpy").tournament(rows, 250, k, np.random.default_rng(k))
            b = get_backend("numba").tournament(rows, 250, k, np.random.default_rng(k))
            assert np.array_equal(a, b)


@pytest.mark.parametrize("k", [2, 3])
def test_tournament_fraction_never_selected(backend, k):
    """With distinct fitness, the individual above a fraction u of the population wins
    one of n = N tournaments with probability ≈ k·u^(k-1)/N, so the fraction never
    selected tends to ∫₀¹ exp(−k·u^(k−1)) du (0.432 for k = 2); the exact finite-N
    value is the mean over ranks r of (1 − ((r+1)^k − r^k)/N^k)^N."""
    size = 20_000
    limit = integrate.quad(lambda u: np.exp(-k * u ** (k - 1)), 0, 1)[0]
    r = np.arange(size, dtype=np.float64)
    p_never = (1 - ((r + 1) ** k - r**k) / size**k) ** size
    exact = p_never.mean()
    assert abs(exact - limit) < 1e-3
    fitness = np.random.default_rng(2).permutation(size).astype(float)
    winners = to_numpy(backend.tournament(fitness, size, k, backend.rng(3)))
    never = np.mean(offspring_counts(winners, size) == 0)
    se = np.sqrt(np.sum(p_never * (1 - p_never))) / size
    assert abs(never - exact) < 4 * se


def test_tournament_of_one_is_uniform(backend):
    winners = to_numpy(backend.tournament(np.arange(10.0), 50_000, 1, backend.rng(4)))
    assert stats.chisquare(np.bincount(winners, minlength=10)).pvalue > ALPHA


def test_tournament_batched_shape_and_rows(backend):
    f = np.stack([np.arange(6.0), -np.arange(6.0)])
    winners = to_numpy(backend.tournament(f, 200, 6, backend.rng(5)))
    assert winners.shape == (2, 200) and winners.dtype == np.int64
    assert winners[0].mean() > 3.5 and winners[1].mean() < 1.5
    with pytest.raises(ValueError):
        backend.tournament(f, 3, 0, backend.rng(5))


@settings(max_examples=80, deadline=None)
@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 40)), elements=st.integers(-3, 3).map(float)),
    st.floats(0, 1),
)
def test_truncation_is_a_stable_sort(f, fraction):
    """Top-n = the first n of a stable descending sort (ties: lower index first),
    on every backend."""
    n = int(round(fraction * f.shape[1]))
    expected = np.argsort(-f, axis=-1, kind="stable")[:, :n]
    for name in ("numpy", "numba", "torch"):
        be = get_backend(name)
        assert np.array_equal(to_numpy(be.truncation(f, n)), expected), name
        assert np.array_equal(to_numpy(be.truncation(f[0], n)), expected[0]), name


def test_truncation_rejects_bad_n(backend):
    with pytest.raises(ValueError, match="0 <= n <= N"):
        backend.truncation(np.ones(3), 4)


def test_proportional_is_roulette(backend):
    f = np.array([1.0, 0.0, 3.0, 6.0])
    idx = to_numpy(backend.proportional(f, 40_000, backend.rng(6)))
    assert np.all(np.diff(idx) >= 0)
    counts = np.bincount(idx, minlength=4)
    assert counts[1] == 0
    assert stats.chisquare(counts[[0, 2, 3]], 40_000 * np.array([0.1, 0.3, 0.6])).pvalue > ALPHA


def test_selection_reproducible(backend):
    f = np.random.default_rng(7).random(100)
    for op in (lambda g: backend.tournament(f, 50, 3, g), lambda g: backend.proportional(f, 50, g)):
        assert np.array_equal(to_numpy(op(backend.rng(1))), to_numpy(op(backend.rng(1))))
