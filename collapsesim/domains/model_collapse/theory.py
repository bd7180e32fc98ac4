"""Exact expectations of the ``model_collapse`` domain.

Convention: generation t (step t of a run) is the model fitted to the data of
generation t; generation 0 trains on n real samples, so the model of
generation t has been fitted t + 1 times. σ² is the real variance (per
coordinate). Each function takes ``t`` as an int or an array of ints and
returns floats of the same shape.

**Categorical** (temperature 1, no truncation, ``replace``). The counts of
generation 0 are Multinomial(n, p) and those of generation t + 1 are
Multinomial(n, p̂_t): a token's count is the Wright–Fisher chain with N = n
started from Binomial(n, p_v) (not from round(n p_v)), so

* E[1 − Σ p̂_t²] = (1 − Σ p²)(1 − 1/n)^{t+1} (Ewens 2004, §1.4; the issue's
  H_0(1 − 1/n)^t with H_0 = E[H] of generation 0);
* P(token v lost by generation t) = (b_v Pᵗ)[0], b_v the Binomial(n, p_v)
  probabilities and P = :func:`collapsesim.theory.transition_matrix` (n);
  the expected tokens kept Σ_v (1 − that), the expected real mass covered
  Σ_v p_v (1 − that).

**Gaussian, 1-D, replace** (Shumailov et al. 2024; Bertrand et al. 2024).
With S_t the sum of squared deviations of generation t, S_t/σ²_{t−1} ~ χ²_{n−1}
independent of the past, σ²_t = S_t/c (c = n − 1 unbiased, n MLE), so
σ²_t = σ² Π_{i=0}^{t} χ²_i/c:

* E[σ²_t] = σ²((n − 1)/c)^{t+1} — a martingale for the unbiased estimator;
* E[ln σ²_t/σ²] = (t + 1)(ψ((n − 1)/2) − ln(c/2)), Var = (t + 1) ψ′((n − 1)/2),
  so σ_t → 0 almost surely although E[σ²_t] = σ² (unbiased);
* E[(μ_t − μ)²] = (σ²/n) Σ_{i=0}^{t} ((n − 1)/c)^i ((t + 1)σ²/n, unbiased);
* E[W2²] = E[(μ_t − μ)²] + E[σ²_t] − 2σE[σ_t] + σ², E[σ_t] = σ m^{t+1} with
  m = E√(χ²_{n−1}/c) = √(2/c) Γ(n/2)/Γ((n − 1)/2).

**Fresh fraction λ** (m = round(λn) real samples and n − m from model t − 1).
For independent x_i with means a_i and variances v_i,
E Σ(x_i − x̄)² = (1 − 1/n) Σ v_i + Σ(a_i − ā)². With A_t = E[σ²_t] and
B_t = E[(μ_t − μ)²], conditioning on generation t:

    A_{t+1} = [(n − 1)/n · (mσ² + (n − m)A_t) + m(n − m)/n · B_t] / c
    B_{t+1} = ((n − m)/n)² B_t + (mσ² + (n − m)A_t)/n²,

from A_0 = σ²(n − 1)/c, B_0 = σ²/n (all terms are linear in σ²_t and
(μ_t − μ)², so the expectations close). The stationary variance is the fixed
point of this 2×2 affine map (it exists for m ≥ 1: the map's spectral radius
is below 1).

**Weighted** (``estimator: mean_only`` — the known-variance mean estimation of
He, Xu & Cheng 2025). μ_{t+1} = w·x̄_real + (1 − w)·x̄_syn with real_n fresh
real samples and n synthetic ones from N(μ_t, σ²):
B_{t+1} = (1 − w)² B_t + σ²(w²/real_n + (1 − w)²/n), stationary
B* = σ²(w²/real_n + (1 − w)²/n)/(1 − (1 − w)²). With k = n/real_n,
dB*/dw = 0 ⟺ k w² + w − 1 = 0, so w* = (√(1 + 4k) − 1)/(2k): the reciprocal
golden ratio (√5 − 1)/2 for k = 1 (equal numbers of real and synthetic
samples), He, Xu & Cheng's case.

**KDE** (a sample = a data point + h·z; model variance v_t = s²_t + h² with
s²_t the data's MLE variance, per coordinate). E[n s²_{t+1} | v_t] = (n − 1)v_t:

* fixed h: E[v_{t+1}] = ((n − 1)/n) E[v_t] + h², E[v_0] = σ²(n − 1)/n + h²,
  fixed point n h² — the variance grows when σ² < n h²;
* Silverman (h² = q ŝ² with ŝ² = n s²/(n − 1), q = (4/((d + 2)n))^{2/(d+4)}):
  E[v_{t+1}] = ((n − 1)/n + q) E[v_t], E[v_0] = σ²((n − 1)/n + q): geometric
  growth at rate (n − 1)/n + q > 1.

**Regression** (OLS on a design X of n rows, x ~ N(0, I_d), fixed per
replicate; labels x·ŵ_{t−1} + σε; e_t = ŵ_t − w*, η_t = (XᵀX)⁻¹Xᵀε_t with
E‖η_t‖² = σ² E tr(XᵀX)⁻¹ = σ² d/(n − d − 1), the inverse-Wishart mean):

* replace: e_t = e_{t−1} + η_t, E‖e_t‖² = (t + 1)σ² d/(n − d − 1), linear in
  t (Dohmatob et al. 2024);
* accumulate: OLS on t + 1 stacked copies of X is OLS on the mean label, so
  (t + 1)e_t = Σ_{i<t} e_i + Σ_{i≤t} η_i, i.e. e_t = e_{t−1} + η_t/(t + 1),
  E‖e_t‖² = σ² d/(n − d − 1) · Σ_{i=1}^{t+1} 1/i² ≤ π²/6 × generation 0's
  (Gerstgrasser et al. 2024).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

from ...theory import transition_matrix


def _c(n: int, estimator: str) -> float:
    if estimator == "unbiased":
        return n - 1.0
    if estimator == "mle":
        return float(n)
    raise ValueError(f"estimator must be 'unbiased' or 'mle', got {estimator!r}")


def _t(t) -> np.ndarray:
    return np.asarray(t, dtype=float)


# -- categorical -----------------------------------------------------------------------


def categorical_heterozygosity(p, n: int, t):
    """E[1 − Σ p̂_t²] of generation t's fitted frequencies: (1 − Σp²)(1 − 1/n)^{t+1}."""
    p = np.asarray(p, float)
    return (1.0 - (p ** 2).sum()) * (1.0 - 1.0 / n) ** (_t(t) + 1.0)


