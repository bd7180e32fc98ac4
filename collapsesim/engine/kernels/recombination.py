"""Haplotype recombination with breakpoints, and the edges a tree sequence needs.

**Model.** A gamete of a chromosome of ``L`` base pairs (links ``1 … L − 1``
between them) is made from two parental genomes: it starts on one of them
(the *first strand*, 0 or 1 with probability ½) and switches at each of its
crossovers, K ~ Poisson(rate) per gamete, each at a uniformly chosen link
``[1, L)``; two crossovers at one link cancel (a zero-length segment).

Two operators:

``crossovers(n, rate, L, rng)`` → ``(first, counts, positions)``, the random
part for ``n`` gametes: first strands (int64 0/1), crossovers per gamete
(int64) and their positions (int64 in ``[1, L)``, grouped by gamete in gamete
order, unsorted within a gamete). The generation's crossovers are drawn in
O(crossovers): Poisson(n·rate) in all, each given to a uniformly chosen gamete
(which makes the per-gamete counts independent Poisson(rate)). The draws, in
this order: ``integers(0, 2, n)``, ``poisson(n·rate, 1)``, ``integers(0, n,
total)`` (the owners, counted per gamete), ``integers(1, L, total)``. One
implementation for every backend through its draw primitives, so numba gives
numpy's numbers and torch its own generator's; the results come back to the
host (numpy), where the tree-sequence tables are.

``assemble_gametes(slots, first, counts, positions, nodes, site, L, child0)``
→ ``(left, right, parent, child, site_slot)``, deterministic given the draws:
gamete k copies ``[left, right)`` segments alternately from parental genome
slots ``slots[k, first[k]]`` and ``slots[k, 1 − first[k]]``, switching at its
sorted crossovers. The edges (parent = ``nodes[slot]``, child = ``child0 +
k``; zero-length segments dropped) come in tskit's order for one generation:
a stable sort by parent of the gamete-by-gamete list (so by parent, then
child, then left). ``site_slot[k]`` is the parental slot gamete k copies at
base pair ``site`` (what a forward simulation carries for a selected site).
Implementations, identical output:

* numpy — :func:`assemble_reference`, vectorised; the specification;
* numba — :func:`assemble_compiled`, one pass per gamete with an insertion
  sort of its few crossovers and a counting sort by parent (faster: no
  ``lexsort``/``argsort`` of the whole generation);
* torch (CPU and CUDA) — the compiled kernel on the host: the draws are
  already there and the edges go into host tskit tables, so a device copy
  would only add transfers.
"""

from __future__ import annotations

import numba
import numpy as np

from . import implements


# -- the draws --------------------------------------------------------------------------------------
@implements("crossovers", "numpy", "torch")
def crossovers(backend, n: int, rate: float, L: int, rng):
    """First strands, crossover counts and positions of ``n`` gametes with
    Poisson(``rate``) crossovers each on the links of ``[0, L)`` (module
    docstring; host int64 arrays). numba uses this numpy version: it is a
    handful of vectorised draws."""
    first = backend.to_numpy(backend.integers(0, 2, n, rng))
    total = int(backend.to_numpy(backend.poisson(n * rate, 1, rng))[0])
    owner = backend.to_numpy(backend.integers(0, n, total, rng))
    counts = np.bincount(owner, minlength=n).astype(np.int64)
    positions = backend.to_numpy(backend.integers(1, L, total, rng))
    return first, counts, positions


