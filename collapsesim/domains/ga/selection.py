"""Parent selection and survivor selection, per deme (fitness ``(I, n)``).

Parent selection returns the indices ``(I, λ)`` of λ parents, in random order
(ready to be paired for crossover):

* ``tournament`` (k, contestants drawn with replacement; Goldberg & Deb 1991) —
  the engine's operator;
* ``proportional`` (roulette wheel, Holland 1975) on windowed fitness
  f − min f (fitness of any sign; a population of equals is drawn uniformly);
* ``rank`` (linear ranking, Baker 1985): the individual of rank r (0 = worst)
  is drawn with probability (2 − s)/n + 2r(s − 1)/(n(n − 1)), pressure s ∈ [1, 2];
* ``truncation`` (Mühlenbein & Schlierkamp-Voosen 1993): uniformly from the
  best fraction τ;
* ``random``: uniformly with replacement (no selection: pure drift).

Survivor selection (:func:`best_of`) keeps the best n of a pool — (μ, λ) from
the λ offspring, (μ + λ) from parents and offspring (Schwefel 1981).
"""

from __future__ import annotations

import math

from .arrays import Random, argsort, take, xp_of


def _shuffle(idx, rnd: Random):
    """``idx`` ``(I, m)`` in a random order per deme (sorted draws must not be paired in order)."""
    return take(idx, rnd.permutations(tuple(idx.shape)))


def tournament(fitness, n_parents: int, k: int, backend, rnd: Random):
    return backend.tournament(fitness, n_parents, k, rnd.gen)


def proportional(fitness, n_parents: int, backend, rnd: Random):
    w = fitness - xp_of(fitness).amin(fitness, -1)[..., None]
    w = w + (w <= 0).all(-1)[:, None] * 1.0  # a population of equals: uniform
    return _shuffle(backend.proportional(w, n_parents, rnd.gen), rnd)


def rank_weights(fitness, pressure: float):
    """Linear-ranking selection probabilities of each individual (per deme)."""
    n = fitness.shape[-1]
    ranks = argsort(argsort(fitness))  # 0 = worst; ties broken by index
    if n == 1:
        return ranks * 0.0 + 1.0
    return (2.0 - pressure) / n + 2.0 * ranks * (pressure - 1.0) / (n * (n - 1))


def rank(fitness, n_parents: int, pressure: float, backend, rnd: Random):
    w = rank_weights(fitness, pressure)
    return _shuffle(backend.resample(w, n_parents, "multinomial", rnd.gen), rnd)


def truncation(fitness, n_parents: int, fraction: float, backend, rnd: Random):
    n = fitness.shape[-1]
    m = max(1, math.ceil(fraction * n))
    top = backend.truncation(fitness, m)
    return take(top, rnd.integers(m, (fitness.shape[0], n_parents)))


def uniform(fitness, n_parents: int, rnd: Random):
    return rnd.integers(fitness.shape[-1], (fitness.shape[0], n_parents))


def select_parents(spec, fitness, n_parents: int, backend, rnd: Random):
    """Indices ``(I, n_parents)`` of the parents chosen by ``spec`` (a selection model)."""
    if spec.kind == "tournament":
        return tournament(fitness, n_parents, spec.k, backend, rnd)
    if spec.kind == "proportional":
        return proportional(fitness, n_parents, backend, rnd)
    if spec.kind == "rank":
        return rank(fitness, n_parents, spec.pressure, backend, rnd)
    if spec.kind == "truncation":
        return truncation(fitness, n_parents, spec.fraction, backend, rnd)
    return uniform(fitness, n_parents, rnd)


def best_of(fitness, n: int, backend):
    """Indices ``(I, n)`` of the ``n`` fittest per deme, fittest first."""
    return backend.truncation(fitness, n)
