"""The model_collapse simulation: parameter errors name their key, every
model kind runs under every regime it allows, a replicate re-run alone equals
itself in the batch, numba equals numpy, and the observations mean what the
domain documents."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from collapsesim.config import ConfigError, load
from collapsesim.domains.model_collapse.model import ModelCollapseSimulation
from collapsesim.domains.model_collapse.params import ModelCollapseParams
from collapsesim.domains.model_collapse.regimes import real_weight
from collapsesim.engine import get_backend

KINDS = [{"kind": "categorical", "V": 20, "temperature": 0.9, "top_k": 15, "top_p": 0.95},
         {"kind": "markov", "V": 3, "order": 2, "length": 6},
         {"kind": "gaussian", "d": 2},
         {"kind": "kde", "d": 1, "bandwidth": "silverman"},
         {"kind": "regression", "d": 3},
         {"kind": "gmm", "components": 2, "restarts": 2, "iterations": 10},
         {"kind": "neural", "components": 2, "hidden": 4, "epochs": 5}]
REGIMES = [{"kind": "replace"}, {"kind": "accumulate"}, {"kind": "fresh", "lam": 0.3},
           {"kind": "weighted", "real_n": 10, "real_weight": 0.4},
           {"kind": "curation", "threshold": 0.25, "verifier": "real"}]


def params(model, regime=None, n=24, **kw) -> ModelCollapseParams:
    return ModelCollapseParams.model_validate({"model": model, "n": n, "cells": 5, "heldout": 30,
                                               "regime": regime or {"kind": "replace"}, **kw})


def simulate(p, backend="numpy", keys=(0, 1, 2), steps=3):
    seeds = [np.random.SeedSequence(11, spawn_key=(j,)) for j in keys]
    sim = ModelCollapseSimulation(p, get_backend(backend), seeds)
    obs = [sim.observe()]
    for _ in range(steps):
        sim.step()
        obs.append(sim.observe())
    return sim, obs


def flat(obs) -> list:
    return [(o.series["support"].abundances.tolist(), sorted(o.metrics.items()))
            for step in obs for o in step]


@pytest.mark.parametrize("bad, key", [
    ({"n": 1}, "params.n"),
    ({"model": {"kind": "categorical", "V": 1}}, "params.model.V"),
    ({"regime": {"kind": "fresh", "lam": 1.5}}, "params.regime.lam"),
    ({"model": {"kind": "categorical", "temperature": 0}}, "params.model.temperature"),
    ({"model": {"kind": "markov", "temperature": -1.0}}, "params.model.temperature"),
    ({"regime": {"kind": "weighted", "real_weight": 2.0}}, "params.regime: expected real_weight"),
    ({"model": {"kind": "regression", "d": 10}, "n": 8}, "params: expected n >= d + 2"),
])
def test_bad_parameters_name_the_key(bad, key):
    sc = {"domain": "model_collapse", "steps": 1, "params": bad}
    with pytest.raises(ConfigError) as exc:
        load(sc)
    msg = str(exc.value)
    assert key in msg and len(msg.splitlines()) == 1, msg


@pytest.mark.parametrize("model", KINDS, ids=lambda m: m["kind"])
@pytest.mark.parametrize("regime", REGIMES, ids=lambda r: r["kind"])
def test_every_kind_and_regime_runs(model, regime):
    if regime["kind"] == "curation" and model["kind"] == "regression":
        with pytest.raises(ValueError, match="curation"):
            params(model, regime)
        return
    p = params(model, regime)
    sim, obs = simulate(p, steps=2)
    for step in obs:
        assert len(step) == 3
        for o in step:
            a = o.series["support"].abundances
            per = p.model.length - p.model.order if p.model.kind == "markov" else 1  # n-grams
            assert a.sum() == p.n * per and len(a) == len(o.series["support"].reference)
            assert 0 < o.metrics["real_mass_covered"] <= 1 + 1e-12
    if regime["kind"] == "accumulate":
        assert sim.regime.pool.shape[1] == 3 * p.n


@pytest.mark.parametrize("model", KINDS, ids=lambda m: m["kind"])
def test_replicate_alone_equals_itself_in_the_batch(model):
    p = params(model, {"kind": "fresh", "lam": 0.3})
    _, batch = simulate(p, keys=(0, 1, 2))
    _, alone = simulate(p, keys=(2,))
    assert flat([[step[2]] for step in batch]) == flat(alone)


def test_numba_equals_numpy():
    for model in KINDS[:5]:
        p = params(model, {"kind": "weighted", "real_n": 10, "real_weight": "optimal"})
        assert flat(simulate(p, "numpy")[1]) == flat(simulate(p, "numba")[1])


def test_generation_zero_is_real_data():
    p = params({"kind": "gaussian", "d": 1}, n=20_000, cells=10, heldout=100)
    _, obs = simulate(p, steps=0, keys=(0,))
    o = obs[0][0]
    counts = o.series["support"].abundances
    assert np.all(np.abs(counts / p.n - 0.1) <= 4 * math.sqrt(0.09 / p.n))
    assert abs(o.metrics["tail_mass"] - 0.02) <= 4 * math.sqrt(0.02 * 0.98 / p.n)
    assert o.metrics["variance_ratio"] == pytest.approx(1.0, abs=0.05)


def test_categorical_metrics_agree_with_the_support():
    p = params({"kind": "categorical", "V": 40, "zipf_a": 1.3}, n=30)
    _sim, obs = simulate(p, steps=5)
    for o in obs[-1]:
        kept = o.series["support"].abundances > 0
        ref = o.series["support"].reference
        assert o.metrics["tokens_lost"] == 40 - kept.sum()     # temperature 1: fitted = produced
        assert o.metrics["real_mass_covered"] == pytest.approx(ref[kept].sum())
        assert "kl" not in o.metrics                            # a lost token: KL is infinite


def test_curation_keeps_the_best_scored_candidates():
    p = params({"kind": "gaussian", "d": 1}, {"kind": "curation", "threshold": 0.5}, n=50)
    sim, _ = simulate(p, steps=1)
    candidates = sim.model.sample(100, copy.deepcopy(sim.draws))[..., 0]
    x = sim.regime.next(sim.draws)[0][..., 0]
    assert x.shape == (3, 50)
    dist = np.abs(candidates - sim.real.mean[0])     # the real density falls with it
    for r in range(3):
        near = np.sort(np.argsort(dist[r], kind="stable")[:50])
        assert np.array_equal(x[r], candidates[r, near])


def test_optimal_real_weight_is_the_golden_ratio_at_equal_sizes():
    p = params({"kind": "gaussian", "estimator": "mean_only"},
               {"kind": "weighted", "real_n": 24, "real_weight": "optimal"})
    assert real_weight(p.regime, p.n) == pytest.approx((math.sqrt(5) - 1) / 2)
