"""The composition functions CF1–CF4 of the CEC'2013 niching suite (F11–F20).

A composition function blends n basic functions f_i, each shifted to its own
optimum o_i, scaled by λ_i and rotated by M_i (Li, Engelbrecht & Epitropakis
2013, §2; Liang, Suganthan & Deb 2005):

    F(x) = −Σ_i w_i(x) · (C · f_i(z_i) / f_i^max + bias_i),   z_i = ((x − o_i)/λ_i) M_i,

with C = 2000, bias_i = 0 (every component is a global optimum, F = 0 at
o_i), f_i^max = f_i((5, …, 5)/λ_i · M_i) and the weights
w_i = exp(−‖x − o_i‖² / (2 D σ_i²)), every weight but the largest multiplied
by (1 − max w¹⁰), then normalised (1/n each if all vanish). Row-vector times
M_i, weights and f^max exactly as the official implementation computes them.

The optima o_i are the first n rows of ``optima.dat`` (first D columns) and
the rotations of CF3/CF4 the first n D×D blocks of ``CF{3,4}_M_D{D}.dat``
(CF1/CF2 are unrotated); the files ship in ``collapsesim/data/cec2013/`` with
the suite's BSD licence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from .base import constant

C = 2000.0


def data_file(name: str):
    """A file of the bundled CEC'2013 data (a ``Traversable``, readable by numpy)."""
    return resources.files("collapsesim").joinpath("data", "cec2013", name)


@lru_cache(maxsize=None)
def _load(name: str) -> np.ndarray:
    with data_file(name).open("r") as f:
        return np.loadtxt(f)


# -- the basic functions, on z of shape (..., D) ----------------------------------------
def sphere(z, xp):
    return (z * z).sum(-1)


def rastrigin(z, xp):
    return (z * z - 10.0 * xp.cos(2.0 * math.pi * z) + 10.0).sum(-1)


def griewank(z, xp):
    i = constant(z, np.sqrt(np.arange(1.0, z.shape[-1] + 1.0)))
    return (z * z).sum(-1) / 4000.0 - xp.cos(z / i).prod(-1) + 1.0


_A = 0.5 ** np.arange(21.0)           # Weierstrass: a = 0.5, b = 3, k_max = 20
_B = 2.0 * math.pi * 3.0 ** np.arange(21.0)
_W0 = float(np.sum(_A * np.cos(_B * 0.5)))


def weierstrass(z, xp):
    a, b = constant(z, _A), constant(z, _B)
    return (a * xp.cos(b * (z[..., None] + 0.5))).sum((-1, -2)) - z.shape[-1] * _W0


def _f8f2(a, b):
    f2 = 100.0 * (a * a - b) ** 2 + (1.0 - a) ** 2
    return f2, 1.0 + f2 * f2 / 4000.0


def expanded_griewank_rosenbrock(z, xp):
    """EF8F2: Σ_i F8(F2(z_i + 1, z_{i+1} + 1)), cyclically (the last pair is (z_D, z_1))."""
    y = z + 1.0
    f2, g = _f8f2(y, xp.roll(y, -1, -1))
    return (g - xp.cos(f2)).sum(-1)


@dataclass(frozen=True)
class Spec:
    """One composition: component functions, σ_i, λ_i and whether it is rotated."""

    functions: tuple
    sigma: tuple
    lam: tuple
    rotation: str | None  # data-file prefix of the rotation matrices, None = identity


SPECS = {
    "CF1": Spec((griewank, griewank, weierstrass, weierstrass, sphere, sphere),
                (1.0,) * 6, (1.0, 1.0, 8.0, 8.0, 1.0 / 5.0, 1.0 / 5.0), None),
    "CF2": Spec((rastrigin, rastrigin, weierstrass, weierstrass, griewank, griewank, sphere, sphere),
                (1.0,) * 8, (1.0, 1.0, 10.0, 10.0, 1.0 / 10.0, 1.0 / 10.0, 1.0 / 7.0, 1.0 / 7.0), None),
    "CF3": Spec((expanded_griewank_rosenbrock, expanded_griewank_rosenbrock, weierstrass, weierstrass,
                 griewank, griewank),
                (1.0, 1.0, 2.0, 2.0, 2.0, 2.0), (1.0 / 4.0, 1.0 / 10.0, 2.0, 1.0, 2.0, 5.0), "CF3"),
    "CF4": Spec((rastrigin, rastrigin, expanded_griewank_rosenbrock, expanded_griewank_rosenbrock,
                 weierstrass, weierstrass, griewank, griewank),
                (1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0),
                (4.0, 1.0, 4.0, 1.0, 1.0 / 10.0, 1.0 / 5.0, 1.0 / 10.0, 1.0 / 40.0), "CF4"),
}


class Composition:
    """A composition function in dimension ``dim``: ``f(x, xp)`` for x ``(..., D)``."""

    def __init__(self, name: str, dim: int):
        spec = SPECS[name]
        n = len(spec.functions)
        self.name, self.dim, self.spec = name, dim, spec
        self.optima = _load("optima.dat")[:n, :dim].copy()
        if spec.rotation is None:
            self.rotations = np.broadcast_to(np.eye(dim), (n, dim, dim)).copy()
        else:
            rows = _load(f"{spec.rotation}_M_D{dim}.dat").reshape(-1, dim)
            self.rotations = rows[: n * dim].reshape(n, dim, dim)
        self.lam = np.asarray(spec.lam)
        self.sigma = np.asarray(spec.sigma)
        five = np.full(dim, 5.0)
        self.f_max = np.array([f((five / lam) @ m, np) for f, lam, m
                               in zip(spec.functions, self.lam, self.rotations)])
        self._consts: dict = {}

    def _constants(self, x):
        key = (type(x).__module__, str(getattr(x, "device", "cpu")))
        if key not in self._consts:
            self._consts[key] = tuple(constant(x, v) for v in
                                      (self.optima, self.rotations, self.lam, self.sigma, self.f_max))
        return self._consts[key]

    def __call__(self, x, xp):
        optima, rotations, lam, sigma, f_max = self._constants(x)
        d = x[..., None, :] - optima                              # (..., n, D)
        w = xp.exp(-(d * d).sum(-1) / (2.0 * self.dim * sigma * sigma))
        w_max = xp.amax(w, -1)[..., None]
        w = xp.where(w != w_max, w * (1.0 - w_max ** 10), w)
        total = w.sum(-1)[..., None]
        safe = xp.where(total == 0.0, 1.0, total)
        w = xp.where(total == 0.0, 1.0 / len(self.spec.functions), w / safe)
        out = 0.0
        for i, f in enumerate(self.spec.functions):
            z = (d[..., i, :] / lam[i]) @ rotations[i]
            out = out + w[..., i] * (C * f(z, xp) / f_max[i])
        return -out
