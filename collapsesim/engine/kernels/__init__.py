"""Named engine operators and their per-backend implementations.

An operator is a name (``"sbx"``, ``"gumbel_top_k"``, ``"sweep.assemble"``)
with one implementation per backend, registered with :func:`implements`::

    @implements("polynomial_mutation", "numpy")
    def polynomial_mutation(backend, x, low, high, eta, rate, rng): ...

Every implementation takes the backend first, then the operator's own
arguments. The numpy implementation is the specification; numba and torch
implementations are tested against it. A backend that has no implementation
of its own uses its ``fallback`` backend's (numba → numpy): an operator whose
numpy version is already vectorised needs no separate numba kernel.

The engine's own operators live in the modules of this package, which are
imported on the first lookup (a new module here needs no registration list).
A domain's fused kernel registers under a dotted name (``"<domain>.<op>"``)
from the domain's own module, which must be imported before the lookup —
dispatch replaces ``if backend.name == ...`` branches.

Built-in backend methods (``resample``, ``tournament``, ``truncation``, ...)
are operators too: :func:`lookup` finds them by name.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Callable

_IMPLS: dict[tuple[str, str], Callable] = {}
_LOADED = False


def implements(op: str, *backends: str):
    """Register the decorated function as ``op``'s implementation on ``backends``."""
    if not backends:
        raise TypeError("implements(op, *backends): name at least one backend")

    def deco(fn: Callable) -> Callable:
        for b in backends:
            key = (op, b)
            if key in _IMPLS and _IMPLS[key] is not fn:
                raise ValueError(f"operator {op!r} already has a {b} implementation")
            _IMPLS[key] = fn
        return fn

    return deco


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def registered(op: str | None = None) -> dict[str, tuple[str, ...]]:
    """Registered operators and the backends that implement each (or one operator's)."""
    _load()
    out: dict[str, list[str]] = {}
    for (name, b) in _IMPLS:
        out.setdefault(name, []).append(b)
    if op is not None:
        return {op: tuple(sorted(out.get(op, ())))}
    return {k: tuple(sorted(v)) for k, v in sorted(out.items())}


def lookup(op: str, backend) -> Callable:
    """``op`` bound to ``backend``: its own implementation, else its fallback's,
    else a built-in backend method of that name. A registered implementation
    with an ``rng`` parameter accepts per-replicate generators
    (:mod:`collapsesim.engine.replicates`)."""
    key = (op, backend.name, backend.device)
    fn = _BOUND.get(key)
    if fn is None or fn.backend is not backend:
        fn = _BOUND[key] = _Bound(_lookup(op, backend), backend)
    return fn.fn


class _Bound:
    def __init__(self, fn: Callable, backend):
        from ..replicates import by_rows

        self.fn, self.backend = by_rows(fn), backend


_BOUND: dict[tuple, _Bound] = {}


def _lookup(op: str, backend) -> Callable:
    _load()
    name = backend.name
    while name is not None:
        fn = _IMPLS.get((op, name))
        if fn is not None:
            return functools.partial(fn, backend)
        name = _fallback_of(name)
    method = getattr(type(backend), op, None)
    if callable(method) and not op.startswith("_"):
        return getattr(backend, op)
    have = sorted(b for (o, b) in _IMPLS if o == op)
    if have:
        raise NotImplementedError(
            f"operator {op!r} has no {backend.name} implementation (it has: {', '.join(have)})")
    raise KeyError(f"unknown engine operator {op!r}")


def _fallback_of(name: str) -> str | None:
    from ..backends import get_backend

    return get_backend(name).fallback if name in ("numpy", "numba") else None
