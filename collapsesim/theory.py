"""Population-genetic theory shared by the domains (``cs.theory``).

One implementation of each closed form and exact chain that more than one
domain is checked against (drift, sweep, later model_collapse):

* **Demography** — :class:`Epoch` and :func:`size_at`: a piecewise-constant
  population size, ``N`` or a list of epochs ``{generation, N}``.
* **The exact Wright–Fisher chain** for one allele among ``M`` gene copies
  (Ewens 2004, *Mathematical Population Genetics*, §1.4 and §2.8). State ``i``
  is the number of copies (0 … M); one generation maps the frequency
  ``p = i/M`` to its expectation after selection, ``p' = f(p)``, and draws the
  next count as ``Binomial(M, p')``. ``f`` is :func:`haploid_selection`
  (carrier fitness ``1 + s``), :func:`diploid_selection` (genotype fitnesses
  ``1 : 1 + hs : 1 + s`` under random union of gametes), or any vectorised
  map. From the (M+1)×(M+1) transition matrix ``P``, the fixation
  probabilities ``u`` solve ``(I − Q) u = r`` (``Q`` the transient block,
  ``r`` the one-step probabilities of reaching M), and the mean fixation time
  *given fixation* is the absorption time of the chain conditioned on
  fixation, Doob's h-transform ``P*_ij = P_ij u_j / u_i``: with
  ``v_i = u_i τ*_i``, ``(I − Q*) τ* = 1`` becomes ``(I − Q) v = u``.
  Reference values (haploid M = 1000, s = 0.05, one new copy): fixation
  probability 0.09369, conditional mean fixation time 208.4 generations.
  :func:`absorption_distribution` gives the whole law of the absorption time,
  ``P(lost by t)`` and ``P(fixed by t)``, from the powers of ``P``.
* **Diffusion approximations** — Kimura's (1962) fixation probability,
  haploid and diploid with dominance, and Kimura & Ohta's (1969) mean
  fixation time given fixation.
* **The hitchhiking footprint of a hard sweep** — :func:`sweep_footprint_F`
  and :func:`sweep_footprint_pi` (Barton 1998; Durrett & Schweinsberg 2004).
* **Neutral drift** — heterozygosity decay (Wright–Fisher and Moran), the
  Moran fixation probability (Moran 1958), and the infinite-alleles
  mutation–drift equilibrium (Kimura & Crow 1964; Ewens 1972).
* **Neutral genealogy** of a haploid Wright–Fisher population of N (each
  individual picks its parent uniformly, as multinomial resampling of N
  particles does): the expected distinct parents of k lineages, the occupancy
  law behind it, Kingman's (1982) E[T_MRCA] and sd, and the exact moments of
  the discrete chain.
* **Linear-Gaussian state-space models** — the Kalman (1960) filter with its
  exact log-likelihood and the Rauch–Tung–Striebel (1965) smoother.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

FrequencyMap = Callable[[np.ndarray], np.ndarray]

__all__ = [
    "Epoch", "size_at", "FrequencyMap", "haploid_selection", "diploid_selection",
    "selection_map", "transition_matrix", "fixation_probabilities", "fixation_probability",
    "conditional_fixation_times", "conditional_fixation_time", "exact_fixation",
    "kimura_fixation_probability", "diploid_kimura_fixation_probability",
    "kimura_conditional_fixation_time", "heterozygosity_decay", "moran_fixation_probability",
    "infinite_alleles_heterozygosity", "wright_fisher_infinite_alleles_heterozygosity",
    "equilibrium_d1", "sweep_footprint_F", "sweep_footprint_pi", "absorption_distribution",
    "expected_distinct_parents", "coalescent_tmrca", "coalescent_tmrca_sd", "occupancy",
    "wright_fisher_tmrca_moments", "KalmanResult", "kalman_filter", "kalman_loglik",
    "rts_smoother",
]


# -- demography ------------------------------------------------------------------------
class Epoch(BaseModel):
    """From ``generation`` on, the population has ``N`` individuals (one
    piece of a piecewise-constant size; unknown keys are errors, and types are
    strict like every scenario value: ``N: "30"`` or ``N: true`` is refused)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True)

    generation: int = Field(ge=0, description="first generation of the epoch")
    N: int = Field(ge=2, description="population size in the epoch")


