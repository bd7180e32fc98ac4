"""The psiblast validation page (``collapsesim reproduce psiblast``): its
pieces on hand-made inputs (identity between subfamilies, per-class
inclusion read from the runner's metrics and from included index lists, the
aligned FASTA psiblast reads), and (``slow``, with BLAST+ and HMMER) the
whole page in its quick version."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from collapsesim.reproductions import psiblast as repro
from collapsesim.reproductions.harness import wilson

HAVE_TOOLS = shutil.which("psiblast") is not None and shutil.which("jackhmmer") is not None


def _db(klass, subfamily, seqs, cols, sizes=None):
    """A database-like object: sequences, their root columns and labels."""
    lengths = [len(s) for s in seqs]
    L = max(max(c) for c in cols if len(c)) + 1
    return SimpleNamespace(
        klass=np.array(klass), subfamily=np.array(subfamily), query=0,
        offsets=np.concatenate([[0], np.cumsum(lengths)]),
        residues=np.concatenate([np.array(s, np.uint8) for s in seqs]),
        root_col=np.concatenate([np.array(c, np.int32) for c in cols]),
        family_profile=np.zeros((L, 20)),
        subfamily_sizes=np.array(sizes if sizes is not None else np.bincount(
            np.array(subfamily)[np.array(klass) == 0])))


def test_subfamily_identity_counts_shared_root_columns_only():
    # members 0, 1 in subfamily 0, member 2 in subfamily 1, one background sequence;
    # member 1 lost root column 0 (deletion) and carries an insertion (-1)
    db = _db([0, 0, 0, 1], [0, 0, 1, -1],
             [[1, 2, 3, 4], [2, 9, 5, 4], [1, 7, 3, 6], [1, 2, 3, 4]],
             [[0, 1, 2, 3], [1, -1, 2, 3], [0, 1, 2, 3], [-1, -1, -1, -1]])
    # pairs across subfamilies: (0, 2): columns 0..3, equal at 0 and 2 -> 2/4;
    # (1, 2): columns 1..3 (values 2, 5, 4 against 7, 3, 6) -> 0/3
    assert repro.subfamily_identity(db) == pytest.approx(2 / 7)


def test_included_runs_counts_classes_and_carries_the_last_iteration():
    db = _db([0, 0, 0, 1, 3], [0, 0, 1, -1, -1], [[0]] * 5, [[0]] * 5)
    included = [[np.array([0, 1]), np.array([0, 1, 2, 4])],   # stopped after 2 iterations
                [np.array([0]), np.array([0]), np.array([0, 3])]]
    runs = repro._included_runs(included, [db, db], iterations=3)
    assert runs.classes.shape == (2, 4, 6)
    assert runs.classes[0, :, 0].tolist() == [1, 2, 3, 3]   # step 0: the query alone
    assert runs.classes[0, 3, 3] == 1 and runs.subfamilies[0].tolist() == [1, 1, 2, 2]
    assert runs.ever(3).tolist() == [True, False] and runs.ever(1).tolist() == [False, True]
    assert runs.onset(3)[0] == 2 and np.isnan(runs.onset(3)[1]) and runs.onset(1)[1] == 3


def test_ours_reads_the_runner_metrics_the_same_way():
    """The runner's metrics of the same inclusions give the same Runs."""
    db = _db([0, 0, 0, 1, 3], [0, 0, 1, -1, -1], [[0]] * 5, [[0]] * 5)
    inc = [np.array([0]), np.array([0, 1]), np.array([0, 1, 2, 4])]   # steps 0, 1, 2
    rows = []
    for t, idx in enumerate(inc):
        k = db.klass[idx]
        metrics = {"recall": (k == 0).sum() / 3, "recall_sub0": np.isin([0, 1], idx).sum() / 2,
                   "recall_sub1": float(2 in idx)}
        metrics |= {f"fp_{name}": float((k == c).sum())
                    for c, name in enumerate(("background", "sister", "foreign", "chimera",
                                              "biased"), start=1)}
        rows += [(0, t, "domain", m, v) for m, v in metrics.items()]
    res = SimpleNamespace(metrics=pd.DataFrame(rows, columns=["replicate", "step", "series",
                                                              "metric", "value"]))
    ours = repro._ours(res, [db], iterations=3)
    theirs = repro._included_runs([inc[1:]], [db], iterations=3)
    np.testing.assert_array_equal(ours.classes, theirs.classes)
    np.testing.assert_array_equal(ours.subfamilies, theirs.subfamilies)


