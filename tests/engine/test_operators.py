"""The functional operator API (:mod:`collapsesim.engine.operators`).

Each function must (1) give what the backend's own method gives from the same
generator — it is a thin dispatch, nothing more — and (2) do what its
docstring says, checked on values: exact where the operator is deterministic
given its inputs, otherwise by a statistic whose tolerance is 5 standard errors
of a binomial or normal estimate (a false failure has probability < 1e-6 per
check, and the seeds are fixed, so a failure is a change of behaviour).
"""

from __future__ import annotations

import numpy as np
import pytest

from collapsesim import engine
from collapsesim.engine import get_backend, unpack_bits
from collapsesim.engine.kernels import registered

BACKENDS = ["numpy", "numba", "torch"]
Z = 5.0


def to_numpy(x):
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)


def within(estimate, expected, se):
    return abs(float(estimate) - float(expected)) < Z * float(se)


def test_functions_equal_backend_methods():
    """Same generator state in, same draw out: the functions add no randomness."""
    w = np.array([0.5, 1.0, 3.0, 0.0, 2.0])
    x = np.linspace(0.0, 1.0, 12).reshape(4, 3)
    for name in BACKENDS:
        be = get_backend(name)
        pairs = [
            (lambda r: engine.resample(w, 7, "stratified", rng=r, backend=be),
             lambda r: be.resample(w, 7, "stratified", r)),
            (lambda r: engine.tournament(w, 9, 3, rng=r, backend=be), lambda r: be.tournament(w, 9, 3, r)),
            (lambda r: engine.proportional(w, 8, rng=r, backend=be), lambda r: be.proportional(w, 8, r)),
            (lambda r: engine.gaussian_mutation(x, 0.3, rng=r, rate=0.5, backend=be),
             lambda r: be.gaussian_mutation(x, 0.3, r, 0.5)),
        ]
        for functional, method in pairs:
            assert np.array_equal(to_numpy(functional(be.rng(np.random.SeedSequence(11)))),
                                  to_numpy(method(be.rng(np.random.SeedSequence(11))))), name
        # a seed instead of a generator: a fresh generator from that seed
        assert np.array_equal(to_numpy(engine.resample(w, 7, rng=np.random.SeedSequence(3), backend=name)),
                              to_numpy(be.resample(w, 7, "systematic", be.rng(np.random.SeedSequence(3)))))
    with pytest.raises(TypeError, match="rng is required"):
        engine.proportional(w, rng=None)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("scheme", ["multinomial", "residual", "stratified", "systematic"])
def test_resample_values(name, scheme):
    w = np.array([0.0, 1.0, 3.0, 4.0])
    n = 8
    idx = to_numpy(engine.resample(w, n, scheme, rng=5, backend=name))
    assert idx.shape == (n,) and idx.dtype == np.int64
    assert np.all(np.diff(idx) >= 0), "ancestor indices are sorted"
    assert 0 not in idx, "a zero weight is never drawn"
    counts = np.bincount(idx, minlength=4)
    if scheme != "multinomial":  # residual, stratified, systematic: |count - N w| < 1 (systematic, residual: floor)
        assert np.all(np.abs(counts - n * w / w.sum()) < 1.0 + 1e-12)
    # large n: frequencies against w
    big = to_numpy(engine.resample(w, 40_000, scheme, rng=6, backend=name))
    freq = np.bincount(big, minlength=4) / big.size
    p = w / w.sum()
    for f, q in zip(freq, p):
        assert within(f, q, np.sqrt(max(q * (1 - q), 1e-12) / big.size))


@pytest.mark.parametrize("name", BACKENDS)
def test_counts_proportional_truncation(name):
    c = to_numpy(engine.multinomial_counts(10_000, [1.0, 3.0], rng=2, backend=name))
    assert c.sum() == 10_000 and within(c[0], 2_500, np.sqrt(10_000 * 0.25 * 0.75))
    only = to_numpy(engine.proportional(np.array([0.0, 0.0, 1.0, 0.0]), 50, rng=3, backend=name))
    assert np.all(only == 2)
    picks = to_numpy(engine.proportional(np.array([1.0, 3.0]), 20_000, rng=4, backend=name))
    assert within((picks == 1).mean(), 0.75, np.sqrt(0.75 * 0.25 / 20_000))
    # the n fittest, fittest first, ties to the lower index
    assert to_numpy(engine.truncation(np.array([1.0, 3.0, 3.0, 0.0, 2.0]), 3, backend=name)).tolist() == [1, 2, 4]


