"""Path storage of the ancestry of a population (Jacob, Murray & Rubenthaler 2015).

The ancestral tree of the *current* population is stored as nodes (one per
individual of some generation) with a parent pointer; after every generation
the individuals of the previous generation that left no offspring are removed,
and so, recursively, is every ancestor left without a stored child. Only
ancestors of the current population are ever kept: for a population of N
under neutral resampling, the expected memory after T generations is
O(T + N log N) (JMR 2015, Theorem 1) instead of the O(N·T) of storing every
generation's parent indices. Pruning frees each node once, so an update costs
O(N) amortised. Freed slots are reused; arrays grow by doubling.

What is stored, and counted by :attr:`Genealogy.n_nodes`: every (generation,
individual) pair, from generation 0 to the current one inclusive, that is an
ancestor of (or is) a current individual. So ``n_nodes = sum_s A_s`` where
``A_s`` is the number of distinct ancestors in generation ``s``:
``A_t = N`` now, ``A_s = 1`` on the single lineage above the most recent common
ancestor (MRCA). Under Kingman's coalescent (haploid Wright–Fisher, N
individuals, time in generations), the tree below the MRCA has expected total
length ``2N·H_{N-1}`` (H the harmonic number) and the MRCA lies
``2(N-1)`` generations back on average, so once the population has coalesced

    E[n_nodes] ≈ T + 1 + 2N·H_{N-1} − 2(N − 1)

(``2N·H_{N-1}`` counts the lineages of the tree generation by generation, the
MRCA's ``2(N-1)`` generations of single lineage are already in ``T + 1``).
:func:`expected_stored_nodes` gives the exact value for the discrete
Wright–Fisher chain, which the tests check.

**Device-resident parents.** The tree lives on the host (numba), but an update
with a torch tensor makes no host transfer: the tensor is kept on its device
(a copy) and the pending generations are moved to the host in one transfer and
added in order when the genealogy is next queried (every query, ``size`` and
``generation`` excepted, flushes first) or when the pending parents exceed
:data:`PENDING_LIMIT` indices (bounding the device memory they hold). The
tree is the same as with host updates; a torch update's index check
(``[0, previous size)``) happens at the flush.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_OPTS = dict(cache=True, nogil=True)

PENDING_LIMIT = 1 << 24
"""Most parent indices (summed over generations) a genealogy keeps on a device
before it moves them to the host (128 MiB of int64)."""


@njit(**_OPTS)
def _update(parents, leaves, parent, time, slot, n_children, free, n_free, per_time, t):
    """Add one generation whose individual i descends from ``leaves[parents[i]]``,
    then prune the previous generation's childless nodes, recursively.
    Returns (new leaves, number of free slots left, nodes freed)."""
    new_leaves = np.empty(parents.shape[0], dtype=np.int64)
    for i in range(parents.shape[0]):
        n_free -= 1
        node = free[n_free]
        up = leaves[parents[i]]
        parent[node] = up
        time[node] = t + 1
        slot[node] = i
        n_children[node] = 0
        n_children[up] += 1
        new_leaves[i] = node
    freed = 0
    for j in range(leaves.shape[0]):
        node = leaves[j]
        while n_children[node] == 0 and time[node] >= 0:
            up = parent[node]
            per_time[time[node]] -= 1
            time[node] = -1
            free[n_free] = node
            n_free += 1
            freed += 1
            if up < 0:
                break
            n_children[up] -= 1
            node = up
    return new_leaves, n_free, freed


class Genealogy:
    """The pruned ancestral tree of a population of (possibly varying) size.

    ``Genealogy(n)`` starts with ``n`` founders at generation 0 (individual ``i``
    is founder ``i``); ``update(parents)`` adds a generation, where
    ``parents[i]`` is the index, in the previous generation, of individual i's
    parent. Queries are O(1) (``distinct_ancestors``, ``n_nodes``, ``tmrca``
    in O(log T)) except ``tree()`` and ``surviving_founders()``.
    """

    def __init__(self, n: int):
        n = int(n)
        if n < 1:
            raise ValueError(f"a genealogy needs at least one founder, got {n}")
        capacity = 2 * n
        self._parent = np.full(capacity, -1, dtype=np.int64)
        self._time = np.full(capacity, -1, dtype=np.int64)
        self._slot = np.zeros(capacity, dtype=np.int64)
        self._children = np.zeros(capacity, dtype=np.int64)
        self._time[:n] = 0
        self._slot[:n] = np.arange(n)
        self._free = np.zeros(capacity, dtype=np.int64)  # a stack of free slots
        self._n_free = capacity - n
        self._free[: self._n_free] = np.arange(capacity - 1, n - 1, -1)
        self._leaves = np.arange(n, dtype=np.int64)
        self._per_time = np.zeros(16, dtype=np.int64)
        self._per_time[0] = n
        self._founders = np.arange(n, dtype=np.int64)
        self._n_nodes = n
        self._generation = 0
        self._pending: list = []  # device (torch) parent tensors not yet added
        self._pending_size = 0

    @property
    def generation(self) -> int:
        """Generations added so far (pending device updates included)."""
        return self._generation + len(self._pending)

    # -- updating ----------------------------------------------------------------------
    def _reserve(self, extra: int) -> None:
        """Make room for ``extra`` new nodes and one more generation."""
        if self._n_free < extra:
            old = self._parent.shape[0]
            new = max(2 * old, old + extra - self._n_free)
            grow = new - old
            self._parent = np.concatenate([self._parent, np.full(grow, -1, np.int64)])
            self._time = np.concatenate([self._time, np.full(grow, -1, np.int64)])
            self._slot = np.concatenate([self._slot, np.zeros(grow, np.int64)])
            self._children = np.concatenate([self._children, np.zeros(grow, np.int64)])
            free = np.zeros(new, dtype=np.int64)
            free[: self._n_free] = self._free[: self._n_free]
            free[self._n_free : self._n_free + grow] = np.arange(new - 1, old - 1, -1)
            self._free = free
            self._n_free += grow
        if self._generation + 2 > self._per_time.shape[0]:
            self._per_time = np.concatenate([self._per_time, np.zeros_like(self._per_time)])

    def update(self, parents) -> None:
        """Add a generation: ``parents[i]`` (int, in ``[0, previous size)``) is the
        parent of new individual ``i``. Accepts any array convertible by numpy;
        a torch tensor stays on its device until the next query (module docstring)."""
        if hasattr(parents, "detach"):
            if parents.ndim != 1 or parents.shape[0] == 0:
                raise ValueError(f"parents must be a non-empty 1-d array, got shape {tuple(parents.shape)}")
            import torch

            self._pending.append(parents.detach().to(dtype=torch.int64, copy=True))
            self._pending_size += parents.shape[0]
            if self._pending_size > PENDING_LIMIT:
                self._flush()
            return
        self._flush()
        self._add(np.ascontiguousarray(parents, dtype=np.int64))

    def _flush(self) -> None:
        """Add the pending device generations, in order, after one host transfer."""
        if not self._pending:
            return
        pending, self._pending, self._pending_size = self._pending, [], 0
        import torch

        host = torch.cat(pending).cpu().numpy()
        start = 0
        for i, block in enumerate(pending):
            stop = start + block.shape[0]
            try:
                self._add(host[start:stop])
            except ValueError:
                self._pending = pending[i + 1:]  # the generations after the bad one stay pending
                self._pending_size = sum(b.shape[0] for b in self._pending)
                raise
            start = stop

    def _add(self, parents: np.ndarray) -> None:
        """Add one generation of host int64 parent indices."""
        if parents.ndim != 1 or parents.shape[0] == 0:
            raise ValueError(f"parents must be a non-empty 1-d array, got shape {parents.shape}")
        if parents.min() < 0 or parents.max() >= self._leaves.shape[0]:
            raise ValueError(f"parent indices must lie in [0, {self._leaves.shape[0]})")
        self._reserve(parents.shape[0])
        self._leaves, self._n_free, freed = _update(
            parents, self._leaves, self._parent, self._time, self._slot, self._children,
            self._free, self._n_free, self._per_time, self._generation,
        )
        self._generation += 1
        self._per_time[self._generation] = parents.shape[0]
        self._n_nodes += parents.shape[0] - freed
        self._founders = self._founders[parents]

    # -- queries -------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        """Stored nodes: every ancestor of the current population in every generation
        from 0 to now, the current individuals included (see the module docstring)."""
        self._flush()
        return int(self._n_nodes)

    @property
    def size(self) -> int:
        """Current population size."""
        return int(self._pending[-1].shape[0] if self._pending else self._leaves.shape[0])

    @property
    def founders(self) -> np.ndarray:
        """The time-0 ancestor (founder index) of each current individual."""
        self._flush()
        return self._founders.copy()

    def ancestor_counts(self) -> np.ndarray:
        """Distinct ancestors of the current population in each generation 0..now
        (non-decreasing; the last entry is the population size)."""
        self._flush()
        return self._per_time[: self.generation + 1].copy()

    def distinct_ancestors(self, lag: int) -> int:
        """Distinct ancestors of the current individuals ``lag`` generations back
        (``lag = 0``: the population size; ``lag = generation``: surviving founders)."""
        self._flush()
        if not 0 <= lag <= self.generation:
            raise ValueError(f"lag must lie in [0, {self.generation}], got {lag}")
        return int(self._per_time[self.generation - lag])

    def surviving_founders(self) -> np.ndarray:
        """Sorted indices of the founders with descendants in the current population."""
        self._flush()
        return np.unique(self._founders)

    def tmrca(self) -> int | None:
        """Generations back to the most recent common ancestor of the whole current
        population (0 for a population of one), or ``None`` if the population has
        not coalesced since generation 0 (more than one founder survives)."""
        self._flush()
        counts = self._per_time[: self.generation + 1]
        if counts[0] > 1:
            return None
        mrca = int(np.searchsorted(counts, 1, side="right")) - 1
        return self.generation - mrca

    def tree(self) -> dict[str, np.ndarray]:
        """The stored tree, nodes numbered 0..n_nodes-1 by (generation, index):
        ``parent`` (node number, -1 for a founder), ``time`` (generation),
        ``index`` (the individual's index within its generation) and ``leaves``
        (the node number of each current individual, in population order)."""
        self._flush()
        live = np.flatnonzero(self._time >= 0)
        live = live[np.lexsort((self._slot[live], self._time[live]))]
        number = np.full(self._time.shape[0], -1, dtype=np.int64)
        number[live] = np.arange(live.shape[0])
        up = self._parent[live]
        return {
            "parent": np.where(up >= 0, number[np.maximum(up, 0)], -1),
            "time": self._time[live].copy(),
            "index": self._slot[live].copy(),
            "leaves": number[self._leaves],
        }

    def __repr__(self) -> str:
        return f"Genealogy(size={self.size}, generation={self.generation}, n_nodes={self.n_nodes})"


def expected_stored_nodes(n: int, generations: int) -> float:
    """Exact E[n_nodes] after ``generations`` updates of neutral multinomial
    resampling of ``n`` individuals (Wright–Fisher), once coalesced.

    Backwards in time, k ancestral lineages have j distinct parents with the
    occupancy probability of k balls in n boxes; with ``g(k)`` the expected
    sum over generations of (lineages − 1) until one lineage remains,
    ``g(1) = 0`` and ``g(k) = k − 1 + sum_j P(k → j) g(j)``, and
    ``E[n_nodes] = generations + 1 + g(n)`` up to the probability (≈ exp(−T/n)·const)
    that the population has not coalesced. O(n²).
    """
    occupancy = np.zeros((n + 1, n + 1))
    occupancy[1, 1] = 1.0
    for balls in range(2, n + 1):
        prev = occupancy[balls - 1]
        j = np.arange(n + 1)
        occupancy[balls] = prev * j / n
        occupancy[balls, 1:] += prev[:-1] * (n - j[1:] + 1) / n
    g = np.zeros(n + 1)
    for k in range(2, n + 1):
        stay = occupancy[k, k]
        g[k] = (k - 1 + occupancy[k, 1:k] @ g[1:k]) / (1.0 - stay)
    return generations + 1 + g[n]
