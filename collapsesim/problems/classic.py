"""Goldberg's one-dimensional multimodal functions M1–M4 and Rastrigin.

M1–M4 are the test functions of the classic niching studies (Goldberg &
Richardson 1987; Deb & Goldberg 1989; Mahfoud 1995): five peaks on [0, 1],
equal and evenly spaced (M1), decreasing (M2), equal and unevenly spaced (M3),
decreasing and unevenly spaced (M4). M1 is CEC'2013's F2 and M4 its F3. The
niching criterion there is to hold *all five peaks*, so the types are counted
over the five peaks (``peaks``); the global optima are the highest ones.

Rastrigin (maximised, maximum 0 at the origin) is the scalable speed benchmark.
"""

from __future__ import annotations

import numpy as np

from . import functions as fn
from .base import RealProblem
from .kernels import rastrigin_kernel

_EVEN = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
_UNEVEN = (0.15 + 0.2 * np.arange(5)) ** (4.0 / 3.0)  # x^(3/4) − 0.05 = 0.1, 0.3, …


def _peak(function, x0: float) -> float:
    """The maximum of a 1-D function near ``x0`` by golden-section search on ±0.02."""
    lo, hi = x0 - 0.02, x0 + 0.02
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    for _ in range(200):
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if function(np.array([[a]]), np)[0] < function(np.array([[b]]), np)[0]:
            lo = a
        else:
            hi = b
    return 0.5 * (lo + hi)


def goldberg(k: int) -> RealProblem:
    """Goldberg's M``k`` (k = 1…4) on [0, 1]."""
    table = {
        1: (fn.equal_maxima, _EVEN, "five equal, evenly spaced peaks: sin⁶(5πx)"),
        2: (fn.decreasing_maxima, _EVEN, "five decreasing, evenly spaced peaks"),
        3: (fn.uneven_maxima, _UNEVEN, "five equal, unevenly spaced peaks"),
        4: (fn.uneven_decreasing_maxima, _UNEVEN, "five decreasing, unevenly spaced peaks"),
    }
    if k not in table:
        raise ValueError(f"Goldberg's functions are M1–M4, not M{k}")
    function, centres, what = table[k]
    peaks = np.array([[_peak(function, c)] for c in centres])
    heights = function(peaks, np)
    f_opt = float(heights.max())
    optima = peaks[heights > f_opt - 1e-9]
    return RealProblem(name=f"M{k}", dim=1, lower=np.zeros(1), upper=np.ones(1), function=function,
                       f_opt=f_opt, optima=optima, peaks=peaks, rho=0.01,
                       description=f"Goldberg's M{k}: {what}")


def rastrigin(dim: int) -> RealProblem:
    """Rastrigin in ``dim`` dimensions on [−5.12, 5.12]^D (maximised)."""
    return RealProblem(name="rastrigin", dim=dim, lower=np.full(dim, -5.12), upper=np.full(dim, 5.12),
                       function=fn.rastrigin, f_opt=0.0, optima=np.zeros((1, dim)),
                       description=f"Rastrigin, {dim}-D, maximised (maximum 0 at the origin)",
                       numba_function=rastrigin_kernel)
