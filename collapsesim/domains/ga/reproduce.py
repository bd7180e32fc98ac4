"""Figures and numbers of ``docs/reproductions/ga.md`` (the ``ga`` and ``hikers`` page).

    python -m collapsesim.domains.ga.reproduce --out docs/reproductions \
        --cec runs/cec2013-nbc-cma/summary.json \
        --submission ../shared/data/cec2013/rs-cmsa-2016-submission.zip

Runs the bundled Himmelblau, Royal Road and Shubert scenarios and a few direct
simulations (about two minutes on one core), draws the figures into
``OUT/figures/`` and prints the numbers the page quotes as JSON (also written
to ``--numbers PATH``). With ``--cec`` it also draws the suite reproduction's
peak ratios beside the published ones.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ... import run  # noqa: E402
from ...config import load  # noqa: E402
from ...engine import get_backend  # noqa: E402
from ...registry import get_domain  # noqa: E402
from .cec2013 import PUBLISHED_COLUMNS, PUBLISHED_PR_1E4  # noqa: E402

REMEDIES = ["tournament", "immigrants", "islands", "sharing", "clearing", "rts", "crowding"]
HIKERS = ["gww", "pbt_best", "restarts", "repulsion", "radius"]


def _wide(metrics, series: str, metric: str):
    m = metrics[(metrics.series == series) & (metrics.metric == metric)]
    return m.pivot_table(index="step", columns="replicate", values="value")


def _build(domain: str, params: dict, seed: int = 1, backend: str = "numba"):
    cfg = load({"domain": domain, "steps": 1, "backend": backend, "params": params})
    return get_domain(domain)().build(cfg.params, backend=get_backend(backend),
                                      seeds=[np.random.SeedSequence(seed)], steps=1)


def _contour(ax, problem, levels: int = 30):
    lo, hi = problem.lower, problem.upper
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
    z = problem.evaluate(np.stack([gx, gy], -1))
    ax.contourf(gx, gy, z, levels=levels, cmap="Greys")
    ax.plot(*problem.optima.T, "r+", ms=9, mew=1.5)
    ax.set_xticks([]), ax.set_yticks([])


def remedies_figure(fig_dir: Path) -> dict:
    """Headline D1 and optima held per remedy on Himmelblau (the bundled scenarios)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    numbers = {}
    for name in REMEDIES:
        m = run(f"ga_himmelblau_{name}").metrics
        d1 = _wide(m, "optima", "D1")
        held = _wide(m, "domain", "optima_held_1e-1")
        axes[0].plot(d1.index, d1.mean(axis=1), label=name)
        axes[1].plot(held.index, held.mean(axis=1), label=name)
        numbers[name] = {"D1_final": float(d1.iloc[-1].mean()), "held_1e-1_final": float(held.iloc[-1].mean()),
                         "held_1e-4_final": float(_wide(m, "domain", "optima_held_1e-4").iloc[-1].mean()),
                         "lineages_final": float(_wide(m, "domain", "founder_lineages").iloc[-1].mean())}
    axes[0].set(xlabel="generation", ylabel="D1 of individuals per optimum (max 4)",
                title="Himmelblau: effective number of optima occupied")
    axes[1].set(xlabel="generation", ylabel="optima held within 0.1 of 200",
                title="Himmelblau: optima held")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(fig_dir / "ga_peaks_over_time.png", dpi=110)
    plt.close(fig)
    return numbers


def landscape_figure(fig_dir: Path) -> None:
    """The population on Himmelblau at a few generations: tournament vs crowding."""
    gens = [0, 5, 20, 100]
    fig, axes = plt.subplots(2, len(gens), figsize=(12, 6))
    for row, (label, extra) in enumerate([("binary tournament", {}), ("deterministic crowding",
                                                                     {"replacement": "crowding"})]):
        sim = _build("ga", {"problem": "F4", "N": 200, "crossover": "sbx",
                            "mutation": {"kind": "gaussian", "sigma": 0.01}, **extra})
        g = 0
        for col, target in enumerate(gens):
            while g < target:
                sim.step()
                g += 1
            ax = axes[row, col]
            _contour(ax, sim.problem)
            x = np.asarray(sim.x).reshape(-1, 2)
            ax.plot(x[:, 0], x[:, 1], ".", color="tab:blue", ms=3)
            ax.set_title(f"{label}, generation {target}", fontsize=9)
    fig.tight_layout()
    fig.savefig(fig_dir / "ga_himmelblau_landscape.png", dpi=110)
    plt.close(fig)