def token_loss_probability(p, n: int, t):
    """P(count of a token of real probability p is 0 in generation t), for
    every p (array) and t (array): the Wright–Fisher chain with N = n from
    Binomial(n, p). Shape (len(p), len(t)) for arrays, squeezed for scalars."""
    p1, t1 = np.atleast_1d(np.asarray(p, float)), np.atleast_1d(np.asarray(t, int))
    P = transition_matrix(n)
    dist = stats.binom.pmf(np.arange(n + 1)[None, :], n, p1[:, None])   # generation 0
    out = np.empty((len(p1), len(t1)))
    for g in range(int(t1.max()) + 1):
        for j in np.flatnonzero(t1 == g):
            out[:, j] = dist[:, 0]
        dist = dist @ P
    return out.reshape(np.shape(p) + np.shape(t))


def expected_tokens_kept(p, n: int, t):
    """Expected number of tokens (of real probabilities ``p``) present in generation t."""
    loss = token_loss_probability(np.asarray(p, float), n, np.atleast_1d(t))
    return (1.0 - loss).sum(0).reshape(np.shape(t))


def expected_mass_covered(p, n: int, t):
    """Expected real mass of the tokens present in generation t: Σ_v p_v (1 − P(lost))."""
    p = np.asarray(p, float)
    loss = token_loss_probability(p, n, np.atleast_1d(t))
    return (p[:, None] * (1.0 - loss)).sum(0).reshape(np.shape(t))


