"""The numba kernels of the search operators (``psiblast.ungapped``,
``psiblast.gapped``, ``psiblast.xdrop``) and of ``psiblast.traceback``:
scalar loops, one sequence after another, int32 DP rows in buffers reused across sequences, single-threaded
(``parallel=False``: the runner owns the threads). Their results equal the
vectorised specification in :mod:`.alignment` exactly (same definitions, same
tie-breaks; the tests compare them).

* ungapped — BLAST's lookup-table scan: the neighbourhood words of the PSSM
  (every word of ``word_size`` residues scoring ≥ T at a query column) are
  tabulated once per call (``_word_table``), then each subject word is one
  table lookup. Per diagonal the kernel keeps the last ``word_size`` hits
  (the hits closer than ``word_size`` to a new one overlap it, so the latest
  non-overlapping earlier hit is among them); a diagonal becomes a seed
  diagonal at its first qualifying pair. The maximal segment of each seed
  diagonal is then one Kadane pass over the whole diagonal.
* gapped — Gotoh's recurrences, query-major, one int32 row of H and one of
  F over the subject.
* xdrop — the same recurrences restricted to the band of live cells: a row
  starts at the previous row's first live column and stops past the
  previous row's last live column + 1 at its first dead cell.
* traceback — per hit the DP of its mode with the cells kept (all of
  Smith–Waterman's; the X-drop band's, each row's written columns recorded
  and the rest read as dead), then the specification's walk, in the kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...engine.kernels import implements
from .alignment import (
    GAP_EXTEND,
    GAP_OPEN,
    NEG,
    WINDOW,
    WORD_SIZE,
    WORD_THRESHOLD,
    XDROP,
    _check_gaps,
    _seed_points,
    _to_whole,
    _traceback_inputs,
    _ungapped_rows,
)
from .matrices import GAP, NOT_ALIGNED

_OPTS = {"cache": True, "nogil": True}


def _word_table(pssm: np.ndarray, T: int, w: int):
    """CSR table of the neighbourhood words: for word code Σ a_k·20^(w−1−k), the query
    columns q (ascending) where Σ_k pssm[q+k, a_k] ≥ T."""
    m = pssm.shape[0]
    nq = m - w + 1
    if nq <= 0:
        return np.zeros(20 ** w + 1, np.int64), np.zeros(0, np.int32)
    scores = np.zeros((nq, 20 ** w), np.int32)
    for k in range(w):
        col = pssm[k:k + nq]                                       # (nq, 20)
        scores += _spread(col, k, w)
    word, q = np.nonzero(scores.T >= T)                            # sorted by word, then q
    starts = np.zeros(20 ** w + 1, np.int64)
    np.cumsum(np.bincount(word, minlength=20 ** w), out=starts[1:])
    return starts, q.astype(np.int32)


def _spread(col: np.ndarray, k: int, w: int) -> np.ndarray:
    """(nq, 20^w) scores of letter position k of every word: column a_k of ``col``."""
    codes = np.arange(20 ** w)
    return col[:, (codes // 20 ** (w - 1 - k)) % 20]


@njit(**_OPTS)
def _ungapped_kernel(pssm, residues, offsets, starts, table, w, window, lmax,
                     score, qstart, qend, sstart, send):
    m = pssm.shape[0]
    D = m + lmax
    recent = np.empty((D, w), np.int64)     # last w hits per diagonal, most recent first
    stamp = np.full(D, -1, np.int64)
    seeded = np.zeros(D, np.int64)
    nseed_list = np.empty(D, np.int64)
    pw = 1
    for _ in range(w - 1):
        pw *= 20
    for k in range(offsets.shape[0] - 1):
        a, b = offsets[k], offsets[k + 1]
        L = b - a
        nseed = 0
        if L >= w and m >= w:
            code = 0
            for t in range(w - 1):
                code = code * 20 + residues[a + t]
            for s in range(L - w + 1):
                code = (code % pw) * 20 + residues[a + s + w - 1]
                for h in range(starts[code], starts[code + 1]):
                    q = table[h]
                    di = s - q + m - 1
                    if stamp[di] != k:
                        stamp[di] = k
                        seeded[di] = 0
                        for r in range(w):
                            recent[di, r] = -(1 << 40)
                    if seeded[di] == 0:
                        for r in range(w):
                            q1 = recent[di, r]
                            if q1 <= q - w:
                                if q - q1 < window:
                                    seeded[di] = 1
                                    nseed_list[nseed] = di
                                    nseed += 1
                                break
                        for r in range(w - 1, 0, -1):
                            recent[di, r] = recent[di, r - 1]
                        recent[di, 0] = q
        best, bd, bqs, bqe = 0, 0, -1, -1
        for t in range(nseed):
            di = nseed_list[t]
            d = di - (m - 1)
            lo = max(0, -d)
            hi = min(m, L - d)
            P, pmin, imin = 0, 0, lo
            g, gi, gj = 0, -1, -1
            for q in range(lo, hi):
                P += pssm[q, residues[a + q + d]]
                if P - pmin > g:
                    g, gi, gj = P - pmin, imin, q + 1
                if P <= pmin:
                    pmin, imin = P, q + 1
            if g > best or (g == best and g > 0 and d < bd):
                best, bd, bqs, bqe = g, d, gi, gj
        score[k] = best
        if best > 0:
            qstart[k], qend[k], sstart[k], send[k] = bqs, bqe, bqs + bd, bqe + bd
        else:
            qstart[k], qend[k], sstart[k], send[k] = -1, -1, -1, -1


@implements("psiblast.ungapped", "numba")
def ungapped(backend, pssm, residues, offsets, word_threshold: int = WORD_THRESHOLD,
             window: int = WINDOW, word_size: int = WORD_SIZE):
    """Numba kernel of ``psiblast.ungapped`` (see :mod:`.alignment`)."""
    pssm = np.ascontiguousarray(pssm, np.int32)
    residues = np.ascontiguousarray(residues, np.uint8)
    offsets = np.ascontiguousarray(offsets, np.int64)
    n = len(offsets) - 1
    starts, table = _word_table(pssm, word_threshold, word_size)
    out = [np.zeros(n, np.int32)] + [np.full(n, -1, np.int64) for _ in range(4)]
    lmax = int(np.diff(offsets).max()) if n else 0
    _ungapped_kernel(pssm, residues, offsets, starts, table, word_size, window, lmax, *out)
    return tuple(out)


@njit(**_OPTS)
def _gapped_kernel(pssm, residues, offsets, o, e, H, F, score, qend, send):
    m = pssm.shape[0]
    oe = o + e
    for k in range(offsets.shape[0] - 1):
        a, b = offsets[k], offsets[k + 1]
        L = b - a
        for j in range(L + 1):
            H[j] = 0
            F[j] = NEG
        best, bi, bj = 0, -1, -1
        for i in range(m):
            row = pssm[i]
            diag = 0                                  # H[i−1][j−1]; column 0 is 0
            Ecur = NEG
            Hleft = 0
            for j in range(1, L + 1):
                up = H[j]
                f = max(up - oe, F[j] - e)
                Ecur = max(Hleft - oe, Ecur - e)
                h = max(diag + row[residues[a + j - 1]], f, Ecur, 0)
                diag = up
                H[j] = h
                F[j] = f
                Hleft = h
                if h > best:
                    best, bi, bj = h, i + 1, j
        score[k] = best
        qend[k] = bi
        send[k] = bj


@implements("psiblast.gapped", "numba")
def gapped(backend, pssm, residues, offsets, gap_open: int = GAP_OPEN,
           gap_extend: int = GAP_EXTEND):
    """Numba kernel of ``psiblast.gapped`` (see :mod:`.alignment`)."""
    _check_gaps(gap_open, gap_extend)
    pssm = np.ascontiguousarray(pssm, np.int32)
    residues = np.ascontiguousarray(residues, np.uint8)
    offsets = np.ascontiguousarray(offsets, np.int64)
    n = len(offsets) - 1
    lmax = int(np.diff(offsets).max()) if n else 0
    out = [np.zeros(n, np.int32), np.full(n, -1, np.int64), np.full(n, -1, np.int64)]
    _gapped_kernel(pssm, residues, offsets, np.int32(gap_open), np.int32(gap_extend),
                   np.zeros(lmax + 1, np.int32), np.zeros(lmax + 1, np.int32), *out)
    return tuple(out)


@njit(**_OPTS)
def _extend(pssm, residues, a, L, q0, s0, direction, o, e, X, H, F):
    """One direction of the banded X-drop extension: (best, its row, its column)."""
    m = pssm.shape[0]
    oe = o + e
    # columns consume subject s0+1, s0+2, … (right) or s0, s0−1, … (left)
    if direction > 0:
        N = L - s0 - 1
        M = m - q0 - 1
    else:
        N = s0 + 1
        M = q0 + 1
    # row 0: a gap in the query from the corner
    H[0] = 0
    F[0] = NEG
    hi = 0
    j = 1
    while j <= N and -(o + e * j) >= -X:
        H[j] = -(o + e * j)
        F[j] = NEG
        hi = j
        j += 1
    lo = 0
    best, bi, bj = 0, 0, 0
    for i in range(1, M + 1):
        qpos = q0 + i if direction > 0 else q0 + 1 - i
        row = pssm[qpos]
        cutoff = best - X
        diag = NEG                                   # H[i−1][j−1], dead left of the band
        Ecur = NEG
        Hleft = NEG
        newlo, newhi = -1, -1
        rmax, rj = NEG, -1
        j = lo
        while j <= N:
            if j <= hi:
                up, fup = H[j], F[j]
            else:
                up, fup = NEG, NEG
            f = max(up - oe, fup - e)
            if j > 0:
                spos = s0 + j if direction > 0 else s0 + 1 - j
                d = diag + row[residues[a + spos]]
                Ecur = max(Hleft - oe, Ecur - e)
            else:
                d = NEG
                Ecur = NEG
            h = max(d, f, Ecur)
            diag = up
            if h < cutoff:
                H[j] = NEG
                F[j] = NEG
                Hleft = NEG
                Ecur = NEG
                if j > hi:
                    break
            else:
                H[j] = h
                F[j] = f
                Hleft = h
                if newlo < 0:
                    newlo = j
                newhi = j
                if h > rmax:
                    rmax, rj = h, j
            j += 1
        if newlo < 0:
            break
        if rmax > best:
            best, bi, bj = rmax, i, rj
        lo, hi = newlo, newhi
    return best, bi, bj


@njit(**_OPTS)
def _xdrop_kernel(pssm, residues, offsets, q0s, s0s, o, e, X, H, F,
                  score, qstart, qend, sstart, send):
    for k in range(offsets.shape[0] - 1):
        q0, s0 = q0s[k], s0s[k]
        if q0 < 0:
            continue
        a = offsets[k]
        L = offsets[k + 1] - a
        lb, li, lj = _extend(pssm, residues, a, L, q0, s0, -1, o, e, X, H, F)
        rb, ri, rj = _extend(pssm, residues, a, L, q0, s0, 1, o, e, X, H, F)
        if lb + rb > 0:
            score[k] = lb + rb
            qstart[k], qend[k] = q0 + 1 - li, q0 + 1 + ri
            sstart[k], send[k] = s0 + 1 - lj, s0 + 1 + rj


@implements("psiblast.xdrop", "numba")
def xdrop(backend, pssm, residues, offsets, seeds, gap_open: int = GAP_OPEN,
          gap_extend: int = GAP_EXTEND, xdrop: int = XDROP):
    """Numba kernel of ``psiblast.xdrop`` (see :mod:`.alignment`)."""
    _check_gaps(gap_open, gap_extend)
    pssm = np.ascontiguousarray(pssm, np.int32)
    residues = np.ascontiguousarray(residues, np.uint8)
    offsets = np.ascontiguousarray(offsets, np.int64)
    n = len(offsets) - 1
    q0, s0 = _seed_points(*(np.asarray(v, np.int64) for v in seeds[:3]))
    lmax = int(np.diff(offsets).max()) if n else 0
    out = [np.zeros(n, np.int32)] + [np.full(n, -1, np.int64) for _ in range(4)]
    _xdrop_kernel(pssm, residues, offsets, q0, s0, np.int32(gap_open), np.int32(gap_extend),
                  np.int32(xdrop), np.zeros(lmax + 2, np.int32), np.zeros(lmax + 2, np.int32),
                  *out)
    return tuple(out)


# -- psiblast.traceback: DP matrices kept, walked back in the kernel --------------------------

@njit(**_OPTS)
def _at(M, rlo, rhi, i, j):
    """Cell (i, j) of a kept DP matrix; NEG (dead) outside row i's written band."""
    if rlo[i] <= j < rhi[i]:
        return M[i, j]
    return NEG


