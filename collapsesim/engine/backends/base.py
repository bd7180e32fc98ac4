"""The operator interface every backend implements.

The numpy backend is the specification; numba and torch implement the same
operators and are tested against it (exactly where the algorithm is
deterministic given the random numbers, statistically otherwise).

Conventions for every operator:

* Arrays may carry a leading batch dimension of replicates: weights/fitness of
  shape ``(N,)`` or ``(R, N)``; states of shape ``(N, D)`` or ``(R, N, D)``.
  Outputs keep the same leading dimensions.
* Index outputs are int64; resampling indices are returned sorted ascending
  (the natural output of the O(N) inverse-CDF walk).
* Weights need not be normalised; they must be non-negative with a positive sum.
  Cumulative sums and the stratified/systematic grids are computed in float64
  whatever the dtype of the particles.
* ``rng`` is what :meth:`Backend.rng` returns for this backend (a
  ``numpy.random.Generator`` for numpy and numba, a ``torch.Generator`` for torch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..replicates import RANDOM_METHODS, RowGenerators, by_rows

RESAMPLING_SCHEMES = ("multinomial", "residual", "stratified", "systematic")


class Backend:
    """Abstract backend. Subclasses: NumpyBackend, NumbaBackend, TorchBackend.

    Every random method (:data:`~collapsesim.engine.replicates.RANDOM_METHODS`)
    of a subclass accepts, as its ``rng``, the per-replicate generators of
    :meth:`row_rngs`: row r of the batched call is then the lone call with
    replicate r's generator (:mod:`collapsesim.engine.replicates`)."""

    name: str = ""
    device: str = "cpu"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for m in RANDOM_METHODS:
            fn = cls.__dict__.get(m)
            if fn is not None and not getattr(fn, "by_rows", False):
                setattr(cls, m, by_rows(fn))

    def row_rngs(self, seeds):
        """One generator per replicate row, ``self.rng(seeds[r])`` for row r, as
        :class:`~collapsesim.engine.replicates.RowGenerators`."""
        return RowGenerators([self.rng(s) for s in seeds])

    # -- arrays and randomness -------------------------------------------------
    def rng(self, seed: np.random.SeedSequence) -> Any:
        """A generator for this backend seeded from ``seed`` (same seed → same stream)."""
        raise NotImplementedError

    def asarray(self, x, dtype=None) -> Any:
        """Convert to this backend's array type (on its device)."""
        raise NotImplementedError

    def to_numpy(self, x) -> np.ndarray:
        """Convert a backend array to a numpy array (on the host)."""
        raise NotImplementedError

    def uniform(self, shape, rng) -> Any:
        """Float64 uniforms on [0, 1) of ``shape`` from ``rng``, on this backend's device."""
        raise NotImplementedError

    def take(self, x, indices) -> Any:
        """Rows of ``x`` picked by ``indices`` along the individual axis: ``x[indices]``
        for indices of shape (n,), ``x[r, indices[r]]`` per replicate for (R, n)."""
        raise NotImplementedError

    # The array namespace of this backend (``numpy`` or ``torch``) for the
    # elementwise mathematics whose names agree in both (exp, log, sqrt, abs,
    # where, minimum, maximum, remainder, sin, cos, atan2, isfinite, ...).
    xp: Any = None

    # -- draws (each consumes the generator in a fixed, documented order) ----------
    def normal(self, shape, rng, dtype=None) -> Any:
        """Standard normals of ``shape`` (float64 unless ``dtype``): numpy's
        ``rng.standard_normal(shape, dtype)``, torch's ``torch.randn``."""
        raise NotImplementedError

    def integers(self, low: int, high: int, shape, rng) -> Any:
        """Int64 uniform on ``{low, …, high − 1}``: ``rng.integers(low, high, shape)``,
        ``torch.randint``."""
        raise NotImplementedError

    def permutation(self, x, rng) -> Any:
        """``x`` shuffled along its last axis (independently per row of a 2-D
        array): numpy's ``rng.permutation`` / ``rng.permuted(x, axis=-1)``;
        torch's ``randperm`` (1-D) or the argsort of uniforms (rows)."""
        raise NotImplementedError

    def poisson(self, lam, shape, rng) -> Any:
        """Int64 Poisson(``lam``) counts of ``shape``; ``lam == 0`` draws nothing."""
        raise NotImplementedError

    def exponential(self, shape, rng) -> Any:
        """Float64 standard exponentials (rate 1) of ``shape``."""
        raise NotImplementedError

    def gumbel(self, shape, rng) -> Any:
        """Float64 standard Gumbel variates, ``−log E`` for E standard exponential."""
        return -self.xp.log(self.exponential(shape, rng))

    # -- array manipulation ----------------------------------------------------------
    def arange(self, n: int) -> Any:
        """``0 … n − 1`` as int64 on this backend's device."""
        raise NotImplementedError

    def zeros(self, shape, dtype="float64") -> Any:
        """An array of zeros of ``shape`` and ``dtype`` (a numpy dtype name)."""
        raise NotImplementedError

    def copy(self, x) -> Any:
        """A copy of ``x``."""
        raise NotImplementedError

    def argsort(self, x, descending: bool = False) -> Any:
        """Stable argsort along the last axis (ties keep index order)."""
        raise NotImplementedError

    def put(self, x, indices, values) -> Any:
        """A copy of ``x`` whose rows ``indices`` are ``values`` — the inverse of
        :meth:`take`: ``out[indices] = values`` for (n,) indices, per replicate
        row for (R, n)."""
        raise NotImplementedError

    def concatenate(self, xs, axis: int = 0) -> Any:
        """Concatenate arrays along ``axis``."""
        raise NotImplementedError

    def where(self, cond, a, b) -> Any:
        """Elementwise ``a`` where ``cond`` else ``b``; a condition with fewer axes
        than ``a`` selects whole rows (its shape is padded on the right)."""
        while cond.ndim < a.ndim:
            cond = cond[..., None]
        return self.xp.where(cond, a, b)

    # -- named operators ---------------------------------------------------------------
    def op(self, name: str):
        """The implementation of the engine operator ``name`` on this backend.

        Operators registered with :func:`collapsesim.engine.kernels.implements`
        (the engine's own, and a domain's fused kernels) are looked up in the
        registry; the built-in methods (``resample``, ``tournament``, ...) are
        found by name. A backend without its own implementation of a
        registered operator uses the one its ``fallback`` names (numba →
        numpy: the specification)."""
        from ..kernels import lookup

        return lookup(name, self)

    fallback: str | None = None

    # -- resampling -------------------------------------------------------------
    def resample(self, weights, n: int, scheme: str, rng) -> Any:
        """Ancestor indices (sorted, int64, shape (..., n)) drawn from ``weights``
        with one of :data:`RESAMPLING_SCHEMES`, in O(N + n)."""
        raise NotImplementedError

    def multinomial_counts(self, n, p, rng) -> Any:
        """Multinomial counts: ``n`` (int or int array of shape (R,)) draws over the
        last axis of probabilities ``p`` ((K,) or (R, K)); returns int64 counts of
        the same shape as ``p``."""
        raise NotImplementedError

    # -- selection ----------------------------------------------------------------
    def tournament(self, fitness, n: int, k: int, rng) -> Any:
        """``n`` winners of tournaments of size ``k`` drawn with replacement
        (DEAP's selTournament); ties go to the lowest index. Maximises fitness."""
        raise NotImplementedError

    def truncation(self, fitness, n: int) -> Any:
        """Indices of the ``n`` fittest individuals (top-k), fittest first."""
        raise NotImplementedError

    def proportional(self, fitness, n: int, rng) -> Any:
        """Roulette-wheel (fitness-proportional) selection: multinomial resampling
        on non-negative fitness."""
        raise NotImplementedError

    # -- variation ------------------------------------------------------------------
    def gaussian_mutation(self, x, sigma: float, rng, rate: float = 1.0) -> Any:
        """x + sigma·N(0, 1) on each coordinate, applied with probability ``rate``."""
        raise NotImplementedError

    def bitflip_mutation(self, genomes, n_bits: int, p: float, rng) -> Any:
        """Flip each of the ``n_bits`` bits of bit-packed genomes (uint64 words,
        shape (..., ceil(n_bits/64))) independently with probability ``p``."""
        raise NotImplementedError

    def uniform_crossover(self, a, b, rng, p: float = 0.5) -> tuple[Any, Any]:
        """Exchange each gene (each bit, for packed uint64 genomes) of parents
        ``a``/``b`` with probability ``p``; returns two children."""
        raise NotImplementedError

    def one_point_crossover(self, a, b, rng, n_genes: int | None = None) -> tuple[Any, Any]:
        """Swap the tails of ``a``/``b`` after a uniform cut point (for packed
        genomes, a bit position in ``[1, n_genes)``); returns two children."""
        raise NotImplementedError
