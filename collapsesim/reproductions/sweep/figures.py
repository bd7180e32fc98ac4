"""Figures of the reproduction page: frequency trajectories, the diversity
valley along the chromosome, haplotype-frequency bars before and after, and
the hitchhiking footprint beside fwdpy11 and msprime."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...domains.sweep import SweepParams, SweepSimulation, theory
from ...engine.backends import get_backend


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _run(params: SweepParams, seed: int, backend: str, every=None):
    """Run to the end (a hand-written loop: ``every(sim)`` reads the population
    after each generation of the attempt that succeeds — earlier, lost attempts
    are discarded — which the runner's records do not hold)."""
    sim = SweepSimulation(params, get_backend(backend), np.random.SeedSequence(seed))
    seen, restarts = [], sim.restarts
    if every:
        seen.append(every(sim))
    while not sim.finished:
        sim.step()
        if sim.restarts != restarts:
            seen, restarts = [], sim.restarts
        if every:
            seen.append(every(sim))
    return sim, seen


def trajectories(path: Path, seed: int = 1, backend: str = "numba") -> None:
    """Beneficial frequency against generations since the onset: hard, soft
    (standing, x0 = 2 %; recurrent, Θ = 1) and partial (to 0.5) sweeps."""
    plt = _plt()
    base = dict(N=1000, L=10_000, r=1e-7, mu=0.0, s=0.1, windows=[0], window=2000, bins=1)
    cases = [("hard", {}), ("standing, x0 = 0.02", dict(mode="standing", x0=0.02)),
             ("recurrent, Θ = 1", dict(mode="recurrent", mu_b=2.5e-4)),
             ("partial, to 0.5", dict(target=0.5, post_sweep=30))]
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (label, kw) in enumerate(cases):
        for j in range(3):
            _, p = _run(SweepParams(**(base | kw)), seed + j, backend,
                        lambda sim: (sim.generation, sim.alleles.mean()))
            g, x = np.array(p).T
            ax.plot(g, x, lw=1.2, color=f"C{i}", label=label if j == 0 else None)
    ax.axhline(0.5, color="0.8", lw=0.8, zorder=0)
    ax.set(xlabel="generations since the onset", ylabel="beneficial allele frequency",
           title="N = 1000, s = 0.1 (three replicates each)")
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def valley(path: Path, seed: int = 1, backend: str = "numba", bins: int = 50,
           replicates: int = 6) -> None:
    """Expected π/π₀ along the chromosome (branch diversity of 200 sampled
    genomes in ``bins`` bins, over 4N) at fractions of a hard sweep, averaged
    over ``replicates`` sweeps."""
    plt = _plt()
    params = SweepParams(N=1000, L=200_000, r=1e-7, mu=0.0, s=0.1, windows=[0], bins=1)
    edges = np.linspace(0, params.L, bins + 1)
    fractions = (0.0, 0.25, 0.5, 0.75, 1.0)
    profiles = np.zeros((len(fractions), bins))
    for j in range(replicates):
        rng = np.random.default_rng([seed, j])

        def profile(s):
            ts = s.rec.present(np.sort(rng.choice(s.M, 200, replace=False))).tree_sequence()
            return ts.diversity(mode="branch", windows=edges) / (4.0 * params.N)

        sim, seen = _run(params, seed + j, backend, profile)
        for i, f in enumerate(fractions):  # seen[g] is generation g of the successful attempt
            profiles[i] += seen[round(f * sim.end_generation)] / replicates
    fig, ax = plt.subplots(figsize=(7, 4))
    mid = (edges[:-1] + edges[1:]) / 2 / 1000
    for f, prof in zip(fractions, profiles):
        ax.plot(mid, prof, lw=1.4, label="the onset" if f == 0 else f"{f:.0%} of the sweep")
    d = np.abs(mid * 1000 - params.position)
    ax.plot(mid, 1 - theory.footprint(d * params.r, 2 * params.N, params.s / 2), "k--", lw=1,
            label="1 − (Mσ)^(−2r/σ)")
    ax.axhline(1, color="0.8", lw=0.8, zorder=0)
    ax.set(xlabel="position (kb)", ylabel="π / π₀", ylim=(0, None),
           title=f"The diversity valley of a hard sweep (N = 1000, s = 0.1, r = 1e-7; "
                 f"{replicates} sweeps)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def haplotype_bars(path: Path, seed: int = 1, backend: str = "numba") -> None:
    """Haplotype frequencies in the window around the site (n = 50) at the
    onset and at fixation, for a hard and a soft (standing, x0 = 2 %) sweep."""
    plt = _plt()
    base = dict(N=1000, L=100_000, r=1e-7, mu=5e-7, s=0.1, windows=[0], bins=1)
    fig, axes = plt.subplots(2, 2, figsize=(8, 5), sharey=True)
    for row, (label, kw) in enumerate([("hard", {}),
                                       ("soft (standing, x0 = 2 %)",
                                        dict(mode="standing", x0=0.02))]):
        sim = SweepSimulation(SweepParams(**(base | kw)), get_backend(backend),
                              np.random.SeedSequence(seed))
        before = sim.observe().series["window_0"].abundances
        while not sim.finished:
            sim.step()
        after = sim.observe().series["window_0"].abundances
        for col, (when, counts) in enumerate([("at the onset", before), ("at fixation", after)]):
            ax = axes[row, col]
            ax.bar(np.arange(len(counts)), counts / counts.sum(), color=f"C{row}")
            ax.set_title(f"{label}, {when}: {len(counts)} haplotypes", fontsize=9)
            ax.set_xlabel("haplotype (by frequency)")
            ax.xaxis.get_major_locator().set_params(integer=True)
        axes[row, 0].set_ylabel("frequency")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def footprint(curves, edges, M: int, sig: float, r: float, path: Path) -> None:
    """F(r) and π/π₀ per distance bin (mean ± 2 SE) for each tool at fixation
    and for our sweeps t generations after it, with the first-order
    approximation (2Nσ)^(−2r/σ)·e^{−t/M} (N = M/2) and 1 − that."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    mid = (np.asarray(edges[:-1]) + np.asarray(edges[1:])) / 2 / 1000
    d = np.linspace(0, edges[-1], 400)
    F = theory.footprint(d * r, M, sig)
    for i, c in enumerate(curves):
        label = c.tool if c.t == 0 else f"{c.tool}, {c.t} gen. after"
        style = dict(marker="o", ms=3, capsize=2, label=label, color=f"C{i}")
        axes[0].errorbar(mid, c.F, yerr=2 * c.F_se, **style)
        axes[1].errorbar(mid, c.pi, yerr=2 * c.pi_se, **style)
    for t in sorted({c.t for c in curves}):
        decay = np.exp(-t / M)
        lab = "" if t == 0 else f" · e^(−{t}/2N)"
        axes[0].plot(d / 1000, F * decay, "k--", lw=0.9, label=f"(2Nσ)^(−2r/σ){lab}")
        axes[1].plot(d / 1000, 1 - F * decay, "k--", lw=0.9, label=f"1 − (2Nσ)^(−2r/σ){lab}")
    axes[0].set(xlabel="distance from the site (kb)", ylabel="F: coalesced during the sweep",
                ylim=(0, 1.02))
    axes[1].set(xlabel="distance from the site (kb)", ylabel="π / π₀", ylim=(0, None))
    for ax in axes:
        ax.legend(frameon=False, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
