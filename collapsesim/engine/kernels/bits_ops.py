"""One-bit flip of packed genomes: random-mutation hill climbing's move
(Forrest & Mitchell 1993).

Genomes are uint64 words ``(..., W)`` (gene g is bit g % 64 of word g // 64).
``flip_one_bit`` draws one gene position per genome uniformly on
{0, …, n_bits − 1} (``backend.integers``, shape ``genomes.shape[:-1]``) and
returns the genomes with that bit flipped. numpy is the specification; torch
does the same with int64 views of the words (torch has no uint64 scatter);
numba uses numpy's.
"""

from __future__ import annotations

import numpy as np

from . import implements


@implements("flip_one_bit", "numpy")
def flip_one_bit(backend, genomes, n_bits: int, rng):
    """``genomes`` with one uniformly chosen bit of each genome flipped."""
    pos = backend.integers(0, n_bits, tuple(genomes.shape[:-1]), rng)
    word, bit = pos // 64, pos % 64
    mask = np.zeros(genomes.shape, dtype=np.uint64)
    np.put_along_axis(mask, word[..., None], (np.uint64(1) << bit.astype(np.uint64))[..., None], -1)
    return genomes ^ mask


@implements("flip_one_bit", "torch")
def flip_one_bit_torch(backend, genomes, n_bits: int, rng):
    pos = backend.integers(0, n_bits, tuple(genomes.shape[:-1]), rng)
    word, bit = pos // 64, pos % 64
    words = genomes.view(backend.xp.int64)
    ones = backend.xp.ones_like(bit)
    mask = backend.xp.zeros_like(words).scatter_(-1, word[..., None], (ones << bit)[..., None])
    return (words ^ mask).view(genomes.dtype)
