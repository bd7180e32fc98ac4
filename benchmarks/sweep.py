"""The sweep section: CPU time per fixed hard sweep and generations per second
with tree-sequence recording, beside fwdpy11 on the same machine and
parameters (1 Mb chromosome; N = 10³: r = 1e-7, s = 0.1; N = 10⁴ and 10⁵:
r = 1e-8, s = 0.02 — the issue's SLiM anchors).

A fixed sweep is timed from the msprime equilibrium start to fixation,
restarts on loss included (both tools restart from the state saved when the
mutation entered); CPU time (``time.process_time``), since the machine is
shared. Generations per second are neutral generations of the same
population, simplification every 100 generations included, the start not.

fwdpy11 and msprime run in a subprocess under the interpreter named by
``COLLAPSESIM_FWDPY11_PYTHON`` (``benchmarks/setup_peers.sh``): the functions
:func:`fwdpy11_sweep_seconds`, :func:`fwdpy11_generations_per_second` and
:func:`msprime_sweeps_per_second` are what it runs. msprime's
``SweepGenicSelection`` is a different algorithm — the structured coalescent
backwards in time, conditioned on a deterministic-logistic-like trajectory of
the sweeping allele, for a sample of n genomes only — so its replicates per
second are a yardstick of what a coalescent user pays, not the same work.
"""

from __future__ import annotations

import time

import numpy as np

from collapsesim.domains.sweep.model import SweepSimulation
from collapsesim.domains.sweep.params import SweepParams
from collapsesim.engine import get_backend
from collapsesim.reproductions.sweep.external import forward_sweep, fwdpy11_sweep

from . import peers, scaling, section
from .timing import Settings, fmt_time

VAR = "COLLAPSESIM_FWDPY11_PYTHON"
MSPRIME_SAMPLES = 100  # genomes (50 diploids) sampled at the end of the sweep

ANCHORS = {1000: "SLiM 5.2 ≈ 0.20 s, fwdpy11 ≈ 0.53 s", 10_000: "SLiM 5.2 ≈ 14 s"}


def _params(N: int, **kw) -> SweepParams:
    r, s = (1e-7, 0.1) if N <= 1000 else (1e-8, 0.02)
    return SweepParams(**(dict(N=N, L=1_000_000, r=r, s=s, mu=0.0, windows=[0],
                               simplify_every=100) | kw))


def _generations_per_second(N: int, backend: str, generations: int) -> float:
    sim = SweepSimulation(_params(N, onset=10**9), get_backend(backend), np.random.SeedSequence(1))
    c0 = time.process_time()
    for _ in range(generations):
        sim.step()
    sim.rec.flush()
    return generations / (time.process_time() - c0)


PARTS = ("edges (assemble_gametes)", "tables and simplify (tskit)", "the rest (parents, meiosis)")


def generation_parts(N: int, generations: int) -> dict[str, float]:
    """CPU seconds per neutral generation (numba) of each part of :data:`PARTS`:
    assembling the generation's edges (the engine's ``assemble_gametes``),
    adding them to tskit's tables with the simplification every
    ``simplify_every`` generations (``Recorder.add_generation``), and the rest
    of the step. Timed after two simplification intervals (compiled, the tables
    at their size), over ``generations`` (a multiple of the interval)."""
    from collapsesim.domains.sweep import model, treeseq

    spent = dict.fromkeys(PARTS[:2], 0.0)

    def timed(fn, part):
        def wrapper(*a, **k):
            c0 = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                spent[part] += time.process_time() - c0
        return wrapper

    originals = (model.assemble, treeseq.Recorder.add_generation)
    model.assemble = timed(originals[0], PARTS[0])
    treeseq.Recorder.add_generation = timed(originals[1], PARTS[1])
    try:
        sim = SweepSimulation(_params(N, onset=10**9), get_backend("numba"), np.random.SeedSequence(1))
        for _ in range(2 * sim.params.simplify_every):
            sim.step()
        spent.update(dict.fromkeys(spent, 0.0))
        c0 = time.process_time()
        for _ in range(generations):
            sim.step()
        total = time.process_time() - c0
    finally:
        model.assemble, treeseq.Recorder.add_generation = originals
    return {**{k: v / generations for k, v in spent.items()},
            PARTS[2]: (total - sum(spent.values())) / generations}


