"""FASTA round trips and the BLAST+/HMMER wrappers (collapsesim.reproductions.psiblast_ncbi).

The program tests run psiblast and jackhmmer on a tiny database made here:
a random query of 150 residues, five relatives of it (15 … 62 % of sites
resampled uniformly, each behind a flank of 7·i random residues, no indels)
and 40 unrelated random sequences, all from one seeded generator. They skip
when the programs are missing."""

import shutil

import numpy as np
import pytest

from collapsesim.domains.psiblast.fasta import read_fasta, write_fasta
from collapsesim.domains.psiblast.matrices import BLOSUM62, GAP
from collapsesim.reproductions import MissingRequirement
from collapsesim.reproductions import psiblast_ncbi as ncbi

needs_blast = pytest.mark.skipif(shutil.which("psiblast") is None or shutil.which("makeblastdb") is None,
                                 reason="psiblast (BLAST+) is not installed: apt-get install ncbi-blast+")
needs_hmmer = pytest.mark.skipif(shutil.which("jackhmmer") is None,
                                 reason="jackhmmer (HMMER) is not installed: apt-get install hmmer")

M = 150
DIVERGENCE = (0.15, 0.30, 0.45, 0.55, 0.62)


def test_fasta_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 20, n).astype(np.uint8) for n in (1, 59, 60, 61, 250)]
    seqs.append(np.array([0, GAP, 19, GAP], np.uint8))
    names = [f"s{i}" for i in range(len(seqs))]
    for width in (60, 7, 0):
        path = write_fasta(tmp_path / f"a{width}.fa", names, seqs, width=width)
        got_names, got = read_fasta(path)
        assert got_names == names
        assert all(g.dtype == np.uint8 and np.array_equal(g, s) for g, s in zip(got, seqs))
    lines = (tmp_path / "a60.fa").read_text().splitlines()
    i = lines.index(">s3")                                   # 61 residues: 60 + 1
    assert max(len(ln) for ln in lines) == 60 and [len(ln) for ln in lines[i + 1:i + 3]] == [60, 1]
    assert len((tmp_path / "a0.fa").read_text().splitlines()) == 2 * len(seqs)
    offsets = np.cumsum([0] + [len(s) for s in seqs])
    write_fasta(tmp_path / "b.fa", names, np.concatenate(seqs), offsets=offsets)
    assert (tmp_path / "b.fa").read_text() == (tmp_path / "a60.fa").read_text()


def test_fasta_reading_rules(tmp_path):
    path = tmp_path / "c.fa"
    path.write_text(">first a description\r\narnd\nCQ EG\n\n>second\n-HIL\n")
    names, seqs = read_fasta(path)
    assert names == ["first", "second"]
    assert seqs[0].tolist() == [0, 1, 2, 3, 4, 5, 6, 7] and seqs[1].tolist() == [GAP, 8, 9, 10]
    path.write_text(">x\nACDXG\n")
    with pytest.raises(ValueError, match="outside the 20 amino acids"):
        read_fasta(path)
    with pytest.raises(ValueError, match="white space"):
        write_fasta(tmp_path / "d.fa", ["a b"], [np.zeros(3, np.uint8)])
    with pytest.raises(ValueError, match="neither an amino acid"):
        write_fasta(tmp_path / "d.fa", ["a"], [np.array([255], np.uint8)])


def test_tabular_parse_keeps_best_hsp_and_converts_coordinates():
    text = ("# PSIBLAST 2.12.0+\n# Iteration: 1\n# 3 hits found\n"
            "a\t1e-30\t100\t250\t1\t50\t11\t60\n"
            "b\t0.002\t20\t40\t5\t20\t1\t16\n"
            "a\t0.5\t18\t35\t70\t80\t100\t110\n"
            "# PSIBLAST 2.12.0+\n# Iteration: 2\n# 0 hits found\n\nSearch has CONVERGED!\n")
    res = ncbi.parse_tabular(text, inclusion=0.002)
    assert res.converged and res.converged_at == 2 and len(res.hits) == 2
    first = res.hits[0]
    assert first["sseqid"].tolist() == ["a", "b"]            # one row per subject, best E first
    assert first.iloc[0][["qstart", "qend", "sstart", "send", "score"]].tolist() == [0, 50, 10, 60, 250]
    assert first["included"].tolist() == [True, False]       # psiblast includes E < threshold
    assert len(res.hits[1]) == 0
    assert not ncbi.parse_tabular(text.replace("Search has CONVERGED!", ""), 0.002).converged


