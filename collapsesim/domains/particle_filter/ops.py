"""Array operations the models and the filter need, for numpy arrays (numpy
and numba backends) and torch tensors (torch backend, CPU or CUDA).

The models of :mod:`.models` are written once against this small namespace
(``o.exp(x)``, ``o.normal(rng, shape)``, ...), so the same equations run on
every backend. Weights are float64 on every backend; particles have the
dtype the user chose.
"""

from __future__ import annotations

import math

import numpy as np


class NumpyOps:
    """numpy arrays and a ``numpy.random.Generator``."""

    exp, log, sqrt, cos, sin, atan2 = np.exp, np.log, np.sqrt, np.cos, np.sin, np.arctan2
    where, remainder = np.where, np.remainder

    def __init__(self, dtype: str = "float64"):
        self.dtype = np.dtype(dtype)

    def asarray(self, x, dtype=None):
        return np.asarray(x, dtype=self.dtype if dtype is None else dtype)

    def to_numpy(self, x) -> np.ndarray:
        return np.asarray(x)

    def normal(self, rng: np.random.Generator, shape):
        return rng.standard_normal(shape, dtype=self.dtype)

    def uniform(self, rng: np.random.Generator, shape):
        return rng.random(shape)

    def arange(self, n: int):
        return np.arange(n, dtype=np.int64)

    def weights64(self, x):
        return np.asarray(x, dtype=np.float64)

    def full(self, n: int, value: float):
        return np.full(n, value)

    @staticmethod
    def logsumexp(a) -> float:
        """log Σ exp(a) in float64 (−inf when every entry is −inf)."""
        m = float(np.max(a))
        if not math.isfinite(m):
            return m
        return m + math.log(float(np.sum(np.exp(a - m))))


class TorchOps:
    """torch tensors on ``device`` and a ``torch.Generator``."""

    def __init__(self, dtype: str = "float64", device: str = "cpu"):
        import torch

        self.torch = torch
        self.dtype = getattr(torch, dtype)
        self.device = device
        self.exp, self.log, self.sqrt = torch.exp, torch.log, torch.sqrt
        self.cos, self.sin, self.atan2 = torch.cos, torch.sin, torch.atan2
        self.where, self.remainder = torch.where, torch.remainder

    def asarray(self, x, dtype=None):
        if isinstance(x, np.ndarray) and not x.flags.writeable:
            x = x.copy()
        return self.torch.as_tensor(x, dtype=self.dtype if dtype is None else dtype,
                                    device=self.device)

    def to_numpy(self, x) -> np.ndarray:
        return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)

    def normal(self, rng, shape):
        return self.torch.randn(shape, generator=rng, dtype=self.dtype, device=self.device)

    def uniform(self, rng, shape):
        return self.torch.rand(shape, generator=rng, dtype=self.torch.float64, device=self.device)

    def arange(self, n: int):
        return self.torch.arange(n, device=self.device)

    def weights64(self, x):
        return x.to(self.torch.float64)

    def full(self, n: int, value: float):
        return self.torch.full((n,), value, dtype=self.torch.float64, device=self.device)

    def logsumexp(self, a) -> float:
        return float(self.torch.logsumexp(a, dim=0))


def ops_for(backend, dtype: str = "float64"):
    """The operations for a backend (numpy and numba share numpy's)."""
    if backend.name == "torch":
        return TorchOps(dtype, backend.device)
    return NumpyOps(dtype)
