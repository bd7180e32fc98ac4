"""Exact answers for the ``beam`` domain's tests and reproduction.

* :func:`enumerate_sequences` — every sequence of ``length`` tokens of an LM
  (:mod:`.lms` interface) with its exact log-probability, by expanding the
  whole tree (small V and length only).
* :func:`inclusion_probabilities` — P(item i is in a sample of k drawn
  without replacement, successively, with probabilities ∝ p), by summing
  over the ordered samples (Plackett–Luce); stochastic beam search's final
  beam is such a sample of whole sequences (Kool et al. 2019, Theorem 1).
* :func:`brunet_derrida_tmrca` — the coalescence time of a population of N
  under selection in the Brunet–Derrida universality class (Brunet, Derrida,
  Mueller & Munier 2007, Phys. Rev. E 76:041104): T ∝ ln³ N for large N;
  only this scaling is used, as the asymptotic law the measured beam TMRCA
  is compared against (the prefactor is fitted).
"""

from __future__ import annotations

import itertools

import numpy as np


def enumerate_sequences(lm, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(sequences (n, length) int64, log-probabilities (n,)) of every sequence
    of ``length`` tokens with positive probability, in lexicographic order."""
    state = lm.root(1)
    seqs = np.zeros((1, 0), np.int64)
    lp = np.zeros(1)
    for _ in range(length):
        logp = lm.logprobs(state)
        parents, tokens = np.nonzero(np.isfinite(logp))
        lp = lp[parents] + logp[parents, tokens]
        seqs = np.concatenate([seqs[parents], tokens[:, None]], axis=1)
        state = lm.advance(state, parents, tokens)
    return seqs, lp


def inclusion_probabilities(p, k: int) -> np.ndarray:
    """Exact inclusion probabilities of a size-k successive sample without
    replacement from weights ``p`` (normalised here); O(n^k)."""
    p = np.asarray(p, dtype=float)
    p = p / p.sum()
    out = np.zeros(len(p))
    for order in itertools.permutations(range(len(p)), k):
        prob, left = 1.0, 1.0
        for i in order:
            prob *= p[i] / left
            left -= p[i]
        out[list(order)] += prob
    return out


def brunet_derrida_tmrca(B, c: float = 1.0):
    """The asymptotic law T(B) = c·ln³ B of coalescence times of a population
    of B under truncation selection (Brunet, Derrida, Mueller & Munier 2007)."""
    return c * np.log(np.asarray(B, dtype=float)) ** 3
