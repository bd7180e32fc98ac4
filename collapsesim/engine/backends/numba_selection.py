"""Selection in numba: tournaments.

``tournament`` consumes numpy's contestants, ``rng.integers(0, N, size=(..., n, k))``,
drawn by the wrapper in blocks of tournaments (numpy's bounded integers take
one 64-bit draw each, so blocks continue the same stream; numba's own
``Generator.integers`` is ~10× slower per draw), and a kernel keeps the running
best of each block — the numpy reference's winners, without materialising all
n·k contestants. Truncation and proportional selection use the numpy
reference's code (``np.partition`` is already compiled; a numba kernel of the
same algorithm measured 6× slower).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .numpy_selection import _rows

BLOCK = 1 << 16  # tournaments per block of contestants


@njit(cache=True, nogil=True)
def _winners(f, candidates, out):
    """Fittest of each row of ``candidates``, ties to the lowest index."""
    for i in range(candidates.shape[0]):
        best = candidates[i, 0]
        for j in range(1, candidates.shape[1]):
            c = candidates[i, j]
            better = (f[c] > f[best]) | ((f[c] == f[best]) & (c < best))
            best = c if better else best
        out[i] = best


def tournament(fitness, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Same contestants and winners as the numpy reference for the same generator state."""
    f = _rows(fitness)
    if k < 1:
        raise ValueError(f"tournament size must be >= 1, got {k}")
    f2 = np.ascontiguousarray(f.reshape(-1, f.shape[-1]))
    out = np.empty((f2.shape[0], n), dtype=np.int64)
    for r in range(f2.shape[0]):
        for start in range(0, n, BLOCK):
            stop = min(start + BLOCK, n)
            _winners(f2[r], rng.integers(0, f2.shape[1], size=(stop - start, k)), out[r, start:stop])
    return out.reshape(f.shape[:-1] + (n,))
