"""Reproduction of the ``ga`` domain (the ``ga`` and ``hikers`` page): niching
remedies on Himmelblau, the population on the landscape, NBC-CMA on Shubert,
the GA against random-mutation hill climbing on the Royal Road (with
hitchhiking), the hikers' sections (:mod:`.hikers`), tournament takeover, and
the CEC'2013 niching suite scored officially.

Protocols:

* ``page`` (default) — everything but the suite (a few minutes on one core);
  the suite's section is drawn from its batch directory when one exists.
* ``cec2013`` — the suite with NBC-CMA, 4 runs per problem (as on the page;
  about 13 CPU-minutes), then the page; ``cec2013-full`` — 50 runs per problem
  (the competition's protocol).

The suite is a user's batch (:func:`collapsesim.batching.batch`): a grid over
the 20 problems × runs replicates of the ``ga`` domain with ``max_fes:
official``, resumable, on a process pool, in ``runs/cec2013-<method>-seed<seed>``
(relative to the working directory). Run j of the cell of problem p draws from
``SeedSequence(seed, spawn_key=(h_c, j))`` (h_c the hash of the cell's
resolved config) — before this module the command seeded runs with
``SeedSequence(seed, spawn_key=(problem, run))``, so single-run counts, and
the suite's peak ratios within their binomial spread, differ from pages
generated before; the page says so.
Each run's final observation holds the official counts (``peaks_found_1e-1``
… ``1e-5``) of its solution set (NBC-CMA: the archive plus the running
instances' best points; a GA: its last population).

Optional hook: ``COLLAPSESIM_CEC2013_SUBMISSION`` names RS-CMSA's raw 2016
submission zip; with it the suite figure scores RS-CMSA on every problem,
without it the figure shows RS-CMSA's published values.

:func:`takeover_generations` (10³–10⁴ replicates of pure tournament selection)
and the figure runs that need a simulation's own state (positions, solution
sets, hitting times) step simulations here directly: their scale or their
output does not go through the runner.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

from ..domains.ga.theory import TAKEOVER_SD, TAKEOVER_TOURNAMENT_S2, goldberg_deb_takeover
from ..engine import get_backend
from ..problems import ACCURACIES, cec2013
from ..problems.scoring import peak_ratio, success_rate
from . import hikers, protocol
from .harness import Comparison, figure_path, header, mean_se, table, write_page

REMEDIES = ["tournament", "immigrants", "islands", "sharing", "clearing", "rts", "crowding"]

# The organisers' mean PR over the 20 problems × 5 accuracies (official-mean-PR-2016-2019.csv).
PUBLISHED_MEAN_PR = {"HillVallEA19": 0.892, "RS-CMSA": 0.855, "NMMSO": 0.825, "NEA2": 0.746,
                     "CMA": 0.668, "IPOP-CMA-ES": 0.352}
# Published PR at ε = 1e-4 per problem (NEA2, dADE/nrand/2, NMMSO, RS-CMSA, IPOP-CMA-ES).
PUBLISHED_COLUMNS = ("NEA2", "dADE/nrand/2", "NMMSO", "RS-CMSA", "IPOP-CMA")
PUBLISHED_PR_1E4 = {
    6: (0.950, 0.833, 0.992, 0.999, 0.090), 7: (0.914, 0.757, 1.000, 0.998, 0.111),
    8: (0.240, 0.660, 0.899, 0.875, 0.020), 9: (0.581, 0.335, 0.978, 0.734, 0.027),
    12: (0.840, 0.710, 0.993, 0.948, 0.300), 15: (0.718, 0.483, 0.632, 0.745, 0.178),
    20: (0.360, 0.000, 0.172, 0.468, 0.128),
}
METHODS = {
    "nbc-cma": {"method": "nbc-cma"},
    "crowding": {"N": 500, "replacement": "crowding", "crossover": "sbx",
                 "mutation": {"kind": "polynomial", "eta": 20.0}},
    "tournament": {"N": 500, "selection": {"kind": "tournament", "k": 2}, "crossover": "sbx",
                   "mutation": {"kind": "polynomial", "eta": 20.0}},
}
SUBMISSION_ENV = "COLLAPSESIM_CEC2013_SUBMISSION"


# -- tournament takeover -----------------------------------------------------------------------
def takeover_generations(n: int, k: int, replicates: int, *, backend="numpy", seed: int = 0,
                         max_generations: int = 1000) -> tuple[np.ndarray, float]:
    """Generations until the copies of one best individual fill a population of ``n``
    under tournament selection of size ``k`` alone (the engine's ``tournament``),
    for the replicates where the best survived; and the fraction of replicates
    that lost it. All replicates are rows of one array on one generator,
    ``SeedSequence(seed)``."""
    be = get_backend(backend)
    rng = be.rng(np.random.SeedSequence(seed))
    start = np.zeros((replicates, n))
    start[:, 0] = 1.0
    f = be.asarray(start)
    times = np.full(replicates, -1, dtype=np.int64)
    lost = np.zeros(replicates, dtype=bool)
    active = np.arange(replicates)
    for g in range(1, max_generations + 1):
        f = be.take(f, be.tournament(f, n, k, rng))
        count = be.to_numpy(f.sum(-1))
        fixed, gone = count == n, count == 0
        times[active[fixed]] = g
        lost[active[gone]] = True
        keep = ~(fixed | gone)
        active = active[keep]
        if not active.size:
            break
        f = f[be.asarray(keep)]
    return times[times > 0], float(lost.mean())


def takeover_checks(n: int = 100, replicates: int = 4000, *, seed: int = 11,
                    backend: str = "numpy") -> list[Comparison]:
    """Binary-tournament takeover time against the 40,000-replicate mean, the
    fraction that lose the best against 0.20, and Goldberg & Deb's approximation."""
    times, lost = takeover_generations(n, 2, replicates, seed=seed, backend=backend)
    m, _ = mean_se(times)
    ref = TAKEOVER_TOURNAMENT_S2[n]
    return [Comparison(f"takeover generations, n = {n}, s = 2", ref, m,
                       TAKEOVER_SD * math.sqrt(1 / len(times) + 1 / 40_000), len(times), backend),
            Comparison(f"takeover generations, n = {n}, s = 2 (Goldberg & Deb)", goldberg_deb_takeover(n, 2),
                       m, TAKEOVER_SD / math.sqrt(len(times)), len(times), backend, approximation=True),
            Comparison(f"fraction losing the best, n = {n}, s = 2", 0.20, lost,
                       math.sqrt(0.2 * 0.8 / replicates), replicates, backend)]


# -- the CEC'2013 suite as a batch -------------------------------------------------------------
def suite_scenario(method: str, seed: int) -> dict:
    """The batch's base scenario: one ``ga`` run to the end of its official budget."""
    return {"domain": "ga", "name": f"cec2013-{method}", "steps": 10**9, "record_every": 10**9,
            "seed": seed, "backend": "numpy",
            "params": {"problem": "F1", "max_fes": "official", **METHODS[method]}}


def run_suite(out_dir: Path, *, method: str = "nbc-cma", runs: int = 4, problems=range(1, 21),
              seed: int = 2013, workers: int | None = None) -> list[dict]:
    """Run (or resume) the suite as a batch in ``out_dir``; one row per run:
    problem, run and the official counts at the five accuracies."""
    from ..batching import batch

    batch(suite_scenario(method, seed), {"params.problem": [f"F{p}" for p in problems]}, out_dir,
          replicates=runs, workers=workers or min(2, os.cpu_count() or 1), group=1)
    return suite_rows(out_dir, runs=runs, problems=problems)


def suite_rows(out_dir: Path, *, runs: int, problems=range(1, 21)) -> list[dict]:
    """The finished runs of a suite batch (replicates < ``runs`` of ``problems``)."""
    from ..batching import load_batch

    df = load_batch(out_dir)
    if df.empty:
        return []
    wanted = {f"F{p}" for p in problems}
    df = df[(df["series"] == "domain") & df["params.problem"].isin(wanted) & (df["replicate"] < runs)]
    final = df[df["step"] == df.groupby(["params.problem", "replicate"])["step"].transform("max")]
    rows = []
    for (prob, rep), g in final.groupby(["params.problem", "replicate"]):
        v = dict(zip(g["metric"], g["value"]))
        labels = [f"peaks_found_1e{int(round(np.log10(e)))}" for e in ACCURACIES]
        rows.append({"problem": int(prob[1:]), "run": int(rep), "counts": [int(v[k]) for k in labels],
                     "evaluations": int(v["evaluations"])})
    return rows


def summarise(rows: list[dict]) -> dict:
    """PR and SR per problem and accuracy, and the mean PR over the problems present."""
    out = {"problems": {}, "accuracies": list(ACCURACIES)}
    for p in range(1, 21):
        counts = [r["counts"] for r in rows if r["problem"] == p]
        if not counts:
            continue
        n_opt = cec2013(p).n_optima
        out["problems"][p] = {
            "runs": len(counts), "max_fes": cec2013(p).max_fes,
            "peak_ratio": peak_ratio(np.array(counts), n_opt).tolist(),
            "success_rate": success_rate(np.array(counts), n_opt).tolist(),
        }
    prs = [v["peak_ratio"] for v in out["problems"].values()]
    out["mean_peak_ratio"] = float(np.mean(prs)) if prs else None
    out["complete"] = len(out["problems"]) == 20
    return out


def suite_table(summary: dict, method: str) -> str:
    """Markdown: PR/SR per problem and accuracy, then published comparisons."""
    acc = [f"{e:.0e}".replace("e-0", "e-") for e in ACCURACIES]
    lines = [f"### {method}: peak ratio (PR) and success rate (SR)", "",
             "| F | D | optima | MaxFEs | runs | " + " | ".join(f"PR {a}" for a in acc)
             + " | " + " | ".join(f"SR {a}" for a in acc) + " |",
             "|---" * (5 + 2 * len(acc)) + "|"]
    for p, v in summary["problems"].items():
        prob = cec2013(int(p))
        lines.append(f"| F{p} | {prob.dim} | {prob.n_optima} | {v['max_fes']:,} | {v['runs']} | "
                     + " | ".join(f"{x:.3f}" for x in v["peak_ratio"]) + " | "
                     + " | ".join(f"{x:.2f}" for x in v["success_rate"]) + " |")
    mean = summary["mean_peak_ratio"]
    scope = "20 problems" if summary["complete"] else f"{len(summary['problems'])} problems"
    lines += ["", f"Mean PR over {scope} × 5 accuracies: **{mean:.3f}**" if mean is not None else "", "",
              "| method | mean PR (20 × 5) |", "|---|---|",
              f"| {method} (this run) | {mean:.3f} |" if mean is not None else ""]
    lines += [f"| {k} (published) | {v:.3f} |" for k, v in PUBLISHED_MEAN_PR.items()]
    lines += ["", "PR at ε = 1e-4 beside published values:", "",
              f"| F | {method} | " + " | ".join(PUBLISHED_COLUMNS) + " |",
              "|---" * (2 + len(PUBLISHED_COLUMNS)) + "|"]
    for p in sorted(PUBLISHED_PR_1E4):
        v = summary["problems"].get(p)
        ours = f"{v['peak_ratio'][3]:.3f}" if v else "—"
        lines.append(f"| F{p} | {ours} | " + " | ".join(f"{x:.3f}" for x in PUBLISHED_PR_1E4[p]) + " |")
    lines += ["", "(On F1–F5 and F10 the strong methods reach PR 1.0.)"]
    return "\n".join(lines) + "\n"


# -- figures -----------------------------------------------------------------------------------
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return matplotlib, plt


def _wide(metrics, series: str, metric: str):
    m = metrics[(metrics.series == series) & (metrics.metric == metric)]
    return m.pivot_table(index="step", columns="replicate", values="value")


def _build(domain: str, params: dict, seed: int = 1, backend: str = "numba"):
    """One simulation seeded ``SeedSequence(seed)``, for figures of its own state."""
    from ..config import load
    from ..registry import get_domain

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


def remedies_figure(out: Path) -> dict:
    """Headline D1 and optima held per remedy on Himmelblau (the bundled scenarios)."""
    from .. import run

    _, plt = _plt()
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
    axes[1].set(xlabel="generation", ylabel="optima held within 0.1 of 200", title="Himmelblau: optima held")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figure_path(out, "ga_peaks_over_time"), dpi=110)
    plt.close(fig)
    return numbers


