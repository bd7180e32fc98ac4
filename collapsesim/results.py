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
from pathlib import Path

import numpy as np
import pandas as pd

from .metrics import SHARED_METRICS, summarize_blocks
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


def _last_finite(starts: np.ndarray, v: np.ndarray) -> list:
    """The last non-NaN value of every block of rows (None if none)."""
    idx = np.where(~np.isnan(v), np.arange(len(v)), -1)
    last = np.maximum.reduceat(idx, starts)
    ok = last >= np.asarray(starts)
    return [_json_num(v[i]) if k else None for i, k in zip(last.tolist(), ok.tolist())]


def _last_per_key(df: pd.DataFrame) -> tuple[list, list, np.ndarray]:
    """The value last recorded for each (replicate, series, step, metric), sorted
    by those keys: their codes, their sorted levels, and the values — one
    stable integer sort instead of a grouping over string columns."""
    codes, levels = [], []
    for col in ("replicate", "series", "step", "metric"):
        c, lev = pd.factorize(df[col], sort=True)
        codes.append(c.astype(np.int64))
        levels.append(np.asarray(lev, dtype=object if col in ("series", "metric") else np.int64))
    key = np.zeros(len(df), dtype=np.int64)
    for c, lev in zip(codes, levels):
        key = key * max(len(lev), 1) + c
    order = np.argsort(key, kind="stable")
    key = key[order]
    last = np.ones(len(key), bool)  # the last of each run of equal keys (stable: the latest row)
    last[:-1] = key[1:] != key[:-1]
    take = order[last]
    return [c[take] for c in codes], levels, df["value"].to_numpy(dtype=float)[take]


def replicate_summaries(df: pd.DataFrame, threshold: float) -> dict[int, dict]:
    """Per-replicate, per-series run summaries (``summarize_series``; for the
    ``domain`` and ``samples`` series the final value of every metric), for all
    replicates in one grouped pass: ``{replicate: {series: summary}}``, series in
    the order they were first recorded. The last value recorded for a
    (replicate, series, step, metric) counts. Blocks of one series with the
    same metrics are summarised together (:func:`summarize_blocks`)."""
    if df.empty:
        return {}
    (rep_c, series_c, step_c, metric_codes), levels, values = _last_per_key(df)
    rep_levels, series_names, step_levels, metric_names = levels
    new_cell = np.ones(len(values), bool)
    new_cell[1:] = (np.diff(rep_c) != 0) | (np.diff(series_c) != 0) | (np.diff(step_c) != 0)
    row_codes = np.cumsum(new_cell) - 1
    heads = np.flatnonzero(new_cell)  # one row per (replicate, series, step) cell
    n_rows = len(heads)
    wide = np.full((n_rows, len(metric_names)), np.nan)
    wide[row_codes, metric_codes] = values
    present = np.zeros((n_rows, len(metric_names)), bool)
    present[row_codes, metric_codes] = True
    rep = rep_levels[rep_c[heads]]
    series_codes = series_c[heads]
    step = step_levels[step_c[heads]]
    change = np.flatnonzero((rep[1:] != rep[:-1]) | (series_codes[1:] != series_codes[:-1])) + 1
    starts = np.concatenate([[0], change])
    used = np.logical_or.reduceat(present, starts, axis=0)  # blocks × metrics
    used_codes, used_sets = pd.factorize(pd.Series([u.tobytes() for u in used]))
    kinds = series_codes[starts] * len(used_sets) + used_codes  # (series, metrics used)
    blocks: dict[tuple, dict] = {}
    for kind in np.unique(kinds):
        which = np.flatnonzero(kinds == kind)
        name = str(series_names[series_codes[starts[which[0]]]])
        cols = np.flatnonzero(used[which[0]])
        lengths = np.diff(np.append(starts, n_rows))[which]
        sub_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        take = np.repeat(starts[which] - sub_starts, lengths) + np.arange(lengths.sum())
        if name in NON_DIVERSITY_SERIES:
            out = {f"final_{metric_names[j]}": _last_finite(sub_starts, wide[take, j]) for j in cols}
            summaries = [dict(zip(out, vals)) for vals in zip(*out.values())]
        else:
            values = {m: wide[take, j] for m in SHARED_METRICS
                      for j in cols if metric_names[j] == m}
            summaries = summarize_blocks(sub_starts, step[take], values, threshold)
        for b, summ in zip(which, summaries):
            blocks[(int(rep[starts[b]]), name)] = summ
    first = df.drop_duplicates(["replicate", "series"])
    order: dict[int, list[str]] = {}
    for r, s in zip(first["replicate"].to_numpy(), first["series"].to_numpy(dtype=object)):
        order.setdefault(int(r), []).append(str(s))
    return {r: {s: blocks[(r, s)] for s in order[r]} for r in order if (r, order[r][0]) in blocks}


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


class Result:
    """What ``cs.run`` returns: ``metrics`` (tidy DataFrame), ``summary`` (dict),
    ``config`` (the validated ScenarioConfig). ``summary`` may be given as a
    function (``summarize``), called on first access: a study of 10^5 replicates
    that reads only ``metrics`` does not pay for 10^5 per-replicate summaries."""

    def __init__(self, metrics: pd.DataFrame, summary: dict | None = None, config: object = None,
                 interrupted: bool = False, stop_signal: int | None = None, *, summarize=None):
        if (summary is None) == (summarize is None):
            raise TypeError("Result: give summary or summarize, not both or neither")
        self.metrics = metrics
        self._summary, self._summarize = summary, summarize
        self.config = config
        self.interrupted = interrupted
        self.stop_signal = stop_signal  # the signal that interrupted the run (None: not interrupted)

    @property
    def summary(self) -> dict:
        if self._summary is None:
            self._summary, self._summarize = self._summarize(), None
        return self._summary

    def __repr__(self) -> str:
        return (f"Result(metrics=<{len(self.metrics)} rows>, config={self.config!r}, "
                f"interrupted={self.interrupted})")

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
