"""The particle filter's batched replicates (issue #14): a replicate alone equals
its row in a batch, on every backend; a row whose weights fail diverges alone;
checkpoints restore every row; the stacked variants are the lone runs."""

from __future__ import annotations

import hashlib
import pickle

import numpy as np
import pytest

import collapsesim as cs
from collapsesim.config import load
from collapsesim.domains.base import ReplicateStack
from collapsesim.domains.particle_filter.simulation import (BatchedParticleFilterSimulation,
                                                            ParticleFilterSimulation)
from collapsesim.engine import get_backend
from collapsesim.registry import get_domain

BACKENDS = ("numpy", "numba", "torch")


def _seeds(R, seed=7):
    return [np.random.SeedSequence(seed, spawn_key=(j,)) for j in range(R)]


def _build(scenario, overrides, backend, seeds, steps):
    cfg = load(scenario, overrides)
    return get_domain("particle_filter")().build(cfg.params, backend=get_backend(backend),
                                                 seeds=seeds, steps=steps), cfg


def _same(a, b):
    return a.metrics == b.metrics and a.series.keys() == b.series.keys() and all(
        np.array_equal(a.series[k].abundances, b.series[k].abundances) for k in a.series)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("scenario,overrides", [
    ("particle_filter", ["params.N=64"]),
    ("particle_filter_adaptive", ["params.N=64"]),  # rows resample on different steps
    ("particle_filter_bimodal", ["params.scheme=residual"]),
    ("particle_filter_backward", ["params.N=40", "params.smoother={kind: ffbsi, trajectories: 8}"]),
    ("particle_filter_fixed_lag", ["params.N=40"]),
])
def test_replicate_alone_equals_its_row_in_a_batch_of_four(scenario, overrides, backend):
    steps = 12
    seeds = _seeds(4)
    sim, cfg = _build(scenario, overrides, backend, seeds, steps)
    assert isinstance(sim, BatchedParticleFilterSimulation)
    lone = [ParticleFilterSimulation(cfg.params, get_backend(backend), s, steps) for s in seeds]
    resampled = set()
    for _ in range(steps):
        sim.step()
        for one in lone:
            one.step()
        obs = sim.observe()
        resampled.add(tuple(o.metrics["resampled"] for o in obs))
        for r, one in enumerate(lone):
            assert _same(obs[r], one.observe()), (r, sim.smc.t)
    assert sim.finished
    if "adaptive" in scenario:  # the per-row decision was exercised: rows differed on some step
        assert any(len(set(row)) > 1 for row in resampled)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_row_whose_weights_fail_diverges_alone(backend):
    """Row 1's particles are made NaN after step 3: its weights are NaN at step 4,
    it diverges with the lone message, the other rows go on equal to their lone runs."""
    steps, seeds = 8, _seeds(4, seed=3)
    sim, cfg = _build("particle_filter", ["params.N=32"], backend, seeds, steps)
    lone = [ParticleFilterSimulation(cfg.params, get_backend(backend), s, steps) for s in seeds]
    for t in range(1, steps + 1):
        if t == 4:
            sim.smc.x[1] = float("nan")
        sim.step()
        for r, one in enumerate(lone):
            if r != 1:
                one.step()
        if t < 4:
            assert not sim.diverged.any()
            continue
        assert sim.diverged.tolist() == [False, True, False, False]
        assert sim.divergence[1] == "importance weights became NaN at time 4"
        rows = np.array([0, 2, 3])
        for r, o in zip(rows, sim.observe(rows)):
            assert _same(o, lone[r].observe())


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("variant", [["params.resampling=adaptive"], ["params.resample_move=2"]])
def test_checkpoint_restores_every_row(backend, variant):
    """Batched and stacked (resample-move) simulations resume as uninterrupted."""
    steps, seeds = 10, _seeds(3)
    over = ["params.N=32", "params.smoother={kind: ffbsi, trajectories: 8}"] + variant
    sim, _ = _build("particle_filter", over, backend, seeds, steps)
    for _ in range(4):
        sim.step()
    state = pickle.loads(pickle.dumps(sim.state_dict()))
    for _ in range(steps - 4):
        sim.step()
    want = sim.observe()
    resumed, _ = _build("particle_filter", over, backend, seeds, steps)
    resumed.load_state_dict(state)
    for _ in range(steps - 4):
        resumed.step()
    assert all(_same(a, b) for a, b in zip(resumed.observe(), want))


def test_stacked_variants_are_lone_runs():
    """Guided/auxiliary filters and the remedies run as stacked lone replicates."""
    steps, seeds = 5, _seeds(2)
    for over in (["params.filter=auxiliary"], ["params.resample_move=2"], ["params.roughening=0.2"]):
        sim, cfg = _build("particle_filter", ["params.N=32"] + over, "numpy", seeds, steps)
        assert isinstance(sim, ReplicateStack)
        lone = ParticleFilterSimulation(cfg.params, get_backend("numpy"), seeds[1], steps)
        for _ in range(steps):
            sim.step()
            lone.step()
        assert _same(sim.observe([1])[0], lone.observe())


# Produced by the pre-batching code (commit 9e9baa2, lone replicates): the metrics of
# cs.run(<scenario>, replicates=3, steps=25), sorted, hashed (torch on one thread: its CPU
# reductions may round differently with more; the torch pin is the degeneracy scenario,
# made at 9e9baa2 and the same with 1 and 2 threads; the bimodal scenario is not pinned: its
# grid reference was then a BLAS product whose rounding followed OpenBLAS's thread count).
# The batched code must keep them.
PINNED = {
    ("particle_filter_adaptive", "numba"): "877ffdea268ee246",
    ("particle_filter_degeneracy", "torch"): "53b9d9ac02cd62c2",
    ("particle_filter_backward", "numpy"): "222062a0e8381b0a",
}


@pytest.mark.parametrize("scenario,backend", list(PINNED))
def test_numbers_of_the_lone_code_are_kept(scenario, backend):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the pinned torch numbers were made on one thread
    try:
        df = cs.run(scenario, backend=backend, replicates=3, steps=25).metrics
    finally:
        torch.set_num_threads(threads)
    df = df[sorted(df.columns)]
    df = df.sort_values(by=[c for c in ("replicate", "step", "series", "metric")
                            if c in df.columns]).reset_index(drop=True)
    h = hashlib.sha256(df.to_csv(index=False, float_format="%.17g").encode()).hexdigest()[:16]
    assert h == PINNED[(scenario, backend)]
