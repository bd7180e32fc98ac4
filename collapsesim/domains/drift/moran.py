"""One Moran generation: N sequential birth–death events on type counts.

At each event one individual reproduces, chosen with probability proportional
to its fitness, and one dies, chosen uniformly among all N (possibly the
parent); the offspring replaces it, so the size stays N (Moran 1958). The
offspring mutates with probability μ: to one of the other K − 1 types
uniformly (K-allele), or to a brand-new type of fitness 1 (infinite alleles).
Each event consumes three uniforms ``u[e] = (birth, death, mutation)``; given
a mutation (``u < μ``) the rescaled ``u/μ`` is uniform and picks the K-allele
target, so the random numbers per generation are fixed in advance.

The events are inherently sequential. :func:`moran_generation` is the
specification (plain Python, used by the numpy backend);
:func:`moran_generation_compiled` is the same function compiled by numba (used
by the numba and torch backends).
"""

from __future__ import annotations

import numba


def moran_generation(counts, fitness, n_types, n_alleles, mu, infinite, u):
    """Apply ``len(u)`` Moran events to ``counts`` in place and return the new
    number of types in use.

    ``counts``/``fitness``: int64/float64 arrays whose first ``n_types``
    entries are in use; for infinite alleles they need room for ``len(u)``
    new types (their fitness is set to 1). ``n_alleles``: K, the number of
    types K-allele mutation moves between. ``u``: float64 array (events, 3).
    """
    total = 0
    weight = 0.0
    for i in range(n_types):
        total += counts[i]
        weight += counts[i] * fitness[i]
    for e in range(u.shape[0]):
        # parent type: proportional to count × fitness; the guard keeps the
        # last type present if rounding leaves the draw past the cumulative sum
        x = u[e, 0] * weight
        acc = 0.0
        parent = -1
        for i in range(n_types):
            if counts[i] > 0:
                parent = i
                acc += counts[i] * fitness[i]
                if x < acc:
                    break
        # dying individual: uniform over the N individuals
        y = int(u[e, 1] * total)
        seen = 0
        dead = 0
        for i in range(n_types):
            seen += counts[i]
            if y < seen:
                dead = i
                break
        child = parent
        if u[e, 2] < mu:
            if infinite:
                child = n_types
                counts[child] = 0
                fitness[child] = 1.0
                n_types += 1
            else:
                target = int(u[e, 2] / mu * (n_alleles - 1))
                child = target if target < parent else target + 1
        counts[child] += 1
        counts[dead] -= 1
        weight += fitness[child] - fitness[dead]
    return n_types


moran_generation_compiled = numba.njit(cache=True, nogil=True)(moran_generation)
