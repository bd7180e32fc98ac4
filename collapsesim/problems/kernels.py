"""Compiled (numba) fitness kernels for the numba backend, where they pay:
the scalable speed benchmarks. Each takes a C-contiguous 2-d array, one row per
individual, and returns float64 fitness; the numpy versions in
:mod:`.functions` and :mod:`.bits` are the specification they are tested against.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_OPTS = dict(cache=True, nogil=True, fastmath=False)


@njit(**_OPTS)
def rastrigin_kernel(x):
    """−Σ (x² − 10 cos 2πx + 10) per row, without temporaries."""
    n, d = x.shape
    out = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(d):
            v = x[i, j]
            s += v * v - 10.0 * math.cos(2.0 * math.pi * v) + 10.0
        out[i] = -s
    return out


@njit(**_OPTS)
def _popcount(w):
    w = w - ((w >> np.uint64(1)) & np.uint64(0x5555555555555555))
    w = (w & np.uint64(0x3333333333333333)) + ((w >> np.uint64(2)) & np.uint64(0x3333333333333333))
    w = (w + (w >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (w * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(**_OPTS)
def onemax_kernel(genomes):
    """Number of set bits per row of uint64 words."""
    n, w = genomes.shape
    out = np.empty(n)
    for i in range(n):
        s = 0
        for k in range(w):
            s += _popcount(genomes[i, k])
        out[i] = s
    return out


@njit(**_OPTS)
def royal_road_kernel(genomes, n_blocks):
    """8 × (number of complete bytes among the first ``n_blocks`` bytes) per row."""
    n = genomes.shape[0]
    out = np.empty(n)
    for i in range(n):
        s = 0
        for b in range(n_blocks):
            if (genomes[i, b // 8] >> np.uint64(8 * (b % 8))) & np.uint64(0xFF) == np.uint64(0xFF):
                s += 8
        out[i] = s
    return out
