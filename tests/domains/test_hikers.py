"""The ``hikers`` domain: conformance, moves, exploitation and remedies."""

import numpy as np
import pytest

from collapsesim.config import ConfigError, load
from collapsesim.domains.hikers import Hikers
from collapsesim.engine import get_backend
from collapsesim.runner import execute


def _build(params, backend="numpy", seed=0):
    cfg = load({"domain": "hikers", "steps": 1, "backend": backend, "params": params})
    return Hikers().build(cfg.params, backend=get_backend(backend), seeds=[np.random.SeedSequence(seed)], steps=1)


def _final(params, steps, replicates=2):
    cfg = load({"domain": "hikers", "steps": steps, "record_every": steps, "seed": 4,
                "replicates": replicates, "backend": "numba", "params": params})
    m = execute(cfg).metrics
    return m[m.step == m.step.max()]



def test_bad_parameters():
    with pytest.raises(ConfigError, match="params"):
        load({"domain": "hikers", "steps": 5, "params": {"problem": "onemax", "repulsion": {"strength": 1, "width": 1}}})
    with pytest.raises(ConfigError, match="params.exploit.q"):
        load({"domain": "hikers", "steps": 5, "params": {"exploit": {"kind": "quantile", "q": 0.9}}})


def test_hikers_climb():
    sim = _build({"problem": "F4", "N": 50, "interval": 0})
    f0 = sim.f.copy()
    for _ in range(20):
        sim.step()
    assert np.all(sim.f >= f0) and sim.evaluations == 50 * 21


def test_exploiting_collapses_and_the_radius_remedy_keeps_peaks():
    base = {"problem": "F6", "N": 200, "sigma": 0.005, "interval": 5}
    plain = _final(base, 150)
    local = _final({**base, "radius": 1.0}, 150)

    def d1(m):
        return m[(m.series == "optima") & (m.metric == "D1")].value.to_numpy()

    def lineages(m):
        return m[m.metric == "founder_lineages"].value.to_numpy()

    assert np.all(d1(plain) < 1.5) and np.all(lineages(plain) == 1)
    assert np.all(d1(local) > 8) and np.all(lineages(local) > 20)


def test_restarts_and_repulsion_run_and_count_evaluations():
    sim = _build({"problem": "F6", "N": 30, "restart_patience": 2, "repulsion": {"strength": 5, "width": 0.5}})
    for _ in range(10):
        sim.step()
    assert sim.evaluations > 30 * 11  # restarts cost evaluations
    assert np.all(np.isfinite(sim.f))


def test_bundled_scenarios_validate():
    from collapsesim.config import bundled_scenarios

    names = [n for n in bundled_scenarios() if n.split("/")[-1].startswith("hikers_")]
    assert len([n for n in names if "/" not in n]) >= 2
    for name in names:
        load(name)
