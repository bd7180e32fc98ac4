"""Closed-form expectations the drift domain is checked against.

* Heterozygosity ``H = 1 − Σp²`` under neutral drift without mutation decays
  exactly in expectation: by ``(1 − 1/N)`` per Wright–Fisher generation and by
  ``(1 − 2/N²)`` per Moran birth–death event (Ewens 2004, §1.4 and §3.2;
  Moran 1958).
* A neutral type fixes with probability equal to its frequency; one mutant of
  fitness ``r = 1 + s`` in a Moran population fixes with
  ``(1 − 1/r)/(1 − 1/r^N)`` (Moran 1958). The Wright–Fisher values come from
  the exact chain, :mod:`.exact`.
* Infinite alleles (Kimura & Crow 1964): at mutation–drift equilibrium the
  probability that two distinct genes differ is ``θ/(1 + θ)``, ``θ = 2Nμ``
  for a haploid Wright–Fisher population; the exact finite-N value follows
  from ``F' = (1−μ)²(1/N + (1 − 1/N)F)``. The allele frequencies then follow
  the Poisson–Dirichlet(θ) law, whose expected Shannon entropy is
  ``ψ(1 + θ) + γ`` (from Ewens' frequency spectrum ``θ x⁻¹(1−x)^{θ−1}``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma


def heterozygosity_decay(H0: float, N: int, t, model: str = "wright-fisher"):
    """Expected heterozygosity after ``t`` generations of neutral drift:
    ``H0 (1 − 1/N)^t`` (Wright–Fisher) or ``H0 (1 − 2/N²)^{Nt}`` (Moran, one
    generation = N events)."""
    t = np.asarray(t, dtype=float)
    if model == "wright-fisher":
        return H0 * (1.0 - 1.0 / N) ** t
    return H0 * (1.0 - 2.0 / N**2) ** (N * t)


def moran_fixation_probability(N: int, s: float, copies: int = 1) -> float:
    """Fixation probability of ``copies`` carriers of fitness ``1 + s`` in a
    Moran population of N: ``(1 − r^{−i})/(1 − r^{−N})``, ``i/N`` if neutral."""
    if s == 0:
        return copies / N
    r = 1.0 + s
    return float(np.expm1(-copies * np.log(r)) / np.expm1(-N * np.log(r)))


def infinite_alleles_heterozygosity(theta):
    """Diffusion limit of the equilibrium heterozygosity, ``θ/(1 + θ)``."""
    theta = np.asarray(theta, dtype=float)
    return theta / (1.0 + theta)


def wright_fisher_infinite_alleles_heterozygosity(N: int, mu):
    """Exact equilibrium probability that two distinct genes of a haploid
    Wright–Fisher population of N differ: ``1 − F*`` with
    ``F* = (1−μ)²/N / (1 − (1−μ)²(1 − 1/N))``. Compare it with the unbiased
    heterozygosity ``N/(N−1)(1 − Σp²)``."""
    m = (1.0 - np.asarray(mu, dtype=float)) ** 2
    return 1.0 - (m / N) / (1.0 - m * (1.0 - 1.0 / N))


def equilibrium_d1(theta: float) -> float:
    """Effective number of types (D1, exp of Shannon entropy) of the
    mutation–drift equilibrium: ``exp(ψ(1 + θ) + γ)``; 1 when θ = 0."""
    return float(np.exp(digamma(1.0 + theta) + np.euler_gamma))
