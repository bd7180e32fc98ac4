"""The runner: tidy output, seeds per replicate, early stop, divergence, the run directory."""

import copy
import json
import os
import signal
import warnings

import numpy as np
import pandas as pd
import pytest
from pydantic import Field

import collapsesim as cs
from collapsesim import registry
from collapsesim.domains.base import Domain, DomainParams, Observation, ReplicateStack, Series
from collapsesim.metrics import SHARED_METRICS
from collapsesim.runner import RunFolderError, execute, resume, stop_signals
from collapsesim.testing import check_domain

COLUMNS = ["run_id", "scenario", "domain", "seed", "replicate", "step", "series", "metric", "value"]


def scenario(**kw):
    d = {"domain": "toy", "name": "toy-run", "seed": 3, "steps": 30, "record_every": 5,
         "replicates": 3, "backend": "numpy", "params": {"N": 60, "K": 3}}
    d.update(kw)
    return d


def test_tidy_metrics_and_summary(toy_domain):
    res = cs.run(scenario())
    assert isinstance(res, cs.Result)
    m = res.metrics
    assert list(m.columns) == COLUMNS
    assert set(m["replicate"]) == {0, 1, 2}
    for s in ("types", "scalar"):
        assert set(SHARED_METRICS) <= set(m.loc[m["series"] == s, "metric"])
    assert set(m.loc[m["series"] == "domain", "metric"]) == {"max_freq"}
    first = m[(m["step"] == 0) & (m["series"] == "types") & (m["metric"] == "relative_diversity")]
    assert np.allclose(first["value"], 1.0)
    scalar_cov = m[(m["series"] == "scalar") & (m["metric"] == "coverage")]["value"]
    assert scalar_cov.isna().all()  # coverage is null for a scalar reference
    s = res.summary
    assert s["headline"] == "types" and s["status"] == "completed"
    assert len(s["per_replicate"]) == 3
    assert "collapse_step" in s["per_replicate"][0]["series"]["types"]
    assert s["aggregate"]["types"]["final_D1"]["n"] == 3


def test_same_seed_same_metrics_and_replicates_differ(toy_domain):
    a = cs.run(scenario()).metrics
    b = cs.run(scenario()).metrics
    pd.testing.assert_frame_equal(a, b)
    v = a[(a["series"] == "types") & (a["metric"] == "D1")].pivot(index="step", columns="replicate",
                                                                   values="value")
    assert not np.allclose(v[0], v[1])
    c = cs.run(scenario(seed=4)).metrics
    assert not a["value"].equals(c["value"])


def test_replicate_seed_is_spawn_key_j(toy_domain):
    full = cs.run(scenario()).metrics
    alone = execute(cs.load(scenario()), spawn_keys=[(2,)]).metrics
    np.testing.assert_array_equal(full[full["replicate"] == 2]["value"].to_numpy(),
                                  alone["value"].to_numpy())


def test_finished_stops_early_with_a_final_record(toy_domain):
    res = cs.run(scenario(steps=5000, record_every=1000, params={"N": 4, "K": 2}))
    for rep in res.summary["per_replicate"]:
        assert rep["steps_run"] < 5000 and rep["status"] == "completed"
    last = res.metrics.groupby("replicate")["step"].max()
    assert (last < 5000).all() and (last % 1000 != 0).any()


def test_divergence_stops_cleanly_and_keeps_records(toy_domain):
    res = cs.run(scenario(params={"diverge_at": 12}))
    assert res.summary["status"] == "diverged"
    rep = res.summary["per_replicate"][0]
    assert rep["status"] == "diverged" and "step 12" in rep["message"] and "NaN" in rep["message"]
    assert res.metrics["step"].max() == 10


def test_run_directory(tmp_path, toy_domain):
    out = tmp_path / "run"
    res = cs.run(scenario(), out=out)
    for f in ("metrics.parquet", "summary.json", "config.yaml", "diversity.png"):
        assert (out / f).stat().st_size > 0
    back = pd.read_parquet(out / "metrics.parquet")
    assert list(back.columns) == COLUMNS and len(back) == len(res.metrics)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"]["numpy"] == np.__version__
    again = cs.run(str(out / "config.yaml"))
    np.testing.assert_array_equal(again.metrics["value"].to_numpy(), res.metrics["value"].to_numpy())


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_toy_domain_passes_conformance(toy_domain, backend):
    check_domain("toy", backends=[backend])


