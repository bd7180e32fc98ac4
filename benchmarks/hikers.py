"""The hikers section: steps per second of one team of N hill-climbers per
backend, N = 10² … 10⁴ (10³ … 10⁴ quick; the domain refuses 10⁵: its
memory estimate counts an N × N distance matrix, 75 GiB), on the default scenario's setting:
Shubert 2-D (CEC'2013 F6), σ = 0.001, and every 5 steps the worst quarter
copies the best quarter (go-with-the-winners, ``exploit: quantile``).

A timing is a block of 10 steps of ``HikersSimulation.step`` (two exploit
rounds included), best of up to 5 blocks after a warm-up. A climbing step
proposes, evaluates and accepts per hiker (linear in N); the exploit round
ranks the team (N log N): theory slope 1.

A second table times the replicates: R = 100 teams of the default scenario's
N = 200 batched (one simulation of all R seeds, the domain's path through the
runner) against the same 100 replicates built and stepped one at a time, per
backend; a block is 10 steps of all 100 teams, best of up to 5 after a warm-up.
"""

from __future__ import annotations

import numpy as np
import torch

from . import scaling, section
from .timing import Settings, replicate, spread_ratio, stepper, time_samples

BACKENDS = ("numpy", "numba", "torch")
STEPS = 10
TEAMS, TEAM_N = 100, 200  # the replicates table: R teams of the default scenario's size


def block(backend: str, N: int):
    """A function that runs ``STEPS`` steps of one team of N hikers."""
    sim = replicate({"domain": "hikers", "steps": 1, "backend": backend,
                     "params": {"problem": "F6", "N": N, "sigma": 0.001, "interval": 5,
                                "exploit": {"kind": "quantile", "q": 0.25}}}, steps=10**6)
    return stepper(sim, STEPS)


def teams(backend: str, R: int, N: int, batched: bool):
    """A function that runs ``STEPS`` steps of R replicates (seeds 1, spawn keys 0 … R − 1),
    as one batched simulation or as R simulations stepped in turn."""
    from collapsesim.config import load
    from collapsesim.domains.hikers import Hikers
    from collapsesim.engine import get_backend

    cfg = load({"domain": "hikers", "steps": 1, "backend": backend,
                "params": {"problem": "F6", "N": N, "sigma": 0.001, "interval": 5,
                           "exploit": {"kind": "quantile", "q": 0.25}}})
    seeds = [np.random.SeedSequence(1, spawn_key=(j,)) for j in range(R)]
    groups = [seeds] if batched else [[s] for s in seeds]
    sims = [Hikers().build(cfg.params, backend=get_backend(backend), seeds=g, steps=10**6) for g in groups]

    def run() -> None:
        for sim in sims:
            for _ in range(STEPS):
                sim.step()

    return run


@section("hikers")
def hikers_section(settings: Settings) -> str:
    sizes = (10**3, 10**4) if settings.quick else (10**2, 10**3, 10**4)
    budget = 0.3 if settings.quick else 3.0
    rows = []
    for N in sizes:
        samples = time_samples({b: block(b, N) for b in BACKENDS}, budget, max_reps=5)
        per = {b: np.array(v) / STEPS for b, v in samples.items()}
        for b in BACKENDS:
            scaling.record("hikers", f"{b}, s per step", N, per[b].min())
        rows.append(f"| {N:.0e} | " + " | ".join(f"{1 / per[b].min():,.0f}" for b in BACKENDS)
                    + f" | {N / per['numba'].min():,.3g} | {spread_ratio(per['numpy'], per['numba'])} |")
    samples = time_samples({(b, batched): teams(b, TEAMS, TEAM_N, batched) for b in BACKENDS
                            for batched in (True, False)}, budget, max_reps=5)
    team_rows = [f"| {b} | {TEAMS * TEAM_N * STEPS / min(samples[b, True]):,.3g} | "
                 f"{TEAMS * TEAM_N * STEPS / min(samples[b, False]):,.3g} | "
                 f"{spread_ratio(samples[b, False], samples[b, True])} |" for b in BACKENDS]
    cuda = "" if torch.cuda.is_available() else " CUDA untested (no GPU on this machine)."
    return "\n".join([
        "## hikers: steps per second", "",
        "One team of N hill-climbers on Shubert 2-D (F6), σ = 0.001, go-with-the-winners every 5 "
        "steps (the worst quarter copies the best quarter), genealogy on, as the default scenario "
        f"runs it; blocks of {STEPS} steps of `HikersSimulation.step` on one thread, best of up to 5 "
        f"after a warm-up.{cuda}", "",
        "| N | " + " | ".join(BACKENDS) + " | numba: hiker-steps/s | numpy / numba |",
        "|---|" + "---|" * (len(BACKENDS) + 2), *rows, "",
        f"### hikers: {TEAMS} replicates batched", "",
        f"{TEAMS} replicates (teams of N = {TEAM_N}, the same setting) as one batched simulation — "
        "each replicate drawing from its own generator, bitwise its lone run — against the same "
        f"replicates built and stepped one at a time; blocks of {STEPS} steps of every team, best of "
        "up to 5 after a warm-up (stepping only; the observation, stacked for the batch, is not "
        "timed).", "",
        "| backend | batched: hiker-steps/s | one at a time: hiker-steps/s | one at a time / batched |",
        "|---|---|---|---|", *team_rows, ""])
