"""Resampling in numpy: the reference implementation, and the specification.

All four schemes (Douc & Cappé 2005, "Comparison of resampling schemes for
particle filtering") are one inverse-CDF merge, done here in O(N + n) without
sorting random numbers and without a binary search per draw.

Let ``C_j = w_0 + ... + w_j`` be the cumulative weights (float64, summed left to
right, i.e. ``np.cumsum``) and ``T = C_{N-1}`` the total. A scheme places ``n``
sorted points in ``[0, T)`` and gives each point to the first particle whose
cumulative weight exceeds it. Equivalently, particle ``j`` receives
``F_j - F_{j-1}`` offspring, where the *cumulative offspring count*
``F_j = #{points below C_j}`` (``F_{-1} = 0``), and ``F_j = n`` as soon as
``C_j = T`` so that rounding at the top end never loses a point (a particle of
zero weight never gets offspring). The ancestor indices are ``F`` expanded,
``np.repeat(arange(N), diff(F))``, hence sorted ascending.

* **systematic**: points ``(i + u)·T/n`` for one ``u ~ U[0, 1)``;
* **stratified**: points ``(i + u_i)·T/n`` for independent ``u_i ~ U[0, 1)``.
  With ``x_j = C_j·(n/T)`` and ``m = floor(x_j)``, exactly the points of strata
  ``i < m`` lie below, and that of stratum ``m`` iff ``u_m < x_j - m``, so
  ``F_j = m + [u_m < x_j - m]`` in closed form, evaluated in float64 exactly
  as written here (this *defines* the scheme to the last bit; the numba and
  torch backends evaluate the same expression);
* **multinomial**: points ``T·U_(i)`` for the order statistics of ``n``
  uniforms, drawn already sorted in O(n) as normalised partial sums of
  ``n + 1`` standard exponentials (uniform spacings; Devroye 1986, ch. V), and
  merged with ``C`` (two sorted sequences);
* **residual**: ``floor(w_j·(n/T))`` copies of particle ``j``, then the
  remaining ``n - sum(floor)`` draws multinomially on the remainders
  ``w_j·(n/T) - floor(w_j·(n/T))``.

The ``*_from_*`` functions take the random numbers as arguments, so that other
backends can be tested bit for bit against these; the ``resample_*`` functions
draw them from a ``numpy.random.Generator``. Inputs of shape ``(R, N)`` are
handled row by row (in row order, also for the random draws).
"""

from __future__ import annotations

import numpy as np

from .base import RESAMPLING_SCHEMES


def _as_weights(w) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.ndim not in (1, 2) or w.shape[-1] == 0:
        raise ValueError(f"weights must have shape (N,) or (R, N) with N >= 1, got {w.shape}")
    return w


def cumulative_weights(w: np.ndarray) -> tuple[np.ndarray, float]:
    """``C = cumsum(w)`` in float64 and its last entry ``T``; T must be positive and finite."""
    c = np.cumsum(w, dtype=np.float64)
    total = c[-1]
    if not (np.isfinite(total) and total > 0):
        raise ValueError("weights must be non-negative with a positive, finite sum")
    return c, total


def expand_counts(cumcounts: np.ndarray) -> np.ndarray:
    """Ancestor indices from cumulative offspring counts ``F`` (sorted, int64)."""
    counts = np.diff(cumcounts, prepend=0)
    return np.repeat(np.arange(cumcounts.shape[0], dtype=np.int64), counts)


