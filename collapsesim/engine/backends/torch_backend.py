"""The torch backend, on CPU or CUDA: every operator vectorised over replicate rows.

Arrays are tensors on ``device``; the generator is a ``torch.Generator`` on that
device seeded from the run's SeedSequence (:func:`collapsesim.engine.rng.torch_seed`).
Results agree with numpy's in distribution; the resampling kernels given the
same random numbers agree exactly on CPU (see :mod:`.torch_resampling`).
"""

from __future__ import annotations

import numpy as np
import torch

from ..rng import SeedLike, torch_seed
from . import torch_resampling as resampling
from . import torch_selection as selection
from . import torch_variation as variation
from .base import Backend

_NUMPY_TO_TORCH = {
    np.dtype(np.float64): torch.float64,
    np.dtype(np.float32): torch.float32,
    np.dtype(np.int64): torch.int64,
    np.dtype(np.int32): torch.int32,
    np.dtype(np.uint64): torch.uint64,
    np.dtype(np.uint8): torch.uint8,
    np.dtype(np.bool_): torch.bool,
}


def torch_dtype(dtype) -> torch.dtype | None:
    """A torch dtype from a torch or numpy dtype (or anything ``np.dtype`` accepts)."""
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    try:
        return _NUMPY_TO_TORCH[np.dtype(dtype)]
    except KeyError:
        raise TypeError(f"no torch dtype for {dtype!r}") from None


def _shape(shape) -> tuple[int, ...]:
    """A shape as a tuple of ints (an int is a 1-D shape)."""
    if isinstance(shape, (tuple, list, torch.Size)):
        return tuple(int(s) for s in shape)
    return (int(shape),)


class TorchBackend(Backend):
    """torch backend on ``device`` ("cpu" or "cuda")."""

    name = "torch"
    xp = torch

    def __init__(self, device: str = "cpu"):
        if device not in ("cpu", "cuda"):
            raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")
        if device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' requested but torch sees no CUDA GPU")
        self.device = device

    def rng(self, seed: SeedLike) -> torch.Generator:
        gen = torch.Generator(device=self.device)
        gen.manual_seed(torch_seed(seed))
        return gen

    def asarray(self, x, dtype=None) -> torch.Tensor:
        if isinstance(x, np.ndarray) and not x.flags.writeable:
            x = x.copy()
        return torch.as_tensor(x, dtype=torch_dtype(dtype), device=self.device)

    def to_numpy(self, x) -> np.ndarray:
        if isinstance(x, torch.Tensor):
            return x.detach().cpu().numpy()
        return np.asarray(x)

    def uniform(self, shape, rng) -> torch.Tensor:
        return torch.rand(shape, generator=rng, dtype=torch.float64, device=self.device)

    def take(self, x, indices) -> torch.Tensor:
        x, indices = self.asarray(x), self.asarray(indices)
        if indices.ndim == 1:
            return x[indices]
        rows = torch.arange(indices.shape[0], device=indices.device)[:, None]
        return x[rows, indices]

    def normal(self, shape, rng, dtype=None) -> torch.Tensor:
        return torch.randn(_shape(shape), generator=rng, dtype=torch_dtype(dtype) or torch.float64,
                           device=self.device)

    def integers(self, low: int, high: int, shape, rng) -> torch.Tensor:
        shape = _shape(shape)
        return torch.randint(int(low), int(high), shape, generator=rng, device=self.device,
                             dtype=torch.int64)

    def permutation(self, x, rng) -> torch.Tensor:
        x = self.asarray(x)
        if x.ndim == 1:
            return x[torch.randperm(len(x), generator=rng, device=self.device)]
        keys = torch.rand(x.shape, generator=rng, device=self.device)
        return torch.take_along_dim(x, torch.argsort(keys, dim=-1), dim=-1)

    def poisson(self, lam, shape, rng) -> torch.Tensor:
        shape = _shape(shape)
        if np.isscalar(lam) and lam == 0:
            return torch.zeros(shape, dtype=torch.int64, device=self.device)
        rates = (torch.full(shape, float(lam), dtype=torch.float64, device=self.device)
                 if np.isscalar(lam) else self.asarray(lam, torch.float64).expand(shape))
        return torch.poisson(rates, generator=rng).to(torch.int64)

    def exponential(self, shape, rng) -> torch.Tensor:
        shape = _shape(shape)
        return torch.empty(shape, dtype=torch.float64, device=self.device).exponential_(
            generator=rng)

    def arange(self, n: int) -> torch.Tensor:
        return torch.arange(int(n), dtype=torch.int64, device=self.device)

    def zeros(self, shape, dtype="float64") -> torch.Tensor:
        return torch.zeros(shape, dtype=torch_dtype(dtype), device=self.device)

    def copy(self, x) -> torch.Tensor:
        return self.asarray(x).clone()

    def argsort(self, x, descending: bool = False) -> torch.Tensor:
        return torch.argsort(self.asarray(x), dim=-1, descending=descending, stable=True)

    def put(self, x, indices, values) -> torch.Tensor:
        x, indices, values = self.asarray(x), self.asarray(indices), self.asarray(values)
        if x.dtype == torch.uint64:  # no index_put for uint64: move the bits as int64
            return self.put(x.view(torch.int64), indices, values.view(torch.int64)).view(torch.uint64)
        out = x.clone()
        if indices.ndim == 1:
            out[indices] = values
        else:
            out[torch.arange(indices.shape[0], device=indices.device)[:, None], indices] = values
        return out

    def concatenate(self, xs, axis: int = 0) -> torch.Tensor:
        return torch.cat([self.asarray(x) for x in xs], dim=axis)

    def resample(self, weights, n: int, scheme: str, rng) -> torch.Tensor:
        return resampling.resample(self.asarray(weights), n, scheme, rng)

    def multinomial_counts(self, n, p, rng) -> torch.Tensor:
        return resampling.multinomial_counts(n, self.asarray(p), rng)

    def tournament(self, fitness, n: int, k: int, rng) -> torch.Tensor:
        return selection.tournament(self.asarray(fitness), n, k, rng)

    def truncation(self, fitness, n: int) -> torch.Tensor:
        return selection.truncation(self.asarray(fitness), n)

    def proportional(self, fitness, n: int, rng) -> torch.Tensor:
        return self.resample(fitness, n, "multinomial", rng)

    def gaussian_mutation(self, x, sigma: float, rng, rate: float = 1.0) -> torch.Tensor:
        return variation.gaussian_mutation(self.asarray(x), sigma, rng, rate)

    def bitflip_mutation(self, genomes, n_bits: int, p: float, rng) -> torch.Tensor:
        return variation.bitflip_mutation(self.asarray(genomes), n_bits, p, rng)

    def uniform_crossover(self, a, b, rng, p: float = 0.5):
        return variation.uniform_crossover(self.asarray(a), self.asarray(b), rng, p)

    def one_point_crossover(self, a, b, rng, n_genes: int | None = None):
        return variation.one_point_crossover(self.asarray(a), self.asarray(b), rng, n_genes)

    def __repr__(self) -> str:
        return f"TorchBackend(device={self.device!r})"
