"""Array operations the models and the filter need, for numpy arrays (numpy
and numba backends) and torch tensors (torch backend, CPU or CUDA).

The models of :mod:`.models` are written once against this small namespace
(``o.exp(x)``, ``o.normal(rng, shape)``, ...), so the same equations run on
every backend. Weights are float64 on every backend; particles have the
dtype the user chose.
"""

from __future__ import annotations

import numpy as np


class NumpyOps:
    """numpy arrays and a ``numpy.random.Generator``."""

    exp, log, sqrt, atan2 = (staticmethod(f) for f in (np.exp, np.log, np.sqrt, np.arctan2))
    where, remainder = staticmethod(np.where), staticmethod(np.remainder)

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

    def weights64(self, x):
        return np.asarray(x, dtype=np.float64)

    @staticmethod
    def spread(x):
        """Per-column (range, standard deviation) of particles x (N, d)."""
        return np.ptp(x, axis=0), x.std(axis=0)


class TorchOps:
    """torch tensors on ``device`` and a ``torch.Generator``."""

    def __init__(self, dtype: str = "float64", device: str = "cpu"):
        import torch

        self.torch = torch
        self.dtype = getattr(torch, dtype)
        self.device = device
        self.exp, self.log, self.sqrt = torch.exp, torch.log, torch.sqrt
        self.atan2 = torch.atan2
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

    def weights64(self, x):
        return x.to(self.torch.float64)

    @staticmethod
    def spread(x):
        """Per-column (range, standard deviation) of particles x (N, d)."""
        return x.amax(0) - x.amin(0), x.std(0, correction=0)


def ops_for(backend, dtype: str = "float64"):
    """The operations for a backend (numpy and numba share numpy's)."""
    if backend.name == "torch":
        return TorchOps(dtype, backend.device)
    return NumpyOps(dtype)
