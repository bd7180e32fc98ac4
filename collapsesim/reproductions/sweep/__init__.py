"""Reproduction of the sweep domain: statistical verification against
population-genetic theory, msprime and fwdpy11 — ``collapsesim reproduce
sweep`` → ``sweep.md`` and ``figures/sweep_*.png``.

Each check simulates with fixed seeds and compares a simulated mean with its
reference; the standard error comes from the simulation (binomial
``sqrt(p(1−p)/R)`` for probabilities, replicate spread otherwise) and a check
passes when ``|mean − reference| < 3 SE``. The same functions serve the tests
(small sizes) and the page (the issue's sizes; about 15 minutes of one CPU
core). Modules: :mod:`.study` (the batched selected-site study),
:mod:`.external` (msprime's and fwdpy11's sweeps, our forward sweep in the
same form), :mod:`.figures`.

Simulations: the tree-sequence model's replicate checks (sweep duration and
restarts, origins under recurrent mutation) run through the runner
(:func:`harness.run_replicates`: replicate j draws from
``SeedSequence(seed, spawn_key=(j,))`` as in a user's run); the fixation and
origin statistics need 10⁴–4·10⁴ replicates and run in the batched study; the
hitchhiking footprint is the domain's own output (``params.footprint``), from
runs through the runner; the equilibrium and window checks read a replicate's
tree sequence at a chosen moment, which the runner's records do not hold, so
they build the simulation here.

**Optional hook.** fwdpy11 (the ``test`` extra) is the forward reference of
the footprint; without it that column is left out and the page says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...domains.sweep import SweepParams, SweepSimulation, theory
from ...domains.sweep.stats import (Layout, footprint_statistics, sample_statistics,
                                    with_mutations)
from ...engine.backends import get_backend
from .. import harness, protocol
from ..harness import Comparison
from .external import forward_sweep, fwdpy11_available, fwdpy11_sweep, msprime_sweep
from .study import simulate_site


def _mean_se(x) -> tuple[float, float]:
    """:func:`harness.mean_se` of the finite values (a statistic is NaN where
    a sample has no segregating sites)."""
    x = np.asarray(x, dtype=float)
    return harness.mean_se(x[np.isfinite(x)])


# -- fixation --------------------------------------------------------------------------------------
def check_fixation(N: int, s: float, h: float = 0.5, ploidy: int = 2, *, replicates: int,
                   seed: int, backend: str = "numba") -> list[Comparison]:
    """Fixation probability of one new copy and its mean fixation time given
    fixation (batched site study) against the exact Wright–Fisher chain."""
    st = simulate_site(N, s, h, ploidy, replicates=replicates, seed=seed, backend=backend)
    u, t = theory.exact_fixation(ploidy * N, s, h, ploidy)
    fixed = int(st.fixed.sum())
    return [Comparison("fixation probability", u, *st.probability, replicates, backend),
            Comparison("mean fixation time | fixation", t, *st.mean_time, fixed, backend)]


def _small_params(N: int, s: float, **kw) -> SweepParams:
    """A short chromosome for checks of the selected site through the full model."""
    return SweepParams(**(dict(N=N, s=s, L=10_000, r=1e-6, mu=1e-6, windows=[0], window=2000,
                               bins=1, ehh_region=2000) | kw))


MAX_GENERATIONS = 1_000_000  # runner steps: a run stops earlier, when its sweep has ended


def _final(params: SweepParams, metrics: tuple[str, ...], *, replicates: int, seed: int,
           backend: str) -> dict[str, np.ndarray]:
    """Run ``replicates`` replicates of the tree-sequence model through the
    runner until each sweep ended; each metric's value at the end, per replicate."""
    res = harness.run_replicates({"domain": "sweep", "params": params.model_dump(mode="json")},
                                 replicates=replicates, seed=seed, backend=backend,
                                 steps=MAX_GENERATIONS, record_every=MAX_GENERATIONS)
    df = res.metrics[res.metrics["series"] == "domain"].sort_values(["replicate", "step"])
    last = df.groupby(["replicate", "metric"])["value"].last().unstack()
    return {m: last[m].to_numpy() for m in metrics}


