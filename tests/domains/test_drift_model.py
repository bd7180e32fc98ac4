"""Structure of one drift replicate: conservation, mutation, types, fixation,
reproducibility (the Moran operator is tested in tests/engine/test_moran.py);
and the batched replicates (DriftBatch): row r is replicate r run alone."""

import numpy as np
import pandas as pd
import pytest

from collapsesim.domains.base import Observation
from collapsesim import theory
import collapsesim as cs
from collapsesim.domains.base import Observations, ReplicateStack
from collapsesim.domains.drift import Drift, DriftBatch, DriftParams, DriftSimulation
from collapsesim.engine.backends import get_backend
from collapsesim.runner import execute

BACKENDS = ["numpy", "numba", "torch"]


def build(backend="numpy", seed=0, **kw):
    """One replicate, the model alone (the domain's build batches replicates)."""
    return DriftSimulation(DriftParams(**kw), get_backend(backend, "cpu"),
                           np.random.SeedSequence(seed, spawn_key=(0,)))


def run(sim, steps):
    for _ in range(steps):
        sim.step()
    return sim


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kw", [
    {"N": 60, "K": 4, "s": 0.1},
    {"N": 60, "K": 4, "mu": 0.05},
    {"N": 60, "K": 2, "mu": 0.05, "mutation": "infinite"},
    {"N": 60, "K": 4, "mu": 0.05, "model": "moran", "s": [0.2, 0.0, 0.0, -0.1]},
    {"N": 60, "K": 2, "mu": 0.05, "model": "moran", "mutation": "infinite"},
    {"N": [{"generation": 0, "N": 60}, {"generation": 5, "N": 7},
           {"generation": 8, "N": 90}], "K": 3},
    {"N": [{"generation": 0, "N": 60}, {"generation": 5, "N": 7}], "K": 3, "model": "moran"},
])
def test_counts_are_conserved_and_observed(backend, kw):
    sim = build(backend, **kw)
    for g in range(1, 12):
        sim.step()
        obs = sim.observe()
        assert isinstance(obs, Observation)
        counts = obs.series["types"].abundances
        n = sim.params.size_at(g)
        assert counts.sum() == n == obs.metrics["N"]
        assert (counts >= 0).all() and counts.dtype == np.int64
        assert len(counts) >= sim.params.K
        p = counts / n
        assert obs.metrics["heterozygosity"] == pytest.approx(1 - np.sum(p**2))
        assert obs.metrics["heterozygosity_unbiased"] == pytest.approx(
            n / (n - 1) * obs.metrics["heterozygosity"])
        assert obs.metrics["n_types"] == np.count_nonzero(counts)
        assert obs.metrics["focal_frequency"] == p[0]


def test_infinite_alleles_keeps_initial_types_and_drops_lost_new_ones():
    sim = run(build(N=200, K=3, mu=0.2, mutation="infinite"), 30)
    counts = sim.observe().series["types"].abundances
    assert (counts[3:] > 0).all()  # new types beyond K only while present
    assert len(counts) > 3
    assert sim.observe().series["types"].reference == pytest.approx(theory.equilibrium_d1(80.0))
    assert len(sim.fitness) == len(sim.counts) and (sim.fitness[3:] == 1).all()


def test_k_allele_mutation_rate_one_flips_every_offspring():
    sim = build(N=50, initial_counts=[50, 0], mu=1.0)
    sim.step()
    assert sim.counts.tolist() == [0, 50]


def test_reference_is_initial_counts_for_k_allele():
    sim = run(build(N=30, K=3), 5)
    np.testing.assert_array_equal(sim.observe().series["types"].reference, [10, 10, 10])


def test_fixation_metrics_and_finished():
    sim = build(N=10, K=2)
    assert not sim.finished and "fixation_generation" not in sim.observe().metrics
    while not sim.finished:
        sim.step()
    m = sim.observe().metrics
    assert m["fixed"] == 1.0 and m["fixation_generation"] == sim.generation
    assert m["focal_frequency"] in (0.0, 1.0) and m["heterozygosity"] == 0.0
    # with mutation a monomorphic population is not finished
    assert not build(N=10, initial_counts=[10, 0], mu=0.01).finished


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("model", ["wright-fisher", "moran"])
def test_same_seed_same_run_other_seed_differs(backend, model):
    kw = dict(N=100, K=5, mu=0.01, model=model)
    a = run(build(backend, 1, **kw), 20).counts
    b = run(build(backend, 1, **kw), 20).counts
    c = run(build(backend, 2, **kw), 20).counts
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_fixed_type_is_recorded_from_fixation_on():
    sim = build(N=8, initial_counts=[2, 6], seed=3)
    assert "fixed_type" not in sim.observe().metrics
    while not sim.finished:
        sim.step()
    m = sim.observe().metrics
    assert m["fixed_type"] == np.flatnonzero(sim.counts)[0]
    assert m["focal_frequency"] == (1.0 if m["fixed_type"] == 0 else 0.0)