def test_jackhmmer_parse_rounds():
    table = ("Scores for complete sequences (score includes all domains):\n"
             "   --- full sequence ---   --- best 1 domain ---    -#dom-\n"
             "    E-value  score  bias    E-value  score  bias    exp  N  Sequence Description\n"
             "    ------- ------ -----    ------- ------ -----   ---- --  -------- -----------\n")
    row = "{}   1.6e-68  219.1   0.4    1.8e-68  219.0   0.4    1.0  1  {}      some words\n"
    text = (table + row.format("+", "a") + row.format("+", "b") + "\n\nDomain annotation\n"
            "@@ Round: 2\n" + table + row.format(" ", "a") + row.format("+", "c")
            + "  ------ inclusion threshold ------\n" + row.format("-", "b") + "\n"
            "@@ Round: 3\n" + table + "\n   [No hits detected that satisfy reporting thresholds]\n\n")
    assert ncbi.parse_jackhmmer(text) == [["a", "b"], ["a", "c"], []]


def test_missing_programs_raise_one_line(monkeypatch):
    monkeypatch.setattr(ncbi.shutil, "which", lambda prog: None)
    with pytest.raises(MissingRequirement, match="apt-get install ncbi-blast\\+"):
        ncbi.require_blast()
    with pytest.raises(MissingRequirement, match="apt-get install hmmer"):
        ncbi.require_hmmer()
    assert ncbi.versions() == {"psiblast": None, "makeblastdb": None, "jackhmmer": None}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ncbi")
    rng = np.random.default_rng(13)
    query = rng.integers(0, 20, M).astype(np.uint8)
    names, seqs, flanks = ["query"], [query], {}
    for i, p in enumerate(DIVERGENCE):
        s = query.copy()
        mask = rng.random(M) < p
        s[mask] = rng.integers(0, 20, int(mask.sum()))
        names.append(f"rel_{i}")
        seqs.append(np.concatenate([rng.integers(0, 20, 7 * i).astype(np.uint8), s]))
        flanks[f"rel_{i}"] = 7 * i
    for i in range(40):
        names.append(f"rnd_{i:02d}")
        seqs.append(rng.integers(0, 20, int(rng.integers(100, 220))).astype(np.uint8))
    db_fasta = write_fasta(folder / "db.fasta", names, seqs)
    query_fasta = write_fasta(folder / "query.fasta", ["query"], [query])
    return {"folder": folder, "query": query, "seqs": dict(zip(names, seqs)), "flanks": flanks,
            "db_fasta": db_fasta, "query_fasta": query_fasta}


@needs_blast
def test_versions_and_failure_message(tiny):
    v = ncbi.versions()
    assert v["psiblast"] is not None and v["psiblast"][0].isdigit()
    with pytest.raises(RuntimeError, match="^psiblast failed \\(exit [0-9]+\\): [^\n]+$"):
        ncbi.psiblast(tiny["query_fasta"], str(tiny["folder"] / "no_such_db"), iterations=1)


