"""The ``ga`` domain's batched replicates: one population of every replicate's
demes whose row r is, bitwise, replicate r run alone (issue #14)."""

import hashlib

import numpy as np
import pytest

import collapsesim as cs
from collapsesim.config import load
from collapsesim.domains.ga import GA, GASimulation, NBCStack, model
from collapsesim.engine import get_backend
from collapsesim.runner import execute

BACKENDS = ["numpy", "numba", "torch"]

#: variants that exercise every random call of the step: niching, islands with
#: migration, elitism and immigrants; crowding with an odd deme; RTS on bits;
#: (μ, λ) with truncation, BLX and polynomial mutation; (μ + λ) with ranking and
#: uniform crossover; roulette wheel with sharing
VARIANTS = {
    "clearing_islands": {"problem": "F4", "N": 40, "crossover": "sbx", "niching": {"kind": "clearing", "sigma": 0.5},
                         "islands": {"count": 2, "interval": 3, "migrants": 1}, "elitism": 1, "immigrants": 0.1},
    "crowding_odd": {"problem": "F4", "N": 31, "replacement": "crowding", "crossover": "sbx"},
    "rts_bits": {"problem": "royal_road", "N": 24, "selection": "random", "replacement": "rts", "rts_window": 5,
                 "crossover": {"kind": "one_point", "rate": 0.7}, "mutation": {"kind": "bitflip", "rate": 0.01}},
    "comma_truncation": {"problem": "F4", "N": 30, "offspring": 50, "replacement": "comma",
                         "selection": {"kind": "truncation", "fraction": 0.3}, "crossover": "blx",
                         "mutation": {"kind": "polynomial", "eta": 20.0}},
    "plus_rank": {"problem": "F4", "N": 30, "offspring": 20, "replacement": "plus", "selection": "rank",
                  "crossover": "uniform"},
    "sharing": {"problem": "M1", "N": 30, "selection": "proportional", "niching": {"kind": "sharing", "sigma": 0.1},
                "crossover": "sbx"},
}


def _seeds(n, seed=5):
    return [np.random.SeedSequence(seed, spawn_key=(j,)) for j in range(n)]


def _sim(params, backend, seeds):
    cfg = load({"domain": "ga", "steps": 1, "backend": backend, "params": params})
    return GA().build(cfg.params, backend=get_backend(backend), seeds=seeds, steps=1)


def _same(a, b):
    assert a.metrics == b.metrics
    assert a.series.keys() == b.series.keys()
    for k in a.series:
        np.testing.assert_array_equal(a.series[k].abundances, b.series[k].abundances)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_replicate_alone_equals_its_row_in_a_batch_of_four(variant, backend):
    seeds = _seeds(4)
    batch = _sim(VARIANTS[variant], backend, seeds)
    for _ in range(7):
        batch.step()
    rows = batch.observe()
    assert len(rows) == 4
    assert batch.observe(np.array([1, 3]))[1].metrics == rows[3].metrics
    for j in (0, 3):
        lone = _sim(VARIANTS[variant], backend, seeds[j:j + 1])
        for _ in range(7):
            lone.step()
        _same(lone.observe()[0], rows[j])
    # the rows are different replicates, not copies
    assert rows[0].metrics != rows[1].metrics


ONEMAX = {"problem": "onemax", "N": 20, "selection": {"kind": "tournament", "k": 3},
          "crossover": {"kind": "uniform", "rate": 0.9}, "mutation": {"kind": "bitflip"},
          "stop_at_optimum": True}


def _table(result):
    m = result.metrics.sort_values(["replicate", "step", "series", "metric"])
    return m.reset_index(drop=True)