def fwdpy11_generations_per_second(N: int, generations: int) -> float:
    """Neutral generations per second of fwdpy11 (run in the peer's environment)."""
    import fwdpy11
    import msprime

    p = _params(N)
    ts = msprime.sim_ancestry(samples=N, population_size=N, sequence_length=p.L,
                              recombination_rate=p.r, random_seed=1)
    pop = fwdpy11.DiploidPopulation.create_from_tskit(ts)
    params = fwdpy11.ModelParams(
        recregions=[fwdpy11.PoissonInterval(0, p.L, p.r * p.L)], gvalue=fwdpy11.Multiplicative(1.0),
        rates=(0, 0, None), simlen=generations,
        demography=fwdpy11.ForwardDemesGraph.tubes([N], burnin=generations, burnin_is_exact=True))
    c0 = time.process_time()
    fwdpy11.evolvets(fwdpy11.GSLrng(1), pop, params, simplification_interval=100)
    return generations / (time.process_time() - c0)


def _sweeps(N: int, backend: str, replicates: int) -> list[float]:
    return [forward_sweep(_params(N), seed=1, backend=backend, replicate=j).cpu_s
            for j in range(replicates)]


def fwdpy11_sweep_seconds(N: int, replicates: int) -> list[float]:
    """CPU seconds per fixed sweep of fwdpy11 (run in the peer's environment)."""
    p = _params(N)
    return [fwdpy11_sweep(N, p.s, p.L, p.r, p.position, seed=1 + j).cpu_s
            for j in range(replicates)]


def msprime_sweeps_per_second(N: int, replicates: int) -> float:
    """Replicates per second (CPU) of msprime's ``SweepGenicSelection`` (structured
    coalescent through a hard sweep at the middle of the chromosome, then the
    standard coalescent) for a sample of ``MSPRIME_SAMPLES`` genomes, same N, s, r, L."""
    import msprime

    p = _params(N)
    model = [msprime.SweepGenicSelection(position=p.L // 2, start_frequency=1 / (2 * N),
                                         end_frequency=1 - 1 / (2 * N), s=p.s, dt=1e-6),
             msprime.StandardCoalescent()]
    c0 = time.process_time()
    for _ in msprime.sim_ancestry(samples=MSPRIME_SAMPLES // 2, population_size=N,
                                  sequence_length=p.L, recombination_rate=p.r, model=model,
                                  random_seed=1, num_replicates=replicates):
        pass
    return replicates / (time.process_time() - c0)


def _cell(times: list[float]) -> str:
    if not times:
        return "—"
    sd = f" ± {fmt_time(float(np.std(times, ddof=1)))}" if len(times) > 1 else ""
    return f"{fmt_time(float(np.mean(times)))}{sd} ({len(times)})"


