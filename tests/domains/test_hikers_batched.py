"""The ``hikers`` domain's batched replicates (issue #14): a replicate alone
equals its row in a batch, also when other rows end early; the numbers of the
code before batching are kept; checkpoints cover every row."""

import hashlib
import pickle

import numpy as np
import pytest

from collapsesim.config import load
from collapsesim.domains.hikers import Hikers
from collapsesim.engine import get_backend
from collapsesim.runner import execute

BACKENDS = ("numpy", "numba", "torch")
#: every move and remedy at once: Gaussian steps, restarts, repulsion, copying within a radius
MIXED = {"problem": "F6", "N": 40, "interval": 3, "radius": 2.0,
         "repulsion": {"strength": 1.0, "width": 0.3}, "restart_patience": 4}
#: bit strings; each replicate ends at its own step (every hiker at the optimum)
ONEMAX = {"problem": "onemax", "dim": 24, "N": 6, "interval": 4, "stop_at_optimum": True}
#: restarts spend evaluations, so each replicate spends its budget at its own step
BUDGET = {"problem": "F6", "N": 4, "interval": 3, "restart_patience": 2, "max_fes": 300}


def _seeds(seed, rows):
    return [np.random.SeedSequence(seed, spawn_key=(j,)) for j in rows]


def _build(params, backend, seeds):
    cfg = load({"domain": "hikers", "steps": 1, "backend": backend, "params": params})
    return Hikers().build(cfg.params, backend=get_backend(backend), seeds=seeds, steps=1)


def _same(a, b):
    """Two observations equal value for value (series and metrics)."""
    assert a.metrics.keys() == b.metrics.keys()
    for k in a.metrics:
        assert a.metrics[k] == b.metrics[k] or (np.isnan(a.metrics[k]) and np.isnan(b.metrics[k])), k
    assert a.series.keys() == b.series.keys()
    for k in a.series:
        assert np.array_equal(a.series[k].abundances, b.series[k].abundances), k
        assert np.array_equal(a.series[k].reference, b.series[k].reference), k


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("params", [MIXED, ONEMAX], ids=["mixed", "onemax"])
def test_a_replicate_alone_equals_its_row_in_a_batch_of_four(backend, params):
    steps = 13
    batch = _build(params, backend, _seeds(7, range(4)))
    for _ in range(steps):
        batch.step()
    rows = batch.observe()
    hits = batch.hit.reshape(4, params["N"])
    for j in (0, 3):
        lone = _build(params, backend, _seeds(7, [j]))
        for _ in range(steps):
            lone.step()
        _same(lone.observe()[0], rows[j])
        assert np.array_equal(lone.hit, hits[j])
        assert lone.evaluations[0] == batch.evaluations[j]
    assert [o.metrics["evaluations"] for o in batch.observe([1, 2])] == [rows[1].metrics["evaluations"],
                                                                          rows[2].metrics["evaluations"]]


def _metrics(params, backend, replicates, spawn_keys=None, steps=200):
    cfg = load({"domain": "hikers", "steps": steps, "record_every": 7, "seed": 3, "replicates": replicates,
                "backend": backend, "params": params})
    m = execute(cfg, spawn_keys=spawn_keys).metrics
    return m.sort_values(["replicate", "step", "series", "metric"]).reset_index(drop=True)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("params", [ONEMAX, BUDGET], ids=["stop_at_optimum", "budget"])
def test_replicates_that_end_early_are_recorded_as_lone_runs(backend, params):
    batch = _metrics(params, backend, 4)
    last = batch.groupby("replicate").step.max()
    assert last.nunique() > 1  # the replicates end at different steps
    assert last.max() < 200
    for j in range(4):
        lone = _metrics(params, backend, 1, spawn_keys=[(j,)])
        row = batch[batch.replicate == j].reset_index(drop=True)
        assert np.array_equal(lone.step.to_numpy(), row.step.to_numpy())
        assert np.array_equal(lone.value.to_numpy(), row.value.to_numpy(), equal_nan=True)


def _digest(m) -> str:
    m = m.sort_values(["replicate", "step", "series", "metric"]).reset_index(drop=True)
    text = m[["replicate", "step", "series", "metric", "value"]].to_csv(index=False, float_format="%.17g")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# Digests (_digest) of the domain metrics (series "domain": every number the
# simulation itself reports) of the code BEFORE the replicates were batched
# (commit 5c21cfd, one simulation per replicate): the batched code must give the
# same numbers, value for value. Until the observations were stacked, the digests
# of every metric matched that code; stacking them changed only the shared
# metric's last bits (diversity_rows sums over all K types, equal to diversity()
# up to rounding: tests/test_metrics.py), so these were taken from the domain
# rows of the code just before, whose whole tables still matched.
PINNED = {
    ("numpy", "mixed"): ("ebf18521dd635cc4", {"steps": 12, "record_every": 4, "seed": 2, "replicates": 3,
                                              "params": MIXED}),
    ("numba", "onemax"): ("a5164ca8090b0ae0", {"steps": 200, "record_every": 7, "seed": 3, "replicates": 4,
                                               "params": ONEMAX}),
    ("numpy", "budget"): ("b3e8b7ac52466d6c", {"steps": 80, "record_every": 3, "seed": 5, "replicates": 4,
                                               "params": BUDGET}),
    ("torch", "budget"): ("f94edaaa5ba91994", {"steps": 80, "record_every": 3, "seed": 5, "replicates": 4,
                                               "params": BUDGET}),
}


@pytest.mark.parametrize("case", list(PINNED), ids=lambda c: "-".join(c))
def test_metrics_equal_the_code_before_batching(case):
    digest, cfg = PINNED[case]
    m = execute(load({"domain": "hikers", "backend": case[0], **cfg})).metrics
    assert _digest(m[m.series == "domain"]) == digest


def test_bundled_scenario_equals_the_code_before_batching():
    """hikers_shubert_restarts, 3 replicates, 60 steps on numba (pre-batching digest, as above)."""
    import collapsesim as cs

    m = cs.run("hikers_shubert_restarts", replicates=3, steps=60).metrics
    assert _digest(m[m.series == "domain"]) == "79d73ed16cb1f8a4"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("params", [MIXED, ONEMAX], ids=["mixed", "onemax"])
def test_checkpoint_resumes_every_row(backend, params):
    seeds = _seeds(11, range(3))
    straight = _build(params, backend, seeds)
    for _ in range(6):
        straight.step()
    saved = pickle.dumps(straight.state_dict())
    done_then = straight.finished
    for _ in range(7):
        straight.step()
    resumed = _build(params, backend, seeds)
    resumed.load_state_dict(pickle.loads(saved))
    assert np.array_equal(resumed.finished, done_then)
    for _ in range(7):
        resumed.step()
    for a, b in zip(straight.observe(), resumed.observe()):
        _same(a, b)
    assert np.array_equal(straight.hit, resumed.hit)
    assert np.array_equal(straight.finished, resumed.finished)
