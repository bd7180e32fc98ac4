"""Variation in torch (CPU and CUDA): Gaussian and bit-flip mutation, uniform and
one-point crossover, elementwise over any leading axes.

Bit-packed genomes are uint64 tensors; torch implements few operators for
uint64, so the bit arithmetic is done on an int64 view of the same bits.
Bernoulli masks are drawn one uniform per bit (parallel and branch-free, the
right trade on a GPU), and, for ``p = 1/2``, as random 64-bit words.
"""

from __future__ import annotations

import torch

def _as_int64(x: torch.Tensor) -> torch.Tensor:
    return x.view(torch.int64) if x.dtype == torch.uint64 else x


def _like(bits: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
    return bits.view(torch.uint64) if template.dtype == torch.uint64 else bits


def pack_bits(bits: torch.Tensor, words: int) -> torch.Tensor:
    """Boolean (..., m) with m <= 64·words → int64 words (..., words), gene g at bit g % 64
    of word g // 64. Distinct bits never carry, so the sum of the shifted bits is their OR."""
    pad = 64 * words - bits.shape[-1]
    bits = torch.nn.functional.pad(bits.to(torch.int64), (0, pad))
    return (bits.reshape(bits.shape[:-1] + (words, 64)) << torch.arange(64, device=bits.device)).sum(-1)


def bernoulli_words(shape, n_bits: int, p: float, gen: torch.Generator, device) -> torch.Tensor:
    """int64 words of shape ``shape`` (last axis: words) whose first ``n_bits`` bits are Bernoulli(p)."""
    words = shape[-1]
    if p == 0.5 and n_bits == 64 * words:
        halves = torch.randint(0, 2**32, tuple(shape) + (2,), generator=gen, device=device, dtype=torch.int64)
        return (halves[..., 0] << 32) | halves[..., 1]
    bits = torch.rand(tuple(shape[:-1]) + (n_bits,), generator=gen, device=device) < p
    return pack_bits(bits, words)


def gaussian_mutation(x: torch.Tensor, sigma: float, gen: torch.Generator, rate: float = 1.0) -> torch.Tensor:
    """``x + sigma·z`` on each coordinate with probability ``rate`` (in x's float dtype)."""
    if not torch.is_floating_point(x):
        x = x.to(torch.float64)
    if rate <= 0.0:
        return x.clone()
    noise = sigma * torch.randn(x.shape, generator=gen, device=x.device, dtype=x.dtype)
    if rate < 1.0:
        noise = torch.where(torch.rand(x.shape, generator=gen, device=x.device) < rate, noise, 0.0)
    return x + noise


def bitflip_mutation(genomes: torch.Tensor, n_bits: int, p: float, gen: torch.Generator) -> torch.Tensor:
    """XOR with Bernoulli(p) masks of the first ``n_bits`` bits."""
    if n_bits > 64 * genomes.shape[-1]:
        raise ValueError(f"{n_bits} bits do not fit in {genomes.shape[-1]} words")
    mask = bernoulli_words(genomes.shape, n_bits, p, gen, genomes.device)
    return _like(_as_int64(genomes) ^ mask, genomes)


def _swap(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if a.dtype == torch.uint64:
        ia, ib = _as_int64(a), _as_int64(b)
        return _like((ia & ~mask) | (ib & mask), a), _like((ib & ~mask) | (ia & mask), a)
    return torch.where(mask, b, a), torch.where(mask, a, b)


def _check(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.shape != b.shape or a.dtype != b.dtype:
        raise ValueError(f"parents differ: {tuple(a.shape)} {a.dtype} vs {tuple(b.shape)} {b.dtype}")


def uniform_crossover(a: torch.Tensor, b: torch.Tensor, gen: torch.Generator, p: float = 0.5):
    """Exchange each gene (each bit of packed genomes) with probability ``p``."""
    _check(a, b)
    if a.dtype == torch.uint64:
        mask = bernoulli_words(a.shape, 64 * a.shape[-1], p, gen, a.device)
    else:
        mask = torch.rand(a.shape, generator=gen, device=a.device) < p
    return _swap(a, b, mask)


def tail_mask(cut: torch.Tensor, width: int, packed: bool) -> torch.Tensor:
    """Genes at positions ``>= cut``: booleans (..., D), or int64 words (..., W) when packed."""
    k = torch.arange(width, device=cut.device)
    if not packed:
        return k >= cut[..., None]
    word, bit = (cut // 64)[..., None], (cut % 64)[..., None]
    low = (torch.ones_like(bit) << bit) - 1
    zero, full = torch.zeros_like(low), torch.full_like(low, -1)
    return torch.where(k < word, zero, torch.where(k > word, full, ~low))


def one_point_crossover(a: torch.Tensor, b: torch.Tensor, gen: torch.Generator, n_genes: int | None = None):
    """Swap the tails after a cut ``c ~ U{1, ..., G-1}`` per pair (as numpy's)."""
    _check(a, b)
    packed = a.dtype == torch.uint64
    genes = n_genes if n_genes is not None else a.shape[-1] * (64 if packed else 1)
    if genes < 2:
        raise ValueError(f"one-point crossover needs at least 2 genes, got {genes}")
    cut = torch.randint(1, genes, a.shape[:-1], generator=gen, device=a.device)
    return _swap(a, b, tail_mask(cut, a.shape[-1], packed))
