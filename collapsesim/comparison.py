"""Collapse across domains on one axis.

``compare`` runs scenarios (any domains), aligns each one's **headline** series
on the fraction of its run (x = step / steps; a run that stopped early, like a
fixed sweep, keeps its last value to the end) — or on each domain's natural
clock — and writes:

* ``relative_diversity.png`` and ``collapse_index.png``: small multiples, one
  panel per domain on a shared y axis, one line per scenario (a suite's
  ``collapsing`` scenario solid, its ``remedied`` one dashed): the mean over
  replicates with a 95 % percentile-bootstrap band of that mean
  (:func:`bootstrap_mean_band`), which never leaves the range of the
  replicates' values and so stays inside [0, 1] wherever they do; with
  ``overlay=True`` (``--overlay``) every scenario on one panel instead (one per
  natural clock with ``axis="clock"``);
* ``comparison.csv`` and ``comparison.md``: per scenario, collapse step (in
  steps and as a fraction of the run), fraction of replicates that collapsed,
  final and minimum relative diversity, final and **maximum** collapse index
  (the deepest collapse of the run) and the area under the relative-diversity
  curve, each as the mean over replicates with a 95 % percentile-bootstrap
  interval (:func:`mean_ci`). The CSV's columns are ``<quantity>_mean``,
  ``<quantity>_lo`` and ``<quantity>_hi`` for the quantities ``collapse_step``,
  ``collapse_fraction_of_run``, ``final_relative_diversity``,
  ``min_relative_diversity``, ``final_collapse_index``, ``max_collapse_index``
  and ``auc``, beside ``scenario, domain, role, headline, clock, steps,
  replicates, collapsed_fraction``; the names of earlier versions are kept
  (there has never been a ``min_collapse_index`` column) and
  ``max_collapse_index_*`` is new;
* ``runs/<folder>/``: every scenario's own run directory, the folder a safe
  slug of its label (:func:`~collapsesim.results.safe_folder_name`, made unique),
  never the label joined as a path.

A *suite* is a YAML list of scenarios with a label and a role (``collapsing`` or
``remedied``); ``collapsesim compare --suite collapse`` runs the bundled
cross-domain suite (``collapsesim/suites/collapse.yaml``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .config import ConfigError, ConfigIssue, load, read_yaml
from .results import Result, safe_folder_name
from .runner import execute

GRID = np.linspace(0.0, 1.0, 201)


@dataclass
class Entry:
    """One compared scenario: its path or bundled name, its label, its role in
    a suite (``collapsing``, ``remedied`` or empty) and its ``--set`` overrides."""

    scenario: str
    label: str
    role: str = ""
    overrides: list[str] = field(default_factory=list)


@dataclass
class Comparison:
    """What ``compare`` returns: the results, the aligned curves and the table."""

    entries: list[Entry]
    results: dict[str, Result]
    curves: pd.DataFrame  # label, replicate, x, relative_diversity, collapse_index
    table: pd.DataFrame

    def figure(self, metric: str = "relative_diversity", axis: str = "fraction",
               overlay: bool = False):
        """Small multiples of the headline ``metric`` (one panel per domain), or
        every scenario on one panel with ``overlay=True``
        (:func:`~collapsesim.plotting.plot_comparison`)."""
        from .plotting import plot_comparison

        return plot_comparison(self, metric, axis, overlay=overlay)


# -- suites --------------------------------------------------------------------------


def bundled_suites() -> dict[str, Path]:
    """The suites shipped in ``collapsesim/suites``: name → YAML path."""
    root = resources.files("collapsesim") / "suites"
    return {f.name[:-5]: Path(str(f)) for f in root.iterdir() if f.name.endswith(".yaml")}


def load_suite(name_or_path: str) -> tuple[list[Entry], int | None]:
    """Entries and default replicates of a suite (bundled name or YAML path)."""
    p = Path(name_or_path)
    if not p.is_file():
        suites = bundled_suites()
        if name_or_path not in suites:
            raise ConfigError([ConfigIssue(name_or_path, None, "suite",
                                           f"no such suite file or bundled suite; bundled: "
                                           f"{', '.join(sorted(suites))}")])
        p = suites[name_or_path]
    data, _ = read_yaml(p)
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise ConfigError([ConfigIssue(str(p), None, "scenarios", "expected a list of scenarios")])
    entries = []
    for i, item in enumerate(data["scenarios"]):
        if isinstance(item, str):
            item = {"scenario": item}
        if not isinstance(item, dict) or "scenario" not in item:
            raise ConfigError([ConfigIssue(str(p), None, f"scenarios.{i}",
                                           "expected a scenario name or {scenario, label, role}")])
        entries.append(Entry(item["scenario"], item.get("label", item["scenario"]),
                             item.get("role", ""), list(item.get("set", []))))
    return entries, data.get("replicates")


# -- alignment and statistics ---------------------------------------------------------------


BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20130  # fixed: the same inputs always give the same intervals


def bootstrap_mean_band(y, level: float = 0.95, resamples: int = BOOTSTRAP_RESAMPLES,
                        seed: int = BOOTSTRAP_SEED):
    """Mean over replicates and its percentile-bootstrap interval, row by row.

    ``y`` has one row per point (a grid position, or a single quantity) and one
    column per replicate; NaN marks a replicate without a value there. The
    replicates are resampled with replacement ``resamples`` times (multinomial
    counts from ``numpy.random.default_rng(seed)``, the same draws for every
    row, so the result is a pure function of its inputs); each resample's mean
    is taken over its finite values, and the interval is the
    ``(1 − level)/2`` and ``(1 + level)/2`` quantiles of those means. A
    percentile-bootstrap interval of a mean lies within the range of the
    values, so a quantity bounded in [0, 1] gets an interval inside [0, 1]
    (a t-interval does not). With few replicates it is narrow — with two, it is
    their range — so read it as their spread, not as a guaranteed coverage.
    Returns ``(mean, lo, hi, n)`` arrays; ``lo`` and ``hi`` are NaN where fewer
    than two replicates have a value.
    """
    y = np.atleast_2d(np.asarray(y, dtype=float))
    finite = np.isfinite(y)
    n = finite.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.where(finite, y, 0.0).sum(axis=1) / np.maximum(n, 1), np.nan)
    lo = np.full(mean.shape, np.nan)
    hi = np.full(mean.shape, np.nan)
    rows = n > 1
    if rows.any():
        yr, fr = np.where(finite[rows], y[rows], 0.0), finite[rows].astype(float)
        reps = y.shape[1]
        counts = np.random.default_rng(seed).multinomial(reps, np.full(reps, 1.0 / reps),
                                                         size=resamples).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = (yr @ counts.T) / (fr @ counts.T)  # a resample with no finite value: NaN
        q = np.nanquantile(means, [(1 - level) / 2, (1 + level) / 2], axis=1)
        # the bootstrap means are weighted averages of the values; keep rounding inside their range
        vmin = np.where(finite[rows], y[rows], np.inf).min(axis=1)
        vmax = np.where(finite[rows], y[rows], -np.inf).max(axis=1)
        lo[rows], hi[rows] = np.clip(q[0], vmin, vmax), np.clip(q[1], vmin, vmax)
    return mean, lo, hi, n


def mean_ci(values) -> tuple[float, float, float, int]:
    """Mean of the finite values and its 95 % percentile-bootstrap interval
    (:func:`bootstrap_mean_band`); (nan, nan, nan, 0) if none, and a NaN
    interval from a single value."""
    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan, 0
    m, lo, hi, n = bootstrap_mean_band(v[None, :])
    return float(m[0]), float(lo[0]), float(hi[0]), int(n[0])


def headline_curves(result: Result, label: str) -> pd.DataFrame:
    """The headline series of every replicate on the common grid of run fractions
    (and the natural clock: step)."""
    s = result.summary
    m = result.metrics
    d = m[(m["series"] == s["headline"]) & m["metric"].isin(["relative_diversity", "collapse_index"])]
    rows = []
    for rep, g in d.groupby("replicate"):
        wide = g.pivot_table(index="step", columns="metric", values="value", aggfunc="last").sort_index()
        steps = wide.index.to_numpy(dtype=float)
        frac = steps / float(s["steps"])
        out = {"label": label, "replicate": int(rep), "x": GRID, "step": GRID * s["steps"]}
        for metric in ("relative_diversity", "collapse_index"):
            y = wide[metric].to_numpy(dtype=float) if metric in wide else np.full(len(steps), np.nan)
            ok = np.isfinite(y)
            out[metric] = (np.interp(GRID, frac[ok], y[ok], right=y[ok][-1]) if ok.any()
                           else np.full(GRID.size, np.nan))
            # beyond the last recording (an early stop) the last value holds
        rows.append(pd.DataFrame(out))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def summary_table(entries: list[Entry], results: dict[str, Result]) -> pd.DataFrame:
    """One row per scenario: the headline series' collapse summaries over its
    replicates, each as ``<quantity>_mean``, ``_lo`` and ``_hi`` (:func:`mean_ci`)."""
    rows = []
    for e in entries:
        r = results[e.label]
        s = r.summary
        h = s["headline"]
        per = [p["series"].get(h, {}) for p in s["per_replicate"]]
        row = {"scenario": e.label, "domain": s["domain"], "role": e.role, "headline": h,
               "clock": s["clock"], "steps": s["steps"], "replicates": len(per)}
        cs_steps = [p.get("collapse_step") for p in per]
        collapsed = [c for c in cs_steps if c is not None]
        row["collapsed_fraction"] = len(collapsed) / len(per) if per else math.nan
        for key, vals in (
            ("collapse_step", cs_steps),
            ("collapse_fraction_of_run", [None if c is None else c / s["steps"] for c in cs_steps]),
            ("final_relative_diversity", [p.get("final_relative_diversity") for p in per]),
            ("min_relative_diversity", [p.get("min_relative_diversity") for p in per]),
            ("final_collapse_index", [p.get("final_collapse_index") for p in per]),
            ("max_collapse_index", [p.get("max_collapse_index") for p in per]),
            ("auc", [p.get("auc") for p in per]),
        ):
            m, lo, hi, _ = mean_ci(vals)
            row[f"{key}_mean"], row[f"{key}_lo"], row[f"{key}_hi"] = m, lo, hi
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(m, lo, hi, digits=3) -> str:
    if not np.isfinite(m):
        return "—"
    if not np.isfinite(lo):
        return f"{m:.{digits}g}"
    return f"{m:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"


def table_markdown(table: pd.DataFrame) -> str:
    """The summary table as Markdown, with a caption saying how to read it."""
    cols = [("collapse_step", "collapse step"), ("collapse_fraction_of_run", "collapse (fraction of run)"),
            ("final_relative_diversity", "final rel. diversity"),
            ("min_relative_diversity", "min rel. diversity"),
            ("final_collapse_index", "final collapse index"),
            ("max_collapse_index", "max collapse index"), ("auc", "AUC")]
    head = ["scenario", "domain", "role", "replicates", "collapsed"] + [c[1] for c in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for _, r in table.iterrows():
        cells = [str(r["scenario"]), str(r["domain"]), str(r["role"] or ""), str(r["replicates"]),
                 f"{r['collapsed_fraction']:.0%}"]
        cells += [_fmt(r[f"{k}_mean"], r[f"{k}_lo"], r[f"{k}_hi"]) for k, _ in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return ("Means over replicates with 95 % percentile-bootstrap intervals in brackets "
            f"({BOOTSTRAP_RESAMPLES} resamples of the replicates; an interval lies within the "
            "range of the replicates' values, and with two replicates it is that range); "
            "collapse step is the first recorded step where the headline relative diversity "
            "falls below half its running maximum (mean over the replicates that collapsed); "
            "max collapse index is the deepest collapse of the run, "
            "1 − ln min D1 / ln D1(reference).\n\n" + "\n".join(lines) + "\n")


def run_folders(labels) -> dict[str, str]:
    """One distinct, safe folder name per label (``a b`` and ``a_b`` get
    ``a_b`` and ``a_b-2``)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for label in labels:
        base = name = safe_folder_name(label)
        k = 1
        while name.lower() in used:  # distinct on case-insensitive file systems too
            k += 1
            name = f"{base}-{k}"
        used.add(name.lower())
        names[label] = name
    return names


