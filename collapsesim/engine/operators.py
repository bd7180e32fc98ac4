"""The engine's operators as plain functions, dispatching on a backend.

Each function takes ``backend`` (a name — "numpy", "numba", "torch" — or a
:class:`~collapsesim.engine.backends.Backend`) and ``device``, and ``rng``:
the backend's generator (``backend.rng(seed)``), or a seed (an int or
``numpy.random.SeedSequence``) from which a fresh one is made. Shapes and
conventions are those of :mod:`collapsesim.engine.backends.base`.

Every other named operator of :mod:`collapsesim.engine.kernels` (``sbx``,
``gumbel_top_k``, ``moran_events``, a domain's ``"<domain>.<op>"`` fused
kernel...) is reached by :func:`operator`, bound to a backend, with the
implementation's own arguments (the generator among them).

>>> import numpy as np
>>> resample(np.array([0.0, 1.0, 3.0]), 4, "systematic", rng=1)
array([1, 2, 2, 2])
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .backends import Backend, get_backend
from .kernels import lookup


def _setup(backend, device, rng) -> tuple[Backend, Any]:
    be = get_backend(backend, device)
    if rng is None:
        raise TypeError("rng is required: a generator from backend.rng(seed), or a seed")
    if isinstance(rng, (int, np.integer, np.random.SeedSequence)):
        rng = be.rng(rng)
    return be, rng


def _size(x, n) -> int:
    return int(np.shape(x)[-1]) if n is None else int(n)


def operator(name: str, backend="numpy", device: str = "cpu") -> Callable:
    """The engine operator ``name`` bound to ``backend``: that backend's own
    implementation, else its fallback's (numba → numpy), else the backend's
    built-in method of that name (:func:`collapsesim.engine.kernels.lookup`).

    >>> import numpy as np
    >>> top = operator("top_k", "numba")
    >>> top(np.array([[1.0, 3.0, 2.0]]), 2).tolist()
    [[1, 2]]
    """
    return lookup(name, get_backend(backend, device))


def resample(weights, n: int | None = None, scheme: str = "systematic", *, rng, backend="numpy", device="cpu"):
    """Ancestor indices (sorted, int64, ``(..., n)``; ``n`` defaults to N) drawn
    from ``weights`` by ``scheme``: multinomial, residual, stratified or systematic."""
    be, rng = _setup(backend, device, rng)
    return be.resample(weights, _size(weights, n), scheme, rng)


def multinomial_counts(n, p, *, rng, backend="numpy", device="cpu"):
    """Multinomial counts: ``n`` draws over the last axis of ``p`` (normalised)."""
    be, rng = _setup(backend, device, rng)
    return be.multinomial_counts(n, p, rng)


def tournament(fitness, n: int | None = None, k: int = 2, *, rng, backend="numpy", device="cpu"):
    """Winners of ``n`` tournaments of size ``k`` (contestants with replacement)."""
    be, rng = _setup(backend, device, rng)
    return be.tournament(fitness, _size(fitness, n), k, rng)


def truncation(fitness, n: int, *, backend="numpy", device="cpu"):
    """The ``n`` fittest (top-k), fittest first, ties to the lower index."""
    return get_backend(backend, device).truncation(fitness, n)


def proportional(fitness, n: int | None = None, *, rng, backend="numpy", device="cpu"):
    """Roulette-wheel selection (multinomial resampling on fitness; sorted indices)."""
    be, rng = _setup(backend, device, rng)
    return be.proportional(fitness, _size(fitness, n), rng)


def gaussian_mutation(x, sigma: float, *, rng, rate: float = 1.0, backend="numpy", device="cpu"):
    """``x + sigma·N(0, 1)`` on each coordinate with probability ``rate``."""
    be, rng = _setup(backend, device, rng)
    return be.gaussian_mutation(x, sigma, rng, rate)


def bitflip_mutation(genomes, n_bits: int, p: float, *, rng, backend="numpy", device="cpu"):
    """Flip each of the ``n_bits`` genes of packed uint64 genomes with probability ``p``."""
    be, rng = _setup(backend, device, rng)
    return be.bitflip_mutation(genomes, n_bits, p, rng)


def uniform_crossover(a, b, *, rng, p: float = 0.5, backend="numpy", device="cpu"):
    """Two children exchanging each gene of ``a``/``b`` with probability ``p``."""
    be, rng = _setup(backend, device, rng)
    return be.uniform_crossover(a, b, rng, p)


def one_point_crossover(a, b, *, rng, n_genes: int | None = None, backend="numpy", device="cpu"):
    """Two children swapping the tails of ``a``/``b`` after a uniform cut point."""
    be, rng = _setup(backend, device, rng)
    return be.one_point_crossover(a, b, rng, n_genes)