@njit(**_OPTS)
def _sw_keep(pssm, residues, a, L, o, e, H, E, F, rlo, rhi):
    """Smith–Waterman–Gotoh of one window, all cells kept: (best, its row, its column)."""
    m = pssm.shape[0]
    oe = o + e
    for j in range(L + 1):
        H[0, j] = 0
        E[0, j] = NEG
        F[0, j] = NEG
    best, bi, bj = 0, 0, 0
    for i in range(1, m + 1):
        rlo[i - 1], rhi[i - 1] = 0, L + 1
        H[i, 0], E[i, 0], F[i, 0] = 0, NEG, NEG
        row = pssm[i - 1]
        Ecur = NEG
        for j in range(1, L + 1):
            f = max(H[i - 1, j] - oe, F[i - 1, j] - e)
            Ecur = max(H[i, j - 1] - oe, Ecur - e)
            h = max(H[i - 1, j - 1] + row[residues[a + j - 1]], f, Ecur, 0)
            H[i, j], E[i, j], F[i, j] = h, Ecur, f
            if h > best:
                best, bi, bj = h, i, j
    rlo[m], rhi[m] = 0, L + 1
    return best, bi, bj


@njit(**_OPTS)
def _extend_keep(pssm, residues, a, L, q0, s0, direction, o, e, X, H, E, F, rlo, rhi):
    """``_extend`` with every written cell kept (H, E, F; row i written on columns
    [rlo[i], rhi[i]), dead cells NEG): (best, its row, its column)."""
    m = pssm.shape[0]
    oe = o + e
    if direction > 0:
        N = L - s0 - 1
        M = m - q0 - 1
    else:
        N = s0 + 1
        M = q0 + 1
    H[0, 0], E[0, 0], F[0, 0] = 0, NEG, NEG
    hi = 0
    j = 1
    while j <= N and -(o + e * j) >= -X:
        H[0, j] = -(o + e * j)
        E[0, j] = H[0, j]
        F[0, j] = NEG
        hi = j
        j += 1
    rlo[0], rhi[0] = 0, hi + 1
    lo = 0
    best, bi, bj = 0, 0, 0
    for i in range(1, M + 1):
        qpos = q0 + i if direction > 0 else q0 + 1 - i
        row = pssm[qpos]
        cutoff = best - X
        diag = NEG
        Ecur = NEG
        Hleft = NEG
        newlo, newhi = -1, -1
        rmax, rj = NEG, -1
        j = lo
        rlo[i] = lo
        while j <= N:
            if j <= hi:
                up, fup = H[i - 1, j], F[i - 1, j]
            else:
                up, fup = NEG, NEG
            f = max(up - oe, fup - e)
            if j > 0:
                spos = s0 + j if direction > 0 else s0 + 1 - j
                d = diag + row[residues[a + spos]]
                Ecur = max(Hleft - oe, Ecur - e)
            else:
                d = NEG
                Ecur = NEG
            h = max(d, f, Ecur)
            diag = up
            if h < cutoff:
                H[i, j], E[i, j], F[i, j] = NEG, NEG, NEG
                Hleft = NEG
                Ecur = NEG
                if j > hi:
                    break
            else:
                H[i, j], E[i, j], F[i, j] = h, Ecur, f
                Hleft = h
                if newlo < 0:
                    newlo = j
                newhi = j
                if h > rmax:
                    rmax, rj = h, j
            j += 1
        rhi[i] = min(j, N) + 1
        if newlo < 0:
            break
        if rmax > best:
            best, bi, bj = rmax, i, rj
        lo, hi = newlo, newhi
    return best, bi, bj


