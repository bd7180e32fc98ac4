"""PSI-BLAST's database search: the three scan operators and the tracebacks.

A search scores every database sequence against a PSSM ``int32[m, 20]``
(score of residue ``a`` at query column ``c``: ``pssm[c, a]``). Scores are
integers everywhere, so every backend returns exactly the same arrays. The
database is ``residues: uint8[total]`` and ``offsets: int64[n + 1]``.

Operators (``backend.op("psiblast.<name>")``; the functions here are the
specification, written on ``backend.xp`` so that numpy and torch — CPU or
CUDA — run the same code, vectorised over a chunk of sequences padded to
the chunk's longest; the numba kernels of :mod:`.kernels` are independent
loops tested equal to them):

``psiblast.ungapped(pssm, residues, offsets, word_threshold=11, window=40, word_size=3)``
    The fast mode: BLAST's two-hit seeding (Altschul et al. 1997 NAR
    25:3389). A *word hit* is a pair (query column q, subject position s)
    with ``Σ_{k<w} pssm[q+k, subject[s+k]] ≥ T`` (s is then in the PSSM's
    neighbourhood words of column q). A diagonal ``d = s − q`` is a *seed
    diagonal* when it carries two hits q₁ < q₂ with ``w ≤ q₂ − q₁ < window``
    (non-overlapping, the second within the window — the test of
    ``s_BlastAaWordFinder_TwoHit`` in NCBI's ``aa_ungapped.c``; BLAST keeps
    a single last hit per diagonal and so can miss a pair when an
    overlapping hit or a stale hit intervenes, this definition does not).
    The sequence's score is the maximal-segment score of the PSSM along
    its best seed diagonal, taken over the *whole* diagonal (max-subarray,
    ``max_j (P[j] − min_{i≤j} P[i])`` of the prefix sums P), not by X-drop
    from the hit as BLAST's ungapped extension does: for a hit inside a
    positive segment the two agree unless a negative stretch deeper than
    the ungapped X-drop separates two positive parts. Tie-breaks: highest
    score, then smallest d, then on that diagonal the segment with the
    smallest end and, for that end, the latest start (the shortest
    segment). Returns ``(score int32[n], qstart, qend, sstart, send
    int64[n])`` (0-based, half-open); score 0 and coordinates −1 when the
    sequence has no seed diagonal or its best segment does not score > 0.
``psiblast.gapped(pssm, residues, offsets, gap_open=11, gap_extend=1)``
    Smith–Waterman–Gotoh local alignment (Gotoh 1982 JMB 162:705) with
    BLAST's affine convention: a gap of length k costs ``open + k·extend``.
    Returns ``(score int32[n], qend, send int64[n])``: the best local score
    (0 when nothing scores > 0) and its end cell (exclusive ends; −1 when the
    score is 0). Tie-break: the first best cell in query-major order
    (smallest query end, then smallest subject end).
``psiblast.xdrop(pssm, residues, offsets, seeds, gap_open=11, gap_extend=1, xdrop=XDROP)``
    BLAST's gapped X-drop extension (``Blast_SemiGappedAlign`` in NCBI's
    ``blast_gapalign.c``) in both directions from a seed point on each
    sequence's ungapped segment ``seeds = (qstart, qend, sstart, send)``
    (the output of ``psiblast.ungapped`` without its score). The seed point
    is the segment's middle pair, ``q₀ = (qstart + qend) // 2`` on its
    diagonal (BLAST takes the middle of the best 11-residue window,
    ``BlastGetStartForGappedAlignment``). The left extension consumes query
    ``q₀, q₀−1, …`` against subject ``s₀, s₀−1, …`` (the seed pair included),
    the right one ``q₀+1, …`` against ``s₀+1, …``; each is an anchored
    Gotoh DP (the path starts at the seed corner, ends anywhere; the empty
    extension scores 0) in which a cell is *dead* when its score is below
    ``best − xdrop``, best being the best score of the rows before it (BLAST
    updates its best cell by cell within a row; rows here, so that a row is
    one vector step); a row with no live cell ends the extension. Score =
    left + right; returns ``(score int32[n], qstart, qend, sstart, send
    int64[n])``, −1 and score 0 where the seed is −1 or nothing scores > 0.
    Best cell tie-break: first in query-major order. The default ``XDROP``
    = 64 is psiblast's final gapped X-drop, 25 bits, converted as
    ``blast_parameters.c`` does: ``(Int4)(25·ln 2 / λ)`` with BLOSUM62
    11/1's gapped λ = 0.267 (truncated, not rounded).

``psiblast.traceback(pssm, residues, offsets, idx, windows, mode, seeds, gap_open=11, gap_extend=1, xdrop=XDROP, slack=0)``
    The alignments of an iteration's included hits, one call for all of
    them: ``idx int64[k]`` the sequences, ``windows int64[k, 2]`` the subject
    range [lo, hi) each may use (the whole sequence, or the range frozen at
    its first inclusion; residues outside are not available), ``seeds
    int64[k, 4]`` their ungapped segments (qstart, qend, sstart, send) in
    whole-sequence coordinates, clipped to the window along their diagonal
    (nothing left → nothing aligned). ``mode`` ``"ungapped"``: the clipped
    segment widened by ``slack`` residues at each end along its diagonal,
    clipped to the query and the window (the slack models the over-run of
    gapped extensions past the maximal segment); ``"gapped"``: the
    Smith–Waterman optimum inside the window (seeds ignored; the same optimum
    as ``psiblast.gapped`` on the window); ``"xdrop"``: the X-drop extension
    from the clipped seed (as ``psiblast.xdrop`` on the window). Returns
    ``rows uint8[k, m]``, the query-anchored MSA rows (the subject residue
    aligned to each query column, ``GAP`` where the query column faces a
    gap, ``NOT_ALIGNED`` outside the aligned query range; subject insertions
    are dropped, as in psiblast's query-anchored MSA), and ``ranges int64[k,
    4]`` (qstart, qend, sstart, send) in whole-sequence coordinates, −1 where
    nothing aligns. The specification keeps every DP row of a chunk of hits
    (vectorised over the hits) and walks each hit back on the host; the numba
    kernel keeps one hit's cells at a time (the X-drop band's) and walks in
    the kernel. :func:`gapped_path` and :func:`xdrop_path` give one subject's
    score and aligned pairs through the same specification. Path
    tie-breaks, walking back from the end cell (the first best cell in
    query-major order): a match (diagonal) step first, then a gap in the
    query (subject insertion), then a gap in the subject; in a gap, opening
    before extending; a local path stops at the first diagonal step from a
    zero cell.

The vectorised row recurrence computes the horizontal gap score E of a
row from the row's match/vertical scores alone,
``E[j] = max_{k<j} (H'[k] − open − extend·(j − k))`` (a cumulative max),
which equals Gotoh's recurrence because reopening a gap right after a gap
never beats extending it when ``open ≥ 0``.

Torch: all three scans run on torch through this specification (CPU and
CUDA); the gapped modes take one vector step per query row, so they are
meant for a GPU — on CPU use numba. Memory is bounded by processing
sequences in chunks of about :data:`CHUNK_CELLS` cells.
"""