# -- batched replicates ---------------------------------------------------------------------

SEEDS = [np.random.SeedSequence(7, spawn_key=(j,)) for j in range(5)]


def batch(backend, **kw):
    return Drift().build(DriftParams(**kw), backend=get_backend(backend, "cpu"), seeds=SEEDS,
                         steps=100)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kw", [
    {"N": 12, "K": 3, "s": [0.3, 0.0, -0.2]},  # rows fix at different generations
    {"N": 60, "K": 4, "mu": 0.05},
    {"N": [{"generation": 0, "N": 30}, {"generation": 4, "N": 5}, {"generation": 9, "N": 40}],
     "K": 3},
])
def test_batch_rows_are_the_lone_replicates(backend, kw):
    """Every generation, row r's counts equal replicate r's alone (same draws),
    also after rows fixed and stopped drawing; fixation generations agree."""
    sim = batch(backend, **kw)
    assert isinstance(sim, DriftBatch)
    lone = [DriftSimulation(DriftParams(**kw), get_backend(backend, "cpu"), s) for s in SEEDS]
    for _ in range(40):
        sim.step()
        for r, one in enumerate(lone):
            if not one.finished:
                one.step()
                np.testing.assert_array_equal(sim.counts[r], one.counts)
    fixed = [-1 if o.fixation_generation is None else o.fixation_generation for o in lone]
    np.testing.assert_array_equal(sim.fixation_generation, fixed)
    if kw.get("mu", 0) == 0:
        np.testing.assert_array_equal(sim.finished, [o.finished for o in lone])


@pytest.mark.parametrize("backend", BACKENDS)
def test_stacked_observation_matches_the_lone_one(backend):
    kw = {"N": 20, "K": 3, "s": [0.2, 0.0, 0.0]}
    sim = run(batch(backend, **kw), 15)
    lone = [run(DriftSimulation(DriftParams(**kw), get_backend(backend, "cpu"), s), 15) for s in SEEDS]
    obs = sim.observe(np.array([1, 3]))
    assert isinstance(obs, Observations) and len(obs) == 2
    for i, r in enumerate([1, 3]):
        one = lone[r].observe()
        np.testing.assert_array_equal(obs.series["types"].abundances[i], one.series["types"].abundances)
        got = {k: float(v[i]) for k, v in obs.metrics.items() if not np.isnan(v[i])}
        assert got.keys() == one.metrics.keys()
        for k, v in one.metrics.items():
            assert got[k] == pytest.approx(v, rel=1e-14, abs=1e-15), k


@pytest.mark.parametrize("kw", [{"N": 30, "K": 2, "mu": 0.05, "mutation": "infinite"},
                                {"N": 30, "K": 3, "model": "moran"}])
def test_moran_and_infinite_alleles_run_as_stacked_lone_replicates(kw):
    sim = batch("numpy", **kw)
    assert isinstance(sim, ReplicateStack)
    lone = DriftSimulation(DriftParams(**kw), get_backend("numpy", "cpu"), SEEDS[2])
    run(sim, 10), run(lone, 10)
    np.testing.assert_array_equal(sim.sims[2].counts, lone.counts)


@pytest.mark.parametrize("backend", BACKENDS)
def test_replicate_alone_equals_its_row_in_a_run_with_fixations(backend):
    """Through the runner: replicates fix at different steps (recorded there,
    then never again); replicate 3 re-run alone gives its rows of the run."""
    sc = {"domain": "drift", "name": "fix", "seed": 4, "steps": 300, "record_every": 300,
          "replicates": 6, "backend": backend, "params": {"N": 15, "K": 2}}
    res = cs.run(sc)
    per = res.summary["per_replicate"]
    steps_run = [r["steps_run"] for r in per]
    assert all(r["status"] == "completed" for r in per) and len(set(steps_run)) > 1
    m = res.metrics
    for r in per:  # recorded at 0 and at its own fixation step only
        assert sorted(set(m.loc[m.replicate == r["replicate"], "step"])) == [0, r["steps_run"]]
    alone = execute(cs.load(sc), spawn_keys=[(3,)], replicate_ids=[3]).metrics
    cols = ["step", "series", "metric", "value"]
    a = alone[cols].sort_values(cols[:3]).reset_index(drop=True)
    b = m.loc[m.replicate == 3, cols].sort_values(cols[:3]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_batched_checkpoint_resume_equals_an_uninterrupted_run(tmp_path):
    sim = batch("numba", N=12, K=3, s=[0.3, 0.0, -0.2])
    run(sim, 5)
    state = sim.state_dict()
    run(sim, 10)
    again = batch("numba", N=12, K=3, s=[0.3, 0.0, -0.2])
    again.load_state_dict(state)
    run(again, 10)
    np.testing.assert_array_equal(again.counts, sim.counts)
    np.testing.assert_array_equal(again.fixation_generation, sim.fixation_generation)
