"""SBX, BLX-α and polynomial mutation (collapsesim.engine.kernels.real_variation):
properties of the numpy reference, torch against the reference given the same
draws, numba identical to numpy."""

import numpy as np
import pytest
from draw_replay import on_torch_and_replayed
from hypothesis import given, settings
from hypothesis import strategies as st

from collapsesim.engine import get_backend


def _rng(seed=0):
    return get_backend("numpy").rng(np.random.SeedSequence(seed))


def _pair(seed, shape=(2, 400, 3)):
    g = np.random.default_rng(seed)
    return g.random(shape), g.random(shape)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), eta=st.floats(0.5, 50.0))
def test_sbx_keeps_each_pairs_mean(seed, eta):
    a, b = _pair(seed, (1, 50, 4))
    c1, c2 = get_backend("numpy").op("sbx")(a, b, eta, _rng(seed))
    np.testing.assert_allclose(c1 + c2, a + b, atol=1e-12)


def test_sbx_copies_half_the_coordinates():
    # each coordinate is crossed with probability 1/2: the copied fraction is binomial
    a, b = _pair(1, (1, 20_000, 1))
    c1, _ = get_backend("numpy").op("sbx")(a, b, 5.0, _rng(1))
    copied = (c1 == a).mean()
    assert abs(copied - 0.5) < 4 * np.sqrt(0.25 / 20_000)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), alpha=st.floats(0.0, 1.0))
def test_blx_stays_in_the_widened_interval(seed, alpha):
    a, b = _pair(seed, (1, 50, 4))
    d = np.abs(a - b)
    for c in get_backend("numpy").op("blx")(a, b, alpha, _rng(seed)):
        assert np.all(c >= np.minimum(a, b) - alpha * d - 1e-12)
        assert np.all(c <= np.maximum(a, b) + alpha * d + 1e-12)


def test_blx_children_are_uniform_on_the_interval():
    # a = 0, b = 1, α = 0.5: children uniform on [−0.5, 1.5]; mean 0.5, var 4/12
    n = 40_000
    a, b = np.zeros((1, n, 1)), np.ones((1, n, 1))
    c1, _ = get_backend("numpy").op("blx")(a, b, 0.5, _rng(2))
    assert abs(c1.mean() - 0.5) < 4 * np.sqrt(4 / 12 / n)
    assert c1.min() >= -0.5 and c1.max() < 1.5


def test_polynomial_mutation_rate_and_step_bound():
    n, rate = 20_000, 0.3
    x = np.full((1, n, 1), 0.5)
    y = get_backend("numpy").op("polynomial_mutation")(x, 20.0, rate, _rng(3))
    moved = y != x
    assert abs(moved.mean() - rate) < 4 * np.sqrt(rate * (1 - rate) / n)
    assert np.all(np.abs(y - x) <= 1.0)
    # δ is symmetric about 0: its mean is 0 within 4 standard errors
    step = (y - x)[moved]
    assert abs(step.mean()) < 4 * step.std() / np.sqrt(step.size)


@pytest.mark.parametrize("op,extra", [("sbx", (7.0,)), ("blx", (0.3,))])
def test_crossover_torch_matches_the_reference_given_the_draws(op, extra):
    a, b = _pair(5)
    got, ref = on_torch_and_replayed(op, a, b, *extra)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-13, atol=1e-15)


def test_polynomial_torch_matches_the_reference_given_the_draws():
    x, _ = _pair(6)
    got, ref = on_torch_and_replayed("polynomial_mutation", x, 15.0, 0.4)
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("op,extra", [("sbx", (7.0,)), ("blx", (0.3,))])
def test_numba_is_numpy(op, extra):
    a, b = _pair(7)
    seed = np.random.SeedSequence(9)
    ref = get_backend("numpy").op(op)(a, b, *extra, get_backend("numpy").rng(seed))
    got = get_backend("numba").op(op)(a, b, *extra, get_backend("numba").rng(seed))
    for g, r in zip(got, ref):
        np.testing.assert_array_equal(g, r)
