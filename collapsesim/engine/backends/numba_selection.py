"""Selection in numba: the numpy specification compiled, drawing the same streams.

``tournament`` draws each contestant with ``rng.integers(0, N)`` in the order
numpy fills ``rng.integers(0, N, size=(..., n, k))`` and keeps the running best
without materialising the (n, k) contestants; ``truncation`` is the same
threshold-then-sort algorithm as numpy's, row by row in one call.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .numpy_selection import _rows

_OPTS = dict(cache=True, nogil=True)


@njit(**_OPTS)
def _tournament_rows(f, n, k, rng, out):
    rows, size = f.shape
    for r in range(rows):
        for i in range(n):
            best = rng.integers(0, size)
            for _ in range(k - 1):
                c = rng.integers(0, size)
                if f[r, c] > f[r, best] or (f[r, c] == f[r, best] and c < best):
                    best = c
            out[r, i] = best


@njit(**_OPTS)
def _truncation_rows(f, n, out):
    rows, size = f.shape
    for r in range(rows):
        row = f[r]
        threshold = np.partition(row, size - n)[size - n]
        chosen = np.empty(n, dtype=np.int64)
        m = 0
        for j in range(size):
            if row[j] > threshold:
                chosen[m] = j
                m += 1
        for j in range(size):
            if m == n:
                break
            if row[j] == threshold:
                chosen[m] = j
                m += 1
        chosen.sort()
        order = np.argsort(-row[chosen], kind="mergesort")
        for i in range(n):
            out[r, i] = chosen[order[i]]


def tournament(fitness, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Same contestants and winners as the numpy reference for the same generator state."""
    f = _rows(fitness)
    if k < 1:
        raise ValueError(f"tournament size must be >= 1, got {k}")
    f2 = np.ascontiguousarray(f.reshape(-1, f.shape[-1]))
    out = np.empty((f2.shape[0], n), dtype=np.int64)
    _tournament_rows(f2, n, k, rng, out)
    return out.reshape(f.shape[:-1] + (n,))


def truncation(fitness, n: int) -> np.ndarray:
    """The ``n`` fittest, fittest first, ties to the lower index (as numpy's)."""
    f = _rows(fitness)
    if not 0 <= n <= f.shape[-1]:
        raise ValueError(f"truncation needs 0 <= n <= N = {f.shape[-1]}, got n = {n}")
    f2 = np.ascontiguousarray(f.reshape(-1, f.shape[-1]))
    out = np.empty((f2.shape[0], n), dtype=np.int64)
    if n > 0:
        _truncation_rows(f2, n, out)
    return out.reshape(f.shape[:-1] + (n,))
