"""Seeds: one ``numpy.random.SeedSequence`` per run, turned into each backend's generator.

DESIGN.md fixes the scheme: the YAML ``seed`` is the root entropy and replicate
``j`` draws from ``SeedSequence(seed, spawn_key=(j,))``. Backends accept either a
``SeedSequence`` or a plain integer (taken as the root entropy).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

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


def child_seed(seed: SeedLike, key: int) -> np.random.SeedSequence:
    """Child ``key`` of ``seed``: ``SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, key))``.

    Unlike ``SeedSequence.spawn`` it does not mutate ``seed``, so the same
    replicate seed always gives the same children, in any order of calls."""
    seed = seed_sequence(seed)
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, int(key)),
                                  pool_size=seed.pool_size)


def streams(seed: SeedLike, *names: str) -> dict[str, np.random.SeedSequence]:
    """Named, independent sub-streams of one replicate's seed: ``names[i]`` is
    :func:`child_seed` ``(seed, i)`` — e.g. ``streams(seed, "data", "filter")``.

    The order of ``names`` is part of a domain's seed scheme: append new
    streams at the end so existing ones keep their numbers."""
    if len(set(names)) != len(names):
        raise ValueError(f"stream names must be distinct, got {names}")
    return {name: child_seed(seed, i) for i, name in enumerate(names)}


def generator_state(gen):
    """A picklable copy of a backend generator's state (numpy ``Generator`` or
    ``torch.Generator``), for checkpoints."""
    if isinstance(gen, np.random.Generator):
        return copy.deepcopy(gen.bit_generator.state)
    return gen.get_state().clone()


def set_generator_state(gen, state) -> None:
    """Put ``gen`` back in ``state`` (from :func:`generator_state`): the same draws follow."""
    if isinstance(gen, np.random.Generator):
        gen.bit_generator.state = copy.deepcopy(state)
    else:
        gen.set_state(state.clone())


class ReplicateSeeds(Sequence):
    """The seeds of a run's replicates, ``SeedSequence(entropy, spawn_key=k)``
    for each spawn key ``k`` (DESIGN.md), made when first read — so that a
    batched domain with a compiled stream for every replicate (from
    ``entropy`` and ``keys``) never makes R Python objects. ``spawn_keys`` are
    tuples, or an (R, m) integer array (``keys``: kept as given)."""

    def __init__(self, entropy: int, spawn_keys):
        self.entropy = int(entropy)
        self.keys: np.ndarray | None = None  # the keys as an (R, m) int64 array, when given so
        self._keys: list[tuple] | None = None
        if isinstance(spawn_keys, np.ndarray) and spawn_keys.ndim == 2 \
                and np.issubdtype(spawn_keys.dtype, np.integer):
            self.keys = spawn_keys.astype(np.int64, copy=False)
        else:
            self._keys = [tuple(map(int, k)) for k in spawn_keys]
        self._made: dict[int, np.random.SeedSequence] = {}

    @property
    def spawn_keys(self) -> list[tuple]:
        """Every replicate's spawn key, as a tuple of ints."""
        if self._keys is None:
            self._keys = [tuple(k) for k in self.keys.tolist()]
        return self._keys

    def __len__(self) -> int:
        return len(self.keys) if self.keys is not None else len(self._keys)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ReplicateSeeds(self.entropy, self.keys[i] if self.keys is not None
                                  else self.spawn_keys[i])
        i = range(len(self))[i]
        seed = self._made.get(i)
        if seed is None:
            key = tuple(self.keys[i].tolist()) if self.keys is not None else self._keys[i]
            seed = self._made[i] = np.random.SeedSequence(self.entropy, spawn_key=key)
        return seed
