"""Population-genetic theory the sweep domain is tested against.

Notation: ``M`` gene copies (2N for N diploids), genotype fitnesses
``1 : 1 + hs : 1 + s`` (SLiM's convention, :mod:`.conventions`), ``σ`` the
per-copy advantage (``s/2`` for additive diploids, ``s`` for haploids).

* **Exact fixation** — the Wright–Fisher Markov chain of :mod:`collapsesim.theory`
  with its diploid selection map with dominance (random union of gametes:
  ``p' = (p² w₂ + pq w₁) / w̄``) or the haploid map.
* **Diffusion** (Kimura 1962): ``u(p) = ∫₀ᵖ G / ∫₀¹ G`` with
  ``G(x) = exp(−4Ns(hx + (1 − 2h)x²/2))`` for N diploids.
* **Fixation time** of a new copy given fixation, for ``2Mσ ≫ 1``:
  ``(2/σ)(ln(2Mσ) + γ − 1/(2Mσ))`` (the two stochastic phases at the ends of a
  logistic sweep; Hermisson & Pennings 2005, appendix).
* **Hitchhiking** (Maynard Smith & Haigh 1974; Kaplan, Hudson & Langley 1989;
  Barton 1998, 2000): two copies sampled at fixation at recombination distance
  ``r`` from the site coalesce during the sweep with ``F ≈ (Mσ)^(−2r/σ)``; it
  holds to ±0.03 only where ``F ≥ 0.6`` and ``2Mσ ≥ 200`` (further out it is
  too low, and coalescences during the sweep give a floor ≈ ``T_fix/M``).
* **Soft sweeps from recurrent mutation** (Pennings & Hermisson 2006): two
  copies sampled at fixation have different origins with ``Θ/(1 + Θ)``,
  ``Θ = 2Mμ_b``.
* **Soft sweeps from standing variation at frequency x₀** (Hermisson &
  Pennings 2005): the ``M x₀`` copies establish independently with
  probability ``π_b`` each, so the number of successful origins is ≈
  Poisson(``λ = M x₀ π_b``) and ``P(≥ 2 | fixation) = 1 − λe^{−λ}/(1 − e^{−λ})``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ... import theory as exact

EULER_GAMMA = 0.5772156649015329
EXACT_MAX_COPIES = 4000  # the exact chain is a dense (M+1)² solve; beyond, the diffusion


def exact_fixation(M: int, s: float, h: float = 0.5, ploidy: int = 2, start: int = 1
                   ) -> tuple[float, float]:
    """(fixation probability, mean fixation time given fixation) of ``start``
    copies among M from the exact Wright–Fisher chain of ``cs.theory`` in this
    domain's convention (diploid by default; SLiM's ``s`` and ``h``)."""
    return exact.exact_fixation(M, s, ploidy=ploidy, h=h, start=start)


def diffusion_fixation_probability(M: int, s: float, h: float = 0.5, ploidy: int = 2,
                                   p: float | None = None) -> float:
    """Kimura's (1962) diffusion fixation probability from frequency ``p``
    (default one copy, 1/M) for M gene copies, with dominance for diploids."""
    if ploidy == 1:
        return exact.kimura_fixation_probability(M, s, 1.0 / M if p is None else p)
    return exact.diploid_kimura_fixation_probability(M / 2, s, h, p)


def establishment_probability(M: int, s: float, h: float = 0.5, ploidy: int = 2) -> float:
    """π_b: the fixation probability of one new copy — exact chain up to
    :data:`EXACT_MAX_COPIES` copies, the diffusion beyond."""
    if M <= EXACT_MAX_COPIES:
        return exact_fixation(M, s, h, ploidy)[0]
    return diffusion_fixation_probability(M, s, h, ploidy)


def sweep_time(M: int, sig: float) -> float:
    """``(2/σ)(ln(2Mσ) + γ − 1/(2Mσ))``: the mean fixation time of a new copy
    given fixation, for ``2Mσ ≫ 1``."""
    a = 2 * M * sig
    return 2.0 / sig * (math.log(a) + EULER_GAMMA - 1.0 / a)


def footprint(r, M: int, sig: float):
    """Hitchhiking footprint ``F(r) ≈ (Mσ)^(−2r/σ)``: the probability that two
    copies sampled at fixation, at recombination fraction ``r`` from the
    selected site, coalesce during the sweep (``π/π₀ ≈ 1 − F`` just after):
    :func:`collapsesim.theory.sweep_footprint_F` with ``N = M/2`` diploids."""
    return exact.sweep_footprint_F(r, M / 2, sig)


def footprint_valid(r, M: int, sig: float):
    """Where the approximation is trusted (±0.03): ``F ≥ 0.6`` and ``2Mσ ≥ 200``."""
    return (footprint(r, M, sig) >= 0.6) & (2 * M * sig >= 200)


def pennings_hermisson(theta: float) -> float:
    """Probability that two copies sampled at fixation of a sweep from
    recurrent mutation have different origins: ``Θ/(1 + Θ)``."""
    return theta / (1.0 + theta)


def standing_multiple_origins(lam: float) -> float:
    """``P(≥ 2 origins | fixation) = 1 − λe^{−λ}/(1 − e^{−λ})`` for a Poisson(λ)
    number of successful origins."""
    return 1.0 - lam * math.exp(-lam) / -math.expm1(-lam)


def standing_different_origins(lam: float, kmax: int = 200) -> float:
    """Probability that two copies sampled at fixation of a sweep from standing
    variation have different origins: K ~ Poisson(λ) successful origins given
    K ≥ 1, whose shares at fixation are flat-Dirichlet (the exponential limits
    of independent supercritical branching processes), so the pair differs
    with ``(K − 1)/(K + 1)``."""
    k = np.arange(1, kmax + 1)
    w = stats.poisson.pmf(k, lam)
    return float(np.sum(w * (k - 1) / (k + 1)) / np.sum(w))


def effective_origins(p_different: float) -> float:
    """Inverse-Simpson effective number of origins, ``1/(1 − P(different))``."""
    return 1.0 / (1.0 - p_different)
