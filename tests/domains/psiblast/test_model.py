"""The psiblast domain's replicate: series, metrics, convergence, remedies
and export, on small databases (the alignment kernels and the PSSM have
their own tests; the validation against psiblast is the reproduction page)."""

from __future__ import annotations

import numpy as np
import pytest

from collapsesim.domains.psiblast import PsiblastParams, PsiblastSimulation
from collapsesim.domains.psiblast.database import CLASSES
from collapsesim.domains.psiblast.matrices import NOT_ALIGNED
from collapsesim.engine import get_backend

SMALL = {"subfamilies": 3, "members": 6, "length": 60, "background": 150,
         "background_length": 80, "flank": 8, "query_flank": 15}


def _sim(seed=1, backend="numpy", **kw):
    db = dict(SMALL, **kw.pop("database", {}))
    params = PsiblastParams(database=db, **kw)
    return PsiblastSimulation(params, get_backend(backend), np.random.SeedSequence(seed))


@pytest.mark.parametrize("kind", ["star", "coalescent"])
def test_every_family_kind_reports_the_headline(kind):
    sim = _sim(database={"kind": kind}, mode="ungapped")
    obs = sim.observe()
    sub = obs.series["subfamilies"]
    sizes = sim.db.subfamily_sizes
    assert np.array_equal(sub.reference, sizes.astype(float))
    # step 0: the query alone, in subfamily 0
    assert sub.abundances.sum() == 1 and sub.abundances[0] == 1
    sim.step()
    sub = sim.observe().series["subfamilies"]
    assert np.all(sub.abundances <= sub.reference)
    assert len(sub.abundances) == len(sizes)


def test_close_family_is_recovered_whole_and_alone():
    """Leaves 2·(0.2 + 0.1) substitutions/site apart (~60 % identity) over 60
    columns score far above any random 80-residue sequence at E ≤ 0.002: every
    member is included and nothing else."""
    sim = _sim(database={"subfamily_divergence": 0.1, "leaf_divergence": 0.1}, mode="gapped")
    for _ in range(3):
        sim.step()
    m = sim.observe().metrics
    assert m["recall"] == 1.0 and m["precision"] == 1.0
    assert all(m[f"fp_{c}"] == 0 for c in CLASSES[1:])


def test_convergence_ends_the_replicate():
    sim = _sim(database={"subfamily_divergence": 0.1, "leaf_divergence": 0.1}, mode="ungapped")
    for _ in range(6):
        sim.step()
        if sim.finished:
            break
    assert sim.finished and sim.observe().metrics["converged"] == 1.0
    before = sim.included.copy(), sim.iteration
    sim.step()  # a no-op once converged
    assert np.array_equal(sim.included, before[0]) and sim.iteration == before[1]


def test_query_seeding_fills_every_unaligned_cell():
    sim = _sim(database={"subfamily_divergence": 0.3}, mode="ungapped", query_seeding=True)
    sim.step()
    assert sim.rows.shape[1] == sim.m and not (sim.rows == NOT_ALIGNED).any()


def test_same_seed_same_database_and_trajectory():
    a, b = _sim(seed=3, mode="xdrop"), _sim(seed=3, mode="xdrop")
    for _ in range(2):
        a.step(), b.step()
    assert np.array_equal(a.db.residues, b.db.residues)
    assert a.observe().metrics == b.observe().metrics


def test_export_writes_the_database(tmp_path):
    sim = _sim(export=True)
    fasta, labels = sim.export([tmp_path])[0]
    assert fasta.read_text().count(">") == len(sim.db)
    assert len(labels.read_text().splitlines()) == len(sim.db) + 1
