"""Batches: a parameter grid × replicates, on a local process pool or a Dask
cluster, resumable at any moment.

Seeds (DESIGN.md): grid cell c's replicate j draws from
``SeedSequence(seed, spawn_key=(h_c, j))``, with h_c a 32-bit hash of the cell's
resolved config (all of it but ``name``, ``seed`` and ``replicates``) — not of
its index, so extending a grid or resuming never changes an existing cell. Any
single run re-runs alone with :func:`rerun`.

Layout of a batch directory::

    batch.json                       the plan: base config, grid, replicates, cells
    cells/<h_c as 8 hex>/reps-<j0>-<j1>.parquet   one file per (cell, replicate group)
    failures/<h_c>-<j0>-<j1>.json    runs that raised, with error and seeds
    summary.csv                      headline summary per cell (mean over replicates)

Each parquet file is written atomically (temporary file + rename) and carries
the resolved config, the spawn keys and the run summaries in its metadata. The
unit of work is a run, keyed by (cell hash, replicate): a run is done when some
file of its cell lists its spawn key, whatever grouping wrote that file. A
(re)started batch reads that done-set from disk and groups only the missing runs
into tasks, so resuming with another worker count or ``--group`` repeats nothing,
more replicates run only the new ones, a killed batch loses only its unfinished
tasks, and files written before are never touched.

A folder is one batch: the same base config (everything but ``replicates``) and
the same grid keys resume into it (grid values and replicates may grow); a
folder holding another batch, a run or other files is refused unless
``overwrite`` (which replaces only a batch's own files).

Signals (docs/reliability.md): SIGINT, SIGTERM and SIGHUP stop the batch like
Ctrl-C stops a run — finished tasks are kept, running ones are abandoned (their
worker processes terminated) and re-run on resume — and :func:`batch` returns
with ``interrupted`` set to the signal. Pool workers ignore SIGINT (the batch
decides) and exit on their own when the batch process dies, even by SIGKILL.

Execution goes through a ``concurrent.futures.Executor``: a local
``ProcessPoolExecutor`` by default, or
``dask.distributed.Client(address).get_executor()`` with a scheduler address
(the ``dask`` extra).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import multiprocessing
import os
import shutil
import signal
import threading
import time
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .config import ConfigError, ConfigIssue, load, parse_value
from .progress import Progress
from .results import write_atomic

META_KEY = b"collapsesim"


def cell_hash(resolved: dict) -> int:
    """32-bit hash of a cell's resolved config, ignoring name, seed and replicates."""
    core = {k: v for k, v in resolved.items() if k not in ("name", "seed", "replicates")}
    blob = json.dumps(core, sort_keys=True, separators=(",", ":")).encode()
    return int.from_bytes(hashlib.blake2b(blob, digest_size=4).digest(), "big")


def parse_grid(items) -> dict[str, list]:
    """``["params.N=10,100", "steps=5,6"]`` → ``{"params.N": [10, 100], "steps": [5, 6]}``.
    A key given twice is refused (give all its values in one ``--grid``). Values
    are read by :func:`collapsesim.config.parse_value`, as in scenario files."""
    grid: dict[str, list] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError([ConfigIssue("--grid", None, item, "expected key.path=v1,v2,...")])
        key, values = item.split("=", 1)
        key = key.strip()
        vals = [parse_value(v) for v in values.split(",") if v.strip() != ""]
        if not vals:
            raise ConfigError([ConfigIssue("--grid", None, key, "no values given")])
        if key in grid:
            raise ConfigError([ConfigIssue("--grid", None, key, "given twice; list all its values "
                                           f"in one --grid {key}=v1,v2,...")])
        grid[key] = vals
    return grid


@dataclass
class Cell:
    values: dict  # grid key → value
    config: dict  # resolved config
    hash: int

    @property
    def tag(self) -> str:
        return f"{self.hash:08x}"


@dataclass
class Task:
    cell: Cell
    replicates: list[int]

    @property
    def name(self) -> str:
        return f"reps-{self.replicates[0]:05d}-{self.replicates[-1]:05d}"


