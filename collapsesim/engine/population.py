"""The population: N individuals as a struct of arrays, on any backend.

A :class:`Population` holds, for each individual (leading axes ``(N,)``, or
``(R, N)`` for R replicates — or islands — held together):

* ``state``   — the genome / particle / sequence (any trailing shape);
* ``fitness`` — fitness, or log-weight for a particle filter (float);
* ``parent``  — index of the parent in the previous generation (-1 at founding);
* ``label``   — the type label diversity is counted over (a mode, a haplotype…);
* ``founder`` — the time-0 individual each one descends from.

``label`` and ``founder`` may be ``None`` (not tracked: a domain whose
:class:`~collapsesim.engine.genealogy.Genealogy` keeps the lineages); every
operation skips them then. Operations act on every field at once, through the
backend, and return a new population (the arrays are copied, never written
in place):

* :meth:`Population.select` — the next generation: rows ``indices`` copied,
  ``parent`` set to ``indices``;
* :meth:`Population.take` — the same generation reordered or subset: rows
  copied, ``parent`` carried with them;
* :meth:`Population.put` — rows ``slots`` overwritten by another population's
  rows, every field (``parent`` included);
* :meth:`Population.concatenate` — two populations side by side along the
  individual axis (a pool of parents and children);
* :meth:`Population.apply` — one array function on every field (e.g. a roll
  along the replicate axis);
* :attr:`Population.index` — each individual's own index: the ``parent`` of an
  individual that survives unchanged into the next generation.

The full pruned ancestry lives in
:class:`~collapsesim.engine.genealogy.Genealogy`, re-exported here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backends import Backend, get_backend
from .genealogy import Genealogy

__all__ = ["Genealogy", "Population"]


@dataclass(frozen=True)
class Population:
    """Struct of arrays of one population (or of R replicate populations)."""

    state: Any
    fitness: Any
    parent: Any
    label: Any  # None: not tracked
    founder: Any  # None: not tracked
    backend: Backend

    _FIELDS = ("state", "fitness", "parent", "label", "founder")

    @classmethod
    def new(
        cls,
        state,
        fitness=None,
        label=None,
        *,
        backend: str | Backend = "numpy",
        device: str = "cpu",
        batched: bool = False,
        founders: bool = True,
    ) -> Population:
        """A founding population: ``parent`` = -1, ``founder`` = the individual's own
        index, ``fitness`` zeros and ``label`` the founder index unless given.
        ``batched``: the first axis of ``state`` is the replicate axis.
        ``founders=False``: no ``founder`` array, and no ``label`` unless given."""
        be = get_backend(backend, device)
        state = be.asarray(state)
        lead = tuple(state.shape[: 2 if batched else 1])
        size = lead[-1]
        index = np.broadcast_to(np.arange(size, dtype=np.int64), lead)
        fitness = np.zeros(lead) if fitness is None else fitness
        if label is None and founders:
            label = index
        return cls(
            state=state,
            fitness=be.asarray(fitness),
            parent=be.asarray(np.full(lead, -1, dtype=np.int64)),
            label=None if label is None else be.asarray(label),
            founder=be.asarray(index) if founders else None,
            backend=be,
        )

    @property
    def size(self) -> int:
        """Number of individuals (per replicate)."""
        return int(self.fitness.shape[-1])

    @property
    def batched(self) -> bool:
        """Whether a leading replicate axis is present."""
        return len(self.fitness.shape) == 2

    @property
    def index(self):
        """Each individual's own index, shaped like ``fitness`` (int64 on the
        backend): the ``parent`` of an individual that survives unchanged into the
        next generation."""
        own = self.backend.arange(self.size)
        if not self.batched:
            return own
        return own[None, :] + 0 * self.backend.arange(self.fitness.shape[0])[:, None]

    def _map(self, fn, *others, fields=_FIELDS) -> Population:
        """``fn(field, *the same field of others)`` for every tracked one of ``fields``."""
        changes = {}
        for name in fields:
            a = getattr(self, name)
            if a is not None:
                changes[name] = fn(a, *(getattr(o, name) for o in others))
        return dataclasses.replace(self, **changes)

    def select(self, indices) -> Population:
        """The next generation formed by copying the rows ``indices`` (shape ``(n,)``,
        or ``(R, n)`` when batched: row r's indices within replicate r): ``parent``
        becomes ``indices``."""
        be = self.backend
        idx = be.asarray(indices)
        moved = self._map(lambda a: be.take(a, idx), fields=("state", "fitness", "label", "founder"))
        return moved.replace(parent=idx)

    def take(self, indices) -> Population:
        """The rows ``indices`` (as in :meth:`select`) of every field, ``parent``
        included: the same generation reordered or subset (the survivors of a
        replacement keep the parents they had)."""
        be = self.backend
        idx = be.asarray(indices)
        return self._map(lambda a: be.take(a, idx))

    def put(self, slots, other: Population) -> Population:
        """A copy whose rows ``slots`` (``(k,)``, or ``(R, k)`` when batched) hold
        ``other``'s rows ``0..k-1``, in every field (``parent`` included): ``other``
        has k individuals (per replicate) and tracks the same fields."""
        be = self.backend
        idx = be.asarray(slots)
        return self._map(lambda a, b: be.put(a, idx, b), other)

    def concatenate(self, other: Population) -> Population:
        """This population followed by ``other`` along the individual axis (per
        replicate when batched), every field; ``other`` tracks the same fields."""
        be, axis = self.backend, 1 if self.batched else 0
        return self._map(lambda a, b: be.concatenate([a, b], axis), other)

    def apply(self, fn) -> Population:
        """``fn`` applied to every tracked array (state, fitness, parent, label,
        founder), e.g. ``lambda a: xp.roll(a, 1, 0)`` to move each replicate's rows
        to the next replicate."""
        return self._map(fn)

    def replace(self, **changes) -> Population:
        """A copy with some arrays replaced (e.g. new ``state`` after mutation)."""
        return dataclasses.replace(self, **changes)
