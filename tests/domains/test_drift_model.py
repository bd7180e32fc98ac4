"""Structure of one drift replicate: conservation, mutation, types, fixation,
reproducibility (the Moran operator is tested in tests/engine/test_moran.py)."""

import numpy as np
import pytest

from collapsesim.domains.base import Observation
from collapsesim import theory
from collapsesim.domains.drift import Drift, DriftParams
from collapsesim.engine.backends import get_backend

BACKENDS = ["numpy", "numba", "torch"]


def build(backend="numpy", seed=0, **kw):
    return Drift().build(DriftParams(**kw), backend=get_backend(backend, "cpu"),
                         seeds=[np.random.SeedSequence(seed, spawn_key=(0,))], steps=100)


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
