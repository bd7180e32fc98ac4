"""The CEC'2013 niching suite, F1–F20 (Li, Engelbrecht & Epitropakis 2013):
each problem with its bounds, number of global optima, niche radius ρ,
evaluation budget (MaxFEs), optimum value and the coordinates of every global
optimum.

| F | function | D | optima | ρ | MaxFEs |
|---|---|---|---|---|---|
| 1 | five-uneven-peak trap | 1 | 2 | 0.01 | 5·10⁴ |
| 2 | equal maxima | 1 | 5 | 0.01 | 5·10⁴ |
| 3 | uneven decreasing maxima | 1 | 1 | 0.01 | 5·10⁴ |
| 4 | Himmelblau | 2 | 4 | 0.01 | 5·10⁴ |
| 5 | six-hump camel back | 2 | 2 | 0.5 | 5·10⁴ |
| 6, 8 | Shubert | 2, 3 | 18, 81 | 0.5 | 2·10⁵, 4·10⁵ |
| 7, 9 | Vincent | 2, 3 | 36, 216 | 0.2 | 2·10⁵, 4·10⁵ |
| 10 | modified Rastrigin | 2 | 12 | 0.01 | 2·10⁵ |
| 11–20 | CF1, CF2, CF3, CF3, CF4, CF3, CF4, CF3, CF4, CF4 | 2, 2, 2, 3, 3, 5, 5, 10, 10, 20 | 6 or 8 | 0.01 | 2·10⁵ (F11–F13), 4·10⁵ |

The optimum values are the official ones (F3's true maximum is
0.99999983, within the finest accuracy 10⁻⁵ of the official 1).
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from . import functions as fn
from .base import RealProblem
from .composition import Composition

DIMS = (1, 1, 1, 2, 2, 2, 2, 3, 3, 2, 2, 2, 2, 3, 3, 5, 5, 10, 10, 20)
N_OPTIMA = (2, 5, 1, 4, 2, 18, 36, 81, 216, 12, 6, 8, 6, 6, 8, 6, 8, 6, 8, 8)
RHO = (0.01, 0.01, 0.01, 0.01, 0.5, 0.5, 0.2, 0.5, 0.2, 0.01) + (0.01,) * 10
MAX_FES = (50_000,) * 5 + (200_000, 200_000, 400_000, 400_000, 200_000, 200_000, 200_000, 200_000) \
    + (400_000,) * 7
F_OPT = (200.0, 1.0, 1.0, 200.0, 1.031628453489877, 186.7309088310239, 1.0, 2709.093505572820,
         1.0, -2.0) + (0.0,) * 10
COMPOSITION = {11: "CF1", 12: "CF2", 13: "CF3", 14: "CF3", 15: "CF4", 16: "CF3", 17: "CF4",
               18: "CF3", 19: "CF4", 20: "CF4"}

HIMMELBLAU_OPTIMA = np.array([
    [3.0, 2.0],
    [-2.805118086952745, 3.131312518250573],
    [-3.779310253377747, -3.2831859912861696],
    [3.5844283403304917, -1.8481265269644036],
])
CAMEL_OPTIMA = np.array([[0.08984201310031807, -0.7126564030207396],
                         [-0.08984201310031807, 0.7126564030207396]])


def _newton(f1, f2, x: np.ndarray, steps: int = 50) -> np.ndarray:
    for _ in range(steps):
        x = x - f1(x) / f2(x)
    return x


@lru_cache(maxsize=None)
def shubert_extrema() -> tuple[np.ndarray, np.ndarray]:
    """The points of [−10, 10] where g(x) = Σ_{j=1..5} j cos((j+1)x + j) reaches its
    global maximum (three points) and its global minimum (three points), found by
    Newton's method on g' from a fine grid."""
    j = np.arange(1.0, 6.0)

    def g(x):
        return (j * np.cos((j + 1) * x[:, None] + j)).sum(-1)

    def g1(x):
        return -(j * (j + 1) * np.sin((j + 1) * x[:, None] + j)).sum(-1)

    def g2(x):
        return -(j * (j + 1) ** 2 * np.cos((j + 1) * x[:, None] + j)).sum(-1)

    grid = np.linspace(-10.0, 10.0, 40_001)
    values = g(grid)
    out = []
    for sign in (1.0, -1.0):
        s = sign * values
        interior = np.flatnonzero((s[1:-1] >= s[:-2]) & (s[1:-1] >= s[2:])) + 1
        x = _newton(g1, g2, grid[interior])
        best = (sign * g(x)).max()
        out.append(np.sort(x[sign * g(x) > best - 1e-9]))
    return out[0], out[1]


def _shubert_optima(dim: int) -> np.ndarray:
    """Global maxima of −Π g(x_i): one coordinate at a minimum of g, the others at maxima."""
    maxima, minima = shubert_extrema()
    points = []
    for where in range(dim):
        choices = [minima if i == where else maxima for i in range(dim)]
        points.extend(itertools.product(*choices))
    return np.array(sorted(points))


def _vincent_optima(dim: int) -> np.ndarray:
    """sin(10 ln x) = 1 at x = exp((π/2 + 2πk)/10), six values in [0.25, 10]."""
    k = np.arange(-2, 4)
    x = np.exp((math.pi / 2 + 2 * math.pi * k) / 10.0)
    return np.array(list(itertools.product(x, repeat=dim)))


def _f3_optimum() -> np.ndarray:
    """The one global maximum of F3 near x = 0.15^(4/3) (Newton on the derivative)."""
    h = 1e-5

    def d1(x):
        return (fn.uneven_decreasing_maxima(x[:, None] + h, np)
                - fn.uneven_decreasing_maxima(x[:, None] - h, np)) / (2 * h)

    def d2(x):
        return (fn.uneven_decreasing_maxima(x[:, None] + h, np) - 2 * fn.uneven_decreasing_maxima(
            x[:, None], np) + fn.uneven_decreasing_maxima(x[:, None] - h, np)) / h ** 2

    return _newton(d1, d2, np.array([0.15 ** (4 / 3)]), steps=20)[:, None]


def _optima(i: int, dim: int) -> np.ndarray:
    if i == 1:
        return np.array([[0.0], [30.0]])
    if i == 2:
        return np.array([[0.1], [0.3], [0.5], [0.7], [0.9]])
    if i == 3:
        return _f3_optimum()
    if i == 4:
        return HIMMELBLAU_OPTIMA.copy()
    if i == 5:
        return CAMEL_OPTIMA.copy()
    if i in (6, 8):
        return _shubert_optima(dim)
    if i in (7, 9):
        return _vincent_optima(dim)
    if i == 10:
        return np.array(list(itertools.product([1 / 6, 1 / 2, 5 / 6], [1 / 8, 3 / 8, 5 / 8, 7 / 8])))
    raise ValueError(i)


_BOUNDS = {1: (0.0, 30.0), 2: (0.0, 1.0), 3: (0.0, 1.0), 4: (-6.0, 6.0), 6: (-10.0, 10.0),
           7: (0.25, 10.0), 8: (-10.0, 10.0), 9: (0.25, 10.0), 10: (0.0, 1.0)}
_FUNCTIONS = {1: fn.five_uneven_peak_trap, 2: fn.equal_maxima, 3: fn.uneven_decreasing_maxima,
              4: fn.himmelblau, 5: fn.six_hump_camel_back, 6: fn.shubert, 7: fn.vincent,
              8: fn.shubert, 9: fn.vincent, 10: fn.modified_rastrigin}
_NAMES = {1: "five-uneven-peak trap", 2: "equal maxima", 3: "uneven decreasing maxima",
          4: "Himmelblau", 5: "six-hump camel back", 6: "Shubert", 7: "Vincent", 8: "Shubert",
          9: "Vincent", 10: "modified Rastrigin"}


@lru_cache(maxsize=None)
def cec2013(i: int) -> RealProblem:
    """Problem F``i`` (1 ≤ i ≤ 20) of the CEC'2013 niching suite."""
    if not 1 <= i <= 20:
        raise ValueError(f"the CEC'2013 niching suite has problems F1–F20, not F{i}")
    dim = DIMS[i - 1]
    if i == 5:
        lower, upper = np.array([-1.9, -1.1]), np.array([1.9, 1.1])
    elif i <= 10:
        lo, hi = _BOUNDS[i]
        lower, upper = np.full(dim, lo), np.full(dim, hi)
    else:
        lower, upper = np.full(dim, -5.0), np.full(dim, 5.0)
    if i <= 10:
        function, optima, what = _FUNCTIONS[i], _optima(i, dim), _NAMES[i]
    else:
        comp = Composition(COMPOSITION[i], dim)
        function, optima, what = comp, comp.optima[: N_OPTIMA[i - 1]].copy(), f"composition {COMPOSITION[i]}"
    assert optima.shape == (N_OPTIMA[i - 1], dim)
    return RealProblem(name=f"F{i}", dim=dim, lower=lower, upper=upper, function=function,
                       f_opt=F_OPT[i - 1], optima=optima, rho=RHO[i - 1], max_fes=MAX_FES[i - 1],
                       description=f"CEC'2013 F{i}: {what} ({dim}-D, {N_OPTIMA[i - 1]} global optima)")
