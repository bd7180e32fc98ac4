"""Parent selection and survivor selection, per deme (fitness ``(I, n)``);
``rng`` is one replicate's backend generator, or every replicate's
(the demes of all replicates: :class:`~.model.ReplicateDemes`).

Parent selection returns the indices ``(I, λ)`` of λ parents, in random order
(ready to be paired for crossover):

* ``tournament`` (k, contestants drawn with replacement; Goldberg & Deb 1991) —
  the engine's operator;
* ``proportional`` (roulette wheel, Holland 1975) on windowed fitness
  f − min f (fitness of any sign; a population of equals is drawn uniformly):
  the engine's ``proportional``, then shuffled by the argsort of uniforms;
* ``rank`` (linear ranking, Baker 1985), pressure s ∈ [1, 2] — the engine's
  ``rank_selection``;
* ``truncation`` (Mühlenbein & Schlierkamp-Voosen 1993): uniformly from the
  best fraction τ (the engine's ``truncation``, then uniform integers);
* ``random``: uniformly with replacement (no selection: pure drift).

Survivor selection (:func:`best_of`) keeps the best n of a pool — (μ, λ) from
the λ offspring, (μ + λ) from parents and offspring (Schwefel 1981).
"""

from __future__ import annotations

import math


def shuffled(backend, idx, rng):
    """``idx`` ``(I, m)`` in a random order per deme (the argsort of uniforms)."""
    return backend.take(idx, backend.argsort(backend.uniform(tuple(idx.shape), rng)))


def select_parents(spec, fitness, n_parents: int, backend, rng):
    """Indices ``(I, n_parents)`` of the parents chosen by ``spec`` (a selection model)."""
    rows, n = fitness.shape
    if spec.kind == "tournament":
        return backend.tournament(fitness, n_parents, spec.k, rng)
    if spec.kind == "proportional":
        w = fitness - backend.xp.amin(fitness, -1)[..., None]
        w = w + (w <= 0).all(-1)[:, None] * 1.0  # a population of equals: uniform
        return shuffled(backend, backend.proportional(w, n_parents, rng), rng)
    if spec.kind == "rank":
        return backend.op("rank_selection")(fitness, n_parents, spec.pressure, rng)
    if spec.kind == "truncation":
        m = max(1, math.ceil(spec.fraction * n))
        top = backend.truncation(fitness, m)
        return backend.take(top, backend.integers(0, m, (rows, n_parents), rng))
    return backend.integers(0, n, (rows, n_parents), rng)


def best_of(fitness, n: int, backend):
    """Indices ``(I, n)`` of the ``n`` fittest per deme, fittest first."""
    return backend.truncation(fitness, n)