@pytest.mark.parametrize("block_bytes", [None, 3 * 8 * 20])
@pytest.mark.parametrize("backend", BACKENDS)
def test_replicates_that_reach_the_optimum_end_alone_as_lone_runs(backend, block_bytes, monkeypatch):
    if block_bytes is not None:  # blocks of 3 and 1 replicates (20 one-word genomes each)
        monkeypatch.setattr(model, "BLOCK_BYTES", block_bytes)
    cfg = load({"domain": "ga", "seed": 3, "steps": 60, "record_every": 3, "replicates": 4,
                "backend": backend, "params": ONEMAX})
    batch = execute(cfg)
    built = GA().build(cfg.params, backend=get_backend(backend), seeds=_seeds(4), steps=1)
    assert [b.R for b in built.blocks] == [3, 1] if block_bytes else isinstance(built, GASimulation)
    steps = [r["steps_run"] for r in batch.summary["per_replicate"]]
    assert len(set(steps)) > 1 and max(steps) < 60  # rows ended one at a time, each at its optimum
    table = _table(batch)
    f_opt = cfg.params.build_problem().f_opt
    for j in range(4):
        lone = _table(execute(cfg.model_copy(update={"replicates": 1}), spawn_keys=[(j,)]))
        mine = table[table.replicate == j].reset_index(drop=True)
        assert lone[["step", "series", "metric"]].equals(mine[["step", "series", "metric"]])
        np.testing.assert_array_equal(lone.value.to_numpy(), mine.value.to_numpy())
        last = mine[(mine.metric == "best_fitness") & (mine.step == mine.step.max())].value
        assert float(last.iloc[0]) == f_opt  # reaching the optimum ended the replicate


# sha1 of the domain-metric values (series "domain": every number the simulation
# itself reports, from its states, fitness, genealogy and evaluations) of
# cs.run(<scenario>, backend, replicates=3, steps=<steps>), sorted by replicate,
# step and metric: the numbers of the code BEFORE replicates were batched
# (commit 887ad7e, one lone run per replicate). Until the observations were
# stacked, the sha1 of every value matched that code; stacking them changed only
# the shared metric's last bits (diversity_rows sums over all K types, equal to
# diversity() up to rounding: tests/test_metrics.py), so these digests were
# taken from the domain rows of the code just before, whose whole tables still
# matched the pre-batching digests.
PINNED = [
    ({"domain": "ga", "name": "check", "seed": 3, "record_every": 3, "params": VARIANTS["clearing_islands"]},
     "numpy", 40, "58d49bbd1c6b3f44db7fd5975d50e31862a24584"),
    ({"domain": "ga", "name": "onemax_stop", "seed": 3, "record_every": 3, "params": ONEMAX},
     "numpy", 40, "d7549df88e5ae22a001b36733f012b35e48e89ad"),
    ("ga_royal_road_hitchhiking", "numba", 30, "34029e4ec215915584007bd40f97b1960bd23970"),
    ("ga_himmelblau_islands", "torch", 30, "ef16d3f954fc84b928ccaaf0c8bf4d7a7d549c7f"),
]


@pytest.mark.parametrize("scenario, backend, steps, digest", PINNED)
def test_numbers_of_the_lone_runs_are_kept(scenario, backend, steps, digest):
    table = _table(cs.run(scenario, backend=backend, replicates=3, steps=steps))
    values = table[table.series == "domain"].value.to_numpy()
    assert hashlib.sha1(values.tobytes()).hexdigest() == digest


def test_nbc_cma_replicates_are_stacked_lone_runs():
    cfg = load({"domain": "ga", "steps": 1, "backend": "numpy",
                "params": {"problem": "F2", "method": "nbc-cma", "max_fes": 2000}})
    seeds = _seeds(2)
    stack = GA().build(cfg.params, backend=get_backend("numpy"), seeds=seeds, steps=1)
    assert isinstance(stack, NBCStack) and not hasattr(stack, "state_dict")
    lone = GA().build(cfg.params, backend=get_backend("numpy"), seeds=seeds[1:], steps=1)
    for _ in range(5):
        stack.step()
        lone.step()
    _same(stack.observe([1])[0], lone.observe()[0])


def test_blocks_bound_the_largest_array():
    cfg = load({"domain": "ga", "steps": 1, "params": {"problem": "rastrigin", "dim": 100, "N": 1000}})
    assert model.replicate_bytes(cfg.params, cfg.params.build_problem()) == 8 * 1000 * 100
    sim = GA().build(cfg.params, backend=get_backend("numpy"), seeds=_seeds(45), steps=1)
    assert [b.R for b in sim.blocks] == [20, 20, 5]  # 20 x 0.8 MB <= 16 MiB < 21 x 0.8 MB
    shared = load({"domain": "ga", "steps": 1, "params": {"problem": "F4", "N": 200, "selection": "proportional",
                                                           "niching": {"kind": "sharing", "sigma": 2.0}}})
    assert model.replicate_bytes(shared.params, shared.params.build_problem()) == 8 * 200 * 200
