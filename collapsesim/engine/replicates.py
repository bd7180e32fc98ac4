"""One generator per replicate row: R replicates as one array program whose
row r draws exactly what replicate r draws when it runs alone.

DESIGN.md: replicate j draws from ``SeedSequence(seed, spawn_key=(j,))``. A
batched simulation holds its R replicates along a leading axis; to keep every
row reproducible on its own, its random operators draw row r from replicate
r's own generator. :class:`RowGenerators` is that stack of generators, made
by :meth:`Backend.row_rngs`. Every random method of a backend (the draws
``uniform``, ``normal``, ``integers``, ``poisson``, ``exponential``,
``permutation`` and the operators ``resample``, ``multinomial_counts``,
``tournament``, ``proportional``, the mutations and crossovers, and named
operators from :meth:`Backend.op`) accepts a :class:`RowGenerators` as its
``rng``: the call is then made once per row with that row's generator and the
row's slice of every per-row argument, and the results are stacked —

* an argument called ``shape`` must start with R; each row draws ``shape[1:]``;
* an array argument (numpy or torch) whose first axis has length R is split by
  row; an array argument of another length, and every scalar, is passed whole.

So ``backend.tournament(fitness (R, N), n, k, rows)`` row r equals
``backend.tournament(fitness[r], n, k, rng_r)`` bitwise: the batched program
is the lone program's numbers, stacked. The random numbers are drawn per row
(a Python loop over R calls of a compiled or vectorised operator); every other
operation of the simulation (fitness, weights, observation) runs on the whole
(R, …) array. A backend may register a faster implementation for rows
(a fused kernel with the R generators' states) under its own operator name;
it must give the same numbers.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

#: The backend methods that take an ``rng`` and accept :class:`RowGenerators`.
RANDOM_METHODS = ("uniform", "normal", "integers", "poisson", "exponential", "permutation",
                  "resample", "multinomial_counts", "tournament", "proportional",
                  "gaussian_mutation", "bitflip_mutation", "uniform_crossover",
                  "one_point_crossover")


class RowGenerators(Sequence):
    """The generators of R replicates, in replicate order (row r ↔ ``gens[r]``)."""

    def __init__(self, gens: Sequence[Any]):
        self.gens = list(gens)
        if not self.gens:
            raise ValueError("RowGenerators needs at least one generator")

    def __len__(self) -> int:
        return len(self.gens)

    def __getitem__(self, r):
        if isinstance(r, slice):
            return RowGenerators(self.gens[r])
        return self.gens[r]

    @property
    def R(self) -> int:
        return len(self.gens)

    def subset(self, rows) -> RowGenerators:
        """The generators of ``rows`` (e.g. the replicates still running)."""
        return RowGenerators([self.gens[int(r)] for r in rows])


def _is_array(x) -> bool:
    return isinstance(x, np.ndarray) or (hasattr(x, "shape") and hasattr(x, "device")
                                         and hasattr(x, "detach"))


def _stack(parts: list):
    first = parts[0]
    if isinstance(first, tuple):
        return tuple(_stack([p[i] for p in parts]) for i in range(len(first)))
    if isinstance(first, np.ndarray) or np.isscalar(first):
        return np.stack([np.asarray(p) for p in parts])
    import torch

    return torch.stack(parts)


def _row_args(bound: inspect.BoundArguments, rng_name: str, rows: RowGenerators, r: int) -> tuple:
    R = rows.R
    args, kwargs = [], {}
    for name, value in bound.arguments.items():
        kind = bound.signature.parameters[name].kind
        if name == rng_name:
            value = rows.gens[r]
        elif name == "shape":
            shape = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
            if not shape or int(shape[0]) != R:
                raise ValueError(f"a draw for {R} generator rows needs a shape starting with "
                                 f"{R}, got {tuple(shape)}")
            value = tuple(int(s) for s in shape[1:])
        elif _is_array(value) and value.ndim >= 1 and value.shape[0] == R:
            value = value[r]
        if kind is inspect.Parameter.VAR_POSITIONAL:
            args.extend(value)
        elif kind is inspect.Parameter.VAR_KEYWORD:
            kwargs.update(value)
        elif kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[name] = value
        else:
            args.append(value)
    return tuple(args), kwargs


def by_rows(fn: Callable, rng_name: str = "rng") -> Callable:
    """``fn`` (a function or bound method with a parameter ``rng_name``) made
    to accept :class:`RowGenerators` there (module docstring); any other
    generator passes through unchanged."""
    sig = inspect.signature(fn)
    if rng_name not in sig.parameters:
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not (any(type(a) is RowGenerators for a in args)
                or any(type(v) is RowGenerators for v in kwargs.values())):
            return fn(*args, **kwargs)
        bound = sig.bind(*args, **kwargs)
        rows = bound.arguments.get(rng_name)
        if not isinstance(rows, RowGenerators):
            return fn(*args, **kwargs)
        parts = []
        for r in range(rows.R):
            a, kw = _row_args(bound, rng_name, rows, r)
            parts.append(fn(*a, **kw))
        return _stack(parts)

    wrapper.by_rows = True
    if isinstance(fn, functools.partial):  # a registered operator bound to its backend
        wrapper.func = fn.func
    return wrapper
