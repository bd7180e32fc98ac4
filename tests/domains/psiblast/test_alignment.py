"""The search operators: brute-force oracles written from the definitions, exact
equality of numpy, numba and torch, and tracebacks that re-score to the scans."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
import torch

from collapsesim.domains.psiblast import alignment as al
from collapsesim.domains.psiblast.matrices import BLOSUM62, GAP, NOT_ALIGNED
from collapsesim.engine import get_backend

BACKENDS = ["numpy", "numba", "torch"]


def _db(seqs):
    lens = [len(s) for s in seqs]
    res = np.concatenate([np.asarray(s, np.uint8) for s in seqs] + [np.zeros(0, np.uint8)])
    return res, np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)


def _random_case(seed: int, m: int = 30, n: int = 40, lmax: int = 90):
    """A query's BLOSUM62 PSSM (plus noise) and a database mixing random sequences,
    empty and very short ones, and mutated copies of query pieces with insertions."""
    rng = np.random.default_rng(seed)
    q = rng.integers(0, 20, m)
    pssm = (BLOSUM62[q] + rng.integers(-2, 3, (m, 20))).astype(np.int32)
    seqs = [np.zeros(0, np.uint8), rng.integers(0, 20, 1), rng.integers(0, 20, 2)]
    while len(seqs) < n:
        if rng.random() < 0.5:
            a = int(rng.integers(0, m // 2))
            b = int(rng.integers(a + 1, m + 1))
            piece = q[a:b].copy()
            mut = rng.random(len(piece)) < 0.2
            piece[mut] = rng.integers(0, 20, mut.sum())
            cut = int(rng.integers(0, len(piece) + 1))
            ins = rng.integers(0, 20, int(rng.integers(0, 4)))
            s = np.concatenate([rng.integers(0, 20, int(rng.integers(0, 20))), piece[:cut], ins,
                                piece[cut:], rng.integers(0, 20, int(rng.integers(0, 20)))])
        else:
            s = rng.integers(0, 20, int(rng.integers(0, lmax)))
        seqs.append(s.astype(np.uint8))
    return pssm, seqs


# -- oracles: plain loops over the definitions ----------------------------------------------

def _oracle_ungapped(pssm, subj, T=11, window=40, w=3):
    m, L = len(pssm), len(subj)
    best = (0, -1, -1, -1, -1)
    for d in range(-(m - 1), L):
        qs = [q for q in range(m - w + 1) if 0 <= q + d and q + d + w <= L
              and sum(pssm[q + k, subj[q + d + k]] for k in range(w)) >= T]
        if not any(w <= q2 - q1 < window for q1 in qs for q2 in qs):
            continue
        for j in range(max(0, -d), min(m, L - d)):          # segments by end, then start
            for i in range(j, max(0, -d) - 1, -1):
                sc = sum(pssm[q, subj[q + d]] for q in range(i, j + 1))
                if sc > best[0]:
                    best = (sc, i, j + 1, i + d, j + 1 + d)
    return best


def _oracle_sw(pssm, subj, o=11, e=1):
    m, L = len(pssm), len(subj)
    H = np.zeros((m + 1, L + 1), int)
    E = np.full((m + 1, L + 1), -10**9)
    F = np.full((m + 1, L + 1), -10**9)
    best = (0, -1, -1)
    for i in range(1, m + 1):
        for j in range(1, L + 1):
            E[i, j] = max(H[i, j - 1] - o - e, E[i, j - 1] - e)
            F[i, j] = max(H[i - 1, j] - o - e, F[i - 1, j] - e)
            H[i, j] = max(0, H[i - 1, j - 1] + pssm[i - 1, subj[j - 1]], E[i, j], F[i, j])
            if H[i, j] > best[0]:
                best = (H[i, j], i, j)
    return best


def _oracle_extend(score, M, N, o, e, X):
    """Anchored X-drop extension, cell by cell; dead = below (best of earlier rows) − X."""
    NEG = -10**9
    H = np.full((M + 1, N + 1), NEG)
    E = np.full((M + 1, N + 1), NEG)
    F = np.full((M + 1, N + 1), NEG)
    H[0, 0] = 0
    for j in range(1, N + 1):
        E[0, j] = max(H[0, j - 1] - o - e, E[0, j - 1] - e)
        H[0, j] = E[0, j] if E[0, j] >= -X else NEG
    best = (0, 0, 0)
    for i in range(1, M + 1):
        cut = best[0] - X
        row = (NEG, -1)
        for j in range(N + 1):
            F[i, j] = max(H[i - 1, j] - o - e, F[i - 1, j] - e)
            h = F[i, j]
            if j > 0:
                E[i, j] = max(H[i, j - 1] - o - e, E[i, j - 1] - e)
                h = max(h, H[i - 1, j - 1] + score(i, j), E[i, j])
            if h < cut:
                H[i, j] = E[i, j] = F[i, j] = NEG
            else:
                H[i, j] = h
                if h > row[0]:
                    row = (h, j)
        if row[1] < 0:
            break
        if row[0] > best[0]:
            best = (row[0], i, row[1])
    return best


def _oracle_xdrop(pssm, subj, seg, o=11, e=1, X=al.XDROP):
    if seg[0] < 0:
        return (0, -1, -1, -1, -1)
    m, L = len(pssm), len(subj)
    q0 = (seg[0] + seg[1]) // 2
    s0 = q0 + seg[2] - seg[0]
    lb, li, lj = _oracle_extend(lambda i, j: pssm[q0 + 1 - i, subj[s0 + 1 - j]], q0 + 1, s0 + 1,
                                o, e, X)
    rb, ri, rj = _oracle_extend(lambda i, j: pssm[q0 + i, subj[s0 + j]], m - q0 - 1, L - s0 - 1,
                                o, e, X)
    if lb + rb <= 0:
        return (0, -1, -1, -1, -1)
    return (lb + rb, q0 + 1 - li, q0 + 1 + ri, s0 + 1 - lj, s0 + 1 + rj)


def _rescore(pssm, subj, pairs, o=11, e=1):
    """Score of an alignment path given by its aligned pairs (gaps between them)."""
    sc = sum(int(pssm[q, subj[s]]) for q, s in pairs)
    for (q1, s1), (q2, s2) in pairwise(pairs):
        assert q2 > q1 and s2 > s1
        for gap in (q2 - q1 - 1, s2 - s1 - 1):
            if gap:
                sc -= o + e * gap
    return sc


def _run(backend, pssm, res, off, T=11, window=40):
    b = get_backend(backend)
    u = tuple(b.to_numpy(v) for v in b.op("psiblast.ungapped")(pssm, res, off, T, window))
    g = tuple(b.to_numpy(v) for v in b.op("psiblast.gapped")(pssm, res, off, 11, 1))
    x = tuple(b.to_numpy(v) for v in b.op("psiblast.xdrop")(pssm, res, off, u[1:], 11, 1))
    return u, g, x


# -- tests ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1])
def test_numpy_specification_matches_oracles(seed):
    pssm, seqs = _random_case(seed, m=14, n=25, lmax=40)
    res, off = _db(seqs)
    u, g, x = _run("numpy", pssm, res, off, T=7)
    assert (u[0] > 0).sum() >= 5 and (g[0] > 0).sum() >= 20     # the case exercises the modes
    for k, s in enumerate(seqs):
        assert tuple(int(v[k]) for v in u) == _oracle_ungapped(pssm, s, T=7), k
        assert tuple(int(v[k]) for v in g) == _oracle_sw(pssm, s), k
        seg = tuple(int(v[k]) for v in u[1:])
        assert tuple(int(v[k]) for v in x) == _oracle_xdrop(pssm, s, seg), k


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_backends_equal(seed):
    pssm, seqs = _random_case(seed)
    res, off = _db(seqs)
    ref = _run("numpy", pssm, res, off)
    assert (ref[0][0] > 0).sum() >= 5 and (ref[2][0] > 0).sum() >= 5
    for backend in ("numba", "torch"):
        out = _run(backend, pssm, res, off)
        for a, b in zip(sum(ref, ()), sum(out, ())):
            assert a.dtype == b.dtype and np.array_equal(a, b), backend


@pytest.mark.parametrize("backend", BACKENDS)
def test_edge_cases(backend):
    rng = np.random.default_rng(5)
    pssm = BLOSUM62[[4]].astype(np.int32)                 # length-1 query: no word, no seed
    res, off = _db([np.zeros(0, np.uint8), np.array([4], np.uint8), rng.integers(0, 20, 50)])
    u, g, x = _run(backend, pssm, res, off)
    assert u[0].tolist() == [0, 0, 0] and u[1].tolist() == [-1, -1, -1]
    assert g[0].tolist() == [0, 9, 9 * int((np.asarray(res[1:]) == 4).any())]
    assert x[0].tolist() == [0, 0, 0] and x[4].tolist() == [-1, -1, -1]
    empty = _run(backend, pssm, np.zeros(0, np.uint8), np.zeros(1, np.int64))
    assert all(len(v) == 0 for part in empty for v in part)


def test_known_diagonal_of_close_homologs():
    """Copies of the query at 10 % substitutions behind a random prefix of known length
    are found on their true diagonal d = prefix length (the true diagonal is not an input)."""
    rng = np.random.default_rng(6)
    q = rng.integers(0, 20, 120)
    pssm = BLOSUM62[q].astype(np.int32)
    seqs, shifts = [], rng.integers(0, 60, 30)
    for sh in shifts:
        s = q.copy()
        mut = rng.random(len(s)) < 0.1
        s[mut] = rng.integers(0, 20, mut.sum())
        seqs.append(np.concatenate([rng.integers(0, 20, sh), s, rng.integers(0, 20, 10)]))
    res, off = _db(seqs)
    for backend in BACKENDS:
        u, _, x = _run(backend, pssm, res, off)
        assert np.array_equal(u[3] - u[1], shifts), backend
        assert np.array_equal(x[3] - x[1], shifts)


def _traceback(backend, pssm, res, off, idx, windows, mode, seeds, slack=0):
    b = get_backend(backend)
    rows, ranges = b.op("psiblast.traceback")(pssm, res, off, np.asarray(idx, np.int64),
                                              np.asarray(windows, np.int64), mode,
                                              np.asarray(seeds, np.int64).reshape(-1, 4),
                                              11, 1, slack=slack)
    return b.to_numpy(rows), b.to_numpy(ranges)


def _whole(seqs):
    return [[0, len(s)] for s in seqs]


@pytest.mark.parametrize("seed", [7, 8])
def test_tracebacks_rescore_to_the_scans(seed):
    pssm, seqs = _random_case(seed)
    res, off = _db(seqs)
    u, g, x = _run("numba", pssm, res, off)
    m, idx, seeds = len(pssm), np.arange(len(seqs)), np.stack(u[1:], 1)
    _, xranges = _traceback("numba", pssm, res, off, idx, _whole(seqs), "xdrop", seeds)
    assert np.array_equal(xranges, np.stack(x[1:], 1))     # the scan's ranges
    rows, ranges = _traceback("numba", pssm, res, off, idx, _whole(seqs), "gapped", seeds)
    checked = 0
    for k, s in enumerate(seqs):
        score, pairs = al.gapped_path(pssm, s)
        assert score == g[0][k] and _rescore(pssm, s, pairs.tolist()) == score
        xs, xpairs = al.xdrop_path(pssm, s, tuple(seeds[k]))
        assert xs == x[0][k] and _rescore(pssm, s, xpairs.tolist()) == xs
        row, rng = rows[k], tuple(ranges[k])
        if score <= 0:
            assert rng == (-1, -1, -1, -1) and (row == NOT_ALIGNED).all()
            continue
        checked += 1
        assert (pairs[-1] + 1).tolist() == [g[1][k], g[2][k]]
        qs, qe, ss, se = rng
        assert (qs, ss) == tuple(pairs[0]) and (qe, se) == tuple(pairs[-1] + 1)
        assert (row[:qs] == NOT_ALIGNED).all() and (row[qe:] == NOT_ALIGNED).all()
        assert np.array_equal(row[pairs[:, 0]], s[pairs[:, 1]])
        assert (row[qs:qe] == GAP).sum() == (qe - qs) - len(pairs)
        assert row.dtype == np.uint8 and row.shape == (m,)
    assert checked >= 20


def _reference_row(m, subject, pairs):
    """Row and ranges of one alignment from its pairs, written from the convention."""
    row = np.full(m, NOT_ALIGNED, np.uint8)
    if len(pairs) == 0:
        return row, [-1, -1, -1, -1]
    for q in range(pairs[0][0], pairs[-1][0] + 1):
        row[q] = GAP
    for q, s in pairs:
        row[q] = subject[s]
    return row, [pairs[0][0], pairs[-1][0] + 1, pairs[0][1], pairs[-1][1] + 1]


def _reference(pssm, seqs, windows, mode, seeds, slack):
    """Each hit alone: the one-hit paths on its window's residues (seed clipped to the
    window along its diagonal), or the widened segment, shifted to whole coordinates."""
    m = len(pssm)
    rows, ranges = [], []
    for s, (lo, hi), (qs, qe, ss, se) in zip(seqs, windows, seeds):
        part = s[lo:hi]
        a, b = max(ss, lo), min(se, hi)
        seg = (qs + a - ss, qs + b - ss, a - lo, b - lo) if qs >= 0 and a < b else None
        if mode == "gapped":
            pairs = al.gapped_path(pssm, part)[1].tolist()
        elif seg is None:
            pairs = []
        elif mode == "xdrop":
            pairs = al.xdrop_path(pssm, part, seg)[1].tolist()
        else:
            back = min(slack, seg[0], seg[2])
            fwd = min(slack, m - seg[1], len(part) - seg[3])
            pairs = [[q, q + seg[2] - seg[0]] for q in range(seg[0] - back, seg[1] + fwd)]
        row, rng = _reference_row(m, part, pairs)
        if rng[2] >= 0:
            rng[2:] = [rng[2] + lo, rng[3] + lo]
        rows.append(row)
        ranges.append(rng)
    return np.array(rows, np.uint8).reshape(-1, m), np.array(ranges, np.int64).reshape(-1, 4)


@pytest.mark.parametrize("seed", [10, 11])
def test_batched_traceback_equals_each_hit_alone(seed):
    """Random hits (repeats included) with random windows, some whole: every mode equals
    the one-hit paths on the window, numpy = numba = torch exactly, and nothing is
    aligned outside a window."""
    pssm, seqs = _random_case(seed, n=50)
    res, off = _db(seqs)
    u = _run("numba", pssm, res, off)[0]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(seqs), 60)
    L = np.diff(off)[idx]
    lo = rng.integers(0, L + 1)
    hi = lo + rng.integers(0, L - lo + 1)
    whole = rng.random(len(idx)) < 0.4
    windows = np.stack([np.where(whole, 0, lo), np.where(whole, L, hi)], 1)
    seeds = np.stack(u[1:], 1)[idx]
    sub = [seqs[i] for i in idx]
    for mode, slack in (("ungapped", 4), ("gapped", 0), ("xdrop", 0)):
        ref = _reference(pssm, sub, windows, mode, seeds, slack)
        hit = ref[1][:, 0] >= 0
        assert hit.sum() >= 10 and (hit & ~whole).sum() >= 3, mode    # windows cut some
        inside = ~hit | ((ref[1][:, 2] >= windows[:, 0]) & (ref[1][:, 3] <= windows[:, 1]))
        assert inside.all()
        for backend in BACKENDS:
            out = _traceback(backend, pssm, res, off, idx, windows, mode, seeds, slack)
            for a, b in zip(ref, out):
                assert a.dtype == b.dtype and np.array_equal(a, b), (mode, backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_traceback_edge_cases(backend):
    pssm = np.zeros((10, 20), np.int32)
    subj = np.arange(12, dtype=np.uint8)
    res, off = _db([subj, np.zeros(0, np.uint8)])
    seed = [3, 6, 1, 4]                                      # diagonal d = −2
    rows, rng = _traceback(backend, pssm, res, off, [0], [[0, 12]], "ungapped", [seed], slack=2)
    assert rng.tolist() == [[2, 8, 0, 6]]                    # back limited by the subject start
    assert rows.tolist() == [[255, 255, 0, 1, 2, 3, 4, 5, 255, 255]]
    rows, rng = _traceback(backend, pssm, res, off, [0], [[2, 12]], "ungapped", [seed], slack=2)
    assert rng.tolist() == [[4, 8, 2, 6]]                    # the window cuts the segment
    for mode in ("ungapped", "xdrop"):                        # no seed, or none left in the window
        for win, sd in (([0, 12], [-1] * 4), ([5, 12], seed)):
            rows, rng = _traceback(backend, pssm, res, off, [0], [win], mode, [sd], slack=5)
            assert rng.tolist() == [[-1] * 4] and (rows == NOT_ALIGNED).all()
    for mode in ("gapped", "xdrop"):                          # an empty sequence, an empty batch
        rows, rng = _traceback(backend, pssm, res, off, [1], [[0, 0]], mode, [[-1] * 4])
        assert rng.tolist() == [[-1] * 4] and rows.shape == (1, 10)
        rows, rng = _traceback(backend, pssm, res, off, [], np.zeros((0, 2)), mode, [])
        assert rows.shape == (0, 10) and rng.shape == (0, 4)
    for bad in ({"mode": "local"}, {"slack": -1}, {"windows": [[0, 13]]},
                {"windows": [[4, 3]]}):
        kw = {"windows": [[0, 12]], "mode": "ungapped", "slack": 0} | bad
        with pytest.raises(ValueError):
            _traceback(backend, pssm, res, off, [0], kw["windows"], kw["mode"], [seed],
                       kw["slack"])


def test_default_xdrop_is_psiblast_final_25_bits():
    assert al.XDROP == 64                                   # (Int4)(25 ln 2 / 0.267) = 64.9 → 64


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_equals_numpy():
    pssm, seqs = _random_case(9, n=60)
    res, off = _db(seqs)
    ref = _run("numpy", pssm, res, off)
    b = get_backend("torch", device="cuda")
    u = b.op("psiblast.ungapped")(pssm, res, off, 11, 40)
    g = b.op("psiblast.gapped")(pssm, res, off, 11, 1)
    x = b.op("psiblast.xdrop")(pssm, res, off, tuple(b.to_numpy(v) for v in u[1:]), 11, 1)
    assert u[0].is_cuda
    for a, c in zip(sum(ref, ()), (*u, *g, *x)):
        assert np.array_equal(a, b.to_numpy(c))
