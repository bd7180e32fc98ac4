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
from operator import itemgetter
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


def _last_finite(starts: np.ndarray, v: np.ndarray) -> list:
    """The last non-NaN value of every block of rows (None if none)."""
    idx = np.where(~np.isnan(v), np.arange(len(v)), -1)
    last = np.maximum.reduceat(idx, starts)
    ok = last >= np.asarray(starts)
    picked = v[np.where(ok, last, 0)]
    if ok.all() and np.isfinite(picked).all():
        return picked.tolist()  # one conversion, not one call per block
    return [x if k and math.isfinite(x) else None for x, k in zip(picked.tolist(), ok.tolist())]


def _sorted_codes(codes: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes into ``names`` as codes into the sorted names they use, with those names."""
    used = np.flatnonzero(np.bincount(codes, minlength=len(names)))
    used = used[np.argsort(names[used].astype(str), kind="stable")]
    rank = np.zeros(len(names), np.int64)
    rank[used] = np.arange(len(used))
    return rank[codes], names[used]


def _keyed_rows(source) -> tuple[np.ndarray, np.ndarray, list, list, np.ndarray]:
    """Every row of a tidy table, or of :class:`Records` (read from their codes,
    not from the table's strings), in table order: replicate ids, steps, series
    and metric codes into their sorted names (``[codes, names]`` each), values."""
    if isinstance(source, Records):
        rep, step, series, metric, value = source.columns()
        names = np.asarray(source.names, dtype=object)
        return rep, step, list(_sorted_codes(series, names)), list(_sorted_codes(metric, names)), value
    coded = []
    for col in ("series", "metric"):
        c, lev = pd.factorize(source[col], sort=True)
        coded.append([c.astype(np.int64), np.asarray(lev, dtype=object)])
    return (source["replicate"].to_numpy(np.int64), source["step"].to_numpy(np.int64), *coded,
            source["value"].to_numpy(dtype=float))


def _last_per_key(rep, step, series: list, metric: list, values) -> tuple:
    """The value last recorded for each (replicate, series, step, metric), sorted
    by those keys: their codes, their sorted levels, the values, and the first
    row of every (replicate, series) block in the rows as given — one stable
    integer sort instead of a grouping over string columns."""
    codes, levels = [], []
    for col in (rep, series, step, metric):
        if isinstance(col, list):  # [codes, names]
            c, lev = col
        else:
            c, lev = pd.factorize(col, sort=True)
        codes.append(np.asarray(c, dtype=np.int64))
        levels.append(lev)
    key = np.zeros(len(values), dtype=np.int64)
    for c, lev in zip(codes, levels):
        key = key * max(len(lev), 1) + c
    order = np.argsort(key, kind="stable")
    key = key[order]
    last = np.ones(len(key), bool)  # the last of each run of equal keys (stable: the latest row)
    last[:-1] = key[1:] != key[:-1]
    block = key // (max(len(levels[2]), 1) * max(len(levels[3]), 1))  # (replicate, series)
    head = np.ones(len(key), bool)
    head[1:] = block[1:] != block[:-1]
    first = np.minimum.reduceat(order, np.flatnonzero(head))
    take = order[last]
    return [c[take] for c in codes], levels, values[take], first


def replicate_summaries(source, threshold: float) -> dict[int, dict]:
    """Per-replicate, per-series run summaries (``summarize_series``; for the
    ``domain`` and ``samples`` series the final value of every metric), for all
    replicates in one grouped pass: ``{replicate: {series: summary}}``, series in
    the order they were first recorded. ``source`` is a tidy table or the run's
    :class:`Records`. The last value recorded for a
    (replicate, series, step, metric) counts. Blocks of one series with the
    same metrics are summarised together (:func:`summarize_blocks`)."""
    rep_ids, steps, series, metric, values = _keyed_rows(source)
    if not len(values):
        return {}
    (rep_c, series_c, step_c, metric_codes), levels, values, first = _last_per_key(
        rep_ids, steps, series, metric, values)
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
    if used.shape[1] < 63:  # each block's set of metrics as the bits of one integer
        signature = used.astype(np.int64) @ (np.int64(1) << np.arange(used.shape[1], dtype=np.int64))
    else:
        signature = pd.Series([u.tobytes() for u in used])
    used_codes, used_sets = pd.factorize(signature)
    kinds = series_codes[starts] * len(used_sets) + used_codes  # (series, metrics used)
    summary_of: list = [None] * len(starts)  # of every (replicate, series) block
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
        for b, summ in zip(which.tolist(), summaries):
            summary_of[b] = summ
    # replicates in the order first recorded, and each one's series likewise
    block_rep = rep[starts]
    rep_heads = np.flatnonzero(np.append(True, block_rep[1:] != block_rep[:-1]))
    rep_first = np.repeat(np.minimum.reduceat(first, rep_heads),
                          np.diff(np.append(rep_heads, len(starts))))
    names = [str(x) for x in series_names]
    block_reps, block_names = block_rep.tolist(), series_codes[starts].tolist()
    by_rep: dict[int, dict] = {}
    for b in np.lexsort((first, rep_first)).tolist():
        by_rep.setdefault(block_reps[b], {})[names[block_names[b]]] = summary_of[b]
    return by_rep


def aggregate(per_rep: list[dict]) -> dict:
    """Mean, sd, standard error and n over replicates of every numeric summary value
    (None, a value that was not finite, is left out); for ``collapse_step`` also the
    fraction of replicates that collapsed. Each series' values are read into one
    (replicates × keys) array."""
    agg: dict = {}
    names = {s for r in per_rep for s in r["series"]}
    for s in sorted(names):
        of = [r["series"].get(s, {}) for r in per_rep]  # each replicate's summary of s
        keys = sorted(set().union(*of))
        if all(len(d) == len(keys) for d in of):  # every summary has every key
            rows = list(map(itemgetter(*keys), of)) if keys else []
        else:
            rows = [[d.get(k) for k in keys] for d in of]
        table = np.array(rows, dtype=float).reshape(len(of), len(keys))  # None: NaN
        agg[s] = {}
        for j, k in enumerate(keys):
            num = table[:, j][~np.isnan(table[:, j])]
            entry = {"n": int(num.size)}
            if num.size:
                entry["mean"] = float(num.mean())
                entry["sd"] = float(num.std(ddof=1)) if num.size > 1 else None
                entry["se"] = float(num.std(ddof=1) / math.sqrt(num.size)) if num.size > 1 else None
            if k == "collapse_step":
                entry["fraction_collapsed"] = float(num.size / len(of))
            agg[s][k] = entry
    return agg


def build_summary(rows, cfg, domain_cls, status: dict[str, list], run_ids: dict, *,
                  wall_time_s: float, spawn_keys, source: str | None) -> dict:
    """The content of ``summary.json``: the run's settings and provenance, one
    entry per replicate (``status`` gives the replicate ids and their status
    fields as columns; ``spawn_keys`` are the replicates' keys, in that order),
    with its series' summaries made from ``rows`` (the tidy table or the run's
    :class:`Records`), and their aggregate."""
    by_rep = replicate_summaries(rows, cfg.collapse_threshold)
    ids = status["replicate"]
    keys = spawn_keys.tolist() if isinstance(spawn_keys, np.ndarray) else [list(k) for k in spawn_keys]
    columns = {"replicate": ids, "run_id": [run_ids[r] for r in ids], "spawn_key": keys,
               **{k: v for k, v in status.items() if k != "replicate"},
               "series": [by_rep.get(r, {}) for r in ids]}
    per_rep = [dict(zip(columns, row)) for row in zip(*columns.values())]
    statuses = set(status["status"])
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


def _strings(codes: np.ndarray, categories: list) -> pd.Series:
    """A pandas ``string`` column from integer codes into ``categories``: one
    Python string per category, not per row (an arrow dictionary, decoded, where
    pandas stores strings in arrow; else through a categorical)."""
    if categories == [None]:
        return pd.Series(pd.array([None] * len(codes), dtype="string"))
    dtype = pd.StringDtype()
    if dtype.storage == "pyarrow":
        import pyarrow as pa

        small = np.int32 if len(categories) < 2**31 else np.int64
        taken = pa.DictionaryArray.from_arrays(pa.array(codes.astype(small, copy=False)),
                                               pa.array(categories, pa.large_string()))
        return pd.Series(pd.arrays.ArrowStringArray(taken.dictionary_decode()), dtype=dtype)
    cat = pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))
    return pd.Series(cat).astype(dtype)


def _distinct(ids: np.ndarray) -> np.ndarray:
    """The sorted distinct values of non-negative integer ids: by presence
    where they are dense (replicate ids 0 … R−1 of R rows), else by sorting."""
    if ids.size and ids.min() >= 0 and ids.max() < 4 * ids.size:
        seen = np.zeros(int(ids.max()) + 1, dtype=bool)
        seen[ids] = True
        return np.flatnonzero(seen)
    return np.unique(ids)


class Records:
    """A run's recorded rows as the runner holds them: chunks
    ``(step, replicate, series, metric, value)`` in the order recorded (each
    replicate's rows in step order), where ``step`` is one int for the chunk
    or an array (one per row),
    ``replicate`` and ``value`` are arrays, and ``series`` and ``metric`` are a
    code into ``names`` for the whole chunk or an array of codes; with the
    labels every row shares. :meth:`table` makes the tidy table of DESIGN.md;
    :meth:`final` reads each replicate's last values from the chunks without
    it — at 10^5 replicates, the table costs as much as the simulation."""

    def __init__(self, chunks: list[tuple], names: list[str], run_ids, *, scenario, domain, seed):
        self.chunks, self.names = chunks, list(names)
        self._run_ids = run_ids  # {replicate: run id}, or a function that makes it
        self.scenario, self.domain, self.seed = scenario, domain, seed

    @property
    def run_ids(self) -> dict[int, str]:
        """``{replicate: run_id}`` for every replicate of the run."""
        if callable(self._run_ids):
            self._run_ids = self._run_ids()
        return self._run_ids

    def __len__(self) -> int:
        return sum(len(c[1]) for c in self.chunks)

    @classmethod
    def from_table(cls, df: pd.DataFrame) -> Records:
        """The rows of a tidy metrics table (as :meth:`table` makes it) as one
        chunk, in step order (rows of one step in table order)."""
        df = df.sort_values("step", kind="stable")
        labels = pd.concat([df["series"], df["metric"]], ignore_index=True)
        codes, names = pd.factorize(labels)
        codes = codes.astype(np.int64)
        n = len(df)
        first = df.drop_duplicates("replicate")
        run_ids = (dict(zip(first["replicate"].astype(int), first["run_id"].astype(str)))
                   if "run_id" in df else {})
        row0 = df.iloc[0] if n else {}
        chunk = (df["step"].to_numpy(np.int64), df["replicate"].to_numpy(np.int64),
                 codes[:n], codes[n:], df["value"].to_numpy(np.float64))
        return cls([chunk], [str(x) for x in names], run_ids, scenario=row0.get("scenario"),
                   domain=row0.get("domain"), seed=row0.get("seed"))

    def columns(self) -> tuple:
        """(replicate, step, series codes, metric codes, value) over all chunks,
        in step order — rows of one step in the order recorded (a stable sort,
        needed only when a frozen batch's ends were observed together after
        later steps); a chunk's single step or code is repeated over its rows."""
        if not self.chunks:
            return tuple(np.zeros(0, t) for t in (np.int64,) * 4 + (np.float64,))
        steps, rep, series, metric, value = zip(*self.chunks)
        lengths = np.fromiter(map(len, rep), np.int64, len(rep))

        def spread(col):
            if all(isinstance(c, int) for c in col):
                return np.repeat(np.asarray(col, dtype=np.int64), lengths)
            return np.concatenate([np.full(n, c, np.int64) if isinstance(c, int) else c
                                   for c, n in zip(col, lengths.tolist())])

        if (len(self.chunks) == 1 and not any(isinstance(c, int) for c in self.chunks[0])
                and not (np.diff(steps[0]) < 0).any()):
            return rep[0], steps[0], series[0], metric[0], value[0]  # merged, as below
        cols = (np.concatenate(rep), spread(steps), spread(series), spread(metric),
                np.concatenate(value))
        if (np.diff(cols[1]) < 0).any():
            order = np.argsort(cols[1], kind="stable")
            cols = tuple(c[order] for c in cols)
        self.chunks = [(cols[1], cols[0], cols[2], cols[3], cols[4])]  # merged once, read again
        return cols

    def table(self) -> pd.DataFrame:
        """The tidy table: ``run_id, scenario, domain, seed, replicate, step,
        series, metric, value``, one row per recorded value."""
        rep, step, series, metric, value = self.columns()
        n = len(value)
        ids = np.fromiter(self.run_ids, np.int64, len(self.run_ids))
        order = np.argsort(ids, kind="stable")
        run_id_codes = order[np.searchsorted(ids[order], rep)] if n else np.zeros(0, np.int64)
        return pd.DataFrame({
            "run_id": _strings(run_id_codes, list(self.run_ids.values())),
            "scenario": _strings(np.zeros(n, np.int64), [self.scenario]),
            "domain": _strings(np.zeros(n, np.int64), [self.domain]),
            "seed": np.full(n, self.seed, dtype=np.int64),
            "replicate": rep,
            "step": step,
            "series": _strings(series, self.names),
            "metric": _strings(metric, self.names),
            "value": value,
        })

    def final(self, series: str) -> pd.DataFrame:
        """One row per replicate that recorded ``series`` (index ``replicate``,
        ascending): ``step``, the last step at which it recorded that series, and
        the last value recorded of each of the series' metrics (NaN for a metric
        it never recorded), in the order the metrics were first recorded. One
        pass over the chunks, later chunks overwriting earlier ones."""
        code = self.names.index(series) if series in self.names else -1
        picked = []  # (step, replicate, metric codes, values) of the series' rows
        for step, rep, s, m, v in self.chunks:
            if isinstance(s, int):
                if s == code and len(rep):
                    picked.append((step, rep, m, v))
            elif (keep := s == code).any():
                picked.append((step if isinstance(step, int) else step[keep], rep[keep],
                               m if isinstance(m, int) else m[keep], v[keep]))
        if not picked:
            known = sorted({self.names[c] for chunk in self.chunks
                            for c in np.unique(np.asarray(chunk[2])).tolist()})
            raise KeyError(f"no series {series!r} was recorded; recorded: "
                           f"{', '.join(known) or 'none'}")
        reps = _distinct(np.concatenate([p[1] for p in picked]))
        used = np.zeros(len(self.names), bool)
        for p in picked:
            used[p[2]] = True
        metric_codes = np.flatnonzero(used)  # codes are given in the order names are first seen
        col = np.full(len(self.names), -1, np.int64)
        col[metric_codes] = np.arange(len(metric_codes))
        values = np.full((len(reps), len(metric_codes)), np.nan)
        steps = np.full(len(reps), np.iinfo(np.int64).min)
        contiguous = reps[0] == 0 and reps[-1] == len(reps) - 1
        for step, rep, m, v in picked:
            row = rep if contiguous else np.searchsorted(reps, rep)
            if isinstance(m, int):
                # a chunk of one series and metric (stacked observations): each
                # replicate at most once, so plain assignment keeps the latest value
                values[row, col[m]] = v
                steps[row] = np.maximum(steps[row], step)
                continue
            flat = row * len(metric_codes) + col[m]
            last = np.full(values.size, -1, np.int64)  # the latest row of each cell in this chunk
            np.maximum.at(last, flat, np.arange(len(flat)))
            cells = np.flatnonzero(last >= 0)
            values.reshape(-1)[cells] = np.asarray(v)[last[cells]]
            np.maximum.at(steps, row, np.broadcast_to(step, row.shape))
        out = pd.DataFrame(values, index=pd.Index(reps, name="replicate"),
                           columns=[self.names[c] for c in metric_codes])
        out.insert(0, "step", steps)
        return out


_PER_REPLICATE = "\0per_replicate\0"  # stands for the list while the rest is indented


def summary_json(summary: dict) -> str:
    """The text of ``summary.json``: indented, with one line per replicate in
    ``per_replicate`` (json's C encoder writes those lines; an indented dump of
    10^5 replicates' summaries runs in pure Python and takes seconds)."""
    per = summary.get("per_replicate")
    if not isinstance(per, list) or not per:
        return json.dumps(summary, indent=2)
    head = json.dumps({**summary, "per_replicate": _PER_REPLICATE}, indent=2)
    body = ",\n".join("    " + json.dumps(r) for r in per)
    return head.replace(json.dumps(_PER_REPLICATE), "[\n" + body + "\n  ]", 1)


class Result:
    """What ``cs.run`` returns: ``metrics`` (tidy DataFrame), ``summary`` (dict),
    ``config`` (the validated ScenarioConfig), and :meth:`final` (each
    replicate's last values). The runner gives ``records`` (:class:`Records`)
    rather than the table, and ``summarize`` rather than the summary: each is
    made on first access, so a study of 10^5 replicates that reads only
    :meth:`final` pays for neither the table's strings nor 10^5 summaries."""

    def __init__(self, metrics: pd.DataFrame | None = None, summary: dict | None = None,
                 config: object = None, interrupted: bool = False,
                 stop_signal: int | None = None, *, summarize=None,
                 records: Records | None = None, headline: str | None = None):
        if (summary is None) == (summarize is None):
            raise TypeError("Result: give summary or summarize, not both or neither")
        if (metrics is None) == (records is None):
            raise TypeError("Result: give metrics or records, not both or neither")
        self._metrics, self._records = metrics, records
        self._summary, self._summarize = summary, summarize
        self._headline = headline
        self.config = config
        self.interrupted = interrupted
        self.stop_signal = stop_signal  # the signal that interrupted the run (None: not interrupted)

    @property
    def metrics(self) -> pd.DataFrame:
        """The tidy metrics table (made from the records on first access)."""
        if self._metrics is None:
            self._metrics = self._records.table()
        return self._metrics

    @property
    def summary(self) -> dict:
        """Provenance, per-replicate and aggregate summaries (made on first access)."""
        if self._summary is None:
            self._summary, self._summarize = self._summarize(), None
        return self._summary

    @property
    def headline_series(self) -> str:
        """The name of the domain's headline series."""
        return self._headline or self.summary["headline"]

    def __repr__(self) -> str:
        n = len(self._records) if self._metrics is None else len(self._metrics)
        return f"Result(metrics=<{n} rows>, config={self.config!r}, interrupted={self.interrupted})"

    def final(self, series: str | None = None) -> pd.DataFrame:
        """Each replicate's last recorded values of one series (the headline
        series by default): index ``replicate``, a ``step`` column (the last step
        it recorded) and one column per metric. ``final("domain")`` holds the
        domain's own metrics, e.g. drift's ``fixed`` — a fixation probability
        is ``result.final("domain")["fixed"].mean()``."""
        records = self._records if self._records is not None else Records.from_table(self.metrics)
        return records.final(self.headline_series if series is None else series)

    def headline(self) -> pd.DataFrame:
        """Wide table (replicate, step) × shared metric of the headline series."""
        h = self.headline_series
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
        write_atomic(out / "summary.json", summary_json(self.summary).encode())
        write_atomic(out / "config.yaml", dump(self.config).encode())
        fig = self.plot()
        buf = io.BytesIO()
        try:
            fig.savefig(buf, format="png", dpi=110)
        finally:
            plt.close(fig)
        write_atomic(out / "diversity.png", buf.getvalue())
        return out
