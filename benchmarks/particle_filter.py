"""The particle_filter section: nanoseconds per particle-step of a bootstrap
filter on each backend, beside Chopin's ``particles``.

The filter is the reproduction page's: the linear-Gaussian model (ρ = 0.9,
σX = σY = 1), T = 100 observations, systematic resampling every step, no
genealogy (``particles`` keeps none either). ``particles`` needs numpy < 2, so
it runs in its own environment: the interpreter named by ``PARTICLES_PYTHON``
(default ``/tmp/particles-venv/bin/python`` when present), set up with::

    python -m venv /tmp/particles-venv
    /tmp/particles-venv/bin/pip install particles 'numpy<2'

Without it the ``particles`` column reads "—".
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from collapsesim.reproductions.particle_filter import run_particles, studies

from . import section
from .timing import Settings, best_times, fmt_ratio

T = 100


def _particles_python() -> str | None:
    python = os.environ.get("PARTICLES_PYTHON", "/tmp/particles-venv/bin/python")
    return python if Path(python).exists() else None


def _particles_ns(python: str | None, sizes) -> dict[int, float]:
    if python is None:
        return {}
    _, _, data, _ = studies.linear_gaussian_data(T)
    out = run_particles(python, {"y": data.y[:, 0].tolist(), "rho": 0.9, "sigma_x": 1.0,
                                 "sigma_y": 1.0, "N": 10, "runs": 0, "seed": 1, "ess_rmin": 1.0,
                                 "resampling": "systematic", "timing_N": list(sizes)})
    return {int(n): v for n, v in out["ns_per_particle_step"].items()}


@section("particle_filter")
def particle_filter(settings: Settings) -> str:
    sizes = (10**4,) if settings.quick else (10**5, 10**6)
    columns = [("numpy", "numpy", "cpu"), ("numba", "numba", "cpu"), ("torch", "torch", "cpu")]
    if torch.cuda.is_available():
        columns.append(("torch cuda", "torch", "cuda"))
    python = _particles_python()
    theirs = _particles_ns(python, sizes)
    rows = []
    for n in sizes:
        runs = {label: studies.speed_run(b, n, T, device) for label, b, device in columns}
        sync = torch.cuda.synchronize if torch.cuda.is_available() else None
        best = best_times(runs, budget_s=0.5 if settings.quick else 20.0, max_reps=3, sync=sync)
        ns = {k: v / (n * T) * 1e9 for k, v in best.items()}
        ref = theirs.get(n, np.nan)
        cells = " | ".join(f"{ns[label]:.1f}" for label, _, _ in columns)
        rows.append(f"| {n:.0e} | {'—' if np.isnan(ref) else f'{ref:.1f}'} | {cells} | "
                    f"{fmt_ratio(ref / ns['numba'])} |")
    head = " | ".join(label for label, _, _ in columns)
    cuda = "" if torch.cuda.is_available() else " CUDA untested (no GPU on this machine)."
    return "\n".join([
        "## particle_filter: nanoseconds per particle-step", "",
        f"Bootstrap filter on the linear-Gaussian model, T = {T}, systematic resampling every "
        "step, no genealogy; best of up to 3 whole runs (after a warm-up). `particles` "
        f"({'not found: set' if python is None else 'the interpreter'} PARTICLES_PYTHON"
        f"{'' if python is None else ' names'}) runs in its own "
        "numpy < 2 environment. The numba backend fuses propagation and weighting of 1-D models "
        f"into one compiled pass (`collapsesim/domains/particle_filter/kernels.py`).{cuda}", "",
        f"| N | particles | {head} | particles / numba |",
        "|---|---|" + "---|" * len(columns) + "---|", *rows, ""])
