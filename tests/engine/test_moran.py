"""The Moran birth–death operator ``moran_events``: the compiled kernel (numba,
and torch's host path) equals the numpy specification exactly given the
uniforms (hypothesis), and the specification draws one event with the
probabilities of the model (chi-square at fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from collapsesim.engine import get_backend
from collapsesim.engine.kernels.moran import moran_events_compiled, moran_events_reference


def _state(counts, fitness, room):
    c = np.concatenate([np.asarray(counts, dtype=np.int64), np.zeros(room, dtype=np.int64)])
    w = np.concatenate([np.asarray(fitness, dtype=float), np.ones(room)])
    return c, w


@st.composite
def moran_cases(draw):
    K = draw(st.integers(1, 6))
    counts = draw(st.lists(st.integers(0, 30), min_size=K, max_size=K))
    if sum(counts) == 0:
        counts[0] = 1
    fitness = draw(st.lists(st.floats(0.05, 5.0), min_size=K, max_size=K))
    infinite = draw(st.booleans())
    mu = draw(st.sampled_from([0.0, 0.01, 0.3, 1.0]))
    if not infinite and K < 2:
        mu = 0.0
    events = draw(st.integers(0, 200))
    seed = draw(st.integers(0, 2**32 - 1))
    return counts, fitness, infinite, mu, events, seed


@settings(max_examples=200, deadline=None)
@given(moran_cases())
def test_compiled_equals_reference(case):
    counts, fitness, infinite, mu, events, seed = case
    K = len(counts)
    u = np.random.default_rng(seed).random((events, 3))
    room = events if infinite else 0
    out = []
    for f in (moran_events_reference, moran_events_compiled):
        c, w = _state(counts, fitness, room)
        n = f(c, w, K, K, mu, infinite, u)
        out.append((n, c, w))
    (n0, c0, w0), (n1, c1, w1) = out
    assert n0 == n1
    np.testing.assert_array_equal(c0, c1)
    np.testing.assert_array_equal(w0, w1)
    # size conserved, no negative counts, new types only under infinite alleles
    assert c0.sum() == sum(counts) and (c0 >= 0).all()
    assert n0 == K or infinite


@pytest.mark.parametrize("name", ["numpy", "numba", "torch"])
@pytest.mark.parametrize("infinite", [False, True])
def test_every_backend_gives_the_specification(name, infinite):
    """Through the registry, from each backend's own uniforms: the same counts
    as the reference applied to those uniforms (numba draws numpy's stream)."""
    b = get_backend(name, "cpu")
    u = b.uniform((400, 3), b.rng(np.random.SeedSequence(11)))
    K, room = 4, (400 if infinite else 0)
    c, w = _state([100, 150, 50, 100], [1.3, 1.0, 0.7, 1.0], room)
    n = b.op("moran_events")(c, w, 4, K, 0.05, infinite, u)
    c_ref, w_ref = _state([100, 150, 50, 100], [1.3, 1.0, 0.7, 1.0], room)
    n_ref = moran_events_reference(c_ref, w_ref, 4, K, 0.05, infinite, b.to_numpy(u))
    assert n == n_ref and (n > K) == infinite
    np.testing.assert_array_equal(c, c_ref)


@pytest.mark.parametrize("infinite", [False, True])
def test_one_event_has_the_model_probabilities(infinite):
    """From counts (6, 3, 1), fitness (2, 1, 1), μ = 0.3: the focal type gains
    one copy with P(parent 0, no mutation, death elsewhere) and loses one with
    P(death in 0 and the child not type 0). 20,000 independent single events
    from a fixed seed; chi-square over (gain, no change, loss)."""
    counts, fitness, mu, R = [6, 3, 1], [2.0, 1.0, 1.0], 0.3, 20_000
    N, W = 10, 6 * 2.0 + 3 + 1
    parent = np.array([12.0, 3.0, 1.0]) / W
    if infinite:  # the child is type 0 iff parent 0 and no mutation
        child0 = parent[0] * (1 - mu)
    else:  # K-allele: a mutant picks one of the other two types uniformly
        child0 = parent[0] * (1 - mu) + (parent[1] + parent[2]) * mu / 2
    dead0 = 6 / N
    p = np.array([child0 * (1 - dead0), 0.0, (1 - child0) * dead0])
    p[1] = 1 - p[0] - p[2]
    u = np.random.default_rng(2024).random((R, 1, 3))
    gains = np.zeros(3)
    for r in range(R):
        c, w = _state(counts, fitness, 1 if infinite else 0)
        moran_events_reference(c, w, 3, 3, mu, infinite, u[r])
        gains[1 - (c[0] - 6)] += 1  # +1 → 0, 0 → 1, −1 → 2
    assert stats.chisquare(gains, R * p).pvalue > 1e-3


def test_without_mutation_one_copy_moves_per_event():
    u = np.random.default_rng(0).random((1, 3))
    counts = np.array([5, 5], dtype=np.int64)
    moran_events_reference(counts, np.ones(2), 2, 2, 0.0, False, u)
    assert counts.sum() == 10 and abs(int(counts[0]) - 5) <= 1
