"""Results of a run: the tidy metrics table, the summary, and the run directory.

A run directory holds (DESIGN.md):

* ``metrics.parquet`` — tidy, long: ``run_id, scenario, domain, seed, replicate,
  step, series, metric, value`` (a batch adds one column per grid key);
* ``summary.json`` — provenance, per-replicate and aggregated summaries;
* ``config.yaml`` — the fully resolved config, which re-runs to the same result;
* ``diversity.png`` — relative diversity of every series over the run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .metrics import SHARED_METRICS, summarize_series
from .provenance import provenance

NON_DIVERSITY_SERIES = ("domain", "samples")


def safe_folder_name(label, default: str = "run") -> str:
    """A single path component derived from a free-text ``label`` (a scenario
    name, a suite entry): runs of characters other than letters, digits, ``_``,
    ``-`` and ``.`` become ``_``; leading and trailing ``.``, ``_`` and ``-`` are
    stripped (so ``..``, ``/abs`` and ``../../x`` cannot name a parent, the root
    or a hidden file); an empty result becomes ``default``; a name longer than
    100 characters is cut and suffixed with a hash of the label. Names are
    labels: join only this, never the label itself, onto a folder."""
    text = str(label)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._-")
    if not slug:
        return default
    if len(slug) > 100:
        slug = slug[:91].rstrip("._-") + "-" + hashlib.sha1(text.encode()).hexdigest()[:8]
    return slug


def _json_num(v):
    if v is None:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return v if math.isfinite(v) else None
    return v


def _block_summary(name: str, steps: np.ndarray, columns: dict[str, np.ndarray], threshold: float) -> dict:
    """Run summary of one (replicate, series) block: ``columns`` maps each metric
    the series recorded to its values over ``steps`` (NaN where not recorded)."""
    if name in NON_DIVERSITY_SERIES:
        out = {}
        for m, v in columns.items():
            fin = v[~np.isnan(v)]
            out[f"final_{m}"] = _json_num(fin[-1]) if fin.size else None
        return out
    values = {m: columns[m] for m in SHARED_METRICS if m in columns}
    return {k: _json_num(v) for k, v in summarize_series(steps, values, threshold).items()}


def replicate_summaries(df: pd.DataFrame, threshold: float) -> dict[int, dict]:
    """Per-replicate, per-series run summaries (``summarize_series``; for the
    ``domain`` and ``samples`` series the final value of every metric), for all
    replicates in one grouped pass: ``{replicate: {series: summary}}``, series in
    the order they were first recorded. The last value recorded for a
    (replicate, series, step, metric) counts."""
    if df.empty:
        return {}
    keys = ["replicate", "series", "step", "metric"]
    last = df.groupby(keys, sort=True, observed=True)["value"].last()
    metric_codes, metric_names = pd.factorize(last.index.get_level_values("metric"), sort=True)
    cell = last.index.droplevel("metric")
    row_codes, rows = cell.factorize()  # cells come sorted by (replicate, series, step)
    rows = rows.set_names(cell.names)
    wide = np.full((len(rows), len(metric_names)), np.nan)
    wide[row_codes, metric_codes] = last.to_numpy(dtype=float)
    present = np.zeros((len(rows), len(metric_names)), bool)
    present[row_codes, metric_codes] = True
    rep = rows.get_level_values("replicate").to_numpy()
    series = rows.get_level_values("series").to_numpy(dtype=object)
    step = rows.get_level_values("step").to_numpy()
    change = np.flatnonzero((rep[1:] != rep[:-1]) | (series[1:] != series[:-1])) + 1
    bounds = np.concatenate([[0], change, [len(rows)]])
    blocks: dict[int, dict] = {}
    for a, b in zip(bounds[:-1], bounds[1:]):
        used = np.flatnonzero(present[a:b].any(0))
        columns = {str(metric_names[j]): wide[a:b, j] for j in used}
        name = str(series[a])
        blocks.setdefault(int(rep[a]), {})[name] = _block_summary(name, step[a:b], columns, threshold)
    first = df.drop_duplicates(["replicate", "series"])
    order: dict[int, list[str]] = {}
    for r, s in zip(first["replicate"].to_numpy(), first["series"].to_numpy(dtype=object)):
        order.setdefault(int(r), []).append(str(s))
    return {r: {s: blocks[r][s] for s in order[r]} for r in blocks}


def aggregate(per_rep: list[dict]) -> dict:
    """Mean, sd, standard error and n over replicates of every numeric summary value;
    for ``collapse_step`` also the fraction of replicates that collapsed."""
    agg: dict = {}
    names = {s for r in per_rep for s in r["series"]}
    for s in sorted(names):
        keys = {k for r in per_rep for k in r["series"].get(s, {})}
        agg[s] = {}
        for k in sorted(keys):
            vals = [r["series"].get(s, {}).get(k) for r in per_rep]
            num = np.array([v for v in vals if v is not None], dtype=float)
            entry = {"n": int(num.size)}
            if num.size:
                entry["mean"] = float(num.mean())
                entry["sd"] = float(num.std(ddof=1)) if num.size > 1 else None
                entry["se"] = float(num.std(ddof=1) / math.sqrt(num.size)) if num.size > 1 else None
            if k == "collapse_step":
                entry["fraction_collapsed"] = float(num.size / len(vals)) if vals else None
            agg[s][k] = entry
    return agg


def build_summary(df: pd.DataFrame, cfg, domain_cls, status: dict, run_ids: dict, *,
                  wall_time_s: float, spawn_keys: dict, source: str | None) -> dict:
    by_rep = replicate_summaries(df, cfg.collapse_threshold)
    per_rep = [{
        "replicate": int(rep),
        "run_id": run_ids[rep],
        "spawn_key": [int(x) for x in spawn_keys[rep]],
        **st,
        "series": by_rep.get(int(rep), {}),
    } for rep, st in status.items()]
    statuses = {r["status"] for r in per_rep}
    return {
        "scenario": cfg.name,
        "domain": cfg.domain,
        "headline": domain_cls.headline,
        "clock": domain_cls.clock,
        "source": source,
        "seed": cfg.seed,
        "replicates": cfg.replicates,
        "steps": cfg.steps,
        "record_every": cfg.record_every,
        "backend": cfg.backend,
        "device": cfg.device,
        "collapse_threshold": cfg.collapse_threshold,
        "status": "completed" if statuses == {"completed"} else
                  ("interrupted" if "interrupted" in statuses else "diverged"),
        "wall_time_s": wall_time_s,
        "provenance": provenance(),
        "per_replicate": per_rep,
        "aggregate": aggregate(per_rep),
    }


def _umask() -> int:
    """The process umask, read without changing it where /proc allows."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename; the
    file gets the permissions of a normally created one (0666 less the umask)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@dataclass
