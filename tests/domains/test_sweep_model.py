"""The forward model of the sweep domain: one generation, the tree sequence,
the modes of entry of the beneficial allele, restarts, export, conformance.
(The recombination operators are tested in tests/engine/test_recombination.py.)"""

import allel
import numpy as np
import pytest
import tskit

import collapsesim as cs
from collapsesim.domains.sweep import SweepParams, SweepSimulation
from collapsesim.domains.sweep.generation import parents
from collapsesim.engine import get_backend

SMALL = dict(N=100, L=20_000, r=1e-6, mu=1e-5, window=2000, windows=[0, 5000], bins=4,
             ehh_region=10_000, sample_size=20, simplify_every=7)


def build(backend="numba", seed=0, **kw):
    return SweepSimulation(SweepParams(**(SMALL | kw)), get_backend(backend),
                           np.random.SeedSequence(seed, spawn_key=(0,)))


def finish(sim, limit=20_000):
    n = 0
    while not sim.finished and n < limit:
        sim.step()
        n += 1
    return n


def site_genotypes(sim) -> np.ndarray:
    """The beneficial allele of every copy, read back from the tree sequence."""
    ts = sim.rec.present().tree_sequence()
    if ts.num_sites == 0:
        return np.zeros(ts.num_samples, dtype=np.int8)
    return next(ts.variants()).genotypes



def test_parents_pair_independent_draws():
    rng = np.random.default_rng(1)
    be = get_backend("numpy")
    w = np.ones(1000)
    slots = parents(be, rng, w, 2000, 2)
    assert slots.shape == (2000, 2) and np.all(slots[:, 1] == slots[:, 0] + 1)
    same = np.mean(slots[0::2, 0] == slots[1::2, 0])  # selfing: the same parent twice, 1/N
    assert same < 0.01
    h = parents(be, rng, np.ones(500), 500, 1)
    assert h.shape == (500, 2) and h.max() < 500


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_tree_sequence_carries_the_selected_allele(backend):
    sim = build(backend, seed=3)
    for _ in range(40):
        sim.step()
        np.testing.assert_array_equal(site_genotypes(sim), sim.alleles)
    ts = sim.rec.present().tree_sequence()
    assert ts.num_samples == sim.M and all(t.num_roots == 1 for t in ts.trees())


def test_flush_equals_sorting_and_simplifying_everything():
    sim = build(seed=8, simplify_every=10**6, mode="recurrent", mu_b=1e-3)
    for _ in range(30):
        sim.step()
    rec = sim.rec
    naive = rec.tables.copy()  # every buffered birth, tskit's sort, then simplify
    for count, g in rec._births:
        naive.nodes.append_columns(flags=np.zeros(count, dtype=np.uint32),
                                   time=np.full(count, -float(g)),
                                   population=np.zeros(count, dtype=np.int32))
    for left, right, parent, child in rec._edges:
        naive.edges.append_columns(left=left.astype(float), right=right.astype(float),
                                   parent=parent.astype(np.int32), child=child.astype(np.int32))
    naive.sites.add_row(position=rec.site_position, ancestral_state="0")
    for node, time in rec._mutations:
        naive.mutations.add_row(site=0, node=node, derived_state="1", time=time)
    naive.sort()
    naive.simplify(samples=rec.nodes.astype(np.int32), filter_sites=False,
                   record_provenance=False)
    rec.flush()
    assert rec.tables.nodes == naive.nodes and rec.tables.edges == naive.edges
    assert rec.tables.mutations == naive.mutations


def test_numpy_and_numba_give_the_same_run():
    a, b = build("numpy", seed=4), build("numba", seed=4)
    for _ in range(60):
        a.step()
        b.step()
    np.testing.assert_array_equal(a.alleles, b.alleles)
    assert a.restarts == b.restarts
    assert a.observe().metrics == pytest.approx(b.observe().metrics, nan_ok=True)


def test_observing_does_not_change_the_trajectory():
    a, b = build(seed=6), build(seed=6)
    for t in range(50):
        a.step()
        b.step()
        a.observe()
        if t % 10 == 0:
            b.observe()
    np.testing.assert_array_equal(a.alleles, b.alleles)


def test_hard_sweep_restarts_on_loss_and_fixes():
    sim = build(seed=2, s=0.05)
    assert sim.alleles.sum() == 1
    finish(sim)
    m = sim.observe().metrics
    assert m["p"] == 1 and m["restarts"] >= 1 and m["restarts"] == sim.restarts
    assert m["sweep_duration"] == sim.end_generation and m["n_origins"] == 1
    assert np.all(site_genotypes(sim) == 1)


def test_partial_sweep_stops_at_target_and_records_after():
    sim = build(seed=1, target=0.3, post_sweep=5)
    finish(sim)
    assert sim.generation == sim.end_generation + 5
    sim2 = build(seed=1, target=0.3)
    finish(sim2)
    assert 0.3 <= sim2.alleles.mean() < 1


def test_unconditioned_loss_finishes():
    sim = build(seed=0, s=0.0, condition=False)
    finish(sim)
    assert sim.lost and sim.alleles.sum() == 0 and sim.restarts == 0


