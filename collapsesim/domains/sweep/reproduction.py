"""One Wright–Fisher generation's random choices and the gametes they make.

**Model.** Generation t+1 has M' gene copies. Each is a gamete of a parent
drawn from generation t with probability proportional to its fitness
(multinomial sampling, the engine's ``proportional`` operator), independently
of the other gametes — so the beneficial count is Binomial(M', p') given the
parents' genotypes, the chain of :mod:`.theory`. Diploids: the gamete is a
meiotic product of the parent's two genomes; consecutive gametes pair into
the next generation's individuals (random union of gametes; a parent may
self with probability 1/N, as in SLiM's and fwdpy11's Wright–Fisher models).
Haploids: the gamete recombines the genomes of two parents, each drawn by
fitness. Meiosis starts on either genome with probability ½ and switches at
K ~ Poisson(r (L − 1)) crossovers, uniform on the L − 1 links between base
pairs (two crossovers on one link cancel).

**Backends.** Parents come from the engine's ``proportional`` (numpy, numba
or torch); the numbers of crossovers, their positions, the first strands and
the shuffling of gametes into individuals are drawn from the backend's own
generator (a ``numpy.random.Generator`` for numpy and numba, a
``torch.Generator`` for torch). The edges are assembled on the host: numpy
(:func:`assemble_reference`, the specification) or the compiled kernel
(:func:`assemble_compiled`, identical output), for the tree-sequence tables.
"""

from __future__ import annotations

import numba
import numpy as np


# -- random numbers on each backend -------------------------------------------------------------
def _is_numpy(rng) -> bool:
    return isinstance(rng, np.random.Generator)


def shuffle(backend, x, rng) -> np.ndarray:
    """A uniformly random permutation of ``x`` along its last axis (on the host)."""
    x = backend.to_numpy(x)
    if _is_numpy(rng):
        return rng.permuted(x, axis=-1) if x.ndim > 1 else rng.permutation(x)
    import torch

    if x.ndim == 1:
        return x[backend.to_numpy(torch.randperm(len(x), generator=rng, device=rng.device))]
    keys = torch.rand(x.shape, generator=rng, device=rng.device)
    order = backend.to_numpy(torch.argsort(keys, dim=-1))
    return np.take_along_axis(x, order, axis=-1)


def uniforms(backend, rng, shape) -> np.ndarray:
    """Float64 uniforms on [0, 1) (on the host)."""
    if _is_numpy(rng):
        return rng.random(shape)
    import torch

    return backend.to_numpy(torch.rand(shape, generator=rng, dtype=torch.float64,
                                       device=rng.device))


def integers(backend, rng, low: int, high: int, size: int) -> np.ndarray:
    """Uniform int64 in [low, high) (on the host)."""
    if _is_numpy(rng):
        return rng.integers(low, high, size=size, dtype=np.int64)
    import torch

    return backend.to_numpy(torch.randint(low, high, (size,), generator=rng, device=rng.device,
                                          dtype=torch.int64))


def poisson(backend, rng, lam: float, size: int) -> np.ndarray:
    """Poisson(λ) counts (int64, on the host)."""
    if lam == 0:
        return np.zeros(size, dtype=np.int64)
    if _is_numpy(rng):
        return rng.poisson(lam, size=size).astype(np.int64)
    import torch

    rates = torch.full((size,), float(lam), dtype=torch.float64, device=rng.device)
    return backend.to_numpy(torch.poisson(rates, generator=rng)).astype(np.int64)


# -- one generation ----------------------------------------------------------------------------
def fitness(alleles: np.ndarray, table: np.ndarray, ploidy: int) -> np.ndarray:
    """Fitness of each individual from the beneficial allele (0/1) of every copy
    (``(..., M)``; diploid individual i holds copies 2i and 2i+1)."""
    if ploidy == 1:
        return table[alleles]
    return table[alleles[..., 0::2] + alleles[..., 1::2]]


def parents(backend, rng, weights, n_gametes: int, ploidy: int) -> np.ndarray:
    """The two parental genome slots of each of ``n_gametes`` gametes,
    ``(..., n_gametes, 2)`` int64: parents drawn by fitness (``weights`` over
    individuals, ``(N,)`` or ``(R, N)``), shuffled so that consecutive gametes
    are independent draws."""
    draws = n_gametes if ploidy == 2 else 2 * n_gametes
    idx = backend.proportional(backend.asarray(weights), draws, rng)
    idx = shuffle(backend, idx, rng).astype(np.int64)
    if ploidy == 2:
        return 2 * idx[..., None] + np.array([0, 1], dtype=np.int64)
    return idx.reshape(idx.shape[:-1] + (n_gametes, 2))


def meiosis(backend, rng, n: int, rate: float, L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first strand (0/1), crossovers per gamete, crossover positions in
    [1, L) grouped by gamete, unsorted) for ``n`` gametes; ``rate`` is the
    expected number of crossovers per gamete, ``r (L − 1)``. The crossovers of
    the generation are Poisson(n·rate) in all, each in a uniformly chosen
    gamete — independent Poisson(rate) counts per gamete, drawn in O(crossovers)."""
    first = integers(backend, rng, 0, 2, n)
    total = int(poisson(backend, rng, n * rate, 1)[0])
    owner = np.sort(integers(backend, rng, 0, n, total))
    counts = np.bincount(owner, minlength=n).astype(np.int64)
    positions = integers(backend, rng, 1, L, total)
    return first, counts, positions


# -- assembling the gametes ----------------------------------------------------------------------
def assemble_reference(slots, first, counts, positions, nodes, site: int, L: int, child0: int):
    """Edges and inherited site slot of each gamete (numpy; the specification).

    Gamete k copies ``[left, right)`` segments alternately from its parental
    slots ``slots[k, first[k]]`` and ``slots[k, 1 − first[k]]``, switching at its
    sorted crossovers. Returns ``(left, right, parent, child, site_slot)``: the
    edges (parent = ``nodes`` of the slot, child = ``child0 + k``; zero-length
    segments from coincident crossovers dropped) in tskit's order for one
    generation — by parent, then child, then left (a stable sort by parent of
    the gamete-by-gamete list) — and the parental slot each gamete copies at
    ``site``.
    """
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
    return _assemble(slots, first.astype(np.int64), counts, positions, nodes.astype(np.int64),
                     site, L, child0)
