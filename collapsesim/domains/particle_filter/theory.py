"""What the genealogy of a particle filter should look like, in closed form.

With equal weights, multinomial resampling of N particles is the haploid
Wright–Fisher model: each particle picks its parent uniformly. Backwards in
time k lineages have j distinct parents with the occupancy probability of k
balls in N boxes, so

* one step back, the N particles have N(1 − (1 − 1/N)^N) ≈ (1 − e⁻¹)N distinct
  parents on average;
* the time to the most recent common ancestor has mean ≈ 2N(1 − 1/N)
  (Kingman's coalescent; exact discrete values: :func:`tmrca_moments`) and sd
  ≈ 1.08N (√(4π²/3 − 12)·N, the coalescent's sd of T_MRCA for large N);
* the stored tree (path storage) has the size of
  :func:`collapsesim.engine.genealogy.expected_stored_nodes`.

Residual, stratified and systematic resampling with equal weights give every
particle exactly one offspring (they are the identity), so a drift baseline
must use multinomial resampling.

For a weighted filter with multinomial resampling the probability that two
lineages merge in the resampling from time t is c_t = Σ_i (W_t^i)² = 1/ESS_t;
the genealogy is then close to Kingman's coalescent run on the clock Σ c_t
(Koskela, Jenkins, Johansen & Spanò 2020), so the c_t summed from now back to
the MRCA average ≈ 2(1 − 1/N), and T_MRCA ≈ 2 × the harmonic-mean ESS.
"""

from __future__ import annotations

import math

import numpy as np


def expected_distinct_parents(N: int) -> float:
    """E[distinct parents] of N particles after one neutral multinomial step."""
    return N * (1.0 - (1.0 - 1.0 / N) ** N)


def coalescent_tmrca(N: int) -> float:
    """Kingman's E[T_MRCA] of N lineages, in generations of a population of N: 2N(1 − 1/N)."""
    return 2.0 * N * (1.0 - 1.0 / N)


def coalescent_tmrca_sd(N: int) -> float:
    """Kingman's sd of T_MRCA of N lineages in generations (→ 1.08N as N grows)."""
    k = np.arange(2, N + 1)
    return N * math.sqrt(float(np.sum((2.0 / (k * (k - 1.0))) ** 2)))


def occupancy(N: int) -> np.ndarray:
    """P[k, j]: probability that k lineages have j distinct parents among N
    (k balls in N boxes); (N+1)×(N+1)."""
    P = np.zeros((N + 1, N + 1))
    P[1, 1] = 1.0
    j = np.arange(N + 1)
    for k in range(2, N + 1):
        P[k] = P[k - 1] * j / N
        P[k, 1:] += P[k - 1, :-1] * (N - j[1:] + 1) / N
    return P


def tmrca_moments(N: int) -> tuple[float, float]:
    """Exact mean and sd of T_MRCA (generations) of N particles under neutral
    multinomial resampling, from the lineage-count chain: with h(k) = E[T | k]
    and s(k) = E[T² | k], h(1) = s(1) = 0 and, one generation back,
    (1 − P_kk) h(k) = 1 + Σ_{j<k} P_kj h(j),
    (1 − P_kk) s(k) = Σ_{j≤k} P_kj (1 + 2h(j)) + Σ_{j<k} P_kj s(j)."""
    P = occupancy(N)
    h, s = np.zeros(N + 1), np.zeros(N + 1)
    for k in range(2, N + 1):
        stay = 1.0 - P[k, k]
        h[k] = (1.0 + P[k, 1:k] @ h[1:k]) / stay
        s[k] = (P[k, 1:k + 1] @ (1.0 + 2.0 * h[1:k + 1]) + P[k, 1:k] @ s[1:k]) / stay
    return float(h[N]), float(np.sqrt(s[N] - h[N] ** 2))