def check_full_model(N: int, s: float, *, replicates: int, seed: int,
                     backend: str = "numba") -> list[Comparison]:
    """The tree-sequence model's hard sweeps (restarted on loss), through the
    runner: mean sweep duration against the chain's conditional fixation time,
    mean restarts against the geometric mean ``(1 − π)/π``."""
    end = _final(_small_params(N, s), ("sweep_duration", "restarts"), replicates=replicates,
                 seed=seed, backend=backend)
    u, t = theory.exact_fixation(2 * N, s)
    return [Comparison("sweep duration (tree-sequence model)", t,
                       *_mean_se(end["sweep_duration"]), replicates, backend),
            Comparison("restarts before the sweep (tree-sequence model)", (1 - u) / u,
                       *_mean_se(end["restarts"]), replicates, backend)]


# -- soft sweeps -----------------------------------------------------------------------------------
def check_standing(N: int, s: float, x0: float, *, replicates: int, seed: int,
                   backend: str = "numba") -> list[Comparison]:
    """Standing variation at x0 (k = round(2N x0) random copies, each its own
    origin): fixation against independent establishment, 1 − (1 − π_b)^k;
    P(≥ 2 origins | fixation) against independent establishment, K ~
    Binomial(k, π_b), and against its Poisson form with λ = k π_b (Hermisson &
    Pennings 2005)."""
    st = simulate_site(N, s, replicates=replicates, mode="standing", x0=x0, seed=seed,
                       backend=backend)
    M = 2 * N
    k = max(1, round(M * x0))
    pi_b = theory.establishment_probability(M, s)
    fix = 1 - (1 - pi_b) ** k
    binomial = 1 - k * pi_b * (1 - pi_b) ** (k - 1) / fix
    fixed = int(st.fixed.sum())
    return [Comparison(f"P(fixation) from {k} copies", fix, *st.probability, replicates, backend),
            Comparison("P(≥ 2 origins | fixation) vs Binomial(k, π_b)", binomial,
                       *st.multiple_origins, fixed, backend),
            Comparison("P(≥ 2 origins | fixation) vs Poisson(λ = kπ_b)",
                       theory.standing_multiple_origins(k * pi_b), *st.multiple_origins, fixed,
                       backend, approximation=True)]


def check_recurrent(N: int, s: float, theta: float, *, study_replicates: int,
                    domain_replicates: int, seed: int, backend: str = "numba"
                    ) -> tuple[Comparison, Comparison]:
    """Recurrent mutation (Θ = 4Nμ_b): the probability that two copies sampled
    at fixation differ in origin — the batched study against Pennings &
    Hermisson's Θ/(1 + Θ), and the tree-sequence model (through the runner;
    at fixation every copy carries the allele, so its ``p_different_origins``
    is the population's) against the study."""
    mu_b = theta / (4 * N)
    st = simulate_site(N, s, replicates=study_replicates, mode="recurrent", mu_b=mu_b, seed=seed,
                       backend=backend)
    est, est_se = st.different_origins
    study = Comparison("P(different origins) — batched study vs Θ/(1+Θ)",
                       theory.pennings_hermisson(theta), est, est_se, study_replicates, backend,
                       approximation=True)
    params = _small_params(N, s, mode="recurrent", mu_b=mu_b)
    end = _final(params, ("p_different_origins",), replicates=domain_replicates, seed=seed,
                 backend=backend)
    mean, se = _mean_se(end["p_different_origins"])
    domain = Comparison("P(different origins) — tree-sequence model vs the study", est, mean,
                        float(np.hypot(se, est_se)), domain_replicates, backend)
    return study, domain


# -- neutral equilibrium ---------------------------------------------------------------------------
def check_equilibrium(start: str, *, replicates: int, seed: int, backend: str = "numba",
                      **params) -> list[Comparison]:
    """The population at generation 0 (msprime start or forward burn-in): π and
    Watterson's θ against θ = 2Mμ, Tajima's D against 0 (chromosome-wide, a
    sample of ``sample_size``), and the unfolded SFS against ∝ 1/i (i ξ_i / θL
    ≈ 1 in four classes of derived count); means over replicate populations."""
    p = SweepParams(**(dict(N=200, L=100_000, r=1e-6, mu=5e-6, windows=[0], bins=1,
                            sample_size=40, start=start) | params))
    theta = p.theta0()
    pi, tw, D, sfs = [], [], [], []
    for j in range(replicates):
        sim = SweepSimulation(p, get_backend(backend), np.random.SeedSequence(seed, spawn_key=(j,)))
        ts = sim.sample()
        n = ts.num_samples
        pi.append(ts.diversity() / theta)
        tw.append(ts.segregating_sites() / np.sum(1.0 / np.arange(1, n)) / theta)
        D.append(ts.Tajimas_D())
        xi = ts.allele_frequency_spectrum(polarised=True, span_normalise=False)[1:-1]
        sfs.append(xi * np.arange(1, n) / (theta * p.L))
    sfs = np.array(sfs)
    rows = [Comparison(f"{start}: π / 2Mμ", 1.0, *_mean_se(pi), replicates, backend),
            Comparison(f"{start}: θ_W / 2Mμ", 1.0, *_mean_se(tw), replicates, backend),
            Comparison(f"{start}: Tajima's D", 0.0, *_mean_se(D), replicates, backend)]
    for part in np.array_split(np.arange(sfs.shape[1]), 4):
        rows.append(Comparison(f"{start}: i·ξ_i / θL, i = {part[0] + 1}…{part[-1] + 1}", 1.0,
                               *_mean_se(sfs[:, part].mean(axis=1)), replicates,
                               backend))
    return rows


