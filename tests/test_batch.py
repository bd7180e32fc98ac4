"""`batch`: grid × replicates, seeds from the cell's hash, resume after a kill,
identical results on the local pool and on a Dask LocalCluster."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import collapsesim as cs
from collapsesim.batching import batch, cell_hash, load_batch, parse_grid, rerun, status

SC = {"domain": "drift", "name": "b", "seed": 5, "steps": 30, "record_every": 10,
      "replicates": 2, "backend": "numpy", "params": {"N": 50, "K": 4}}


def values(df):
    return df.sort_values(["cell", "replicate", "step", "series", "metric"])["value"].to_numpy()


def test_parse_grid_and_hash_stability():
    assert parse_grid(["params.N=10,100", "steps=5"]) == {"params.N": [10, 100], "steps": [5]}
    a = cs.load(SC).resolved()
    b = dict(a, seed=99, replicates=7, name="other")
    assert cell_hash(a) == cell_hash(b)  # the hash ignores name, seed and replicates
    assert cell_hash(a) != cell_hash(dict(a, steps=31))


def test_batch_serial_grid_seeds_and_rerun(tmp_path):
    st = batch(SC, ["params.N=20,40"], tmp_path / "b", replicates=3, workers=1)
    assert (st["planned_runs"], st["done_runs"], st["failed_runs"]) == (6, 6, 0)
    df = load_batch(tmp_path / "b")
    assert df["run_id"].nunique() == 6 and set(df["params.N"]) == {20, 40}
    # extending the grid leaves existing cells untouched
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "b").glob("cells/*/*.parquet")}
    batch(SC, ["params.N=20,40,60"], tmp_path / "b", replicates=3, workers=1)
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "b").glob("cells/*/*.parquet")}
    assert all(after[p] == t for p, t in before.items()) and len(after) > len(before)
    # any single run re-runs alone with the same metrics
    df = load_batch(tmp_path / "b")
    cell = df.loc[df["params.N"] == 40, "cell"].iloc[0]
    one = rerun(tmp_path / "b", cell, 2).metrics
    mine = df[(df["cell"] == cell) & (df["replicate"] == 2)].drop(columns=["cell", "params.N"])
    np.testing.assert_array_equal(
        one.sort_values(["step", "series", "metric"])["value"].to_numpy(),
        mine.sort_values(["step", "series", "metric"])["value"].to_numpy())
    # the file metadata carries config and seeds
    from collapsesim.batching import read_meta

    meta = read_meta(next((tmp_path / "b").glob(f"cells/{cell}/*.parquet")))
    assert meta["config"]["params"]["N"] == 40 and meta["spawn_keys"][0][0] == int(cell, 16)
    assert (tmp_path / "b" / "summary.csv").exists()


def test_pool_matches_serial(tmp_path):
    batch(SC, ["params.N=20,40"], tmp_path / "s", replicates=2, workers=1)
    batch(SC, ["params.N=20,40"], tmp_path / "p", replicates=2, workers=2, group=1)
    np.testing.assert_array_equal(values(load_batch(tmp_path / "s")), values(load_batch(tmp_path / "p")))


def test_failures_are_recorded_not_fatal(tmp_path, monkeypatch):
    from collapsesim import batching as bmod

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(bmod, "run_task", boom)
    st = batch(SC, ["params.N=30"], tmp_path / "f", replicates=2, workers=1)
    assert st["failed_runs"] == 2 and "boom" in st["failures"][0]["error"]
    assert st["failures"][0]["seed"] == 5
    assert sorted(k[1] for f in st["failures"] for k in f["spawn_keys"]) == [0, 1]
    monkeypatch.undo()
    st = batch(SC, ["params.N=30"], tmp_path / "f", replicates=2, workers=1)  # retried
    assert (st["done_runs"], st["failed_runs"]) == (2, 0)


def test_kill_and_resume_loses_nothing_and_repeats_nothing(tmp_path):
    out = tmp_path / "k"
    sc = tmp_path / "k.yaml"
    sc.write_text("domain: drift\nname: k\nseed: 3\nsteps: 400\nrecord_every: 50\nbackend: numpy\n"
                  "params: {N: 2000, K: 8}\n")
    cmd = [sys.executable, "-m", "collapsesim", "batch", str(sc), "--grid", "params.K=2,4,8",
           "--replicates", "8", "--out", str(out), "--workers", "1", "--group", "1", "--quiet"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.glob("cells/*/*.parquet"))) < 3:
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    done_before = {f: f.stat().st_mtime_ns for f in out.glob("cells/*/*.parquet")}
    assert 3 <= len(done_before) < 24, "the batch must be killed part-way"
    assert status(out)["done_runs"] == len(done_before)
    r = subprocess.run(cmd[:-1], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    files = list(out.glob("cells/*/*.parquet"))
    assert len(files) == 24
    assert all(f.stat().st_mtime_ns == t for f, t in done_before.items())  # nothing repeated
    df = load_batch(out)
    assert df["run_id"].nunique() == 24
    assert not df.duplicated(["run_id", "step", "series", "metric"]).any()
    fresh = batch(sc, ["params.K=2,4,8"], tmp_path / "fresh", replicates=8, workers=1)
    assert fresh["done_runs"] == 24
    np.testing.assert_array_equal(values(df), values(load_batch(tmp_path / "fresh")))


def test_status_command(tmp_path):
    from click.testing import CliRunner

    from collapsesim.cli import main

    batch(SC, ["steps=20,30"], tmp_path / "s", replicates=2, workers=1)
    r = CliRunner().invoke(main, ["batch", "--status", str(tmp_path / "s")])
    assert r.exit_code == 0 and "4/4 runs done, 0 failed" in r.output


def test_dask_local_cluster_matches_local_pool(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    batch(SC, ["params.N=20,40"], tmp_path / "pool", replicates=2, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        st = batch(SC, ["params.N=20,40"], tmp_path / "dask", replicates=2,
                   scheduler=cluster.scheduler_address)
    assert st["done_runs"] == 4
    np.testing.assert_array_equal(values(load_batch(tmp_path / "pool")),
                                  values(load_batch(tmp_path / "dask")))


def test_plot_redraws_a_batch(tmp_path):
    from click.testing import CliRunner

    from collapsesim.cli import main

    batch(SC, ["params.N=20,40"], tmp_path / "b", replicates=2, workers=1)
    r = CliRunner().invoke(main, ["plot", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "b" / "diversity.png").stat().st_size > 0


def test_resume_with_other_grouping_or_more_replicates_repeats_nothing(tmp_path):
    """Runs are keyed by (cell, replicate): a resume with another grouping (what
    another --workers gives) finds everything done, and more replicates run only
    the new ones; no file written before is touched."""
    out = tmp_path / "r"
    batch(SC, ["params.N=20,40"], out, replicates=2, workers=1, group=2)
    before = {p: p.stat().st_mtime_ns for p in out.glob("cells/*/*.parquet")}
    st = batch(SC, ["params.N=20,40"], out, replicates=2, workers=1, group=1)
    assert (st["done_runs"], st["planned_runs"]) == (4, 4)
    assert {p: p.stat().st_mtime_ns for p in out.glob("cells/*/*.parquet")} == before
    st = batch(SC, ["params.N=20,40"], out, replicates=3, workers=1, group=1)
    assert (st["done_runs"], st["planned_runs"]) == (6, 6)
    after = {p: p.stat().st_mtime_ns for p in out.glob("cells/*/*.parquet")}
    assert all(after[p] == t for p, t in before.items()) and len(after) == len(before) + 2
    df = load_batch(out)
    assert not df.duplicated(["run_id", "step", "series", "metric"]).any()
    assert sorted(df.groupby("cell")["replicate"].unique().map(sorted).map(list)) == [[0, 1, 2]] * 2
    batch(SC, ["params.N=20,40"], tmp_path / "fresh", replicates=3, workers=1)
    np.testing.assert_array_equal(values(df), values(load_batch(tmp_path / "fresh")))


def test_a_folder_holds_one_batch(tmp_path):
    from collapsesim.config import ConfigError

    out = tmp_path / "one"
    batch(SC, ["params.N=20"], out, replicates=1, workers=1)
    with pytest.raises(ConfigError, match="holds another batch"):  # another seed
        batch(SC, ["params.N=20"], out, replicates=1, workers=1, sets=["seed=6"])
    with pytest.raises(ConfigError, match="holds another batch"):  # another grid key
        batch(SC, ["params.K=2"], out, replicates=1, workers=1)
    st = batch(SC, ["params.N=20"], out, replicates=1, workers=1, sets=["seed=6"], overwrite=True)
    assert st["done_runs"] == 1 and set(load_batch(out)["seed"]) == {6}
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="no batch"):
        batch(SC, ["params.N=20"], tmp_path / "other", replicates=1, workers=1, overwrite=True)
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("args, key", [
    (["--grid", "params.N=20,30", "--grid", "params.N=40"], "params.N"),
    (["--grid", "params.N=20", "--replicates", "0"], "replicates"),
    (["--grid", "params.N=20", "--replicates", "-2"], "replicates"),
])
def test_bad_batch_arguments_are_one_line(tmp_path, args, key):
    from click.testing import CliRunner

    from collapsesim.cli import main

    sc = tmp_path / "b.yaml"
    sc.write_text(json.dumps(SC))
    r = CliRunner().invoke(main, ["batch", str(sc), "--out", str(tmp_path / "o"), *args])
    assert r.exit_code == 1, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and key in lines[0] and "Traceback" not in r.output, r.output
    assert not (tmp_path / "o").exists()


def test_a_signal_stops_a_batch_keeping_finished_tasks(tmp_path, monkeypatch):
    """SIGTERM during the second task (in this process): the first task is kept,
    the second leaves nothing, the batch reports the signal, and the resume
    gives the uninterrupted rows."""
    from collapsesim import batching as bmod

    real, calls = bmod.run_task, []

    def second_gets_sigterm(*args):
        calls.append(args)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this ends
        return real(*args)

    monkeypatch.setattr(bmod, "run_task", second_gets_sigterm)
    st = batch(SC, ["params.N=20,40"], tmp_path / "s", replicates=1, workers=1, group=1)
    assert st["interrupted"] == signal.SIGTERM and st["done_runs"] == 1
    assert len(list((tmp_path / "s").glob("cells/*/*.parquet"))) == 1
    monkeypatch.undo()
    st = batch(SC, ["params.N=20,40"], tmp_path / "s", replicates=1, workers=1, group=1)
    assert st["interrupted"] is None and st["done_runs"] == 2
    batch(SC, ["params.N=20,40"], tmp_path / "fresh", replicates=1, workers=1)
    np.testing.assert_array_equal(values(load_batch(tmp_path / "s")),
                                  values(load_batch(tmp_path / "fresh")))
