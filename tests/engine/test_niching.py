"""Niching primitives (collapsesim.engine.kernels.niching): distances (Hamming
on packed bits), sharing, clearing, crowding replacement — deterministic, so
torch and numba must equal the numpy reference."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from collapsesim.engine import get_backend
from collapsesim.engine.bits import unpack_bits
from collapsesim.engine.kernels.niching import clear_walk

NP = get_backend("numpy")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), n_bits=st.integers(1, 128))
def test_hamming_on_packed_bits_counts_differing_genes(seed, n_bits):
    g = np.random.default_rng(seed).integers(0, 2**63, (1, 12, 2), dtype=np.uint64)
    d = NP.op("pairwise_distances")(g, True)[0]
    bits = unpack_bits(g[0], 128)
    np.testing.assert_array_equal(d, (bits[:, None, :] != bits[None, :, :]).sum(-1))


def test_euclidean_pairwise_distances():
    x = np.random.default_rng(1).random((2, 15, 3))
    d = NP.op("pairwise_distances")(x, False)
    np.testing.assert_allclose(d[1], cdist(x[1], x[1]), atol=1e-12)


def test_sharing_divides_by_the_niche_count():
    x = np.array([[[0.0], [0.05], [1.0]]])
    f = np.array([[1.0, 1.0, 1.0]])
    # the two close points share: niche count 1 + (1 − 0.5) = 1.5
    np.testing.assert_allclose(NP.op("shared_fitness")(f, x, 0.1, 1.0, False), [[1 / 1.5, 1 / 1.5, 1.0]])


def test_clearing_keeps_kappa_winners_per_niche():
    order = np.array([[0, 1, 2, 3]])
    within = np.ones((1, 4, 4), dtype=bool)
    within[0, 3, :] = within[0, :, 3] = False
    within[0, 3, 3] = True
    assert clear_walk(order, within, 1).tolist() == [[False, True, True, False]]
    assert clear_walk(order, within, 2).tolist() == [[False, False, True, False]]
    f = np.array([[4.0, 3.0, 2.0, 1.0]])
    x = np.array([[[0.0], [0.1], [0.2], [5.0]]])
    assert NP.op("clearing")(f, x, 1.0, 1, False).tolist() == [[4.0, 1.0, 1.0, 1.0]]


def test_crowding_children_replace_the_nearer_parent_only_if_better():
    parents = np.array([[[0.0], [10.0]]])
    children = np.array([[[9.0], [1.0]]])  # child 0 is near parent 1
    state, fit = NP.op("crowding_replacement")(parents, np.array([[5.0, 5.0]]), children,
                                               np.array([[6.0, 4.0]]), False)
    assert state.ravel().tolist() == [0.0, 9.0] and fit.ravel().tolist() == [5.0, 6.0]


def _cases(seed):
    g = np.random.default_rng(seed)
    x, f = g.random((2, 20, 2)), g.normal(size=(2, 20))
    bx = g.integers(0, 2**63, (2, 20, 1), dtype=np.uint64)
    return [("shared_fitness", (f, x, 0.3, 2.0, False)), ("shared_fitness", (f, bx, 30.0, 1.0, True)),
            ("clearing", (f, x, 0.3, 2, False)), ("clearing", (f, bx, 28.0, 1, True)),
            ("crowding_replacement", (x, f, x[:, ::-1] * 0.9, f[:, ::-1], False)),
            ("crowding_replacement", (bx, f, bx[:, ::-1], f[:, ::-1] + 0.1, True))]


CUDA = pytest.param(("torch", "cuda"), marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                                reason="no CUDA device"))


@pytest.mark.parametrize("backend", [("numba", None), ("torch", None), CUDA])
@pytest.mark.parametrize("case", range(6))
def test_backends_equal_the_reference(backend, case):
    op, args = _cases(case)[case]
    be = get_backend(*backend) if backend[1] else get_backend(backend[0])
    ref = NP.op(op)(*args)
    got = be.op(op)(*[be.asarray(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a for a in args])
    ref, got = (ref, got) if isinstance(ref, tuple) else ((ref,), (got,))
    for r, g in zip(ref, got):
        np.testing.assert_allclose(be.to_numpy(g).astype(r.dtype), r, rtol=1e-12, atol=1e-14)
