"""Selection in numpy (the specification): tournament, truncation (top-k), proportional.

Fitness has shape ``(N,)`` or ``(R, N)`` (one row per replicate) and is
maximised; it must not contain NaN. Indices are int64.
"""

from __future__ import annotations

import numpy as np

from . import numpy_resampling


def _rows(fitness) -> np.ndarray:
    f = np.asarray(fitness)
    if f.ndim not in (1, 2) or f.shape[-1] == 0:
        raise ValueError(f"fitness must have shape (N,) or (R, N) with N >= 1, got {f.shape}")
    return f


def tournament_winners(fitness, candidates) -> np.ndarray:
    """Winner of each tournament: among the candidate indices (last axis of
    ``candidates``; shape (n, k) or (R, n, k)) the fittest, ties to the lowest index."""
    f = _rows(fitness)
    cand = np.asarray(candidates, dtype=np.int64)
    scores = f[cand] if f.ndim == 1 else np.take_along_axis(f[:, None, :], cand, axis=-1)
    best = scores.max(axis=-1, keepdims=True)
    return np.where(scores == best, cand, f.shape[-1]).min(axis=-1)


def tournament(fitness, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` tournaments of ``k`` contestants drawn uniformly with replacement
    (DEAP's selTournament; Goldberg & Deb 1991): contestants are
    ``rng.integers(0, N, size=(..., n, k))``, the fittest of each wins."""
    f = _rows(fitness)
    if k < 1:
        raise ValueError(f"tournament size must be >= 1, got {k}")
    candidates = rng.integers(0, f.shape[-1], size=f.shape[:-1] + (n, k))
    return tournament_winners(f, candidates)


def _check_top_n(size: int, n: int) -> None:
    """Truncation keeps 0 ≤ n ≤ N individuals."""
    if not 0 <= n <= size:
        raise ValueError(f"truncation needs 0 <= n <= N = {size}, got n = {n}")


def _truncation_row(f: np.ndarray, n: int) -> np.ndarray:
    size = f.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64)
    threshold = np.partition(f, size - n)[size - n]
    above = np.flatnonzero(f > threshold)
    ties = np.flatnonzero(f == threshold)[: n - above.shape[0]]
    chosen = np.sort(np.concatenate([above, ties]), kind="stable")  # two sorted runs: a merge
    return chosen[np.argsort(-f[chosen], kind="stable")]


def truncation(fitness, n: int) -> np.ndarray:
    """The ``n`` fittest individuals, fittest first; among equal fitness the lower
    index first (and the lower indices are the ones kept at the threshold).
    ``np.partition`` finds the threshold in O(N); only the n chosen are sorted."""
    f = _rows(fitness)
    _check_top_n(f.shape[-1], n)
    if f.ndim == 1:
        return _truncation_row(f, n)
    return np.stack([_truncation_row(row, n) for row in f]).reshape(f.shape[0], n)


def proportional(fitness, n: int, rng: np.random.Generator) -> np.ndarray:
    """Roulette-wheel selection: multinomial resampling on non-negative fitness
    (sorted indices; permute them before pairing parents)."""
    return numpy_resampling.resample(fitness, n, "multinomial", rng)