# -- hitchhiking footprint and window statistics ---------------------------------------------------
@dataclass
class Curve:
    """Mean ± SE per distance bin of F(r) and π/π₀ at ``t`` generations after
    the sweep's end, for one tool; the first-order approximation (forward
    runs report it) and the mean sweep duration."""

    tool: str
    t: int
    F: np.ndarray
    F_se: np.ndarray
    pi: np.ndarray
    pi_se: np.ndarray
    duration: float
    replicates: int
    F_theory: np.ndarray | None = None


def _curve(tool: str, t: int, F, pi, durations, F_theory=None) -> Curve:
    F, pi = np.array(F), np.array(pi)
    R = len(F)
    return Curve(tool, t, F.mean(0), F.std(0, ddof=1) / np.sqrt(R), pi.mean(0),
                 pi.std(0, ddof=1) / np.sqrt(R), float(np.mean(durations)), R, F_theory)


def footprint_runs(*, N: int, s: float, L: int, r: float, distance: int, bins: int,
                   times=(0,), replicates: int, seed: int, backend: str = "numba"
                   ) -> dict[int, Curve]:
    """Our hard sweeps through the runner (``params.footprint``), each run
    until the last of ``times`` after fixation: the domain's footprint
    metrics per bin, averaged over replicates, one :class:`Curve` per time."""
    params = dict(N=N, s=s, L=L, r=r, mu=0.0, windows=[0], bins=1, simplify_every=100,
                  footprint={"bins": bins, "distance": distance, "times": list(times)})
    res = harness.run_replicates({"domain": "sweep", "params": params}, replicates=replicates,
                                 seed=seed, backend=backend, steps=MAX_GENERATIONS,
                                 record_every=MAX_GENERATIONS)
    df = res.metrics[res.metrics["series"] == "domain"].sort_values(["replicate", "step"])
    last = df.groupby(["replicate", "metric"])["value"].last().unstack()

    def matrix(name: str, t: int) -> np.ndarray:
        return last[[f"footprint_{name}_t{t}_bin_{k:02d}" for k in range(bins)]].to_numpy()

    return {t: _curve("forward", t, matrix("F", t), matrix("pi", t), last["sweep_duration"],
                      matrix("F_theory", t)[0]) for t in times}


def footprint_external(tool: str, *, N: int, s: float, L: int, r: float, distance: int,
                       bins: int, replicates: int, seed: int, n: int = 50) -> Curve:
    """The footprint at fixation of ``tool`` (fwdpy11: the whole population;
    msprime: ``n`` sampled genomes) through the domain's own
    :func:`.stats.footprint_statistics`. msprime does not report the sweep's
    duration, so its F uses the exact chain's mean fixation time."""
    site = L // 2
    T_exact = theory.exact_fixation(2 * N, s)[1]
    F, P, durations = [], [], []
    for j in range(replicates):
        out = (fwdpy11_sweep(N, s, L, r, site, seed + j) if tool == "fwdpy11"
               else msprime_sweep(N, s, L, r, site, n, seed + j))
        T = out.duration if out.duration is not None else T_exact
        f, pi = footprint_statistics(out.ts, site, distance, bins, (0, T), 4.0 * N)
        F.append(f)
        P.append(pi)
        durations.append(T)
    return _curve(tool, 0, F, P, durations)


WINDOW_STATS = ("tajimas_D", "H12", "H2_H1", "n_haplotypes")


