"""One Wright–Fisher generation of type counts (Ewens 2004, §1.4), with
K-allele mutation (Kimura & Crow 1964).

Operator ``wright_fisher(counts, fitness, mu, size, rng)`` returns the next
generation's counts (host int64, the shape of ``counts``):

* ``counts``: host int64, (K,) for one population or (R, K) for R;
* ``fitness``: float64 of the same shape (or one (K,) row for a lone call);
* each of the ``size`` offspring is drawn from a parent chosen with probability
  ``q_i = n_i w_i / Σ_j n_j w_j`` and mutates with probability ``mu`` to one of
  the K − 1 other types, so the new counts are one multinomial draw of
  ``size`` from ``p_j = q_j (1 − μ) + (1 − q_j) μ/(K − 1)`` (μ = 0: ``p = q``).

numpy and torch: :func:`wright_fisher`, the specification — the proportions
on the host, the draw by the backend's ``multinomial_counts``. With the
numba backend's per-replicate states (``StateRows``) every row is one pass
of a compiled kernel (:mod:`collapsesim.engine.backends.numba_resampling`):
the same sums (numpy's pairwise summation), quotients and draws, so row r is
bitwise the lone call of replicate r.
"""

from __future__ import annotations

import numpy as np

from . import implements


@implements("wright_fisher", "numpy", "torch")
def wright_fisher(backend, counts, fitness, mu: float, size: int, rng) -> np.ndarray:
    """The next generation's counts (module docstring)."""
    w = counts * fitness
    q = w / w.sum(axis=-1, keepdims=True)
    K = counts.shape[-1]
    p = q * (1.0 - mu) + (1.0 - q) * (mu / (K - 1)) if mu > 0 else q
    drawn = backend.multinomial_counts(size, backend.asarray(p), rng)
    return np.asarray(backend.to_numpy(drawn), dtype=np.int64)
