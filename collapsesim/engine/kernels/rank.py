"""Linear ranking selection (Baker 1985), per row: fitness ``(R, n)``.

The individual of rank r (0 = worst; ties broken by index) is drawn with
probability (2 − s)/n + 2r(s − 1)/(n(n − 1)), selection pressure s ∈ [1, 2]
(s = 1: uniform; s = 2: the worst is never drawn).

``rank_selection`` draws ``m`` parents per row by multinomial resampling of
these weights (the backend's ``resample``, whose indices come sorted), then
shuffles them by the argsort of uniforms ``(R, m)`` so that consecutive
parents can be paired for crossover. One implementation serves numpy and
torch through backend primitives; numba uses numpy's (same draws).
"""

from __future__ import annotations

from . import implements


@implements("rank_weights", "numpy", "torch")
def rank_weights(backend, fitness, pressure: float):
    """Linear-ranking selection probabilities of each individual (per row)."""
    n = fitness.shape[-1]
    ranks = backend.argsort(backend.argsort(fitness))
    if n == 1:
        return ranks * 0.0 + 1.0
    return (2.0 - pressure) / n + 2.0 * ranks * (pressure - 1.0) / (n * (n - 1))


@implements("rank_selection", "numpy", "torch")
def rank_selection(backend, fitness, m: int, pressure: float, rng):
    """Indices ``(R, m)`` of ``m`` parents per row, drawn by linear ranking, in random order."""
    w = rank_weights(backend, fitness, pressure)
    idx = backend.resample(w, m, "multinomial", rng)
    return backend.take(idx, backend.argsort(backend.uniform(tuple(idx.shape), rng)))