def size_at(N: int | list[Epoch], generation: int) -> int:
    """Population size in ``generation``: ``N`` itself, or the ``N`` of the
    last epoch starting at or before ``generation`` (epochs in increasing
    generations, the first at 0)."""
    if isinstance(N, int):
        return N
    return [e.N for e in N if e.generation <= generation][-1]


# -- selection maps --------------------------------------------------------------------
def haploid_selection(s: float) -> FrequencyMap:
    """Haploid selection, carrier fitness ``1 + s``: ``p → p(1+s)/(1+ps)``."""
    if s <= -1:
        raise ValueError(f"s must be > -1 (fitness 1 + s > 0), got {s}")
    return lambda p: p * (1.0 + s) / (1.0 + p * s)


def diploid_selection(s: float, h: float = 0.5) -> FrequencyMap:
    """Diploid selection with dominance ``h`` (genotype fitnesses
    ``1 : 1 + hs : 1 + s``) under random union of gametes:
    ``p → (p²(1 + s) + pq(1 + hs)) / (p²(1 + s) + 2pq(1 + hs) + q²)``
    (Ewens 2004, §1.5)."""
    if s <= -1 or h * s <= -1:
        raise ValueError(f"genotype fitnesses must be positive (s={s}, h={h})")

    def f(p):
        q = 1.0 - p
        num = p * p * (1.0 + s) + p * q * (1.0 + h * s)
        return num / (num + p * q * (1.0 + h * s) + q * q)

    return f


def selection_map(s: float, h: float = 0.5, ploidy: int = 1) -> FrequencyMap:
    """The one-generation selection map: :func:`haploid_selection` for
    ``ploidy`` 1, :func:`diploid_selection` for 2."""
    if ploidy not in (1, 2):
        raise ValueError(f"ploidy must be 1 or 2, got {ploidy}")
    return haploid_selection(s) if ploidy == 1 else diploid_selection(s, h)


def _frequency_map(s: float, p_map: FrequencyMap | None) -> FrequencyMap:
    if p_map is not None and s != 0.0:
        raise ValueError("give either s (haploid selection) or p_map, not both")
    return p_map if p_map is not None else haploid_selection(s)


# -- the exact Wright–Fisher chain -----------------------------------------------------
def transition_matrix(M: int, s: float = 0.0, p_map: FrequencyMap | None = None) -> np.ndarray:
    """The (M+1)×(M+1) Wright–Fisher transition matrix ``P[i, j] = Pr(i → j)``:
    ``Binomial(M, f(i/M))`` with ``f`` = ``p_map`` or haploid selection ``s``."""
    from scipy import stats  # scipy on first use: `import collapsesim` stays light
    if M < 1:
        raise ValueError(f"M must be >= 1, got {M}")
    f = _frequency_map(s, p_map)
    p_next = np.clip(f(np.arange(M + 1) / M), 0.0, 1.0)
    return stats.binom.pmf(np.arange(M + 1)[None, :], M, p_next[:, None])