# -- reliability: the run folder, checkpoints and resume, signals, exports ----------------
# A toy that implements the optional Simulation hooks (state_dict, load_state_dict,
# export) and can send itself a signal or finish at a chosen (replicate, step).

BUILDS = []  # spawn keys of every simulation built (to see what a resume re-runs)
SENT = []    # signals the toy has sent (each (rep, step) fires once per test)


class HookParams(DomainParams):
    N: int = Field(60, gt=0)
    K: int = Field(4, ge=1)
    signal_rep: int = -1
    signal_at: int = -1
    signal: int = int(signal.SIGINT)
    finish_rep: int = -1
    finish_at: int = -1
    diverge_rep: int = -1
    export: bool = False


class _HookSim:
    def __init__(self, p, backend, seed):
        self.p, self.backend, self.rep, self.t = p, backend, seed.spawn_key[-1], 0
        self.rng = backend.rng(seed)
        self.counts = np.full(p.K, p.N // p.K)
        BUILDS.append(seed.spawn_key)
        if (self.rep, 0) == (p.signal_rep, p.signal_at) and (self.rep, 0) not in SENT:
            SENT.append((self.rep, 0))
            os.kill(os.getpid(), p.signal)

    def step(self):
        self.t += 1
        if (self.rep, self.t) == (self.p.signal_rep, self.p.signal_at) and (self.rep, self.t) not in SENT:
            SENT.append((self.rep, self.t))
            os.kill(os.getpid(), self.p.signal)
        if self.rep == self.p.diverge_rep and self.t == 5:
            raise cs.DivergenceError("toy state became NaN")
        freq = self.counts / self.counts.sum()
        self.counts = self.rng.multinomial(int(self.counts.sum()), freq)

    @property
    def finished(self):
        return (self.rep, self.t) == (self.p.finish_rep, self.p.finish_at)

    def observe(self):
        return Observation(series={"types": Series(self.counts.copy(), np.full(self.p.K, self.p.N // self.p.K))},
                           metrics={"t": float(self.t)})

    def state_dict(self):
        return {"t": self.t, "counts": self.counts.copy(), "rng": copy.deepcopy(self.rng)}

    def load_state_dict(self, state):
        self.t, self.counts, self.rng = state["t"], state["counts"].copy(), copy.deepcopy(state["rng"])

    def export(self, folders):
        for f in folders:
            (f / "export.txt").write_text(f"rep {self.rep} step {self.t}\n")


class Hooks(Domain):
    Params = HookParams
    headline = "types"
    backends = ("numpy",)

    def build(self, params, *, backend, seeds, steps):
        (seed,) = seeds
        return _HookSim(params, backend, seed)


def _registered(name, cls):
    """Register ``cls`` as domain ``name`` for one test (a fixture's body)."""
    registry._load()
    registry.register(name)(cls)
    BUILDS.clear()
    SENT.clear()
    yield cls
    registry._DOMAINS.pop(name, None)


@pytest.fixture
def hooks():
    yield from _registered("hooks", Hooks)


def hook_scenario(**params):
    return {"domain": "hooks", "name": "hooks", "seed": 5, "steps": 40, "record_every": 3,
            "replicates": 3, "backend": "numpy", "params": params}


def same_run(a, b):
    """Rows identical (order included); per-replicate status identical but for wall times."""
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    strip = [{k: v for k, v in r.items() if k != "wall_time_s"} for r in a.summary["per_replicate"]]
    assert strip == [{k: v for k, v in r.items() if k != "wall_time_s"}
                     for r in b.summary["per_replicate"]]


@pytest.mark.parametrize("every", [4, None])
def test_resume_after_an_interrupt_equals_an_uninterrupted_run(hooks, tmp_path, every):
    """Interrupted in replicate 1 at step 22: replicate 0 is kept as it is, replicate 1
    continues from its checkpoint at step 20 (or restarts from 0 without checkpoints),
    replicate 2 starts; the final rows equal an uninterrupted run's."""
    ref = execute(cs.load(hook_scenario()))
    out = tmp_path / "run"
    with stop_signals():
        part = execute(cs.load(hook_scenario(signal_rep=1, signal_at=22)), out=out,
                       checkpoint_every=every)
    assert part.interrupted and part.stop_signal == signal.SIGINT
    reps = {r["replicate"]: r for r in part.summary["per_replicate"]}
    assert [reps[j]["status"] for j in range(3)] == ["completed", "interrupted", "interrupted"]
    assert reps[1]["last_recorded_step"] == 21 and reps[2]["last_recorded_step"] is None
    assert (out / "records.jsonl").is_file() and (out / "metrics.parquet").is_file()
    assert (out / "checkpoints" / "rep1.pkl").is_file() == (every is not None)
    BUILDS.clear()
    done = resume(out)
    assert BUILDS == [(1,), (2,)]  # replicate 0 is not re-run
    assert not done.interrupted and done.summary["status"] == "completed"
    # (the interrupted scenario's extra params only send a signal, which fires once)
    same_run(done, ref)
    back = pd.read_parquet(out / "metrics.parquet")
    pd.testing.assert_frame_equal(back, ref.metrics)
    assert not (out / "records.jsonl").exists() and not (out / "checkpoints").exists()
    with pytest.raises(RunFolderError, match="already complete"):
        resume(out)


def test_resume_after_sigkill_keeps_flushed_rows(hooks, tmp_path):
    """What a SIGKILL leaves (run.json, config.yaml, the log up to a torn last line, a
    checkpoint; no final files) resumes to the uninterrupted rows."""
    out = tmp_path / "run"
    with stop_signals():
        execute(cs.load(hook_scenario(signal_rep=2, signal_at=30)), out=out, checkpoint_every=10)
    for f in ("metrics.parquet", "summary.json", "diversity.png"):
        (out / f).unlink()
    with open(out / "records.jsonl", "a") as f:
        f.write('{"step": 33, "rows": [[2, "typ')  # a line torn by the kill
    done = resume(out)
    same_run(done, execute(cs.load(hook_scenario())))


def test_finished_replicate_is_not_relabelled_interrupted(hooks):
    with stop_signals():
        res = execute(cs.load(hook_scenario(finish_rep=0, finish_at=7, signal_rep=1, signal_at=10)))
    reps = res.summary["per_replicate"]
    assert (reps[0]["status"], reps[0]["steps_run"], reps[0]["last_recorded_step"]) == ("completed", 7, 7)
    assert (reps[1]["status"], reps[1]["last_recorded_step"]) == ("interrupted", 9)
    assert res.summary["status"] == "interrupted"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_term_and_hup_stop_like_ctrl_c(hooks, tmp_path, sig):
    res = cs.run(hook_scenario(signal_rep=0, signal_at=9, signal=int(sig)), out=tmp_path / "b")
    assert res.interrupted and res.stop_signal == sig
    assert res.summary["per_replicate"][0]["message"] == f"stopped by {signal.Signals(sig).name}"
    for f in ("metrics.parquet", "summary.json", "config.yaml", "diversity.png"):
        assert (tmp_path / "b" / f).stat().st_size > 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


def test_a_second_ctrl_c_while_saving_still_writes_every_file(hooks, tmp_path, monkeypatch):
    plot = cs.Result.plot

    def plot_with_ctrl_c(self):
        os.kill(os.getpid(), signal.SIGINT)  # the impatient user, during saving
        return plot(self)

    monkeypatch.setattr(cs.Result, "plot", plot_with_ctrl_c)
    out = tmp_path / "run"
    res = cs.run(hook_scenario(signal_rep=1, signal_at=4), out=out)
    assert res.interrupted
    for f in ("metrics.parquet", "summary.json", "config.yaml", "diversity.png"):
        assert (out / f).stat().st_size > 0
    assert len(pd.read_parquet(out / "metrics.parquet")) == len(res.metrics)


def test_output_folder_is_checked_before_the_first_step(hooks, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(RunFolderError, match="afile"):
        cs.run(hook_scenario(), out=afile / "run")
    with pytest.raises(RunFolderError, match="not a folder"):
        cs.run(hook_scenario(), out=afile)
    assert BUILDS == []


def test_an_existing_run_is_refused_unless_overwrite(hooks, tmp_path):
    out = tmp_path / "run"
    cs.run(hook_scenario(export=True), out=out, checkpoint_every=5)
    first = (out / "summary.json").read_text()
    with pytest.raises(RunFolderError, match=r"--overwrite.*--resume"):
        cs.run(hook_scenario(), out=out)
    assert (out / "summary.json").read_text() == first and BUILDS == [(0,), (1,), (2,)]
    res = cs.run(hook_scenario(), out=out, overwrite=True, replicates=1)
    assert not (out / "replicates").exists()  # nothing of the earlier run is mixed in
    assert set(pd.read_parquet(out / "metrics.parquet")["replicate"]) == {0}
    assert json.loads((out / "summary.json").read_text())["replicates"] == res.summary["replicates"] == 1
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep")
    for overwrite in (False, True):
        with pytest.raises(RunFolderError, match="holds no collapsesim run"):
            cs.run(hook_scenario(), out=other, overwrite=overwrite)
    assert (other / "notes.txt").read_text() == "keep"


def test_export_hook_gets_one_folder_per_replicate_at_any_end(hooks, tmp_path):
    out = tmp_path / "run"
    with stop_signals():
        execute(cs.load(hook_scenario(export=True, diverge_rep=0, signal_rep=1, signal_at=12)), out=out)
    files = {p.parent.name: p.read_text() for p in (out / "replicates").glob("*/export.txt")}
    assert files == {"0": "rep 0 step 5\n", "1": "rep 1 step 12\n"}  # diverged; interrupted
    cs.run(hook_scenario(), out=tmp_path / "off")
    assert not (tmp_path / "off" / "replicates").exists()
    cs.run(hook_scenario(export=True))  # no folder: nothing to export into, no error


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_output_files_follow_the_umask(hooks, tmp_path, umask):
    old = os.umask(umask)
    try:
        cs.run(hook_scenario(), out=tmp_path / "run", replicates=1)
    finally:
        os.umask(old)
    modes = {f.name: f.stat().st_mode & 0o777 for f in (tmp_path / "run").iterdir() if f.is_file()}
    assert set(modes) >= {"metrics.parquet", "summary.json", "config.yaml", "diversity.png"}
    assert set(modes.values()) == {0o666 & ~umask}, modes


def test_stopped_before_anything_was_recorded_still_writes_every_file(hooks, tmp_path):
    out = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no raw warning (e.g. an empty legend) either
        res = cs.run(hook_scenario(signal_rep=0, signal_at=0), out=out)
    assert res.interrupted and len(res.metrics) == 0
    assert {r["last_recorded_step"] for r in res.summary["per_replicate"]} == {None}
    for f in ("metrics.parquet", "summary.json", "config.yaml", "diversity.png"):
        assert (out / f).stat().st_size > 0
    same_run(resume(out), execute(cs.load(hook_scenario())))


def test_running_one_builtin_domain_imports_only_that_domain():
    """A drift run must not pay for torch (gan, beam) or tskit (sweep): the
    registry imports the built-in domain it is asked for, not all of them."""
    import subprocess
    import sys

    code = ("import sys, collapsesim as cs; cs.run('drift_neutral', replicates=1, steps=3); "
            "print(sorted(m for m in ('torch', 'tskit', 'collapsesim.domains.gan', "
            "'collapsesim.domains.sweep') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- batched groups: replicates that end one at a time ------------------------------------


class BatchedHooks(Hooks):
    """The toy domain's replicates as one batched group (ReplicateStack): each
    replicate may finish or diverge on its own, as lone runs do."""

    batched = True
    stack = ReplicateStack

    def build(self, params, *, backend, seeds, steps):
        return self.stack([_HookSim(params, backend, s) for s in seeds])


@pytest.fixture
def batched_hooks():
    yield from _registered("bhooks", BatchedHooks)


def _sorted(res):
    m = res.metrics.drop(columns=["run_id", "scenario", "domain"])
    return m.sort_values(["replicate", "step", "series", "metric"]).reset_index(drop=True)


def _statuses(res):
    return [{k: v for k, v in r.items() if k not in ("wall_time_s", "run_id")}
            for r in res.summary["per_replicate"]]


@pytest.mark.parametrize("params", [{}, {"finish_rep": 1, "finish_at": 7},
                                    {"diverge_rep": 2}, {"finish_rep": 0, "finish_at": 9,
                                                         "diverge_rep": 1}])
def test_batched_group_equals_lone_runs(hooks, batched_hooks, params):
    """Rows and statuses of a batched group whose replicates finish or diverge
    one at a time equal those of lone runs (a replicate alone equals its row)."""
    lone = execute(cs.load(hook_scenario(**params)))
    sc = {**hook_scenario(**params), "domain": "bhooks"}
    together = execute(cs.load(sc))
    pd.testing.assert_frame_equal(_sorted(together), _sorted(lone))
    assert _statuses(together) == _statuses(lone)
    alone = execute(cs.load(sc), spawn_keys=[(1,)], replicate_ids=[1])
    pd.testing.assert_frame_equal(_sorted(alone), _sorted(lone).query("replicate == 1")
                                  .reset_index(drop=True))


class _FrozenStack(ReplicateStack):
    finished_frozen = True  # a finished lone replicate is never stepped again


class FrozenHooks(BatchedHooks):
    """The batched toy declaring ``finished_frozen``: its lone observations (a
    list, not stacked) of the replicates that ended are made together."""

    stack = _FrozenStack


@pytest.fixture
def frozen_hooks():
    yield from _registered("fhooks", FrozenHooks)


@pytest.mark.parametrize("params", [{"finish_rep": 1, "finish_at": 7},
                                    {"finish_rep": 0, "finish_at": 8, "diverge_rep": 1}])
def test_a_frozen_batch_of_lone_observations_equals_lone_runs(hooks, frozen_hooks, params):
    """Ends off the grid (record_every 3) observed later, each at its own step."""
    lone = execute(cs.load(hook_scenario(**params)))
    together = execute(cs.load({**hook_scenario(**params), "domain": "fhooks"}))
    pd.testing.assert_frame_equal(_sorted(together), _sorted(lone))
    assert _statuses(together) == _statuses(lone)


@pytest.mark.parametrize("domain", ["bhooks", "fhooks"])
def test_batched_resume_keeps_replicates_that_ended(batched_hooks, frozen_hooks, tmp_path, domain):
    """Interrupted at step 22 with replicate 0 finished at 7 (before the checkpoint
    at 20; fhooks: observed at the checkpoint at 8, its log line carrying step 7)
    and replicate 2 diverged at 5: the resumed run equals an uninterrupted one."""
    params = {"finish_rep": 0, "finish_at": 7, "diverge_rep": 2}
    sc = {**hook_scenario(**params), "domain": domain}
    ref = execute(cs.load(sc))
    out = tmp_path / "run"
    with stop_signals():
        part = execute(cs.load({**sc, "params": {**params, "signal_rep": 1, "signal_at": 22}}),
                       out=out, checkpoint_every=4)
    assert part.interrupted
    assert (out / "checkpoints" / "rep0.pkl").is_file()
    done = resume(out)
    pd.testing.assert_frame_equal(_sorted(done), _sorted(ref))
    assert _statuses(done) == _statuses(ref)


def test_logged_chunk_columns_read_back_exactly_in_either_form():
    """The log writes a chunk's columns as base64 of their 64-bit values; read
    back they are the values themselves (NaN, infinities, −0.0 and integers past
    2^53 included), and a log written with plain JSON lists reads the same."""
    import math

    from collapsesim.runner import _chunk_event, _packed

    reps = np.array([0, 3, 2**60 + 1], dtype=np.int64)
    values = np.array([math.nan, -math.inf, -0.0])
    steps = np.array([4, 9, 7], dtype=np.int64)
    packed = json.loads(json.dumps({"step": 9, "chunks": [
        ["s", "m", _packed(reps), _packed(values), _packed(steps)]]}))
    plain = json.loads(json.dumps({"step": 9, "chunks": [
        ["s", "m", reps.tolist(), values.tolist(), steps.tolist()]]}))
    got, want = _chunk_event(packed), _chunk_event(plain)
    assert got["steps"] == want["steps"] == [4, 9, 7]
    assert [r[:3] for r in got["rows"]] == [r[:3] for r in want["rows"]] == [
        [0, "s", "m"], [3, "s", "m"], [2**60 + 1, "s", "m"]]
    got_v = np.array([r[3] for r in got["rows"]])
    assert got_v.tobytes() == values.tobytes()  # bit for bit, the sign of −0.0 too
