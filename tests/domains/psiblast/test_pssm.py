"""PSI-BLAST's PSSM update (pssm.build) — invariants, and equality with psiblast 2.12."""

import shutil
import subprocess

import numpy as np
import pytest

from collapsesim.domains.psiblast import matrices as M
from collapsesim.domains.psiblast import pssm as P

needs_psiblast = pytest.mark.skipif(shutil.which("psiblast") is None,
                                    reason="BLAST+ psiblast not installed")


def _msa(seed, m=80, n=10, mut=0.4, gaps=True, copies=0):
    """A query and n query-anchored rows: random segments of mutated copies
    with internal gaps; ``copies`` extra rows repeat earlier rows (purge)."""
    rng = np.random.default_rng(seed)
    query = rng.choice(20, m, p=M.BACKGROUND).astype(np.uint8)
    rows = []
    for _ in range(n):
        row = np.where(rng.random(m) < mut, rng.choice(20, m, p=M.BACKGROUND), query).astype(np.uint8)
        a = int(rng.integers(0, m // 2))
        b = int(rng.integers(a + 8, m + 1))
        row[:a] = M.NOT_ALIGNED
        row[b:] = M.NOT_ALIGNED
        if gaps and b - a > 6:
            g = int(rng.integers(a + 1, b - 3))
            row[g:g + int(rng.integers(1, 3))] = M.GAP
        rows.append(row)
    for k in range(copies):
        rows.append(rows[k].copy())
    return query, np.array(rows, np.uint8)


def test_from_query_is_blosum62():
    q = M.encode("MKVLATTRSW")
    prof = P.from_query(q)
    assert prof.scores.dtype == np.int32 and np.array_equal(prof.scores, M.BLOSUM62[q])
    assert np.allclose(prof.target.sum(axis=1), 1) and np.array_equal(prof.freqs.argmax(1), q)
    assert P.IDEAL_LAMBDA == pytest.approx(0.3176, abs=5e-5)


def test_self_hit_is_purged_and_gives_the_query_only_profile():
    q, _ = _msa(0)
    alone = P.build(q, np.zeros((0, len(q)), np.uint8))
    selfhit = P.build(q, q[None, :])
    assert not selfhit.kept.any()
    assert np.array_equal(selfhit.scores, alone.scores)
    assert (alone.freqs == 0).all() and (alone.information == 0).all()
    # query-only columns keep BLOSUM62's rows up to the λ rescaling (±1)
    assert np.abs(alone.scores - M.BLOSUM62[q]).max() <= 1


def test_near_identical_rows_are_purged_at_the_threshold():
    rng = np.random.default_rng(1)
    q = rng.choice(20, 80, p=M.BACKGROUND).astype(np.uint8)
    row = np.full(80, M.NOT_ALIGNED, np.uint8)
    row[5:75] = np.where(rng.random(70) < 0.6, rng.choice(20, 70), q[5:75])
    row[5], row[74] = (q[5] + 1) % 20, (q[74] + 1) % 20     # not a self-hit

    def changed(k):
        other = row.copy()
        other[10:10 + 5 * k:5] = (other[10:10 + 5 * k:5] + 1) % 20
        return other

    # identity over the 70 aligned columns: 67/70 = 0.957 ≥ 0.94 purges the later row ...
    assert P.build(q, np.array([row, changed(3)])).kept.tolist() == [True, False]
    assert P.build(q, np.array([row, changed(3)]), purge=0.99).kept.tolist() == [True, True]
    # ... 65/70 = 0.929 does not
    assert P.build(q, np.array([row, changed(5)])).kept.tolist() == [True, True]
    # an identical copy of an earlier row, and a stretch identical to the query
    selfish = np.where(np.arange(80) < 40, q, M.NOT_ALIGNED).astype(np.uint8)
    prof = P.build(q, np.array([row, row, selfish]))
    assert prof.kept.tolist() == [True, False, False]


def test_profile_invariants():
    q, rows = _msa(2, n=15)
    prof = P.build(q, rows)
    data = prof.neff > 0
    covered = (rows != M.NOT_ALIGNED).any(axis=0)
    assert np.allclose(prof.freqs[covered].sum(axis=1), 1) and (prof.freqs[~covered] == 0).all()
    assert np.allclose(prof.target.sum(axis=1), 1) and (prof.target > 0).all()
    assert (prof.neff >= 0).all() and data.any()
    assert (prof.pseudocounts[covered] > 0).all()
    assert prof.scores.dtype == np.int32 and prof.scores.shape == (len(q), 20)
    # 60 % of each row keeps the query residue: it scores positively in (almost)
    # every covered column (measured 69/70 here; BLOSUM62's diagonal is positive too)
    assert (prof.scores[covered, q[covered]] > 0).mean() > 0.95
    # deterministic
    assert np.array_equal(P.build(q, rows).scores, prof.scores)


def test_pseudocount_knobs_move_information_monotonically():
    q, rows = _msa(3, n=30, mut=0.3)
    info = [P.build(q, rows, pseudo_scale=s).information.mean() for s in (0.25, 1.0, 4.0)]
    assert info[0] > info[1] > info[2]
    info = [P.build(q, rows, pseudocount="constant", beta=b).information.mean() for b in (5, 30, 300)]
    assert info[0] > info[1] > info[2]
    with pytest.raises(ValueError):
        P.build(q, rows, pseudocount="bogus")


def test_entropy_target_reaches_the_target():
    q, rows = _msa(4, n=40, mut=0.25)
    free = P.build(q, rows)
    cols = (rows != M.NOT_ALIGNED).sum(axis=0) >= 1
    assert free.information[cols].mean() > 0.5
    capped = P.build(q, rows, entropy_target=0.5)
    assert capped.information[cols].mean() == pytest.approx(0.5, abs=1e-6)
    # below what pseudocounts alone give (0.40 bits here): no observations left
    floor = P.build(q, rows, entropy_target=0.2)
    assert (floor.neff == 0).all() and floor.information[cols].mean() > 0.2
    assert (capped.neff <= free.neff + 1e-12).all()
    # already below the target: unchanged
    loose = P.build(q, rows, entropy_target=4.0)
    assert np.array_equal(loose.scores, free.scores)


def test_rows_are_validated():
    q, rows = _msa(5, n=2)
    bad = rows.copy()
    first = np.flatnonzero(bad[0] != M.NOT_ALIGNED)[0]
    bad[0, first] = M.GAP
    with pytest.raises(ValueError, match="gap"):
        P.build(q, bad)
    bad = rows.copy()
    bad[1, 3] = 21
    with pytest.raises(ValueError):
        P.build(q, bad)


def test_end_trim():
    G, N = M.GAP, M.NOT_ALIGNED
    rows = np.array([[N, 1, 2, G, 3, 4, 5, 6, N],
                     [0, 1, 2, 3, N, N, N, N, N]], np.uint8)
    out = P.end_trim(rows, 2)
    assert out[0].tolist() == [N, N, N, N, 3, 4, N, N, N]
    assert (out[1] == N).all()
    assert np.array_equal(P.end_trim(rows, 0), rows)
    assert np.array_equal(rows[0], [N, 1, 2, G, 3, 4, 5, 6, N])  # input untouched


# -- against psiblast ---------------------------------------------------------------------------

def _parse_ascii_pssm(text):
    scores, pct, info, relw = [], [], [], []
    for line in text.splitlines():
        t = line.split()
        if len(t) == 44 and t[0].isdigit():
            scores.append([int(x) for x in t[2:22]])
            pct.append([int(x) for x in t[22:42]])
            info.append(float(t[42]))
            relw.append(float(t[43]))
    return np.array(scores), np.array(pct), np.array(info), np.array(relw)


def _psiblast_pssm(tmp_path, query, rows, pseudocount=0):
    """Run ``psiblast -in_msa`` on the query + rows (GAP → '-', NOT_ALIGNED → '-'
    at the row's ends; the first sequence is the query) and parse its PSSM."""
    with open(tmp_path / "msa.fa", "w") as f:
        f.write(f">query\n{M.decode(query)}\n")
        f.writelines(f">s{k}\n{M.decode(r).replace('.', '-')}\n" for k, r in enumerate(rows))
    (tmp_path / "subject.fa").write_text(f">subject\n{M.decode(query)}\n")
    subprocess.run(["psiblast", "-in_msa", str(tmp_path / "msa.fa"), "-subject", str(tmp_path / "subject.fa"),
                    "-comp_based_stats", "0", "-num_iterations", "1", "-pseudocount", str(pseudocount),
                    "-out_ascii_pssm", str(tmp_path / "pssm.txt"), "-out", str(tmp_path / "out.txt")],
                   check=True, capture_output=True)
    return _parse_ascii_pssm((tmp_path / "pssm.txt").read_text())


CASES = {
    "diverse": {"seed": 10, "n": 12, "mut": 0.5},
    "close": {"seed": 11, "n": 12, "mut": 0.15},
    "purge": {"seed": 12, "n": 8, "mut": 0.3, "copies": 4},
    "deep": {"seed": 13, "m": 120, "n": 60, "mut": 0.45},
    "no_gaps": {"seed": 14, "n": 6, "mut": 0.35, "gaps": False},
}


@needs_psiblast
@pytest.mark.parametrize("case", sorted(CASES))
def test_build_equals_psiblast(tmp_path, case):
    q, rows = _msa(**CASES[case])
    if case == "purge":
        rows = np.vstack([rows, q[None, :]])          # a self-hit too
    scores, pct, info, relw = _psiblast_pssm(tmp_path, q, rows)
    prof = P.build(q, rows)
    assert scores.shape == prof.scores.shape
    assert np.array_equal(prof.scores, scores)
    # psiblast prints the weighted percentages rounded to integers
    assert np.abs(100 * prof.freqs - pct).max() <= 0.5 + 1e-9
    assert np.abs(prof.information - info).max() <= 0.005 + 1e-9
    assert np.abs(prof.gapless_weight - relw).max() <= 0.005 + 1e-9


def _psiblast_round1(tmp_path, query, rows, pseudocount):
    """psiblast on a database of the rows' sequences + 100 random ones: the
    round-1 hits (E ≤ 0.002, psiblast's inclusion) as query-anchored rows and
    the PSSM psiblast built from them (``-save_each_pssm`` file ``.1``)."""
    rng = np.random.default_rng(99)
    with open(tmp_path / "db.fa", "w") as f:
        f.writelines(f">h{k}\n{M.decode(r[r < M.GAP])}\n" for k, r in enumerate(rows))
        f.writelines(f">r{k}\n{M.decode(rng.choice(20, 150, p=M.BACKGROUND))}\n" for k in range(100))
    (tmp_path / "q.fa").write_text(f">q\n{M.decode(query)}\n")
    subprocess.run(["makeblastdb", "-in", str(tmp_path / "db.fa"), "-dbtype", "prot",
                    "-out", str(tmp_path / "db")], check=True, capture_output=True)
    subprocess.run(["psiblast", "-query", str(tmp_path / "q.fa"), "-db", str(tmp_path / "db"),
                    "-comp_based_stats", "0", "-num_iterations", "2", "-pseudocount", str(pseudocount),
                    "-out_ascii_pssm", str(tmp_path / "pssm.txt"), "-save_each_pssm",
                    "-outfmt", "7 qstart qseq sseq evalue", "-out", str(tmp_path / "hits.tsv")],
                   check=True, capture_output=True)
    hits = []
    for line in (tmp_path / "hits.tsv").read_text().splitlines():
        if line.startswith("# Iteration: 2"):
            break
        if line.startswith("#") or not line.strip():
            continue
        qstart, qseq, sseq, ev = line.split("\t")
        if float(ev) > 0.002:
            continue
        row = np.full(len(query), M.NOT_ALIGNED, np.uint8)
        c = int(qstart) - 1
        for a, b in zip(qseq, sseq):
            if a != "-":                      # subject insertions are dropped
                row[c] = M.GAP if b == "-" else M.ALPHABET.index(b)
                c += 1
        hits.append(row)
    return np.array(hits, np.uint8), _parse_ascii_pssm((tmp_path / "pssm.txt.1").read_text())


@needs_psiblast
@pytest.mark.parametrize("beta", [0, 5, 60])
def test_search_round_pssm_equals_psiblast(tmp_path, beta):
    """psiblast ignores ``-pseudocount`` with ``-in_msa`` (its PSSM is the same
    for 0, 5 and 60), so the constant mode is checked on a search round."""
    q, rows = _msa(30, n=15, mut=0.35)
    hits, (scores, pct, info, _) = _psiblast_round1(tmp_path, q, rows, beta)
    assert len(hits) >= 5
    prof = (P.build(q, hits) if beta == 0 else P.build(q, hits, pseudocount="constant", beta=beta))
    assert np.array_equal(prof.scores, scores)
    assert np.abs(100 * prof.freqs - pct).max() <= 0.5 + 1e-9
    assert np.abs(prof.information - info).max() <= 0.005 + 1e-9
