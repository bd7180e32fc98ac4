"""The shared metric: one observation's abundances and reference → named values.

Definitions (DESIGN.md, docs/metric.md):

* ``D0, D1, D2, Dinf``: Hill numbers of the abundances (:mod:`.hill`).
* ``relative_diversity = D1 / D1(reference)``: 1 while the population is as
  diverse as it should be, ``1/D1(reference)`` once it is a single type, 0 when
  empty.
* ``collapse_index = 1 − ln D1 / ln D1(reference)``: 0 at full diversity, 1 for
  a single type (and for an empty observation), negative when more diverse
  than the reference; undefined (None) when D1(reference) = 1.
* ``coverage``: the fraction of reference types present, when the reference is
  an array of abundances over the same types; None when it is only an
  effective number.
"""

from __future__ import annotations

import math

import numpy as np

from .hill import _host, hill_numbers

SHARED_METRICS = ("D0", "D1", "D2", "Dinf", "relative_diversity", "collapse_index", "coverage")


def reference_d1(reference) -> tuple[float, np.ndarray | None]:
    """D1 of the reference and, if it is an array of abundances, that array."""
    ref = _host(reference)
    if np.ndim(ref) == 0:
        d1 = float(ref)
        if not (d1 > 0 and math.isfinite(d1)):
            raise ValueError(f"a scalar reference must be a positive effective number, got {d1}")
        return d1, None
    arr = np.asarray(ref, dtype=np.float64).ravel()
    return hill_numbers(arr, orders=[1.0])["D1"], arr


def diversity(abundances, reference) -> dict[str, float | None]:
    """The shared metric of one series at one observation (a dict of
    :data:`SHARED_METRICS`; ``None`` where a value is undefined)."""
    a = np.asarray(_host(abundances), dtype=np.float64).ravel()
    out: dict[str, float | None] = dict(hill_numbers(a))
    d1 = out["D1"]
    d1_ref, ref = reference_d1(reference)
    if d1_ref <= 0:
        raise ValueError("the reference has no types (D1(reference) = 0)")
    out["relative_diversity"] = d1 / d1_ref
    if d1_ref == 1.0 or math.isclose(d1_ref, 1.0, rel_tol=0, abs_tol=1e-12):
        out["collapse_index"] = None
    elif d1 <= 0:
        out["collapse_index"] = 1.0
    else:
        out["collapse_index"] = 1.0 - math.log(d1) / math.log(d1_ref)
    if ref is None:
        out["coverage"] = None
    else:
        if ref.shape != a.shape:
            raise ValueError(
                f"reference has {ref.size} types but abundances have {a.size}; an array "
                "reference must be over the same types (or give a scalar effective number)"
            )
        present = ref > 0
        out["coverage"] = float(np.count_nonzero(a[present] > 0) / np.count_nonzero(present))
    return out