def count_below(points: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """``#{i : points_i < levels_j}`` for every ``j``; both arrays sorted ascending.

    One merge of the two sorted runs: numpy's stable sort is a timsort, which
    detects the two runs of the concatenation and merges them in linear time.
    Levels come first in the concatenation, so a point equal to a level is not
    counted below it.
    """
    merged = np.argsort(np.concatenate([levels, points]), kind="stable")
    return np.flatnonzero(merged < levels.shape[0]) - np.arange(levels.shape[0])


def _stratum_cumcounts(w: np.ndarray, n: int, u) -> np.ndarray:
    """``F`` for the points ``(i + u_i)·T/n``; ``u`` a scalar (systematic) or ``(n,)``."""
    c, total = cumulative_weights(w)
    x = c * (n / total)
    m = np.floor(x)
    frac = x - m
    m = m.astype(np.int64)
    top = (m >= n) | (c >= total)
    if np.ndim(u) == 0:
        below = u < frac
    else:
        below = u[np.minimum(m, n - 1)] < frac if n > 0 else np.zeros(m.shape, bool)
    return np.where(top, n, m + below)


def _merge_cumcounts(w: np.ndarray, n: int, su: np.ndarray) -> np.ndarray:
    """``F`` for the points ``T·su_i`` (``su`` sorted uniforms, at least ``n`` of them)."""
    c, total = cumulative_weights(w)
    f = count_below(su[:n] * total, c)
    f[c >= total] = n
    return f


def _rowwise(w, fn, *row_args) -> np.ndarray:
    """Apply ``fn(row, *args_for_row)`` to each row of ``w`` (shape (N,) or (R, N))."""
    w = _as_weights(w)
    if w.ndim == 1:
        return fn(w, *row_args)
    rows = [fn(w[r], *(np.asarray(a)[r] for a in row_args)) for r in range(w.shape[0])]
    return np.stack(rows) if rows else np.empty((0, 0), np.int64)


# -- the schemes given their random numbers -----------------------------------------
def systematic_from_uniform(w, u, n: int) -> np.ndarray:
    """Systematic resampling with offset ``u`` in [0, 1) (a scalar, or one per row)."""
    w = _as_weights(w)
    u = np.broadcast_to(np.asarray(u, dtype=np.float64), w.shape[:-1])
    return _rowwise(w, lambda row, ur: expand_counts(_stratum_cumcounts(row, n, float(ur))), u)


def stratified_from_uniforms(w, u) -> np.ndarray:
    """Stratified resampling with ``u`` of shape ``(n,)`` (or ``(R, n)``) in [0, 1)."""
    u = np.asarray(u, dtype=np.float64)
    return _rowwise(w, lambda row, ur: expand_counts(_stratum_cumcounts(row, ur.shape[0], ur)), u)


def multinomial_from_sorted_uniforms(w, su) -> np.ndarray:
    """Multinomial resampling given ``n`` sorted uniforms ``su`` (shape ``(n,)`` or ``(R, n)``)."""
    su = np.asarray(su, dtype=np.float64)
    return _rowwise(w, lambda row, s: expand_counts(_merge_cumcounts(row, s.shape[0], s)), su)


def residual_split(w: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Deterministic part of residual resampling for one row: the copies
    ``floor(w·(n/T))``, the remainders, and the number of draws left."""
    _, total = cumulative_weights(w)
    x = w * (n / total)
    copies = np.floor(x)
    rest = x - copies
    copies = copies.astype(np.int64)
    return copies, rest, n - int(copies.sum())


def _residual_row(w: np.ndarray, n: int, su: np.ndarray) -> np.ndarray:
    copies, rest, left = residual_split(w, n)
    if left == 0:
        return expand_counts(np.cumsum(copies))
    return expand_counts(np.cumsum(copies) + _merge_cumcounts(rest, left, su))


def residual_from_sorted_uniforms(w, n: int, su) -> np.ndarray:
    """Residual resampling given sorted uniforms for the multinomial part: row ``r``
    uses the first ``n - sum(floor(n·w_r/T_r))`` entries of ``su[r]`` (later
    entries, e.g. padding, are ignored)."""
    su = np.asarray(su, dtype=np.float64)
    return _rowwise(w, lambda row, s: _residual_row(row, n, s), su)


# -- drawing the random numbers -----------------------------------------------------
def sorted_uniforms(m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` sorted U[0, 1) variates in O(m): partial sums of ``m + 1`` standard
    exponentials divided by their total (the uniform spacings)."""
    s = np.cumsum(rng.standard_exponential(m + 1))
    return s[:-1] / s[-1]


def resample(w, n: int, scheme: str, rng: np.random.Generator) -> np.ndarray:
    """Ancestor indices, sorted, shape ``(n,)`` or ``(R, n)``; see the module docstring."""
    if scheme not in RESAMPLING_SCHEMES:
        raise ValueError(f"unknown resampling scheme {scheme!r}: expected one of {', '.join(RESAMPLING_SCHEMES)}")
    w = _as_weights(w)
    rows = w[None] if w.ndim == 1 else w
    out = np.empty((rows.shape[0], n), dtype=np.int64)
    for r, row in enumerate(rows):
        if scheme == "systematic":
            out[r] = expand_counts(_stratum_cumcounts(row, n, rng.random()))
        elif scheme == "stratified":
            out[r] = expand_counts(_stratum_cumcounts(row, n, rng.random(n)))
        elif scheme == "multinomial":
            out[r] = expand_counts(_merge_cumcounts(row, n, sorted_uniforms(n, rng)))
        else:
            left = residual_split(row, n)[2]
            out[r] = _residual_row(row, n, sorted_uniforms(left, rng))
    return out[0] if w.ndim == 1 else out


def multinomial_counts(n, p, rng: np.random.Generator) -> np.ndarray:
    """Multinomial counts over the last axis of ``p`` (normalised here), ``n``
    draws per row: ``rng.multinomial`` (conditional binomials, category by category)."""
    p = np.asarray(p, dtype=np.float64)
    p = p / p.sum(axis=-1, keepdims=True)
    return rng.multinomial(np.asarray(n, dtype=np.int64), p).astype(np.int64, copy=False)
