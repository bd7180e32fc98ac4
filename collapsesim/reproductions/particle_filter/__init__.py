"""The particle filter's reproduction page: ``collapsesim reproduce particle_filter``
writes ``particle_filter.md`` and ``figures/particle_filter_*.png`` under
``--out``: the likelihood against the Kalman filter, the genealogy against the
Wright–Fisher chain and the coalescent, the pair-merger clock, the smoothers
against the RTS smoother, the float32 pitfall, and the side-by-side comparison
with Chopin's ``particles``. ``--protocol figures`` redraws only the figures.

``particles`` needs numpy < 2, so it runs in its own environment: set
``COLLAPSESIM_PARTICLES_PYTHON`` to an interpreter that has it (the optional
hook; without it §6 says so on the page and the rest runs). The driver script
is :mod:`.particles_reference`, which imports nothing from collapsesim.

Each section's studies draw from fixed seeds (``seed`` + a per-section offset;
the default seed 0 gives the page's numbers) on ``backend`` (numba by
default). ``scale="quick"`` runs everything small (a smoke test, not the page).
Comparisons pass when |simulated mean − theory| < 3 standard errors.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

from ...domains.particle_filter import theory
from ...domains.particle_filter.kalman import rts_smoother
from ...domains.particle_filter.smc import SMC
from ...domains.particle_filter.smoothing import (FixedLag, History, ffbsi, genealogy_paths, pgas,
                                                  update_rates)
from ...engine.backends import get_backend
from ...engine.genealogy import expected_stored_nodes
from .. import MissingRequirement, protocol
from ..harness import command, header
from . import figures, studies
from .numerics import float32_systematic

PARTICLES_ENV = "COLLAPSESIM_PARTICLES_PYTHON"
REFERENCE_SCRIPT = Path(__file__).with_name("particles_reference.py")

FULL = {"loglik_N": 10_000, "loglik_runs": 200, "wf_N": 100, "wf_runs": 400, "merger_N": 100,
        "merger_runs": 200, "f32_N": 10**7, "f32_runs": 2, "cmp_N": 1000, "cmp_runs": 200,
        "speed_N": (10**5, 10**6)}
QUICK = {"loglik_N": 1000, "loglik_runs": 30, "wf_N": 20, "wf_runs": 40, "merger_N": 30,
         "merger_runs": 30, "f32_N": 10**5, "f32_runs": 1, "cmp_N": 200, "cmp_runs": 20,
         "speed_N": (10**4,)}


def _ok(z: float) -> str:
    return "yes" if abs(z) < 3 else "**no**"


def _pm(mean: float, se: float, digits: int = 3) -> str:
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


# -- 1. likelihood ------------------------------------------------------------------------------
def loglik_section(z: dict, seed: int = 0, backend: str = "numba") -> str:
    N, runs, T = z["loglik_N"], z["loglik_runs"], 100
    rows = []
    for scheme, adaptive, label in (("multinomial", False, "multinomial, every step"),
                                    ("systematic", True, "systematic, when ESS < N/2")):
        d = studies.runner_loglik_errors(N, runs, scheme=scheme, adaptive=adaptive, T=T,
                                         seed=seed + 2, backend=backend)
        s = studies.loglik_summary(d, N, T)
        rows.append(f"| {label} | {N} | {runs} | {_pm(s['mean_exp'], s['se'])} | {s['z']:+.2f} | "
                    f"{_ok(s['z'])} | {s['scaled_var']:.2f} | "
                    f"{'yes' if 1 <= s['scaled_var'] <= 3 else '**no**'} | {s['mean_d']:+.4f} |")
    _, _, _, kf = studies.linear_gaussian_data(T)
    return "\n".join([
        "## 1. Likelihood estimates against the Kalman filter", "",
        "Bootstrap filter on x_t = 0.9 x_{t−1} + ε_t, y_t = x_t + η_t (σX = σY = 1, stationary "
        f"start), one simulated data set of T = {T} observations (`data_seed` 0; exact "
        f"log L = {kf.loglik:.4f} by the Kalman filter), independent replicates of the domain's "
        "scenario through the runner (replicate j on `SeedSequence(seed, spawn_key=(j,))`, as "
        "in a user's run). The estimator L̂ is "
        "unbiased, so E[exp(d)] = 1 for d = log L̂ − log L; its variance is O(T/N). Tested by "
        "`tests/domains/test_particle_filter_theory.py::test_loglik_is_unbiased_issue_sizes` "
        "(slow) and `..._small` (N = 1000).", "",
        "| resampling | N | runs | mean exp(d) ± SE | z | within 3 SE | N·Var(d)/T | in [1, 3] | mean d |",
        "|---|---|---|---|---|---|---|---|---|", *rows, ""])


# -- 2. genealogy ---------------------------------------------------------------------------------
def genealogy_section(z: dict, seed: int = 0, backend: str = "numba") -> str:
    N, runs = z["wf_N"], z["wf_runs"]
    steps = 10 * N
    g = studies.neutral_genealogies(N, runs, steps=steps, seed=seed + 4, backend=backend)
    tm, nodes, parents = g["tmrca"], g["tree_nodes"], g["distinct_parents"]
    mean, sd = theory.tmrca_moments(N)
    se = tm.std(ddof=1) / np.sqrt(runs)
    kurtosis = np.mean((tm - tm.mean()) ** 4) / tm.var() ** 2
    se_sd = tm.std(ddof=1) * np.sqrt((kurtosis - 1) / (4 * runs))  # SE of a sample sd
    nse = nodes.std(ddof=1) / np.sqrt(runs)
    pse = parents.std(ddof=1) / np.sqrt(runs)
    exact_nodes = expected_stored_nodes(N, steps)
    harmonic = float(np.sum(1.0 / np.arange(1, N)))
    issue_nodes = steps + 2 * N * harmonic
    rows = [
        f"| E[T_MRCA] | {_pm(tm.mean(), se, 1)} | {mean:.1f} (exact chain); 2N(1 − 1/N) = "
        f"{theory.coalescent_tmrca(N):.1f} | {_ok((tm.mean() - mean) / se)} |",
        f"| sd(T_MRCA) | {_pm(tm.std(ddof=1), se_sd, 1)} ({tm.std(ddof=1) / N:.2f} N) | {sd:.1f} "
        f"(exact); {theory.coalescent_tmrca_sd(N):.1f} = {theory.coalescent_tmrca_sd(N) / N:.2f} N "
        f"(coalescent) | {_ok((tm.std(ddof=1) - sd) / se_sd)} |",
        f"| distinct parents one step back | {_pm(parents.mean(), pse, 3)} | "
        f"N(1 − (1 − 1/N)^N) = {theory.expected_distinct_parents(N):.3f} | "
        f"{_ok((parents.mean() - theory.expected_distinct_parents(N)) / pse)} |",
        f"| stored tree nodes after T = {steps} | {_pm(nodes.mean(), nse, 1)} (sd "
        f"{nodes.std(ddof=1) / N:.2f} N) | {exact_nodes:.1f} (exact chain) | "
        f"{_ok((nodes.mean() - exact_nodes) / nse)} |",
    ]
    ident = []
    for scheme in ("residual", "stratified", "systematic", "multinomial"):
        gi = studies.neutral_genealogies(N, 3, steps=2 * N, scheme=scheme, seed=seed + 5,
                                         backend=backend)
        ident.append(f"| {scheme} | {gi['distinct_parents'].mean():.2f} | "
                     f"{gi['founders'].mean():.1f} |")
    return "\n".join([
        "## 2. The genealogy of neutral resampling is Wright–Fisher", "",
        f"The `neutral` model (uninformative observations: all weights 1/N), N = {N}, multinomial "
        f"resampling every step, {runs} runs of {steps} steps, read from the engine's path storage "
        "(Jacob, Murray & Rubenthaler 2015). Exact values come from the lineage-count Markov chain "
        "of the discrete model (`theory.tmrca_moments`, `engine.genealogy.expected_stored_nodes`).",
        "", "| quantity | simulated (± SE) | theory | within 3 SE |", "|---|---|---|---|", *rows, "",
        f"On the tree size: the issue's T + 2N·H_{{N−1}} = {issue_nodes:.0f} counts the "
        f"{2 * N * harmonic:.0f} lineage-generations of the coalescent tree *on top of* all T "
        "generations, but the generations below the MRCA (≈ 2N of them) are already part of the "
        "tree, so E[nodes] ≈ T + 1 + 2N·H_{N−1} − 2(N − 1) — which the simulation matches. The "
        f"extra nodes beyond T are ≈ {exact_nodes - steps:.0f} at N = {N} (not 2N·H_{{N−1}} = "
        f"{2 * N * harmonic:.0f}).", "",
        f"With equal weights the low-variance schemes give every particle exactly one offspring "
        f"(N = {N}, 3 runs of {2 * N} steps; the filter resamples on weights scaled so the "
        "largest is exactly 1, so equal weights are exactly equal): a drift baseline must use "
        "multinomial resampling.", "",
        "| scheme | distinct parents per step | surviving founders |", "|---|---|---|", *ident, ""])


# -- 3. the pair-merger clock -------------------------------------------------------------------
def merger_section(z: dict, seed: int = 0, backend: str = "numba") -> str:
    N, runs = z["merger_N"], z["merger_runs"]
    rows = []
    for rho in (0.0, 0.9):
        r = studies.merger_sums(N, runs, 6 * N, rho=rho, seed=seed + 6, backend=backend)
        s, ratio = r["merger_sum"], r["tmrca"] / r["harmonic_ess"]
        ok = ~np.isnan(s)
        se = s[ok].std(ddof=1) / np.sqrt(ok.sum())
        rows.append(f"| {rho} | {ok.sum()} | {np.nanmean(r['tmrca']):.0f} | "
                    f"{np.nanmean(N / r['harmonic_ess']):.2f} | {_pm(s[ok].mean(), se)} | "
                    f"{np.nanmean(ratio):.3f} | {2 * (1 - 1 / N):.3f} | "
                    f"{(s[ok].mean() - 2 * (1 - 1 / N)) / se:+.1f} |")
    return "\n".join([
        "## 3. Weighted filters: the pair-merger clock", "",
        f"Bootstrap filter, multinomial resampling every step, N = {N}, σX = σY = 1, {runs} runs "
        f"of {6 * N} steps. In the resampling from time t two lineages merge with probability "
        "c_t = Σ W_t² = 1/ESS_t; Koskela et al. (2020) show that under conditions on the weights "
        "the genealogy converges to Kingman's coalescent on the clock Σ c_t, so Σ c_t from the "
        "final time back to the MRCA should average 2(1 − 1/N), i.e. T_MRCA ≈ 2 × the harmonic-mean "
        "ESS over those steps.", "",
        "| ρ | coalesced runs | mean T_MRCA | N / harmonic-mean ESS | Σ c back to the MRCA (± SE) "
        "| T_MRCA / HM-ESS | Kingman 2(1 − 1/N) | z |",
        "|---|---|---|---|---|---|---|---|", *rows, "",
        "With ρ = 0 the weight of a particle says nothing about its offspring's weights and the "
        "clock holds (tested: `test_pair_merger_clock_*`). With ρ = 0.9 weights are inherited: "
        "the lineages that survive run through good regions, whose offspring are heavy again, so "
        "they meet faster than Σ W² says, and the clock overestimates T_MRCA "
        "(`test_heritable_weights_coalesce_faster_than_the_merger_clock`). The heritability does "
        "not fade as N grows (the weights' persistence is a property of the model, not of N), "
        "so for persistent models the clock is a rule of thumb, not an identity.", ""])


# -- 4. smoothers ----------------------------------------------------------------------------------
def _rms(est, ms, sd) -> float:
    return float(np.sqrt(np.mean(((est - ms) / sd) ** 2)))


def smoothing_section(seed: int = 0, backend: str = "numba") -> str:
    T = 100
    _, host, data, kf = studies.linear_gaussian_data(T, data_seed=1)
    ms, Ps = rts_smoother(kf, host.A)
    ms, sd = ms[:, 0], np.sqrt(Ps[:, 0, 0])
    be = get_backend(backend)
    rng = np.random.default_rng(seed + 7)
    history, lag = History(), FixedLag(10)
    smc = SMC(host, data.y, 1000, be, be.rng(np.random.SeedSequence(seed + 7)), listeners=[history, lag],
              scheme="multinomial")
    lagged = []
    for t in range(1, T):
        smc.step()
        if t >= 10:
            lagged.append(lag.estimate(smc.weights())[0])
    W = smc.weights()
    own = np.einsum("i,it->t", W, genealogy_paths(history)[:, :, 0])
    early = slice(0, T // 2)
    rows = [("filter's own paths (genealogy), N = 1000", own, smc.genealogy.distinct_ancestors(T - 1))]
    paths, first = ffbsi(host, history, 500, rng)
    rows.append(("FFBSi, N = 1000, 500 trajectories", paths[:, :, 0].mean(axis=0), len(np.unique(first))))
    lines = [f"| {name} | {_rms(est, ms, sd):.3f} | {_rms(est[early], ms[early], sd[early]):.3f} "
             f"| {k} |" for name, est, k in rows]
    fl = np.array(lagged)
    lines.append(f"| fixed lag L = 10 (estimate of x_(t−10) from y_(0:t)), N = 1000 | "
                 f"{_rms(fl, ms[: T - 10], sd[: T - 10]):.3f} (vs the full-data RTS) | — | — |")
    for as_, label in ((True, "PGAS"), (False, "conditional SMC without ancestor sampling")):
        chain = pgas(host, data.y, 50, 500, np.random.default_rng(seed + 8),
                     ancestor_sampling=as_)
        rates = update_rates(chain)
        est = chain[100:, :, 0].mean(axis=0)
        lines.append(f"| {label}, N = 50, 500 sweeps (100 burn-in) | {_rms(est, ms, sd):.3f} | "
                     f"{_rms(est[early], ms[early], sd[early]):.3f} | update rate at t = 0: "
                     f"{rates[0]:.2f}, min over t: {rates.min():.2f} |")
    return "\n".join([
        "## 4. Smoothers against the Rauch–Tung–Striebel smoother", "",
        f"Same model, T = {T} observations (`data_seed` 1). Error = RMS over t of (smoothed mean − "
        "RTS mean) / RTS sd, over all t and over the first half (where path degeneracy bites). "
        "Tested against the RTS smoother in `tests/domains/test_particle_filter_filters.py`.", "",
        "| smoother | error, all t | error, t < T/2 | distinct time-0 ancestors / mixing |",
        "|---|---|---|---|", *lines, "",
        "The filter's own paths all run through one ancestor far back (path degeneracy), so "
        "their estimate of the early states is one particle's path; FFBSi re-draws the ancestry "
        "backwards and keeps hundreds of distinct time-0 states; PGAS is exact in the limit of "
        "sweeps and its ancestor sampling keeps the early states moving, where plain conditional "
        "SMC sticks. The fixed-lag estimate of x_(t−10) given y_(0:t) is compared here with the "
        "full-data RTS mean, so part of its error is the lag's (deliberate) bias.", ""])


# -- 5. float32 ------------------------------------------------------------------------------------
def float32_section(z: dict, seed: int = 0, backend: str = "numba") -> str:
    N, runs, T = z["f32_N"], z["f32_runs"], 100
    naive = studies.loglik_errors(N, runs, scheme="systematic", resampler=float32_systematic,
                                  T=T, seed=seed + 11, backend=backend)
    exact = studies.loglik_errors(N, runs, scheme="systematic", T=T, seed=seed + 11,
                                  backend=backend)
    sd = np.sqrt(2.0 * T / N)
    return "\n".join([
        "## 5. The float32 resampling pitfall", "",
        f"Systematic resampling at N = {N:.0e}, T = {T}, same model and data as §1, {runs} run(s) "
        "each with the same seeds: the engine (cumulative weights and the grid (u + i)/N in "
        "float64) against a naive resampler doing the same arithmetic in float32 "
        "(`numerics.float32_systematic`). The spread of d at this N is ≈ √(2T/N) = "
        f"{sd:.4f}.", "",
        "| resampler | d = log L̂ − log L per run | mean d |", "|---|---|---|",
        f"| engine (float64 CDF and grid) | {', '.join(f'{v:+.4f}' for v in exact)} | "
        f"{exact.mean():+.4f} |",
        f"| naive float32 | {', '.join(f'{v:+.4f}' for v in naive)} | {naive.mean():+.4f} |", "",
        "The float32 version is biased downwards by several standard deviations: the running sum "
        "of 10⁷ weights of size ~10⁻⁷ is rounded to the float32 spacing near 1 (6·10⁻⁸), so "
        "offspring numbers stop following the weights (their error exceeds 1, which systematic "
        "resampling never allows: `test_float32_resampling_breaks_systematic_offspring_bounds`). "
        f"We measure {naive.mean():+.3f} for this variant; the issue quotes ≈ −0.09 for its own "
        "float32 implementation, whose exact arithmetic we do not know. The domain keeps weights "
        "and CDF in float64 for float32 particles (`dtype: float32`, "
        "`scenarios/full/particle_filter_float32.yaml`).", ""])


# -- 6. particles ------------------------------------------------------------------------------------
def particles_section(z: dict, python: str | None, seed: int = 0, backend: str = "numba") -> str:
    head = ["## 6. Side by side with `particles`", "",
            "Chopin's `particles` (Chopin & Papaspiliopoulos 2020) needs numpy < 2, so it runs in "
            "its own environment, driven by `particles_reference.py` (which imports nothing from "
            "collapsesim):", "", "```",
            "python -m venv particles-venv",
            "particles-venv/bin/pip install particles 'numpy<2'",
            f"{PARTICLES_ENV}=particles-venv/bin/python {command('particle_filter')}", "```", ""]
    if python is None:
        return "\n".join(head + [f"(Not run: set `{PARTICLES_ENV}` to run this section.)", ""])
    N, runs, T = z["cmp_N"], z["cmp_runs"], 100
    _, _, data, kf = studies.linear_gaussian_data(T)
    rows, ess_rows, version = [], [], ""
    for scheme, ess_rmin, label in (("multinomial", 1.0, "multinomial, every step"),
                                    ("systematic", 0.5, "systematic, ESS < N/2")):
        ref = run_particles(python, {"y": data.y[:, 0].tolist(), "rho": 0.9, "sigma_x": 1.0,
                                     "sigma_y": 1.0, "N": N, "runs": runs, "seed": 1,
                                     "ess_rmin": ess_rmin, "resampling": scheme, "timing_N": []})
        version = ref["version"]
        d_ref = np.asarray(ref["loglik"]) - kf.loglik
        ess_ref = np.asarray(ref["ess"]) / N
        d, ess = studies.filter_runs(N, runs, scheme=scheme, adaptive=ess_rmin < 1, T=T,
                                     seed=seed + 3, backend=backend)
        ks = stats.ks_2samp(d, d_ref)
        rows.append(f"| {label} | {d.mean():+.4f} ± {d.std(ddof=1) / np.sqrt(runs):.4f} | "
                    f"{d_ref.mean():+.4f} ± {d_ref.std(ddof=1) / np.sqrt(runs):.4f} | "
                    f"{d.std(ddof=1):.4f} / {d_ref.std(ddof=1):.4f} | {ks.pvalue:.2f} |")
        zt = (ess.mean(0) - ess_ref.mean(0)) / np.sqrt((ess.var(0, ddof=1) + ess_ref.var(0, ddof=1)) / runs)
        ks_ess = stats.ks_2samp(ess.mean(1), ess_ref.mean(1))
        ess_rows.append(f"| {label} | {ess.mean():.4f} | {ess_ref.mean():.4f} | "
                        f"{np.abs(zt).max():.2f} | {np.mean(np.abs(zt) > 3):.2f} | {ks_ess.pvalue:.2f} |")
    speed = speed_rows(python, z["speed_N"])
    return "\n".join(head + [
        f"Same model and data as §1 (T = {T}), N = {N}, {runs} runs each (`particles` {version}).",
        "", "| resampling | collapsesim mean d ± SE | particles mean d ± SE | sd of d (ours / theirs) "
        "| KS p-value |", "|---|---|---|---|---|", *rows, "",
        "ESS/N traces (the weights of each step before resampling, as both libraries record "
        "them): mean over runs and steps, the largest |z| of the per-step difference of means over "
        f"the {T} steps, the fraction of steps with |z| > 3, and a KS test on the per-run mean ESS.",
        "", "| resampling | collapsesim | particles | max \\|z\\| over t | fraction \\|z\\| > 3 "
        "| KS p-value |",
        "|---|---|---|---|---|---|", *ess_rows, "",
        "Speed per particle-step (bootstrap filter, systematic resampling every step, T = 100, "
        "best of 3, numba and torch on one thread; collapsesim without the genealogy, like "
        "`particles`; the benchmark harness measures the same in `docs/benchmarks.md`):", "",
        "| N | particles | numpy | numba | torch (CPU) | numba speed-up |", "|---|---|---|---|---|---|",
        *speed, "", "CUDA untested (no GPU here).", ""])


def run_particles(python: str, spec: dict) -> dict:
    """Run ``particles_reference.py`` under ``python`` on ``spec``; its JSON result."""
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "data.json", Path(tmp) / "out.json"
        data.write_text(json.dumps(spec))
        subprocess.run([python, str(REFERENCE_SCRIPT), "--data", str(data), "--out", str(out)],
                       check=True)
        return json.loads(out.read_text())


def time_collapsesim(backend: str, N: int, T: int = 100, reps: int = 3) -> float:
    """Best ns per particle-step of :func:`studies.speed_run` (after a warm-up run)."""
    run = studies.speed_run(backend, N, T)
    run()
    best = np.inf
    for _ in range(reps):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best / (N * T) * 1e9


def speed_rows(python: str | None, sizes) -> list[str]:
    """Markdown rows: ns per particle-step of particles and of each backend, per N."""
    _, _, data, _ = studies.linear_gaussian_data(100)
    ref = {}
    if python is not None:
        ref = run_particles(python, {"y": data.y[:, 0].tolist(), "rho": 0.9, "sigma_x": 1.0,
                                     "sigma_y": 1.0, "N": 10, "runs": 0, "seed": 1, "ess_rmin": 1.0,
                                     "resampling": "systematic",
                                     "timing_N": list(sizes)})["ns_per_particle_step"]
    rows = []
    for n in sizes:
        ours = {b: time_collapsesim(b, n) for b in ("numpy", "numba", "torch")}
        theirs = ref.get(str(n), np.nan)
        rows.append(f"| {n:.0e} | {theirs:.1f} ns | {ours['numpy']:.1f} ns | {ours['numba']:.1f} ns "
                    f"| {ours['torch']:.1f} ns | {theirs / ours['numba']:.1f}× |")
    return rows


# -- the page -----------------------------------------------------------------------------------------
def figures_section(fig_dir: Path) -> str:
    captions = {
        "genealogy": "The genealogy: all particles of a small filter (grey) and the ancestry of "
                     "the final particles (black) — one lineage far back.",
        "ess": "ESS/N of each step's weights: informative observations (σY = 0.2) degenerate the "
               "weights, the optimal proposal repairs them, adaptive resampling saw-tooths.",
        "filtered_mean": "Filtered mean ± 2 sd (N = 1000) on the Kalman filter's mean and band "
                         "and the true state.",
        "founders": "The headline series: surviving time-0 founders per resampling scheme.",
        "modes": "The bimodal growth model: the filter's posterior mass of x > 0 against the grid "
                 "filter; N = 50 drops a mode (t ≈ 33–41) that N = 10 000 keeps.",
    }
    lines = ["## 7. Figures", "", "Regenerated with the page, or alone (seconds) by "
             f"`{command('particle_filter', 'figures')}`.", ""]
    for name, path in draw_figures(fig_dir).items():
        lines += [f"![{name}](figures/{path.name})", "", captions[name], ""]
    return "\n".join(lines)


def draw_figures(fig_dir: Path) -> dict[str, Path]:
    """Draw every figure of :mod:`.figures` into ``fig_dir``."""
    fig_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, draw in figures.ALL.items():
        paths[name] = fig_dir / f"particle_filter_{name}.png"
        draw(paths[name])
    return paths


def _particles_python() -> str | None:
    """The interpreter named by ``COLLAPSESIM_PARTICLES_PYTHON`` (None when unset);
    a set value that is not an executable file stops with one line."""
    python = os.environ.get(PARTICLES_ENV)
    if not python:
        return None
    if not (Path(python).is_file() and os.access(python, os.X_OK)):
        raise MissingRequirement(f"{PARTICLES_ENV} names {python!r}, which is not an executable "
                                 "file: set it to a Python that has `particles` installed")
    return python


def write_page(out: Path, *, seed: int = 0, backend: str = "numba", scale: str = "full",
               particles_python: str | None = None) -> Path:
    """Run every section (``scale`` "full": the page; "quick": small sizes) and
    write ``out/particle_filter.md`` with its figures."""
    import numba
    import torch

    numba.set_num_threads(1)
    torch.set_num_threads(1)
    z = {"full": FULL, "quick": QUICK}[scale]
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    sections = [loglik_section(z, seed, backend), genealogy_section(z, seed, backend),
                merger_section(z, seed, backend), smoothing_section(seed, backend),
                float32_section(z, seed, backend),
                particles_section(z, particles_python, seed, backend), figures_section(fig_dir)]
    intro = "\n".join([
        "Weight degeneracy and path degeneracy in sequential Monte Carlo, checked against exact "
        "answers (the Kalman filter and RTS smoother, the Wright–Fisher genealogy) and against "
        "Chopin's `particles`. Fixed seeds; a comparison passes when |simulated − theory| < 3 SE."
        + (" (This page: `scale=\"quick\"`, small sizes.)" if scale == "quick" else ""), "",
        "Series (`weights`, `ancestors` — the headline —, `modes`, `smoothed_founders`) and domain "
        "metrics are listed in `collapsesim/domains/particle_filter/simulation.py`.", "",
        "Scenarios: `scenarios/particle_filter_*.yaml` (degeneracy, each resampling scheme, "
        "adaptive, resample-move, roughening, FFBSi, PGAS, fixed lag, the bimodal model, "
        "stochastic volatility with the auxiliary filter); full-scale protocols in "
        "`scenarios/full/particle_filter_*.yaml` (the likelihood study as 200-replicate runs: "
        "`loglik − kalman_loglik` at the last step).", ""])
    head = header("Particle filter: reproductions", "particle_filter", protocol=None, seed=seed,
                  backend=backend, started=start, intro=intro)
    page = out / "particle_filter.md"
    page.write_text(head + "\n" + "\n".join(sections))
    return page


@protocol("particle_filter", "verification", default=True, seed=0, backend="numba",
          description="likelihood vs Kalman, genealogy vs Wright–Fisher, merger clock, smoothers "
                      "vs RTS, float32 pitfall, particles side by side (COLLAPSESIM_PARTICLES_PYTHON)")
def verification(out: Path, *, seed: int, backend: str, scale: str = "full") -> Path:
    """The page (§6 needs ``COLLAPSESIM_PARTICLES_PYTHON``; without it §6 says so)."""
    import matplotlib

    matplotlib.use("Agg")
    return write_page(Path(out), seed=seed, backend=backend, scale=scale,
                      particles_python=_particles_python())


@protocol("particle_filter", "figures", seed=0, backend="numba",
          description="only redraw the page's figures (seconds)")
def figures_only(out: Path, *, seed: int, backend: str) -> Path:
    """Draw the figures into ``out/figures`` (fixed seeds, numba); returns that folder."""
    import matplotlib

    matplotlib.use("Agg")
    return draw_figures(Path(out) / "figures")["genealogy"].parent
