"""Resampling: exact agreement with the numpy reference, and the schemes' theory."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from collapsesim.engine import RESAMPLING_SCHEMES, get_backend
from collapsesim.engine.backends import numba_resampling, numpy_resampling, torch_resampling

from engine_helpers import offspring_counts, to_numpy

KERNELS = {"numba": numba_resampling, "torch": torch_resampling}
ALPHA = 1e-3


def _normalised(w):
    w = np.asarray(w, dtype=np.float64)
    return w / np.cumsum(w, axis=-1)[..., -1:]


def _torch_args(args):
    return [torch.as_tensor(a) if isinstance(a, np.ndarray) else a for a in args]


@st.composite
def weights_and_uniforms(draw):
    """Weights with zeros and a wide dynamic range, a size n and the random numbers."""
    rows = draw(st.integers(1, 3))
    size = draw(st.integers(1, 40))
    n = draw(st.integers(1, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    w = rng.random((rows, size)) ** draw(st.sampled_from([1, 4, 20]))
    w[rng.random((rows, size)) < draw(st.sampled_from([0.0, 0.3, 0.9]))] = 0.0
    w[:, rng.integers(size)] += 0.5
    return w, n, rng.random(rows), rng.random((rows, n)), np.sort(rng.random((rows, n)), axis=-1)


@settings(max_examples=150, deadline=None)
@given(weights_and_uniforms())
def test_kernels_equal_numpy_given_the_random_numbers(case):
    w, n, u, us, su = case
    calls = {
        "systematic_from_uniform": (w, u, n),
        "stratified_from_uniforms": (w, us),
        "multinomial_from_sorted_uniforms": (w, su),
        "residual_from_sorted_uniforms": (w, n, su),
    }
    for fn, args in calls.items():
        expected = getattr(numpy_resampling, fn)(*args)
        assert expected.shape == (w.shape[0], n) and expected.dtype == np.int64
        for name, module in KERNELS.items():
            got = getattr(module, fn)(*(_torch_args(args) if name == "torch" else args))
            assert np.array_equal(to_numpy(got), expected), (name, fn)
        # batched rows equal row-by-row results
        for r in range(w.shape[0]):
            row_args = [a[r] if isinstance(a, np.ndarray) else a for a in args]
            assert np.array_equal(getattr(numpy_resampling, fn)(*row_args), expected[r])


@pytest.mark.parametrize("scheme", RESAMPLING_SCHEMES)
def test_numba_equals_numpy_for_the_same_seed(scheme):
    rng = np.random.default_rng(0)
    for size, n in [(1, 5), (7, 7), (100, 37), (1000, 2500)]:
        w = rng.random((3, size)) * (rng.random((3, size)) < 0.5)
        w[:, 0] += 0.01
        for rows in (w, w[0]):
            a = get_backend("numpy").resample(rows, n, scheme, np.random.default_rng(size))
            b = get_backend("numba").resample(rows, n, scheme, np.random.default_rng(size))
            assert np.array_equal(a, b)


@pytest.mark.parametrize("scheme", RESAMPLING_SCHEMES)
def test_output_contract(backend, scheme):
    rng = backend.rng(1)
    w = np.array([0.0, 2.0, 0.0, 1.0, 5.0, 0.0])
    for n in (1, 6, 17):
        idx = to_numpy(backend.resample(w, n, scheme, rng))
        assert idx.shape == (n,) and idx.dtype == np.int64
        assert np.all(np.diff(idx) >= 0)
        assert set(idx) <= {1, 3, 4}
    batch = to_numpy(backend.resample(np.stack([w, w[::-1]]), 9, scheme, rng))
    assert batch.shape == (2, 9)
    assert set(batch[1]) <= {1, 2, 4}


@pytest.mark.parametrize("scheme", RESAMPLING_SCHEMES)
def test_invalid_weights(backend, scheme):
    for bad in (np.zeros(4), np.array([1.0, np.nan]), np.array([1.0, np.inf])):
        with pytest.raises(ValueError, match="positive, finite sum"):
            backend.resample(bad, 4, scheme, backend.rng(0))
    with pytest.raises(ValueError, match="unknown resampling scheme"):
        backend.resample(np.ones(3), 3, "roulette", backend.rng(0))


@pytest.mark.parametrize("scheme", ["residual", "stratified", "systematic"])
def test_equal_weights_give_the_identity(backend, scheme):
    for size in (1, 2, 10, 1000):
        for scale in (1.0, 0.25, 8.0):
            idx = backend.resample(np.full(size, scale), size, scheme, backend.rng(size))
            assert np.array_equal(to_numpy(idx), np.arange(size))


def _floor_ceil(w, n):
    expected = n * _normalised(w)
    return np.floor(expected - 1e-9), np.ceil(expected + 1e-9)


def test_systematic_counts_are_floor_or_ceil(backend):
    rng = np.random.default_rng(2)
    for trial in range(20):
        w = rng.random((4, 200)) ** 3
        n = int(rng.integers(1, 500))
        counts = offspring_counts(backend.resample(w, n, "systematic", backend.rng(trial)), 200)
        lo, hi = _floor_ceil(w, n)
        assert np.all((counts >= lo) & (counts <= hi))
        assert np.all(counts.sum(-1) == n)


def test_stratified_counts_within_one_of_floor_ceil(backend):
    rng = np.random.default_rng(3)
    for trial in range(20):
        w = rng.random((4, 200)) ** 3
        n = int(rng.integers(1, 500))
        counts = offspring_counts(backend.resample(w, n, "stratified", backend.rng(trial)), 200)
        lo, hi = _floor_ceil(w, n)
        assert np.all((counts >= lo - 1) & (counts <= hi + 1))


def test_residual_keeps_the_floor_and_draws_the_rest_multinomially(backend):
    rng = np.random.default_rng(4)
    w = rng.random(12) ** 2
    n = 10_000
    x = n * _normalised(w)
    floor = np.floor(x)
    rest = (x - floor) / (x - floor).sum()
    left = n - int(floor.sum())
    gen = backend.rng(5)
    extra = np.zeros(12)
    for _ in range(200):
        counts = offspring_counts(backend.resample(w, n, "residual", gen), 12)
        assert np.all(counts >= floor)
        extra += counts - floor
    # 200 independent Multinomial(left, rest) draws pooled: Multinomial(200·left, rest)
    assert stats.chisquare(extra, 200 * left * rest).pvalue > ALPHA


@pytest.mark.parametrize("scheme", RESAMPLING_SCHEMES)
def test_unbiased(backend, scheme):
    """E[offspring] = n·w for every scheme: the mean over 400 replicates within 4.5 SE."""
    rng = np.random.default_rng(6)
    w = rng.random(30) ** 2
    n, reps = 47, 400
    counts = offspring_counts(backend.resample(np.tile(w, (reps, 1)), n, scheme, backend.rng(7)), 30)
    mean, se = counts.mean(0), counts.std(0, ddof=1) / np.sqrt(reps)
    expected = n * _normalised(w)
    varying = se > 0
    assert np.all(np.abs(mean - expected)[varying] < 4.5 * se[varying])
    assert np.allclose(mean[~varying], expected[~varying], atol=1.0)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_multinomial_resampling_chi_square(backend, seed):
    w = np.arange(1.0, 11.0)
    n = 20_000
    counts = offspring_counts(backend.resample(w, n, "multinomial", backend.rng(seed)), 10)
    assert stats.chisquare(counts, n * _normalised(w)).pvalue > ALPHA


def test_multinomial_sorted_uniforms_are_uniform(backend):
    """The uniform spacings construction gives U(0,1) order statistics (KS test)."""
    gen = backend.rng(21)
    if backend.name == "torch":
        su = to_numpy(torch_resampling.sorted_uniforms(1, 5000, gen, "cpu"))[0]
    else:
        su = numpy_resampling.sorted_uniforms(5000, gen)
    assert np.all(np.diff(su) >= 0) and su.min() >= 0 and su.max() < 1
    assert stats.kstest(su, "uniform").pvalue > ALPHA


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_multinomial_counts_chi_square(backend, seed):
    p = np.array([0.5, 0.2, 0.15, 0.1, 0.05, 0.0])
    n = np.array([5000, 20_000, 1])
    counts = to_numpy(backend.multinomial_counts(n, np.tile(p, (3, 1)), backend.rng(seed)))
    assert counts.dtype == np.int64 and counts.shape == (3, 6)
    assert np.array_equal(counts.sum(-1), n) and np.all(counts[:, -1] == 0)
    for row in counts[:2]:
        assert stats.chisquare(row[:-1], row.sum() * p[:-1] / p[:-1].sum()).pvalue > ALPHA


def test_multinomial_counts_many_categories(backend):
    """K = 1000 categories (a non-power of two for torch's binary tree), unnormalised p."""
    p = np.random.default_rng(9).random(1000)
    counts = to_numpy(backend.multinomial_counts(300_000, p, backend.rng(4)))
    assert counts.sum() == 300_000
    assert stats.chisquare(counts, 300_000 * p / p.sum()).pvalue > ALPHA


def test_multinomial_counts_numba_equals_numpy():
    rng = np.random.default_rng(10)
    for trial in range(30):
        p = rng.random((4, int(rng.integers(1, 50))))
        n = rng.integers(0, 10**6, 4)
        a = get_backend("numpy").multinomial_counts(n, p, np.random.default_rng(trial))
        b = get_backend("numba").multinomial_counts(n, p, np.random.default_rng(trial))
        assert np.array_equal(a, b)
    scalar = get_backend("numba").multinomial_counts(10, [1, 1], np.random.default_rng(0))
    assert scalar.shape == (2,) and scalar.sum() == 10


@pytest.mark.parametrize("scheme", RESAMPLING_SCHEMES)
def test_batched_equals_rows_in_sequence(scheme):
    """numpy and numba draw row by row, so a batch equals the rows resampled in turn."""
    w = np.random.default_rng(8).random((5, 40))
    for name in ("numpy", "numba"):
        be = get_backend(name)
        batch = be.resample(w, 33, scheme, np.random.default_rng(1))
        gen = np.random.default_rng(1)
        rows = np.stack([be.resample(row, 33, scheme, gen) for row in w])
        assert np.array_equal(batch, rows)


def test_torch_batched_rows_are_independent():
    """Torch draws a batch at once; rows are independent replicates."""
    be = get_backend("torch")
    idx = to_numpy(be.resample(np.ones((2, 1000)), 1000, "multinomial", be.rng(0)))
    assert not np.array_equal(idx[0], idx[1])
