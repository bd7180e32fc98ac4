"""The ``ga`` section: one GA generation on 100-D Rastrigin, per backend, beside
DEAP's ``eaSimple`` and EvoTorch's ``GeneticAlgorithm`` when they are installed.

A generation is tournament selection (k = 3, contestants with replacement),
Gaussian mutation of every coordinate (σ = 0.01 of the range) and evaluation of
the N children — as the ``ga`` domain runs it (``GASimulation.step``: also
clipping into the box and the genealogy update), at N = 10³ … 10⁶. The batched
row times the domain's batched replicates: one step of R = 100 replicates of
N = 1000 built as one simulation (what the runner builds for a run of 100
replicates: every draw made per replicate from its own generator; at this size
five blocks of 20 replicates, each one (20·N, D) population, as the domain
keeps every array under 16 MiB) against 100 steps of lone replicates. DEAP and
EvoTorch are benchmark-only dependencies: they run in a subprocess under the
interpreter named by ``COLLAPSESIM_DEAP_PYTHON`` (an environment on top of the
system packages, built by ``benchmarks/setup_peers.sh``), which times them
with the same round-robin best-of (:func:`peer_seconds`); unset, their columns read "—".
DEAP's generation is ``eaSimple(pop, tb, cxpb=0, mutpb=1, ngen=1)`` with
``selTournament(tournsize=3)`` and ``mutGaussian(indpb=1)``; EvoTorch's is one
``GeneticAlgorithm.step()`` with a ``GaussianMutation`` operator, whose survivor
selection keeps the best N of parents and children (not a tournament); a third
peer column does the domain's own work with EvoTorch's operators (its functional
``tournament``, ``GaussianMutation``, the problem's evaluation).
"""

from __future__ import annotations

import numpy as np
import torch

from collapsesim.engine import get_backend
from collapsesim.problems import rastrigin
from collapsesim.problems.functions import rastrigin as rastrigin_function

from . import peers, scaling, section
from .timing import Settings, fmt_time, replicate, spread_ratio, time_samples

VAR = "COLLAPSESIM_DEAP_PYTHON"

DIM = 100
SIGMA = 0.01 * 10.24  # 1 % of Rastrigin's range [−5.12, 5.12]


def _backends() -> list[tuple[str, str, str]]:
    out = [("numpy", "numpy", "cpu"), ("numba", "numba", "cpu"), ("torch", "torch", "cpu")]
    if torch.cuda.is_available():
        out.append(("torch cuda", "torch", "cuda"))
    return out


SYNC = torch.cuda.synchronize if torch.cuda.is_available() else None


def _config(backend: str, device: str, n: int) -> dict:
    return {"domain": "ga", "steps": 1, "backend": backend, "device": device,
            "params": {"problem": "rastrigin", "dim": DIM, "N": n,
                       "selection": {"kind": "tournament", "k": 3},
                       "mutation": {"kind": "gaussian", "sigma": 0.01, "rate": 1.0}}}


def _domain_step(backend: str, device: str, n: int):
    return replicate(_config(backend, device, n), steps=1).step


def _batched_step(backend: str, device: str, replicates: int, n: int):
    """One step of the domain's batched simulation of ``replicates`` replicates
    (seeds ``SeedSequence(1, spawn_key=(j,))``, as a run of seed 1 builds them)."""
    from collapsesim.config import load
    from collapsesim.registry import get_domain

    cfg = load(_config(backend, device, n))
    seeds = [np.random.SeedSequence(1, spawn_key=(j,)) for j in range(replicates)]
    return get_domain("ga")().build(cfg.params, backend=get_backend(backend, device), seeds=seeds,
                                    steps=1).step


def _deap_step(n: int):
    try:
        from deap import algorithms, base, creator, tools
    except ImportError:
        return None
    if not hasattr(creator, "RastriginMax"):
        creator.create("RastriginMax", base.Fitness, weights=(1.0,))
        creator.create("RastriginInd", list, fitness=creator.RastriginMax)
    rng = np.random.default_rng(0)
    tb = base.Toolbox()
    tb.register("evaluate", lambda ind: (float(rastrigin(DIM).evaluate(np.asarray(ind))),))
    tb.register("mate", tools.cxOnePoint)
    tb.register("mutate", tools.mutGaussian, mu=0.0, sigma=SIGMA, indpb=1.0)
    tb.register("select", tools.selTournament, tournsize=3)
    pop = [creator.RastriginInd(row) for row in rng.uniform(-5.12, 5.12, (n, DIM)).tolist()]
    for ind in pop:
        ind.fitness.values = tb.evaluate(ind)
    return lambda: algorithms.eaSimple(pop, tb, cxpb=0.0, mutpb=1.0, ngen=1, verbose=False)


def _evotorch_step(n: int):
    try:
        from evotorch import Problem
        from evotorch.algorithms import GeneticAlgorithm
        from evotorch.operators import GaussianMutation
    except ImportError:
        return None
    def fitness(x):  # EvoTorch hands over a tensor subclass; evaluate it as a plain tensor
        return rastrigin_function(x.as_subclass(torch.Tensor), torch)

    problem = Problem("max", fitness, solution_length=DIM, initial_bounds=(-5.12, 5.12),
                      bounds=(-5.12, 5.12), vectorized=True, dtype=torch.float64, seed=0)
    ga = GeneticAlgorithm(problem, popsize=n, operators=[GaussianMutation(problem, stdev=SIGMA)])
    ga.step()
    return ga.step


