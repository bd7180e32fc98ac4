"""Niching primitives, per row (deme or replicate first): distances between
individuals, fitness sharing, clearing and deterministic-crowding replacement.

Individuals are real coordinates ``(R, n, D)`` (Euclidean distance) or packed
bit strings ``(R, n, W)`` of uint64 words (Hamming distance, ``bits=True``);
fitness is ``(R, n)``, maximised.

* ``distances(a, b, bits)`` — between ``a`` and ``b`` (broadcasting leading
  axes); ``pairwise_distances(x, bits)`` — within each row, ``(R, n, n)``.
  Hamming distances count the set bits of ``a ^ b`` (byte-wise popcount), as
  float64.
* ``shared_fitness`` (Goldberg & Richardson 1987): f'_i = f⁺_i / Σ_j sh(d_ij),
  sh(d) = 1 − (d/σ)^α for d < σ, else 0, with f⁺ = f − min(0, min f) so that
  fitness of any sign is non-negative (unchanged when it already is).
* ``clearing`` (Pétrowski 1996): best first (ties by index), each individual
  not yet cleared keeps its fitness and so do the next κ − 1 best within σ of
  it; the others in its niche are cleared (fitness set to the row's minimum).
  The walk is sequential: a compiled loop on the host (distances are computed
  on the backend), the same for every backend.
* ``crowding_replacement`` (deterministic crowding, Mahfoud 1992, 1995):
  children 2j, 2j+1 of parents 2j, 2j+1; each child faces the parent it is
  nearer to (the pairing minimising the summed distances, straight on ties)
  and replaces it if strictly better.

All but the popcount and the clearing walk are one implementation for numpy
and torch through backend primitives; numba uses numpy's. Nothing here draws
random numbers.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import implements

_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.float64)


@implements("popcount", "numpy")
def popcount(backend, words):
    """Set bits per packed genome, ``(..., W)`` uint64 → ``(...)`` float64."""
    g = np.ascontiguousarray(words, dtype="<u8")
    return _POPCOUNT8[g.view(np.uint8).reshape(g.shape[:-1] + (-1,))].sum(-1)


@implements("popcount", "torch")
def popcount_torch(backend, words):
    torch = backend.xp
    w = words.view(torch.int64) if words.dtype == torch.uint64 else words
    shifts = torch.arange(0, 64, 8, device=w.device)
    b = ((w[..., None] >> shifts) & 0xFF).reshape(w.shape[:-1] + (-1,))
    return torch.as_tensor(_POPCOUNT8, device=b.device)[b].sum(-1)


def _xor(backend, a, b):
    if backend.xp is not np and a.dtype == backend.xp.uint64:  # torch: no uint64 xor
        return a.view(backend.xp.int64) ^ b.view(backend.xp.int64)
    return a ^ b


@implements("distances", "numpy", "torch")
def distances(backend, a, b, bits: bool):
    """Euclidean (reals) or Hamming (packed bits) distances between ``a`` and ``b``."""
    if bits:
        return backend.op("popcount")(_xor(backend, a, b))
    d = a - b
    return ((d * d).sum(-1)) ** 0.5


@implements("pairwise_distances", "numpy", "torch")
def pairwise_distances(backend, x, bits: bool):
    """Distances within each row: ``(R, n, …) → (R, n, n)``."""
    if bits:
        return distances(backend, x[:, :, None, :], x[:, None, :, :], True)
    d = x[..., :, None, :] - x[..., None, :, :]
    return ((d * d).sum(-1)) ** 0.5


@implements("shared_fitness", "numpy", "torch")
def shared_fitness(backend, fitness, x, sigma: float, alpha: float, bits: bool):
    """Fitness divided by the niche count (sharing radius ``sigma``, shape ``alpha``)."""
    d = pairwise_distances(backend, x, bits)
    sh = backend.where(d < sigma, 1.0 - (d / sigma) ** alpha, d * 0.0)
    low = backend.xp.amin(fitness, -1)[..., None]
    positive = fitness - backend.where(low < 0.0, low, low * 0.0)
    return positive / sh.sum(-1)


@njit(cache=True, nogil=True)
def clear_walk(order, within, kappa):
    """Cleared mask ``(R, n)``; ``order`` (R, n) best first, ``within`` (R, n, n) d < σ."""
    n_rows, n = order.shape
    cleared = np.zeros((n_rows, n), dtype=np.bool_)
    for r in range(n_rows):
        for a in range(n):
            i = order[r, a]
            if cleared[r, i]:
                continue
            winners = 1
            for b in range(a + 1, n):
                j = order[r, b]
                if cleared[r, j] or not within[r, i, j]:
                    continue
                if winners < kappa:
                    winners += 1
                else:
                    cleared[r, j] = True
    return cleared


@implements("clearing", "numpy", "torch")
def clearing(backend, fitness, x, sigma: float, kappa: int, bits: bool):
    """Fitness after clearing with radius ``sigma`` and capacity ``kappa``."""
    within = backend.to_numpy(pairwise_distances(backend, x, bits) < sigma)
    order = backend.to_numpy(backend.argsort(fitness, descending=True))
    cleared = backend.asarray(clear_walk(np.ascontiguousarray(order), np.ascontiguousarray(within),
                                         int(kappa)))
    low = backend.xp.amin(fitness, -1)[..., None]
    return backend.where(cleared, low + fitness * 0.0, fitness)


@implements("crowding_replacement", "numpy", "torch")
def crowding_replacement(backend, parents, f_parents, children, f_children, bits: bool):
    """Deterministic crowding of pairs ``(R, 2m, …)``: returns (state, fitness)
    where slot k holds parent k or the child that beat it."""
    xp, where = backend.xp, backend.where
    p1, p2 = parents[:, 0::2], parents[:, 1::2]
    c1, c2 = children[:, 0::2], children[:, 1::2]
    straight = (distances(backend, p1, c1, bits) + distances(backend, p2, c2, bits)
                <= distances(backend, p1, c2, bits) + distances(backend, p2, c1, bits))
    d1, d2 = where(straight, c1, c2), where(straight, c2, c1)   # the child facing parent 1, 2
    fc1, fc2 = f_children[:, 0::2], f_children[:, 1::2]
    g1, g2 = where(straight, fc1, fc2), where(straight, fc2, fc1)
    fp1, fp2 = f_parents[:, 0::2], f_parents[:, 1::2]
    win1, win2 = g1 > fp1, g2 > fp2
    state = xp.stack([where(win1, d1, p1), where(win2, d2, p2)], 2).reshape(parents.shape)
    fit = xp.stack([where(win1, g1, fp1), where(win2, g2, fp2)], 2).reshape(f_parents.shape)
    return state, fit
