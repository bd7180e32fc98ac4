"""Hill numbers: the effective number of types of order q.

For relative abundances p_i > 0 (Hill 1973; Jost 2006, eq. 6)::

    D_q = (Σ p_i^q)^(1/(1-q))      q ≠ 1
    D_1 = exp(-Σ p_i ln p_i)        (the limit q → 1: exp of Shannon entropy)
    D_∞ = 1 / max p_i

D_0 is the richness, D_2 = 1/Σp² the inverse Simpson index — for normalised
importance weights exactly the effective sample size (Kong, Liu & Wong 1994),
for haplotype frequencies the plug-in effective number of haplotypes. D_q is
non-increasing in q and equals k for k equally abundant types.

Empty abundances (no type present) give 0 for every order: a valid observation
(DESIGN.md), not an error.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

NAMED_ORDERS = {"D0": 0.0, "D1": 1.0, "D2": 2.0, "Dinf": math.inf}


def _proportions(abundances) -> np.ndarray:
    a = np.asarray(_host(abundances), dtype=np.float64).ravel()
    if a.size and (np.any(a < 0) or not np.all(np.isfinite(a))):
        raise ValueError("abundances must be finite and non-negative")
    a = a[a > 0]
    total = a.sum()
    return a / total if total > 0 else a


def _host(x):
    """Torch tensors (any device) → numpy; everything else unchanged."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        return x.detach().cpu().numpy()
    return x


def hill_number(abundances, q: float) -> float:
    """The Hill number of order ``q`` (any real q ≥ 0, or ``math.inf``)."""
    return _of_proportions(_proportions(abundances), q)


def _of_proportions(p: np.ndarray, q: float) -> float:
    """D_q of proportions ``p`` (from :func:`_proportions`: positive, summing to 1)."""
    if p.size == 0:
        return 0.0
    if q < 0:
        raise ValueError("the order q must be >= 0")
    if q == 0:
        return float(p.size)
    p = p[p > 0]  # a share that underflowed to 0 adds nothing for q > 0 (and no log(0))
    if q == 1:
        return float(math.exp(-np.sum(p * np.log(p))))
    if math.isinf(q):
        return float(1.0 / p.max())
    # log-sum-exp form keeps large q and tiny p finite
    logs = q * np.log(p)
    m = logs.max()
    return float(math.exp((m + math.log(np.exp(logs - m).sum())) / (1.0 - q)))


def hill_numbers(abundances, orders: Iterable[float] | None = None) -> dict[str, float]:
    """Hill numbers ``{"D0", "D1", "D2", "Dinf"}`` (or ``{f"D{q}"}`` for given orders).

    >>> hill_numbers([1, 1, 1, 1])
    {'D0': 4.0, 'D1': 4.0, 'D2': 4.0, 'Dinf': 4.0}
    """
    if orders is None:
        items = NAMED_ORDERS.items()
    else:
        items = ((("Dinf" if math.isinf(q) else f"D{q:g}"), float(q)) for q in orders)
    p = _proportions(abundances)  # once for every order
    return {name: _of_proportions(p, q) for name, q in items}


def hill_profile(abundances, orders) -> np.ndarray:
    """D_q for every q in ``orders`` (the diversity profile, Jost 2006 fig. 1)."""
    p = _proportions(abundances)
    return np.array([_of_proportions(p, float(q)) for q in orders])