def nbc_figure(fig_dir: Path) -> dict:
    """NBC-CMA's solution set on Shubert 2-D (F6) as the evaluations are spent."""
    sim = _build("ga", {"problem": "F6", "method": "nbc-cma", "max_fes": "official"}, backend="numpy")
    marks = [5_000, 20_000, 60_000, 200_000]
    fig, axes = plt.subplots(1, len(marks), figsize=(14, 3.6))
    found = []
    for ax, mark in zip(axes, marks):
        while not sim.finished and sim.evaluations < mark:
            sim.step()
        x, f = sim.solutions()
        obs = sim.observe()
        found.append(obs.metrics["peaks_found_1e-4"])
        _contour(ax, sim.problem, levels=20)
        good = f >= sim.problem.f_opt - 1e-4
        ax.plot(x[~good, 0], x[~good, 1], ".", color="tab:blue", ms=3)
        ax.plot(x[good, 0], x[good, 1], "o", mfc="none", color="tab:orange", ms=7)
        ax.set_title(f"{sim.evaluations:,} evaluations: {int(found[-1])}/18 at 1e-4", fontsize=9)
    fig.tight_layout()
    fig.savefig(fig_dir / "ga_shubert_nbc_cma.png", dpi=110)
    plt.close(fig)
    return {"marks": marks, "peaks_found_1e-4": found}


def royal_road_figure(fig_dir: Path) -> dict:
    """GA vs RMHC on the Royal Road R1: evaluations, blocks found, hitchhiking."""
    ga = run("ga_royal_road_hitchhiking").metrics
    evals = _wide(ga, "domain", "evaluations")
    blocks = _wide(ga, "domain", "blocks_found")
    het = _wide(ga, "domain", "unsolved_heterozygosity")
    rmhc = _build("hikers", {"problem": "royal_road", "N": 1000, "interval": 0, "stop_at_optimum": True})
    while not rmhc.finished:
        rmhc.step()
    ga_evals = evals.max(axis=0).to_numpy()
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for rep in evals.columns:
        e = evals[rep].dropna()
        axes[0].step(e / 1000, blocks[rep].dropna(), where="post", color="tab:blue", alpha=0.5)
        h = het[rep].dropna()
        axes[1].plot(evals[rep].loc[h.index] / 1000, h, color="tab:red", alpha=0.5)
    axes[0].set(xlabel="evaluations (thousands)", ylabel="blocks found (of 8)", title="GA on Royal Road R1")
    axes[1].set(xlabel="evaluations (thousands)", ylabel="heterozygosity at unsolved blocks",
                title="hitchhiking: diversity where no block is found")
    axes[1].axhline(0.5, ls=":", color="k")
    axes[2].boxplot([rmhc.hit, ga_evals], vert=False, whis=(5, 95), showfliers=False)
    axes[2].set_yticks([1, 2], [f"RMHC\n({len(rmhc.hit)} runs,\nmean {rmhc.hit.mean():,.0f})",
                                f"GA\n({len(ga_evals)} runs,\nmean {ga_evals.mean():,.0f})"])
    axes[2].set(xlabel="evaluations to the optimum (5–95 % whiskers)", xscale="log", title="RMHC vs GA")
    axes[2].xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    axes[2].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    fig.tight_layout()
    fig.savefig(fig_dir / "ga_royal_road.png", dpi=110)
    plt.close(fig)
    at_half = het[(blocks >= 4) & (blocks < 8)]
    return {"rmhc_mean": float(rmhc.hit.mean()), "rmhc_sd": float(rmhc.hit.std(ddof=1)), "rmhc_runs": 1000,
            "ga_mean": float(ga_evals.mean()), "ga_runs": int(len(ga_evals)),
            "unsolved_het_start": float(het.iloc[0].mean()),
            "unsolved_het_4to7_blocks": float(np.nanmean(at_half.to_numpy()))}


