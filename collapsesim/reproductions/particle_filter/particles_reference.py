"""The reference runs with Chopin's ``particles`` library, in its own environment.

``particles`` needs numpy < 2, so this file imports nothing from collapsesim and
is run as a script by another interpreter::

    python -m venv particles-venv
    particles-venv/bin/pip install particles 'numpy<2'
    particles-venv/bin/python collapsesim/reproductions/particle_filter/particles_reference.py \\
        --data data.json --out result.json

(``collapsesim reproduce particle_filter`` runs it under the interpreter named
by ``COLLAPSESIM_PARTICLES_PYTHON``.)

``data.json`` holds ``y`` (the observations, times 0..T−1), ``rho``,
``sigma_x``, ``sigma_y`` (the linear-Gaussian model with a stationary start),
``N``, ``runs``, ``seed``, ``ess_rmin`` (1.0: resample every step; 0.5:
adaptive), ``resampling`` (a ``particles`` scheme name) and ``timing_N``
(particle numbers to time). The output has, per run, the log-likelihood
estimate and the ESS trace, and the best wall time per particle-step at each
``timing_N``. :mod:`collapsesim.reproductions.particle_filter` and
``benchmarks/particle_filter.py`` write
``data.json`` and read the result.
"""

import argparse
import json
import time
from importlib.metadata import version

import numpy as np
import particles
from particles import distributions as dists
from particles import state_space_models as ssm


class AR1(ssm.StateSpaceModel):
    """x_0 ~ N(0, σX²/(1 − ρ²)), x_t = ρ x_{t−1} + σX ε, y_t = x_t + σY η."""

    default_params = {"rho": 0.9, "sigma_x": 1.0, "sigma_y": 1.0}

    def PX0(self):
        return dists.Normal(loc=0.0, scale=self.sigma_x / np.sqrt(1.0 - self.rho ** 2))

    def PX(self, t, xp):
        return dists.Normal(loc=self.rho * xp, scale=self.sigma_x)

    def PY(self, t, xp, x):
        return dists.Normal(loc=x, scale=self.sigma_y)


def run(spec: dict, N: int, seed: int):
    np.random.seed(seed)  # particles draws from numpy's global generator
    model = AR1(rho=spec["rho"], sigma_x=spec["sigma_x"], sigma_y=spec["sigma_y"])
    fk = ssm.Bootstrap(ssm=model, data=np.asarray(spec["y"], dtype=float))
    pf = particles.SMC(fk=fk, N=N, resampling=spec["resampling"], ESSrmin=spec["ess_rmin"],
                       store_history=False, verbose=False)
    start = time.perf_counter()
    pf.run()
    return pf, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.data) as f:
        spec = json.load(f)
    T = len(spec["y"])
    logliks, ess = [], []
    for r in range(spec["runs"]):
        pf, _ = run(spec, spec["N"], spec["seed"] + r)
        logliks.append(float(pf.logLt))
        ess.append([float(e) for e in pf.summaries.ESSs])
    timing = {}
    for n in spec.get("timing_N", []):
        best = min(run(spec, n, spec["seed"] + 10_000 + k)[1] for k in range(3))
        timing[str(n)] = best / (n * T) * 1e9
    with open(args.out, "w") as f:
        json.dump({"version": version("particles"), "numpy": np.__version__, "loglik": logliks,
                   "ess": ess, "ns_per_particle_step": timing}, f)


if __name__ == "__main__":
    main()