def window_statistics(tool: str, *, replicates: int, seed: int, N: int = 1000, s: float = 0.1,
                      mu: float = 5e-7, r: float = 1e-7, L: int = 100_000, n: int = 50,
                      backend: str = "numba") -> dict[str, tuple[float, float]]:
    """Mean ± SE of Tajima's D, H12, H2/H1 and the number of haplotypes in the
    ±2 kb window around the site, ``n`` genomes sampled at fixation of a hard
    sweep (``forward``, ``msprime``) or at neutral equilibrium (``neutral``),
    all through :func:`.stats.sample_statistics`."""
    import msprime

    site = L // 2
    layout = Layout(L, site, 4000, (0,), 1, 4000)
    rows = {k: [] for k in WINDOW_STATS}
    for j in range(replicates):
        if tool == "forward":
            ts = forward_sweep(SweepParams(N=N, s=s, L=L, r=r, mu=mu, windows=[0]), seed,
                               backend, replicate=j).ts
        elif tool == "msprime":
            ts = msprime_sweep(N, s, L, r, site, n, seed + j).ts
        else:
            ts = msprime.sim_ancestry(samples=n // 2, population_size=N, sequence_length=L,
                                      recombination_rate=r, random_seed=seed + j)
        rng = np.random.default_rng([seed, j])
        sample = np.sort(rng.choice(ts.samples(), n, replace=False))
        ts = with_mutations(ts.simplify(samples=sample), mu, seed + j)
        _, m = sample_statistics(ts, layout)
        for k in WINDOW_STATS:
            rows[k].append(m[k])
    return {k: _mean_se(v) for k, v in rows.items()}


FOOTPRINT = dict(N=1000, s=0.1, L=200_000, r=1e-7, distance=100_000, bins=10)
FOOTPRINT_TIMES = (0, 200, 1000)


