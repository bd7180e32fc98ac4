"""Array helpers shared by the ``ga`` and ``hikers`` domains: one code path for
numpy (numpy and numba backends) and torch (CPU and CUDA).

Populations carry a leading *deme* axis: state ``(I, n, D)`` (or packed bits
``(I, n, W)``), fitness ``(I, n)`` — I islands of n individuals (I = 1 without
an island model), the layout the engine's batched operators take.
:class:`Random` draws from the backend's generator (a ``numpy.random.Generator``
or a ``torch.Generator``), so a replicate is reproducible from its seed on
every backend.
"""

from __future__ import annotations

import numpy as np


class Random:
    """Uniforms, normals, integers and permutations from a backend's generator."""

    def __init__(self, backend, seed):
        self.backend = backend
        self.gen = backend.rng(seed)
        self.torch = backend.name == "torch"
        if self.torch:
            import torch

            self._t = torch

    def random(self, shape):
        """Float64 uniforms on [0, 1)."""
        if self.torch:
            return self._t.rand(shape, generator=self.gen, device=self.backend.device,
                                dtype=self._t.float64)
        return self.gen.random(shape)

    def normal(self, shape):
        """Float64 standard normals."""
        if self.torch:
            return self._t.randn(shape, generator=self.gen, device=self.backend.device,
                                 dtype=self._t.float64)
        return self.gen.standard_normal(shape)

    def integers(self, high: int, shape):
        """Int64 uniform on {0, …, high − 1}."""
        if self.torch:
            return self._t.randint(0, int(high), tuple(shape), generator=self.gen,
                                   device=self.backend.device)
        return self.gen.integers(0, int(high), size=shape)

    def permutations(self, shape):
        """Independent random permutations of ``range(shape[-1])`` along the last axis."""
        return argsort(self.random(shape))


def xp_of(x):
    """``torch`` for a tensor, ``numpy`` otherwise."""
    if type(x).__module__.startswith("torch"):
        import torch

        return torch
    return np


def arange(n: int, like):
    """``0 … n−1`` (int64) in ``like``'s namespace and device."""
    xp = xp_of(like)
    return np.arange(n) if xp is np else xp.arange(n, device=like.device)


def argsort(x, descending: bool = False):
    """Stable argsort along the last axis."""
    xp = xp_of(x)
    if xp is np:
        return np.argsort(-x if descending else x, axis=-1, kind="stable")
    return xp.argsort(x, dim=-1, descending=descending, stable=True)


def take(x, idx):
    """Rows of ``x`` (leading ``(I, n)``) picked per deme by ``idx`` ``(I, m)`` → ``(I, m, …)``."""
    return x[arange(idx.shape[0], idx)[:, None], idx]


def put(x, idx, values):
    """A copy of ``x`` with rows ``idx`` ``(I, m)`` of every deme set to ``values`` ``(I, m, …)``."""
    xp = xp_of(x)
    if xp is not np and x.dtype == xp.uint64:  # torch has no index_put for uint64: use the bits as int64
        return put(x.view(xp.int64), idx, values.view(xp.int64)).view(xp.uint64)
    out = x.copy() if xp is np else x.clone()
    out[arange(idx.shape[0], idx)[:, None], idx] = values
    return out


def cat(xs, axis: int):
    """Concatenate along ``axis``."""
    xp = xp_of(xs[0])
    return np.concatenate(xs, axis=axis) if xp is np else xp.cat(xs, dim=axis)


def where(cond, a, b):
    """Elementwise choice, broadcasting a trailing axis for row masks."""
    xp = xp_of(a)
    while cond.ndim < a.ndim:
        cond = cond[..., None]
    return xp.where(cond, a, b)


def to_numpy(x) -> np.ndarray:
    """A host numpy copy of an array or tensor."""
    if xp_of(x) is np:
        return np.asarray(x)
    return x.detach().cpu().numpy()


def pairwise_sq_distances(x):
    """Squared Euclidean distances within each deme: ``(I, n, D) → (I, n, n)``."""
    d = x[..., :, None, :] - x[..., None, :, :]
    return (d * d).sum(-1)


def hamming(a, b):
    """Hamming distances between packed genomes, broadcasting leading axes."""
    from ...problems.bits import onemax_function

    xp = xp_of(a)
    return onemax_function(a ^ b if xp is np or a.dtype != xp.uint64 else
                           (a.view(xp.int64) ^ b.view(xp.int64)), xp)
