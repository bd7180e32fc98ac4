"""Initial populations on a test problem, shared by the ``ga`` and ``hikers``
domains: uniform random points in the box, or uniform random bit strings.

Arrays have a leading row axis (demes or replicates): ``shape + (D,)`` float64
coordinates, or ``shape + (W,)`` uint64 words of packed bits.
"""

from __future__ import annotations

import numpy as np


def box(problem, backend):
    """The box's lower corner and widths as arrays of ``backend``."""
    return (backend.asarray(np.asarray(problem.lower, dtype=np.float64)),
            backend.asarray(np.asarray(problem.upper - problem.lower, dtype=np.float64)))


def random_population(problem, shape: tuple[int, int], backend, rng):
    """Uniform random individuals ``shape + (D,)`` in the box (one
    ``backend.uniform`` draw), or random bit strings (every bit of zero genomes
    flipped with probability 1/2 by ``backend.bitflip_mutation``)."""
    if problem.kind == "bits":
        zeros = backend.asarray(np.zeros(shape + (problem.n_words,), dtype=np.uint64))
        return backend.bitflip_mutation(zeros, problem.n_bits, 0.5, rng)
    lower, span = box(problem, backend)
    return lower + span * backend.uniform(shape + (problem.dim,), rng)