def footprint_section(out: Path, R, seed: int, backend: str) -> str:
    """The page's hitchhiking-footprint section and ``sweep_footprint.png``:
    our sweeps through the runner (the domain's ``footprint`` output, at
    fixation and 200 and 1000 generations after) beside fwdpy11 and msprime
    at fixation and the first-order approximation."""
    from . import figures

    after = footprint_runs(times=FOOTPRINT_TIMES, replicates=R(100), seed=seed, backend=backend,
                           **FOOTPRINT)
    fwd = after[0]
    curves = [fwd]
    tools = (("fwdpy11", 100), ("msprime", 300)) if fwdpy11_available() else (("msprime", 300),)
    curves += [footprint_external(tool, replicates=R(n), seed=seed, **FOOTPRINT)
               for tool, n in tools]
    fpy = next((c for c in curves if c.tool == "fwdpy11"), None)
    msp = next(c for c in curves if c.tool == "msprime")
    bins, D = FOOTPRINT["bins"], FOOTPRINT["distance"]
    edges = np.linspace(0, D, bins + 1)
    r_mid = FOOTPRINT["r"] * (edges[:-1] + edges[1:]) / 2
    M, sig = 2 * FOOTPRINT["N"], FOOTPRINT["s"] / 2
    valid = theory.footprint_valid(r_mid, M, sig)
    head = "| d (kb) | r (centre) | F theory | " + " | ".join(
        f"F {c.tool} | π/π₀ {c.tool}" for c in curves) + " | 1 − F theory |"
    lines = [head, "|" + " --- |" * (4 + 2 * len(curves))]
    for k in range(bins):
        cells = [f"{edges[k] / 1000:g}–{edges[k + 1] / 1000:g}", f"{r_mid[k]:.4f}",
                 f"{fwd.F_theory[k]:.3f}{'' if valid[k] else ' (†)'}"]
        for c in curves:
            cells += [f"{c.F[k]:.3f} ± {c.F_se[k]:.3f}", f"{c.pi[k]:.3f} ± {c.pi_se[k]:.3f}"]
        cells.append(f"{1 - fwd.F_theory[k]:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    later = ["| d (kb) | " + " | ".join(f"F, t = {t} | theory | π/π₀, t = {t} | theory"
                                         for t in FOOTPRINT_TIMES[1:]) + " |",
             "|" + " --- |" * (1 + 4 * (len(FOOTPRINT_TIMES) - 1))]
    for k in range(bins):
        cells = [f"{edges[k] / 1000:g}–{edges[k + 1] / 1000:g}"]
        for t in FOOTPRINT_TIMES[1:]:
            c = after[t]
            cells += [f"{c.F[k]:.3f} ± {c.F_se[k]:.3f}", f"{c.F_theory[k]:.3f}",
                      f"{c.pi[k]:.3f} ± {c.pi_se[k]:.3f}", f"{1 - c.F_theory[k]:.3f}"]
        later.append("| " + " | ".join(cells) + " |")
    figures.footprint(curves + [after[t] for t in FOOTPRINT_TIMES[1:]], edges, M, sig,
                      FOOTPRINT["r"], harness.figure_path(out, "sweep_footprint"))
    held = np.flatnonzero(valid)
    z = (fwd.F - fwd.F_theory) / fwd.F_se
    gap = fwd.pi - (1 - fwd.F)

    def minus(a: Curve, b: Curve) -> str:
        return ", ".join(f"{a.pi[i] - b.pi[i]:+.3f} ± {np.hypot(a.pi_se[i], b.pi_se[i]):.3f}"
                         for i in (0, 1))

    return "\n".join([
        "## Hitchhiking footprint",
        "",
        "The footprint is the domain's output (`params.footprint`; the bundled scenario "
        "`sweep_footprint` reports it): N = 1000 diploids, SLiM s = 0.1 (2Nσ = 100, σ = s/2), "
        "r = 1e-7 per bp, 200 kb, the 100 kb on either side of the site in 10 distance bins "
        f"(the two sides pooled), {fwd.replicates} hard sweeps through the runner. Per bin, from "
        "the whole population's tree sequence: F, the fraction of pairs of copies whose "
        "genealogy coalesces during the sweep (onset to fixation), and π/π₀, their mean "
        "pairwise branch length over its neutral value 4N (expected diversity, no mutation "
        "noise). fwdpy11 (the whole population) and msprime's `SweepGenicSelection` (50 "
        "sampled genomes) go through the same statistics code; msprime does not report its "
        "sweep's duration, so its F uses the chain's mean fixation time, "
        f"{theory.exact_fixation(2000, 0.1)[1]:.0f} generations. F theory: the first-order "
        "approximation F(r) ≈ (2Nσ)^(−2r/σ) (Barton 1998; Durrett & Schweinsberg 2004; "
        "`cs.theory.sweep_footprint_F`) averaged over the bin, π/π₀ ≈ 1 − F(r); (†): outside "
        "where it is trusted (F ≥ 0.6).",
        "",
        *lines,
        "",
        "Where the approximation parts from simulation. In the bins where it is trusted, "
        "the forward F is within "
        f"{np.max(np.abs(fwd.F - fwd.F_theory)[held]):.3f} of it (z = "
        + ", ".join(f"{z[i]:+.1f}" for i in held) + "). Further out it is too low: "
        + f"{fwd.F[-1] - fwd.F_theory[-1]:+.3f} in the last bin, because it ignores "
        "coalescences during the sweep outside its start (the sweep lasts "
        f"{fwd.duration:.0f} generations, T_fix/2N ≈ {fwd.duration / M:.2f} of the neutral "
        "coalescence time) and lineages that recombine back onto the beneficial background. "
        "π/π₀ = 1 − F holds only to that order as well: a pair that coalesces during the "
        "sweep still has a branch length of about the sweep's duration, and one that escapes "
        "it often escapes only late, so the simulated π/π₀ exceeds 1 − F(simulated) by "
        + f"{gap.min():.3f}–{gap.max():.3f} across the bins, and 1 − F(theory) by "
        + f"{np.min(fwd.pi - 1 + fwd.F_theory):+.3f} to {np.max(fwd.pi - 1 + fwd.F_theory):+.3f}.",
        "",
        (f"Mean sweep duration: forward {fwd.duration:.0f}"
         + (f", fwdpy11 {fpy.duration:.0f}" if fpy else "") + " generations. msprime minus "
         "forward, π/π₀ in the two bins nearest the site: " + minus(msp, fwd)
         + (f"; fwdpy11 minus forward: {minus(fpy, fwd)}" if fpy else
            " (fwdpy11 was not installed for this page: `pip install fwdpy11`, the test extra, "
            "adds its column)")
         + ". msprime is known to leave more diversity near the site: its structured "
         "coalescent does not force the carriers' lineages to coalesce at the sweep's origin "
         "(msprime issues #1780, #2242; the issue reports 0.03–0.04 for msprime and discoal; "
         "the differences above measure it at these parameters). Its F uses the "
         "chain's mean duration for every replicate, so its F near the site mixes that effect "
         "with the spread of msprime's sweep durations."),
        "",
        "After fixation (the same runs, 200 and 1000 generations later): F counts the pairs "
        "whose genealogy coalesces during the sweep, which a pair reaches uncoalesced with "
        "e^{−t/2N}, so theory is F(r)·e^{−t/2N} and π/π₀ ≈ 1 − F(r)·e^{−t/2N}:",
        "",
        *later,
        "",
        "![footprint](figures/sweep_footprint.png)",
    ])