def landscape_figure(out: Path, gens=(0, 5, 20, 100)) -> None:
    """The population on Himmelblau at a few generations: tournament vs crowding."""
    _, plt = _plt()
    fig, axes = plt.subplots(2, len(gens), figsize=(12, 6))
    for row, (label, extra) in enumerate([("binary tournament", {}),
                                          ("deterministic crowding", {"replacement": "crowding"})]):
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
    fig.savefig(figure_path(out, "ga_himmelblau_landscape"), dpi=110)
    plt.close(fig)


def nbc_figure(out: Path, marks=(5_000, 20_000, 60_000, 200_000)) -> dict:
    """NBC-CMA's solution set on Shubert 2-D (F6) as the evaluations are spent."""
    _, plt = _plt()
    sim = _build("ga", {"problem": "F6", "method": "nbc-cma", "max_fes": "official"}, backend="numpy")
    fig, axes = plt.subplots(1, len(marks), figsize=(14, 3.6))
    found = []
    for ax, mark in zip(axes, marks):
        while not sim.finished and sim.evaluations < mark:
            sim.step()
        x, f = sim.solutions()
        found.append(sim.observe().metrics["peaks_found_1e-4"])
        _contour(ax, sim.problem, levels=20)
        good = f >= sim.problem.f_opt - 1e-4
        ax.plot(x[~good, 0], x[~good, 1], ".", color="tab:blue", ms=3)
        ax.plot(x[good, 0], x[good, 1], "o", mfc="none", color="tab:orange", ms=7)
        ax.set_title(f"{sim.evaluations:,} evaluations: {int(found[-1])}/18 at 1e-4", fontsize=9)
    fig.tight_layout()
    fig.savefig(figure_path(out, "ga_shubert_nbc_cma"), dpi=110)
    plt.close(fig)
    return {"marks": list(marks), "peaks_found_1e-4": found}