def test_msa_fasta_writes_gaps_and_unaligned_columns_as_dashes(tmp_path):
    q = np.array([0, 1, 2, 3], np.uint8)
    rows = [np.array([255, 1, 20, 19], np.uint8)]
    path = repro._msa_fasta(tmp_path / "m.fasta", ["q", "s"], q, rows)
    assert path.read_text() == ">q\nARND\n>s\n-R-V\n"


def test_wilson_interval_covers_and_excludes():
    lo, hi = wilson(0, 20)
    assert lo == 0 and 0.15 < hi < 0.17          # 0/20: [0, 16.1 %]
    lo, hi = wilson(8, 20)
    assert lo < 0.4 < hi and repro._apart([True] * 20, [False] * 20)
    assert not repro._apart([True] * 3 + [False] * 7, [True] * 5 + [False] * 5)


def test_settings_span_the_identity_range_and_quick_is_one_each():
    full, quick = repro.settings(), repro.settings(quick=True)
    assert [len(v) for v in full.values()] == [4, 3, 3]
    assert all(len(v) == 1 for v in quick.values())
    assert [s.database["chimeras"] for s in full["overextension"]] == [20, 40, 80]


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_TOOLS, reason="psiblast (ncbi-blast+) or jackhmmer (hmmer) not "
                    "installed: apt-get install ncbi-blast+ hmmer")
def test_quick_page(tmp_path, monkeypatch):
    from collapsesim.reproductions import harness

    monkeypatch.setattr(harness, "_WORK", tmp_path / "runs")
    path = repro.page(tmp_path / "out", seed=1, backend="numba", quick=True)
    text = path.read_text()
    for part in ("collapsesim reproduce psiblast", "psiblast 2.", "jackhmmer 3.", "## 1.",
                 "## 4.", "## 6.", "## 7. Gaps", "entropy_target 0.59", "freeze_boundaries",
                 "Database by database", "past its true part"):
        assert part in text
    # psiblast -in_msa on our MSA: the model's PSSM, every percentage within ±0.5 points
    pssm_rows = [ln for ln in text.splitlines() if ln.startswith(("| 1 |", "| 2 |"))]
    assert len(pssm_rows) == 2 and all("| yes | 100.0 % |" in ln for ln in pssm_rows)
    for fig in ("psiblast_inclusion", "psiblast_recovery"):
        assert (tmp_path / "out" / "figures" / f"{fig}.png").stat().st_size > 0
    # the exported databases are where psiblast searched them
    assert (tmp_path / "runs" / "psiblast" / "chimeras20" / "replicates" / "1"
            / "labels.tsv").exists()


SMALL = repro.Setting("small", "small", {"subfamilies": 2, "members": 4, "length": 60,
                                         "subfamily_divergence": 0.3, "leaf_divergence": 0.2,
                                         "background": 30, "flank": 5, "query_flank": 10}, 3)


@pytest.mark.skipif(shutil.which("psiblast") is None,
                    reason="psiblast (ncbi-blast+) not installed: apt-get install ncbi-blast+")
def test_psiblast_searches_the_exported_databases(tmp_path):
    """psiblast on two small exported databases finds the query's close
    family (the query itself and its subfamily first); a database file that
    is not the seed's database is refused."""
    dbs = repro.databases(SMALL, replicates=2, seed=3)
    for j, db in enumerate(dbs):
        db.write(tmp_path / "replicates" / str(j))
    blast = repro._Blast(tmp_path, dbs)
    runs = blast.run(0.002, SMALL.iterations)
    assert runs.classes.shape == (2, 4, 6)
    assert (runs.classes[:, 1:, 0] >= 4).all()          # ≥ the query's subfamily (4 members)
    assert (runs.subfamilies[:, 1:] >= 1).all() and not runs.ever(1).any()
    other = repro.databases(SMALL, replicates=1, seed=4)
    with pytest.raises(RuntimeError, match="not the database"):
        repro._Blast(tmp_path, other)


def test_missing_psiblast_stops_with_one_line(tmp_path, monkeypatch):
    from collapsesim.reproductions import MissingRequirement, psiblast_ncbi

    monkeypatch.setattr(psiblast_ncbi.shutil, "which", lambda prog: None)
    with pytest.raises(MissingRequirement, match="apt-get install ncbi-blast\\+") as err:
        repro.page(tmp_path, seed=1, backend="numpy", quick=True)
    assert "\n" not in str(err.value) and not (tmp_path / "psiblast.md").exists()
