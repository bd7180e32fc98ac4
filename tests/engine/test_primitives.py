"""The backend primitives every domain uses for arrays and randomness, and the
operator registry: numba equals numpy draw for draw (it shares the generator);
torch agrees in distribution and in the deterministic manipulations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from collapsesim.engine import child_seed, get_backend, implements, registered, streams
from collapsesim.engine.kernels import lookup

BACKENDS = ("numpy", "numba", "torch")


def _draws(be, seed=7):
    r = be.rng(np.random.SeedSequence(seed))
    return {
        "uniform": be.uniform((3, 4), r),
        "normal": be.normal((5,), r),
        "integers": be.integers(2, 9, (6,), r),
        "permutation": be.permutation(be.arange(8), r),
        "permuted_rows": be.permutation(be.asarray(np.tile(np.arange(5), (3, 1))), r),
        "poisson": be.poisson(3.0, (7,), r),
        "exponential": be.exponential((4,), r),
        "gumbel": be.gumbel((4,), r),
    }


def test_numba_draws_equal_numpy_draws():
    a, b = _draws(get_backend("numpy")), _draws(get_backend("numba"))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.parametrize("backend", BACKENDS)
def test_draws_reproducible_and_typed(backend):
    be = get_backend(backend)
    a, b = _draws(be), _draws(be)
    for k in a:
        x, y = be.to_numpy(a[k]), be.to_numpy(b[k])
        np.testing.assert_array_equal(x, y, err_msg=k)
    assert be.to_numpy(a["integers"]).dtype == np.int64
    assert be.to_numpy(a["poisson"]).dtype == np.int64
    assert be.to_numpy(a["normal"]).dtype == np.float64
    assert sorted(be.to_numpy(a["permutation"]).tolist()) == list(range(8))
    for row in be.to_numpy(a["permuted_rows"]):
        assert sorted(row.tolist()) == list(range(5))
    assert be.to_numpy(be.poisson(0, (3,), be.rng(1))).tolist() == [0, 0, 0]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name,cdf", [
    ("normal", stats.norm.cdf),
    ("exponential", stats.expon.cdf),
    ("gumbel", stats.gumbel_r.cdf),
])
def test_continuous_draws_have_their_distribution(backend, name, cdf):
    # KS at a fixed seed: p < 1e-3 would reject a correct sampler once in a thousand seeds
    be = get_backend(backend)
    x = be.to_numpy(getattr(be, name)((20000,), be.rng(np.random.SeedSequence(11))))
    assert stats.kstest(x, cdf).pvalue > 1e-3


@pytest.mark.parametrize("backend", BACKENDS)
def test_discrete_draws_have_their_distribution(backend):
    be = get_backend(backend)
    r = be.rng(np.random.SeedSequence(5))
    x = be.to_numpy(be.poisson(2.5, (20000,), r))
    # mean within 4 standard errors of λ
    assert abs(x.mean() - 2.5) < 4 * np.sqrt(2.5 / x.size)
    k = be.to_numpy(be.integers(0, 4, (20000,), r))
    counts = np.bincount(k, minlength=4)
    assert stats.chisquare(counts).pvalue > 1e-3


@pytest.mark.parametrize("backend", BACKENDS)
def test_manipulations_match_numpy(backend):
    be, ref = get_backend(backend), get_backend("numpy")
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 0.0, 5.0, 5.0]])
    idx = np.array([[1, 3], [0, 2]])
    for desc in (False, True):
        np.testing.assert_array_equal(be.to_numpy(be.argsort(be.asarray(x), desc)),
                                      ref.argsort(x, desc))
    np.testing.assert_array_equal(ref.argsort(x[0], True), [0, 2, 3, 1])  # ties keep index order
    vals = np.array([[9.0, 8.0], [7.0, 6.0]])
    got = be.to_numpy(be.put(be.asarray(x), be.asarray(idx), be.asarray(vals)))
    np.testing.assert_array_equal(got, ref.put(x, idx, vals))
    np.testing.assert_array_equal(be.to_numpy(be.take(be.asarray(got), be.asarray(idx))), vals)
    np.testing.assert_array_equal(
        be.to_numpy(be.concatenate([be.asarray(x), be.asarray(x)], axis=1)),
        np.concatenate([x, x], axis=1))
    mask = np.array([True, False])
    np.testing.assert_array_equal(be.to_numpy(be.where(be.asarray(mask), be.asarray(x), be.asarray(-x))),
                                  np.where(mask[:, None], x, -x))
    np.testing.assert_array_equal(be.to_numpy(be.arange(4)), np.arange(4))
    assert be.to_numpy(be.zeros((2, 3), "int64")).dtype == np.int64


def test_child_streams_are_stable_and_distinct():
    s = np.random.SeedSequence(3, spawn_key=(4,))
    a = streams(s, "data", "filter")
    assert a["data"].spawn_key == (4, 0) and a["filter"].spawn_key == (4, 1)
    assert child_seed(s, 1).generate_state(2).tolist() == a["filter"].generate_state(2).tolist()
    assert s.n_children_spawned == 0  # the parent is not mutated
    with pytest.raises(ValueError):
        streams(s, "x", "x")


def test_registry_dispatch_and_fallback():
    @implements("_test.double", "numpy")
    def _np(backend, x):
        return ("numpy", 2 * x)

    @implements("_test.double", "torch")
    def _t(backend, x):
        return ("torch", 2 * x)

    assert get_backend("numpy").op("_test.double")(2) == ("numpy", 4)
    assert get_backend("numba").op("_test.double")(2) == ("numpy", 4)  # falls back to the spec
    assert get_backend("torch").op("_test.double")(2) == ("torch", 4)
    assert registered("_test.double") == {"_test.double": ("numpy", "torch")}
    assert lookup("resample", get_backend("numba")).__name__ == "resample"  # built-in methods
    with pytest.raises(KeyError):
        get_backend("numpy").op("no_such_operator")
    with pytest.raises(ValueError):
        implements("_test.double", "numpy")(lambda backend, x: x)
