"""The GAN section: training iterations per second of R GANs trained as one
batched program (``collapsesim.domains.gan``), for R = 1, 10, 100, with the
small networks of the fast scenarios and PacGAN's networks, on CPU (one torch
thread, as the domain runs) and on CUDA when a GPU is present.

One iteration is one generator update of all R replicates (with the
simultaneous discriminator update), PacGAN2 packing, batches of 100 packs.

The PacGAN Table 1 projection: Table 1 of Lin et al. (2018) is 80 runs ×
400,000 iterations with PacGAN's networks; the section times the batched
R = 80 program with those networks and multiplies its time per iteration by
400,000. The issue's bar (≤ 15 min) is for one H100-class GPU; on a machine
without CUDA the line says "CUDA untested" and gives the CPU projection.
"""

from __future__ import annotations

import resource

import numpy as np
import torch

from collapsesim.domains.gan import SMALL_ARCHITECTURE, GANParams, GANSimulation
from collapsesim.engine import get_backend

from . import scaling, section
from .timing import Settings, best_times

TABLE1_RUNS, TABLE1_ITERATIONS = 80, 400_000

ARCHITECTURES = {"small": SMALL_ARCHITECTURE, "pacgan": {}}


def _simulation(arch: str, R: int, device: str) -> GANSimulation:
    params = GANParams.model_validate({**ARCHITECTURES[arch], "pack": 2, "data": {"n_train": 10_000},
                                       "eval": {"samples": 100, "vendi_samples": 0, "pr_samples": 100}})
    seeds = [np.random.SeedSequence(0, spawn_key=(j,)) for j in range(R)]
    return GANSimulation(params, get_backend("torch", device), seeds, steps=1)


def _timed(arch: str, R: int, device: str, budget: float) -> tuple[float, int, float]:
    """The best time of one iteration, then one more iteration's minor page
    faults and the share of its CPU time spent in the kernel (``getrusage``):
    fresh memory the allocator maps, and the kernel zeroes and faults in."""
    sim = _simulation(arch, R, device)
    sync = torch.cuda.synchronize if device == "cuda" else None
    best = best_times({"step": sim.step}, budget, max_reps=5, sync=sync)["step"]
    before = resource.getrusage(resource.RUSAGE_SELF)
    sim.step()
    after = resource.getrusage(resource.RUSAGE_SELF)
    system, user = after.ru_stime - before.ru_stime, after.ru_utime - before.ru_utime
    return best, after.ru_minflt - before.ru_minflt, system / max(system + user, 1e-9)


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
        "(the domain's setting). The last two columns are one more iteration's minor page faults "
        "and the kernel's share of its CPU time (`getrusage`): tensors of 32 MiB or more (PacGAN's "
        "at R = 100: BatchNorm's activations, the 64 MB weight gradients) are fresh mappings from "
        "glibc's allocator, faulted in and zeroed at every iteration, which is what makes R = 100 "
        "cost more than 10 × R = 10 (with `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:"
        "glibc.malloc.trim_threshold=1073741824` a user can keep that memory in the heap; measured "
        "alone, 2.56 → 2.21 s per iteration at R = 100, no faults). "
        + ("" if "cuda" in devices else "CUDA untested: no GPU was present for this report."),
        "",
        ("| device | networks | R | ms / iteration | iterations / s | replicate-iterations / s "
         "| page faults / iteration | kernel share of CPU time |"),
        "|---|---|---|---|---|---|---|---|",
    ]
    for device in devices:
        for arch in archs:
            for R in replicates:
                t, faults, kernel = _timed(arch, R, device, budget)
                scaling.record("gan", f"{device} {arch} networks, s per iteration (N = R)", R, t)
                lines.append(f"| {device} | {arch} | {R} | {t * 1e3:.3g} | {1 / t:.3g} | {R / t:.3g} "
                             f"| {faults:,} | {kernel:.0%} |")
    lines += ["", "PacGAN Table 1 projection (R = 80 replicates of PacGAN's networks, 400,000 "
              "iterations; bar ≤ 15 min on one H100-class GPU):", ""]
    for device in ["cuda"] if "cuda" in devices else []:
        t = _timed("pacgan", TABLE1_RUNS, device, budget)[0]
        lines.append(f"* {device}: {t * 1e3:.3g} ms per iteration → {t * TABLE1_ITERATIONS / 60:,.0f} min "
                     f"({'met' if t * TABLE1_ITERATIONS <= 900 else 'not met'}).")
    if "cuda" not in devices:
        t = _timed("pacgan", 8 if settings.quick else TABLE1_RUNS, "cpu", budget)[0]
        what = "R = 8 (quick run)" if settings.quick else f"R = {TABLE1_RUNS}"
        lines.append(f"* CUDA untested (no GPU on this machine). On this CPU (one thread) the batched "
                     f"{what} program takes {t * 1e3:.3g} ms per iteration"
                     + ("." if settings.quick else
                        f", i.e. {t * TABLE1_ITERATIONS / 3600:,.0f} h for the whole table."))
    return "\n".join(lines) + "\n"
