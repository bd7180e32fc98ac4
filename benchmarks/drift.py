"""The drift section: generations per second of one drift replicate per backend,
for Wright–Fisher and Moran populations of K = 10 types (weakly favoured focal
type, s = 0.01), N = 10³ … 10⁶.

A Wright–Fisher generation is one multinomial draw of the K type counts, so
its cost does not depend on N (theory: slope 0); a Moran generation is N
birth–death events (theory: slope 1). A timing is a block of generations of
``DriftSimulation.step`` (``collapsesim.domains.drift``), best of up to 5
blocks after a warm-up, the domain's build excluded. K-allele mutation
(μ = 10⁻³) keeps the populations polymorphic, so that every timed generation
draws: a population fixed without mutation draws nothing more.
"""

from __future__ import annotations

import numpy as np
import torch

from collapsesim.engine.kernels.moran import moran_events_reference

from . import scaling, section
from .timing import Settings, fmt_time, replicate, spread_ratio, stepper, time_samples

BACKENDS = ("numpy", "numba", "torch")
NUMPY_MORAN = 10**4  # numpy's Moran events are a Python loop: larger N take minutes
MODELS = {"Wright–Fisher": ("wright-fisher", 0.0), "Moran": ("moran", 1.0)}  # model, theory slope
#: K-allele mutation keeps every population polymorphic, so every timed generation
#: draws (a population fixed without mutation draws nothing more: the batch skips it)
MU = 1e-3


def _replicate(model: str, backend: str, N: int, generations: int):
    """The one replicate the section times, built for ``generations`` generations."""
    return replicate({"domain": "drift", "steps": 1, "backend": backend,
                      "params": {"N": N, "K": 10, "s": 0.01, "model": model, "mu": MU}},
                     steps=generations)


def _block_generations(model: str, N: int) -> int:
    """Generations per timed block: 10^5 Moran events, or 200 Wright–Fisher draws."""
    return max(1, 10**5 // N) if model == "moran" else 200


def block(model: str, backend: str, N: int, generations: int):
    """A function that runs ``generations`` generations of one replicate."""
    return stepper(_replicate(model, backend, N, generations), generations)


def _event_costs(budget: float) -> list[str]:
    """Rows of numpy's Moran event cost against the population's state: the
    reference walks the K counts up to the chosen types, so an event costs
    more when the N individuals are spread over every type than when one type
    holds nearly all of them, whatever N."""
    states = {"10 types, even": lambda N: np.full(10, N // 10),
              "one type holds N − 9": lambda N: np.array([N - 9] + [1] * 9)}
    u = np.random.default_rng(0).random((20_000, 3))
    fitness = np.ones(10)
    fitness[0] = 1.01
    rows = []
    for N in (10**3, NUMPY_MORAN):
        fns = {name: (lambda make=make, N=N: moran_events_reference(make(N).astype(np.int64), fitness.copy(),
                                                                   10, 10, MU, False, u))
               for name, make in states.items()}
        best = {name: min(v) / len(u) for name, v in time_samples(fns, budget, max_reps=5).items()}
        present, largest = _timed_state(N)
        rows.append(f"| {N:.0e} | " + " | ".join(fmt_time(best[name]) for name in states)
                    + f" | {present} | {largest:.0%} |")
    return [("numpy's Moran event (the reference, a Python loop) against the population's state, "
             f"{len(u):,} events from the given counts: the walk over the K counts stops at the "
             "chosen types, so an event's cost depends on how the N individuals are spread, not on N. "
             "The last columns are the state of the population the table above timed, after its "
             "warm-up and one block (the same seed; every backend gives the same counts): the "
             "populations differ in spread, and that, not N, makes numpy's Moran slope in the "
             "scaling section steeper than 1."), "",
            "| N | " + " | ".join(states) + " | timed: types present | timed: largest type's share |",
            "|---|" + "---|" * (len(states) + 2), *rows, ""]


def _timed_state(N: int) -> tuple[int, float]:
    """Types present and the largest type's share of the Moran population the
    section times at N, after its warm-up and one timed block."""
    gens = _block_generations("moran", N)
    sim = _replicate("moran", "numba", N, 2 * gens)
    for _ in range(2 * gens):
        sim.step()
    obs = sim.observe()
    counts = np.asarray((obs[0] if isinstance(obs, list) else obs).series["types"].abundances)
    return int((counts > 0).sum()), float(counts.max() / counts.sum())


@section("drift")
def drift_section(settings: Settings) -> str:
    sizes = (10**3, 10**4) if settings.quick else (10**3, 10**4, 10**5, 10**6)
    budget = 0.3 if settings.quick else 3.0
    rows = []
    for name, (model, theory) in MODELS.items():
        for N in sizes:
            gens = _block_generations(model, N)
            backends = [b for b in BACKENDS if not (model == "moran" and b == "numpy" and N > NUMPY_MORAN)]
            samples = time_samples({b: block(model, b, N, gens) for b in backends}, budget, max_reps=5)
            per = {b: np.array(v) / gens for b, v in samples.items()}
            for b in backends:
                scaling.record("drift", f"{name}, {b}, s per generation", N, per[b].min(), theory)
            rows.append(f"| {name} | {N:.0e} | " + " | ".join(f"{1 / per[b].min():,.0f}" if b in per else "—"
                                                              for b in BACKENDS)
                        + f" | {spread_ratio(per['numpy'], per['numba']) if 'numpy' in per else '—'} |")
    cuda = "" if torch.cuda.is_available() else " CUDA untested (no GPU on this machine)."
    return "\n".join([
        "## drift: generations per second", "",
        f"One replicate of K = 10 types (focal type s = 0.01, K-allele mutation μ = {MU:g}, so that "
        "no population fixes and every timed generation draws), the domain's step (`DriftBatch` of "
        "one replicate for Wright–Fisher, `DriftSimulation` for Moran) per backend on "
        "one thread, best of up to 5 blocks of generations after a warm-up. A Wright–Fisher "
        "generation is one multinomial draw of the K counts (its cost does not grow with N); a "
        "Moran generation is N birth–death events (linear in N; numpy's reference runs them in a "
        f"Python loop, not timed above N = {NUMPY_MORAN:.0e}). The domain's batched fixation "
        f"study and the runner's replicates are timed in the `runner` section.{cuda}", "",
        "| model | N | " + " | ".join(BACKENDS) + " | numpy / numba |", "|---|---|" + "---|" * (len(BACKENDS) + 1),
        *rows, "", *_event_costs(budget)])
