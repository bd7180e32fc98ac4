"""The model_collapse section: generations per second against the samples per
generation n for the categorical, Gaussian and Gaussian-mixture models per
backend, and R replicates as one array program against a loop of R lone
replicates.

A generation is one ``step()`` of the domain's simulation under the replace
regime: n samples per replicate from the model fitted at the previous
generation, then the refit (for the mixture: EM, ``restarts`` × ``iterations``
steps on R·restarts data sets through the ``model_collapse.em`` operator).
Observation (metrics, cells) is not timed.
"""

from __future__ import annotations

import numba
import numpy as np
import torch

from collapsesim.domains.model_collapse import (
    ModelCollapseParams,
    ModelCollapseSimulation,
)
from collapsesim.engine import get_backend

from . import scaling, section
from .timing import Settings, best_times

MODELS = {
    "categorical (V = 1000, Zipf 1.1)": {"kind": "categorical", "V": 1000},
    "Gaussian (d = 1, unbiased)": {"kind": "gaussian", "d": 1, "estimator": "unbiased"},
    "GMM (K = 4, 3 restarts × 60 EM steps, d = 1)": {
        "kind": "gmm", "components": 4, "restarts": 3, "iterations": 60,
        "real": {"weights": [0.5, 0.3, 0.15, 0.05], "separation": 4.0, "sigma": 1.0, "d": 1}},
}


def _backends() -> list[tuple[str, str, str]]:
    """(label, backend, device) of every backend measured here."""
    out = [("numpy", "numpy", "cpu"), ("numba", "numba", "cpu"), ("torch", "torch", "cpu")]
    if torch.cuda.is_available():
        out.append(("torch cuda", "torch", "cuda"))
    return out


def _sim(model: dict, n: int, backend: str, device: str, seeds) -> ModelCollapseSimulation:
    params = ModelCollapseParams(model=model, n=n, regime={"kind": "replace"})
    return ModelCollapseSimulation(params, get_backend(backend, device), seeds)


def _seeds(R: int, first: int = 0) -> list[np.random.SeedSequence]:
    return [np.random.SeedSequence(1, spawn_key=(j,)) for j in range(first, first + R)]


def _sync(device: str):
    return torch.cuda.synchronize if device == "cuda" else None


def _per_n(settings: Settings, R: int) -> list[str]:
    sizes = (100, 1000) if settings.quick else (100, 1000, 10_000)
    budget = 0.3 if settings.quick else 3.0
    backends = _backends()
    rows = []
    for name, model in MODELS.items():
        for n in sizes:
            cells = []
            for label, b, dev in backends:
                sim = _sim(model, n, b, dev, _seeds(R))
                t = best_times({label: sim.step}, budget_s=budget, max_reps=5, sync=_sync(dev))[label]
                scaling.record("model_collapse", f"{name.split(' (')[0]}, {label}, s per generation (N = n)", n, t)
                cells.append(f"{1.0 / t:,.1f}")
            rows.append(f"| {name} | {n:,} | " + " | ".join(cells) + " |")
    head = "| model | n | " + " | ".join(lbl for lbl, *_ in backends) + " |"
    return [head, "|---|---|" + "---|" * len(backends), *rows]


def _batched(settings: Settings, R: int, n: int) -> list[str]:
    budget = 0.3 if settings.quick else 3.0
    rows = []
    for name, model in MODELS.items():
        for label, b, dev in _backends():
            one = _sim(model, n, b, dev, _seeds(R))
            lone = [_sim(model, n, b, dev, _seeds(1, j)) for j in range(R)]

            def loop(lone=lone):
                for sim in lone:
                    sim.step()

            best = best_times({"batched": one.step, "loop": loop}, budget_s=budget, max_reps=3,
                              sync=_sync(dev))
            rows.append(f"| {name} | {label} | {R / best['batched']:,.0f} | {R / best['loop']:,.0f} | "
                        f"{best['loop'] / best['batched']:.1f}× |")
    return ["| model | backend | one program of R | loop of R × (R = 1) | speed-up |",
            "|---|---|---|---|---|", *rows]


@section("model_collapse")
def model_collapse(settings: Settings) -> str:
    R = 16
    Rb, nb = (16, 200) if settings.quick else (64, 1000)
    cuda = ("" if torch.cuda.is_available()
            else " CUDA untested (no GPU on this machine): no torch cuda column.")
    return "\n".join([
        "## model_collapse: generations per second", "",
        (f"One generation (sample n per replicate from the fitted model, refit; replace regime) "
         f"of R = {R} replicates as one array program, best of up to 5 after a warm-up, numba "
         f"on {numba.get_num_threads()} and torch on {torch.get_num_threads()} thread(s) (set "
         "by `python -m benchmarks`; the EM kernel is single-threaded whatever the setting). "
         f"Generations per second of the whole batch.{cuda}"), "",
        *_per_n(settings, R), "",
        (f"Batched replicates at n = {nb}: replicate-generations per second of R = {Rb} "
         f"independent chains stepped as one program, against a Python loop over {Rb} "
         "simulations of R = 1 (the same seeds: on CPU the results are the same, only the "
         "time differs)."), "",
        *_batched(settings, Rb, nb), ""])
