"""The voter simulation: arrays and randomness only through the engine's backend.

State: the opinion of each voter (int64, length N). One step draws the 2N
uniform voter indices of N events at once (``backend.integers``) and applies
the events in order; opinion counts are ``xp.bincount`` of the state, so the
same code runs on numpy, numba (numpy arrays, the same generator: identical
numbers) and torch.
"""

from __future__ import annotations

import numpy as np

from collapsesim import Observation, Series

from .params import VoterParams


def initial_opinions(N: int, K: int) -> np.ndarray:
    """Opinion k held by ⌊N/K⌋ voters, the remainder by the first opinions."""
    counts = np.full(K, N // K)
    counts[: N % K] += 1
    return np.repeat(np.arange(K), counts)


class VoterSimulation:
    """One replicate of the voter model."""

    def __init__(self, params: VoterParams, backend, seed: np.random.SeedSequence):
        self.p, self.backend = params, backend
        self.rng = backend.rng(seed)
        self.state = backend.asarray(initial_opinions(params.N, params.K))
        self.reference = np.bincount(initial_opinions(params.N, params.K), minlength=params.K)

    def step(self) -> None:
        """N events: voter ``who[e]`` adopts the opinion of voter ``whom[e]``."""
        N = self.p.N
        draws = self.backend.to_numpy(self.backend.integers(0, N, (2, N), self.rng))
        state = self.backend.to_numpy(self.state).copy()
        for who, whom in zip(draws[0], draws[1]):
            state[who] = state[whom]
        self.state = self.backend.asarray(state)

    @property
    def finished(self) -> bool:
        """Consensus: one opinion left (nothing changes any more)."""
        return len(self.counts().nonzero()[0]) == 1

    def counts(self) -> np.ndarray:
        return self.backend.to_numpy(self.backend.xp.bincount(self.state, minlength=self.p.K))

    def observe(self) -> Observation:
        c = self.counts()
        p = c / c.sum()
        return Observation(series={"opinions": Series(c, self.reference)},
                           metrics={"heterozygosity": float(1.0 - np.sum(p * p))})