def plan(scenario, grid: dict[str, list], replicates: int | None, sets=()) -> tuple[list[Cell], int, dict]:
    """Validate every cell up front; returns cells, replicates and the base config.
    ``replicates`` (None: the scenario's) is validated like ``run --replicates``."""
    reps = [] if replicates is None else [f"replicates={replicates}"]
    base = load(scenario, list(sets) + reps)
    cells = []
    keys = list(grid)
    for combo in itertools.product(*(grid[k] for k in keys)):
        ov = list(sets) + [f"{k}={json.dumps(v) if not isinstance(v, str) else v}"
                           for k, v in zip(keys, combo)]
        cfg = load(scenario, ov + reps)
        res = cfg.resolved()
        cells.append(Cell(dict(zip(keys, combo)), res, cell_hash(res)))
    hashes = [c.hash for c in cells]
    if len(set(hashes)) != len(hashes):
        raise ConfigError([ConfigIssue("--grid", None, "", "two grid cells resolve to the same config")])
    return cells, base.replicates, base.resolved()


def _group_size(replicates: int, n_cells: int, workers: int, batched: bool) -> int:
    """Replicates per task: batched (GPU) domains get a cell's replicates as one
    task; otherwise aim at ≥ 4 tasks per worker while keeping tasks few."""
    if batched:
        return replicates
    tasks_wanted = 4 * max(workers, 1)
    per_cell = max(1, math.ceil(tasks_wanted / max(n_cells, 1)))
    return max(1, math.ceil(replicates / per_cell))


def _tasks(cells: list[Cell], R: int, g: int, done: set[tuple[int, int]]) -> list[Task]:
    """The runs of ``cells`` × ``range(R)`` not in ``done`` ((cell hash, replicate)
    pairs), in groups of at most ``g`` replicates of one cell."""
    tasks = []
    for c in cells:
        missing = [j for j in range(R) if (c.hash, j) not in done]
        tasks += [Task(c, missing[i:i + g]) for i in range(0, len(missing), g)]
    return tasks


class TaskInterrupted(KeyboardInterrupt):
    """A task's run was stopped by a signal; nothing of it is recorded."""

    def __init__(self, signum: int | None):
        super().__init__(signum)
        self.signum = signum


def run_task(config: dict, cell_hash_: int, replicates: list[int], grid_values: dict):
    """Execute one task (top-level so that process pools and Dask can pickle it).
    An interrupted run raises :class:`TaskInterrupted`: a task is all or nothing."""
    from .runner import execute

    cfg = load(config)
    res = execute(cfg, spawn_keys=[(cell_hash_, j) for j in replicates], replicate_ids=replicates,
                  run_label=f"{cfg.name}-{cell_hash_:08x}")
    if res.interrupted:
        raise TaskInterrupted(res.stop_signal)
    df = res.metrics
    df.insert(4, "cell", f"{cell_hash_:08x}")
    for k, v in grid_values.items():
        df[k] = v
    return df, res.summary


def _write_task(path: Path, df: pd.DataFrame, task: Task, summary: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = {"config": task.cell.config, "cell": task.cell.tag, "grid": task.cell.values,
            "spawn_keys": [[task.cell.hash, j] for j in task.replicates],
            "summary": summary}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           META_KEY: json.dumps(meta).encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, sink.getvalue().to_pybytes())


def read_meta(path) -> dict:
    import pyarrow.parquet as pq

    return json.loads(pq.read_schema(path).metadata[META_KEY])


def _watch_parent(parent: int, period: float = 0.25) -> None:
    while os.getppid() == parent:
        time.sleep(period)
    os._exit(1)  # the batch process died (even by SIGKILL): no orphan keeps running