@njit(**_OPTS)
def _walk_keep(H, E, F, rlo, rhi, i, j, o, e, local, pssm, residues, a, qb, sb, sign,
               pq, ps, n):
    """The walk of :func:`.alignment._walk` on kept matrices: appends the aligned pairs
    (query qb + sign·i, window position sb + sign·j) to pq, ps from index n; returns
    the new count."""
    state = 0                                  # 0: H, 1: E (gap in the query), 2: F
    while i > 0 or j > 0:
        if state == 0:
            v = _at(H, rlo, rhi, i, j)
            if (i > 0 and j > 0 and v == _at(H, rlo, rhi, i - 1, j - 1)
                    + pssm[qb + sign * i, residues[a + sb + sign * j]]):
                pq[n], ps[n] = qb + sign * i, sb + sign * j
                n += 1
                i -= 1
                j -= 1
                if local and _at(H, rlo, rhi, i, j) == 0:
                    break
            elif j > 0 and v == _at(E, rlo, rhi, i, j):
                state = 1
            else:
                state = 2
        elif state == 1:
            if _at(E, rlo, rhi, i, j) == _at(H, rlo, rhi, i, j - 1) - o - e:
                state = 0
            j -= 1
        else:
            if _at(F, rlo, rhi, i, j) == _at(H, rlo, rhi, i - 1, j) - o - e:
                state = 0
            i -= 1
    return n