# -- the reproduction page -------------------------------------------------------------------------
@protocol("sweep", "verification", default=True,
          description="fixation, soft sweeps, neutral equilibrium, the hitchhiking footprint "
                      "beside msprime and fwdpy11, window statistics, figures (~15 min)")
def verification(out: Path, *, seed: int, backend: str, scale: float = 1.0) -> Path:
    """Run every comparison and write ``sweep.md`` and its figures under ``out``;
    ``scale`` < 1 shrinks every replicate count (at least 5; a smoke run, not
    for publication)."""
    from . import figures

    out = Path(out)
    R = lambda n: max(5, int(n * scale))  # noqa: E731
    started = time.perf_counter()
    sections = []

    # neutral equilibrium
    eq_rows = (check_equilibrium("msprime", replicates=R(100), seed=seed, backend=backend)
               + check_equilibrium("forward", replicates=R(40), seed=seed, backend=backend, N=50,
                                   burn_in=500))
    sections.append("\n".join([
        "## Neutral equilibrium before selection",
        "",
        "Generation 0 of N = 200 diploids (forward burn-in: N = 50, 10N generations, "
        "recapitated by msprime), 100 kb, μ = 5e-6 and r = 1e-6 per bp, samples of 40 genomes "
        "with neutral mutations laid on their genealogy. θ = 2Mμ = 4Nμ. Tajima's D has mean "
        "≈ 0 but not exactly 0 under neutrality; the SFS classes pool derived counts.",
        "",
        harness.table(eq_rows, 4),
    ]))

    # fixation against the exact chain
    fix_rows, extra = [], []
    for label, (N, s, h, ploidy, reps) in {
        "haploid M = 1000, s = 0.05": (1000, 0.05, 0.5, 1, 40_000),
        "diploid N = 1000, SLiM s = 0.1, h = 0.5": (1000, 0.1, 0.5, 2, 20_000),
        "diploid N = 250, s = 0.2, h = 0.2": (250, 0.2, 0.2, 2, 10_000),
        "diploid N = 10, neutral": (10, 0.0, 0.5, 2, 20_000),
    }.items():
        rows = check_fixation(N, s, h, ploidy, replicates=R(reps), seed=seed, backend=backend)
        for c in rows:
            c.quantity = f"{label}: {c.quantity}"
        fix_rows += rows
        M = ploidy * N
        sig = s if ploidy == 1 else h * s  # early-phase per-copy advantage (s/2 if additive)
        additive = ploidy == 1 or h == 0.5
        if s > 0:
            formula = f"{theory.sweep_time(M, sig):.1f}" if additive else "—"
            extra.append(f"| {label} | {rows[0].reference:.5f} | "
                         f"{theory.diffusion_fixation_probability(M, s, h, ploidy):.5f} | "
                         f"{2 * sig:.3f} | {rows[0].estimate:.5f} ± {rows[0].se:.5f} | "
                         f"{rows[1].reference:.1f} | {formula} | "
                         f"{rows[1].estimate:.1f} ± {rows[1].se:.1f} |")
    full = check_full_model(1000, 0.1, replicates=R(100), seed=seed, backend=backend)
    sections.append("\n".join([
        "## Fixation against the exact Wright–Fisher chain",
        "",
        "One new beneficial copy; the fixation probability and the mean fixation time given "
        "fixation from the batched site study (`study.simulate_site`: the model's own "
        "reproduction operators, R populations at once) against the exact chain of the drift "
        "domain with this domain's diploid selection map. Kimura's diffusion value, 2σ and the "
        "sweep-time formula (2/σ)(ln 2Mσ + γ − 1/(2Mσ)) beside them.",
        "",
        harness.table(fix_rows),
        "",
        "| case | exact P(fix) | diffusion | 2σ | simulated | exact T(fix) | formula | simulated |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *extra,
        "",
        "The formula is within 2 % of the haploid chain for 2Mσ ≥ 20; the diploid chain "
        "(N = 1000, s = 0.1: 241.8 generations) is 2.9 % slower than the formula (234.8), "
        "because the additive diploid's mean fitness 1 + 2σp slows the last phase. The diploid "
        "individual-based model (genotypes formed by pairing gametes) departs from the chain "
        "by O(1/N) (at N = 25, h = 0.2 its fixation probability is 6 % lower); from N ≈ 250 "
        "the difference is below the statistical resolution.",
        "",
        "The tree-sequence model itself (`SweepSimulation`, N = 1000, s = 0.1, 200 kb, "
        "restarted on loss), sweep duration and restarts:",
        "",
        harness.table(full),
    ]))

    # soft sweeps
    standing = [c for x0 in (0.0025, 0.005)
                for c in check_standing(1000, 0.1, x0, replicates=R(3000), seed=seed,
                                          backend=backend)]
    recurrent = [check_recurrent(1000, 0.1, th, study_replicates=R(1500),
                                 domain_replicates=R(60), seed=seed, backend=backend)
                 for th in (0.1, 1.0)]
    sections.append("\n".join([
        "## Soft sweeps",
        "",
        "Standing variation at x0 = 0.0025 and 0.005 in N = 1000 (k = 5 and 10 random copies, "
        "each its own origin; s = 0.1, π_b = 0.0937 from the chain, λ = kπ_b = 0.47 and 0.94):",
        "",
        harness.table(standing, 4),
        "",
        "Fixation from k copies matches independent establishment, 1 − (1 − π_b)^k. The "
        "issue's Poisson form of P(≥ 2 origins | fixation), 1 − λe^{−λ}/(1 − e^{−λ}), "
        "overstates the independent-establishment value Binomial(k, π_b) for so few copies, "
        "and the forward model sits below the binomial value too ("
        + " and ".join(f"{standing[i].reference - standing[i].estimate:.3f} for k = {k}"
                       for i, k in ((1, 5), (4, 10)))
        + "): the lineages do not establish independently at finite Mσ (one that "
        "establishes late grows against a mean fitness already raised by the others), as "
        "forward simulations fall below Pennings & Hermisson's formula for recurrent mutation.",
        "",
        "Recurrent mutation, N = 1000, s = 0.1 (Θ = 4Nμ_b): Pennings & Hermisson's "
        "Θ/(1 + Θ) beside our large-replicate estimate (batched site study), and the "
        "tree-sequence model against that estimate:",
        "",
        harness.table([c for pair in recurrent for c in pair], 4),
        "",
        "The forward estimate sits "
        + " and ".join(f"{1 - s.estimate / s.reference:.0%} (Θ = {th})" for (s, _), th
                       in zip(recurrent, (0.1, 1.0)))
        + " below the formula (the issue expects 8–12 % at Θ = 0.1–1). msprime cannot "
        "serve here: its sweeps from standing variation are wrong (msprime issue #1762) and it "
        "has no recurrent-mutation sweep.",
    ]))

    # footprint
    sections.append(footprint_section(out, R, seed, backend))

    # window statistics
    ws = {tool: window_statistics(tool, replicates=R(n), seed=seed, backend=backend)
          for tool, n in (("forward", 100), ("msprime", 300), ("neutral", 300))}
    issue = {"forward": (-1.6, 0.60, 0.11, 10), "msprime": (None,) * 4,
             "neutral": (0.0, 0.19, 0.54, 17)}
    lines = ["| sample | Tajima's D | H12 | H2/H1 | haplotypes |",
             "| --- | --- | --- | --- | --- |"]
    for tool, row in ws.items():
        cells = []
        for stat, ref in zip(WINDOW_STATS, issue[tool]):
            m, se = row[stat]
            cells.append(f"{m:.3f} ± {se:.3f}" + (f" ({ref:g})" if ref is not None else ""))
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    sections.append("\n".join([
        "## Window statistics after a hard sweep",
        "",
        "±2 kb around the site, n = 50 genomes sampled at fixation, N = 1000, SLiM s = 0.1, "
        "μ = 5e-7 and r = 1e-7 per bp, through the same statistics code (`stats."
        "sample_statistics`: tskit's Tajima's D, scikit-allel's Garud H statistics). In "
        "parentheses, the issue's reference values.",
        "",
        *lines,
    ]))

    figures.trajectories(harness.figure_path(out, "sweep_trajectory"), seed, backend)
    figures.valley(harness.figure_path(out, "sweep_valley"), seed, backend)
    figures.haplotype_bars(harness.figure_path(out, "sweep_haplotypes"), seed, backend)
    sections.append("\n".join([
        "## Figures",
        "",
        "Frequency trajectories (hard, soft from standing variation, soft from recurrent "
        "mutation, partial):",
        "",
        "![trajectories](figures/sweep_trajectory.png)",
        "",
        "The diversity valley along the chromosome (expected π/π₀ from the tree sequence of 200 "
        "sampled genomes) at the onset, during and at the end of a hard sweep:",
        "",
        "![valley](figures/sweep_valley.png)",
        "",
        "Haplotype frequencies in the ±2 kb window around the site before and after a hard "
        "and a soft sweep (one tall bar against several):",
        "",
        "![haplotypes](figures/sweep_haplotypes.png)",
    ]))

    intro = ("**Convention.** Genotype fitnesses 1 : 1 + hs : 1 + s (SLiM, msprime, fwdpy11 "
             "`Multiplicative(1)`), σ = s/2 the per-copy advantage for h = ½. Kimura's genic "
             "1 : 1 + s : 1 + 2s has s_Kimura = s/2; discoal's α = 2N s_Kimura = N s. Every "
             "number below is in SLiM's convention.")
    if scale != 1.0:
        intro += f" This page: replicate counts scaled by {scale:g} — a smoke run, not for publication."
    head = harness.header("Reproduction: selective sweeps (`sweep`)", "sweep",
                          protocol=None, seed=seed, backend=backend, started=started, intro=intro)
    return harness.write_page(out, "sweep", head, sections + [SCENARIOS_AND_GAPS, REFERENCES])


