"""Resampling in numba: the numpy specification, compiled and fused.

Same definitions, same floating-point expressions, same random numbers as
:mod:`.numpy_resampling` (drawn by the wrappers from the same
``numpy.random.Generator`` in the same order: passing a Generator into compiled
code costs ~10 µs of dispatch per call, more than a whole small resampling), so
for a given seed every scheme returns exactly the numpy reference's indices;
the tests check this bit for bit. Multinomial *counts* are numpy's own
``Generator.multinomial`` (compiled conditional binomials already; a numba
kernel of the same algorithm measured 8 % faster at K = 10^6 categories and
20× slower at K = 10, from call overhead) while there are fewer categories
than draws (K < n) or few categories (K < ``SPACINGS_MIN_K``), so those counts
equal numpy's bit for bit. With many categories and at most as many draws
(K ≥ n, K ≥ ``SPACINGS_MIN_K``) the conditional binomials cost one binomial
call per category (~120 ns each, mostly for categories that get 0 or 1 of the
draws): the counts are then those of n independent categorical draws, taken as
n sorted uniforms (the spacings of n + 1 exponentials, as for multinomial
resampling) merged with the cumulative probabilities — O(n + K), the same
multinomial law by a different route, so equal to numpy's in distribution only
(tested statistically). For R replicate rows with their PCG64 states
(:class:`~collapsesim.engine.replicates.StateRows`), the numpy-route counts of
every row are drawn in one compiled call (:func:`multinomial_counts_rows`).

Each scheme is one pass over the particles keeping the running cumulative
weight ``c`` and the cumulative offspring count ``F`` (see the numpy module),
without a data-dependent branch per draw: stratified and systematic evaluate
``F`` in closed form; the multinomial and residual merges advance a pointer
into the sorted points four comparisons at a time (a dependent chain —
pointer, loads, comparisons, pointer — which makes the merge, not the random
numbers, the larger cost of multinomial resampling at large N). Each particle stores its
index once, at the first output position it owns (a particle without offspring
is overwritten by the next one), into a zeroed buffer; a prefix-maximum pass
then fills the runs. Outputs and scratch buffers are allocated by numpy in the
wrappers (numpy backs allocations of this size with huge pages, numba does not).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import pcg64
from ..replicates import StateRows, rows_kernel
from .base import RESAMPLING_SCHEMES
from .numpy_resampling import _as_weights
from .numpy_resampling import multinomial_counts as numpy_multinomial_counts

SLACK = 4  # +inf sentinels after the sorted points, for the four-wide comparison
SPACINGS_MIN_K = 1024  # fewest categories for the sorted-uniforms counts (see the module docstring)
_OPTS = dict(cache=True, nogil=True)


@njit(**_OPTS)
def _checked_total(row):
    """Left-to-right sum (the last entry of ``np.cumsum``); must be positive and finite."""
    total = 0.0
    for j in range(row.shape[0]):
        total += row[j]
    if not (total > 0.0 and total < np.inf):
        raise ValueError("weights must be non-negative with a positive, finite sum")
    return total


@njit(**_OPTS)
def _fill_runs(out, base, n):
    """Prefix maximum of ``out[base:base+n]``: each particle's index was stored at
    the start of its run and every other entry is 0 (branch-free)."""
    last = 0
    for p in range(base, base + n):
        v = out[p]
        last = v + (v == 0) * last
        out[p] = last


@njit(**_OPTS)
def _stratum_rows(w, u, n, out):
    """Stratified (``u`` of shape (R, n)) or systematic (``u`` of shape (R, 1)) resampling."""
    rows, size = w.shape
    stride = 0 if u.shape[1] == 1 else 1
    for r in range(rows):
        row = w[r]
        total = _checked_total(row)
        scale = n / total
        base = r * n
        start = 0
        c = 0.0
        for j in range(size):
            out[base + start] = j
            c += row[j]
            x = c * scale
            floor_x = np.floor(x)
            m = int(floor_x)
            below = u[r, min(m, n - 1) * stride] < x - floor_x
            top = (c >= total) | (m >= n)
            start = n if top else m + below
        _fill_runs(out, base, n)


@njit(**_OPTS)
def _walk(row, total, points, base, out):
    """Merge sorted ``points`` (then SLACK entries of +inf) with the cumulative
    weights of ``row``: the ancestor of point i goes to ``out[base + i]``.
    Returns nothing; ``out`` must be zero on ``[base, base + n]``."""
    start = 0
    c = 0.0
    n_points = points.shape[0] - SLACK
    for j in range(row.shape[0]):
        out[base + start] = j
        c += row[j]
        if c >= total:
            start = n_points
            continue
        while True:
            k = (points[start] < c) + (points[start + 1] < c) + (points[start + 2] < c) + (points[start + 3] < c)
            start += k
            if k < SLACK:
                break
    _fill_runs(out, base, n_points)


@njit(**_OPTS)
def _to_points(su, m, total, points):
    """``points[:m] = su[:m]·total`` followed by SLACK entries of +inf."""
    for i in range(m):
        points[i] = su[i] * total
    for i in range(m, m + SLACK):
        points[i] = np.inf


@njit(**_OPTS)
def _merge_rows(w, su, n, out):
    """Multinomial resampling given sorted uniforms ``su[:, :n]`` (overwritten by the points)."""
    for r in range(w.shape[0]):
        total = _checked_total(w[r])
        _to_points(su[r], n, total, su[r])
        _walk(w[r], total, su[r, : n + SLACK], r * n, out)


@njit(**_OPTS)
def _spacings_rows(exponentials, counts, points):
    """Row ``r`` of ``points`` gets ``counts[r]`` sorted uniforms: the partial sums of
    the next ``counts[r] + 1`` exponentials divided by their total."""
    start = 0
    for r in range(points.shape[0]):
        m = counts[r]
        s = 0.0
        for i in range(m + 1):
            s += exponentials[start + i]
            points[r, i] = s
        for i in range(m):
            points[r, i] = points[r, i] / s
        start += m + 1


@njit(**_OPTS)
def _residual_split_rows(w, n, copies, lefts):
    """Copies ``floor(w·(n/T))`` per particle and the draws left per row."""
    for r in range(w.shape[0]):
        scale = n / _checked_total(w[r])
        kept = 0
        for j in range(w.shape[1]):
            f = int(w[r, j] * scale)
            copies[r, j] = f
            kept += f
        lefts[r] = n - kept


@njit(**_OPTS)
def _residual_rows(w, n, copies, lefts, su, out):
    """Residual resampling: the copies, plus a merge of the remainders with the
    sorted uniforms ``su[r, :lefts[r]]`` (overwritten by the points)."""
    for r in range(w.shape[0]):
        row = w[r]
        base = r * n
        left = lefts[r]
        scale = n / _checked_total(row)
        rest_total = 0.0
        if left > 0:
            for j in range(row.shape[0]):
                x = row[j] * scale
                rest_total += x - int(x)
            _to_points(su[r], left, rest_total, su[r])
        pts = su[r]
        pos = 0
        start = 0
        c = 0.0
        for j in range(row.shape[0]):
            out[base + pos] = j
            x = row[j] * scale
            c += x - int(x)
            stop = start
            if left == 0:
                pass
            elif c >= rest_total:
                stop = left
            else:
                while True:
                    k = (pts[stop] < c) + (pts[stop + 1] < c) + (pts[stop + 2] < c) + (pts[stop + 3] < c)
                    stop += k
                    if k < SLACK:
                        break
            pos += copies[r, j] + stop - start
            start = stop
        _fill_runs(out, base, n)


@njit(**_OPTS)
def _spacing_counts_rows(p, exponentials, n, cum, points, out):
    """Row ``r`` of ``out`` counts ``n[r]`` categorical draws from row ``r`` of
    ``p``: the partial sums of the next ``n[r] + 1`` exponentials, scaled so that
    their total is the weights' total, are ``n[r]`` sorted uniform points on
    ``[0, total)``, each falling in the category whose cumulative-weight interval
    holds it. A branch-free merge stores ``F_i`` = the number of points below the
    i-th cumulative weight, and the counts are its differences; a point that
    rounding puts at or past the last boundary goes to the last category of
    positive weight. ``cum`` (K) and ``points`` (max n + 1) are scratch."""
    start = 0
    K = p.shape[1]
    for r in range(p.shape[0]):
        m = n[r]
        total = _checked_total(p[r])
        s = 0.0
        for j in range(m + 1):
            s += exponentials[start + j]
            points[j] = s
        scale = total / s
        for j in range(m):
            points[j] = points[j] * scale
        points[m] = np.inf  # sentinel: the merge stops taking points after the last
        c = 0.0
        last = 0
        for i in range(K):
            c += p[r, i]
            cum[i] = c
            last = i if p[r, i] > 0.0 else last
        i = 0
        j = 0
        while i < K:  # one step per point or category, no data-dependent branch
            below = points[j] < cum[i]
            out[r, i] = j
            j += below
            i += 1 - below
        for i in range(K - 1, 0, -1):
            out[r, i] -= out[r, i - 1]
        out[r, last] += m - j
        start += m + 1

# -- wrappers -------------------------------------------------------------------------
def _rows(w) -> np.ndarray:
    w = _as_weights(w)
    return np.ascontiguousarray(w[None] if w.ndim == 1 else w)


def _output(rows: int, n: int) -> np.ndarray:
    """Zeroed flat output with one entry of slack (for particles after the last draw)."""
    return np.zeros(rows * n + 1, dtype=np.int64)


def _shaped(out: np.ndarray, w2: np.ndarray, batched: bool, n: int) -> np.ndarray:
    """The first ``rows·n`` entries of the flat output, as (n,) or (R, n)."""
    idx = out[: w2.shape[0] * n]
    return idx.reshape(w2.shape[0], n) if batched else idx


def _padded(su, rows: int) -> np.ndarray:
    """Sorted uniforms copied into rows with SLACK spare entries (the kernels overwrite them)."""
    su = np.asarray(su, dtype=np.float64).reshape(rows, -1)
    points = np.empty((rows, su.shape[1] + SLACK))
    points[:, : su.shape[1]] = su
    return points


def systematic_from_uniform(w, u, n: int) -> np.ndarray:
    """Systematic resampling with offset ``u`` (scalar or one per row); equals numpy's."""
    w2 = _rows(w)
    u2 = np.ascontiguousarray(np.broadcast_to(np.asarray(u, np.float64).reshape(-1, 1), (w2.shape[0], 1)))
    out = _output(w2.shape[0], n)
    _stratum_rows(w2, u2, n, out)
    return _shaped(out, w2, np.ndim(w) == 2, n)


