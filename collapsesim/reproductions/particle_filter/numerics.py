"""The float32 resampling pitfall, kept as a specimen.

The engine computes every resampling CDF and the stratified/systematic grid
(u + i)/N in float64, whatever the particles' dtype. A GPU implementation that
does the same arithmetic in float32 loses accuracy once N approaches 2^24:
the running sum of N weights of size ~1/N is rounded to the float32 spacing of
numbers near 1 (6·10⁻⁸), comparable to the weights themselves at N = 10⁷,
and for i ≥ 2^23 the offset u of (u + i) is rounded to a half-integer. The
offspring numbers then no longer follow the weights, and the filter's
log-likelihood estimate is biased downwards (Var of the weights is inflated).

:func:`float32_systematic` is that naive resampler (same signature as
``Backend.resample``), for the test and the reproduction page that measure the
bias; nothing in the filter uses it.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _float32_systematic(w, u, out):
    n = out.shape[0]
    c = np.float32(0.0)
    cum = np.empty(w.shape[0], dtype=np.float32)
    for j in range(w.shape[0]):
        c = np.float32(c + np.float32(w[j]))
        cum[j] = c
    j = 0
    nf = np.float32(n)
    for i in range(n):
        point = np.float32(np.float32(u + np.float32(i)) / nf) * c
        while j < w.shape[0] - 1 and cum[j] <= point:
            j += 1
        out[i] = j


def float32_systematic(weights, n: int, scheme: str, rng: np.random.Generator) -> np.ndarray:
    """Systematic resampling with the CDF and the grid (u + i)/n in float32
    (``scheme`` is ignored: there is only the one specimen)."""
    out = np.empty(n, dtype=np.int64)
    _float32_systematic(np.asarray(weights, dtype=np.float32), np.float32(rng.random()), out)
    return out


def offspring_error(ancestors: np.ndarray, weights: np.ndarray) -> float:
    """max_i |offspring_i − n·W_i|: below 1 for exact systematic resampling."""
    counts = np.bincount(ancestors, minlength=weights.shape[0])
    return float(np.abs(counts - ancestors.shape[0] * weights / weights.sum()).max())
