"""Figures of runs: relative diversity and D1 of every series over the run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .results import NON_DIVERSITY_SERIES  # noqa: E402


def _series_curves(df: pd.DataFrame, series: str, metric: str):
    d = df[(df["series"] == series) & (df["metric"] == metric)]
    wide = d.pivot_table(index="step", columns="replicate", values="value", aggfunc="last")
    return wide.sort_index()


def plot_run(df: pd.DataFrame, summary: dict):
    """Two panels: relative diversity of every series (replicates thin, mean
    thick; the headline series first and bold) and D1 of the headline series."""
    headline = summary.get("headline")
    series = [s for s in pd.unique(df["series"]) if s not in NON_DIVERSITY_SERIES]
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