def _evotorch_operators_step(n: int):
    """The same work as the domain's generation with EvoTorch's own operators:
    ``operators.functional.tournament`` (N winners of tournaments of 3),
    ``GaussianMutation`` (every coordinate, clipped into the problem's bounds)
    and the problem's vectorised evaluation of the N children."""
    try:
        import evotorch.operators.functional as F
        from evotorch import Problem
        from evotorch.operators import GaussianMutation
    except ImportError:
        return None

    def fitness(x):
        return rastrigin_function(x.as_subclass(torch.Tensor), torch)

    problem = Problem("max", fitness, solution_length=DIM, initial_bounds=(-5.12, 5.12),
                      bounds=(-5.12, 5.12), vectorized=True, dtype=torch.float64, seed=0)
    mutate = GaussianMutation(problem, stdev=SIGMA)
    population = [problem.generate_batch(n)]
    problem.evaluate(population[0])

    def step():
        batch = population[0]
        # plain tensors: the functional tournament's vmap cannot read EvoTorch's read-only views
        winners = F.tournament(batch.values.as_subclass(torch.Tensor),
                               batch.evals[:, 0].as_subclass(torch.Tensor), num_tournaments=n,
                               tournament_size=3, objective_sense="max", return_indices=True)
        children = mutate(batch[winners])
        problem.evaluate(children)
        population[0] = children

    step()
    return step


def peer_seconds(n: int, budget: float, deap: bool, operators: bool) -> dict[str, list[float]]:
    """Timings of one DEAP and one EvoTorch generation at N = ``n`` (DEAP only
    when ``deap``; EvoTorch's operators doing the domain's work only when
    ``operators``), run in the peers' environment by :func:`benchmarks.peers.call`."""
    torch.set_num_threads(1)
    fns = {"EvoTorch GA": _evotorch_step(n)}
    if operators:
        fns["EvoTorch operators"] = _evotorch_operators_step(n)
    if deap:
        fns["DEAP eaSimple"] = _deap_step(n)
    return time_samples({k: f for k, f in fns.items() if f is not None}, budget, max_reps=5)


@section("ga")
def ga_section(settings: Settings) -> str:
    sizes = (10**3, 10**4) if settings.quick else (10**3, 10**4, 10**5, 10**6)
    budget = 0.3 if settings.quick else 1.5
    peer_cols = ("DEAP eaSimple", "EvoTorch GA", "EvoTorch operators")
    cols = [label for label, _, _ in _backends()] + list(peer_cols)
    rows, samples = {}, {}
    for n in sizes:
        fns = {label: _domain_step(backend, device, n) for label, backend, device in _backends()}
        times = time_samples(fns, budget, max_reps=5, sync=SYNC)
        times |= peers.call(VAR, "ga:peer_seconds", n=n, budget=budget,
                            deap=n <= (10**3 if settings.quick else 10**4),
                            operators=n <= (10**3 if settings.quick else 10**5)) or {}
        for label, _, _ in _backends():
            scaling.record("ga", f"{label}, s per generation", n, min(times[label]))
        samples[n] = times
        rows[n] = {c: min(times[c]) if c in times else np.nan for c in cols}
    reps, n_b = (20, 10**3) if settings.quick else (100, 10**3)
    batched = {}
    for label, backend, device in _backends():
        t = time_samples({"one": _domain_step(backend, device, n_b),
                          "together": _batched_step(backend, device, reps, n_b)}, budget, max_reps=5, sync=SYNC)
        batched[label] = ([reps * x for x in t["one"]], t["together"])
    lines = [
        "## ga: one generation on 100-D Rastrigin",
        "",
        "Tournament selection (k = 3) + Gaussian mutation of every coordinate + evaluation of N "
        "children, as `GASimulation.step` runs it (clipping and genealogy included). Best of up to "
        "five calls after a warm-up; numba and torch on one thread. DEAP and EvoTorch as described "
        f"in `benchmarks/ga.py`, run under `{VAR}` ({peers.versions(VAR, ('deap', 'evotorch'))}; "
        "— where not set up; DEAP only up to N = 10⁴: its per-individual Python objects make larger "
        "populations minutes per generation). EvoTorch's GA keeps the best N of parents and "
        "children instead of a tournament, so its work differs slightly; \"EvoTorch operators\" "
        "is the same work as ours with EvoTorch's own operators (its functional `tournament`, "
        "`GaussianMutation` and the problem's vectorised evaluation; up to N = 10⁵: its "
        "tournament takes seconds beyond) — the issue's bar is ≥ 2× against it. CUDA: "
        + ("measured." if torch.cuda.is_available() else "untested (no GPU on this machine)."),
        "",
        "| N | " + " | ".join(cols) + " | DEAP / numba | EvoTorch / numba | EvoTorch operators / "
        "numba | best backend: evaluations/s |",
        "|---" * (len(cols) + len(peer_cols) + 2) + "|",
    ]
    labels = [label for label, _, _ in _backends()]
    for n, row in rows.items():
        ours = {k: row[k] for k in labels}
        fastest = min(ours, key=ours.get)
        cells = " | ".join(fmt_time(row[c]) if np.isfinite(row[c]) else "—" for c in cols)
        vs = " | ".join(spread_ratio(samples[n][c], samples[n]["numba"]) if c in samples[n] else "—"
                        for c in peer_cols)
        lines.append(f"| {n:,} | {cells} | {vs} | {fastest}: {n / ours[fastest]:,.3g} |")
    lines += ["", (f"Batched replicates: one step of the domain's simulation of R = {reps} replicates of "
               f"N = {n_b:,} (one population of every replicate, each replicate's draws from its own "
               f"generator) vs {reps} steps of lone replicates."), "",
              "| backend | separate steps | one batched step | speed-up |", "|---|---|---|---|"]
    for label, (sep, tog) in batched.items():
        lines.append(f"| {label} | {fmt_time(min(sep))} | {fmt_time(min(tog))} | {spread_ratio(sep, tog)} |")
    return "\n".join(lines) + "\n"
