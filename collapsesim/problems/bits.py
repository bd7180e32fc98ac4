"""Pseudo-Boolean problems on bit-packed genomes: OneMax and the Royal Road R1.

Genomes are uint64 words (gene g is bit g % 64 of word g // 64; see
:mod:`collapsesim.engine.bits`), so a block of 8 consecutive genes is one byte
of a word. Both functions are computed on bytes: a 256-entry popcount table for
OneMax, a comparison with 0xFF for the Royal Road.

* OneMax: the number of ones (maximum L).
* Royal Road R1 (Mitchell, Forrest & Holland 1992; Forrest & Mitchell 1993):
  64 bits in 8 blocks of 8; fitness 8 per block whose eight bits are all ones
  (maximum 64). Its building blocks were meant to help crossover; instead,
  random-mutation hill climbing needs about 6,000 evaluations while the GA
  needs several times as many — once a block is found, its carrier sweeps and
  the bits at the unsolved blocks hitchhike to low diversity.
"""

from __future__ import annotations

import numpy as np

from ..engine.backends import get_backend
from .base import BitProblem, is_torch
from .kernels import onemax_kernel, royal_road_kernel


def genome_bytes(genomes):
    """The bytes of packed genomes, ``(..., W) → (..., 8W)`` (byte b holds genes 8b … 8b+7)."""
    if is_torch(genomes):
        import torch

        words = genomes.view(torch.int64) if genomes.dtype == torch.uint64 else genomes
        shifts = torch.arange(0, 64, 8, device=words.device)
        return ((words[..., None] >> shifts) & 0xFF).reshape(words.shape[:-1] + (-1,))
    g = np.ascontiguousarray(genomes, dtype="<u8")
    return g.view(np.uint8).reshape(g.shape[:-1] + (-1,))


def onemax_function(genomes, xp):
    """The number of ones: the engine's ``popcount`` of the packed genomes."""
    return get_backend("numpy" if xp is np else "torch").op("popcount")(genomes)


def royal_road_function(n_blocks: int):
    """Fitness of the Royal Road with ``n_blocks`` blocks of 8 bits."""

    def function(genomes, xp):
        full = genome_bytes(genomes)[..., :n_blocks] == 0xFF
        return 8.0 * full.sum(-1).astype(np.float64) if xp is np else 8.0 * full.sum(-1).double()

    return function


def onemax(n_bits: int) -> BitProblem:
    """OneMax on ``n_bits`` genes."""
    return BitProblem(name="onemax", n_bits=n_bits, function=onemax_function, f_opt=float(n_bits),
                      optima=np.ones((1, n_bits), dtype=bool),
                      description=f"OneMax, {n_bits} bits (number of ones)",
                      numba_function=onemax_kernel)


def royal_road(n_blocks: int = 8) -> BitProblem:
    """The Royal Road R1 with ``n_blocks`` blocks of 8 bits (R1: 8 blocks, 64 bits)."""
    n_bits = 8 * n_blocks
    return BitProblem(name="royal_road", n_bits=n_bits, function=royal_road_function(n_blocks),
                      f_opt=float(n_bits), optima=np.ones((1, n_bits), dtype=bool),
                      description=f"Royal Road R1, {n_blocks} blocks of 8 bits",
                      numba_function=lambda g: royal_road_kernel(g, n_blocks))
