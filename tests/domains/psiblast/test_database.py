"""The psiblast domain's synthetic databases: reproducibility, labels, and the
substitution/indel process against its exact expectations."""

import time

import numpy as np
import pytest
from scipy import stats

from collapsesim.domains.psiblast import database as dbm
from collapsesim.domains.psiblast.fasta import read_fasta
from collapsesim.domains.psiblast.matrices import ALPHABET, transition

PI = dbm.stationary()

SMALL = {"subfamilies": 3, "members": 6, "length": 80, "background": 50, "sister": 5, "foreign": 5,
         "chimeras": 7, "biased": 5, "flank": 10, "query_flank": 25}


def _build(seed=1, **kw):
    return dbm.build(np.random.SeedSequence(seed), **{**SMALL, **kw})


def _equal(a: dbm.Database, b: dbm.Database) -> bool:
    fields = ("residues", "offsets", "klass", "subfamily", "domain", "foreign", "root_col",
              "foreign_col", "subfamily_sizes", "family_profile", "foreign_profile", "rates")
    return a.names == b.names and all(np.array_equal(getattr(a, f), getattr(b, f)) for f in fields)


def test_same_seed_same_database_and_classes_drawn_apart():
    kw = {"indel_rate": 0.05, "gamma_shape": 0.7, "invariant": 0.1}
    a, b = _build(3, **kw), _build(3, **kw)
    assert _equal(a, b)
    assert not np.array_equal(a.residues, _build(4, **kw).residues)
    # each decoy class has its own stream: more chimeras leave the family and the other decoys as they were
    c = _build(3, **{**kw, "chimeras": 20})
    keep = c.klass != dbm.CLASSES.index("chimera")
    assert [n for n, k in zip(c.names, keep) if k] == [n for n, k in
                                                       zip(a.names, a.klass != 4) if k]
    for i, j in zip(np.flatnonzero(keep), np.flatnonzero(a.klass != 4)):
        assert np.array_equal(c.sequence(i), a.sequence(j))


@pytest.mark.parametrize("kind", ["star", "coalescent"])
def test_shapes_and_labels_are_consistent(kind):
    db = _build(5, kind=kind, indel_rate=0.05)
    n = len(db)
    lengths = np.diff(db.offsets)
    assert db.offsets[0] == 0 and db.offsets[-1] == len(db.residues) and (lengths >= 0).all()
    assert db.residues.dtype == np.uint8 and db.residues.max() < len(ALPHABET)
    assert len(set(db.names)) == n == len(db.klass) == len(db.subfamily)
    counts = np.bincount(db.klass, minlength=len(dbm.CLASSES))
    K = len(db.subfamily_sizes)
    assert counts[1:].tolist() == [SMALL[k] for k in ("background", "sister", "foreign",
                                                      "chimeras", "biased")]
    assert counts[0] == SMALL["subfamilies"] * SMALL["members"] == db.subfamily_sizes.sum()
    assert (db.subfamily[db.klass == 0] >= 0).all() and (db.subfamily[db.klass != 0] == -1).all()
    assert np.array_equal(np.bincount(db.subfamily[db.klass == 0], minlength=K), db.subfamily_sizes)
    if kind == "star":
        assert K == SMALL["subfamilies"]
    # the query: a member of subfamily 0 with flanks of exactly query_flank
    q = db.query
    assert db.klass[q] == 0 and db.subfamily[q] == 0 and db.names[q] == "m0_0"
    assert db.domain[q, 0] == SMALL["query_flank"] == lengths[q] - db.domain[q, 1]
    owner = np.repeat(np.arange(n), lengths)
    pos = np.arange(len(db.residues)) - db.offsets[owner]
    for labels, cols in ((db.domain, db.root_col), (db.foreign, db.foreign_col)):
        has = labels[:, 0] >= 0
        assert ((labels[:, 0] <= labels[:, 1]) & (labels[:, 1] <= lengths))[has].all()
        assert (labels[~has] == -1).all()
        inside = has[owner] & (pos >= labels[owner, 0]) & (pos < labels[owner, 1])
        assert (cols[~inside] == -1).all()
        # inside a labelled region, root columns strictly increase (insertions are -1)
        for i in np.flatnonzero(has):
            c = cols[db.offsets[i] + labels[i, 0]:db.offsets[i] + labels[i, 1]]
            c = c[c >= 0]
            assert (np.diff(c) > 0).all()
    homologous = {0, 2, 4}
    assert all((db.domain[i, 0] >= 0) == (db.klass[i] in homologous) for i in range(n))
    assert all((db.foreign[i, 0] >= 0) == (db.klass[i] in (3, 4)) for i in range(n))
    for profile in (db.family_profile, db.foreign_profile):
        assert np.allclose(profile.sum(axis=1), 1.0)
    assert db.family_profile.shape == (SMALL["length"], 20)
    assert db.foreign_profile.shape == (100, 20)
    # the oracle profile: members' residues per root column
    m = (db.klass[owner] == 0) & (db.root_col == 7)
    assert np.allclose(db.family_profile[7], np.bincount(db.residues[m], minlength=20) / m.sum())


