"""The ``ga`` domain: conformance, parameters, operators and remedies."""

import numpy as np
import pytest
import torch

from collapsesim.config import ConfigError, load
from collapsesim.domains.ga import GA
from collapsesim.domains.ga.niching import restricted_tournament
from collapsesim.engine import get_backend
from collapsesim.runner import execute


def _rng(backend="numpy", seed=0):
    return get_backend(backend).rng(np.random.SeedSequence(seed))


def _build(params, backend="numpy", seed=0):
    """A simulation of one replicate (a batch of one)."""
    cfg = load({"domain": "ga", "steps": 1, "backend": backend, "params": params})
    return GA().build(cfg.params, backend=get_backend(backend), seeds=[np.random.SeedSequence(seed)], steps=1)


def _final(params, steps, backend="numba", replicates=1, seed=1):
    cfg = load({"domain": "ga", "steps": steps, "record_every": steps, "seed": seed,
                "replicates": replicates, "backend": backend, "params": params})
    m = execute(cfg).metrics
    return m[m.step == m.step.max()]



def test_shorthand_and_resolved_round_trip():
    cfg = load({"domain": "ga", "steps": 5, "params": {"selection": "proportional", "crossover": "sbx"}})
    assert cfg.params.selection.kind == "proportional" and cfg.params.crossover.eta == 15.0
    assert load(cfg.resolved()).resolved() == cfg.resolved()


@pytest.mark.parametrize("params,key", [
    ({"problem": "F4", "mutation": "bitflip"}, "params"),
    ({"problem": "onemax", "crossover": "sbx", "mutation": "bitflip"}, "params"),
    ({"problem": "F4", "N": 30, "islands": {"count": 4}}, "params"),
    ({"problem": "rastrigin", "max_fes": "official"}, "params"),
    ({"problem": "F4", "replacement": "comma", "offspring": 10}, "params"),
    ({"problem": "F99"}, "params.problem"),
    ({"selection": {"kind": "tournament", "k": 0}}, "params.selection.k"),
])
def test_inconsistent_parameters_are_config_errors(params, key):
    with pytest.raises(ConfigError) as err:
        load({"domain": "ga", "steps": 5, "params": params})
    assert key in str(err.value)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_restricted_tournament_never_lowers_a_slot(backend):
    be = get_backend(backend)
    rng = _rng(backend, 3)
    x, c = be.uniform((2, 50, 2), rng), be.uniform((2, 80, 2), rng)
    f, fc = (x ** 2).sum(-1), (c ** 2).sum(-1)
    state, fit, winner = restricted_tournament(be, x, f, c, fc, 5, False, rng)
    f, fit, winner = be.to_numpy(f), be.to_numpy(fit), be.to_numpy(winner)
    assert np.all(fit >= f) and np.any(winner >= 0)
    took = winner >= 0
    np.testing.assert_array_equal(fit[took], np.take_along_axis(be.to_numpy(fc), winner.clip(0), 1)[took])


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_plus_and_elitism_never_lose_the_best(backend):
    for params in ({"replacement": "plus", "offspring": 30}, {"elitism": 1, "mutation": {"kind": "gaussian", "sigma": 0.3}}):
        sim = _build({"problem": "F5", "N": 30, **params}, backend)
        best = [float(sim.backend.to_numpy(sim.f).max())]
        for _ in range(15):
            sim.step()
            best.append(float(sim.backend.to_numpy(sim.f).max()))
        assert np.all(np.diff(best) >= 0)


def test_ring_migration_carries_the_best_to_the_next_island():
    sim = _build({"problem": "F4", "N": 40, "islands": {"count": 4, "interval": 1, "migrants": 1},
                  "mutation": "none"})
    sim.step()
    f = sim.f
    # with no variation every deme's best before migration is a copy of an old individual;
    # after it, each deme holds its own best and its left neighbour's
    assert f.shape == (4, 10)
    parents = sim.parents.reshape(4, 10)
    migrants_from_left = [(parents[i] // 10 == (i - 1) % 4).sum() for i in range(4)]
    assert migrants_from_left == [1, 1, 1, 1]


def test_immigrants_count_as_evaluations():
    sim = _build({"problem": "F4", "N": 50, "immigrants": 0.2})
    sim.step()
    assert sim.evaluations == 50 + 50 + 10


def test_bits_run_on_torch_and_match_the_problem():
    sim = _build({"problem": "royal_road", "N": 16, "crossover": "one_point", "mutation": "bitflip"}, "torch")
    for _ in range(3):
        sim.step()
    assert isinstance(sim.x, torch.Tensor) and sim.x.dtype == torch.uint64
    np.testing.assert_array_equal(sim.f.numpy(), sim.problem.evaluate(sim.x).numpy())


def test_tournament_collapses_and_crowding_keeps_the_four_himmelblau_optima():
    base = {"problem": "F4", "N": 200, "crossover": "sbx", "mutation": {"kind": "gaussian", "sigma": 0.01}}
    plain = _final({**base, "selection": {"kind": "tournament", "k": 2}}, 150, replicates=2)
    kept = _final({**base, "replacement": "crowding"}, 150, replicates=2)

    def d1(m):
        return m[(m.series == "optima") & (m.metric == "D1")].value.to_numpy()

    assert np.all(d1(plain) < 1.6) and np.all(d1(kept) > 3.5)
    pr = kept[kept.metric == "peak_ratio_1e-1"].value.to_numpy()
    assert np.all(pr == 1.0)


def test_nbc_cma_finds_every_himmelblau_optimum_within_the_budget():
    cfg = load({"domain": "ga", "steps": 100_000, "record_every": 100_000, "backend": "numpy",
                "params": {"problem": "F4", "method": "nbc-cma", "max_fes": "official"}})
    res = execute(cfg)
    m = res.metrics
    last = m[m.step == m.step.max()].set_index("metric").value
    assert res.summary["per_replicate"][0]["steps_run"] < 100_000  # stopped when the budget was spent
    assert last["evaluations"] <= 50_000
    assert last["peak_ratio_1e-5"] == 1.0


def test_bundled_scenarios_validate():
    from collapsesim.config import bundled_scenarios

    names = [n for n in bundled_scenarios() if n.split("/")[-1].startswith("ga_")]
    assert len([n for n in names if "/" not in n]) >= 3
    for name in names:
        load(name)


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_nbc_cma_runs_on_every_backend(backend):
    sim = _build({"problem": "F2", "method": "nbc-cma", "max_fes": 3000}, backend)
    while not sim.finished.all():
        sim.step()
    obs = sim.observe()[0]
    assert sim.sims[0].evaluations <= 3000 and obs.metrics["peaks_found_1e-4"] >= 4


@pytest.mark.slow
def test_sharing_holds_goldbergs_five_peaks_and_roulette_alone_does_not():
    """Goldberg & Richardson (1987) on M1: roulette + sharing (σ = 0.1) keeps all five peaks."""
    base = {"problem": "M1", "N": 100, "selection": "proportional", "crossover": "sbx",
            "mutation": {"kind": "gaussian", "sigma": 0.005}}
    shared = _final({**base, "niching": {"kind": "sharing", "sigma": 0.1}}, 200, replicates=4)
    plain = _final(base, 200, replicates=4)
    held = shared[shared.metric == "optima_held_1e-1"].value.to_numpy()
    assert np.all(held == 5)
    assert np.all(plain[(plain.series == "optima") & (plain.metric == "D0")].value.to_numpy() <= 2)