from __future__ import annotations

import math

import numpy as np

from ...engine.kernels import implements
from .matrices import GAP, NOT_ALIGNED

GAP_OPEN, GAP_EXTEND = 11, 1
WORD_SIZE, WORD_THRESHOLD, WINDOW = 3, 11, 40
XDROP = int(25 * math.log(2) / 0.267)   # 64: psiblast's final gapped X-drop (25 bits)
NEG = -(1 << 28)                        # a dead cell; far from int32's limit
CHUNK_CELLS = 1 << 21                   # cells per chunk of a vectorised scan


# -- array helpers shared by numpy and torch -----------------------------------------------

def _is_np(x) -> bool:
    return isinstance(x, np.ndarray)


def _full(ref, shape, value, dtype=None):
    """An array of ``value`` like ``ref`` (its library, device and dtype unless given)."""
    if _is_np(ref):
        return np.full(shape, value, dtype or ref.dtype)
    import torch

    return torch.full(shape, value, dtype=dtype or ref.dtype, device=ref.device)


def _arange(ref, n: int):
    if _is_np(ref):
        return np.arange(n)
    import torch

    return torch.arange(n, device=ref.device)


def _long(x):
    return x.astype(np.int64) if _is_np(x) else x.long()


def _i32(x):
    return x.astype(np.int32) if _is_np(x) else x.int()


def _cummax(x):
    if _is_np(x):
        return np.maximum.accumulate(x, axis=-1)
    import torch

    return torch.cummax(x, -1).values


