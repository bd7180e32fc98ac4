"""Fault tests of a run (issue #11, docs/reliability.md): a run stopped at a random
(seeded) moment -- by SIGINT, SIGTERM or SIGKILL -- and then resumed ends with exactly
the rows of an uninterrupted run: none lost, none repeated.

The default suite kills one tiny drift run with SIGKILL (what survives is only what
was flushed) and checks checkpoint/resume equality on drift in-process; the slow
variant kills with every signal at several seeded moments, resumes through the CLI
and kills the resume too."""

import json
import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import collapsesim as cs
from collapsesim.runner import execute, resume, stop_signals

SCENARIO = """domain: drift
name: faults
seed: 11
replicates: 3
steps: {steps}
record_every: 7
backend: numpy
params: {{N: 300, K: 6, mu: 0.001}}
"""
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129, signal.SIGKILL: -9}
KEY = ["replicate", "step", "series", "metric"]


def scenario(tmp_path, steps):
    p = tmp_path / "faults.yaml"
    p.write_text(SCENARIO.format(steps=steps))
    return p


def start(args, cwd):
    env = {**os.environ, "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "collapsesim.cli", "run", *args, "-q"], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def inode(path):
    return path.stat().st_ino if path.exists() else None


def stop_at(proc, out, sig, delay, log_before=None):
    """Send ``sig`` ``delay`` seconds after the run starts recording (its log appears,
    or, on a resume, is replaced by the kept records: another inode than ``log_before``);
    its exit status and stderr."""
    while inode(out / "records.jsonl") in (None, log_before) and proc.poll() is None:
        time.sleep(0.005)
    try:
        _, err = proc.communicate(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    return proc.returncode, err


def complete(out):
    return json.loads((out / "run.json").read_text())["state"] == "complete"


def assert_same_rows(out, reference):
    got = pd.read_parquet(out / "metrics.parquet")
    assert not got.duplicated(KEY).any(), "a row was recorded twice"
    pd.testing.assert_frame_equal(got, reference)


FROZEN = """domain: drift
name: frozen-faults
seed: 12
replicates: 300
steps: 3000
record_every: 50
backend: numpy
params: {N: 60, K: 2, initial_counts: [30, 30]}
"""
# scenario text, seed of the kill's moment, latest moment (s), checkpoint every
KILLS = {"mutation": (SCENARIO.format(steps=3000), 20261204, 0.3, 100),
         "frozen": (FROZEN, 20261205, 1.0, 30)}


@pytest.mark.parametrize("case", list(KILLS))
def test_sigkill_at_a_random_moment_then_resume_loses_and_repeats_nothing(tmp_path, case):
    """``frozen``: replicates that fix end at their own steps and are observed
    together at the next checkpoint or grid step; a kill in between loses their
    ends from the log, and the resume re-makes them from the checkpoint."""
    text, seed, latest, every = KILLS[case]
    sc = tmp_path / "faults.yaml"
    sc.write_text(text)
    reference = execute(cs.load(sc)).metrics
    delay = np.random.default_rng(seed).uniform(0.0, latest)
    out = tmp_path / "run"
    rc, _ = stop_at(start([str(sc), "--out", str(out), "--checkpoint-every", str(every)], tmp_path),
                    out, signal.SIGKILL, delay)
    assert rc in (EXIT[signal.SIGKILL], 0)
    if rc != 0:
        assert not complete(out) and (out / "records.jsonl").stat().st_size > 0
        assert not (out / "metrics.parquet").exists()  # killed in the loop: only the log survives
        resume(out)
    assert_same_rows(out, reference)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_drift_checkpoint_resume_equals_an_uninterrupted_run(tmp_path, drift_ctrl_c, backend):
    """Ctrl-C at generation 100 of the batched replicates; checkpoints every 40
    generations, so both replicates continue from generation 80."""
    sc = {"domain": "drift", "name": "d", "seed": 4, "replicates": 2, "steps": 200,
          "record_every": 9, "backend": backend, "params": {"N": 200, "K": 5, "mu": 0.002}}
    reference = execute(cs.load(sc))
    calls = drift_ctrl_c(101)
    out = tmp_path / "run"
    with stop_signals():
        part = execute(cs.load(sc), out=out, checkpoint_every=40)
    assert part.interrupted and calls[-1] == 100
    assert [r["status"] for r in part.summary["per_replicate"]] == ["interrupted", "interrupted"]
    assert pickle.loads((out / "checkpoints" / "rep0.pkl").read_bytes())["step"] == 80
    calls.clear()
    done = resume(out)
    assert len(calls) == 200 - 80  # from the checkpoint
    pd.testing.assert_frame_equal(done.metrics, reference.metrics)
    assert_same_rows(out, reference.metrics)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_signal_at_random_moments_through_the_cli(tmp_path, seed):
    """Each signal at a seeded moment; the resume is itself stopped once by a random
    signal; `run --resume` until complete; the rows equal the uninterrupted run's."""
    rng = np.random.default_rng(seed)
    sc = scenario(tmp_path, steps=20000)
    reference = execute(cs.load(sc)).metrics
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        out = tmp_path / f"run-{sig.name}"
        rc, err = stop_at(start([str(sc), "--out", str(out), "--checkpoint-every", "500"], tmp_path),
                          out, sig, rng.uniform(0.0, 2.5))
        assert rc in (EXIT[sig], 0), err
        if sig != signal.SIGKILL and rc != 0:
            for f in ("metrics.parquet", "summary.json", "config.yaml", "diversity.png"):
                assert (out / f).stat().st_size > 0  # stopped, kept, all four files
            assert json.loads((out / "summary.json").read_text())["status"] == "interrupted"
            assert f"--resume {out}" in err
        again = signal.Signals(int(rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGKILL])))
        if not complete(out):
            rc, err = stop_at(start(["--resume", str(out)], tmp_path), out, again, rng.uniform(0.0, 2.0),
                              inode(out / "records.jsonl"))
            assert rc in (EXIT[again], 0), err
        if not complete(out):
            p = start(["--resume", str(out)], tmp_path)
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0 and "Traceback" not in err, err
        assert_same_rows(out, reference)
