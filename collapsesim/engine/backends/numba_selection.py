"""Selection in numba: tournaments and truncation.

``tournament`` consumes numpy's contestants, ``rng.integers(0, N, size=(..., n, k))``,
drawn by the wrapper in blocks of tournaments (numpy's bounded integers take
one 64-bit draw each, so blocks continue the same stream; numba's own
``Generator.integers`` is ~10× slower per draw), and a kernel keeps the running
best of each block — the numpy reference's winners, without materialising all
n·k contestants.

``truncation`` returns the numpy reference's indices — the first n of a
stable descending sort — by another route after the same threshold
(``np.partition``, already compiled; a numba kernel of it measured 6× slower):
one pass collects the chosen in index order (those above the threshold and
the lowest-index ties), then a stable LSD radix sort (Knuth, TAOCP vol. 3,
§5.2.5) orders them by a 64-bit key that sorts as descending fitness. The
reference's stable comparison sort of the chosen was 8× the partition at
n = N/2 = 5·10^6; the radix sort's passes are linear. Proportional selection
is multinomial resampling (:mod:`.numba_resampling`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import numpy_selection
from .numpy_selection import _check_top_n, _rows

BLOCK = 1 << 16  # tournaments per block of contestants
DIGIT = 11  # bits per radix pass (a 2048-bucket histogram stays in L1)
RADIX_MIN = 256  # fewer chosen than this: an insertion sort


@njit(cache=True, nogil=True)
def _winners(f, candidates, out):
    """Fittest of each row of ``candidates``, ties to the lowest index."""
    for i in range(candidates.shape[0]):
        best = candidates[i, 0]
        for j in range(1, candidates.shape[1]):
            c = candidates[i, j]
            better = (f[c] > f[best]) | ((f[c] == f[best]) & (c < best))
            best = c if better else best
        out[i] = best


def tournament(fitness, n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Same contestants and winners as the numpy reference for the same generator state."""
    f = _rows(fitness)
    if k < 1:
        raise ValueError(f"tournament size must be >= 1, got {k}")
    f2 = np.ascontiguousarray(f.reshape(-1, f.shape[-1]))
    out = np.empty((f2.shape[0], n), dtype=np.int64)
    for r in range(f2.shape[0]):
        for start in range(0, n, BLOCK):
            stop = min(start + BLOCK, n)
            _winners(f2[r], rng.integers(0, f2.shape[1], size=(stop - start, k)), out[r, start:stop])
    return out.reshape(f.shape[:-1] + (n,))


@njit(cache=True, nogil=True)
def _descending_keys(values):
    """``values`` (float64, not NaN) rewritten in place as uint64 keys whose
    unsigned order is the descending order of the values; returns that view.
    −0.0 and 0.0 get the same key, as they compare equal."""
    for i in range(values.shape[0]):
        values[i] = values[i] + 0.0  # turns −0.0 into 0.0
    keys = values.view(np.uint64)
    top = np.uint64(1) << np.uint64(63)
    for i in range(keys.shape[0]):
        b = keys[i]
        keys[i] = b if b & top else ~(b | top)  # ascending keys are ~b and b | top; descending, their complement
    return keys


@njit(cache=True, nogil=True)
def _insertion_order(keys, idx):
    """Stable insertion sort of ``idx`` by ``keys`` (both in place), for short runs."""
    for i in range(1, keys.shape[0]):
        k, v = keys[i], idx[i]
        j = i - 1
        while j >= 0 and keys[j] > k:
            keys[j + 1], idx[j + 1] = keys[j], idx[j]
            j -= 1
        keys[j + 1], idx[j + 1] = k, v


