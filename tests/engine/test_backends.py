"""get_backend, generators, array conversion."""

import numpy as np
import pytest
import torch

from collapsesim.engine import BACKENDS, Backend, get_backend
from collapsesim.engine.backends.numba_backend import NumbaBackend
from collapsesim.engine.backends.numpy_backend import NumpyBackend
from collapsesim.engine.backends.torch_backend import TorchBackend

from engine_helpers import to_numpy


def test_get_backend_names_and_cache():
    assert isinstance(get_backend("numpy"), NumpyBackend)
    assert isinstance(get_backend("numba"), NumbaBackend)
    assert isinstance(get_backend("torch"), TorchBackend)
    assert get_backend("numba") is get_backend("numba")
    assert get_backend("torch", "cpu") is get_backend("torch")
    be = get_backend("numpy")
    assert get_backend(be) is be
    assert BACKENDS == ("numpy", "numba", "torch")


@pytest.mark.parametrize(
    "name, device, message",
    [
        ("jax", "cpu", "unknown backend 'jax'"),
        ("numpy", "tpu", "unknown device 'tpu'"),
        ("numba", "cuda", "needs backend 'torch'"),
    ],
)
def test_get_backend_errors(name, device, message):
    with pytest.raises(ValueError, match=message):
        get_backend(name, device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_unavailable_is_a_clear_error():
    with pytest.raises(ValueError, match="no CUDA GPU"):
        get_backend("torch", "cuda")


def _abstract(fn) -> bool:
    """A Backend method with no shared body: it only raises NotImplementedError."""
    import inspect

    return "raise NotImplementedError" in inspect.getsource(fn)


def test_every_backend_implements_the_interface():
    abstract = {n for n, v in vars(Backend).items()
                if callable(v) and not n.startswith("_") and _abstract(v)}
    assert {"normal", "integers", "permutation", "poisson", "exponential", "argsort", "put",
            "resample", "tournament"} <= abstract
    for name in BACKENDS:
        cls = type(get_backend(name))
        for method in abstract:
            assert getattr(cls, method) is not getattr(Backend, method), (name, method)


def test_rng_same_seed_same_stream(backend):
    a, b = backend.rng(7), backend.rng(np.random.SeedSequence(7))
    x = backend.resample(np.ones(50), 50, "multinomial", a)
    y = backend.resample(np.ones(50), 50, "multinomial", b)
    assert np.array_equal(to_numpy(x), to_numpy(y))
    z = backend.resample(np.ones(50), 50, "multinomial", backend.rng(8))
    assert not np.array_equal(to_numpy(x), to_numpy(z))


def test_spawned_seeds_differ(backend):
    root = np.random.SeedSequence(3)
    draws = [to_numpy(backend.resample(np.ones(30), 30, "multinomial", backend.rng(s))) for s in root.spawn(2)]
    assert not np.array_equal(*draws)


def test_asarray_roundtrip(backend):
    x = np.arange(6, dtype=np.uint64).reshape(2, 3)
    y = backend.asarray(x)
    assert np.array_equal(backend.to_numpy(y), x) and backend.to_numpy(y).dtype == np.uint64
    z = backend.asarray([1, 2], dtype=np.float32)
    assert backend.to_numpy(z).dtype == np.float32
    read_only = np.broadcast_to(np.arange(3), (2, 3))
    assert np.array_equal(backend.to_numpy(backend.asarray(read_only)), read_only)


def test_take(backend):
    x = np.arange(12).reshape(4, 3)
    assert np.array_equal(to_numpy(backend.take(x, np.array([3, 0, 0]))), x[[3, 0, 0]])
    xb = np.arange(24).reshape(2, 4, 3)
    idx = np.array([[1, 1], [0, 3]])
    expected = np.stack([xb[0, [1, 1]], xb[1, [0, 3]]])
    assert np.array_equal(to_numpy(backend.take(xb, idx)), expected)


def test_uniform_is_seeded_float64_in_unit_interval():
    import numpy as np

    from collapsesim.engine import get_backend

    for name in ("numpy", "numba", "torch"):
        b = get_backend(name)
        u1 = b.to_numpy(b.uniform((1000, 3), b.rng(np.random.SeedSequence(4))))
        u2 = b.to_numpy(b.uniform((1000, 3), b.rng(np.random.SeedSequence(4))))
        assert u1.dtype == np.float64 and u1.shape == (1000, 3)
        assert np.array_equal(u1, u2) and 0 <= u1.min() and u1.max() < 1
        assert abs(u1.mean() - 0.5) < 3 * np.sqrt(1 / 12 / u1.size)
    numpy_b, numba_b = get_backend("numpy"), get_backend("numba")
    assert np.array_equal(numpy_b.uniform(7, numpy_b.rng(np.random.SeedSequence(1))),
                          numba_b.uniform(7, numba_b.rng(np.random.SeedSequence(1))))