def _solve_transient(P: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    from scipy import linalg  # scipy on first use: `import collapsesim` stays light
    M = P.shape[0] - 1
    return linalg.solve(np.eye(M - 1) - P[1:M, 1:M], rhs)


def _absorption(M: int, s: float, p_map: FrequencyMap | None) -> tuple[np.ndarray, np.ndarray]:
    """The transition matrix and the fixation probabilities from every state."""
    P = transition_matrix(M, s, p_map)
    u = np.zeros(M + 1)
    u[M] = 1.0
    if M > 1:
        u[1:M] = _solve_transient(P, P[1:M, M])
    return P, u


def fixation_probabilities(M: int, s: float = 0.0, p_map: FrequencyMap | None = None
                           ) -> np.ndarray:
    """Exact fixation probability from every state: array ``u`` of length M+1
    (``u[0] = 0``, ``u[M] = 1``)."""
    return _absorption(M, s, p_map)[1]


def _fixation_and_times(M: int, s: float, p_map: FrequencyMap | None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Fixation probabilities and conditional mean fixation times from every state."""
    P, u = _absorption(M, s, p_map)
    tau = np.full(M + 1, np.nan)
    tau[M] = 0.0
    if M > 1:
        v = _solve_transient(P, u[1:M])
        with np.errstate(divide="ignore", invalid="ignore"):
            tau[1:M] = np.where(u[1:M] > 0, v / u[1:M], np.nan)
    return u, tau


def conditional_fixation_times(M: int, s: float = 0.0, p_map: FrequencyMap | None = None
                               ) -> np.ndarray:
    """Exact mean number of generations to fixation given fixation, from every
    state (Doob h-transform of the chain by its fixation probabilities); NaN
    where fixation is impossible (state 0), 0 at state M."""
    return _fixation_and_times(M, s, p_map)[1]


def fixation_probability(M: int, s: float = 0.0, start: int = 1,
                         p_map: FrequencyMap | None = None) -> float:
    """Exact fixation probability of ``start`` copies among M."""
    return float(fixation_probabilities(M, s, p_map)[start])


def conditional_fixation_time(M: int, s: float = 0.0, start: int = 1,
                              p_map: FrequencyMap | None = None) -> float:
    """Exact mean fixation time (generations) of ``start`` copies given fixation."""
    return float(conditional_fixation_times(M, s, p_map)[start])


def exact_fixation(M: int, s: float, *, ploidy: int, h: float = 0.5, start: int = 1
                   ) -> tuple[float, float]:
    """(fixation probability, mean fixation time given fixation) of ``start``
    copies among M gene copies from the exact chain with
    :func:`selection_map` ``(s, h, ploidy)`` (M = 2N for N diploids; cached:
    each call is a dense (M+1)² solve). ``ploidy`` has no default: the haploid
    and the diploid chain of the same M differ."""
    return _exact_fixation(int(M), float(s), float(h), int(ploidy), int(start))


@lru_cache(maxsize=64)
def _exact_fixation(M: int, s: float, h: float, ploidy: int, start: int) -> tuple[float, float]:
    f = None if s == 0 else selection_map(s, h, ploidy)
    u, tau = _fixation_and_times(M, 0.0, f)
    return float(u[start]), float(tau[start])


# -- diffusion approximations ----------------------------------------------------------
def kimura_fixation_probability(N: int, s: float, p0: float | None = None) -> float:
    """Kimura's (1962) diffusion fixation probability for a haploid population
    of N (drift variance ``p(1−p)/N``, drift ``sp(1−p)``):
    ``(1 − e^{−2Nsp}) / (1 − e^{−2Ns})``, ``p`` = ``p0`` (default 1/N)."""
    p = 1.0 / N if p0 is None else p0
    if s == 0:
        return p
    return float(np.expm1(-2 * N * s * p) / np.expm1(-2 * N * s))


def diploid_kimura_fixation_probability(N: float, s: float, h: float = 0.5,
                                        p: float | None = None) -> float:
    """Kimura's (1962, eq. 8) diffusion fixation probability for N diploids
    (2N gene copies) with genotype fitnesses ``1 : 1 + hs : 1 + s`` from
    frequency ``p`` (default one copy, 1/(2N)): ``u(p) = ∫₀ᵖ G / ∫₀¹ G``,
    ``G(x) = exp(−4Nshx − 2Ns(1 − 2h)x²)``."""
    from scipy import integrate  # scipy on first use: `import collapsesim` stays light
    p = 1.0 / (2 * N) if p is None else p
    if s == 0:
        return p
    a, b = 4 * N * s * h, 2 * N * s * (1 - 2 * h)
    lo = min(0.0, -a, -a - b)  # divide G by its maximum on [0, 1]: no overflow

    def G(x):
        return math.exp(-a * x - b * x * x - lo)

    top, _ = integrate.quad(G, 0, p, limit=200)
    bottom, _ = integrate.quad(G, 0, 1, limit=500)
    return top / bottom


def kimura_conditional_fixation_time(N: int, s: float, p0: float | None = None) -> float:
    """Diffusion approximation of the mean fixation time given fixation
    (Kimura & Ohta 1969, eq. 17) for a haploid population of N with
    selection ``s``, from frequency ``p0`` (default 1/N)::

        t(p) = ∫_p^1 ψ(x) u(x)(1 − u(x)) dx + (1 − u(p))/u(p) ∫_0^p ψ(x) u(x)² dx

    with ``ψ(x) = 2 ∫_0^1 G / (V(x) G(x))``, ``G(x) = e^{−2Nsx}``,
    ``V(x) = x(1−x)/N`` and ``u`` Kimura's fixation probability.
    """
    from scipy import integrate  # scipy on first use: `import collapsesim` stays light
    p = 1.0 / N if p0 is None else p0
    if s == 0:  # u(x) = x, ψ(x) = 2N / (x(1−x))
        def upper_f(x):
            return 2.0 * N

        def lower_f(x):
            return 2.0 * N * x / (1 - x)
    else:  # the same integrands with e^{ax} cancelled analytically, a = 2Ns
        a = 2.0 * N * s
        c = 2.0 * N / (a * -np.expm1(-a))

        def upper_f(x):
            return c * np.expm1(-a * x) * np.expm1(-a * (1 - x)) / (x * (1 - x))

        def lower_f(x):
            return c * np.expm1(-a * x) ** 2 * np.exp(a * x) / (x * (1 - x))

    u_p = kimura_fixation_probability(N, s, p)
    upper, _ = integrate.quad(upper_f, p, 1, limit=500)
    lower, _ = integrate.quad(lower_f, 0, p, limit=500)
    return float(upper + (1 - u_p) / u_p * lower)


# -- neutral drift, Moran, infinite alleles --------------------------------------------
def heterozygosity_decay(H0: float, N: int, t, model: str = "wright-fisher"):
    """Expected heterozygosity ``H = 1 − Σp²`` after ``t`` generations of
    neutral drift without mutation: ``H0 (1 − 1/N)^t`` for Wright–Fisher
    (Ewens 2004, §1.4), ``H0 (1 − 2/N²)^{Nt}`` for Moran, one generation being
    N birth–death events (Moran 1958; Ewens 2004, §3.2)."""
    t = np.asarray(t, dtype=float)
    if model == "wright-fisher":
        return H0 * (1.0 - 1.0 / N) ** t
    if model == "moran":
        return H0 * (1.0 - 2.0 / N**2) ** (N * t)
    raise ValueError(f"model must be 'wright-fisher' or 'moran', got {model!r}")


def moran_fixation_probability(N: int, s: float, copies: int = 1) -> float:
    """Fixation probability of ``copies`` carriers of fitness ``r = 1 + s`` in
    a Moran population of N (Moran 1958): ``(1 − r^{−i})/(1 − r^{−N})``,
    ``i/N`` if neutral."""
    if s == 0:
        return copies / N
    r = 1.0 + s
    return float(np.expm1(-copies * np.log(r)) / np.expm1(-N * np.log(r)))


def infinite_alleles_heterozygosity(theta):
    """Diffusion limit of the equilibrium probability that two genes differ
    under infinite-alleles mutation, ``θ/(1 + θ)`` (Kimura & Crow 1964;
    ``θ = 2Nμ`` for a haploid Wright–Fisher population)."""
    theta = np.asarray(theta, dtype=float)
    return theta / (1.0 + theta)


def wright_fisher_infinite_alleles_heterozygosity(N: int, mu):
    """Exact equilibrium probability that two distinct genes of a haploid
    Wright–Fisher population of N differ under infinite alleles: ``1 − F*``,
    the fixed point of ``F' = (1−μ)²(1/N + (1 − 1/N)F)`` (Kimura & Crow 1964),
    ``F* = (1−μ)²/N / (1 − (1−μ)²(1 − 1/N))``. Compare it with the unbiased
    heterozygosity ``N/(N−1)(1 − Σp²)``."""
    m = (1.0 - np.asarray(mu, dtype=float)) ** 2
    return 1.0 - (m / N) / (1.0 - m * (1.0 - 1.0 / N))


def equilibrium_d1(theta: float) -> float:
    """Effective number of types (D1, the exponential of the Shannon entropy)
    at the infinite-alleles mutation–drift equilibrium: the frequencies follow
    Poisson–Dirichlet(θ), whose expected entropy ``ψ(1 + θ) + γ`` follows from
    Ewens' (1972) frequency spectrum ``θ x⁻¹(1−x)^{θ−1}``; so
    ``exp(ψ(1 + θ) + γ)``, 1 when θ = 0."""
    from scipy.special import digamma  # scipy on first use: `import collapsesim` stays light
    return float(np.exp(digamma(1.0 + theta) + np.euler_gamma))


# -- the hitchhiking footprint of a hard sweep -----------------------------------------
def sweep_footprint_F(r, N: float, s: float):
    """Probability that two gene copies sampled when a new beneficial allele
    fixes, at recombination fraction ``r`` from the selected site, coalesce
    during the sweep: ``F(r) ≈ (2Ns)^(−2r/s)`` (Barton 1998; Durrett &
    Schweinsberg 2004, to first order), ``F(0) = 1``.

    Convention: ``N`` diploid individuals (2N gene copies; for a haploid
    population of M copies pass ``N = M/2``) and ``s`` the selective advantage
    *per copy* σ — ``hs`` of a heterozygote, ``s/2`` for SLiM's additive
    ``1 : 1 + s/2 : 1 + s`` genotypes. Derivation: conditioned on fixation the
    allele grows logistically as if from frequency ``1/(2Ns)`` (its
    established, stochastic start); a lineage at the selected allele's
    background recombines off it at rate ``r(1 − p)``, and ``∫(1 − p) dt =
    ln(2Ns)/s`` over the sweep, so both lineages stay — and coalesce at its
    start — with ``exp(−2r ln(2Ns)/s)``. First order in ``r/s``: valid for
    ``2Ns ≫ 1`` and ``F`` not small; further out it is too low (coalescences
    before the sweep and recombination back onto the background are ignored).
    """
    return (2 * N * s) ** (-2.0 * np.asarray(r, dtype=float) / s)


def sweep_footprint_pi(r, N: float, s: float):
    """Pairwise diversity just after a hard sweep relative to neutral
    equilibrium, ``π(r)/π₀ ≈ 1 − F(r)`` with ``F`` :func:`sweep_footprint_F`
    (a pair that coalesced during the sweep carries no differences; one that
    did not keeps its neutral expectation; Barton 1998; Durrett & Schweinsberg
    2004). Same convention: ``N`` diploids, ``s`` the per-copy advantage."""
    return 1.0 - sweep_footprint_F(r, N, s)


# -- absorption-time distribution of the exact chain -----------------------------------
def absorption_distribution(M: int, t_max: int, s: float = 0.0, start: int = 1,
                            p_map: FrequencyMap | None = None
                            ) -> tuple[np.ndarray, np.ndarray]:
    """The law of the absorption time of the exact Wright–Fisher chain
    (:func:`transition_matrix`; Ewens 2004, §1.4): arrays ``(lost, fixed)`` of
    length ``t_max + 1`` with ``lost[t] = P(X_t = 0)`` and
    ``fixed[t] = P(X_t = M)`` from ``X_0 = start`` — the probabilities of being
    lost, fixed, by generation ``t`` (both states absorb). So
    ``P(absorbed by t) = lost[t] + fixed[t]``; ``fixed[t] → u_start``
    (:func:`fixation_probabilities`) as ``t → ∞``; and the mean absorption time
    is ``Σ_t (1 − lost[t] − fixed[t])`` once ``t_max`` reaches the tail.
    Computed as the row ``e_start Pᵗ``: ``t_max`` vector–matrix products."""
    if not 0 <= start <= M:
        raise ValueError(f"start must be in 0..{M}, got {start}")
    P = transition_matrix(M, s, p_map)
    x = np.zeros(M + 1)
    x[start] = 1.0
    lost, fixed = np.empty(t_max + 1), np.empty(t_max + 1)
    for t in range(t_max + 1):
        lost[t], fixed[t] = x[0], x[M]
        x = x @ P
    return lost, fixed


# -- neutral genealogy of a haploid Wright–Fisher population ---------------------------
def expected_distinct_parents(N: int, k: int | None = None) -> float:
    """Expected number of distinct parents of ``k`` lineages (default all N)
    one generation back in a haploid Wright–Fisher population of N, each
    picking its parent uniformly: ``N(1 − (1 − 1/N)^k)`` (a parent is missed by
    all k with ``(1 − 1/N)^k``); ``≈ (1 − e⁻¹)N`` for ``k = N``. Neutral
    multinomial resampling of N particles is this model."""
    k = N if k is None else k
    return N * (1.0 - (1.0 - 1.0 / N) ** k)


def coalescent_tmrca(n: int, N: float | None = None) -> float:
    """Kingman's (1982) E[T_MRCA] of a sample of ``n`` lineages, in generations
    of a haploid Wright–Fisher population of ``N`` (default ``N = n``, the whole
    population): ``2N(1 − 1/n)``. Convention: a pair coalesces with
    probability 1/N per generation (haploid; for N diploids pass ``2N``), so
    while ``k`` lineages remain the wait is ``N / C(k, 2)`` generations and
    ``Σ_{k=2}^n 2N/(k(k − 1)) = 2N(1 − 1/n)``. For the exact discrete chain
    see :func:`wright_fisher_tmrca_moments`."""
    N = n if N is None else N
    return 2.0 * N * (1.0 - 1.0 / n)


def coalescent_tmrca_sd(n: int, N: float | None = None) -> float:
    """Kingman's (1982) sd of T_MRCA of ``n`` lineages in generations of a
    haploid population of ``N`` (default ``n``): the waits are independent
    exponentials of mean ``2N/(k(k − 1))``, so
    ``N √(Σ_{k=2}^n (2/(k(k − 1)))²)`` (→ ``√(4π²/3 − 12) N ≈ 1.08N``)."""
    N = n if N is None else N
    k = np.arange(2, n + 1)
    return N * math.sqrt(float(np.sum((2.0 / (k * (k - 1.0))) ** 2)))


def occupancy(N: int) -> np.ndarray:
    """``P[k, j]``: the probability that ``k`` lineages have ``j`` distinct
    parents among N one generation back — ``k`` balls thrown uniformly into N
    boxes, by the recursion on the k-th ball (it lands in an occupied box with
    ``j/N``); an (N+1)×(N+1) array (Feller 1968, §II.5)."""
    P = np.zeros((N + 1, N + 1))
    P[1, 1] = 1.0
    j = np.arange(N + 1)
    for k in range(2, N + 1):
        P[k] = P[k - 1] * j / N
        P[k, 1:] += P[k - 1, :-1] * (N - j[1:] + 1) / N
    return P


def wright_fisher_tmrca_moments(N: int, n: int | None = None) -> tuple[float, float]:
    """Exact mean and sd of T_MRCA (generations) of ``n`` lineages (default all
    N) in a neutral haploid Wright–Fisher population of N, from the
    lineage-count chain with the :func:`occupancy` law: with ``h(k) = E[T | k]``
    and ``s(k) = E[T² | k]``, ``h(1) = s(1) = 0`` and, one generation back,
    ``(1 − P_kk) h(k) = 1 + Σ_{j<k} P_kj h(j)``,
    ``(1 − P_kk) s(k) = Σ_{j≤k} P_kj (1 + 2h(j)) + Σ_{j<k} P_kj s(j)``.
    O(N²); :func:`coalescent_tmrca` is its large-N limit."""
    n = N if n is None else n
    P = occupancy(N)
    h, s = np.zeros(N + 1), np.zeros(N + 1)
    for k in range(2, n + 1):
        stay = 1.0 - P[k, k]
        h[k] = (1.0 + P[k, 1:k] @ h[1:k]) / stay
        s[k] = (P[k, 1:k + 1] @ (1.0 + 2.0 * h[1:k + 1]) + P[k, 1:k] @ s[1:k]) / stay
    return float(h[n]), float(np.sqrt(s[n] - h[n] ** 2))


# -- linear-Gaussian state-space models ------------------------------------------------
@dataclass
class KalmanResult:
    """Filtered means (T, d) and covariances (T, d, d), one-step predictions
    (the same shapes; at t = 0 the prior), and log p(y_t | y_{0:t−1}) (T,)."""

    means: np.ndarray
    covs: np.ndarray
    pred_means: np.ndarray
    pred_covs: np.ndarray
    loglik_increments: np.ndarray

    @property
    def loglik(self) -> float:
        """log p(y_{0:T−1})."""
        return float(self.loglik_increments.sum())


def kalman_filter(y, A, Q, H, R, m0, P0) -> KalmanResult:
    """The Kalman (1960) filter of observations ``y`` (T, p) (or (T,) for
    p = 1) of the linear-Gaussian model ::

        x_0 ~ N(m0, P0),  x_t = A x_{t−1} + N(0, Q),  y_t = H x_t + N(0, R),  t = 0..T−1

    (``y_0`` observes ``x_0``, as in pykalman). Each step predicts
    ``m ← A m, P ← A P Aᵀ + Q`` (not at t = 0), adds
    ``log N(y_t; H m, S)``, ``S = H P Hᵀ + R``, to the log-likelihood and
    updates with the gain ``K = P Hᵀ S⁻¹`` (Chopin & Papaspiliopoulos 2020,
    ch. 7)."""
    A, Q, H, R = (np.atleast_2d(np.asarray(M, dtype=float)) for M in (A, Q, H, R))
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    T, d, p = y.shape[0], A.shape[0], H.shape[0]
    means, covs = np.empty((T, d)), np.empty((T, d, d))
    pmeans, pcovs = np.empty((T, d)), np.empty((T, d, d))
    ll = np.empty(T)
    m, P = np.asarray(m0, dtype=float).reshape(d), np.atleast_2d(np.asarray(P0, dtype=float))
    for t in range(T):
        if t > 0:
            m, P = A @ m, A @ P @ A.T + Q
        pmeans[t], pcovs[t] = m, P
        S = H @ P @ H.T + R
        r = y[t] - H @ m
        L = np.linalg.cholesky(S)
        z = np.linalg.solve(L, r)
        with np.errstate(over="ignore"):  # an impossible y: log-likelihood −inf
            ll[t] = -0.5 * z @ z - np.log(np.diag(L)).sum() - 0.5 * p * math.log(2 * math.pi)
        K = np.linalg.solve(S, H @ P).T  # P Hᵀ S⁻¹ (S, P symmetric)
        m = m + K @ r
        P = P - K @ S @ K.T
        P = 0.5 * (P + P.T)
        means[t], covs[t] = m, P
    return KalmanResult(means, covs, pmeans, pcovs, ll)


def kalman_loglik(y, A, Q, H, R, m0, P0) -> float:
    """Exact log-likelihood ``log p(y_{0:T−1})`` of the linear-Gaussian model
    of :func:`kalman_filter` (its prediction-error decomposition: the sum of
    ``log N(y_t; H m_{t|t−1}, S_t)``; Harvey 1989, §3.4) — the value an
    unbiased particle-filter likelihood estimate averages to."""
    return kalman_filter(y, A, Q, H, R, m0, P0).loglik


def rts_smoother(kf: KalmanResult, A) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed means (T, d) and covariances (T, d, d) of ``x_t`` given
    ``y_{0:T−1}`` from a :func:`kalman_filter` result (Rauch, Tung & Striebel
    1965): backwards, ``G = P_t Aᵀ P_{t+1|t}⁻¹``,
    ``m_t^s = m_t + G (m_{t+1}^s − m_{t+1|t})``,
    ``P_t^s = P_t + G (P_{t+1}^s − P_{t+1|t}) Gᵀ``."""
    A = np.atleast_2d(np.asarray(A, dtype=float))
    T = kf.means.shape[0]
    ms, Ps = kf.means.copy(), kf.covs.copy()
    for t in range(T - 2, -1, -1):
        G = np.linalg.solve(kf.pred_covs[t + 1], A @ kf.covs[t]).T  # P_t Aᵀ P_{t+1|t}⁻¹
        ms[t] = kf.means[t] + G @ (ms[t + 1] - kf.pred_means[t + 1])
        Ps[t] = kf.covs[t] + G @ (Ps[t + 1] - kf.pred_covs[t + 1]) @ G.T
    return ms, Ps
