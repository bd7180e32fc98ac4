"""The categorical and Gumbel-top-k operators against their numpy reference
(exact given the random numbers) and against exact probabilities (chi-square
at fixed seeds)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from collapsesim.engine import get_backend
from collapsesim.engine.kernels.categorical import inverse_cdf, inverse_cdf_torch

BACKENDS = ("numpy", "numba", "torch")
P_MIN = 1e-3  # a fixed-seed chi-square test fails by chance with this probability


def _np(be, x):
    return np.asarray(be.to_numpy(x))


def test_inverse_cdf_is_the_sum_of_cdf_values_below_u():
    logits = np.array([np.log([0.1, 0.2, 0.3, 0.4]), [0.0, -np.inf, -np.inf, 0.0]])
    u = np.array([[0.05], [0.6]])
    assert inverse_cdf(logits, u).tolist() == [0, 3]
    assert inverse_cdf(logits, np.array([[0.3], [0.5]])).tolist() == [2, 3]  # C_j <= u counts


@given(st.integers(1, 6), st.integers(1, 9), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_torch_inverse_cdf_equals_numpy_given_the_uniforms(rows, n, seed):
    import torch

    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(rows, n)) * 3
    logits[rng.random((rows, n)) < 0.2] = -np.inf
    logits[:, rng.integers(n)] = 0.0  # one finite logit per row
    u = rng.random((rows, 1))
    ref = inverse_cdf(logits, u)
    got = inverse_cdf_torch(torch.as_tensor(logits), torch.as_tensor(u)).numpy()
    assert got.tolist() == ref.tolist()
    assert np.all(np.isfinite(logits[np.arange(rows), ref]))  # a zero weight is never drawn


def test_numba_draws_what_numpy_draws():
    logits = np.random.default_rng(0).normal(size=(5, 7))
    a = get_backend("numpy").op("categorical")(logits, get_backend("numpy").rng(3))
    b = get_backend("numba").op("categorical")(logits, get_backend("numba").rng(3))
    assert a.tolist() == b.tolist()
    a = get_backend("numpy").op("gumbel_top_k")(logits, 3, get_backend("numpy").rng(4))
    b = get_backend("numba").op("gumbel_top_k")(logits, 3, get_backend("numba").rng(4))
    assert a.tolist() == b.tolist()


@pytest.mark.parametrize("backend", BACKENDS)
def test_categorical_shapes_and_frequencies(backend):
    be = get_backend(backend)
    p = np.array([0.05, 0.15, 0.3, 0.5, 0.0])
    logits = np.log(np.where(p > 0, p, 1e-300)) + 7.0  # unnormalised; p = 0 is (almost) -inf
    logits[-1] = -np.inf
    draws = _np(be, be.op("categorical")(np.broadcast_to(logits, (4, 5000, 5)), be.rng(11)))
    assert draws.shape == (4, 5000)
    counts = np.bincount(draws.ravel(), minlength=5)
    assert counts[-1] == 0
    assert stats.chisquare(counts[:4], draws.size * p[:4]).pvalue > P_MIN
    one = _np(be, be.op("categorical")(logits, be.rng(1)))
    assert one.shape == () and 0 <= int(one) < 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_top_k_is_exact_and_orders_ties_by_index(backend):
    be = get_backend(backend)
    keys = np.array([[0.5, 2.0, -1.0, 2.0, 0.0], [-np.inf, 1.0, 3.0, -np.inf, 1.0]])
    assert _np(be, be.op("top_k")(keys, 3)).tolist() == [[1, 3, 0], [2, 1, 4]]
    with pytest.raises(ValueError, match="k <= n"):
        be.op("top_k")(keys, 6)


@given(st.integers(1, 4), st.integers(1, 12), st.data())
@settings(max_examples=40, deadline=None)
def test_top_k_numba_and_torch_equal_numpy_property(rows, n, data):
    k = data.draw(st.integers(0, n))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    keys = np.round(rng.normal(size=(rows, n)), 1)  # ties happen
    keys[rng.random((rows, n)) < 0.15] = -np.inf
    ref = get_backend("numpy").op("top_k")(keys, k)
    for name in ("numba", "torch"):
        got = _np(get_backend(name), get_backend(name).op("top_k")(keys, k))
        assert got.tolist() == ref.tolist(), name
    assert all(len(set(r)) == k for r in ref.tolist())
    if k:  # the k largest, in descending order
        picked = np.take_along_axis(keys, ref, -1)
        assert np.all(picked[:, :-1] >= picked[:, 1:])
        assert np.all(picked[:, -1:] >= np.sort(keys, axis=-1)[:, n - k:][:, :1])


def _ordered_probabilities(p: np.ndarray, k: int) -> dict[tuple, float]:
    """Exact probabilities of each ordered k-tuple under successive sampling
    without replacement with probabilities ∝ p."""
    out = {}
    for tup in itertools.permutations(range(len(p)), k):
        prob, left = 1.0, 1.0
        for i in tup:
            prob *= p[i] / left
            left -= p[i]
        out[tup] = prob
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_gumbel_top_k_inclusion_and_order_frequencies_are_exact(backend):
    be = get_backend(backend)
    p = np.array([0.4, 0.25, 0.2, 0.1, 0.05])
    k, R = 3, 20_000
    logits = np.log(p) - 2.0
    draws = _np(be, be.op("gumbel_top_k")(np.broadcast_to(logits, (2, R // 2, 5)), k,
                                           be.rng(5))).reshape(R, k)
    assert all(len(set(r)) == k for r in draws[:200].tolist())
    ordered = _ordered_probabilities(p, k)
    # unordered subsets: the inclusion frequencies of each set of k items
    subsets: dict[frozenset, float] = {}
    for tup, prob in ordered.items():
        subsets[frozenset(tup)] = subsets.get(frozenset(tup), 0.0) + prob
    keys = list(subsets)
    index = {s: j for j, s in enumerate(keys)}
    counts = np.bincount([index[frozenset(r)] for r in draws.tolist()], minlength=len(keys))
    assert stats.chisquare(counts, R * np.array([subsets[s] for s in keys])).pvalue > P_MIN
    # per-item inclusion against Σ over the tuples containing it (binomial z)
    incl = np.array([sum(v for t, v in ordered.items() if i in t) for i in range(5)])
    freq = np.bincount(draws.ravel(), minlength=5) / R
    assert np.all(np.abs(freq - incl) < 4 * np.sqrt(incl * (1 - incl) / R))
    # the order drawn: first two positions as an ordered pair
    pairs = {}
    for tup, prob in ordered.items():
        pairs[tup[:2]] = pairs.get(tup[:2], 0.0) + prob
    pk = list(pairs)
    pidx = {t: j for j, t in enumerate(pk)}
    pc = np.bincount([pidx[tuple(r[:2])] for r in draws.tolist()], minlength=len(pk))
    assert stats.chisquare(pc, R * np.array([pairs[t] for t in pk])).pvalue > P_MIN


@pytest.mark.parametrize("backend", ("numpy", "torch"))
def test_gumbel_top_k_is_batched_per_row_and_skips_zero_weights(backend):
    be = get_backend(backend)
    logits = np.array([[0.0, -np.inf, 0.0, -np.inf], [-np.inf, 0.0, -np.inf, 0.0]])
    out = _np(be, be.op("gumbel_top_k")(np.broadcast_to(logits, (300, 2, 4)), 2, be.rng(2)))
    assert out.shape == (300, 2, 2)
    assert {tuple(sorted(r)) for r in out[:, 0].tolist()} == {(0, 2)}
    assert {tuple(sorted(r)) for r in out[:, 1].tolist()} == {(1, 3)}
    firsts = (out[:, 0, 0] == 0).mean()
    assert abs(firsts - 0.5) < 4 * np.sqrt(0.25 / 300)