@njit(**_OPTS)
def _traceback_kernel(pssm, residues, starts, lengths, gapped, seg, o, e, X, H, E, F,
                      rlo, rhi, pq, ps, rows, ranges):
    for k in range(starts.shape[0]):
        a, L = starts[k], lengths[k]
        n = 0
        if gapped:
            if L == 0:
                continue
            best, bi, bj = _sw_keep(pssm, residues, a, L, o, e, H, E, F, rlo, rhi)
            if best <= 0:
                continue
            n = _walk_keep(H, E, F, rlo, rhi, bi, bj, o, e, True, pssm, residues, a,
                           -1, -1, 1, pq, ps, 0)
        else:
            if seg[k, 0] < 0:
                continue
            q0 = (seg[k, 0] + seg[k, 1]) // 2
            s0 = q0 + seg[k, 2] - seg[k, 0]
            lb, li, lj = _extend_keep(pssm, residues, a, L, q0, s0, -1, o, e, X, H, E, F,
                                      rlo, rhi)
            n = _walk_keep(H, E, F, rlo, rhi, li, lj, o, e, False, pssm, residues, a,
                           q0 + 1, s0 + 1, -1, pq, ps, 0)
            rb, ri, rj = _extend_keep(pssm, residues, a, L, q0, s0, 1, o, e, X, H, E, F,
                                      rlo, rhi)
            if lb + rb <= 0:
                continue
            n = _walk_keep(H, E, F, rlo, rhi, ri, rj, o, e, False, pssm, residues, a,
                           q0, s0, 1, pq, ps, n)
        qmin, qmax, smin, smax = pq[0], pq[0], ps[0], ps[0]
        for t in range(1, n):
            qmin, qmax = min(qmin, pq[t]), max(qmax, pq[t])
            smin, smax = min(smin, ps[t]), max(smax, ps[t])
        for c in range(qmin, qmax + 1):
            rows[k, c] = GAP
        for t in range(n):
            rows[k, pq[t]] = residues[a + ps[t]]
        ranges[k, 0], ranges[k, 1], ranges[k, 2], ranges[k, 3] = qmin, qmax + 1, smin, smax + 1


