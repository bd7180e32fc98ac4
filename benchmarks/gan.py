"""The GAN section: training iterations per second of R GANs trained as one
batched program (``collapsesim.domains.gan``), for R = 1, 10, 100, with the
small networks of the fast scenarios and PacGAN's networks, on CPU (one torch
thread, as the domain runs) and on CUDA when a GPU is present.

One iteration is one generator update of all R replicates (with the
simultaneous discriminator update), PacGAN2 packing, batches of 100 packs.
"""

from __future__ import annotations

import numpy as np
import torch

from collapsesim.domains.gan import SMALL_ARCHITECTURE, GANParams, GANSimulation
from collapsesim.engine import get_backend

from . import section
from .timing import Settings, best_times

ARCHITECTURES = {"small": SMALL_ARCHITECTURE, "pacgan": {}}


def _simulation(arch: str, R: int, device: str) -> GANSimulation:
    params = GANParams.model_validate({**ARCHITECTURES[arch], "pack": 2, "data": {"n_train": 10_000},
                                       "eval": {"samples": 100, "vendi_samples": 0, "pr_samples": 100}})
    seeds = [np.random.SeedSequence(0, spawn_key=(j,)) for j in range(R)]
    return GANSimulation(params, get_backend("torch", device), seeds, steps=1)


def _time_step(arch: str, R: int, device: str, budget: float) -> float:
    sim = _simulation(arch, R, device)
    sync = torch.cuda.synchronize if device == "cuda" else None
    return best_times({"step": sim.step}, budget, max_reps=5, sync=sync)["step"]


@section("gan")
def gan_section(settings: Settings) -> str:
    replicates = (1, 10) if settings.quick else (1, 10, 100)
    archs = ("small",) if settings.quick else ("small", "pacgan")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    budget = 0.3 if settings.quick else 2.0
    lines = [
        "## GAN: R replicate GANs as one batched program",
        "",
        "Iterations per second of `GANSimulation.step()` (one generator and one simultaneous "
        "discriminator update of all R replicates; PacGAN2 packing, batches of 100 packs). "
        "Small networks: G 2→128×2→2 without BatchNorm, D 2 maxout layers of 64 × 5; "
        "PacGAN's: G 2→400×4→2, D 3 maxout layers of 200 × 5. CPU runs use one torch thread "
        "(the domain's setting). "
        + ("" if "cuda" in devices else "CUDA untested: no GPU was present for this report."),
        "",
        "| device | networks | R | ms / iteration | iterations / s | replicate-iterations / s |",
        "|---|---|---|---|---|---|",
    ]
    for device in devices:
        for arch in archs:
            for R in replicates:
                t = _time_step(arch, R, device, budget)
                lines.append(f"| {device} | {arch} | {R} | {t * 1e3:.3g} | {1 / t:.3g} | {R / t:.3g} |")
    return "\n".join(lines) + "\n"
