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

import functools
import math

import numpy as np

from .hill import _host, hill_numbers

SHARED_METRICS = ("D0", "D1", "D2", "Dinf", "relative_diversity", "collapse_index", "coverage")


#: References of at most this many types have their D1 remembered (:func:`_remembered_d1`).
REMEMBERED_TYPES = 1 << 16


def reference_d1(reference) -> tuple[float, np.ndarray | None]:
    """D1 of the reference and, if it is an array of abundances, that array.
    A domain gives the same reference at every observation (equal mass on every
    target, one per founder): its D1 is computed once and remembered by value."""
    ref = _host(reference)
    if np.ndim(ref) == 0:
        d1 = float(ref)
        if not (d1 > 0 and math.isfinite(d1)):
            raise ValueError(f"a scalar reference must be a positive effective number, got {d1}")
        return d1, None
    arr = np.asarray(ref, dtype=np.float64).ravel()
    if arr.size <= REMEMBERED_TYPES:
        return _remembered_d1(arr.tobytes()), arr
    return hill_numbers(arr, orders=[1.0])["D1"], arr


@functools.lru_cache(maxsize=32)  # at most 32 × 512 KiB of keys
def _remembered_d1(data: bytes) -> float:
    """D1 of the float64 abundances whose bytes are ``data`` (the same
    computation as for the array itself, hence the same number)."""
    return hill_numbers(np.frombuffer(data, dtype=np.float64), orders=[1.0])["D1"]


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


def _hill_rows(A: np.ndarray) -> dict[str, np.ndarray]:
    """D0, D1, D2, D∞ of every row of abundances ``A`` (R × K) at once; an empty
    row gives 0 for every order (as :func:`.hill.hill_numbers`)."""
    if A.size and (np.any(A < 0) or not np.all(np.isfinite(A))):
        raise ValueError("abundances must be finite and non-negative")
    total = A.sum(axis=1)
    empty = total <= 0
    P = A / np.where(empty, 1.0, total)[:, None]
    pos = P > 0
    plogp = np.zeros_like(P)
    np.multiply(P, np.log(P, where=pos, out=np.zeros_like(P)), out=plogp, where=pos)
    with np.errstate(divide="ignore"):
        out = {
            "D0": np.count_nonzero(pos, axis=1).astype(np.float64),
            "D1": np.exp(-plogp.sum(axis=1)),
            "D2": 1.0 / np.square(P).sum(axis=1),
            "Dinf": 1.0 / (P.max(axis=1) if P.shape[1] else np.zeros(len(P))),
        }
    for v in out.values():
        v[empty] = 0.0
    return out


def counts_rows(types: np.ndarray, K: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Abundances of R observations from their members' type labels: the
    (R, K) (weighted) counts of ``types`` (R, n) integers in [0, K), row by
    row (one bincount over offset labels)."""
    R = types.shape[0]
    flat = (types.reshape(R, -1) + np.arange(R)[:, None] * K).ravel()
    w = None if weights is None else np.asarray(weights, dtype=float).reshape(R, -1).ravel()
    return np.bincount(flat, weights=w, minlength=R * K).reshape(R, K)


def reference_per_row(reference, shape: tuple) -> bool:
    """Whether the ``reference`` of stacked abundances of ``shape`` (R, K) is one
    per row ((R, K), or (R,) effective numbers when K ≠ R) rather than one for
    all rows ((K,) or a scalar)."""
    ref = np.asarray(_host(reference))
    R, K = shape
    return ref.ndim == 2 or (ref.ndim == 1 and ref.shape[0] == R and K != R)


def diversity_rows(abundances, reference) -> dict[str, np.ndarray]:
    """The shared metric of R observations of one series at once: ``abundances``
    an (R, K) array (zeros pad rows with fewer types), ``reference`` one for all
    rows (a (K,) array or a scalar effective number) or one per row ((R, K) or
    (R,)). Returns :data:`SHARED_METRICS` → (R,) arrays, NaN where
    :func:`diversity` gives None. Row r equals :func:`diversity` of row r up
    to rounding (the sums run over padded rows)."""
    A = np.asarray(_host(abundances), dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"stacked abundances must be an (R, K) array, got shape {A.shape}")
    R = A.shape[0]
    out: dict[str, np.ndarray] = dict(_hill_rows(A))
    ref = np.asarray(_host(reference), dtype=np.float64)
    if ref.ndim == 0 or (ref.ndim == 1 and reference_per_row(ref, A.shape)):
        d1_ref = np.broadcast_to(ref, (R,)).astype(np.float64)
        if not np.all((d1_ref > 0) & np.isfinite(d1_ref)):
            raise ValueError("a scalar reference must be a positive effective number")
        ref_rows = None
    else:
        ref_rows = ref if ref.ndim == 2 else (np.broadcast_to(ref, A.shape)
                                              if ref.shape == A.shape[1:] else ref[None, :])
        if ref_rows.shape != A.shape:
            raise ValueError(f"reference has {ref_rows.shape[-1]} types but abundances have "
                             f"{A.shape[1]}; an array reference must be over the same types "
                             "(or give a scalar effective number)")
        d1_ref = (_hill_rows(ref[None, :])["D1"].repeat(R) if ref.ndim == 1
                  else _hill_rows(ref_rows)["D1"])
    if np.any(d1_ref <= 0):
        raise ValueError("the reference has no types (D1(reference) = 0)")
    d1 = out["D1"]
    out["relative_diversity"] = d1 / d1_ref
    one = np.abs(d1_ref - 1.0) <= 1e-12  # np.isclose(…, rtol=0, atol=1e-12), without its overhead
    with np.errstate(divide="ignore", invalid="ignore"):
        ci = 1.0 - np.log(np.where(d1 > 0, d1, 1.0)) / np.log(np.where(one, 2.0, d1_ref))
    out["collapse_index"] = np.where(one, np.nan, np.where(d1 <= 0, 1.0, ci))
    if ref_rows is None:
        out["coverage"] = np.full(R, np.nan)
    else:
        present = ref_rows > 0
        out["coverage"] = np.count_nonzero((A > 0) & present, axis=1) / np.count_nonzero(present, axis=1)
    return out