# -- Gaussian --------------------------------------------------------------------------


def gaussian_variance(n: int, t, estimator: str = "unbiased", sigma2: float = 1.0):
    """E[σ²_t] = σ²((n − 1)/c)^{t+1}."""
    return sigma2 * ((n - 1.0) / _c(n, estimator)) ** (_t(t) + 1.0)


def gaussian_log_variance(n: int, t, estimator: str = "unbiased"):
    """(E, Var) of ln(σ²_t/σ²): (t + 1)(ψ((n − 1)/2) − ln(c/2)) and (t + 1)ψ′((n − 1)/2)."""
    k = (n - 1.0) / 2.0
    f = _t(t) + 1.0
    return (f * (special.digamma(k) - math.log(_c(n, estimator) / 2.0)),
            f * special.polygamma(1, k))


def gaussian_mean_error(n: int, t, estimator: str = "unbiased", sigma2: float = 1.0):
    """E[(μ_t − μ)²] = (σ²/n) Σ_{i=0}^{t} ((n − 1)/c)^i."""
    r = (n - 1.0) / _c(n, estimator)
    f = _t(t) + 1.0
    s = f if r == 1.0 else (1.0 - r ** f) / (1.0 - r)
    return sigma2 / n * s


def gaussian_sd_factor(n: int, estimator: str = "unbiased") -> float:
    """E√(χ²_{n−1}/c) = √(2/c) Γ(n/2)/Γ((n − 1)/2)."""
    return math.sqrt(2.0 / _c(n, estimator)) * math.exp(special.gammaln(n / 2.0)
                                                         - special.gammaln((n - 1) / 2.0))


def gaussian_w2_squared(n: int, t, estimator: str = "unbiased", sigma2: float = 1.0):
    """E[W2²] between N(μ_t, σ²_t) and the real N(μ, σ²):
    E[(μ_t − μ)²] + E[σ²_t] − 2σ E[σ_t] + σ², E[σ_t] = σ m^{t+1}."""
    sd = math.sqrt(sigma2) * gaussian_sd_factor(n, estimator) ** (_t(t) + 1.0)
    return (gaussian_mean_error(n, t, estimator, sigma2) + gaussian_variance(n, t, estimator, sigma2)
            - 2.0 * math.sqrt(sigma2) * sd + sigma2)


def _fresh_map(n: int, lam: float, estimator: str, sigma2: float):
    m = round(lam * n)
    c = _c(n, estimator)
    # (A, B) -> M @ (A, B) + v
    M = np.array([[(n - 1.0) / n * (n - m) / c, m * (n - m) / n / c],
                  [(n - m) / n ** 2, ((n - m) / n) ** 2]])
    v = np.array([(n - 1.0) / n * m * sigma2 / c, m * sigma2 / n ** 2])
    return M, v, np.array([sigma2 * (n - 1.0) / c, sigma2 / n])


def fresh_fraction_moments(n: int, lam: float, t, estimator: str = "unbiased",
                           sigma2: float = 1.0):
    """(E[σ²_t], E[(μ_t − μ)²]) with a fresh real fraction λ (module docstring)."""
    M, v, x = _fresh_map(n, lam, estimator, sigma2)
    t1 = np.atleast_1d(np.asarray(t, int))
    out = np.empty((2, len(t1)))
    for g in range(int(t1.max()) + 1):
        out[:, t1 == g] = x[:, None]
        x = M @ x + v
    return out[0].reshape(np.shape(t)), out[1].reshape(np.shape(t))


