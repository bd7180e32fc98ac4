"""Batched replicate studies of one allele: fixation probability and time.

:func:`simulate_fixation` runs R independent Wright–Fisher populations of
constant size N, each holding only its allele count. One generation is one
binomial draw per segregating replicate (``backend.multinomial_counts`` over
two categories) and replicates leave the batch when the allele is lost or
fixed, so the cost is the total number of segregating generations — 10^6
replicates of N = 1000, s = 0.05 take a few seconds.

Randomness: the whole batch draws from **one** stream, ``backend.rng(
SeedSequence(seed))``. Replicate i of a study is therefore not reproducible
alone (unlike the runner's replicates); the study as a whole is, for a given
seed, backend and replicate count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...engine.backends import get_backend
from ...theory import FrequencyMap, _frequency_map


@dataclass
class FixationStudy:
    """Outcome of :func:`simulate_fixation`: per replicate whether the allele
    fixed and the generation it was absorbed (fixed or lost; −1 while still
    segregating at ``max_generations``)."""

    N: int
    copies: int
    fixed: np.ndarray
    time: np.ndarray

    @property
    def replicates(self) -> int:
        return len(self.fixed)

    @property
    def segregating(self) -> int:
        return int(np.count_nonzero(self.time < 0))

    @property
    def probability(self) -> float:
        """Fraction of replicates that fixed."""
        return float(self.fixed.mean())

    @property
    def probability_se(self) -> float:
        """Binomial standard error ``sqrt(p(1−p)/R)`` of :attr:`probability`."""
        p = self.probability
        return float(np.sqrt(p * (1 - p) / self.replicates))

    @property
    def fixation_times(self) -> np.ndarray:
        return self.time[self.fixed]

    @property
    def mean_time(self) -> float:
        """Mean fixation time of the replicates that fixed (NaN if none)."""
        t = self.fixation_times
        return float(t.mean()) if len(t) else float("nan")

    @property
    def mean_time_se(self) -> float:
        """Standard error of :attr:`mean_time`: sample SD / sqrt(#fixed)."""
        t = self.fixation_times
        return float(t.std(ddof=1) / np.sqrt(len(t))) if len(t) > 1 else float("nan")


def simulate_fixation(N: int, s: float = 0.0, p0: float | None = None, *, replicates: int,
                      backend="numba", seed: int = 0, p_map: FrequencyMap | None = None,
                      max_generations: int | None = None) -> FixationStudy:
    """Simulate ``replicates`` haploid Wright–Fisher populations of N starting
    with frequency ``p0`` (default one copy, 1/N) of an allele of fitness
    ``1 + s`` (or any frequency map ``p_map``, as in :mod:`.exact`) until the
    allele is lost or fixed (or ``max_generations`` pass).

    ``backend`` is an engine Backend or the name of a CPU backend.
    """
    backend = get_backend(backend, "cpu")
    f = _frequency_map(s, p_map)
    copies = 1 if p0 is None else int(round(p0 * N))
    if not 0 < copies < N or (p0 is not None and not np.isclose(copies, p0 * N)):
        raise ValueError(f"p0·N must be a whole number of copies in 1 … N−1, got p0={p0}, N={N}")
    rng = backend.rng(np.random.SeedSequence(seed))
    fixed = np.zeros(replicates, dtype=bool)
    time = np.full(replicates, -1, dtype=np.int64)
    active = np.arange(replicates)
    x = np.full(replicates, copies, dtype=np.int64)
    t = 0
    while active.size and (max_generations is None or t < max_generations):
        t += 1
        p = np.clip(f(x / N), 0.0, 1.0)
        probs = backend.asarray(np.stack([p, 1.0 - p], axis=1))
        x = backend.to_numpy(backend.multinomial_counts(N, probs, rng))[:, 0].astype(np.int64)
        done = (x == 0) | (x == N)
        time[active[done]] = t
        fixed[active[done]] = x[done] == N
        active, x = active[~done], x[~done]
    return FixationStudy(N=N, copies=copies, fixed=fixed, time=time)
