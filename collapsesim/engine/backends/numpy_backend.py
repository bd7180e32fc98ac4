"""The numpy backend: the reference implementation of every operator (the specification).

Arrays are ``numpy.ndarray``; the generator is a PCG64 ``numpy.random.Generator``.
The algorithms live in :mod:`.numpy_resampling`, :mod:`.numpy_selection` and
:mod:`.numpy_variation` as plain functions.
"""

from __future__ import annotations

import numpy as np

from ..rng import SeedLike, numpy_generator
from . import numpy_resampling as resampling
from . import numpy_selection as selection
from . import numpy_variation as variation
from .base import Backend


class NumpyBackend(Backend):
    """Reference backend: readable numpy, no compilation."""

    name = "numpy"
    device = "cpu"
    xp = np

    def rng(self, seed: SeedLike) -> np.random.Generator:
        return numpy_generator(seed)

    def asarray(self, x, dtype=None) -> np.ndarray:
        return np.asarray(x, dtype=dtype)

    def to_numpy(self, x) -> np.ndarray:
        return np.asarray(x)

    def uniform(self, shape, rng) -> np.ndarray:
        return rng.random(shape)

    def take(self, x, indices) -> np.ndarray:
        indices = np.asarray(indices)
        if indices.ndim == 1:
            return np.take(x, indices, axis=0)
        rows = np.arange(indices.shape[0])[:, None]
        return np.asarray(x)[rows, indices]

    def normal(self, shape, rng, dtype=None) -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float64 if dtype is None else dtype)

    def integers(self, low: int, high: int, shape, rng) -> np.ndarray:
        return rng.integers(int(low), int(high), size=shape, dtype=np.int64)

    def permutation(self, x, rng) -> np.ndarray:
        x = np.asarray(x)
        return rng.permuted(x, axis=-1) if x.ndim > 1 else rng.permutation(x)

    def poisson(self, lam, shape, rng) -> np.ndarray:
        if np.isscalar(lam) and lam == 0:
            return np.zeros(shape, dtype=np.int64)
        return rng.poisson(lam, size=shape).astype(np.int64)

    def exponential(self, shape, rng) -> np.ndarray:
        return rng.standard_exponential(shape)

    def arange(self, n: int) -> np.ndarray:
        return np.arange(int(n), dtype=np.int64)

    def zeros(self, shape, dtype="float64") -> np.ndarray:
        return np.zeros(shape, dtype=dtype)

    def copy(self, x) -> np.ndarray:
        return np.array(x, copy=True)

    def argsort(self, x, descending: bool = False) -> np.ndarray:
        x = np.asarray(x)
        if not descending:
            return np.argsort(x, axis=-1, kind="stable")
        # stable descending order: ties keep ascending index order
        return np.argsort(-x if x.dtype.kind != "u" else ~x, axis=-1, kind="stable")

    def put(self, x, indices, values) -> np.ndarray:
        out = np.array(x, copy=True)
        indices = np.asarray(indices)
        if indices.ndim == 1:
            out[indices] = values
        else:
            out[np.arange(indices.shape[0])[:, None], indices] = values
        return out

    def concatenate(self, xs, axis: int = 0) -> np.ndarray:
        return np.concatenate(xs, axis=axis)

    def resample(self, weights, n: int, scheme: str, rng) -> np.ndarray:
        return resampling.resample(weights, n, scheme, rng)

    def multinomial_counts(self, n, p, rng) -> np.ndarray:
        return resampling.multinomial_counts(n, p, rng)

    def tournament(self, fitness, n: int, k: int, rng) -> np.ndarray:
        return selection.tournament(fitness, n, k, rng)

    def truncation(self, fitness, n: int) -> np.ndarray:
        return selection.truncation(fitness, n)

    def proportional(self, fitness, n: int, rng) -> np.ndarray:
        return self.resample(fitness, n, "multinomial", rng)

    def gaussian_mutation(self, x, sigma: float, rng, rate: float = 1.0) -> np.ndarray:
        return variation.gaussian_mutation(x, sigma, rng, rate)

    def bitflip_mutation(self, genomes, n_bits: int, p: float, rng) -> np.ndarray:
        return variation.bitflip_mutation(genomes, n_bits, p, rng)

    def uniform_crossover(self, a, b, rng, p: float = 0.5):
        return variation.uniform_crossover(a, b, rng, p)

    def one_point_crossover(self, a, b, rng, n_genes: int | None = None):
        return variation.one_point_crossover(a, b, rng, n_genes)

    def __repr__(self) -> str:
        return "NumpyBackend()"
