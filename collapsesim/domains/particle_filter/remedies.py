"""Remedies for weight degeneracy and sample impoverishment, applied to the
particles just after they are resampled.

* **Resample-move** (Gilks & Berzuini 2001): after resampling, duplicates are
  spread by Metropolis–Hastings moves that leave the filtering target
  invariant. Each particle moves its newest state x_t with x_{t−1} (its path's
  previous state) fixed, targeting f(x_t | x_{t−1})·g(y_t | x_t) (at t = 0, the
  initial density times g), with a Gaussian random walk whose per-coordinate
  sd is ``scale``·2.38/√d times the sd of the particle cloud (Chopin &
  Papaspiliopoulos 2020, §10.3.5 on rejuvenation).
* **Roughening** (Gordon, Salmond & Smith 1993): add N(0, (K·E·N^(−1/d))²)
  jitter to each coordinate, E the range of the cloud in that coordinate. It
  is not invariant for the target: it trades a bias for diversity.

(Adaptive resampling, the third remedy, is the filter's resampling policy,
:class:`~.smc.SMC`.)
"""

from __future__ import annotations

import math

import numpy as np

from ...engine.kernels import implements


@implements("particle_filter.spread", "numpy")
def spread_numpy(backend, x):
    """Per-column (range, standard deviation) of particles x (N, d); numba uses
    this one (it is vectorised)."""
    return np.ptp(x, axis=0), x.std(axis=0)


@implements("particle_filter.spread", "torch")
def spread_torch(backend, x):
    return x.amax(0) - x.amin(0), x.std(0, correction=0)


def resample_move(model, x, parents, y, t: int, rng, moves: int, scale: float):
    """Apply ``moves`` random-walk Metropolis steps to the states ``x`` (N, d) of
    time ``t`` whose previous states are ``parents`` (None at t = 0). Returns
    the moved states and the acceptance rate."""
    be, xp = model.backend, model.xp
    n, d = x.shape
    mu = model.initial_mean(n) if t == 0 else model.mean(parents, t)
    step = be.op("particle_filter.spread")(x)[1] * (scale * 2.38 / math.sqrt(d))

    def log_target(z):
        return be.asarray(model.transition_logpdf(z, mu, t) + model.obs_loglik(y, z, t), "float64")

    current = log_target(x)
    accepted = 0.0
    for _ in range(moves):
        proposal = x + be.normal((n, d), rng, model.dtype) * step
        proposed = log_target(proposal)
        accept = xp.log(be.uniform((n,), rng)) < proposed - current
        x = xp.where(accept[:, None], proposal, x)
        current = xp.where(accept, proposed, current)
        accepted += float(accept.sum())
    return x, accepted / (moves * n)


def roughen(model, x, rng, K: float):
    """Gordon et al.'s roughening: x + K·E·N^(−1/d)·ε per coordinate."""
    n, d = x.shape
    be = model.backend
    jitter = be.op("particle_filter.spread")(x)[0] * (K * n ** (-1.0 / d))
    return x + be.normal((n, d), rng, model.dtype) * jitter
