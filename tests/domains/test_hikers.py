"""The ``hikers`` domain: conformance, moves, exploitation and remedies."""

import numpy as np
import pytest

from collapsesim.config import ConfigError, load
from collapsesim.domains.ga.arrays import Random
from collapsesim.domains.ga.observe import host_genomes
from collapsesim.domains.hikers import Hikers
from collapsesim.domains.hikers.exploit import copy_sources
from collapsesim.domains.hikers.model import flip_one_bit
from collapsesim.engine import get_backend
from collapsesim.engine.bits import unpack_bits
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


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_one_bit_flip(backend):
    be = get_backend(backend)
    rnd = Random(be, np.random.SeedSequence(1))
    g = be.bitflip_mutation(be.asarray(np.zeros((1, 300, 2), dtype=np.uint64)), 100, 0.5, rnd.gen)
    h = flip_one_bit(g, 100, rnd)
    diff = unpack_bits(host_genomes(g), 128) != unpack_bits(host_genomes(h), 128)
    assert np.all(diff.sum(-1) == 1) and not diff[..., 100:].any()


def test_quantile_exploit_copies_the_top_into_the_bottom():
    rnd = Random(get_backend("numpy"), np.random.SeedSequence(2))
    f = np.array([[5.0, 1.0, 7.0, 3.0, 9.0, 0.0, 2.0, 8.0]])
    src = copy_sources(f, 2, "quantile", rnd)[0]
    bottom, top = [5, 1], [7, 4]
    assert set(src[bottom]) <= set(top)
    keep = [i for i in range(8) if i not in bottom]
    assert src[keep].tolist() == keep
    best = copy_sources(f, 7, "best", rnd)[0]
    assert best.tolist() == [4] * 8


def test_radius_limits_copying_to_neighbours():
    rnd = Random(get_backend("numpy"), np.random.SeedSequence(2))
    f = np.array([[0.0, 1.0, 2.0, 3.0]])
    x = np.array([[[0.0], [10.0], [0.5], [20.0]]])
    src = copy_sources(f, 2, "quantile", rnd, x, radius=1.0)[0]
    # hiker 0 may only copy hiker 2 (within 1); hiker 1 has no top hiker within 1 and stays
    assert src.tolist() == [2, 1, 2, 3]


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
