"""The population: N individuals as a struct of arrays, on any backend.

A :class:`Population` holds, for each individual (leading axes ``(N,)``, or
``(R, N)`` for R replicates held together):

* ``state``   — the genome / particle / sequence (any trailing shape);
* ``fitness`` — fitness, or log-weight for a particle filter (float);
* ``parent``  — index of the parent in the previous generation (-1 at founding);
* ``label``   — the type label diversity is counted over (a mode, a haplotype…);
* ``founder`` — the time-0 individual each one descends from.

:meth:`Population.select` applies resampling/selection indices: rows are copied,
``parent`` is set to the indices, labels and founders are carried. The full
pruned ancestry lives in :class:`~collapsesim.engine.genealogy.Genealogy`,
re-exported here.
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
    label: Any
    founder: Any
    backend: Backend

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
    ) -> "Population":
        """A founding population: ``parent`` = -1, ``founder`` = the individual's own
        index, ``fitness`` zeros and ``label`` the founder index unless given.
        ``batched``: the first axis of ``state`` is the replicate axis."""
        be = get_backend(backend, device)
        state = be.asarray(state)
        lead = tuple(state.shape[: 2 if batched else 1])
        size = lead[-1]
        index = np.broadcast_to(np.arange(size, dtype=np.int64), lead)
        fitness = np.zeros(lead) if fitness is None else fitness
        label = index if label is None else label
        return cls(
            state=state,
            fitness=be.asarray(fitness),
            parent=be.asarray(np.full(lead, -1, dtype=np.int64)),
            label=be.asarray(label),
            founder=be.asarray(index),
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

    def select(self, indices) -> "Population":
        """The population formed by copying the rows ``indices`` (shape ``(n,)``, or
        ``(R, n)`` when batched): ``parent`` becomes ``indices``."""
        be = self.backend
        idx = be.asarray(indices)
        return Population(
            state=be.take(self.state, idx),
            fitness=be.take(self.fitness, idx),
            parent=idx,
            label=be.take(self.label, idx),
            founder=be.take(self.founder, idx),
            backend=be,
        )

    def replace(self, **changes) -> "Population":
        """A copy with some arrays replaced (e.g. new ``state`` after mutation)."""
        return dataclasses.replace(self, **changes)