def _init_worker(parent: int) -> None:
    """Pool worker initializer: Ctrl-C on the terminal reaches the whole process
    group; the batch process decides, so the worker ignores SIGINT; a daemon
    thread ends the worker when its parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _executor(workers: int, scheduler: str | None) -> tuple[Executor, object]:
    if scheduler:
        try:
            from dask.distributed import Client
        except ImportError:
            raise ConfigError([ConfigIssue("--scheduler", None, "", "needs Dask: pip install "
                                           "'collapsesim[dask]'")]) from None
        client = Client(scheduler)
        return client.get_executor(), client
    return ProcessPoolExecutor(max_workers=max(workers, 1),
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(os.getpid(),)), None


def _stop_executor(ex: Executor, interrupted: bool) -> None:
    """Shut a pool down; when interrupted, drop queued tasks and terminate the
    running ones (their runs are not recorded and re-run on resume)."""
    if interrupted:
        for p in list((getattr(ex, "_processes", None) or {}).values()):
            p.terminate()
    try:  # Dask's executor lacks cancel_futures
        ex.shutdown(wait=True, cancel_futures=True)
    except TypeError:
        ex.shutdown(wait=True)


BATCH_FILES = ("batch.json", "cells", "failures", "summary.csv", "diversity.png")


def _identity(base: dict, grid: dict) -> dict:
    return {"base": {k: v for k, v in base.items() if k != "replicates"}, "grid_keys": sorted(grid)}


def prepare_batch_folder(out: Path, base: dict, grid: dict, *, overwrite: bool = False) -> dict:
    """Check ``out`` before anything runs; returns the manifest found there ({}
    for a new batch). The same batch (base config but replicates, grid keys)
    resumes; anything else is refused with one line unless ``overwrite``, which
    removes only a batch's own files."""
    if out.exists() and not out.is_dir():
        raise ConfigError([ConfigIssue(str(out), None, "--out", "exists and is not a folder")])
    if not out.is_dir() or not any(out.iterdir()):
        return {}
    manifest = out / "batch.json"
    if not manifest.is_file():
        raise ConfigError([ConfigIssue(str(out), None, "--out", "holds files but no batch "
                                       "(batch.json); choose another --out")])
    try:
        m = json.loads(manifest.read_text())
        same = _identity(m["base"], m["grid"]) == json.loads(json.dumps(_identity(base, grid),
                                                                        default=str))
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise ConfigError([ConfigIssue(str(manifest), None, "", f"not a readable batch plan "
                                       f"({type(exc).__name__}: {exc})")]) from None
    if same:
        return m
    if not overwrite:
        raise ConfigError([ConfigIssue(str(out), None, "--out", "holds another batch (different "
                                       "scenario, seed, settings or grid keys); choose another "
                                       "--out or give --overwrite to replace it")])
    for name in BATCH_FILES:
        p = out / name
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    return {}


def done_runs(out, cell: str = "*") -> set[tuple[int, int]]:
    """(cell hash, replicate) of every run recorded in ``out/cells`` (or only in
    the cell tagged ``cell``), whatever grouping wrote it."""
    done = set()
    for f in Path(out).glob(f"cells/{cell}/*.parquet"):
        done.update((int(h), int(j)) for h, j in read_meta(f)["spawn_keys"])
    return done


