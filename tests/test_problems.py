"""The test problems: CEC'2013 F1–F20, Goldberg's M1–M4, Rastrigin, OneMax and
the Royal Road — values at the optima, against an independent implementation
(``ioh``), across numpy/torch/numba, and the suite's metadata."""

import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist

from collapsesim.engine import get_backend
from collapsesim.engine.bits import pack_bits
from collapsesim.problems import PROBLEM_NAMES, cec2013, get_problem
from collapsesim.problems.cec2013 import N_OPTIMA, shubert_extrema

SUITE = range(1, 21)


@pytest.mark.parametrize("i", SUITE)
def test_every_listed_optimum_has_the_optimum_value(i):
    p = cec2013(i)
    assert p.optima.shape == (N_OPTIMA[i - 1], p.dim)
    # F3's true maximum is 0.99999983; the official optimum value is 1 (within the finest accuracy 1e-5)
    tol = 2e-7 if i == 3 else 1e-8
    np.testing.assert_allclose(p.evaluate(p.optima), p.f_opt, rtol=0, atol=tol)


@pytest.mark.parametrize("i", SUITE)
def test_optima_lie_in_the_box_farther_apart_than_the_niche_radius(i):
    p = cec2013(i)
    assert np.all(p.optima >= p.lower) and np.all(p.optima <= p.upper)
    if p.n_optima > 1:
        assert pdist(p.optima).min() > p.rho


@pytest.mark.parametrize("i", SUITE)
def test_optima_are_maxima(i):
    """No point in a small neighbourhood of an optimum is better (beyond round-off)."""
    p = cec2013(i)
    rng = np.random.default_rng(i)
    step = 1e-4 * (p.upper - p.lower)
    x = p.optima[:, None, :] + step * rng.uniform(-1, 1, (p.n_optima, 64, p.dim))
    x = np.clip(x, p.lower, p.upper)
    assert p.evaluate(x).max() <= p.evaluate(p.optima).max() + 1e-9


@pytest.mark.parametrize("i", SUITE)
def test_values_match_ioh(i):
    """Random points and the optima against IOHexperimenter's C++ CEC'2013 suite."""
    ioh = pytest.importorskip("ioh")
    p = cec2013(i)
    q = ioh.get_problem(1100 + i, 1, p.dim, ioh.ProblemClass.CEC2013)
    rng = np.random.default_rng(100 + i)
    x = np.vstack([p.lower + (p.upper - p.lower) * rng.random((100, p.dim)), p.optima[:20]])
    ours = p.evaluate(x)
    theirs = np.array([q(row) for row in x])
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("i", SUITE)
def test_torch_matches_numpy(i):
    p = cec2013(i)
    x = p.lower + (p.upper - p.lower) * np.random.default_rng(i).random((3, 50, p.dim))
    got = p.evaluate(torch.as_tensor(x))
    assert got.shape == (3, 50) and got.dtype == torch.float64
    # Weierstrass takes cosines of arguments up to 2π·3²⁰ ≈ 2·10¹⁰: libraries differ at ~1e-11
    np.testing.assert_allclose(got.numpy(), p.evaluate(x), rtol=1e-9, atol=1e-10)


def test_metadata_of_the_suite():
    assert [cec2013(i).dim for i in SUITE] == [1, 1, 1, 2, 2, 2, 2, 3, 3, 2, 2, 2, 2, 3, 3, 5, 5, 10, 10, 20]
    assert [cec2013(i).max_fes for i in (1, 6, 8, 11, 14, 20)] == [50_000, 200_000, 400_000, 200_000,
                                                                   400_000, 400_000]
    assert [cec2013(i).rho for i in (4, 5, 6, 7, 10)] == [0.01, 0.5, 0.5, 0.2, 0.01]
    assert cec2013(6).f_opt == pytest.approx(186.7309088310239)
    with pytest.raises(ValueError, match="F1–F20"):
        cec2013(21)


def test_shubert_extrema():
    maxima, minima = shubert_extrema()
    assert len(maxima) == 3 and len(minima) == 3
    np.testing.assert_allclose(np.diff(maxima), 2 * np.pi, atol=1e-9)  # the factor has period 2π
    np.testing.assert_allclose(np.diff(minima), 2 * np.pi, atol=1e-9)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_goldberg_peaks(k):
    p = get_problem(f"M{k}")
    assert p.peaks.shape == (5, 1) and p.targets is p.peaks
    heights = p.evaluate(p.peaks)
    if k in (1, 3):  # equal peaks: all are global optima
        np.testing.assert_allclose(heights, 1.0, atol=1e-12)
        assert p.n_optima == 5
    else:  # decreasing peaks: one global optimum, the first
        assert np.all(np.diff(heights) < 0) and p.n_optima == 1
    x = np.linspace(0, 1, 100_001)[:, None]
    assert p.evaluate(x).max() <= p.f_opt + 1e-12


def test_goldberg_m1_is_f2_and_m4_is_f3():
    x = np.random.default_rng(0).random((100, 1))
    np.testing.assert_array_equal(get_problem("M1").evaluate(x), cec2013(2).evaluate(x))
    np.testing.assert_array_equal(get_problem("M4").evaluate(x), cec2013(3).evaluate(x))


def test_rastrigin_numba_kernel_matches_numpy():
    p = get_problem("rastrigin", 100)
    x = np.random.default_rng(1).uniform(-5.12, 5.12, (4, 30, 100))
    np.testing.assert_allclose(p.evaluator(get_backend("numba"))(x), p.evaluate(x), rtol=1e-13)
    assert p.evaluate(np.zeros(100)) == 0.0 and p.evaluate(np.ones(100)) == pytest.approx(-100.0)


@pytest.mark.parametrize("name,dim", [("onemax", 100), ("onemax", 64), ("royal_road", 64), ("royal_road", 96)])
def test_bit_problems(name, dim):
    p = get_problem(name, dim)
    rng = np.random.default_rng(2)
    bits = rng.random((7, 40, dim)) < 0.8
    bits[0, 0] = True
    g = pack_bits(bits)
    if name == "onemax":
        expected = bits.sum(-1)
    else:
        expected = 8 * bits.reshape(7, 40, dim // 8, 8).all(-1).sum(-1)
    np.testing.assert_array_equal(p.evaluate(g), expected)
    np.testing.assert_array_equal(p.evaluator(get_backend("numba"))(g), expected)
    np.testing.assert_array_equal(p.evaluate(torch.as_tensor(g.view(np.int64)).view(torch.uint64)).numpy(),
                                  expected)
    assert p.evaluate(g)[0, 0] == p.f_opt == dim


def test_get_problem_names_and_errors():
    for name in PROBLEM_NAMES:
        assert get_problem(name).name == name
    with pytest.raises(ValueError, match="unknown problem"):
        get_problem("sphere")
    with pytest.raises(ValueError, match="fixed dimension"):
        get_problem("F4", 3)
    with pytest.raises(ValueError, match="multiple of 8"):
        get_problem("royal_road", 20)
