"""A frozen batch (``finished_frozen``): the runner observes the replicates that
ended since its last observation together, each recorded at its own step. The
rows, statuses and outcomes equal those of observing each end at its step; a
checkpointed, interrupted and resumed run equals an uninterrupted one row for
row; a divergence in the late observation ends those replicates as diverged."""

from __future__ import annotations

import numpy as np
import pandas as pd

import collapsesim as cs
from collapsesim.domains.base import ReplicateStack
from collapsesim.domains.drift.model import DriftBatch
from collapsesim.runner import execute, resume, stop_signals

KEY = ["replicate", "step", "series", "metric"]
# two neutral types, a few copies each: replicates fix at many different steps,
# and the grid (every 25 generations) records the live ones between their ends
SCENARIO = {"domain": "drift", "name": "frozen", "seed": 8, "replicates": 60, "steps": 400,
            "record_every": 25, "backend": "numba",
            "params": {"N": 40, "K": 2, "initial_counts": [6, 34]}}


def _status(res):
    return [{k: r[k] for k in ("replicate", "status", "steps_run", "last_recorded_step")}
            for r in res.summary["per_replicate"]]


def _sorted(df):
    return df.sort_values(KEY, kind="stable").reset_index(drop=True)


def test_ends_observed_together_equal_ends_observed_at_their_step(monkeypatch):
    together = execute(cs.load(SCENARIO))
    monkeypatch.setattr(DriftBatch, "finished_frozen", False)
    one_by_one = execute(cs.load(SCENARIO))
    ended_at = together.final("domain")["fixation_generation"]
    assert ended_at.nunique() > 10 and (ended_at % 25 != 0).any()  # ends off the grid, many steps
    pd.testing.assert_frame_equal(_sorted(together.metrics), _sorted(one_by_one.metrics))
    pd.testing.assert_frame_equal(together.final("domain"), one_by_one.final("domain"))
    assert _status(together) == _status(one_by_one)
    for r in _status(together):
        assert r["steps_run"] == r["last_recorded_step"]  # each ended at its own last record


def test_stacked_lone_runs_are_a_frozen_batch(monkeypatch):
    """Moran replicates (lone runs behind ``ReplicateStack``): a finished lone
    run is not stepped again, so observing the ends together gives the rows of
    observing each at its step."""
    cfg = {**SCENARIO, "replicates": 30, "steps": 2000, "record_every": 500,
           "params": {**SCENARIO["params"], "model": "moran"}}
    together = execute(cs.load(cfg))
    monkeypatch.setattr(ReplicateStack, "finished_frozen", False)
    one_by_one = execute(cs.load(cfg))
    ended_at = together.final("domain")["fixation_generation"]
    assert ended_at.nunique() > 10 and (ended_at % 500 != 0).all()  # every end off the grid
    pd.testing.assert_frame_equal(_sorted(together.metrics), _sorted(one_by_one.metrics))
    assert _status(together) == _status(one_by_one)


def test_a_frozen_batch_interrupted_and_resumed_equals_an_uninterrupted_run(tmp_path, drift_ctrl_c):
    """Ctrl-C at generation 61, checkpoints every 20 (the waiting ends are
    observed before each): the resumed run's rows, in order, are the
    uninterrupted run's."""
    reference = execute(cs.load(SCENARIO))
    calls = drift_ctrl_c(61)
    out = tmp_path / "run"
    with stop_signals():
        part = execute(cs.load(SCENARIO), out=out, checkpoint_every=20)
    assert part.interrupted
    statuses = {r["status"] for r in part.summary["per_replicate"]}
    assert statuses == {"completed", "interrupted"}  # ends before the Ctrl-C were kept
    assert calls[-1] == 60
    done = resume(out)
    pd.testing.assert_frame_equal(done.metrics, reference.metrics)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "metrics.parquet"), reference.metrics)
    assert _status(done) == _status(reference)


def test_a_late_observation_that_diverges_ends_its_replicates_as_diverged(monkeypatch):
    observe = DriftBatch.observe

    def observe_nan_ends(self, rows=None):
        obs = observe(self, rows)
        if rows is not None and self.generation > 1:
            s = obs.series["types"]
            s.abundances = np.full(s.abundances.shape, np.nan)
        return obs

    monkeypatch.setattr(DriftBatch, "observe", observe_nan_ends)
    cfg = {**SCENARIO, "record_every": 400}
    res = execute(cs.load(cfg))
    per = res.summary["per_replicate"]
    assert {r["status"] for r in per} == {"diverged"}
    assert all("series 'types'" in r["message"] for r in per)
    assert set(res.metrics["step"]) == {0}  # what was recorded before is kept

