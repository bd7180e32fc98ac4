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

**Backends.** Everything random comes from the backend's draws and engine
operators: parents from ``proportional`` and ``permutation``, the crossovers
from the engine's ``crossovers`` and the gametes' edges from its
``assemble_gametes`` (:mod:`collapsesim.engine.kernels.recombination`: numpy
the specification, numba and torch the compiled host kernel). The genomes'
alleles and the tree-sequence tables live on the host (numpy).
"""

from __future__ import annotations

import numpy as np


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
    idx = backend.to_numpy(backend.permutation(idx, rng)).astype(np.int64)
    if ploidy == 2:
        return 2 * idx[..., None] + np.array([0, 1], dtype=np.int64)
    return idx.reshape(idx.shape[:-1] + (n_gametes, 2))


def meiosis(backend, rng, n: int, rate: float, L: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first strand (0/1), crossovers per gamete, crossover positions in
    [1, L) grouped by gamete, unsorted) for ``n`` gametes with ``rate =
    r (L − 1)`` expected crossovers each: the engine's ``crossovers``."""
    return backend.op("crossovers")(n, rate, L, rng)


def assemble(backend, slots, first, counts, positions, nodes, site: int, L: int, child0: int):
    """The gametes' edges ``(left, right, parent, child)`` and the parental slot
    each copies at ``site``: the engine's ``assemble_gametes``."""
    return backend.op("assemble_gametes")(slots, first, counts, positions, nodes, site, L, child0)