@njit(cache=True, nogil=True)
def _lsd_order(keys, idx, tmp_keys, tmp_idx, low_bit, high_bit):
    """Stable LSD radix sort of ``idx`` by bits [low_bit, high_bit) of ``keys``
    (both reordered in place; the tmp arrays as long), in passes of DIGIT bits;
    a pass where every key has the same digit is skipped."""
    m = keys.shape[0]
    passes = (high_bit - low_bit + DIGIT - 1) // DIGIT
    shifts = np.empty(passes, np.uint64)
    masks = np.empty(passes, np.uint64)
    for d in range(passes):
        shifts[d] = low_bit + d * DIGIT
        masks[d] = (1 << min(DIGIT, high_bit - low_bit - d * DIGIT)) - 1
    counts = np.zeros((passes, 1 << DIGIT), dtype=np.int64)
    for i in range(m):
        k = keys[i]
        for d in range(passes):
            counts[d, (k >> shifts[d]) & masks[d]] += 1
    src_k, src_i, dst_k, dst_i = keys, idx, tmp_keys, tmp_idx
    for d in range(passes):
        shift, mask = shifts[d], masks[d]
        if counts[d, (src_k[0] >> shift) & mask] == m:
            continue
        total = 0
        for b in range(counts.shape[1]):
            c = counts[d, b]
            counts[d, b] = total
            total += c
        for i in range(m):
            k = src_k[i]
            b = (k >> shift) & mask
            at = counts[d, b]
            counts[d, b] = at + 1
            dst_k[at] = k
            dst_i[at] = src_i[i]
        src_k, src_i, dst_k, dst_i = dst_k, dst_i, src_k, src_i
    if src_k is not keys:
        keys[:] = src_k
        idx[:] = src_i


@njit(cache=True, nogil=True)
def _radix_order(keys, idx, tmp_keys, tmp_idx):
    """Stable sort of ``idx`` by unsigned 64-bit ``keys`` (both in place): LSD
    passes over the high 32 bits, then each run of equal high halves (rare
    unless values differ only in their last bits) by its low 32 bits."""
    m = keys.shape[0]
    if m < RADIX_MIN:
        _insertion_order(keys, idx)
        return
    _lsd_order(keys, idx, tmp_keys, tmp_idx, 32, 64)
    high = np.uint64(32)
    start = 0
    for i in range(1, m + 1):
        if i < m and (keys[i] >> high) == (keys[start] >> high):
            continue
        if i - start >= RADIX_MIN:
            _lsd_order(keys[start:i], idx[start:i], tmp_keys[start:i], tmp_idx[start:i], 0, 32)
        elif i - start > 1:
            _insertion_order(keys[start:i], idx[start:i])
        start = i


@njit(cache=True, nogil=True)
def _truncation_rows(f, thresholds, n, out, values, tmp_keys, tmp_idx):
    """Row r of ``out`` (flat, R·n + 1 entries: the last is slack): the n
    fittest of ``f[r]`` (threshold ``thresholds[r]``, the (N − n)-th order
    statistic), fittest first, ties by lower index. The scratch arrays are
    allocated by the caller (numpy backs large ones with huge pages)."""
    for r in range(f.shape[0]):
        row, t = f[r], thresholds[r]
        chosen = out[r * n : r * n + n + 1]
        room = n
        for j in range(row.shape[0]):
            room -= row[j] > t
        taken = 0
        if 8 * n <= row.shape[0]:  # few chosen: a branch that is rarely taken
            for j in range(row.shape[0]):  # index order: every one above, the first `room` ties
                x = row[j]
                if x > t or (x == t and room > 0):
                    room -= x == t
                    chosen[taken] = j
                    values[taken] = x
                    taken += 1
                    if taken == n:
                        break
        else:  # many: branch-free, the slot is kept only if taken moves on
            for j in range(row.shape[0]):
                x = row[j]
                tie = (x == t) & (room > 0)
                chosen[taken] = j
                values[taken] = x
                taken += (x > t) | tie
                room -= tie
                if taken == n:
                    break
        _radix_order(_descending_keys(values[:n]), chosen[:n], tmp_keys, tmp_idx)


def truncation(fitness, n: int) -> np.ndarray:
    """The numpy reference's indices (the n fittest, fittest first, ties by lower index)."""
    f = _rows(fitness)
    size = f.shape[-1]
    _check_top_n(size, n)
    if not np.issubdtype(f.dtype, np.floating):  # integers past 2^53 do not fit the float64 keys
        return numpy_selection.truncation(f, n)
    f2 = np.ascontiguousarray(f.reshape(-1, size), dtype=np.float64)
    rows = f2.shape[0]
    out = np.empty(rows * n + 1, dtype=np.int64)
    if n > 0:
        thresholds = np.ascontiguousarray(np.partition(f2, size - n, axis=-1)[:, size - n])
        scratch = np.empty(n + 1), np.empty(n, np.uint64), np.empty(n, np.int64)
        _truncation_rows(f2, thresholds, n, out, *scratch)
    return out[: rows * n].reshape(f.shape[:-1] + (n,))
