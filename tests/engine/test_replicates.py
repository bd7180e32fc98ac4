"""Per-replicate generators (collapsesim.engine.replicates): every random
method of every backend, called on R rows with ``backend.row_rngs(seeds)``,
gives in row r bitwise what the lone call with replicate r's generator gives."""

import numpy as np
import pytest

from collapsesim.engine import get_backend
from collapsesim.engine.bits import pack_bits
from collapsesim.engine.replicates import RANDOM_METHODS, RowGenerators

R = 3
SEEDS = [np.random.SeedSequence(11, spawn_key=(j,)) for j in range(R)]
DATA = np.random.default_rng(0)
W = DATA.random((R, 40))
X = DATA.random((R, 12, 4))
Y = DATA.random((R, 12, 4))
G = pack_bits(DATA.random((R, 12, 100)) < 0.5, 2)
H = pack_bits(DATA.random((R, 12, 100)) < 0.5, 2)

#: method → its arguments before ``rng``: (R, ...) arrays, shapes starting with R, scalars
CALLS = {
    "uniform": lambda be: ((R, 5),),
    "normal": lambda be: ((R, 5),),
    "integers": lambda be: (0, 7, (R, 6)),
    "poisson": lambda be: (2.5, (R, 6)),
    "exponential": lambda be: ((R, 4),),
    "permutation": lambda be: (be.asarray(np.tile(np.arange(9), (R, 1))),),
    "resample": lambda be: (be.asarray(W), 40, "systematic"),
    "multinomial_counts": lambda be: (np.array([30, 20, 10]), be.asarray(W[:, :5] / W[:, :5].sum(1, keepdims=True))),
    "tournament": lambda be: (be.asarray(W), 30, 3),
    "proportional": lambda be: (be.asarray(W), 30),
    "gaussian_mutation": lambda be: (be.asarray(X), 0.1),
    "bitflip_mutation": lambda be: (be.asarray(G), 100, 0.05),
    "uniform_crossover": lambda be: (be.asarray(X), be.asarray(Y)),
    "one_point_crossover": lambda be: (be.asarray(X), be.asarray(Y)),
}


def _args(be, method):
    return CALLS[method](be)


def _lone_args(args, r):
    lone = []
    for a in args:
        if isinstance(a, tuple) and a and a[0] == R and all(isinstance(v, int) for v in a):
            lone.append(a[1:])
        elif hasattr(a, "shape") and getattr(a, "ndim", 0) >= 1 and a.shape[0] == R:
            lone.append(a[r])
        else:
            lone.append(a)
    return lone


def _numpy(be, x):
    if isinstance(x, tuple):
        return tuple(_numpy(be, v) for v in x)
    return np.asarray(be.to_numpy(x))


def test_every_random_method_is_covered():
    assert set(CALLS) == set(RANDOM_METHODS)


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
@pytest.mark.parametrize("method", RANDOM_METHODS)
def test_row_equals_lone_call(backend, method):
    be = get_backend(backend)
    args = _args(be, method)
    batched = _numpy(be, getattr(be, method)(*args, be.row_rngs(SEEDS)))
    for r in range(R):
        lone = _numpy(be, getattr(be, method)(*_lone_args(args, r), be.rng(SEEDS[r])))
        if isinstance(lone, tuple):
            for b, l in zip(batched, lone):
                np.testing.assert_array_equal(b[r], l)
        else:
            np.testing.assert_array_equal(batched[r], lone)


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_named_operator_by_rows(backend):
    be = get_backend(backend)
    fn = be.op("tournament")
    got = _numpy(be, fn(be.asarray(W), 10, 2, be.row_rngs(SEEDS)))
    np.testing.assert_array_equal(got[1], _numpy(be, fn(be.asarray(W[1]), 10, 2, be.rng(SEEDS[1]))))


def test_shape_must_start_with_rows():
    be = get_backend("numpy")
    with pytest.raises(ValueError, match="shape starting with 3"):
        be.uniform((4, 2), be.row_rngs(SEEDS))


def test_subset_keeps_generators():
    rows = get_backend("numpy").row_rngs(SEEDS)
    sub = rows.subset([2, 0])
    assert isinstance(sub, RowGenerators) and sub[0] is rows[2] and sub[1] is rows[0]