def fresh_fraction_stationary(n: int, lam: float, estimator: str = "unbiased",
                              sigma2: float = 1.0) -> tuple[float, float]:
    """The stationary (E[σ²], E[(μ − μ_real)²]) with a fresh real fraction λ
    (round(λn) ≥ 1): the fixed point (I − M)⁻¹ v of the recurrence."""
    if round(lam * n) < 1:
        raise ValueError("no stationary law without fresh data (round(lam * n) = 0)")
    M, v, _ = _fresh_map(n, lam, estimator, sigma2)
    a, b = np.linalg.solve(np.eye(2) - M, v)
    return float(a), float(b)


def optimal_real_weight(k: float) -> float:
    """w* = (√(1 + 4k) − 1)/(2k), k = synthetic/real samples: minimises the
    stationary error of the weighted mean; 1/φ = 0.618… for k = 1."""
    return (math.sqrt(1.0 + 4.0 * k) - 1.0) / (2.0 * k)


def weighted_mean_error(n: int, real_n: int, w: float, t, sigma2: float = 1.0):
    """E[(μ_t − μ)²] in the weighted regime (known variance): B_0 = σ²/n,
    B_{t+1} = (1 − w)² B_t + σ²(w²/real_n + (1 − w)²/n)."""
    a, q = (1.0 - w) ** 2, sigma2 * (w ** 2 / real_n + (1.0 - w) ** 2 / n)
    f = _t(t)
    if a == 1.0:
        return sigma2 / n + q * f
    star = q / (1.0 - a)
    return star + (sigma2 / n - star) * a ** f


def weighted_mean_stationary(n: int, real_n: int, w: float, sigma2: float = 1.0) -> float:
    """B* = σ²(w²/real_n + (1 − w)²/n)/(1 − (1 − w)²), w > 0."""
    return sigma2 * (w ** 2 / real_n + (1.0 - w) ** 2 / n) / (1.0 - (1.0 - w) ** 2)


# -- KDE -------------------------------------------------------------------------------


def kde_variance(n: int, t, h: float, sigma2: float = 1.0):
    """E[v_t] (per coordinate) of a fixed-bandwidth KDE: ((n − 1)/n)^{t}E[v_0] +
    h² Σ_{i<t} ((n − 1)/n)^i, E[v_0] = σ²(n − 1)/n + h²; limit n h²."""
    r = (n - 1.0) / n
    f = _t(t)
    v0 = sigma2 * r + h ** 2
    return n * h ** 2 + (v0 - n * h ** 2) * r ** f


def silverman_factor(n: int, d: int = 1) -> float:
    """q = (4/((d + 2)n))^{2/(d+4)}: Silverman's h² per unbiased variance."""
    return (4.0 / ((d + 2.0) * n)) ** (2.0 / (d + 4.0))


def kde_silverman_variance(n: int, t, sigma2: float = 1.0, d: int = 1):
    """E[v_t] (per coordinate) with Silverman's bandwidth: σ² g^{t+1},
    g = (n − 1)/n + q (geometric growth)."""
    g = (n - 1.0) / n + silverman_factor(n, d)
    return sigma2 * g ** (_t(t) + 1.0)


# -- regression ------------------------------------------------------------------------


def regression_test_error(n: int, d: int, noise: float, t, regime: str = "replace"):
    """E‖ŵ_t − w*‖² of OLS: (t + 1)σ²d/(n − d − 1) (replace) or
    σ²d/(n − d − 1) Σ_{i=1}^{t+1} 1/i² (accumulate)."""
    if n < d + 2:
        raise ValueError("n >= d + 2 for a finite expected error")
    base = noise ** 2 * d / (n - d - 1.0)
    f = np.asarray(t, int) + 1
    if regime == "replace":
        return base * f.astype(float)
    if regime == "accumulate":
        harm = np.cumsum(1.0 / np.arange(1, int(np.max(f)) + 1) ** 2)
        return base * harm[f - 1]
    raise ValueError(f"regime must be 'replace' or 'accumulate', got {regime!r}")