def stratified_from_uniforms(w, u) -> np.ndarray:
    """Stratified resampling with uniforms ``u`` ((n,) or (R, n)); equals numpy's."""
    w2 = _rows(w)
    u2 = np.ascontiguousarray(np.asarray(u, np.float64).reshape(w2.shape[0], -1))
    n = u2.shape[1]
    out = _output(w2.shape[0], n)
    if n > 0:
        _stratum_rows(w2, u2, n, out)
    return _shaped(out, w2, np.ndim(w) == 2, n)


def multinomial_from_sorted_uniforms(w, su) -> np.ndarray:
    """Multinomial resampling given sorted uniforms ((n,) or (R, n)); equals numpy's."""
    w2 = _rows(w)
    points = _padded(su, w2.shape[0])
    n = np.shape(su)[-1]
    out = _output(w2.shape[0], n)
    _merge_rows(w2, points, n, out)
    return _shaped(out, w2, np.ndim(w) == 2, n)


def residual_from_sorted_uniforms(w, n: int, su) -> np.ndarray:
    """Residual resampling given sorted uniforms for the multinomial part; equals numpy's."""
    w2 = _rows(w)
    copies, lefts = _residual_split(w2, n)
    points = _padded(su, w2.shape[0])
    out = _output(w2.shape[0], n)
    _residual_rows(w2, n, copies, lefts, points, out)
    return _shaped(out, w2, np.ndim(w) == 2, n)


