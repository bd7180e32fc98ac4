"""The particle_filter section: nanoseconds per particle-step of a bootstrap
filter on each backend, beside Chopin's ``particles``.

The filter is the reproduction page's: the linear-Gaussian model (ρ = 0.9,
σX = σY = 1), T = 100 observations, systematic resampling every step, no
genealogy (``particles`` keeps none either), N = 10³ … 10⁶; one more row runs
numba with the genealogy on (path storage of every generation's parents) at
N = 10⁵. ``particles`` needs numpy < 2, so it runs in its own environment: the
interpreter named by ``COLLAPSESIM_PARTICLES_PYTHON`` (``benchmarks/setup_peers.sh``
builds it); unset, its column reads "—".
"""

from __future__ import annotations

import numpy as np
import torch

from collapsesim.reproductions.particle_filter import run_particles, studies

from . import peers, scaling, section
from .timing import Settings, spread_ratio, time_samples

T = 100
VAR = "COLLAPSESIM_PARTICLES_PYTHON"


def _particles_ns(sizes) -> dict[int, float]:
    python = peers.python(VAR)
    if python is None:
        return {}
    _, _, data, _ = studies.linear_gaussian_data(T)
    out = run_particles(python, {"y": data.y[:, 0].tolist(), "rho": 0.9, "sigma_x": 1.0,
                                 "sigma_y": 1.0, "N": 10, "runs": 0, "seed": 1, "ess_rmin": 1.0,
                                 "resampling": "systematic", "timing_N": list(sizes)})
    return {int(n): v for n, v in out["ns_per_particle_step"].items()}


@section("particle_filter")
def particle_filter(settings: Settings) -> str:
    sizes = (10**3, 10**4) if settings.quick else (10**3, 10**4, 10**5, 10**6)
    columns = [("numpy", "numpy", "cpu"), ("numba", "numba", "cpu"), ("torch", "torch", "cpu")]
    if torch.cuda.is_available():
        columns.append(("torch cuda", "torch", "cuda"))
    theirs = _particles_ns(sizes)
    sync = torch.cuda.synchronize if torch.cuda.is_available() else None
    rows = []
    for n in sizes:
        runs = {label: studies.speed_run(b, n, T, device) for label, b, device in columns}
        samples = time_samples(runs, budget_s=0.5 if settings.quick else 20.0, max_reps=3, sync=sync)
        ns = {k: np.array(v) / (n * T) * 1e9 for k, v in samples.items()}
        for label, _, _ in columns:
            scaling.record("particle_filter", f"{label}, s per filter step", n, min(samples[label]) / T)
        ref = theirs.get(n, np.nan)
        cells = " | ".join(f"{ns[label].min():.1f}" for label, _, _ in columns)
        rows.append(f"| {n:.0e} | {'—' if np.isnan(ref) else f'{ref:.1f}'} | {cells} | "
                    f"{spread_ratio(ref, ns['numba']) if np.isfinite(ref) else '—'} |")
    n_gen = sizes[-2]
    gen = time_samples({"off": studies.speed_run("numba", n_gen, T),
                        "on": studies.speed_run("numba", n_gen, T, genealogy=True)},
                       budget_s=0.5 if settings.quick else 20.0, max_reps=3)
    head = " | ".join(label for label, _, _ in columns)
    cuda = "" if torch.cuda.is_available() else " CUDA untested (no GPU on this machine)."
    version = peers.versions(VAR, ("particles", "numpy"))
    return "\n".join([
        "## particle_filter: nanoseconds per particle-step", "",
        f"Bootstrap filter on the linear-Gaussian model, T = {T}, systematic resampling every "
        "step, no genealogy; best of up to 3 whole runs (after a warm-up). `particles` "
        f"({version}) runs in its own numpy < 2 environment (`{VAR}`), timed by its own script "
        "(`collapsesim/reproductions/particle_filter/particles_reference.py`). The numba backend "
        "fuses propagation and weighting of 1-D models into one compiled pass "
        "(`collapsesim/domains/particle_filter/kernels.py`). Ratios: best times, then (in "
        f"brackets) the range to the ratio of median times.{cuda}", "",
        f"| N | particles | {head} | particles / numba |",
        "|---|---|" + "---|" * len(columns) + "---|", *rows, "",
        f"Genealogy on (numba, N = {n_gen:.0e}, every generation's parents kept as path storage): "
        f"{min(gen['on']) / (n_gen * T) * 1e9:.1f} ns per particle-step against "
        f"{min(gen['off']) / (n_gen * T) * 1e9:.1f} without.", "",
        "| N | genealogy on / off (numba) |", "|---|---|",
        f"| {n_gen:.0e} | {spread_ratio(gen['on'], gen['off'])} |", ""])