def test_no_foreign_family_no_foreign_profile():
    db = _build(2, foreign=0, chimeras=0)
    assert db.foreign_profile.shape == (0, 20) and (db.foreign_col == -1).all()


def test_without_indels_every_domain_keeps_its_root_columns_and_chimeras_their_parts():
    db = _build(6, chimera_overlap=0.4)
    L, Lf = SMALL["length"], 100
    for i in range(len(db)):
        s, e = db.domain[i]
        fs, fe = db.foreign[i]
        col = db.root_col[db.offsets[i]:db.offsets[i + 1]]
        fcol = db.foreign_col[db.offsets[i]:db.offsets[i + 1]]
        k = dbm.CLASSES[db.klass[i]]
        if k in ("member", "sister"):
            assert np.array_equal(col[s:e], np.arange(L))
        if k == "foreign":
            assert np.array_equal(fcol[fs:fe], np.arange(Lf))
        if k == "chimera":   # the C-terminal 40 % of the true domain, then the foreign domain
            assert e == fs
            assert np.array_equal(col[s:e], np.arange(L - int(np.ceil(0.4 * L)), L))
            assert np.array_equal(fcol[fs:fe], np.arange(Lf))


def _identity_per_site(db, pairs):
    """Per root column, the mean identity over ``pairs`` of members (no indels:
    domain j is root column j)."""
    L = db.family_profile.shape[0]
    dom = np.stack([db.sequence(i)[db.domain[i, 0]:db.domain[i, 1]] for i in range(len(db))
                    if db.klass[i] == 0])
    assert dom.shape[1] == L
    return np.mean([dom[a] == dom[b] for a, b in pairs], axis=0)


@pytest.mark.parametrize("gamma_shape", [None, 0.5])
def test_identity_between_and_within_subfamilies_matches_the_process(gamma_shape):
    """Members of different subfamilies are 2(d_sub + d_leaf) apart, of the
    same subfamily 2·d_leaf: the expected identity is Σ_a π_a P_aa(r·t)
    averaged over the rate categories. Sites are i.i.d. given the tree, so the
    tolerance is 4 standard errors of the per-site means."""
    ds, dl, K, M = 0.6, 0.25, 4, 5
    db = dbm.build(np.random.SeedSequence(11), subfamilies=K, members=M, length=3000,
                   subfamily_divergence=ds, leaf_divergence=dl, gamma_shape=gamma_shape,
                   background=0, flank=0, query_flank=0)
    rates = [1.0] if gamma_shape is None else dbm.gamma_categories(gamma_shape)
    sub = np.repeat(np.arange(K), M)
    between = [(a, b) for a in range(K * M) for b in range(a) if sub[a] != sub[b]]
    within = [(a, b) for a in range(K * M) for b in range(a) if sub[a] == sub[b]]
    for pairs, t in ((between, 2 * (ds + dl)), (within, 2 * dl)):
        x = _identity_per_site(db, pairs)
        expected = np.mean([PI @ np.diag(transition(r * t)) for r in rates])
        se = x.std(ddof=1) / np.sqrt(len(x))
        assert abs(x.mean() - expected) < 4 * se, (x.mean(), expected, se)


def test_gamma_categories_are_yangs():
    """Yang (1994) Table 1 / PAML: α = 0.5, four categories."""
    r = dbm.gamma_categories(0.5)
    assert np.allclose(r, [0.0334, 0.2519, 0.8203, 2.8944], atol=2e-4)
    assert np.isclose(r.mean(), 1.0)


def test_invariant_sites_never_change():
    db = _build(8, length=400, invariant=0.3, gamma_shape=1.0, indel_rate=0.05,
                subfamily_divergence=2.0, leaf_divergence=1.0, sister_distance=3.0)
    inv = db.rates == 0
    n = len(inv)
    assert abs(inv.sum() - 0.3 * n) < 4 * np.sqrt(n * 0.3 * 0.7)
    assert np.isclose(db.rates.mean(), 1.0, atol=4 * db.rates.std() / np.sqrt(n))
    at = (db.root_col >= 0) & inv[np.maximum(db.root_col, 0)]
    assert at.sum() > 1000
    assert np.array_equal(db.residues[at], db.root[db.root_col[at]])
    # the variable sites did change, at these distances
    var = (db.root_col >= 0) & ~inv[np.maximum(db.root_col, 0)]
    assert (db.residues[var] != db.root[db.root_col[var]]).mean() > 0.5


