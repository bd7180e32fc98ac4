"""Niching remedies, per deme: fitness sharing and clearing (they change the
fitness selection sees), deterministic crowding and restricted tournament
selection (they change who replaces whom).

* Sharing (Goldberg & Richardson 1987): f'_i = f⁺_i / Σ_j sh(d_ij),
  sh(d) = 1 − (d/σ)^α for d < σ, else 0, with f⁺ = f − min(0, min f) so that
  fitness of any sign is non-negative (unchanged when it already is).
* Clearing (Pétrowski 1996): best first, each individual not yet cleared keeps
  its fitness and so do the next κ − 1 best within σ of it; the others in its
  niche are cleared (their fitness set to the deme's minimum). The walk is
  sequential, so it runs as a compiled loop on the host (distances are computed
  on the backend).
* Deterministic crowding (Mahfoud 1992, 1995): parents paired at random; each
  child competes with the parent it is nearer to (pairing minimising the summed
  distances) and replaces it if strictly better.
* Restricted tournament selection (Harik 1995), here in a generational
  (parallel) form: each child draws ``w`` members of the deme, finds the nearest
  and replaces it if strictly better; when several children target the same
  member, the best of them competes.

Distances: Euclidean in problem coordinates, Hamming for bit strings.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .arrays import Random, argsort, hamming, pairwise_sq_distances, take, to_numpy, where, xp_of


def distances(a, b, bits: bool):
    """Distances between ``a`` and ``b`` (same leading shape, or broadcastable)."""
    if bits:
        return hamming(a, b)
    d = a - b
    return ((d * d).sum(-1)) ** 0.5


def all_distances(x, bits: bool):
    """Pairwise distances within each deme: ``(I, n, …) → (I, n, n)``."""
    if bits:
        return hamming(x[:, :, None, :], x[:, None, :, :])
    return pairwise_sq_distances(x) ** 0.5


def shared_fitness(fitness, x, sigma: float, alpha: float, bits: bool):
    xp = xp_of(fitness)
    d = all_distances(x, bits)
    sh = where(d < sigma, 1.0 - (d / sigma) ** alpha, d * 0.0)
    low = xp.amin(fitness, -1)[..., None]
    positive = fitness - where(low < 0.0, low, low * 0.0)
    return positive / sh.sum(-1)


@njit(cache=True, nogil=True)
def _clear(order, within, kappa):
    """Cleared mask per deme; ``order`` (I, n) best first, ``within`` (I, n, n)."""
    n_demes, n = order.shape
    cleared = np.zeros((n_demes, n), dtype=np.bool_)
    for r in range(n_demes):
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


def cleared_fitness(fitness, x, sigma: float, kappa: int, bits: bool, backend):
    within = to_numpy(all_distances(x, bits) < sigma)
    order = to_numpy(argsort(fitness, descending=True))
    cleared = backend.asarray(_clear(np.ascontiguousarray(order), np.ascontiguousarray(within), kappa))
    low = xp_of(fitness).amin(fitness, -1)[..., None]
    return where(cleared, low + fitness * 0.0, fitness)


def crowding(parents, f_parents, children, f_children, bits: bool):
    """Deterministic crowding of pairs: parents and children ``(I, 2m, …)`` with
    child 2j, 2j+1 from parents 2j, 2j+1. Returns (state, fitness): slot k holds
    parent k or the child that beat it."""
    p1, p2 = parents[:, 0::2], parents[:, 1::2]
    c1, c2 = children[:, 0::2], children[:, 1::2]
    straight = (distances(p1, c1, bits) + distances(p2, c2, bits)
                <= distances(p1, c2, bits) + distances(p2, c1, bits))
    # the child facing parent 1 and parent 2
    d1, d2 = where(straight, c1, c2), where(straight, c2, c1)
    fc1, fc2 = f_children[:, 0::2], f_children[:, 1::2]
    g1, g2 = where(straight, fc1, fc2), where(straight, fc2, fc1)
    fp1, fp2 = f_parents[:, 0::2], f_parents[:, 1::2]
    win1, win2 = g1 > fp1, g2 > fp2
    xp = xp_of(f_parents)
    state = xp.stack([where(win1, d1, p1), where(win2, d2, p2)], 2).reshape(parents.shape)
    fit = xp.stack([where(win1, g1, fp1), where(win2, g2, fp2)], 2).reshape(f_parents.shape)
    return state, fit


def restricted_tournament(x, fitness, children, f_children, window: int, bits: bool, rnd: Random):
    """Parallel RTS. Returns (state, fitness, winner): ``winner`` (I, n) is the
    index of the child that took each slot, or −1 where the member stayed."""
    xp = xp_of(fitness)
    n_demes, n = fitness.shape
    lam = f_children.shape[1]
    cand = rnd.integers(n, (n_demes, lam, window))                   # (I, λ, w)
    members = take(x, cand.reshape(n_demes, lam * window)).reshape(
        (n_demes, lam, window) + tuple(x.shape[2:]))
    d = distances(members, children[:, :, None], bits)             # (I, λ, w)
    nearest = xp.argmin(d, -1)[..., None]
    target = (xp.take_along_axis(cand, nearest, -1) if xp is np else xp.gather(cand, -1, nearest))[..., 0]
    # the best challenger per target: sort children by fitness (best first), then stably by target
    by_fit = argsort(f_children, descending=True)
    t_sorted = take(target, by_fit)
    by_target = argsort(t_sorted)
    child = take(by_fit, by_target)
    t_grouped = take(target, child)
    first = xp.ones_like(t_grouped, dtype=bool) if xp is not np else np.ones(t_grouped.shape, dtype=bool)
    first[:, 1:] = t_grouped[:, 1:] != t_grouped[:, :-1]
    better = take(f_children, child) > take(fitness, t_grouped)
    accept = first & better                                        # (I, λ) in grouped order
    winner = xp.full(fitness.shape, -1, dtype=xp.int64) if xp is np else \
        xp.full(fitness.shape, -1, dtype=xp.int64, device=fitness.device)
    rows = xp.arange(n_demes) if xp is np else xp.arange(n_demes, device=fitness.device)
    rows = rows[:, None] + 0 * t_grouped
    winner[rows[accept], t_grouped[accept]] = child[accept]
    took = winner >= 0
    safe = where(took, winner, winner * 0)
    state = where(took, take(children, safe), x)
    fit = where(took, take(f_children, safe), fitness)
    return state, fit, winner