def royal_road_figure(out: Path, rmhc_n: int = 1000) -> dict:
    """GA vs RMHC on the Royal Road R1: evaluations, blocks found, hitchhiking."""
    from .. import run

    matplotlib, plt = _plt()
    ga = run("ga_royal_road_hitchhiking").metrics
    evals = _wide(ga, "domain", "evaluations")
    blocks = _wide(ga, "domain", "blocks_found")
    het = _wide(ga, "domain", "unsolved_heterozygosity")
    rmhc = hikers.rmhc_hits(rmhc_n)
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
    axes[2].boxplot([rmhc, ga_evals], vert=False, whis=(5, 95), showfliers=False)
    axes[2].set_yticks([1, 2], [f"RMHC\n({len(rmhc)} runs,\nmean {rmhc.mean():,.0f})",
                                f"GA\n({len(ga_evals)} runs,\nmean {ga_evals.mean():,.0f})"])
    axes[2].set(xlabel="evaluations to the optimum (5–95 % whiskers)", xscale="log", title="RMHC vs GA")
    axes[2].xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    axes[2].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    fig.tight_layout()
    fig.savefig(figure_path(out, "ga_royal_road"), dpi=110)
    plt.close(fig)
    at_half = het[(blocks >= 4) & (blocks < 8)]
    return {"rmhc_mean": float(rmhc.mean()), "rmhc_sd": float(rmhc.std(ddof=1)), "rmhc_runs": len(rmhc),
            "ga_mean": float(ga_evals.mean()), "ga_runs": int(len(ga_evals)),
            "unsolved_het_start": float(het.iloc[0].mean()),
            "unsolved_het_4to7_blocks": float(np.nanmean(at_half.to_numpy()))}


