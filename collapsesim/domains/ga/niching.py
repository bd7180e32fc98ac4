"""Niching remedies of the GA, per deme. Fitness sharing, clearing and
deterministic crowding are the engine's niching operators
(:mod:`collapsesim.engine.kernels.niching`: ``shared_fitness``, ``clearing``,
``crowding_replacement``); this module holds the GA's own replacement scheme:

* Restricted tournament selection (Harik 1995), here in a generational
  (parallel) form: each child draws ``w`` members of the deme (uniform
  integers ``(I, λ, w)``), finds the nearest (Euclidean in problem
  coordinates, Hamming for bit strings: the engine's ``distances``) and
  replaces it if strictly better; when several children target the same
  member, the best of them competes.
"""

from __future__ import annotations


def restricted_tournament(backend, x, fitness, children, f_children, window: int, bits: bool, rng):
    """Parallel RTS. Returns (state, fitness, winner): ``winner`` (I, n) is the
    index of the child that took each slot, or −1 where the member stayed."""
    xp, take, argsort, where = backend.xp, backend.take, backend.argsort, backend.where
    n_demes, n = fitness.shape
    lam = f_children.shape[1]
    cand = backend.integers(0, n, (n_demes, lam, window), rng)       # (I, λ, w)
    members = take(x, cand.reshape(n_demes, lam * window)).reshape(
        (n_demes, lam, window) + tuple(x.shape[2:]))
    d = backend.op("distances")(members, children[:, :, None], bits)  # (I, λ, w)
    nearest = xp.argmin(d, -1)
    target = take(cand.reshape(n_demes * lam, window), nearest.reshape(n_demes * lam, 1)).reshape(
        n_demes, lam)
    # the best challenger per target: sort children by fitness (best first), then stably by target
    by_fit = argsort(f_children, descending=True)
    t_sorted = take(target, by_fit)
    by_target = argsort(t_sorted)
    child = take(by_fit, by_target)
    t_grouped = take(target, child)
    first = backend.concatenate([t_grouped[:, :1] >= 0, t_grouped[:, 1:] != t_grouped[:, :-1]], 1)
    better = take(f_children, child) > take(fitness, t_grouped)
    accept = first & better                                          # (I, λ) in grouped order
    rows = backend.arange(n_demes)[:, None] + 0 * t_grouped
    winner = backend.arange(n)[None, :] * 0 - 1 + 0 * backend.arange(n_demes)[:, None]
    winner[rows[accept], t_grouped[accept]] = child[accept]
    took = winner >= 0
    safe = where(took, winner, winner * 0)
    state = where(took, take(children, safe), x)
    fit = where(took, take(f_children, safe), fitness)
    return state, fit, winner
