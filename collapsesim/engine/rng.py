"""Seeds: one ``numpy.random.SeedSequence`` per run, turned into each backend's generator.

DESIGN.md fixes the scheme: the YAML ``seed`` is the root entropy and replicate
``j`` draws from ``SeedSequence(seed, spawn_key=(j,))``. Backends accept either a
``SeedSequence`` or a plain integer (taken as the root entropy).
"""

from __future__ import annotations

import numpy as np

SeedLike = int | np.random.SeedSequence


def seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """``seed`` as a SeedSequence (an int is the root entropy)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.SeedSequence(int(seed))
    raise TypeError(f"seed must be an int or numpy.random.SeedSequence, got {type(seed).__name__}")


def numpy_generator(seed: SeedLike) -> np.random.Generator:
    """A PCG64 ``numpy.random.Generator`` on the seed sequence."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed)))


def torch_seed(seed: SeedLike) -> int:
    """A 63-bit integer for ``torch.Generator.manual_seed`` drawn from the seed sequence."""
    return int(seed_sequence(seed).generate_state(1, np.uint64)[0]) & ((1 << 63) - 1)