def _residual_split(w2: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    copies = np.empty(w2.shape, dtype=np.int64)
    lefts = np.empty(w2.shape[0], dtype=np.int64)
    _residual_split_rows(w2, n, copies, lefts)
    return copies, lefts


def resample(w, n: int, scheme: str, rng: np.random.Generator) -> np.ndarray:
    """Ancestor indices, sorted; the same as numpy's ``resample`` for the same generator state."""
    if scheme not in RESAMPLING_SCHEMES:
        raise ValueError(f"unknown resampling scheme {scheme!r}: expected one of {', '.join(RESAMPLING_SCHEMES)}")
    w2 = _rows(w)
    rows = w2.shape[0]
    out = _output(rows, n)
    if scheme == "systematic":
        _stratum_rows(w2, rng.random((rows, 1)), n, out)
    elif scheme == "stratified":
        if n > 0:
            _stratum_rows(w2, rng.random((rows, n)), n, out)
    elif scheme == "multinomial":
        points = np.empty((rows, n + SLACK))
        _spacings_rows(rng.standard_exponential(rows * (n + 1)), np.full(rows, n, dtype=np.int64), points)
        _merge_rows(w2, points, n, out)
    else:
        copies, lefts = _residual_split(w2, n)
        points = np.empty((rows, n + SLACK))
        _spacings_rows(rng.standard_exponential(int(lefts.sum()) + rows), lefts, points)
        _residual_rows(w2, n, copies, lefts, points, out)
    return _shaped(out, w2, np.ndim(w) == 2, n)


def multinomial_counts(n, p, rng: np.random.Generator) -> np.ndarray:
    """Multinomial counts (see the module docstring for the two routes): numpy's
    ``multinomial_counts`` when K < max(n) or K < ``SPACINGS_MIN_K``; otherwise
    sorted uniforms from ``sum(n_r + 1)`` exponentials drawn in one call, rows in order."""
    p = np.asarray(p, dtype=np.float64)
    n_arr = np.asarray(n, dtype=np.int64)
    K = p.shape[-1]
    if K < SPACINGS_MIN_K or n_arr.size == 0 or K < int(n_arr.max()):
        return numpy_multinomial_counts(n, p, rng)
    shape = np.broadcast_shapes(p.shape[:-1], n_arr.shape) + (K,)
    p2 = np.ascontiguousarray(np.broadcast_to(p, shape).reshape(-1, K))
    n2 = np.ascontiguousarray(np.broadcast_to(n_arr, shape[:-1]).reshape(-1))
    if np.any(n2 < 0):
        raise ValueError("the number of draws must be non-negative")
    out = np.empty(p2.shape, dtype=np.int64)
    scratch = np.empty(K), np.empty(int(n2.max()) + 1)
    _spacing_counts_rows(p2, rng.standard_exponential(int(n2.sum()) + p2.shape[0]), n2, *scratch, out)
    return out.reshape(shape)


# -- every replicate row in one call (per-replicate PCG64 states) ----------------------------


@njit(cache=True)
def _multinomial_rows(states, index, n, p, out):
    memo = pcg64.binomial_memo()
    for i in range(index.shape[0]):
        pcg64.multinomial_row(states, index[i], n[i], p[i], out[i], memo)


@rows_kernel("multinomial_counts")
def multinomial_counts_rows(backend, n, p, rng: StateRows):
    """``multinomial_counts`` of R rows with the replicates' PCG64 states: row r
    is ``Generator.multinomial`` from replicate r's stream, compiled for all rows
    at once (:mod:`collapsesim.engine.pcg64`, bitwise numpy's) — the per-row
    calls' numbers while those take numpy's route (K < ``SPACINGS_MIN_K`` or
    K < n_r for every row); otherwise ``NotImplemented`` (the rows are looped)."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != len(rng):
        return NotImplemented
    R, K = p.shape
    if np.ndim(n) == 0:  # one n for all rows (the common call): no broadcast machinery
        n_rows = np.full(R, n, dtype=np.int64)
        n_min = int(n)
    else:
        n_rows = np.ascontiguousarray(np.broadcast_to(np.asarray(n, dtype=np.int64), (R,)))
        n_min = int(n_rows.min()) if R else 0
    if not (K < SPACINGS_MIN_K or (R and K < n_min)):
        return NotImplemented
    p = np.ascontiguousarray(p / p.sum(axis=-1, keepdims=True))  # as numpy_multinomial_counts
    out = np.empty(p.shape, dtype=np.int64)
    states, index = rng.synced()
    _multinomial_rows(states, index, n_rows, p, out)
    return out


@njit(cache=True)
def pairwise_sum(a, n):
    """numpy's pairwise summation of ``a[:n]`` (``numpy/_core/src/umath/
    loops_utils.h.src``: a plain loop below 8 terms, 8 accumulators up to 128,
    halves above), so that a compiled row sum is ``a.sum()`` to the bit."""
    if n <= 128:
        return _pairwise_block(a, n)
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a, n2) + pairwise_sum(a[n2:], n - n2)


@njit(cache=True)
def _pairwise_block(a, n):
    """:func:`pairwise_sum` of at most 128 terms (not recursive, so inlined where called)."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    r = a[:8].copy()
    i = 8
    while i < n - n % 8:
        for j in range(8):
            r[j] += a[i + j]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += a[i]
        i += 1
    return res