def suite_figure(out: Path, summary: dict) -> str:
    """Our PR at 1e-4 per problem beside RS-CMSA's (scored from its raw submission
    when :data:`SUBMISSION_ENV` names it, else the published values) and NEA2's
    where published. Returns the line saying which RS-CMSA values are shown."""
    from ..problems.scoring import score_submission

    _, plt = _plt()
    probs = sorted(int(p) for p in summary["problems"])
    ours = [summary["problems"][p]["peak_ratio"][3] for p in probs]
    fig, ax = plt.subplots(figsize=(11, 3.6))
    ax.bar(np.arange(len(probs)) - 0.25, ours, 0.25, label="NBC-CMA (this reproduction)")
    nea2, rs = PUBLISHED_COLUMNS.index("NEA2"), PUBLISHED_COLUMNS.index("RS-CMSA")
    submission = os.environ.get(SUBMISSION_ENV)
    if submission:
        scored = score_submission(Path(submission)).peak_ratio[:, 3]
        rs_vals, rs_label = [scored[p - 1] for p in probs], "RS-CMSA (its 2016 submission, scored here)"
        note = "RS-CMSA's bars are its raw 2016 submission scored here."
    else:
        rs_vals = [PUBLISHED_PR_1E4[p][rs] if p in PUBLISHED_PR_1E4 else np.nan for p in probs]
        rs_label = "RS-CMSA (published)"
        note = (f"RS-CMSA's bars are its published values ({SUBMISSION_ENV} was not set to its raw "
                "2016 submission zip, so it was not scored on every problem).")
    ax.bar(np.arange(len(probs)), rs_vals, 0.25, label=rs_label, color="tab:green")
    ax.bar(np.arange(len(probs)) + 0.25,
           [PUBLISHED_PR_1E4[p][nea2] if p in PUBLISHED_PR_1E4 else np.nan for p in probs], 0.25,
           label="NEA2 (published)", color="tab:red")
    ax.set_xticks(np.arange(len(probs)), [f"F{p}" for p in probs])
    ax.set(ylabel="peak ratio at ε = 1e-4", ylim=(0, 1.22), title="CEC'2013 niching suite")
    ax.legend(fontsize=8, ncol=3, loc="upper center")
    fig.tight_layout()
    fig.savefig(figure_path(out, "ga_cec2013_pr"), dpi=110)
    plt.close(fig)
    return note


