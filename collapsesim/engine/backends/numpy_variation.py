"""Variation in numpy (the specification): Gaussian and bit-flip mutation,
uniform and one-point crossover.

Real-valued genomes are float arrays ``(..., D)``; bit-packed genomes are
uint64 arrays ``(..., W)`` (see :mod:`collapsesim.engine.bits`), recognised by
their dtype. Leading axes (individuals, replicates) are elementwise.
"""

from __future__ import annotations

import numpy as np

from ..bits import is_packed, pack_bits


def _float_dtype(x: np.ndarray) -> np.dtype:
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)


def gaussian_mutation(x, sigma: float, rng: np.random.Generator, rate: float = 1.0) -> np.ndarray:
    """``x + sigma·z``, ``z ~ N(0, 1)``, on each coordinate with probability ``rate``.

    Computed in float64 and returned in ``x``'s float dtype. With ``rate < 1``
    the coordinates are chosen first (``rng.random(x.shape) < rate``) and then
    one normal is drawn per chosen coordinate, in C order.
    """
    x = np.asarray(x)
    dtype = _float_dtype(x)
    if rate >= 1.0:
        return (x + sigma * rng.standard_normal(x.shape)).astype(dtype, copy=False)
    out = x.astype(dtype, copy=True)
    if rate <= 0.0:
        return out
    chosen = rng.random(x.shape) < rate
    out[chosen] = x[chosen] + sigma * rng.standard_normal(int(chosen.sum()))
    return out


def bitflip_mutation(genomes, n_bits: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Flip each of the ``n_bits`` genes independently with probability ``p``:
    one uniform per gene (``rng.random((..., n_bits)) < p``), packed and XORed."""
    genomes = np.asarray(genomes, dtype=np.uint64)
    flips = rng.random(genomes.shape[:-1] + (n_bits,)) < p
    return genomes ^ pack_bits(flips, genomes.shape[-1])


def _swap(a: np.ndarray, b: np.ndarray, mask) -> tuple[np.ndarray, np.ndarray]:
    """Children taking ``b``'s genes (``a``'s, for the second) where ``mask`` is set."""
    if is_packed(a):
        return (a & ~mask) | (b & mask), (b & ~mask) | (a & mask)
    return np.where(mask, b, a), np.where(mask, a, b)


def _parents(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        raise ValueError(f"parents differ: {a.shape} {a.dtype} vs {b.shape} {b.dtype}")
    return a, b


def uniform_crossover(a, b, rng: np.random.Generator, p: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Exchange each gene with probability ``p`` (one uniform per gene; for packed
    genomes per bit, all ``64·W`` bits, padding included)."""
    a, b = _parents(a, b)
    if is_packed(a):
        mask = pack_bits(rng.random(a.shape[:-1] + (64 * a.shape[-1],)) < p, a.shape[-1])
    else:
        mask = rng.random(a.shape) < p
    return _swap(a, b, mask)


def tail_mask(cut: np.ndarray, n_genes_axis: int, packed: bool) -> np.ndarray:
    """Mask of the genes at positions ``>= cut`` (per leading index): booleans
    ``(..., D)`` or, for packed genomes, uint64 words ``(..., W)``."""
    if not packed:
        return np.arange(n_genes_axis) >= cut[..., None]
    word, bit = np.divmod(cut[..., None], 64)
    k = np.arange(n_genes_axis)
    low = (np.uint64(1) << bit.astype(np.uint64)) - np.uint64(1)
    full = np.uint64(0xFFFFFFFFFFFFFFFF)
    return np.where(k < word, np.uint64(0), np.where(k > word, full, ~low))


def one_point_crossover(a, b, rng: np.random.Generator, n_genes: int | None = None):
    """Swap the tails after a cut ``c ~ U{1, ..., G-1}`` drawn per pair
    (``rng.integers(1, G, size=a.shape[:-1])``): child 1 is ``a[:c] + b[c:]``,
    child 2 ``b[:c] + a[c:]``. ``G = n_genes``, by default ``D`` (or ``64·W``
    for packed genomes, where a cut may fall inside a word)."""
    a, b = _parents(a, b)
    packed = is_packed(a)
    genes = n_genes if n_genes is not None else a.shape[-1] * (64 if packed else 1)
    if genes < 2:
        raise ValueError(f"one-point crossover needs at least 2 genes, got {genes}")
    cut = rng.integers(1, genes, size=a.shape[:-1])
    return _swap(a, b, tail_mask(cut, a.shape[-1], packed))