@pytest.mark.parametrize("name", BACKENDS)
def test_tournament_win_probabilities(name):
    """Binary tournaments with replacement among 6 distinct fitnesses: the best
    wins when drawn at least once, P = 1 − (5/6)²; the worst only against
    itself, P = (1/6)²."""
    fitness = np.array([3.0, 1.0, 5.0, 0.0, 4.0, 2.0])
    n = 30_000
    winners = to_numpy(engine.tournament(fitness, n, 2, rng=7, backend=name))
    for who, p in ((2, 1 - (5 / 6) ** 2), (3, (1 / 6) ** 2)):
        assert within((winners == who).mean(), p, np.sqrt(p * (1 - p) / n)), (who, name)


@pytest.mark.parametrize("name", BACKENDS)
def test_gaussian_mutation_values(name):
    x = np.zeros((4_000, 5))
    assert np.array_equal(to_numpy(engine.gaussian_mutation(x + 1.5, 2.0, rng=1, rate=0.0, backend=name)), x + 1.5)
    y = to_numpy(engine.gaussian_mutation(x, 2.0, rng=2, backend=name)).ravel()
    assert within(y.mean(), 0.0, 2.0 / np.sqrt(y.size))
    assert within(y.std(), 2.0, 2.0 / np.sqrt(2 * y.size))
    z = to_numpy(engine.gaussian_mutation(x, 2.0, rng=3, rate=0.3, backend=name))
    assert within((z != 0).mean(), 0.3, np.sqrt(0.3 * 0.7 / z.size))


@pytest.mark.parametrize("name", BACKENDS)
def test_bitflip_mutation_values(name):
    n_bits = 100  # two 64-bit words, 28 padding bits that must stay 0
    g = np.zeros((2_000, 2), np.uint64)
    assert np.array_equal(to_numpy(engine.bitflip_mutation(g, n_bits, 0.0, rng=1, backend=name)), g)
    every = to_numpy(engine.bitflip_mutation(g, n_bits, 1.0, rng=1, backend=name))
    assert every.dtype == np.uint64
    assert np.all(unpack_bits(every, n_bits)) and np.all(every[:, 1] >> np.uint64(36) == 0)
    some = unpack_bits(to_numpy(engine.bitflip_mutation(g, n_bits, 0.25, rng=2, backend=name)), n_bits)
    assert within(some.mean(), 0.25, np.sqrt(0.25 * 0.75 / some.size))


@pytest.mark.parametrize("name", BACKENDS)
def test_crossovers_exchange_genes(name):
    a, b = np.zeros((3_000, 4)), np.ones((3_000, 4))
    c1, c2 = (to_numpy(c) for c in engine.uniform_crossover(a, b, rng=1, p=0.3, backend=name))
    assert np.array_equal(c1 + c2, a + b), "each gene goes to exactly one child"
    assert within(c1.mean(), 0.3, np.sqrt(0.3 * 0.7 / c1.size))
    k1, k2 = (to_numpy(c) for c in engine.uniform_crossover(a, b, rng=1, p=0.0, backend=name))
    assert np.array_equal(k1, a) and np.array_equal(k2, b)

    n_genes = 100
    ga = np.zeros((500, 2), np.uint64)
    gb = np.full((500, 2), np.iinfo(np.uint64).max, np.uint64)
    d1, d2 = (unpack_bits(to_numpy(c), n_genes) for c in
              engine.one_point_crossover(ga, gb, rng=2, n_genes=n_genes, backend=name))
    assert np.array_equal(d1 ^ d2, np.ones_like(d1)), "complementary children"
    # child 1: a's genes before one cut, b's after — a single 0 → 1 step per row
    assert np.all(np.diff(d1.astype(np.int8), axis=1) >= 0)
    cuts = n_genes - d1.sum(1)
    assert len(np.unique(cuts)) > 20, "the cut point varies"


def test_operator_binds_every_registered_name():
    for op, impls in registered().items():
        for name in BACKENDS:
            fn = engine.operator(op, name)
            assert callable(fn)
    # numba has no sbx of its own: it falls back to the numpy specification
    rng = np.random.SeedSequence(9)
    a, b = np.random.default_rng(0).random((2, 6, 3))
    x1 = engine.operator("sbx", "numba")(a, b, 10.0, get_backend("numba").rng(rng))
    x2 = engine.operator("sbx", "numpy")(a, b, 10.0, get_backend("numpy").rng(rng))
    assert all(np.array_equal(u, v) for u, v in zip(x1, x2))
    assert to_numpy(engine.operator("tournament", "torch")(np.array([0.0, 1.0]), 3, 2,
                                                            get_backend("torch").rng(rng))).shape == (3,)
    with pytest.raises(KeyError, match="unknown engine operator 'no_such_op'"):
        engine.operator("no_such_op", "numpy")