# -- the page ----------------------------------------------------------------------------------
def _remedies_table(numbers: dict) -> str:
    lines = ["| scenario | D1 per optimum (max 4) | optima held (1e-1) | optima held (1e-4) | lineages |",
             "| --- | --- | --- | --- | --- |"]
    for name in REMEDIES:
        v = numbers[name]
        lines.append(f"| ga_himmelblau_{name} | {v['D1_final']:.2f} | {v['held_1e-1_final']:.2f} | "
                     f"{v['held_1e-4_final']:.2f} | {v['lineages_final']:.1f} |")
    return "\n".join(lines)


def suite_dir(method: str, seed: int) -> Path:
    """Where the suite's batch lives (relative to the working directory)."""
    return Path("runs") / f"cec2013-{method}-seed{seed}"


def write(out: Path, *, seed: int, backend: str, protocol_name: str | None, started: float,
          suite_runs: int | None, suite_seed: int = 2013, quick: bool = False) -> Path:
    """Write ``out/ga.md`` (the suite's section from its batch of ``suite_runs``
    runs seeded ``suite_seed``, if there is one); ``quick`` runs only the cheap
    sections (tests)."""
    checks = takeover_checks(100, 400 if quick else 4000, backend="numpy")
    sections = ["## Tournament takeover\n\nGenerations until one best individual's copies fill the "
                "population under binary tournaments alone (replicates where it survived):\n\n"
                + table(checks, reference="reference")]
    if not quick:
        rem = remedies_figure(out)
        landscape_figure(out)
        sections.append("## Niching remedies on Himmelblau\n\n![remedies](figures/ga_peaks_over_time.png)\n\n"
                        + _remedies_table(rem)
                        + "\n\n![landscape](figures/ga_himmelblau_landscape.png)")
        nbc = nbc_figure(out)
        sections.append("## NBC-CMA on Shubert (F6)\n\n![nbc](figures/ga_shubert_nbc_cma.png)\n\n"
                        + ", ".join(f"{m:,} evaluations: {int(k)}/18" for m, k in
                                    zip(nbc["marks"], nbc["peaks_found_1e-4"])) + " optima at 1e-4.")
        rr = royal_road_figure(out)
        sections.append("## Royal Road: RMHC against the GA, hitchhiking\n\n![royal road](figures/ga_royal_road.png)"
                        f"\n\nRMHC: {rr['rmhc_mean']:,.0f} ± {rr['rmhc_sd'] / np.sqrt(rr['rmhc_runs']):,.0f} "
                        f"evaluations ({rr['rmhc_runs']} hikers); GA: {rr['ga_mean']:,.0f} ({rr['ga_runs']} runs). "
                        f"Heterozygosity at unsolved blocks: {rr['unsolved_het_start']:.3f} at the start, "
                        f"{rr['unsolved_het_4to7_blocks']:.3f} with 4–7 blocks found.")
        hk = hikers.shubert_figure(out)
        sections.append("## Hikers on Shubert\n\n![hikers](figures/hikers_shubert.png)\n\n"
                        + hikers.numbers_table(hk))
    rows = suite_rows(suite_dir("nbc-cma", suite_seed), runs=suite_runs) if suite_runs else []
    if rows:
        summary = summarise(rows)
        note = suite_figure(out, summary)
        sections.append(f"## The CEC'2013 suite with NBC-CMA\n\n![suite](figures/ga_cec2013_pr.png)\n\n{note}\n\n"
                        "Each run is one replicate of a batch over the problems (official MaxFEs): run j "
                        "of problem p draws from `SeedSequence(seed, spawn_key=(h_c, j))`, h_c the hash "
                        "of the cell's config. Pages generated before the suite ran as a batch seeded "
                        "runs with `SeedSequence(seed, spawn_key=(p, j))`, so single runs differ from "
                        "those pages.\n\n" + suite_table(summary, "nbc-cma"))
    else:
        sections.append("## The CEC'2013 suite\n\nNot run here: `collapsesim reproduce ga --protocol cec2013` "
                        "runs it (4 runs per problem) and draws this section.")
    head = header("ga and hikers: premature convergence, takeover, hitchhiking and niching", "ga",
                  protocol=protocol_name, seed=seed, backend=backend, started=started)
    return write_page(out, "ga", head, sections)


