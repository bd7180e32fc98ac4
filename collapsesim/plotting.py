"""Figures: a run's relative diversity and D1 of every series over the run, the
cross-domain comparison (small multiples or an overlay) and a batch's grid cells."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


#: replicates drawn as thin lines in a run's figure; the mean is over all of them
MAX_LINES = 100


def _series_curves(df: pd.DataFrame, series: str, metric: str):
    """``(lines, steps, mean)`` of one metric of one series: ``lines`` a steps ×
    replicates table of the first :data:`MAX_LINES` replicates, and the mean over
    every replicate at each recorded step. A replicate that stopped early (e.g.
    fixation) keeps its last value, so the mean does not jump when it leaves;
    NaN values are skipped. The mean is built from each replicate's changes, so a
    run of 10^5 replicates needs no steps × 10^5 table."""
    d = df.loc[(df["series"] == series) & (df["metric"] == metric), ["replicate", "step", "value"]]
    d = d.dropna(subset=["value"])
    d = d.drop_duplicates(["replicate", "step"], keep="last").sort_values(
        ["replicate", "step"], kind="stable")
    rep, step, v = (d[c].to_numpy() for c in ("replicate", "step", "value"))
    first = np.ones(len(rep), bool)
    first[1:] = rep[1:] != rep[:-1]
    delta = v - np.where(first, 0.0, np.roll(v, 1))
    steps, at = np.unique(step, return_inverse=True)
    total = np.cumsum(np.bincount(at, weights=delta, minlength=len(steps)))
    count = np.cumsum(np.bincount(at, weights=first, minlength=len(steps)))
    shown = d[d["replicate"].isin(np.unique(rep)[:MAX_LINES])]
    lines = shown.pivot_table(index="step", columns="replicate", values="value", aggfunc="last")
    return lines.sort_index().ffill(), steps, total / np.maximum(count, 1)


def plot_run(df: pd.DataFrame, summary: dict):
    """Two panels: relative diversity of every series (replicates thin — the
    first :data:`MAX_LINES` —, the mean over all thick; the headline series first
    and bold) and D1 of the headline series."""
    headline = summary.get("headline")
    # the diversity series are those with the shared metric (not "domain" or "samples")
    series = list(pd.unique(df.loc[df["metric"] == "relative_diversity", "series"]))
    series.sort(key=lambda s: (s != headline, s))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, s in enumerate(series):
        c = colors[i % len(colors)]
        lines, x, mean = _series_curves(df, s, "relative_diversity")
        if lines.empty:
            continue
        if lines.shape[1] > 1:
            axes[0].plot(lines.index.to_numpy(), lines.to_numpy(), color=c, alpha=0.25, lw=0.7)
        lw = 2.4 if s == headline else 1.4
        label = f"{s} (headline)" if s == headline else s
        axes[0].plot(x, mean, color=c, lw=lw, label=label)
    axes[0].set_xlabel(f"step ({summary.get('clock', 'steps')})")
    axes[0].set_ylabel("relative diversity  D1 / D1(reference)")
    axes[0].set_ylim(bottom=0)
    axes[0].axhline(1.0, color="0.6", lw=0.8, ls=":")
    if axes[0].get_legend_handles_labels()[0]:  # nothing recorded yet: no empty legend
        axes[0].legend(fontsize=8, loc="best")
    if headline in series:
        lines, x, mean = _series_curves(df, headline, "D1")
        axes[1].plot(lines.index.to_numpy(), lines.to_numpy(), color=colors[0], alpha=0.35, lw=0.8)
        axes[1].plot(x, mean, color=colors[0], lw=2.2, label="D1")
        d2, x2, mean2 = _series_curves(df, headline, "D2")
        if not d2.empty:
            axes[1].plot(x2, mean2, color=colors[1], lw=1.6, ls="--", label="D2")
        axes[1].set_xlabel(f"step ({summary.get('clock', 'steps')})")
        axes[1].set_ylabel(f"effective number of types ({headline})")
        axes[1].set_ylim(bottom=0)
        axes[1].legend(fontsize=8)
    thin = f", thin: the first {MAX_LINES}" if (summary.get("replicates") or 0) > MAX_LINES else ""
    fig.suptitle(f"{summary.get('scenario')} — {summary.get('domain')} "
                 f"(seed {summary.get('seed')}, {summary.get('replicates')} replicate(s){thin}, "
                 f"{summary.get('backend')}/{summary.get('device')})", fontsize=10)
    return fig


_YLABEL = {"relative_diversity": "relative diversity  D1 / D1(reference)",
           "collapse_index": "collapse index  1 − ln D1 / ln D1(reference)"}
_ROLE_STYLE = {"collapsing": "-", "remedied": "--"}
_OTHER_STYLES = ["-", "--", ":", "-."]
BAND_NOTE = "mean over replicates; band: 95 % percentile bootstrap of the mean"


def _scenario_band(comp, label: str, metric: str):
    """x (fraction of the run), mean, band and replicate count of one scenario's
    headline ``metric``; None if it recorded nothing."""
    from .comparison import bootstrap_mean_band

    d = comp.curves[comp.curves["label"] == label] if len(comp.curves) else comp.curves
    if d.empty:
        return None
    wide = d.pivot_table(index="x", columns="replicate", values=metric, aggfunc="last",
                         dropna=False)
    mean, lo, hi, _ = bootstrap_mean_band(wide.to_numpy())
    return wide.index.to_numpy(), mean, lo, hi, wide.shape[1]


def _finish_axis(ax, metric: str, xlabel: str, ylabel: bool = True):
    ax.set_xlabel(xlabel, fontsize=8)
    if ylabel:
        ax.set_ylabel(_YLABEL.get(metric, metric), fontsize=8)
    ax.tick_params(labelsize=7)
    if metric == "relative_diversity":
        ax.axhline(1.0, color="0.6", lw=0.8, ls=":")
    elif metric == "collapse_index":
        ax.axhline(0.0, color="0.6", lw=0.8, ls=":")
        ax.axhline(1.0, color="0.6", lw=0.8, ls=":")


def _shared_ylim(axes, metric: str):
    """[0, 1] (a little margin) for the bounded metrics, widened only to show
    data outside it (relative diversity above the reference, a negative
    collapse index)."""
    if metric not in _YLABEL:
        return
    lo, hi = 0.0, 1.0
    for ax in axes:
        for line in ax.get_lines():
            y = np.asarray(line.get_ydata(), dtype=float)
            y = y[np.isfinite(y)]
            if y.size and line.get_label() and not line.get_label().startswith("_"):
                lo, hi = min(lo, float(y.min())), max(hi, float(y.max()))
        for coll in ax.collections:
            for path in coll.get_paths():
                y = path.vertices[:, 1]
                y = y[np.isfinite(y)]
                if y.size:
                    lo, hi = min(lo, float(y.min())), max(hi, float(y.max()))
    pad = 0.04 * (hi - lo)
    for ax in axes:
        ax.set_ylim(lo - pad, hi + pad)


def plot_comparison(comp, metric: str = "relative_diversity", axis: str = "fraction",
                    overlay: bool = False):
    """Headline ``metric`` of every compared scenario: the mean over replicates
    with a 95 % percentile-bootstrap band of the mean
    (:func:`collapsesim.comparison.bootstrap_mean_band`; it stays within the
    range of the replicates, so inside [0, 1] where they are).

    Default: small multiples, one panel per domain on a shared y axis, one line
    per scenario — a suite's ``collapsing`` scenario solid, its ``remedied`` one
    dashed, others solid, dashed, dotted, dash-dotted in turn. x is the
    fraction of the run (``axis="fraction"``, shared) or the domain's own clock
    in steps (``axis="clock"``). ``overlay=True``: every scenario on one panel
    (``axis="clock"``: one panel per natural clock), coloured by domain.
    """
    if overlay:
        return _plot_overlay(comp, metric, axis)
    entries = comp.entries
    domain_of = {e.label: comp.results[e.label].summary["domain"] for e in entries}
    domains = list(dict.fromkeys(domain_of[e.label] for e in entries))
    ncols = max(1, math.ceil(math.sqrt(len(domains))))
    nrows = max(1, math.ceil(len(domains) / ncols))
    fig, grid = plt.subplots(nrows, ncols, figsize=(3.9 * ncols, 2.9 * nrows + 0.5),
                             squeeze=False, sharey=True, constrained_layout=True)
    flat = list(grid.ravel())
    for ax in flat[len(domains):]:
        fig.delaxes(ax)  # one axes per domain, no empty panels
    axes = {d: flat[i] for i, d in enumerate(domains)}
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for d in domains:
        ax = axes[d]
        mine = [e for e in entries if domain_of[e.label] == d]
        clock = comp.results[mine[0].label].summary["clock"]
        for k, e in enumerate(mine):
            band = _scenario_band(comp, e.label, metric)
            if band is None:
                continue
            x, mean, lo, hi, n = band
            if axis == "clock":
                x = x * comp.results[e.label].summary["steps"]
            ls = _ROLE_STYLE.get(e.role, _OTHER_STYLES[k % len(_OTHER_STYLES)])
            c = colors[k % len(colors)]
            ax.plot(x, mean, color=c, ls=ls, lw=1.8, label=f"{e.label} (n={n})")
            if np.isfinite(lo).any():
                ax.fill_between(x, lo, hi, color=c, alpha=0.18, lw=0)
        ax.set_title(d, fontsize=9)
        if axis != "clock":
            ax.set_xlim(0.0, 1.0)  # the shared x axis: the fraction of the run
        _finish_axis(ax, metric, "fraction of run" if axis != "clock" else f"step ({clock})",
                     ylabel=(flat.index(ax) % ncols == 0))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6, loc="best", handlelength=2.6)
    _shared_ylim(list(axes.values()), metric)
    fig.suptitle(f"headline {metric.replace('_', ' ')}, one panel per domain\n{BAND_NOTE}",
                 fontsize=10)
    return fig


def _plot_overlay(comp, metric: str, axis: str):
    """Every scenario on one panel (one per natural clock with ``axis="clock"``),
    coloured by domain; a suite's collapsing scenario solid, its remedied one dashed."""
    entries = comp.entries
    domains = list(dict.fromkeys(comp.results[e.label].summary["domain"] for e in entries))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    dcolor = {d: colors[i % len(colors)] for i, d in enumerate(domains)}
    if axis == "clock":
        clocks = list(dict.fromkeys(comp.results[e.label].summary["clock"] for e in entries))
    else:
        clocks = ["fraction of run"]
    fig, axes = plt.subplots(1, len(clocks), figsize=(7 * len(clocks), 4.5), squeeze=False,
                             constrained_layout=True)
    per_domain_count: dict[str, int] = {}
    for e in entries:
        s = comp.results[e.label].summary
        band = _scenario_band(comp, e.label, metric)
        if band is None:
            continue
        x, mean, lo, hi, n = band
        if axis == "clock":
            ax = axes[0][clocks.index(s["clock"])]
            x = x * s["steps"]
        else:
            ax = axes[0][0]
        k = per_domain_count.get(s["domain"], 0)
        per_domain_count[s["domain"]] = k + 1
        ls = _ROLE_STYLE.get(e.role, _OTHER_STYLES[k % len(_OTHER_STYLES)])
        c = dcolor[s["domain"]]
        ax.plot(x, mean, color=c, ls=ls, lw=2, label=f"{e.label} (n={n})")
        if np.isfinite(lo).any():
            ax.fill_between(x, lo, hi, color=c, alpha=0.15, lw=0)
    for ax, clock in zip(axes[0], clocks):
        _finish_axis(ax, metric, clock if axis != "clock" else f"step ({clock})")
        ax.legend(fontsize=7, loc="best")
    _shared_ylim(list(axes[0]), metric)
    fig.suptitle(f"headline {metric.replace('_', ' ')} across domains\n{BAND_NOTE}", fontsize=10)
    return fig


def plot_batch(df: pd.DataFrame, headline: str, grid_keys: list[str]):
    """Mean headline relative diversity over steps, one curve per grid cell."""
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    d = df[(df["series"] == headline) & (df["metric"] == "relative_diversity")]
    for cell, g in d.groupby("cell"):
        wide = g.pivot_table(index="step", columns="replicate", values="value",
                             aggfunc="last").sort_index().ffill()
        label = ", ".join(f"{k}={g[k].iloc[0]}" for k in grid_keys) or str(cell)
        ax.plot(wide.index, np.nanmean(wide.to_numpy(), axis=1), lw=1.8,
                label=f"{label} (n={wide.shape[1]})")
    ax.set_xlabel("step")
    ax.set_ylabel(f"relative diversity of '{headline}' (mean)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    return fig
