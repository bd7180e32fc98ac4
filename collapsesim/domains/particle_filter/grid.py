"""A grid filter for one-dimensional models: the reference posterior.

The filtering density is carried on G equally spaced points of [lo, hi]
(point masses): predict with the transition density between grid points,
update with the likelihood, normalise (Kitagawa 1987's non-Gaussian filter in
its simplest, point-mass form). With a fine grid over the region where the
posterior lives this is exact to plotting accuracy, so it is the reference of
the ``modes`` series: how much posterior mass each mode (x > 0, x < 0) of the
growth model really has. O(G²) per step. The prediction accumulates each
grid point's mass in grid order (no BLAS product, whose blocking and threads
change the last bits from machine to machine), so the reference is the same
on every machine.
"""

from __future__ import annotations

import numpy as np


def grid_filter(model, y, lo: float = -50.0, hi: float = 50.0, G: int = 1001):
    """Grid points (G,) and filtering masses (T, G) of a 1-D numpy model."""
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    x = np.linspace(lo, hi, G)
    pts = x[:, None]
    var0, var = model.init_noise.cov[0, 0], model.noise.cov[0, 0]
    log_post = -0.5 * (x - model.m0[0]) ** 2 / var0 + model.obs_loglik(y[0], pts, 0)
    out = np.empty((y.shape[0], G))
    out[0] = _normalised(log_post)
    for t in range(1, y.shape[0]):
        mu = np.asarray(model.mean(pts, t))[:, 0]
        kernel = np.exp(-0.5 * (x[None, :] - mu[:, None]) ** 2 / var)
        kernel /= kernel.sum(axis=1, keepdims=True)  # each grid point moves somewhere on the grid
        pred = np.einsum("i,ij->j", out[t - 1], kernel)  # each pred[j] summed over i in order
        with np.errstate(divide="ignore"):
            out[t] = _normalised(np.log(pred) + model.obs_loglik(y[t], pts, t))
    return x, out


def _normalised(log_p: np.ndarray) -> np.ndarray:
    p = np.exp(log_p - log_p.max())
    return p / p.sum()


_CACHE: dict = {}


def mode_masses(model, model_key: str, y) -> np.ndarray:
    """Grid-filter posterior mass of x > 0 and x ≤ 0 at each time (T, 2);
    cached on (``model_key``, y), so the replicates of a run share one grid filter."""
    y = np.ascontiguousarray(y, dtype=np.float64)
    key = (model_key, y.tobytes())
    if key not in _CACHE:
        if len(_CACHE) >= 8:
            _CACHE.pop(next(iter(_CACHE)))
        x, post = grid_filter(model, y)
        _CACHE[key] = np.stack([post[:, x > 0].sum(axis=1), post[:, x <= 0].sum(axis=1)], axis=1)
    return _CACHE[key]