@protocol("ga", "page", default=True, seed=1, backend="numba",
          description="niching remedies, NBC-CMA, Royal Road, hikers, takeover (a few minutes)")
def page(out: Path, *, seed: int, backend: str) -> Path:
    return write(out, seed=seed, backend=backend, protocol_name=None, started=time.perf_counter(),
                 suite_runs=4)


@protocol("ga", "cec2013", seed=2013, backend="numpy",
          description="the CEC'2013 suite with NBC-CMA, 4 runs per problem (~13 CPU-minutes), then the page")
def cec2013_page(out: Path, *, seed: int, backend: str) -> Path:
    started = time.perf_counter()
    run_suite(suite_dir("nbc-cma", seed), runs=4, seed=seed)
    return write(out, seed=seed, backend=backend, protocol_name="cec2013", started=started, suite_runs=4,
                 suite_seed=seed)


@protocol("ga", "cec2013-full", seed=2013, backend="numpy",
          description="the CEC'2013 suite with NBC-CMA, 50 runs per problem (hours), then the page")
def cec2013_full_page(out: Path, *, seed: int, backend: str) -> Path:
    started = time.perf_counter()
    run_suite(suite_dir("nbc-cma", seed), runs=50, seed=seed)
    return write(out, seed=seed, backend=backend, protocol_name="cec2013-full", started=started,
                 suite_runs=50, suite_seed=seed)
