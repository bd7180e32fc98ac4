"""The interface of a test problem: a vectorised fitness (maximised) with its
bounds, its known optima and, for the CEC'2013 niching suite, the official
niche radius, budget and optimum value.

A problem evaluates a whole population at once: real-valued genomes are float
arrays ``(..., D)`` (numpy or torch, on any device; leading axes are
individuals, islands, replicates) and bit strings are packed uint64 words
``(..., W)`` (:mod:`collapsesim.engine.bits`). Each function is written once
against an array namespace ``xp`` (``numpy`` or ``torch``, see :func:`namespace`)
and returns float64 fitness of shape ``(...)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..engine.kernels import implements


def is_torch(x) -> bool:
    """Whether ``x`` is a torch tensor (without importing torch for numpy input)."""
    return type(x).__module__.startswith("torch")


def namespace(x):
    """The array namespace of ``x``: ``torch`` for a tensor, ``numpy`` otherwise."""
    if is_torch(x):
        import torch

        return torch
    return np


def constant(x, value):
    """``value`` as an array of ``x``'s namespace, float64, on ``x``'s device."""
    if is_torch(x):
        import torch

        return torch.as_tensor(np.asarray(value, dtype=np.float64), device=x.device)
    return np.asarray(value, dtype=np.float64)


def as_float64(x):
    """``x`` as a float64 array of its own namespace (numpy input may be a list)."""
    if is_torch(x):
        import torch

        return x.to(torch.float64)
    return np.asarray(x, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class RealProblem:
    """A continuous maximisation problem on the box ``[lower, upper]``.

    ``function(x, xp)`` maps float64 ``(..., D)`` to ``(...)``. ``optima``
    (K × D) are the known global optima, ``f_opt`` their value; ``peaks`` (if
    given) are all the maxima the types are counted over (Goldberg's M2 and M4
    have one global but five peaks), else the global optima. ``rho`` (niche
    radius) and ``max_fes`` (evaluation budget) are the CEC'2013 settings where
    the problem belongs to that suite. ``numba_function`` (optional) is a
    compiled kernel on float64 ``(n, D)`` numpy arrays used by the numba backend.
    """

    name: str
    dim: int
    lower: np.ndarray
    upper: np.ndarray
    function: Callable[[Any, Any], Any]
    f_opt: float
    optima: np.ndarray
    peaks: np.ndarray | None = None
    rho: float | None = None
    max_fes: int | None = None
    description: str = ""
    numba_function: Callable | None = field(default=None, repr=False)

    kind = "real"

    @property
    def n_optima(self) -> int:
        """Number of global optima."""
        return int(self.optima.shape[0])

    @property
    def targets(self) -> np.ndarray:
        """The points whose Voronoi cells define the types: ``peaks`` or the global optima."""
        return self.optima if self.peaks is None else self.peaks

    def evaluate(self, x):
        """Fitness of ``x`` (float ``(..., D)``, numpy or torch): float64 ``(...)``."""
        x = as_float64(x)
        if x.shape[-1] != self.dim:
            raise ValueError(f"{self.name}: expected points of dimension {self.dim}, got {tuple(x.shape)}")
        return self.function(x, namespace(x))

    def evaluator(self, backend) -> Callable:
        """The evaluation used on ``backend``: the operator ``problems.evaluate``
        (the compiled kernel on numba when the problem has one)."""
        return functools.partial(backend.op("problems.evaluate"), self)

    def clip(self, x):
        """``x`` clipped into the box (numpy or torch)."""
        lo, hi = constant(x, self.lower), constant(x, self.upper)
        if is_torch(x):
            import torch

            return torch.minimum(torch.maximum(x, lo.to(x.dtype)), hi.to(x.dtype))
        return np.clip(x, lo, hi)


@dataclass(frozen=True, eq=False)
class BitProblem:
    """A pseudo-Boolean maximisation problem on ``n_bits`` genes, packed in uint64
    words (gene g is bit g % 64 of word g // 64). ``function(genomes, xp)``
    maps packed ``(..., W)`` to float64 ``(...)``; ``optima`` are the global
    optima as booleans (K × n_bits)."""

    name: str
    n_bits: int
    function: Callable[[Any, Any], Any]
    f_opt: float
    optima: np.ndarray
    description: str = ""
    numba_function: Callable | None = field(default=None, repr=False)

    kind = "bits"
    rho = None
    max_fes = None
    peaks = None

    @property
    def n_words(self) -> int:
        return -(-self.n_bits // 64)

    @property
    def dim(self) -> int:
        return self.n_bits

    @property
    def n_optima(self) -> int:
        return int(self.optima.shape[0])

    @property
    def targets(self) -> np.ndarray:
        return self.optima

    def evaluate(self, genomes):
        """Fitness of packed genomes (uint64 ``(..., W)``, numpy or torch): float64 ``(...)``."""
        if genomes.shape[-1] != self.n_words:
            raise ValueError(f"{self.name}: expected {self.n_words} words per genome, "
                             f"got {tuple(genomes.shape)}")
        return self.function(genomes, namespace(genomes))

    def evaluator(self, backend) -> Callable:
        """The evaluation used on ``backend``: the operator ``problems.evaluate``
        (the compiled kernel on numba when the problem has one)."""
        return functools.partial(backend.op("problems.evaluate"), self)


Problem = RealProblem | BitProblem


@implements("problems.evaluate", "numpy", "torch")
def evaluate(backend, problem: Problem, x):
    """``problem.evaluate(x)``: the function written against numpy or torch."""
    return problem.evaluate(x)


@implements("problems.evaluate", "numba")
def evaluate_compiled(backend, problem: Problem, x):
    """The problem's compiled kernel on the rows of a 2-d float64 (reals) or
    uint64 (packed bits) view, when it has one; ``problem.evaluate`` otherwise."""
    if problem.numba_function is None:
        return problem.evaluate(x)
    a = np.asarray(x, dtype=np.uint64 if problem.kind == "bits" else np.float64)
    flat = np.ascontiguousarray(a.reshape(-1, a.shape[-1]))
    return problem.numba_function(flat).reshape(a.shape[:-1])
