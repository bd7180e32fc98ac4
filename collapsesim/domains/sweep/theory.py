"""Population-genetic theory the sweep domain is tested against.

Notation: ``M`` gene copies (2N for N diploids), genotype fitnesses
``1 : 1 + hs : 1 + s`` (SLiM's convention, :mod:`.conventions`), ``σ`` the
per-copy advantage (``s/2`` for additive diploids, ``s`` for haploids).

* **Exact fixation** — the Wright–Fisher Markov chain of the ``drift`` domain
  (:mod:`collapsesim.domains.drift.exact`) with this module's diploid
  selection map with dominance, :func:`diploid_map` (random union of gametes:
  ``p' = (p² w₂ + pq w₁) / w̄``); haploids use the drift domain's map.
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
from functools import lru_cache

import numpy as np
from scipy import integrate, stats

from ... import theory as exact

EULER_GAMMA = 0.5772156649015329
EXACT_MAX_COPIES = 4000  # the exact chain is a dense (M+1)² solve; beyond, the diffusion


def diploid_map(s: float, h: float = 0.5) -> exact.FrequencyMap:
    """Diploid selection with dominance under random union of gametes:
    ``p → (p²(1 + s) + pq(1 + hs)) / (p²(1 + s) + 2pq(1 + hs) + q²)``."""
    if s <= -1 or h * s <= -1:
        raise ValueError(f"genotype fitnesses must be positive (s={s}, h={h})")

    def f(p):
        q = 1.0 - p
        num = p * p * (1.0 + s) + p * q * (1.0 + h * s)
        return num / (num + p * q * (1.0 + h * s) + q * q)

    return f


def frequency_map(s: float, h: float = 0.5, ploidy: int = 2) -> exact.FrequencyMap:
    """The one-generation selection map of the forward model (ploidy 1 or 2)."""
    return exact.haploid_selection(s) if ploidy == 1 else diploid_map(s, h)


def exact_fixation(M: int, s: float, h: float = 0.5, ploidy: int = 2, start: int = 1
                   ) -> tuple[float, float]:
    """(fixation probability, mean fixation time given fixation) of ``start``
    copies among M from the exact Wright–Fisher chain (cached)."""
    return _exact_fixation(int(M), float(s), float(h), int(ploidy), int(start))


@lru_cache(maxsize=64)
def _exact_fixation(M: int, s: float, h: float, ploidy: int, start: int) -> tuple[float, float]:
    f = None if s == 0 else frequency_map(s, h, ploidy)
    u = exact.fixation_probability(M, start=start, p_map=f)
    t = exact.conditional_fixation_time(M, start=start, p_map=f)
    return u, t


def diffusion_fixation_probability(M: int, s: float, h: float = 0.5, ploidy: int = 2,
                                   p: float | None = None) -> float:
    """Kimura's (1962) diffusion fixation probability from frequency ``p``
    (default one copy, 1/M) with dominance; haploids use the drift domain's."""
    p = 1.0 / M if p is None else p
    if ploidy == 1:
        return exact.kimura_fixation_probability(M, s, p)
    if s == 0:
        return p
    N = M / 2
    a, b = 4 * N * s * h, 2 * N * s * (1 - 2 * h)
    # divide G by its maximum on [0, 1] so the integrals never overflow
    lo = min(0.0, -a, -a - b)

    def G(x):
        return math.exp(-a * x - b * x * x - lo)

    top, _ = integrate.quad(G, 0, p, limit=200)
    bottom, _ = integrate.quad(G, 0, 1, limit=500)
    return top / bottom


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
    selected site, coalesce during the sweep (``π/π₀ ≈ 1 − F`` just after)."""
    return (M * sig) ** (-2.0 * np.asarray(r, dtype=float) / sig)


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