@implements("psiblast.traceback", "numba")
def traceback_batch(backend, pssm, residues, offsets, idx, windows, mode: str, seeds,
                    gap_open: int = GAP_OPEN, gap_extend: int = GAP_EXTEND, xdrop: int = XDROP,
                    slack: int = 0):
    """Numba kernel of ``psiblast.traceback`` (see :mod:`.alignment`): per hit the DP
    of the mode with its cells kept (all of Smith–Waterman's; the X-drop band's, the
    rest read as dead), then the same walk as the specification. The fast mode's
    rows are the specification's vectorised widening (no DP, no loop)."""
    pssm, residues, starts, lengths, windows, seg = _traceback_inputs(
        backend, pssm, residues, offsets, idx, windows, mode, seeds, gap_open, gap_extend, slack)
    m, k = pssm.shape[0], len(starts)
    if mode == "ungapped":
        rows, ranges = _ungapped_rows(m, residues, starts, lengths, seg, slack)
        return rows, _to_whole(ranges, windows)
    lmax = int(lengths.max(initial=0))
    rows = np.full((k, m), NOT_ALIGNED, np.uint8)
    ranges = np.full((k, 4), -1, np.int64)
    H, E, F = (np.empty((m + 1, lmax + 2), np.int32) for _ in range(3))
    _traceback_kernel(pssm, residues, starts, lengths, mode == "gapped", seg, np.int32(gap_open),
                      np.int32(gap_extend), np.int32(xdrop), H, E, F, np.zeros(m + 1, np.int64),
                      np.zeros(m + 1, np.int64), np.empty(m + lmax + 2, np.int64),
                      np.empty(m + lmax + 2, np.int64), rows, ranges)
    return rows, _to_whole(ranges, windows)
