"""Figures of runs: relative diversity and D1 of every series over the run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _series_curves(df: pd.DataFrame, series: str, metric: str):
    d = df[(df["series"] == series) & (df["metric"] == metric)]
    wide = d.pivot_table(index="step", columns="replicate", values="value", aggfunc="last")
    # a replicate that stopped early (e.g. fixation) keeps its last value, so the
    # mean does not jump when it leaves
    return wide.sort_index().ffill()


def plot_run(df: pd.DataFrame, summary: dict):
    """Two panels: relative diversity of every series (replicates thin, mean
    thick; the headline series first and bold) and D1 of the headline series."""
    headline = summary.get("headline")
    # the diversity series are those with the shared metric (not "domain" or "samples")
    series = list(pd.unique(df.loc[df["metric"] == "relative_diversity", "series"]))
    series.sort(key=lambda s: (s != headline, s))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, s in enumerate(series):
        c = colors[i % len(colors)]
        wide = _series_curves(df, s, "relative_diversity")
        if wide.empty:
            continue
        x = wide.index.to_numpy()
        if wide.shape[1] > 1:
            axes[0].plot(x, wide.to_numpy(), color=c, alpha=0.25, lw=0.7)
        lw = 2.4 if s == headline else 1.4
        label = f"{s} (headline)" if s == headline else s
        axes[0].plot(x, np.nanmean(wide.to_numpy(), axis=1), color=c, lw=lw, label=label)
    axes[0].set_xlabel(f"step ({summary.get('clock', 'steps')})")
    axes[0].set_ylabel("relative diversity  D1 / D1(reference)")
    axes[0].set_ylim(bottom=0)
    axes[0].axhline(1.0, color="0.6", lw=0.8, ls=":")
    if axes[0].get_legend_handles_labels()[0]:  # nothing recorded yet: no empty legend
        axes[0].legend(fontsize=8, loc="best")
    if headline in series:
        wide = _series_curves(df, headline, "D1")
        x = wide.index.to_numpy()
        axes[1].plot(x, wide.to_numpy(), color=colors[0], alpha=0.35, lw=0.8)
        axes[1].plot(x, np.nanmean(wide.to_numpy(), axis=1), color=colors[0], lw=2.2, label="D1")
        d2 = _series_curves(df, headline, "D2")
        if not d2.empty:
            axes[1].plot(d2.index.to_numpy(), np.nanmean(d2.to_numpy(), axis=1), color=colors[1],
                         lw=1.6, ls="--", label="D2")
        axes[1].set_xlabel(f"step ({summary.get('clock', 'steps')})")
        axes[1].set_ylabel(f"effective number of types ({headline})")
        axes[1].set_ylim(bottom=0)
        axes[1].legend(fontsize=8)
    fig.suptitle(f"{summary.get('scenario')} — {summary.get('domain')} "
                 f"(seed {summary.get('seed')}, {summary.get('replicates')} replicate(s), "
                 f"{summary.get('backend')}/{summary.get('device')})", fontsize=10)
    return fig


_YLABEL = {"relative_diversity": "relative diversity  D1 / D1(reference)",
           "collapse_index": "collapse index  1 − ln D1 / ln D1(reference)"}


def plot_comparison(comp, metric: str = "relative_diversity", axis: str = "fraction"):
    """Headline ``metric`` of every compared scenario: mean over replicates with
    a 95 % band of the mean. ``axis="fraction"``: one panel on the fraction of the
    run; ``axis="clock"``: one panel per natural clock, x in steps."""
    from scipy import stats

    entries = comp.entries
    domains = list(dict.fromkeys(comp.results[e.label].summary["domain"] for e in entries))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    dcolor = {d: colors[i % len(colors)] for i, d in enumerate(domains)}
    styles = ["-", "--", ":", "-."]
    if axis == "clock":
        clocks = list(dict.fromkeys(comp.results[e.label].summary["clock"] for e in entries))
    else:
        clocks = ["fraction of run"]
    fig, axes = plt.subplots(1, len(clocks), figsize=(7 * len(clocks), 4.5), squeeze=False,
                             constrained_layout=True)
    per_domain_count: dict[str, int] = {}
    for e in entries:
        s = comp.results[e.label].summary
        d = comp.curves[comp.curves["label"] == e.label]
        if d.empty:
            continue
        wide = d.pivot_table(index="x", columns="replicate", values=metric, aggfunc="last")
        x = wide.index.to_numpy()
        y = wide.to_numpy()
        n = np.sum(np.isfinite(y), axis=1)
        mean = np.nanmean(y, axis=1)
        half = np.full(n.shape, np.nan)  # no interval from fewer than two replicates
        ok = n > 1
        half[ok] = (stats.t.ppf(0.975, n[ok] - 1) * np.nanstd(y[ok], axis=1, ddof=1)
                    / np.sqrt(n[ok]))
        if axis == "clock":
            ax = axes[0][clocks.index(s["clock"])]
            x = x * s["steps"]
        else:
            ax = axes[0][0]
        k = per_domain_count.get(s["domain"], 0)
        per_domain_count[s["domain"]] = k + 1
        ls = {"collapsing": "-", "remedied": "--"}.get(e.role, styles[k % len(styles)])
        c = dcolor[s["domain"]]
        ax.plot(x, mean, color=c, ls=ls, lw=2, label=f"{e.label} (n={y.shape[1]})")
        if np.isfinite(half).any():
            ax.fill_between(x, mean - half, mean + half, color=c, alpha=0.15, lw=0)
    for ax, clock in zip(axes[0], clocks):
        ax.set_xlabel(clock if axis != "clock" else f"step ({clock})")
        ax.set_ylabel(_YLABEL.get(metric, metric))
        if metric == "relative_diversity":
            ax.set_ylim(bottom=0)
            ax.axhline(1.0, color="0.6", lw=0.8, ls=":")
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(f"headline {metric.replace('_', ' ')} across domains "
                 "(mean over replicates, 95 % band)", fontsize=10)
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