def compare(scenarios=(), out=None, *, replicates: int | None = None, suite: str | None = None,
            sets=(), quiet: bool = True, axis: str = "fraction",
            overlay: bool = False) -> Comparison:
    """Run ``scenarios`` (paths or bundled names) and/or a ``suite`` and compare
    their headline collapse; with ``out``, write figures (small multiples, or
    one overlaid panel with ``overlay=True``), tables and run dirs."""
    entries = [Entry(str(s), Path(str(s)).stem) for s in scenarios]
    if suite:
        suite_entries, suite_reps = load_suite(suite)
        entries += suite_entries
        replicates = replicates if replicates is not None else suite_reps
    if not entries:
        raise ConfigError([ConfigIssue("compare", None, "", "give scenarios or --suite")])
    seen: dict[str, int] = {}
    for e in entries:  # unique labels
        k = seen.get(e.label, 0)
        seen[e.label] = k + 1
        if k:
            e.label = f"{e.label} ({k + 1})"
    configs = []
    for e in entries:  # validate everything before running anything
        ov = list(e.overrides) + list(sets) + ([] if replicates is None else [f"replicates={replicates}"])
        configs.append(load(e.scenario, ov))
    results: dict[str, Result] = {}
    folders = run_folders(e.label for e in entries)
    for e, cfg in zip(entries, configs):
        res = execute(cfg, quiet=quiet, source=e.scenario)
        results[e.label] = res
        if out is not None:
            res.save(Path(out) / "runs" / folders[e.label])
    curves = pd.concat([headline_curves(results[e.label], e.label) for e in entries], ignore_index=True)
    comp = Comparison(entries, results, curves, summary_table(entries, results))
    if out is not None:
        save_comparison(comp, out, axis=axis, overlay=overlay)
    return comp


def save_comparison(comp: Comparison, out, axis: str = "fraction", overlay: bool = False) -> Path:
    """Write ``comparison.csv``, ``comparison.md`` and the two figures into ``out``."""
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    comp.table.to_csv(out / "comparison.csv", index=False)
    (out / "comparison.md").write_text(table_markdown(comp.table))
    for metric in ("relative_diversity", "collapse_index"):
        fig = comp.figure(metric, axis, overlay=overlay)
        fig.savefig(out / f"{metric}.png", dpi=120)
        plt.close(fig)
    return out