def test_standing_variation_random_copies_are_origins():
    sim = build(seed=3, mode="standing", x0=0.05)
    k = round(200 * 0.05)
    assert sim.alleles.sum() == k and sorted(sim.origins[sim.alleles == 1]) == list(range(k))
    finish(sim)
    m = sim.observe().metrics
    assert m["p"] == 1 and 1 <= m["n_origins"] <= k


def test_standing_variation_drifts_neutrally_to_x0_first():
    sim = build(seed=5, mode="standing", standing="drift", x0=0.1)
    assert not sim.selecting
    while not sim.selecting:
        sim.step()
    carriers = np.flatnonzero(sim.alleles == 1)
    assert len(carriers) >= 20 and sorted(sim.origins[carriers]) == list(range(len(carriers)))
    assert sim.rec.present().tree_sequence().num_mutations == 1  # one ancestral mutation
    finish(sim)
    assert sim.alleles.mean() == 1


def test_recurrent_mutation_adds_origins_and_mutations():
    sim = build(seed=2, mode="recurrent", mu_b=5e-3)
    assert sim.alleles.sum() == 0
    finish(sim)
    ts = sim.rec.present().tree_sequence()
    assert sim.alleles.mean() == 1 and ts.num_mutations >= sim.observe().metrics["n_origins"] > 1


def test_size_history_and_onset():
    sim = build(seed=1, N=[{"generation": 0, "N": 100}, {"generation": 5, "N": 30},
                           {"generation": 15, "N": 80}], onset=20)
    for g in range(1, 21):
        sim.step()
        assert sim.M == 2 * {True: 100, False: 30 if g < 15 else 80}[g < 5]
    assert sim.generation == 20 and sim.alleles.sum() == 1


def test_haploid_sweep():
    sim = build(seed=1, ploidy=1, N=200, s=0.2)
    assert sim.M == 200
    finish(sim)
    assert sim.alleles.mean() == 1 and np.all(site_genotypes(sim) == 1)


def test_forward_burn_in_is_recapitated():
    sim = build(seed=1, start="forward", burn_in=50, N=50)
    ts = sim.rec.present().tree_sequence()
    assert ts.num_samples == 100 and all(t.num_roots == 1 for t in ts.trees())
    assert ts.max_root_time > 50  # older than the burn-in: the coalescent finished it


def _check_export(trees, vcf_path, N=100):
    ts = tskit.load(trees)
    assert ts.num_individuals == N and ts.num_samples == 2 * N
    assert ts.num_sites > 10 and 10_000 in ts.sites_position
    assert any("1 : 1+hs : 1+s" in p.record for p in ts.provenances())
    vcf = allel.read_vcf(str(vcf_path))
    assert vcf["calldata/GT"].shape == (ts.num_sites, N, 2)
    at = np.flatnonzero(vcf["variants/POS"] == 10_001)  # VCF is 1-based
    return ts, vcf, at


def test_export_trees_and_vcf(tmp_path):
    sim = build(seed=2)
    finish(sim)
    folder = tmp_path / "replicates" / "0"
    [(trees, vcf_path)] = sim.export([folder])
    assert (trees, vcf_path) == (folder / "trees.trees", folder / "genotypes.vcf")
    ts, vcf, at = _check_export(trees, vcf_path)
    assert len(at) == 1 and np.all(vcf["calldata/GT"][at[0]] == 1)  # fixed
    again = build(seed=2)
    finish(again)
    again.export([tmp_path / "again"])
    assert tskit.load(tmp_path / "again" / "trees.trees").tables.equals(
        ts.tables, ignore_provenance=True)  # the export's mutations come from the seed
    with pytest.raises(ValueError, match="one replicate"):
        sim.export([tmp_path / "a", tmp_path / "b"])


def test_runner_exports_each_replicate(tmp_path):
    scenario = {"domain": "sweep", "steps": 6, "replicates": 2, "record_every": 3, "seed": 1,
                "params": SMALL | {"export": True}}
    res = cs.run(scenario, out=tmp_path / "run")
    assert res.summary["status"] == "completed"
    for j in (0, 1):
        folder = tmp_path / "run" / "replicates" / str(j)
        ts, _, at = _check_export(folder / "trees.trees", folder / "genotypes.vcf")
        assert ts.num_sites > 0
    plain = cs.run(scenario | {"params": SMALL}, out=tmp_path / "plain")
    assert plain.summary["status"] == "completed"
    assert not (tmp_path / "plain" / "replicates").exists()


def test_observation_series_and_metrics():
    sim = build(seed=7)
    obs = sim.observe()
    assert set(obs.series) == {"window_0", "window_1", "origins"}
    assert obs.series["window_0"].abundances.sum() == 20
    assert obs.series["window_0"].reference > 1
    for key in ("p", "pi", "theta_w", "pi_bin_03", "theta_w_bin_00", "pi_site", "tajimas_D",
                "fay_wu_H", "H1", "H12", "H2_H1", "n_haplotypes", "haplotype_diversity", "nSL",
                "iHS", "n_origins", "p_different_origins", "restarts", "generation"):
        assert key in obs.metrics
    assert obs.metrics["p"] == pytest.approx(1 / 200)
