"""Fused numba kernels: the hot loop of the numba backend.

For the one-dimensional models (:class:`~.models.LinearGaussian` with d = 1,
stochastic volatility, the growth model, the neutral model) one bootstrap
step — gather the ancestor, draw the transition, add the log-likelihood to the
prior log-weight — is one pass over the particles, and normalising the
log-weights (log-sum-exp, the weights, Σ W²) is one more. The equations are
those of :mod:`.models`, written per particle; the normal draws come from the
run's ``numpy.random.Generator`` in the same order as the vectorised numpy
path (drawn by numpy, one per particle, and passed in: handing the generator
to compiled code costs tens of microseconds per call), so the two agree up to
floating-point rounding.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_OPTS = dict(cache=True, nogil=True)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)

LINEAR_GAUSSIAN, STOCHASTIC_VOLATILITY, GROWTH, NEUTRAL = 0, 1, 2, 3


@njit(**_OPTS)
def bootstrap_step(x, anc, base, eps, y, t, kind, theta, x_out, lw_out):
    """x_out[i] = μ(x[anc[i]], t) + sd·eps[i] and lw_out[i] = base[i] + log g(y | x_out[i])
    for the model ``kind`` with parameters ``theta`` (see :mod:`.models`)."""
    if kind == LINEAR_GAUSSIAN:
        a, sd, sy = theta[0], theta[1], theta[2]
        shift = 0.0
    elif kind == STOCHASTIC_VOLATILITY:
        a, sd, sy = theta[1], theta[2], 0.0
        shift = theta[0] * (1.0 - theta[1])
    elif kind == GROWTH:
        a, sd, sy = 0.5, theta[0], theta[1]
        shift = 8.0 * math.cos(1.2 * t)
    else:
        a, sd, sy = 1.0, theta[0], 0.0
        shift = 0.0
    log_sy = math.log(sy) + HALF_LOG_2PI if sy > 0 else 0.0
    yy = y * y
    for i in range(x_out.shape[0]):
        prev = x[anc[i], 0]
        m = a * prev + shift
        if kind == GROWTH:
            m += 25.0 * prev / (1.0 + prev * prev)
        v = m + sd * eps[i]
        x_out[i, 0] = v
        if kind == LINEAR_GAUSSIAN:
            z = (y - v) / sy
            ll = -0.5 * z * z - log_sy
        elif kind == STOCHASTIC_VOLATILITY:
            ll = -HALF_LOG_2PI - 0.5 * v - 0.5 * yy * math.exp(-v)
        elif kind == GROWTH:
            z = (y - v * v / 20.0) / sy
            ll = -0.5 * z * z - log_sy
        else:
            ll = 0.0
        lw_out[i] = base[i] + ll


@njit(**_OPTS)
def normalise(lw, W):
    """In place: ``W`` ← exp(lw − max lw) (largest weight 1), ``lw`` ← lw − log Σ exp(lw).
    Returns (log Σ exp(lw), ESS = (ΣW)²/ΣW²); the first is −inf (every weight
    zero) or NaN as the input dictates, and then nothing is changed."""
    m = -np.inf
    for i in range(lw.shape[0]):
        if lw[i] > m or lw[i] != lw[i]:
            m = lw[i]
    if not np.isfinite(m):
        return m, 0.0
    s = 0.0
    sq = 0.0
    for i in range(lw.shape[0]):
        w = math.exp(lw[i] - m)
        W[i] = w
        s += w
        sq += w * w
    ell = m + math.log(s)
    for i in range(lw.shape[0]):
        lw[i] -= ell
    return ell, s * s / sq
