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
