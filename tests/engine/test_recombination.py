"""The recombination operators: ``assemble_gametes`` (the compiled kernel of
numba and torch equals the numpy specification exactly, for any draws —
hypothesis — and copies the right parent at every base pair), and
``crossovers`` (Poisson counts, uniform positions and fair first strands,
tested at fixed seeds; numba draws numpy's numbers)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from collapsesim.engine import get_backend
from collapsesim.engine.kernels.recombination import assemble_compiled, assemble_reference


@st.composite
def gametes(draw):
    """Slots, first strands, crossover counts and positions (coincident ones
    included: a short chromosome makes them common), nodes and the site."""
    n = draw(st.integers(0, 30))
    L = draw(st.integers(2, 60))
    counts = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    total = sum(counts)
    positions = draw(st.lists(st.integers(1, L - 1), min_size=total, max_size=total))
    first = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    n_slots = draw(st.integers(1, 20))
    slots = draw(st.lists(st.tuples(st.integers(0, n_slots - 1), st.integers(0, n_slots - 1)),
                          min_size=n, max_size=n))
    nodes = draw(st.permutations(range(n_slots)))
    offset = draw(st.integers(0, 1000))
    site = draw(st.integers(0, L - 1))
    child0 = draw(st.integers(0, 5000))
    return (np.array(slots, dtype=np.int64).reshape(n, 2), np.array(first, dtype=np.int64),
            np.array(counts, dtype=np.int64), np.array(positions, dtype=np.int64),
            np.array(nodes, dtype=np.int64) + offset, site, L, child0)


def _brute_force(slots, first, counts, positions, nodes, L, child0):
    """Edges by walking each gamete base pair by base pair (the definition)."""
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(int)
    edges = []
    for k in range(len(first)):
        xs = positions[starts[k]:starts[k + 1]]
        strand = [first[k] ^ (np.count_nonzero(xs <= x) & 1) for x in range(L)]
        x = 0
        while x < L:
            y = x
            while y < L and strand[y] == strand[x]:
                y += 1
            edges.append((x, y, nodes[slots[k, strand[x]]], child0 + k))
            x = y
    return edges


def _merged(edges) -> dict:
    out: dict[int, list] = {}
    for lo, hi, p, c in sorted((int(a), int(b), int(p), int(c)) for a, b, p, c in edges):
        segs = out.setdefault(c, [])
        if segs and segs[-1][1] == lo and segs[-1][2] == p:
            segs[-1] = (segs[-1][0], hi, p)
        else:
            segs.append((lo, hi, p))
    return out


@settings(max_examples=300, deadline=None)
@given(gametes())
def test_compiled_equals_reference(case):
    slots, first, counts, positions, nodes, site, L, child0 = case
    ref = assemble_reference(slots, first, counts, positions, nodes, site, L, child0)
    got = assemble_compiled(slots, first, counts, positions, nodes, site, L, child0)
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a, b)
    left, right, parent, child, site_slot = ref
    # tskit's order for one generation: by parent, then child, then left
    assert sorted(zip(parent, child, left)) == list(zip(parent, child, left))
    # the same segments as walking each gamete, once adjacent segments of one parent
    # node (coincident crossovers, or both strands of one node) are merged
    walked = _brute_force(slots, first, counts, positions, nodes, L, child0)
    assert _merged(zip(left, right, parent, child)) == _merged(walked)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(int)
    for k in range(len(first)):
        xs = positions[starts[k]:starts[k + 1]]
        assert site_slot[k] == slots[k, first[k] ^ (np.count_nonzero(xs <= site) & 1)]


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_operator_dispatch(backend):
    be = get_backend(backend)
    rng = be.rng(np.random.SeedSequence(3))
    n, L = 200, 1000
    first, counts, positions = be.op("crossovers")(n, 2.0, L, rng)
    slots = np.arange(2 * n).reshape(n, 2)
    nodes = np.arange(2 * n) + 7
    out = be.op("assemble_gametes")(slots, first, counts, positions, nodes, 500, L, 10_000)
    ref = assemble_reference(slots, first, counts, positions, nodes, 500, L, 10_000)
    for a, b in zip(out, ref):
        np.testing.assert_array_equal(a, b)


def test_numba_draws_numpys_crossovers():
    a = get_backend("numpy").op("crossovers")(50, 1.5, 300, np.random.default_rng(9))
    b = get_backend("numba").op("crossovers")(50, 1.5, 300, np.random.default_rng(9))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_crossover_law(backend):
    """Per-gamete counts are Poisson(rate) (chi-square on 0…5, 6+), positions
    uniform on [1, L) (chi-square on 10 bins) and first strands fair (binomial
    within 4 SE), at a fixed seed."""
    be = get_backend(backend)
    n, rate, L = 20_000, 1.3, 101
    first, counts, positions = be.op("crossovers")(n, rate, L, be.rng(np.random.SeedSequence(4)))
    assert len(positions) == counts.sum() and positions.min() >= 1 and positions.max() < L
    observed = np.bincount(np.minimum(counts, 6), minlength=7)
    p = stats.poisson.pmf(np.arange(6), rate)
    expected = n * np.append(p, 1 - p.sum())
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    bins = np.bincount((positions - 1) // 10, minlength=10)
    assert stats.chisquare(bins).pvalue > 1e-3
    assert abs(first.mean() - 0.5) < 4 * np.sqrt(0.25 / n)


def test_no_crossovers_at_zero_rate():
    be = get_backend("numpy")
    rng = np.random.default_rng(0)
    first, counts, positions = be.op("crossovers")(10, 0.0, 2, rng)
    assert counts.sum() == 0 and len(positions) == 0 and set(first) <= {0, 1}
    slots = np.arange(20).reshape(10, 2)
    left, right, parent, child, site_slot = assemble_reference(
        slots, first, counts, positions, np.arange(20), 0, 2, 0)
    assert np.all(left == 0) and np.all(right == 2)
    np.testing.assert_array_equal(site_slot, slots[np.arange(10), first])