class Result:
    """What ``cs.run`` returns: ``metrics`` (tidy DataFrame), ``summary`` (dict),
    ``config`` (the validated ScenarioConfig)."""

    metrics: pd.DataFrame
    summary: dict
    config: object
    interrupted: bool = False
    stop_signal: int | None = None  # the signal that interrupted the run (None: not interrupted)

    def headline(self) -> pd.DataFrame:
        """Wide table (replicate, step) × shared metric of the headline series."""
        h = self.summary["headline"]
        d = self.metrics[self.metrics["series"] == h]
        return d.pivot_table(index=["replicate", "step"], columns="metric", values="value",
                             aggfunc="last").reset_index()

    def plot(self):
        """The run's diversity figure (a matplotlib Figure)."""
        from .plotting import plot_run

        return plot_run(self.metrics, self.summary)

    def save(self, out) -> Path:
        """Write the run directory's four files, each atomically (a reader or a
        kill never sees half a file); returns its path."""
        import io

        import matplotlib.pyplot as plt

        from .config import dump

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        self.metrics.to_parquet(buf, index=False)
        write_atomic(out / "metrics.parquet", buf.getvalue())
        write_atomic(out / "summary.json", json.dumps(self.summary, indent=2).encode())
        write_atomic(out / "config.yaml", dump(self.config).encode())
        fig = self.plot()
        buf = io.BytesIO()
        try:
            fig.savefig(buf, format="png", dpi=110)
        finally:
            plt.close(fig)
        write_atomic(out / "diversity.png", buf.getvalue())
        return out