@needs_blast
def test_psiblast_finds_the_relatives(tiny):
    db = ncbi.make_db(tiny["db_fasta"], tiny["folder"] / "blastdb")
    res = ncbi.psiblast(tiny["query_fasta"], db, iterations=3, inclusion=0.002)
    related = {"query", *tiny["flanks"]}
    assert 1 <= len(res.hits) <= 3
    assert res.converged_at == (len(res.hits) if res.converged else None)
    for hits in res.hits:
        assert hits["sseqid"].is_unique and hits["evalue"].is_monotonic_increasing
        assert (hits["included"] == (hits["evalue"] < 0.002)).all()
        assert set(hits.loc[hits["included"], "sseqid"]) == related
        lengths = np.array([len(tiny["seqs"][n]) for n in hits["sseqid"]])
        assert ((0 <= hits["qstart"]) & (hits["qstart"] < hits["qend"]) & (hits["qend"] <= M)).all()
        assert ((0 <= hits["sstart"]) & (hits["sstart"] < hits["send"]) & (hits["send"] <= lengths)).all()
    # Iteration 1 searches with BLOSUM62: every relative's alignment ends on its
    # own diagonal (no indels were made), some start at query residue 0, and a
    # gapless one scores exactly the BLOSUM62 sum over its half-open ranges.
    first = res.hits[0].set_index("sseqid").loc[sorted(tiny["flanks"])]
    assert (first["send"] - first["qend"] == [tiny["flanks"][n] for n in first.index]).all()
    assert (first["qstart"] == 0).any()
    gapless = first[(first["qend"] - first["qstart"]) == (first["send"] - first["sstart"])]
    assert "rel_0" in gapless.index
    q = tiny["query"]
    for name, h in gapless.iterrows():
        s = tiny["seqs"][name]
        assert h["score"] == BLOSUM62[q[h["qstart"]:h["qend"]], s[h["sstart"]:h["send"]]].sum()


@needs_blast
def test_ascii_pssms(tiny):
    db = ncbi.make_db(tiny["db_fasta"], tiny["folder"] / "blastdb2")
    q = tiny["query"]
    # Nothing passes 1e-300: iteration 2 searches with the query-only PSSM
    # (pssm.1), which is BLOSUM62's rows of the query rescaled by psiblast —
    # equal up to ±1 in every cell (column order checked by this).
    ncbi.psiblast(tiny["query_fasta"], db, iterations=2, inclusion=1e-300,
                  ascii_pssm_dir=tiny["folder"] / "alone")
    (alone,) = ncbi.ascii_pssms(tiny["folder"] / "alone")
    assert alone.index == 1 and np.array_equal(alone.query, q)
    assert alone.scores.shape == alone.percentages.shape == (M, 20)
    assert alone.information.shape == alone.relative_weight.shape == (M,)
    diff = np.abs(alone.scores - BLOSUM62[q][:, :20])
    assert diff.max() <= 1 and (diff == 0).mean() > 0.75
    assert (alone.scores[np.arange(M), q] > 0).all()
    # With the relatives included, each pssm.k is computed from iteration k's
    # hits: one file fewer than iterations run; 20 percentages each rounded to
    # an integer sum to 100 ± 10, and the query's residue has a large share.
    res = ncbi.psiblast(tiny["query_fasta"], db, iterations=3, inclusion=0.002,
                        ascii_pssm_dir=tiny["folder"] / "each")
    pssms = ncbi.ascii_pssms(tiny["folder"] / "each")
    assert [p.index for p in pssms] == list(range(1, len(res.hits)))
    first = pssms[0]
    assert np.array_equal(first.query, q)
    totals = first.percentages.sum(axis=1)
    assert (np.abs(totals - 100) <= 10).all()
    assert (first.percentages[np.arange(M), q] >= 20).mean() > 0.9


@needs_hmmer
def test_jackhmmer_rounds(tiny):
    related = ["query", *sorted(tiny["flanks"])]
    rounds = ncbi.jackhmmer(tiny["query_fasta"], tiny["db_fasta"], iterations=3, incE=0.002,
                            work=tiny["folder"] / "jack")
    assert 1 <= len(rounds) <= 3 and (tiny["folder"] / "jack" / "jackhmmer.out").exists()
    assert all(sorted(r) == related for r in rounds)
    # rel_4 scores E ≈ 3e-19 in round 1: above a 1e-20 threshold it is reported
    # but not included — the last reported hit, below the inclusion-threshold line.
    strict = ncbi.jackhmmer(tiny["query_fasta"], tiny["db_fasta"], iterations=2, incE=1e-20)
    assert sorted(strict[0]) == related[:-1]