def hikers_figure(fig_dir: Path) -> dict:
    """Hikers on Shubert: the go-with-the-winners collapse and its remedies; takeover vs ln n."""
    from ..hikers.theory import GWW_TAKEOVER, gww_heuristic

    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    numbers = {}
    for name in HIKERS:
        m = run(f"hikers_shubert_{name}").metrics
        d1 = _wide(m, "optima", "D1")
        lin = _wide(m, "domain", "founder_lineages")
        axes[0].plot(d1.index, d1.mean(axis=1), label=name)
        axes[1].plot(lin.index, lin.mean(axis=1), label=name)
        numbers[name] = {"D1_final": float(d1.iloc[-1].mean()), "lineages_final": float(lin.iloc[-1].mean()),
                         "held_1e-1_final": float(_wide(m, "domain", "optima_held_1e-1").iloc[-1].mean())}
    axes[0].set(xlabel="step", ylabel="D1 of hikers per optimum (max 18)", title="Shubert: optima occupied")
    axes[1].set(xlabel="step", ylabel="generation-0 lineages", yscale="log", title="Shubert: lineages")
    axes[0].legend(fontsize=8)
    ns = np.array(sorted(GWW_TAKEOVER))
    means = np.array([GWW_TAKEOVER[n][0] for n in ns])
    axes[2].plot(np.log(ns), means, "o-", label="simulated (q = 0.25)")
    axes[2].plot(np.log(ns), [gww_heuristic(n, 0.25) for n in ns], "s--", label="log2(qn) + (1-2q)/q")
    axes[2].set(xlabel="ln n", ylabel="rounds to takeover", title="go-with-the-winners takeover")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(fig_dir / "hikers_shubert.png", dpi=110)
    plt.close(fig)
    numbers["slope_per_ln_n"] = float(np.polyfit(np.log(ns), means, 1)[0])
    return numbers


def cec_figure(fig_dir: Path, summary_path: Path, submission: Path | None) -> dict:
    """Our PR at 1e-4 per problem beside RS-CMSA's (scored from its raw submission
    when given, else the published values) and NEA2's where published."""
    from ...problems.scoring import score_submission

    summary = json.loads(summary_path.read_text())
    probs = sorted(int(p) for p in summary["problems"])
    ours = [summary["problems"][str(p)]["peak_ratio"][3] for p in probs]
    fig, ax = plt.subplots(figsize=(11, 3.6))
    ax.bar(np.arange(len(probs)) - 0.25, ours, 0.25, label="NBC-CMA (this reproduction)")
    nea2 = PUBLISHED_COLUMNS.index("NEA2")
    rs = PUBLISHED_COLUMNS.index("RS-CMSA")
    if submission is not None:
        scored = score_submission(submission).peak_ratio[:, 3]
        rs_vals, rs_label = [scored[p - 1] for p in probs], "RS-CMSA (its 2016 submission, scored here)"
    else:
        rs_vals = [PUBLISHED_PR_1E4[p][rs] if p in PUBLISHED_PR_1E4 else np.nan for p in probs]
        rs_label = "RS-CMSA (published)"
    ax.bar(np.arange(len(probs)), rs_vals, 0.25, label=rs_label, color="tab:green")
    ax.bar(np.arange(len(probs)) + 0.25,
           [PUBLISHED_PR_1E4[p][nea2] if p in PUBLISHED_PR_1E4 else np.nan for p in probs], 0.25,
           label="NEA2 (published)", color="tab:red")
    ax.set_xticks(np.arange(len(probs)), [f"F{p}" for p in probs])
    ax.set(ylabel="peak ratio at ε = 1e-4", ylim=(0, 1.22), title="CEC'2013 niching suite")
    ax.legend(fontsize=8, ncol=3, loc="upper center")
    fig.tight_layout()
    fig.savefig(fig_dir / "ga_cec2013_pr.png", dpi=110)
    plt.close(fig)
    return {"mean_peak_ratio": summary["mean_peak_ratio"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m collapsesim.domains.ga.reproduce",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/reproductions"))
    ap.add_argument("--cec", type=Path, help="summary.json of python -m collapsesim.domains.ga.cec2013")
    ap.add_argument("--submission", type=Path,
                    help="RS-CMSA's raw submission zip, to plot its PR on every problem")
    ap.add_argument("--numbers", type=Path, help="also write the numbers (JSON) here")
    args = ap.parse_args(argv)
    fig_dir = args.out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    numbers = {"remedies": remedies_figure(fig_dir)}
    landscape_figure(fig_dir)
    numbers["nbc_cma_f6"] = nbc_figure(fig_dir)
    numbers["royal_road"] = royal_road_figure(fig_dir)
    numbers["hikers"] = hikers_figure(fig_dir)
    if args.cec:
        numbers["cec2013"] = cec_figure(fig_dir, args.cec, args.submission)
    if args.numbers:
        args.numbers.write_text(json.dumps(numbers, indent=1))
    print(json.dumps(numbers, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