def batch(scenario, grid: dict[str, list] | list[str], out, *, replicates: int | None = None,
          workers: int | None = None, scheduler: str | None = None, sets=(),
          quiet: bool = True, group: int | None = None, overwrite: bool = False) -> dict:
    """Run (or resume) a batch; returns its status (see :func:`status`) plus
    ``failures_this_session`` and ``interrupted`` (the stopping signal, or None)."""
    from .registry import get_domain
    from .runner import stop_signals

    if not isinstance(grid, dict):
        grid = parse_grid(grid)
    out = Path(out)
    cells, R, base = plan(scenario, grid, replicates, sets)
    if group is not None and group < 1:
        raise ConfigError([ConfigIssue("--group", None, "", f"must be at least 1; got {group}")])
    workers = workers or os.cpu_count() or 1
    batched = get_domain(base["domain"]).batched
    g = group or _group_size(R, len(cells), workers, batched)

    old = prepare_batch_folder(out, base, grid, overwrite=overwrite)
    known = old.get("cells", {})
    known.update({c.tag: {"grid": c.values, "config": c.config} for c in cells})
    merged = {k: list(v) for k, v in old.get("grid", {}).items()}
    for k, vals in grid.items():
        merged.setdefault(k, [])
        merged[k] += [v for v in vals if v not in merged[k]]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(out), None, "--out", f"cannot create the folder "
                                       f"({exc.strerror or exc})")]) from None
    write_atomic(out / "batch.json", json.dumps({"scenario": str(scenario), "base": base,
                                                 "grid": merged, "replicates": R, "group": g,
                                                 "cells": known}, indent=2, default=str).encode())

    failures = []
    interrupted = None
    ex = client = bar = None
    with stop_signals() as stop:
        try:
            todo = _tasks(cells, R, g, done_runs(out))
            total = len(cells) * R
            bar = Progress(total=total, quiet=quiet, label="batch", unit="runs")
            bar.update(total - sum(len(t.replicates) for t in todo))
            if todo:
                if workers > 1 or scheduler:
                    ex, client = _executor(workers, scheduler)
                    futs = {ex.submit(run_task, t.cell.config, t.cell.hash, t.replicates,
                                      t.cell.values): t for t in todo}
                    results = ((futs[f], _result(f)) for f in as_completed(futs))
                else:
                    results = _serial(todo)
                for t, (ok, value) in results:
                    _record_task(out, t, ok, value, failures)
                    bar.update(len(t.replicates))
        except KeyboardInterrupt as exc:
            interrupted = getattr(exc, "signum", None) or stop.signum or signal.SIGINT
        finally:
            stop.shield = True  # later signals cannot stop the saving
            if bar is not None:
                bar.close()
            if ex is not None:
                _stop_executor(ex, interrupted is not None)
            if client is not None:
                client.close()
        write_summary(out)
        draw(out)
    st = status(out)
    st["failures_this_session"] = failures
    st["interrupted"] = interrupted
    return st


def _record_task(out: Path, t: Task, ok: bool, value, failures: list) -> None:
    """Write a finished task's file, or its failure record; a success clears the
    failure records of its cell whose runs are now all done."""
    fails = out / "failures"
    if ok:
        df, summary = value
        _write_task(out / "cells" / t.cell.tag / f"{t.name}.parquet", df, t, summary)
        stale = list(fails.glob(f"{t.cell.tag}-*.json"))
        if stale:
            done = {j for _, j in done_runs(out, t.cell.tag)}
            for f in stale:
                if set(json.loads(f.read_text())["replicates"]) <= done:
                    f.unlink()
        return
    fails.mkdir(parents=True, exist_ok=True)
    rec = {"cell": t.cell.tag, "grid": t.cell.values, "replicates": t.replicates,
           "seed": t.cell.config["seed"], "spawn_keys": [[t.cell.hash, j] for j in t.replicates],
           "error": value[0], "traceback": value[1]}
    write_atomic(fails / f"{t.cell.tag}-{t.name}.json", json.dumps(rec, indent=2, default=str).encode())
    failures.append(rec)


def _serial(todo: list[Task]):
    """Run tasks in this process, yielding (task, (ok, value)). Each task gets a
    fresh stop state (the runner shields its state once a run ends): a signal
    during a run raises :class:`TaskInterrupted` with nothing of the task
    recorded; one that arrives after its run ended is raised once the finished
    task has been recorded."""
    from .runner import stop_signals

    for t in todo:
        with stop_signals() as st:
            try:
                r = _call(t)
            except KeyboardInterrupt as exc:
                raise TaskInterrupted(getattr(exc, "signum", None) or st.signum) from None
        yield t, r
        if st.signum is not None:
            raise TaskInterrupted(st.signum)


def _call(t: Task):
    try:
        return True, run_task(t.cell.config, t.cell.hash, t.replicates, t.cell.values)
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, not fatal
        return False, (f"{type(exc).__name__}: {exc}", traceback.format_exc())


def _result(fut):
    try:
        return True, fut.result()
    except Exception as exc:  # noqa: BLE001
        return False, (f"{type(exc).__name__}: {exc}", traceback.format_exc())