def _amax(x):
    return x.max(-1) if _is_np(x) else x.amax(-1)


def _check_gaps(gap_open: int, gap_extend: int) -> None:
    if gap_open < 0 or gap_extend < 0 or gap_open + gap_extend <= 0:
        raise ValueError(f"psiblast: gap costs need open >= 0, extend >= 0, open + extend > 0 "
                         f"(got {gap_open}, {gap_extend})")


def _chunks(offsets_host: np.ndarray, cells_per_residue: int):
    """Consecutive sequence ranges [a, b) of about CHUNK_CELLS cells each."""
    n = len(offsets_host) - 1
    lmax = int(np.diff(offsets_host).max()) if n else 0
    size = max(1, CHUNK_CELLS // max(1, cells_per_residue * max(lmax, 1)))
    return [(a, min(n, a + size)) for a in range(0, n, size)]


def _batch(residues, offsets, a: int, b: int):
    """Sequences a..b−1 padded to their longest: (codes int64[c, L], valid bool[c, L], lengths)."""
    lengths = offsets[a + 1:b + 1] - offsets[a:b]
    lmax = max(int(lengths.max()), 1)
    col = _arange(offsets, lmax)
    valid = col[None, :] < lengths[:, None]
    pos = offsets[a:b, None] + col[None, :]
    pos = pos * valid                                   # padding reads residue 0, masked
    if residues.shape[0] == 0:                          # only empty sequences
        return pos, valid, lengths
    return _long(residues[pos]), valid, lengths


def _host_offsets(backend, offsets) -> np.ndarray:
    return np.asarray(backend.to_numpy(offsets), np.int64)


# -- ungapped: two-hit seeds, maximal segment of the best seed diagonal --------------------

def _ungapped_chunk(pssm, codes, lengths, T: int, window: int, w: int):
    """The fast mode on one padded chunk; see the module docstring."""
    c, lmax = codes.shape
    m = pssm.shape[0]
    D = m + lmax - 1
    d = _arange(codes, D) - (m - 1)                     # diagonal d = s − q
    q = _arange(codes, m)
    s = d[:, None] + q[None, :]                          # (D, m) subject position
    inr = (s >= 0)[None] & (s[None] < lengths[:, None, None])     # (c, D, m)
    res = codes[:, s.clip(0, lmax - 1)]
    S = pssm[q[None, None, :], res] * inr                # per-residue scores, 0 off the sequence
    S = _i32(S)
    mw = m - w + 1
    if mw > w:
        W = S[..., :mw]
        for k in range(1, w):
            W = W + S[..., k:k + mw]
        hits = inr[..., :mw] & inr[..., w - 1:w - 1 + mw] & (W >= T)
        qq = _arange(codes, mw)
        last = _cummax(hits * (qq + (1 << 30)) - (1 << 30))   # latest hit ≤ q, else −2³⁰
        two = hits[..., w:] & ((qq[w:] - last[..., :mw - w]) < window)
        seed = two.any(-1)
    else:
        seed = _full(lengths, (c, D), 0) > 0
    P = S.cumsum(-1)                                     # P[j+1] of the module docstring
    floor = -_cummax(-P)
    floor = floor * (floor < 0)                          # min(0, min_{i≤j} P): P[0] = 0 included
    gain = P - floor
    g = _amax(gain)                                      # (c, D) best segment per diagonal
    jd = gain.argmax(-1)
    sc = (g + 1) * seed - 1                              # −1 off the seed diagonals
    best = _amax(sc)
    dstar = sc.argmax(-1)                                # first: smallest d
    rows = _arange(codes, c)
    prow = P[rows, dstar]                                # (c, m)
    qend = jd[rows, dstar] + 1
    minval = prow[rows, qend - 1] - best
    cand = (prow == minval[:, None]) & (q[None, :] <= (qend - 2)[:, None])
    qstart = _amax(cand * (q[None, :] + 1))              # latest start; 0 when the min is P[0]
    has = best > 0
    dval = dstar - (m - 1)
    score = _i32(best * has)
    neg = _long(has) - 1                                 # 0 where a segment, −1 where none
    qstart, qend = _long(qstart), _long(qend)

    def keep(v):
        return v * _long(has) + neg

    return score, keep(qstart), keep(qend), keep(qstart + dval), keep(qend + dval)


@implements("psiblast.ungapped", "numpy", "torch")
def ungapped(backend, pssm, residues, offsets, word_threshold: int = WORD_THRESHOLD,
             window: int = WINDOW, word_size: int = WORD_SIZE):
    """Two-hit seeded maximal-segment scores; see the module docstring."""
    pssm = _i32(backend.asarray(pssm))
    residues, offsets = backend.asarray(residues), _long(backend.asarray(offsets))
    host = _host_offsets(backend, offsets)
    m = pssm.shape[0]
    parts = [_ungapped_chunk(pssm, *_batch(residues, offsets, a, b)[::2], word_threshold,
                             window, word_size)
             for a, b in _chunks(host, 2 * m)]
    return _concat(backend, parts, 5, len(host) - 1)


def _concat(backend, parts, k: int, n: int):
    """Concatenate k per-chunk outputs (an empty database gives empty arrays)."""
    if not parts:
        return tuple([backend.asarray(np.zeros(0, np.int32))]
                     + [backend.asarray(np.zeros(0, np.int64))] * (k - 1))
    if backend.xp is np:
        return tuple(np.concatenate([p[i] for p in parts]) for i in range(k))
    return tuple(backend.xp.cat([p[i] for p in parts]) for i in range(k))


# -- gapped: Smith–Waterman–Gotoh, row by row -----------------------------------------------

def _gap_row(Hp, o: int, e: int, jj):
    """E of a row from its match/vertical scores Hp (column 0 = the row's first cell):
    ``E[j] = max_{k<j} (Hp[k] + e·k) − o − e·j``; −∞ (NEG) at column 0."""
    A = _cummax(Hp + e * jj)
    E = _full(Hp, Hp.shape, NEG)
    E[..., 1:] = A[..., :-1] - o - e * jj[1:]
    return E


def _sw_rows(pssm, codes, valid, o: int, e: int, keep: bool = False):
    """Row-by-row Smith–Waterman–Gotoh over a padded chunk. Returns
    (best, best row i (1-based), best column j (1-based)) and, with ``keep``, the full
    (H, E, F) matrices of shape (c, m+1, L+1)."""
    c, lmax = codes.shape
    m = pssm.shape[0]
    jj = _arange(codes, lmax + 1)
    Hprev = _full(pssm, (c, lmax + 1), 0)
    Fprev = _full(pssm, (c, lmax + 1), NEG)
    colok = _full(valid, (c, lmax + 1), False)
    colok[:, 1:] = valid
    best = _full(pssm, (c,), 0)
    bi = _full(codes, (c,), 0)
    bj = _full(codes, (c,), 0)
    mats = [] if keep else None
    if keep:
        mats.append((Hprev, _full(pssm, (c, lmax + 1), NEG), Fprev))
    for i in range(m):
        sc = pssm[i][codes]                              # (c, L)
        F = _amax_pair(Hprev - (o + e), Fprev - e)
        Hp = _full(pssm, (c, lmax + 1), 0)
        Hp[:, 1:] = _amax_pair(_amax_pair(Hprev[:, :-1] + sc, F[:, 1:]), 0 * sc)
        E = _gap_row(Hp, o, e, jj)
        H = _amax_pair(Hp, E) * colok
        F = _dead(F, colok)
        rmax = _amax(H)
        better = rmax > best
        best = best + (rmax - best) * better
        bi = bi + (i + 1 - bi) * better
        bj = bj + (H.argmax(-1) - bj) * better
        if keep:
            mats.append((H, E, F))
        Hprev, Fprev = H, F
    return best, bi, bj, mats


def _amax_pair(a, b):
    return np.maximum(a, b) if _is_np(a) else a.maximum(b)


@implements("psiblast.gapped", "numpy", "torch")
def gapped(backend, pssm, residues, offsets, gap_open: int = GAP_OPEN,
           gap_extend: int = GAP_EXTEND):
    """Smith–Waterman–Gotoh scores and end cells; see the module docstring."""
    _check_gaps(gap_open, gap_extend)
    pssm = _i32(backend.asarray(pssm))
    residues, offsets = backend.asarray(residues), _long(backend.asarray(offsets))
    host = _host_offsets(backend, offsets)
    parts = []
    for a, b in _chunks(host, 8):
        codes, valid, _ = _batch(residues, offsets, a, b)
        best, bi, bj, _ = _sw_rows(pssm, codes, valid, gap_open, gap_extend)
        has = _long(best > 0)
        parts.append((_i32(best), bi * has + has - 1, bj * has + has - 1))
    return _concat(backend, parts, 3, len(host) - 1)


# -- xdrop: BLAST's gapped X-drop extension from the ungapped segment's middle ---------------

def _xdrop_rows(pssm, codes, valid, qbase, sdir_valid, direction: int, o: int, e: int,
                X: int, keep: bool = False):
    """One direction of the X-drop extension over a padded chunk.

    ``codes[k, j−1]`` is the subject residue consumed by column j of sequence
    k (already in extension order), ``valid`` marks real ones; row i consumes
    query column ``qbase[k] + direction·i``. Returns (best, its row, its
    column) per sequence and, with ``keep``, the (H, E, F) rows."""
    c, lmax = codes.shape
    m = pssm.shape[0]
    jj = _arange(codes, lmax + 1)
    colok = _full(valid, (c, lmax + 1), True)
    colok[:, 1:] = valid
    cut0 = -X
    H = -(o + e * jj)[None, :] + _full(pssm, (c, lmax + 1), 0)
    H[:, 0] = 0
    alive = (H >= cut0) & colok & sdir_valid[:, None]
    H = _dead(H, alive)
    E0 = _dead(H, alive)
    E0[:, 0] = NEG
    F = _full(pssm, (c, lmax + 1), NEG)
    best = _full(pssm, (c,), 0)
    bi = _full(codes, (c,), 0)
    bj = _full(codes, (c,), 0)
    mats = [(H, E0, F)] if keep else None
    i = 0
    while bool(alive.any()) and i < m:
        i += 1
        qpos = qbase + direction * i
        rowok = (qpos >= 0) & (qpos < m)
        sc = pssm[(qpos * rowok)[:, None], codes]        # (c, L)
        F = _amax_pair(H - (o + e), F - e)
        Hp = F.copy() if _is_np(F) else F.clone()
        Hp[:, 1:] = _amax_pair(H[:, :-1] + sc, F[:, 1:])
        E = _gap_row(Hp, o, e, jj)
        Hn = _amax_pair(Hp, E)
        cutoff = best - X
        alive = (Hn >= cutoff[:, None]) & colok & rowok[:, None]
        H, E, F = _dead(Hn, alive), _dead(E, alive), _dead(F, alive)
        rmax = _amax(H)
        better = rmax > best
        best = best + (rmax - best) * better
        bi = bi + (i - bi) * better
        bj = bj + (H.argmax(-1) - bj) * better
        if keep:
            mats.append((H, E, F))
    return best, bi, bj, mats


def _dead(x, alive):
    """``x`` where alive, NEG elsewhere."""
    return x * alive + NEG * ~alive


def _seed_points(qstart, qend, sstart):
    """The seed pair of each ungapped segment: its middle (q₀, s₀); −1 where none."""
    q0 = (qstart + qend) // 2
    has = qstart >= 0
    return q0 * has + _long(has) - 1, (q0 + sstart - qstart) * has + _long(has) - 1


def _directional(codes, lengths, s0, direction: int):
    """Subject residues in extension order from s₀ (left: s₀, s₀−1, …; right: s₀+1, …)."""
    j = _arange(codes, codes.shape[1])
    pos = s0[:, None] + (1 + j[None, :] if direction > 0 else -j[None, :])
    ok = (pos >= 0) & (pos < lengths[:, None]) & (s0 >= 0)[:, None]
    pos = pos * ok
    return codes.gather(1, pos) if not _is_np(codes) else np.take_along_axis(codes, pos, 1), ok


def _xdrop_chunk(pssm, codes, lengths, q0, s0, o, e, X, keep=False):
    """Both extensions for one chunk: (score, qstart, qend, sstart, send[, mats])."""
    has_seed = q0 >= 0
    lc, lok = _directional(codes, lengths, s0, -1)
    rc, rok = _directional(codes, lengths, s0, +1)
    lb, li, lj, lm = _xdrop_rows(pssm, lc, lok, q0 + 1, has_seed, -1, o, e, X, keep)
    rb, ri, rj, rm = _xdrop_rows(pssm, rc, rok, q0, has_seed, +1, o, e, X, keep)
    score = lb + rb
    has = _long(score > 0) * _long(has_seed)
    out = (_i32(score * has),) + tuple(v * has + has - 1 for v in
                                        (q0 + 1 - li, q0 + 1 + ri, s0 + 1 - lj, s0 + 1 + rj))
    return out + ((lm, rm),) if keep else out


@implements("psiblast.xdrop", "numpy", "torch")
def xdrop(backend, pssm, residues, offsets, seeds, gap_open: int = GAP_OPEN,
          gap_extend: int = GAP_EXTEND, xdrop: int = XDROP):
    """Gapped X-drop extension from the ungapped segments ``seeds``; see the module docstring."""
    _check_gaps(gap_open, gap_extend)
    pssm = _i32(backend.asarray(pssm))
    residues, offsets = backend.asarray(residues), _long(backend.asarray(offsets))
    qs, qe, ss = (_long(backend.asarray(v)) for v in seeds[:3])
    q0, s0 = _seed_points(qs, qe, ss)
    host = _host_offsets(backend, offsets)
    parts = []
    for a, b in _chunks(host, 16):
        codes, _, lengths = _batch(residues, offsets, a, b)
        parts.append(_xdrop_chunk(pssm, codes, lengths, q0[a:b], s0[a:b],
                                  gap_open, gap_extend, xdrop))
    return _concat(backend, parts, 5, len(host) - 1)


# -- tracebacks: the alignments of the included hits, one batch per iteration -------------

def _walk(H, E, F, score, i: int, j: int, o: int, e: int, local: bool):
    """Cells (i, j) of the diagonal (match) steps of the path ending at cell (i, j)
    of one DP (H, E, F: (rows+1, cols+1)), from last to first; ``score(i, j)`` is the
    match score of the cell. A local path stops at a diagonal step from a zero
    cell, an anchored one at the corner (0, 0). Tie-breaks: see the module docstring."""
    cells = []
    state = "H"
    while i > 0 or j > 0:
        if state == "H":
            v = H[i, j]
            if i > 0 and j > 0 and v == H[i - 1, j - 1] + score(i, j):
                cells.append((i, j))
                i, j = i - 1, j - 1
                if local and H[i, j] == 0:
                    break
            elif j > 0 and v == E[i, j]:
                state = "E"
            else:
                state = "F"
        elif state == "E":
            state = "H" if E[i, j] == H[i, j - 1] - o - e else "E"
            j -= 1
        else:
            state = "H" if F[i, j] == H[i - 1, j] - o - e else "F"
            i -= 1
    return cells


def _stack(mats, k: int) -> np.ndarray:
    """Matrix k (0: H, 1: E, 2: F) of a batch's DP from its rows: (c, rows, cols)."""
    return np.stack([row[k] for row in mats], 1)


def _pairs(cells) -> np.ndarray:
    """Aligned (query column, subject position) pairs int64[k, 2] in order."""
    return np.array(sorted(cells), np.int64).reshape(-1, 2)


def _gapped_paths(pssm, codes, valid, o: int, e: int):
    """Smith–Waterman–Gotoh optima of a padded batch (host numpy): scores int[c] and,
    per sequence, its aligned pairs (empty where the score is 0)."""
    best, bi, bj, mats = _sw_rows(pssm, codes, valid, o, e, keep=True)
    H, E, F = (_stack(mats, k) for k in range(3))
    paths = []
    for h in range(len(best)):
        cells = [] if best[h] <= 0 else _walk(
            H[h], E[h], F[h], lambda i, j, h=h: pssm[i - 1, codes[h, j - 1]],
            int(bi[h]), int(bj[h]), o, e, local=True)
        paths.append(_pairs([(i - 1, j - 1) for i, j in cells]))
    return best, paths


def _xdrop_paths(pssm, codes, lengths, q0, s0, o: int, e: int, X: int):
    """X-drop extensions of a padded batch from the seed points (q0, s0) (host numpy):
    scores int[c] and, per sequence, its aligned pairs (empty where the score is 0).
    Each direction walks back from its first best cell (query-major)."""
    out = _xdrop_chunk(pssm, codes, lengths, q0, s0, o, e, X, keep=True)
    score = out[0]
    paths = [[] for _ in range(len(score))]
    for mats, sign in ((out[5][0], -1), (out[5][1], +1)):
        H, E, F = (_stack(mats, k) for k in range(3))
        base = 1 if sign < 0 else 0
        for h in np.flatnonzero(score > 0):
            i, j = divmod(int(np.argmax(H[h])), H.shape[2])
            qb, sb = int(q0[h]) + base, int(s0[h]) + base
            steps = _walk(H[h], E[h], F[h],
                          lambda i, j, h=h, qb=qb, sb=sb, sg=sign: pssm[qb + sg * i,
                                                                        codes[h, sb + sg * j]],
                          i, j, o, e, local=False)
            paths[h] += [(qb + sign * a, sb + sign * b) for a, b in steps]
    return score, [_pairs(p) for p in paths]


def gapped_path(pssm, subject, gap_open: int = GAP_OPEN, gap_extend: int = GAP_EXTEND):
    """The Smith–Waterman–Gotoh optimum of one subject: (score, pairs int64[k, 2]), the
    aligned (query column, subject position) pairs in order — the same score and end
    cell as ``psiblast.gapped``."""
    _check_gaps(gap_open, gap_extend)
    pssm = np.asarray(pssm, np.int32)
    codes = np.asarray(subject, np.int64)[None, :]
    if codes.shape[1] == 0:
        return 0, np.zeros((0, 2), np.int64)
    best, paths = _gapped_paths(pssm, codes, np.ones(codes.shape, bool), gap_open, gap_extend)
    return int(best[0]), paths[0]


def xdrop_path(pssm, subject, seed, gap_open: int = GAP_OPEN, gap_extend: int = GAP_EXTEND,
               xdrop: int = XDROP):
    """The X-drop extension of one subject from the ungapped segment ``seed`` =
    (qstart, qend, sstart, send): (score, pairs int64[k, 2]) — the same score and
    ranges as ``psiblast.xdrop``."""
    _check_gaps(gap_open, gap_extend)
    pssm = np.asarray(pssm, np.int32)
    codes = np.asarray(subject, np.int64)[None, :]
    if seed[0] < 0 or codes.shape[1] == 0:
        return 0, np.zeros((0, 2), np.int64)
    q0, s0 = _seed_points(*(np.array([v], np.int64) for v in seed[:3]))
    score, paths = _xdrop_paths(pssm, codes, np.array([codes.shape[1]], np.int64), q0, s0,
                                gap_open, gap_extend, xdrop)
    return int(score[0]), paths[0]


def _row(m: int, subject: np.ndarray, pairs: np.ndarray):
    """The query-anchored row of an alignment given by its pairs, and its ranges."""
    row = np.full(m, NOT_ALIGNED, np.uint8)
    if len(pairs) == 0:
        return row, (-1, -1, -1, -1)
    q, s = pairs[:, 0], pairs[:, 1]
    row[q[0]:q[-1] + 1] = GAP
    row[q] = subject[s]
    return row, (int(q[0]), int(q[-1]) + 1, int(s[0]), int(s[-1]) + 1)


TRACEBACK_MODES = ("ungapped", "gapped", "xdrop")


def _traceback_inputs(backend, pssm, residues, offsets, idx, windows, mode, seeds,
                      gap_open: int, gap_extend: int, slack: int):
    """Host arrays of a ``psiblast.traceback`` call, checked: (pssm int32[m, 20],
    residues uint8, starts int64[k] (first residue of each window), lengths
    int64[k] (window lengths), windows int64[k, 2], seg int64[k, 4] (the seeds
    clipped to the windows along their diagonals, in window coordinates; −1
    rows where nothing of a seed is left))."""
    if mode not in TRACEBACK_MODES:
        raise ValueError(f"psiblast: traceback mode must be one of {TRACEBACK_MODES}, got {mode!r}")
    if slack < 0:
        raise ValueError(f"psiblast: slack must be >= 0, got {slack}")
    _check_gaps(gap_open, gap_extend)
    host = backend.to_numpy
    pssm = np.ascontiguousarray(host(pssm), np.int32)
    residues = np.ascontiguousarray(host(residues), np.uint8)
    offsets = np.asarray(host(offsets), np.int64)
    idx = np.asarray(host(idx), np.int64).reshape(-1)
    windows = np.asarray(host(windows), np.int64).reshape(-1, 2)
    seeds = np.asarray(host(seeds), np.int64).reshape(-1, 4)
    if not len(idx) == len(windows) == len(seeds):
        raise ValueError(f"psiblast: traceback needs one window and one seed per hit "
                         f"(got {len(idx)} hits, {len(windows)} windows, {len(seeds)} seeds)")
    lo, hi = windows[:, 0], windows[:, 1]
    full = offsets[idx + 1] - offsets[idx]
    if ((lo < 0) | (hi < lo) | (hi > full)).any():
        raise ValueError("psiblast: traceback windows must satisfy 0 <= lo <= hi <= length")
    qs, ss, se = seeds[:, 0], seeds[:, 2], seeds[:, 3]
    a, b = np.maximum(ss, lo), np.minimum(se, hi)
    ok = (qs >= 0) & (a < b)
    seg = np.where(ok[:, None], np.stack([qs + a - ss, qs + b - ss, a - lo, b - lo], 1), -1)
    return pssm, residues, offsets[idx] + lo, hi - lo, windows, seg


def _ungapped_rows(m: int, residues, starts, lengths, seg, slack: int):
    """The fast mode's rows (vectorised over the hits): each segment widened by ``slack``
    residues at each end along its diagonal, clipped to the query and the window.
    Returns rows uint8[k, m] and ranges int64[k, 4] in window coordinates."""
    qs, qe, ss, se = seg.T
    has = qs >= 0
    q0 = qs - np.minimum(slack, np.minimum(qs, ss))
    q1 = qe + np.minimum(slack, np.minimum(m - qe, lengths - se))
    d = ss - qs
    cols = np.arange(m)
    inside = has[:, None] & (cols >= q0[:, None]) & (cols < q1[:, None])
    rows = np.full(inside.shape, NOT_ALIGNED, np.uint8)
    if inside.any():
        rows[inside] = residues[((starts + d)[:, None] + cols) * inside][inside]
    ranges = np.where(has[:, None], np.stack([q0, q1, q0 + d, q1 + d], 1), -1)
    return rows, ranges


def _to_whole(ranges, windows):
    """Ranges in window coordinates → whole-sequence subject coordinates (−1 stays)."""
    shift = windows[:, :1] * (ranges[:, 2:] >= 0)
    return np.concatenate([ranges[:, :2], ranges[:, 2:] + shift], 1)


@implements("psiblast.traceback", "numpy", "torch")
def traceback_batch(backend, pssm, residues, offsets, idx, windows, mode: str, seeds,
                    gap_open: int = GAP_OPEN, gap_extend: int = GAP_EXTEND, xdrop: int = XDROP,
                    slack: int = 0):
    """The alignments of the hits ``idx`` in ``mode``, one batch; see the module docstring.

    The DP rows are vectorised over a chunk of hits (host numpy: the walks are
    sequential); torch runs this specification on host copies and returns
    tensors on its device."""
    pssm, residues, starts, lengths, windows, seg = _traceback_inputs(
        backend, pssm, residues, offsets, idx, windows, mode, seeds, gap_open, gap_extend, slack)
    m, k = pssm.shape[0], len(starts)
    if mode == "ungapped":
        rows, ranges = _ungapped_rows(m, residues, starts, lengths, seg, slack)
        return backend.asarray(rows), backend.asarray(_to_whole(ranges, windows))
    rows = np.full((k, m), NOT_ALIGNED, np.uint8)
    ranges = np.full((k, 4), -1, np.int64)
    wins = np.concatenate([[0], np.cumsum(lengths)])   # chunks sized like a database of windows
    for a, b in _chunks(wins, 2 * m):
        if lengths[a:b].max(initial=0) == 0:
            continue
        col = np.arange(int(lengths[a:b].max()))
        valid = col[None, :] < lengths[a:b, None]
        codes = residues[(starts[a:b, None] + col) * valid].astype(np.int64)
        if mode == "gapped":
            _, paths = _gapped_paths(pssm, codes, valid, gap_open, gap_extend)
        else:
            q0, s0 = _seed_points(*seg[a:b, :3].T)
            _, paths = _xdrop_paths(pssm, codes, lengths[a:b], q0, s0, gap_open, gap_extend,
                                    xdrop)
        for h, pairs in enumerate(paths):
            rows[a + h], ranges[a + h] = _row(m, codes[h], pairs)
    return backend.asarray(rows), backend.asarray(_to_whole(ranges, windows))


from . import kernels  # noqa: F401  (registers the numba operators)
