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
the resolved config, the spawn keys and the run summaries in its metadata; a
task whose file exists is done. So a batch killed at any moment and started
again skips what is done and loses nothing. Execution goes through a
``concurrent.futures.Executor``: a local ``ProcessPoolExecutor`` by default, or
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
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .config import ConfigError, ConfigIssue, load
from .progress import Progress
from .results import write_atomic

META_KEY = b"collapsesim"


def cell_hash(resolved: dict) -> int:
    """32-bit hash of a cell's resolved config, ignoring name, seed and replicates."""
    core = {k: v for k, v in resolved.items() if k not in ("name", "seed", "replicates")}
    blob = json.dumps(core, sort_keys=True, separators=(",", ":")).encode()
    return int.from_bytes(hashlib.blake2b(blob, digest_size=4).digest(), "big")


def parse_grid(items) -> dict[str, list]:
    """``["params.N=10,100", "steps=5,6"]`` → ``{"params.N": [10, 100], "steps": [5, 6]}``."""
    import yaml

    grid: dict[str, list] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError([ConfigIssue("--grid", None, item, "expected key.path=v1,v2,...")])
        key, values = item.split("=", 1)
        vals = [yaml.safe_load(v) for v in values.split(",") if v.strip() != ""]
        if not vals:
            raise ConfigError([ConfigIssue("--grid", None, key, "no values given")])
        grid[key.strip()] = vals
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
    """Validate every cell up front; returns cells, replicates and the base config."""
    base = load(scenario, list(sets) + ([f"replicates={replicates}"] if replicates else []))
    cells = []
    keys = list(grid)
    for combo in itertools.product(*(grid[k] for k in keys)):
        ov = list(sets) + [f"{k}={json.dumps(v) if not isinstance(v, str) else v}"
                           for k, v in zip(keys, combo)]
        cfg = load(scenario, ov + ([f"replicates={replicates}"] if replicates else []))
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


def run_task(config: dict, cell_hash_: int, replicates: list[int], grid_values: dict):
    """Execute one task (top-level so that process pools and Dask can pickle it)."""
    from .runner import execute

    cfg = load(config)
    res = execute(cfg, spawn_keys=[(cell_hash_, j) for j in replicates], replicate_ids=replicates,
                  run_label=f"{cfg.name}-{cell_hash_:08x}")
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
                               mp_context=multiprocessing.get_context("spawn")), None


def batch(scenario, grid: dict[str, list] | list[str], out, *, replicates: int | None = None,
          workers: int | None = None, scheduler: str | None = None, sets=(),
          quiet: bool = True, group: int | None = None) -> dict:
    """Run (or resume) a batch; returns its status (see :func:`status`)."""
    from .registry import get_domain

    if not isinstance(grid, dict):
        grid = parse_grid(grid)
    out = Path(out)
    cells, R, base = plan(scenario, grid, replicates, sets)
    workers = workers or os.cpu_count() or 1
    batched = get_domain(base["domain"]).batched
    g = group or _group_size(R, len(cells), workers, batched)
    tasks = [Task(c, list(range(j, min(j + g, R)))) for c in cells for j in range(0, R, g)]

    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "batch.json"
    known = json.loads(manifest.read_text())["cells"] if manifest.exists() else {}
    known.update({c.tag: {"grid": c.values, "config": c.config} for c in cells})
    write_atomic(manifest, json.dumps({"scenario": str(scenario), "base": base, "grid": grid,
                                       "replicates": R, "group": g, "cells": known},
                                      indent=2, default=str).encode())

    todo = [t for t in tasks if not (out / "cells" / t.cell.tag / f"{t.name}.parquet").exists()]
    bar = Progress(total=sum(len(t.replicates) for t in tasks), quiet=quiet, label="batch",
                   unit="runs")
    bar.update(sum(len(t.replicates) for t in tasks) - sum(len(t.replicates) for t in todo))
    failures = []
    if todo:
        ex, client = (_executor(workers, scheduler) if (workers > 1 or scheduler)
                      else (None, None))
        try:
            if ex is None:
                results = ((t, _call(t)) for t in todo)
            else:
                futs = {ex.submit(run_task, t.cell.config, t.cell.hash, t.replicates,
                                  t.cell.values): t for t in todo}
                results = ((futs[f], _result(f)) for f in as_completed(futs))
            for t, (ok, value) in results:
                fail_path = out / "failures" / f"{t.cell.tag}-{t.name}.json"
                if ok:
                    df, summary = value
                    _write_task(out / "cells" / t.cell.tag / f"{t.name}.parquet", df, t, summary)
                    if fail_path.exists():
                        fail_path.unlink()
                else:
                    fail_path.parent.mkdir(parents=True, exist_ok=True)
                    rec = {"cell": t.cell.tag, "grid": t.cell.values, "replicates": t.replicates,
                           "seed": t.cell.config["seed"],
                           "spawn_keys": [[t.cell.hash, j] for j in t.replicates],
                           "error": value[0], "traceback": value[1]}
                    write_atomic(fail_path, json.dumps(rec, indent=2, default=str).encode())
                    failures.append(rec)
                bar.update(len(t.replicates))
        finally:
            bar.close()
            if ex is not None:
                try:  # drop queued tasks on Ctrl-C; Dask's executor lacks cancel_futures
                    ex.shutdown(wait=True, cancel_futures=True)
                except TypeError:
                    ex.shutdown(wait=True)
            if client is not None:
                client.close()
    else:
        bar.close()
    write_summary(out)
    draw(out)
    st = status(out)
    st["failures_this_session"] = failures
    return st


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
    """Planned, done and failed runs of a batch directory."""
    out = Path(out)
    manifest = out / "batch.json"
    if not manifest.exists():
        raise ConfigError([ConfigIssue(str(out), None, "", "not a batch directory (no batch.json)")])
    m = json.loads(manifest.read_text())
    planned = len(m["cells"]) * m["replicates"]
    done = 0
    for f in out.glob("cells/*/*.parquet"):
        done += len(read_meta(f)["spawn_keys"])
    fails = sorted(out.glob("failures/*.json"))
    failed = sum(len(json.loads(f.read_text())["replicates"]) for f in fails)
    return {"directory": str(out), "cells": len(m["cells"]), "replicates": m["replicates"],
            "planned_runs": planned, "done_runs": done, "failed_runs": failed,
            "failures": [json.loads(f.read_text()) for f in fails]}


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