def load_batch(out) -> pd.DataFrame:
    """All rows of a batch directory as one DataFrame."""
    files = sorted(Path(out).glob("cells/*/*.parquet"))
    if not files:
        return pd.DataFrame()
    return pd.concat((pd.read_parquet(f) for f in files), ignore_index=True)


def status(out) -> dict:
    """Planned, done and failed runs of a batch directory, each counted once per
    (cell, replicate) of the plan (cells of batch.json × its replicates)."""
    out = Path(out)
    manifest = out / "batch.json"
    if not manifest.exists():
        raise ConfigError([ConfigIssue(str(out), None, "", "not a batch directory (no batch.json)")])
    m = json.loads(manifest.read_text())
    planned = {(int(c, 16), j) for c in m["cells"] for j in range(m["replicates"])}
    done = done_runs(out) & planned
    fails = [json.loads(f.read_text()) for f in sorted(out.glob("failures/*.json"))]
    fails = [f for f in fails if any((int(f["cell"], 16), j) not in done for j in f["replicates"])]
    failed = {(int(f["cell"], 16), j) for f in fails for j in f["replicates"]} - done
    return {"directory": str(out), "cells": len(m["cells"]), "replicates": m["replicates"],
            "planned_runs": len(planned), "done_runs": len(done), "failed_runs": len(failed),
            "failures": fails}


def write_summary(out) -> pd.DataFrame:
    """``summary.csv``: per cell, the headline summary averaged over replicates."""
    out = Path(out)
    rows = []
    for f in sorted(out.glob("cells/*/*.parquet")):
        meta = read_meta(f)
        s = meta["summary"]
        for rep in s["per_replicate"]:
            h = rep["series"].get(s["headline"], {})
            rows.append({"cell": meta["cell"], **meta["grid"], "replicate": rep["replicate"],
                         "status": rep["status"], "collapse_step": h.get("collapse_step"),
                         "final_relative_diversity": h.get("final_relative_diversity"),
                         "min_relative_diversity": h.get("min_relative_diversity"),
                         "auc": h.get("auc")})
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows)
    keys = [c for c in df.columns if c not in ("replicate", "status", "collapse_step",
                                               "final_relative_diversity",
                                               "min_relative_diversity", "auc")]
    agg = df.groupby(keys, dropna=False).agg(
        replicates=("replicate", "count"),
        collapsed=("collapse_step", lambda s: int(s.notna().sum())),
        collapse_step=("collapse_step", "mean"),
        final_relative_diversity=("final_relative_diversity", "mean"),
        final_relative_diversity_se=("final_relative_diversity",
                                     lambda s: s.std(ddof=1) / np.sqrt(s.count()) if s.count() > 1 else np.nan),
        min_relative_diversity=("min_relative_diversity", "mean"),
        auc=("auc", "mean"),
    ).reset_index()
    agg.to_csv(out / "summary.csv", index=False)
    return agg


def draw(out) -> Path | None:
    """Draw ``diversity.png`` of a batch directory (None if no run is done yet)."""
    import matplotlib.pyplot as plt

    from .plotting import plot_batch

    out = Path(out)
    files = sorted(out.glob("cells/*/*.parquet"))
    if not files:
        return None
    grid = json.loads((out / "batch.json").read_text())["grid"]
    fig = plot_batch(load_batch(out), read_meta(files[0])["summary"]["headline"], list(grid))
    fig.savefig(out / "diversity.png", dpi=110)
    plt.close(fig)
    return out / "diversity.png"


def rerun(out, cell: str, replicate: int):
    """Re-run one run of a batch alone (same seeds → same metrics on CPU backends)."""
    from .runner import execute

    m = json.loads((Path(out) / "batch.json").read_text())
    cfg = load(m["cells"][cell]["config"])
    h = int(cell, 16)
    return execute(cfg, spawn_keys=[(h, replicate)], replicate_ids=[replicate],
                   run_label=f"{cfg.name}-{h:08x}")
