"""The Moran birth–death event on type counts (Moran 1958), applied ``E`` times.

At each event one individual reproduces, chosen with probability proportional
to its fitness, and one dies, chosen uniformly among all N (possibly the
parent); the offspring replaces it, so the size stays N. The offspring
mutates with probability μ: to one of the other K − 1 types uniformly
(K-allele), or to a brand-new type of fitness 1 (infinite alleles).

Operator ``moran_events(counts, fitness, n_types, n_alleles, mu, infinite, u)``
applies ``len(u)`` events to ``counts`` **in place** and returns the new number
of types in use:

* ``counts``/``fitness``: host (numpy) int64/float64 arrays whose first
  ``n_types`` entries are in use; for infinite alleles they need room for
  ``len(u)`` new types (a new type's fitness is set to 1);
* ``n_alleles``: K, the number of types K-allele mutation moves between;
* ``u``: the random numbers, a backend array ``(E, 3)`` of uniforms on [0, 1),
  one row ``(birth, death, mutation)`` per event. Given a mutation
  (``u < μ``) the rescaled ``u/μ`` is uniform and picks the K-allele target.

The result is a deterministic function of ``u``: every implementation gives the
same counts. The events are inherently sequential and touch K numbers, so the
state lives on the host whatever the backend:

* numpy — :func:`moran_events_reference`, plain Python, the specification;
* numba — the same function compiled (:data:`moran_events_compiled`);
* torch (CPU and CUDA) — the uniforms come to the host (3E numbers) and the
  compiled kernel runs there: a sequential walk over K counts has nothing for
  a GPU to do in parallel.
"""

from __future__ import annotations

import numba

from . import implements


def moran_events_reference(counts, fitness, n_types, n_alleles, mu, infinite, u):
    """Apply ``len(u)`` Moran events to ``counts`` in place; return the number
    of types in use (see the module docstring)."""
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


moran_events_compiled = numba.njit(cache=True, nogil=True)(moran_events_reference)


@implements("moran_events", "numpy")
def moran_events_numpy(backend, counts, fitness, n_types, n_alleles, mu, infinite, u):
    """The specification: :func:`moran_events_reference` in plain Python."""
    return moran_events_reference(counts, fitness, n_types, n_alleles, mu, infinite,
                                  backend.to_numpy(u))


@implements("moran_events", "numba", "torch")
def moran_events_host_compiled(backend, counts, fitness, n_types, n_alleles, mu, infinite, u):
    """The compiled kernel on the host (torch: after copying the uniforms there)."""
    return moran_events_compiled(counts, fitness, n_types, n_alleles, mu, infinite,
                                 backend.to_numpy(u))