def test_indel_counts_match_the_process():
    """One branch: Poisson(rate·t·n) events, half insertions of mean length
    1/INDEL_P, so E[inserted residues] = rate·t·n/(2·INDEL_P)."""
    rng = np.random.default_rng(3)
    n, rate, t, runs = 1000, 0.02, 0.5, 400
    seq, col = np.zeros(n, np.uint8), np.arange(n, dtype=np.int32)
    inserted, kept = [], []
    for _ in range(runs):
        s, c = dbm.indels(rng, seq, col, t, rate)
        assert len(s) == len(c) and (np.diff(c[c >= 0]) > 0).all()
        inserted.append((c == -1).sum())
        kept.append((c >= 0).sum())
    inserted = np.array(inserted)
    expected = rate * t * n / (2 * dbm.INDEL_P)
    assert abs(inserted.mean() - expected) < 4 * inserted.std(ddof=1) / np.sqrt(runs)
    deleted = n - np.array(kept)
    assert abs(deleted.mean() - expected) < 4 * deleted.std(ddof=1) / np.sqrt(runs) + 0.5


def test_background_has_the_background_composition_and_biased_does_not():
    db = _build(9, background=300, biased=30, biased_strength=0.1)
    bg = np.isin(np.repeat(db.klass, np.diff(db.offsets)), [1])
    counts = np.bincount(db.residues[bg], minlength=20)
    chi2 = stats.chisquare(counts, PI * counts.sum())
    assert chi2.pvalue > 1e-4
    L = np.diff(db.offsets)
    assert (L[db.klass == 1] >= 100).all() and (L[db.klass == 1] <= 300).all()
    for i in np.flatnonzero(db.klass == 5):
        c = np.bincount(db.sequence(i), minlength=20)
        assert stats.chisquare(c, PI * c.sum()).pvalue < 1e-6


def test_coalescent_tree_and_its_subfamilies():
    rng = np.random.default_rng(0)
    parent, heights = dbm.coalescent(rng, 30, 2.0)
    assert heights[-1] == pytest.approx(2.0) and parent[-1] == -1
    assert (parent[:-1] > np.arange(58)).all()   # parents are made after their children
    assert (heights[parent[:-1]] > heights[:-1]).all()
    counts = []
    for s in range(20):
        db = dbm.build(np.random.SeedSequence(s), kind="coalescent", subfamilies=4, members=10,
                       length=60, background=0, clade_depth=0.5)
        assert db.subfamily_sizes.sum() == 40 and (db.subfamily_sizes > 0).all()
        counts.append(len(db.subfamily_sizes))
    # the cut lies below the root (>= 2 clades) and the number of clades is random
    assert len(set(counts)) > 1 and min(counts) >= 2


def test_write_fasta_and_labels(tmp_path):
    db = _build(10)
    fasta, labels = db.write(tmp_path / "rep")
    names, seqs = read_fasta(fasta)
    assert names == db.names and np.array_equal(np.concatenate(seqs), db.residues)
    lines = fasta.read_text().split("\n")
    assert max(map(len, lines)) == 60 and lines[0] == ">m0_0"
    assert lines[1] == "".join(ALPHABET[c] for c in db.sequence(0)[:60])
    rows = [r.split("\t") for r in labels.read_text().strip().split("\n")]
    assert tuple(rows[0]) == dbm.LABEL_COLUMNS and len(rows) == len(db) + 1
    i = int(np.flatnonzero(db.klass == 4)[0])
    assert rows[i + 1] == [db.names[i], "chimera", "-1", *map(str, db.domain[i]),
                           *map(str, db.foreign[i]), str(len(db.sequence(i)))]


def test_build_time_of_a_2000_sequence_database():
    kw = {"subfamilies": 5, "members": 20, "length": 200, "background": 1900, "background_length": 200}
    dbm.build(np.random.SeedSequence(0), **kw)
    t = time.perf_counter()
    db = dbm.build(np.random.SeedSequence(1), **kw)
    print(f"\n2000-sequence database ({len(db.residues)} residues): {time.perf_counter() - t:.3f} s")


def test_random_block_draws_each_sequence_from_its_own_composition():
    rng = np.random.default_rng(4)
    n = 50
    letter = rng.integers(0, 20, n)
    one_hot = np.eye(20)[letter]
    residues, lengths = dbm._random_block(rng, n, 40, one_hot)
    assert np.array_equal(residues, np.repeat(letter, lengths))


def test_the_yaml_keywords_are_builds_keywords_and_edge_cases_build():
    from collapsesim.domains.psiblast.params import DatabaseParams

    db = dbm.build(np.random.SeedSequence(0), **DatabaseParams(background=10).model_dump())
    assert len(db) == 5 * 20 + 10
    for kind in ("star", "coalescent"):
        db = dbm.build(np.random.SeedSequence(0), kind=kind, subfamilies=1, members=1,
                       background=0, chimeras=2, chimera_overlap=1.0, indel_rate=0.2)
        assert len(db) == 3 and db.subfamily_sizes.tolist() == [1]
