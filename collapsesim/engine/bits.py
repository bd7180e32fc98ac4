"""Bit-packed genomes: ``n_bits`` genes of one bit each, stored in uint64 words.

Gene ``g`` is bit ``g % 64`` (least significant first) of word ``g // 64``; a
genome of ``n_bits`` genes takes ``ceil(n_bits / 64)`` words, and the padding
bits of the last word are zero. Arrays have shape ``(..., n_words)``.
"""

from __future__ import annotations

import numpy as np


def n_words(n_bits: int) -> int:
    """Words needed for ``n_bits`` genes."""
    return -(-int(n_bits) // 64)


def pack_bits(bits, words: int | None = None) -> np.ndarray:
    """Pack a boolean array ``(..., n_bits)`` into uint64 words ``(..., words)``."""
    bits = np.asarray(bits, dtype=bool)
    words = n_words(bits.shape[-1]) if words is None else words
    if words * 64 < bits.shape[-1]:
        raise ValueError(f"{bits.shape[-1]} bits do not fit in {words} words")
    padded = np.zeros(bits.shape[:-1] + (words * 64,), dtype=bool)
    padded[..., : bits.shape[-1]] = bits
    packed = np.packbits(padded, axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False)


def unpack_bits(genomes, n_bits: int) -> np.ndarray:
    """Unpack uint64 words ``(..., words)`` into a boolean array ``(..., n_bits)``."""
    words = np.ascontiguousarray(np.asarray(genomes, dtype=np.uint64)).astype("<u8", copy=False)
    bits = np.unpackbits(words.view(np.uint8), axis=-1, bitorder="little")
    return bits[..., :n_bits].astype(bool)


def is_packed(x) -> bool:
    """Whether ``x`` holds bit-packed genomes (its dtype is uint64)."""
    return str(getattr(x, "dtype", "")).endswith("uint64")