@njit(cache=True)
def _wright_fisher_rows(states, index, counts, fitness, mu, size, out):
    K = counts.shape[1]
    w = np.empty(K)
    p = np.empty(K)
    memo = pcg64.binomial_memo()
    # short rows call the block sum directly: pairwise_sum is recursive, so not
    # inlined, and the call costs about 1 ms per 10^5 rows (a tenth of the kernel)
    for i in range(counts.shape[0]):
        for k in range(K):
            w[k] = counts[i, k] * fitness[i, k]
        total = _pairwise_block(w, K) if K <= 128 else pairwise_sum(w, K)
        for k in range(K):
            q = w[k] / total
            p[k] = q * (1.0 - mu) + (1.0 - q) * (mu / (K - 1)) if mu > 0 else q
        total = _pairwise_block(p, K) if K <= 128 else pairwise_sum(p, K)
        for k in range(K):
            p[k] = p[k] / total
        pcg64.multinomial_row(states, index[i], size, p, out[i], memo)


@rows_kernel("wright_fisher")
def wright_fisher_rows(counts, fitness, mu, size, rng: StateRows):
    """The engine operator ``wright_fisher`` (:mod:`collapsesim.engine.kernels.
    wright_fisher`) of R rows with the replicates' PCG64 states, compiled for
    all rows at once: row r is bitwise the lone call with replicate r's
    generator while that call's multinomial takes numpy's route (K <
    ``SPACINGS_MIN_K`` or K < size); otherwise ``NotImplemented``."""
    counts = np.asarray(counts)
    if counts.ndim != 2 or counts.shape[0] != len(rng):
        return NotImplemented
    K = counts.shape[1]
    if not (K < SPACINGS_MIN_K or K < size):
        return NotImplemented
    fitness = np.broadcast_to(np.asarray(fitness, dtype=np.float64), counts.shape)
    out = np.empty(counts.shape, dtype=np.int64)
    states, index = rng.synced()
    _wright_fisher_rows(states, index, np.asarray(counts, dtype=np.int64), fitness, float(mu),
                        int(size), out)
    return out