# -- the assembly -----------------------------------------------------------------------------------
def assemble_reference(slots, first, counts, positions, nodes, site: int, L: int, child0: int):
    """Edges ``(left, right, parent, child)`` of the gametes and the slot each
    copies at ``site`` (numpy; the specification — see the module docstring)."""
    n = len(first)
    gam = np.repeat(np.arange(n), counts)
    pos = positions[np.lexsort((positions, gam))]
    starts = np.concatenate([[0], np.cumsum(counts)])
    seg_gam = np.repeat(np.arange(n), counts + 1)
    seg_starts = np.concatenate([[0], np.cumsum(counts + 1)])
    j = np.arange(len(seg_gam)) - seg_starts[seg_gam]
    padded = np.concatenate([pos, [0]])  # any index below is valid; masked where unused
    left = np.where(j == 0, 0, padded[np.maximum(starts[seg_gam] + j - 1, 0)])
    right = np.where(j == counts[seg_gam], L, padded[starts[seg_gam] + j])
    strand = first[seg_gam] ^ (j & 1)
    parent = nodes[slots[seg_gam, strand]]
    keep = left < right
    order = np.argsort(parent[keep], kind="stable")
    flips = np.bincount(gam, weights=pos <= site, minlength=n).astype(np.int64)
    site_slot = slots[np.arange(n), first ^ (flips & 1)]
    return (left[keep][order], right[keep][order], parent[keep][order],
            (child0 + seg_gam)[keep][order], site_slot)


@numba.njit(cache=True, nogil=True)
def _assemble(slots, first, counts, positions, nodes, site, L, child0):  # pragma: no cover - jit
    n = first.shape[0]
    m = n + positions.shape[0]
    left = np.empty(m, np.int64)
    right = np.empty(m, np.int64)
    parent = np.empty(m, np.int64)
    child = np.empty(m, np.int64)
    site_slot = np.empty(n, np.int64)
    pos = np.empty(max(1, positions.shape[0]), np.int64)
    e = 0
    o = 0
    for k in range(n):
        c = counts[k]
        for i in range(c):  # insertion sort of this gamete's crossovers
            x = positions[o + i]
            j = i
            while j > 0 and pos[j - 1] > x:
                pos[j] = pos[j - 1]
                j -= 1
            pos[j] = x
        o += c
        strand = first[k]
        at_site = strand
        lo = 0
        for i in range(c + 1):
            hi = L if i == c else pos[i]
            if lo < hi:
                left[e] = lo
                right[e] = hi
                parent[e] = nodes[slots[k, strand]]
                child[e] = child0 + k
                e += 1
            if i < c:
                if hi <= site:
                    at_site ^= 1
                strand ^= 1
                lo = hi
        site_slot[k] = slots[k, at_site]
    # stable counting sort by parent (parents are a contiguous-ish range of node ids)
    lowest = parent[:e].min() if e else 0
    span = (parent[:e].max() - lowest + 2) if e else 1
    start = np.zeros(span, np.int64)
    for i in range(e):
        start[parent[i] - lowest + 1] += 1
    for i in range(1, span):
        start[i] += start[i - 1]
    out = np.empty((4, e), np.int64)
    for i in range(e):
        d = start[parent[i] - lowest]
        start[parent[i] - lowest] += 1
        out[0, d] = left[i]
        out[1, d] = right[i]
        out[2, d] = parent[i]
        out[3, d] = child[i]
    return out[0], out[1], out[2], out[3], site_slot


def assemble_compiled(slots, first, counts, positions, nodes, site: int, L: int, child0: int):
    """:func:`assemble_reference` compiled with numba (identical output)."""
    return _assemble(np.asarray(slots, dtype=np.int64), np.asarray(first, dtype=np.int64),
                     np.asarray(counts, dtype=np.int64), np.asarray(positions, dtype=np.int64),
                     np.asarray(nodes, dtype=np.int64), site, L, child0)


@implements("assemble_gametes", "numpy")
def assemble_gametes_numpy(backend, slots, first, counts, positions, nodes, site, L, child0):
    """The specification, :func:`assemble_reference`."""
    return assemble_reference(slots, first, counts, positions, nodes, site, L, child0)


@implements("assemble_gametes", "numba", "torch")
def assemble_gametes_compiled(backend, slots, first, counts, positions, nodes, site, L, child0):
    """The compiled kernel on the host (torch too: see the module docstring)."""
    return assemble_compiled(slots, first, counts, positions, nodes, site, L, child0)