SCENARIOS_AND_GAPS = """## Bundled scenarios

`collapsesim run scenarios/NAME.yaml` (N = 1000, 200 kb, r = 1e-7, μ = 5e-7, s = 0.1 unless
stated; full-scale versions at N = 10⁴, 1 Mb under `scenarios/full/`):

| scenario | what |
| --- | --- |
| `sweep_bottleneck` | N drops to 100 for 100 generations; a hard sweep 50 generations later |
| `sweep_footprint` | a hard sweep reporting its footprint per 10 kb bin at fixation and 200 and 1000 generations after |
| `sweep_hard` | one new copy, restarted on loss (the suite's collapsing configuration) |
| `sweep_partial` | a new copy followed to frequency 0.5, recorded 20 generations more |
| `sweep_soft_recurrent` | recurrent mutation, Θ = 1 |
| `sweep_soft_standing` | standing variation at x0 = 2 % (the suite's remedied one) |
| `sweep_strong` / `sweep_weak` | s = 0.5 / s = 0.01 |

Trees and VCF: `collapsesim run sweep_hard --set params.export=true --out runs/hard`
writes `runs/hard/replicates/<j>/trees.trees` and `genotypes.vcf` per replicate (1-based VCF
positions, neutral JC69 mutations at rate μ laid on the whole population, the selected site as
0/1).

## Gaps

* Gene conversion is not modelled (the issue makes it optional, off by default).
* Standing variation maintained by mutation–selection–drift (Hermisson & Pennings 2005,
  eq. 8) is not implemented: standing variation is either placed at x0 or drifted neutrally
  to x0 from one copy.
* Kimura's diffusion and the exact chain differ by 0.0015 at haploid M = 1000, s = 0.05;
  separating them by a test that cannot fail by chance needs ~340 000 replicates, which the
  page does not run (it separates them at M = 20, s = 0.5 in the default tests).
* CUDA is untested (no GPU in the sessions that built this domain).
"""


REFERENCES = """## References

Barton (1998) Genet. Res. 72:123; Barton (2000) Phil. Trans. R. Soc. B 355:1553;
Braverman et al. (1995) Genetics 140:783; Ewens (2004) *Mathematical Population Genetics*;
Fay & Wu (2000) Genetics 155:1405; Ferrer-Admetlla et al. (2014) Mol. Biol. Evol. 31:1275;
Garud et al. (2015) PLoS Genet. 11:e1005004; Haller et al. (2019) Mol. Ecol. Resour. 19:552;
Hermisson & Pennings (2005) Genetics 169:2335; Kaplan, Hudson & Langley (1989) Genetics
123:887; Kelleher et al. (2018) PLoS Comput. Biol. 14:e1006581; Kern & Schrider (2016)
Bioinformatics 32:3839; Kimura (1962) Genetics 47:713; Maynard Smith & Haigh (1974) Genet.
Res. 23:23; Pennings & Hermisson (2006) PLoS Genet. 2:e186; Voight et al. (2006) PLoS Biol.
4:e72.
"""