@section("sweep")
def sweep_section(settings: Settings) -> str:
    have_peer = peers.python(VAR) is not None
    missing = peers.MISSING
    plan = ({1000: (2, 100)} if settings.quick else
            {1000: (10, 300), 10_000: (3, 100), 100_000: (0, 100)})
    backends = ("numba", "torch")
    sweep_rows = ["| N | " + " | ".join(f"collapsesim {b}" for b in backends)
                  + " | fwdpy11 | anchors (issue) | msprime SweepGenicSelection (n = "
                  f"{MSPRIME_SAMPLES}), replicates/s |", "|---|" + "---|" * (len(backends) + 3)]
    rate_rows = ["| N | " + " | ".join(f"collapsesim {b}" for b in backends) + " | fwdpy11 |",
                 "|---|" + "---|" * (len(backends) + 1)]
    for N, (reps, gens) in plan.items():
        if reps:
            ours = [_cell(_sweeps(N, b, reps)) for b in backends]
            theirs = (_cell(peers.call(VAR, "sweep:fwdpy11_sweep_seconds", N=N, replicates=reps))
                      if have_peer else missing)
            ms = (f"{peers.call(VAR, 'sweep:msprime_sweeps_per_second', N=N, replicates=max(reps, 20)):,.1f}"
                  if have_peer else missing)
            sweep_rows.append(f"| 10^{round(np.log10(N))} | " + " | ".join(ours)
                              + f" | {theirs} | {ANCHORS.get(N, '—')} | {ms} |")
        rates = {b: _generations_per_second(N, b, gens) for b in backends}
        for b in backends:
            scaling.record("sweep", f"{b}, CPU s per neutral generation", N, 1 / rates[b])
        theirs = (f"{peers.call(VAR, 'sweep:fwdpy11_generations_per_second', N=N, generations=gens):,.0f}"
                  if have_peer else missing)
        rate_rows.append(f"| 10^{round(np.log10(N))} | " + " | ".join(f"{rates[b]:,.0f}" for b in backends)
                         + f" | {theirs} |")
    simplify = _params(1000).simplify_every
    parts = {N: generation_parts(N, simplify if N >= 100_000 or settings.quick else 3 * simplify) for N in plan}
    shares = {N: 1 - p[PARTS[2]] / sum(p.values()) for N, p in parts.items() if N <= 10_000}
    part_rows = ["| N | " + " | ".join(PARTS) + " | total |", "|---|" + "---|" * (len(PARTS) + 1)]
    for N, p in parts.items():
        part_rows.append(f"| 10^{round(np.log10(N))} | " + " | ".join(fmt_time(p[k]) for k in PARTS)
                         + f" | {fmt_time(sum(p.values()))} |")
    sizes = sorted(parts)
    growth = [f"from 10^{round(np.log10(a))} to 10^{round(np.log10(b))}: " + ", ".join(
        f"{k.split(' (')[0]} {parts[b][k] / parts[a][k]:.3g}×" for k in PARTS)
        + f", total {sum(parts[b].values()) / sum(parts[a].values()):.3g}× (N {b // a}×)"
        for a, b in zip(sizes, sizes[1:])]
    lines = [
        "## Sweep",
        "",
        "CPU time per fixed hard sweep with tree-sequence recording, 1 Mb (mean ± SD over "
        "(replicates); the msprime equilibrium start and the restarts on loss included). "
        "N = 10³: r = 1e-7, s = 0.1; N = 10⁴: r = 1e-8, s = 0.02 (SLiM's convention, "
        "h = ½). fwdpy11 runs `conditional_models.selective_sweep` with the same start, "
        f"parameters and simplification interval (100), under `{VAR}` "
        f"({peers.versions(VAR, ('fwdpy11', 'msprime'))}). The last column is a different "
        "algorithm: msprime's `SweepGenicSelection`, the structured coalescent through a sweep "
        f"(same N, s, r, L) for a sample of {MSPRIME_SAMPLES} genomes only — what a coalescent "
        "simulation of the same sweep costs, not the same work.",
        "",
        *sweep_rows,
        "",
        "Neutral generations per second (CPU) with tree-sequence recording, 1 Mb, "
        "simplification every 100 generations:",
        "",
        *rate_rows,
        "",
        "Every row times whole simplification intervals (300 generations at N = 10³, 100 above), "
        "from the msprime start, so that each amortises its simplifications alike. "
        "Threads: numba 1, torch 1 (set by `python -m benchmarks`); fwdpy11 is single-threaded. "
        "CUDA untested (no GPU in this session).",
        "",
        "Where a neutral generation's CPU time goes (numba; per generation, after two "
        "simplification intervals, over whole intervals):",
        "",
        *part_rows,
        "",
        ("Growth " + "; ".join(growth) + ". " if growth else "")
        + "The parts that can grow faster than N: the edges (the "
        "engine's `assemble_gametes`, a counting sort of the 2N gametes' edges by parent — scattered "
        "writes whose working set leaves the cache between these sizes, as the engine section's rows "
        "of the operator show) and tskit's `simplify`, which works on the whole population's ancestry: "
        "the msprime start alone holds ≈ 4NrL·ln 2N trees (Hudson), N log N. The scaling section's "
        "sweep slopes are these totals.",
        "",
        f"Why the replicates are not batched on a GPU (the issue's ≥ 100 fixed sweeps/s at N = 10³ "
        f"on CUDA): building the tree sequence on the host — the generation's edges, added to "
        f"tskit's tables and simplified every {simplify} generations — takes "
        + ", ".join(f"{100 * share:.0f} % (N = 10^{round(np.log10(N))})" for N, share in shares.items())
        + " of a neutral generation's CPU time (numba), and tskit's tables and `simplify` exist "
        "only on the host, one replicate at a time. Moving the rest to a device leaves that part: "
        "at most "
        + " and ".join(f"{1 / share:.1f}× (N = 10^{round(np.log10(N))})" for N, share in shares.items())
        + " faster per replicate and host core (Amdahl): the fixed sweep at N = 10³ above would "
        "still cost its recording share on a host core, short of 100 sweeps/s per core. A batched "
        "device path would have to drop or defer the tree "
        "sequence; the domain's observations (haplotype windows, π, θ_W, nSL/iHS, the founders "
        "of the tree) need it, so it was not built.",
    ]
    return "\n".join(lines) + "\n"
