"""The numba backend: the numpy specification compiled with ``numba.njit``.

Arrays are numpy arrays and the generator is the same ``numpy.random.Generator``
as numpy's. The kernels consume its random numbers in the reference's order —
drawn inside compiled code, or in bulk by the wrapper where a call is short —
so the results are identical to numpy's for the same seed for resampling,
tournaments, Gaussian mutation, one-point crossover and uniform crossover of
real-valued genes. Bit-packed genomes use geometric skips instead of one
uniform per bit and agree with numpy in distribution. Multinomial counts
use numpy's own compiled routine except with many categories and no more draws
than categories, where sorted uniforms replace the conditional binomials
(equal in distribution; see :mod:`.numba_resampling`). Truncation's threshold
and the draws of tournament contestants use numpy's own compiled routines,
which numba kernels did not beat (see :mod:`.numba_selection`).
Replicate rows (``row_rngs``) keep their streams as PCG64 states seeded in
compiled code (:mod:`collapsesim.engine.pcg64`); a per-row call makes a numpy
Generator of the row's state, and ``multinomial_counts`` of all rows is one
compiled call — the same numbers either way.
Kernels are compiled on first use and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numpy as np

from .. import pcg64
from ..replicates import StateRows
from ..rng import ReplicateSeeds, seed_sequence
from . import numba_resampling as resampling
from . import numba_selection as selection
from . import numba_variation as variation
from .numpy_backend import NumpyBackend


class NumbaBackend(NumpyBackend):
    """Compiled CPU backend (numpy arrays, ``numpy.random.Generator``)."""

    name = "numba"
    fallback = "numpy"

    def row_rngs(self, seeds):
        """The replicates' PCG64 states, seeded in compiled code
        (:class:`~collapsesim.engine.replicates.StateRows`: each row is
        ``self.rng(seeds[r])``'s stream) when the seeds share their entropy and
        have 32-bit spawn keys of one length; else one Generator per row."""
        if isinstance(seeds, ReplicateSeeds):
            entropy = seeds.entropy
            keys = seeds.keys if seeds.keys is not None else seeds.spawn_keys
        else:
            seeds = [seed_sequence(s) for s in seeds]
            entropy = seeds[0].entropy if seeds else None
            if any(s.entropy != entropy or s.pool_size != 4 for s in seeds):
                return super().row_rngs(seeds)
            keys = [s.spawn_key for s in seeds]
        if not len(keys) or not isinstance(entropy, int):
            return super().row_rngs(seeds)
        try:
            keys = np.array(keys, dtype=np.int64).reshape(len(keys), -1)
        except (ValueError, OverflowError):  # keys of different lengths, or past 64 bits
            return super().row_rngs(seeds)
        if keys.size and (keys.min() < 0 or keys.max() >= 2**32):
            return super().row_rngs(seeds)
        return StateRows(pcg64.seed_states(entropy, keys))

    def resample(self, weights, n: int, scheme: str, rng) -> np.ndarray:
        return resampling.resample(weights, n, scheme, rng)

    def multinomial_counts(self, n, p, rng) -> np.ndarray:
        return resampling.multinomial_counts(n, p, rng)

    def tournament(self, fitness, n: int, k: int, rng) -> np.ndarray:
        return selection.tournament(fitness, n, k, rng)

    def truncation(self, fitness, n: int) -> np.ndarray:
        return selection.truncation(fitness, n)

    def gaussian_mutation(self, x, sigma: float, rng, rate: float = 1.0) -> np.ndarray:
        return variation.gaussian_mutation(x, sigma, rng, rate)

    def bitflip_mutation(self, genomes, n_bits: int, p: float, rng) -> np.ndarray:
        return variation.bitflip_mutation(genomes, n_bits, p, rng)

    def uniform_crossover(self, a, b, rng, p: float = 0.5):
        return variation.uniform_crossover(a, b, rng, p)

    def one_point_crossover(self, a, b, rng, n_genes: int | None = None):
        return variation.one_point_crossover(a, b, rng, n_genes)

    def __repr__(self) -> str:
        return "NumbaBackend()"
