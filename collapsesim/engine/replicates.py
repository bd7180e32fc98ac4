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
        """The number of rows (replicates)."""
        return len(self)

    def subset(self, rows) -> RowGenerators:
        """The generators of ``rows`` (e.g. the replicates still running)."""
        return RowGenerators([self.gens[int(r)] for r in rows])


class StateRows(RowGenerators):
    """Per-replicate generators held as an (R, 4) array of PCG64 states
    (:mod:`collapsesim.engine.pcg64`), for compiled kernels that draw every row
    in one call. Row r is a numpy ``Generator`` whose stream is bitwise the one
    ``PCG64(seed_r)`` gives: made from the array when a per-row call asks for
    it, and written back into the array before the next kernel reads it.
    ``subset`` views share the parent's array."""

    def __init__(self, states: np.ndarray, index: np.ndarray | None = None,
                 made: dict | None = None):
        self.states = states
        self.index = np.arange(len(states)) if index is None else np.asarray(index, dtype=np.int64)
        self._made = {} if made is None else made  # row of ``states`` -> its live Generator

    def __len__(self) -> int:
        return len(self.index)

    @property
    def gens(self) -> list:
        """Every row's Generator (made from its state where not made yet)."""
        return [self[i] for i in range(len(self))]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self.subset(np.arange(len(self))[i])
        row = int(self.index[i])
        gen = self._made.get(row)
        if gen is None:
            from .pcg64 import generator_at

            gen = self._made[row] = generator_at(self.states[row])
        return gen

    def subset(self, rows) -> StateRows:
        """The rows ``rows``, a view on the same state array."""
        return StateRows(self.states, self.index[np.asarray(rows, dtype=np.int64)], self._made)

    def synced(self) -> tuple[np.ndarray, np.ndarray]:
        """``(states, index)`` for a kernel that advances rows ``index`` of
        ``states`` in place: the Generators made for those rows are written
        back into the array first and dropped (the array is the truth again)."""
        if self._made:
            from .pcg64 import states_of

            live = [r for r in self.index.tolist() if r in self._made]
            if live:
                self.states[live] = states_of([self._made.pop(r) for r in live])
        return self.states, self.index


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


def _row_plan(bound: inspect.BoundArguments, rng_name: str, R: int) -> tuple[list, dict, list]:
    """The call split by rows, worked out once per call: positional and keyword
    arguments with the per-row ones left as slots, and the slots
    ``(where, key, value, how)`` to fill for each row."""
    args, kwargs, slots = [], {}, []
    for name, value in bound.arguments.items():
        kind = bound.signature.parameters[name].kind
        how = None
        if name == rng_name:
            how = "rng"
        elif name == "shape":
            shape = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
            if not shape or int(shape[0]) != R:
                raise ValueError(f"a draw for {R} generator rows needs a shape starting with "
                                 f"{R}, got {tuple(shape)}")
            value = tuple(int(s) for s in shape[1:])
        elif _is_array(value) and value.ndim >= 1 and value.shape[0] == R:
            how = "row"
        if kind is inspect.Parameter.VAR_POSITIONAL:
            args.extend(value)
        elif kind is inspect.Parameter.VAR_KEYWORD:
            kwargs.update(value)
        elif kind is inspect.Parameter.KEYWORD_ONLY:
            if how:
                slots.append((kwargs, name, value, how))
            kwargs[name] = value
        else:
            if how:
                slots.append((args, len(args), value, how))
            args.append(value)
    return args, kwargs, slots


#: method name -> a compiled implementation for :class:`StateRows` (same arguments;
#: returns ``NotImplemented`` where it does not apply and the rows are looped).
_KERNELS: dict[str, Callable] = {}


def rows_kernel(method: str):
    """Register the decorated function as ``method``'s implementation for
    :class:`StateRows`: it must give bitwise the per-row calls' numbers."""

    def deco(fn: Callable) -> Callable:
        _KERNELS[method] = fn
        return fn

    return deco


def by_rows(fn: Callable, rng_name: str = "rng") -> Callable:
    """``fn`` (a function or bound method with a parameter ``rng_name``) made
    to accept :class:`RowGenerators` there (module docstring); any other
    generator passes through unchanged."""
    sig = inspect.signature(fn)
    name = getattr(getattr(fn, "func", fn), "__name__", "")
    if rng_name not in sig.parameters:
        return fn

    params = list(sig.parameters.values())
    at = [p.name for p in params].index(rng_name)
    # where a positional call puts the generator (None: bind to find it)
    place = at if all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                      for p in params[:at + 1]) else None

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if place is not None:  # found without binding: the per-call cost of a kernel call
            rows = args[place] if len(args) > place else kwargs.get(rng_name)
        else:
            rows = sig.bind(*args, **kwargs).arguments.get(rng_name)
        if not isinstance(rows, RowGenerators):
            return fn(*args, **kwargs)
        fast = _KERNELS.get(name) if isinstance(rows, StateRows) else None
        if fast is not None:
            out = fast(*args, **kwargs)
            if out is not NotImplemented:
                return out
        bound = sig.bind(*args, **kwargs)
        a, kw, slots = _row_plan(bound, rng_name, rows.R)
        parts = []
        for r in range(rows.R):
            for where, key, value, how in slots:
                where[key] = rows[r] if how == "rng" else value[r]
            parts.append(fn(*a, **kw))
        return _stack(parts)

    wrapper.by_rows = True
    if isinstance(fn, functools.partial):  # a registered operator bound to its backend
        wrapper.func = fn.func
    return wrapper
