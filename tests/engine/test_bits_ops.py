"""One-bit flip of packed genomes (collapsesim.engine.kernels.bits_ops)."""

import numpy as np
import pytest
from draw_replay import on_torch_and_replayed
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from collapsesim.engine import get_backend
from collapsesim.engine.bits import unpack_bits


def _genomes(seed, rows=2, n=50, words=2):
    return np.random.default_rng(seed).integers(0, 2**63, (rows, n, words), dtype=np.uint64)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), n_bits=st.integers(1, 128))
def test_exactly_one_bit_below_n_bits_changes(seed, n_bits):
    be = get_backend("numpy")
    g = _genomes(seed)
    h = be.op("flip_one_bit")(g, n_bits, be.rng(np.random.SeedSequence(seed)))
    diff = unpack_bits(g.reshape(-1, 2), 128) != unpack_bits(h.reshape(-1, 2), 128)
    assert np.all(diff.sum(-1) == 1) and not diff[:, n_bits:].any()


def test_the_flipped_position_is_uniform():
    be = get_backend("numpy")
    g = np.zeros((1, 30_000, 2), dtype=np.uint64)
    h = be.op("flip_one_bit")(g, 100, be.rng(np.random.SeedSequence(1)))
    pos = unpack_bits(h.reshape(-1, 2), 128).argmax(-1)
    assert stats.chisquare(np.bincount(pos, minlength=100)).pvalue > 1e-3


def test_torch_matches_the_reference_given_the_draws():
    g = _genomes(3)
    got, ref = on_torch_and_replayed("flip_one_bit", g, 100)
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("backend", ["numba"])
def test_numba_is_numpy(backend):
    g, seed = _genomes(4), np.random.SeedSequence(5)
    a = get_backend("numpy").op("flip_one_bit")(g, 90, get_backend("numpy").rng(seed))
    b = get_backend(backend).op("flip_one_bit")(g, 90, get_backend(backend).rng(seed))
    np.testing.assert_array_equal(a, b)
