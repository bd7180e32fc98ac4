"""collapsesim.theory: the exact Wright–Fisher chain, Kimura's approximations, closed forms
and the shared demography."""

import numpy as np
import pytest

from collapsesim import theory


def test_reference_values_haploid_N1000_s005():
    p = theory.fixation_probability(1000, 0.05)
    t = theory.conditional_fixation_time(1000, 0.05)
    k = theory.kimura_fixation_probability(1000, 0.05)
    assert p == pytest.approx(0.09369, abs=5e-6)
    assert t == pytest.approx(208.4, abs=0.05)
    assert k == pytest.approx(0.09516, abs=5e-6)
    assert 0.015 < k / p - 1 < 0.016  # Kimura is 1.5 % high
    # the diffusion conditional time is close but not equal
    assert theory.kimura_conditional_fixation_time(1000, 0.05) == pytest.approx(t, rel=0.02)


def test_transition_matrix_is_stochastic_and_absorbing():
    P = theory.transition_matrix(30, 0.1)
    assert P.shape == (31, 31)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    assert P[0, 0] == 1.0 and P[30, 30] == 1.0


def test_neutral_fixation_equals_frequency():
    u = theory.fixation_probabilities(50)
    np.testing.assert_allclose(u, np.arange(51) / 50, atol=1e-12)


def test_conditional_time_by_hand_M2():
    # M = 2, neutral, from 1 copy: 1→{0,1,2} with 1/4, 1/2, 1/4; u1 = 1/2;
    # conditioned on fixation 1→2 and 1→1 each 1/2, so the mean time is 2.
    tau = theory.conditional_fixation_times(2)
    assert tau[1] == pytest.approx(2.0)
    assert tau[2] == 0.0 and np.isnan(tau[0])


def test_general_frequency_map_equals_haploid_selection():
    s = 0.03
    f = lambda p: p * (1 + s) / (1 + p * s)  # noqa: E731
    np.testing.assert_allclose(theory.transition_matrix(40, p_map=f),
                               theory.transition_matrix(40, s))
    assert theory.conditional_fixation_time(40, p_map=f, start=3) == pytest.approx(
        theory.conditional_fixation_time(40, s, start=3))
    with pytest.raises(ValueError, match="not both"):
        theory.transition_matrix(40, s, p_map=f)


def test_kimura_limits():
    # neutral conditional time: −2N(1−p)ln(1−p)/p (Kimura & Ohta 1969)
    N, p = 100, 0.01
    assert theory.kimura_conditional_fixation_time(N, 0.0) == pytest.approx(
        -2 * N * (1 - p) * np.log(1 - p) / p, rel=1e-6)
    assert theory.kimura_fixation_probability(100, 0.0) == 0.01
    assert theory.kimura_fixation_probability(100, 0.2, p0=0.5) == pytest.approx(
        -np.expm1(-20) / -np.expm1(-40))
    # conditional fixation times are symmetric in s for the diffusion
    assert theory.kimura_conditional_fixation_time(500, 0.01) == pytest.approx(
        theory.kimura_conditional_fixation_time(500, -0.01), rel=1e-6)


def test_closed_forms():
    assert theory.moran_fixation_probability(50, 0.0) == 0.02
    r = 1.1
    assert theory.moran_fixation_probability(50, 0.1) == pytest.approx((1 - 1 / r) / (1 - r**-50))
    assert theory.moran_fixation_probability(50, 1e-9) == pytest.approx(0.02, rel=1e-6)
    assert theory.heterozygosity_decay(0.5, 10, 3) == pytest.approx(0.5 * 0.9**3)
    assert theory.heterozygosity_decay(0.5, 10, 3, "moran") == pytest.approx(0.5 * 0.98**30)
    assert theory.wright_fisher_infinite_alleles_heterozygosity(10**7, 0.5e-7) == pytest.approx(
        0.5, rel=1e-5)
    assert theory.equilibrium_d1(0.0) == pytest.approx(1.0)
    assert theory.equilibrium_d1(1.0) == pytest.approx(np.e)  # ψ(2) + γ = 1


# -- diploid selection with dominance, one chain for both ploidies ----------------------------
def test_diploid_map_by_hand():
    # p = 1/2, s = 0.2, h = 0.25: p²w2 + pq w1 = 0.3 + 0.2625 = 0.5625;
    # mean fitness 0.5625 + 0.2625 + 0.25 = 1.075
    f = theory.diploid_selection(0.2, 0.25)
    assert f(np.array(0.5)) == pytest.approx(0.5625 / 1.075)
    assert f(np.array(0.0)) == 0.0 and f(np.array(1.0)) == 1.0
    with pytest.raises(ValueError, match="positive"):
        theory.diploid_selection(0.5, -3.0)
    with pytest.raises(ValueError, match="ploidy"):
        theory.selection_map(0.1, ploidy=3)


def test_additive_diploid_is_close_to_haploid_with_half_the_advantage():
    # genic selection: an additive diploid with s behaves like a haploid with
    # s/2 to first order in s; the exact chains differ by O(s²)
    u2, t2 = theory.exact_fixation(200, 0.02, h=0.5, ploidy=2)
    u1, t1 = theory.exact_fixation(200, 0.01, ploidy=1)
    assert u2 == pytest.approx(u1, rel=0.01) and t2 == pytest.approx(t1, rel=0.01)


def test_exact_fixation_is_the_chain_with_the_selection_map():
    f = theory.diploid_selection(0.1, 0.2)
    u, t = theory.exact_fixation(60, 0.1, h=0.2, ploidy=2, start=3)
    assert u == theory.fixation_probability(60, p_map=f, start=3)
    assert t == theory.conditional_fixation_time(60, p_map=f, start=3)
    neutral = theory.exact_fixation(60, 0.0, ploidy=2)
    assert neutral == pytest.approx((1 / 60, theory.conditional_fixation_time(60)))


@pytest.mark.parametrize("h", [0.0, 0.5, 1.0])
def test_diploid_diffusion_is_close_to_the_exact_chain(h):
    # 2N = 400 copies, s = 0.05 (2Ns = 10): the diffusion's error is O(1/N)
    exact = theory.exact_fixation(400, 0.05, h=h, ploidy=2)[0]
    assert theory.diploid_kimura_fixation_probability(200, 0.05, h) == pytest.approx(exact,
                                                                                   rel=0.05)


def test_diploid_diffusion_closed_forms():
    # additive (h = 1/2): G(x) = exp(−2Nsx), so u(p) = (1 − e^{−2Nsp}) / (1 − e^{−2Ns})
    N, s, p = 100, 0.03, 0.1
    assert theory.diploid_kimura_fixation_probability(N, s, 0.5, p) == pytest.approx(
        np.expm1(-2 * N * s * p) / np.expm1(-2 * N * s), rel=1e-9)
    assert theory.diploid_kimura_fixation_probability(N, 0.0, 0.5) == 1 / (2 * N)


# -- demography ---------------------------------------------------------------------------
def test_size_at_piecewise_epochs():
    epochs = [theory.Epoch(generation=0, N=100), theory.Epoch(generation=10, N=20)]
    assert [theory.size_at(epochs, g) for g in (0, 9, 10, 500)] == [100, 100, 20, 20]
    assert theory.size_at(50, 7) == 50
    with pytest.raises(Exception, match="extra"):
        theory.Epoch(generation=0, N=10, size=3)
    with pytest.raises(Exception, match="greater than or equal to 2"):
        theory.Epoch(generation=0, N=1)


def test_exposed_as_cs_theory():
    import collapsesim as cs
    assert cs.theory is theory


# -- the hitchhiking footprint -------------------------------------------------------------
@pytest.mark.parametrize("N,s", [(1000, 0.05), (10_000, 0.01), (500, 0.2)])
def test_sweep_footprint_is_escape_from_a_logistic_sweep(N, s):
    # independent computation: the allele grows logistically from 1/(2Ns),
    # p(t) = ε e^{st} / (1 − ε + ε e^{st}); a lineage recombines off its
    # background at rate r(1 − p(t)), so two lineages both stay with
    # exp(−2r ∫₀^∞ (1 − p) dt) — the integral by quadrature, not in closed form
    from scipy import integrate
    eps = 1.0 / (2 * N * s)

    def one_minus_p(t):
        return (1 - eps) / (1 - eps + eps * np.exp(s * t))

    T = 40 * np.log(2 * N * s) / s  # (1 − p) < e^{−39} beyond
    area, _ = integrate.quad(one_minus_p, 0, T, limit=500)
    r = np.array([0.0, 1e-4, 1e-3, 0.01]) * s
    np.testing.assert_allclose(theory.sweep_footprint_F(r, N, s), np.exp(-2 * r * area),
                               rtol=1e-8)
    np.testing.assert_allclose(theory.sweep_footprint_pi(r, N, s),
                               1 - np.exp(-2 * r * area), rtol=1e-8, atol=1e-15)


def test_sweep_footprint_shape_and_convention():
    r = np.linspace(0, 0.01, 11)
    F = theory.sweep_footprint_F(r, 1000, 0.05)
    assert F[0] == 1.0 and np.all(np.diff(F) < 0)
    # half-width: F = 1/2 at r = s ln 2 / (2 ln 2Ns)
    r_half = 0.05 * np.log(2) / (2 * np.log(100))
    assert theory.sweep_footprint_F(r_half, 1000, 0.05) == pytest.approx(0.5)
    assert theory.sweep_footprint_pi(0.0, 1000, 0.05) == 0.0
    # the sweep domain's footprint of M gene copies is this one with N = M/2, bitwise
    from collapsesim.domains.sweep import theory as sweep_theory
    assert np.array_equal(sweep_theory.footprint(r, 2001, 0.05),
                          (2001 * 0.05) ** (-2.0 * r / 0.05))
    assert np.array_equal(sweep_theory.footprint(r, 2000, 0.05), F)


# -- the absorption-time distribution ----------------------------------------------------------
def _simulate_absorption(M, s, start, t_max, R, seed):
    """R independent Wright–Fisher chains (haploid selection s): the generation
    each is absorbed and whether it fixed (−1 if not absorbed by t_max)."""
    rng = np.random.default_rng(seed)
    x = np.full(R, start)
    when = np.full(R, -1)
    for t in range(1, t_max + 1):
        p = x / M
        x = rng.binomial(M, p * (1 + s) / (1 + p * s))
        new = (when < 0) & ((x == 0) | (x == M))
        when[new] = t
    return when, x == M


@pytest.mark.parametrize("M,s,start", [(20, 0.0, 3), (30, 0.1, 1)])
def test_absorption_distribution_against_simulation(M, s, start):
    t_max, R = 80, 20_000
    lost, fixed = theory.absorption_distribution(M, t_max, s, start)
    when, is_fixed = _simulate_absorption(M, s, start, t_max, R, seed=11)
    for t in (1, 5, 20, 80):
        for law, hit in ((lost, ~is_fixed), (fixed, is_fixed)):
            p_hat = np.mean((when >= 0) & (when <= t) & hit)
            se = np.sqrt(law[t] * (1 - law[t]) / R) + 1 / R
            assert abs(p_hat - law[t]) < 3 * se, (t, p_hat, law[t])


def test_absorption_distribution_limits_and_mean():
    M, s, start = 25, 0.05, 2
    lost, fixed = theory.absorption_distribution(M, 4000, s, start)
    assert lost[0] == fixed[0] == 0.0
    assert np.all(np.diff(lost) >= -1e-15) and np.all(np.diff(fixed) >= -1e-15)
    u = theory.fixation_probability(M, s, start)
    assert fixed[-1] == pytest.approx(u, rel=1e-10) and lost[-1] == pytest.approx(1 - u, rel=1e-10)
    # mean unconditional absorption time, independently: (I − Q) τ = 1
    P = theory.transition_matrix(M, s)
    tau = np.linalg.solve(np.eye(M - 1) - P[1:M, 1:M], np.ones(M - 1))
    assert np.sum(1 - lost - fixed) == pytest.approx(tau[start - 1], rel=1e-10)
    with pytest.raises(ValueError, match="start"):
        theory.absorption_distribution(M, 5, s, M + 1)


# -- neutral genealogy ---------------------------------------------------------------------------
@pytest.mark.parametrize("N,k", [(3, 3), (4, 2), (5, 5), (6, 4)])
def test_distinct_parents_and_occupancy_by_enumeration(N, k):
    import itertools
    counts = np.bincount([len(set(c)) for c in itertools.product(range(N), repeat=k)],
                         minlength=N + 1) / N**k
    np.testing.assert_allclose(theory.occupancy(N)[k], counts, atol=1e-14)
    assert theory.expected_distinct_parents(N, k) == pytest.approx(counts @ np.arange(N + 1))
    assert theory.expected_distinct_parents(N) == theory.expected_distinct_parents(N, N)


def test_coalescent_tmrca_against_kingman_simulation():
    # Kingman: while k lineages remain, wait Exp(mean N / C(k, 2)) generations
    n, N, R = 10, 50, 40_000
    rng = np.random.default_rng(5)
    k = np.arange(2, n + 1)
    T = (rng.exponential(1.0, size=(R, k.size)) * (2.0 * N / (k * (k - 1)))).sum(axis=1)
    se = T.std(ddof=1) / np.sqrt(R)
    assert abs(T.mean() - theory.coalescent_tmrca(n, N)) < 3 * se
    kurt = np.mean((T - T.mean()) ** 4) / T.var() ** 2
    assert abs(T.std(ddof=1) - theory.coalescent_tmrca_sd(n, N)) < 3 * T.std() * np.sqrt(
        (kurt - 1) / (4 * R))
    assert theory.coalescent_tmrca(n) == 2 * n * (1 - 1 / n)


@pytest.mark.parametrize("N,n", [(12, 12), (30, 5)])
def test_wright_fisher_tmrca_against_discrete_simulation(N, n):
    # n lineages, each picking a parent uniformly among N per generation back
    rng, R = np.random.default_rng(9), 4000
    T = np.empty(R)
    for i in range(R):
        lineages, t = n, 0
        while lineages > 1:
            lineages = np.unique(rng.integers(0, N, lineages)).size
            t += 1
        T[i] = t
    mean, sd = theory.wright_fisher_tmrca_moments(N, n)
    assert abs(T.mean() - mean) < 3 * T.std(ddof=1) / np.sqrt(R)
    kurt = np.mean((T - T.mean()) ** 4) / T.var() ** 2
    assert abs(T.std(ddof=1) - sd) < 3 * T.std() * np.sqrt((kurt - 1) / (4 * R))


def test_wright_fisher_tmrca_approaches_kingman():
    mean, sd = theory.wright_fisher_tmrca_moments(400)
    assert mean == pytest.approx(theory.coalescent_tmrca(400), rel=0.01)
    assert sd == pytest.approx(theory.coalescent_tmrca_sd(400), rel=0.01)
    assert theory.coalescent_tmrca_sd(2000) / 2000 == pytest.approx(
        np.sqrt(4 * np.pi**2 / 3 - 12), rel=1e-3)


# -- the Kalman log-likelihood -------------------------------------------------------------------
def _joint_gaussian_loglik(y, A, Q, H, R, m0, P0):
    """log p(y_{0:T−1}) by brute force: stack x_{0:T−1} as one Gaussian vector
    (x_t = A^t x_0 + Σ_{u≤t} A^{t−u} w_u), map it by blockdiag(H) and add R."""
    from scipy import stats
    T, d = len(y), A.shape[0]
    mean_x = np.concatenate([np.linalg.matrix_power(A, t) @ m0 for t in range(T)])
    C = np.zeros((T * d, T * d))
    for t in range(T):
        for u in range(T):
            # Cov(x_t, x_u) = A^t P0 A^uᵀ + Σ_{v=1}^{min(t,u)} A^{t−v} Q A^{u−v}ᵀ
            c = np.linalg.matrix_power(A, t) @ P0 @ np.linalg.matrix_power(A, u).T
            for v in range(1, min(t, u) + 1):
                c = c + np.linalg.matrix_power(A, t - v) @ Q @ np.linalg.matrix_power(A, u - v).T
            C[t * d:(t + 1) * d, u * d:(u + 1) * d] = c
    Hb = np.kron(np.eye(T), H)
    cov_y = Hb @ C @ Hb.T + np.kron(np.eye(T), R)
    return stats.multivariate_normal(Hb @ mean_x, cov_y).logpdf(np.ravel(y))


def test_kalman_loglik_is_the_joint_gaussian_density():
    rng = np.random.default_rng(2)
    A = np.array([[0.9, 0.2], [-0.1, 0.7]])
    Q = np.array([[0.3, 0.05], [0.05, 0.2]])
    H = np.array([[1.0, 0.0], [0.5, 1.0], [0.0, 2.0]])
    R = np.diag([0.5, 0.4, 0.3])
    m0, P0 = np.array([1.0, -0.5]), np.array([[1.0, 0.2], [0.2, 0.5]])
    y = rng.normal(size=(8, 3))
    ll = theory.kalman_loglik(y, A, Q, H, R, m0, P0)
    assert ll == pytest.approx(_joint_gaussian_loglik(y, A, Q, H, R, m0, P0), rel=1e-10)
    kf = theory.kalman_filter(y, A, Q, H, R, m0, P0)
    assert kf.loglik == ll and kf.loglik_increments.shape == (8,)
    # the domain's Kalman filter is this one
    from collapsesim.domains.particle_filter import kalman
    assert kalman.kalman_filter is theory.kalman_filter and kalman.rts_smoother is theory.rts_smoother


def test_rts_smoother_last_step_is_the_filter_and_one_step_is_bayes():
    # T = 2, scalar: the smoothed x_0 is the Gaussian conditional of x_0 on (y_0, y_1)
    A, Q, H, R, m0, P0 = 0.8, 0.5, 1.0, 0.3, 0.2, 1.5
    y = np.array([1.0, -0.4])
    kf = theory.kalman_filter(y, A, Q, H, R, m0, P0)
    ms, Ps = theory.rts_smoother(kf, A)
    assert ms[1, 0] == kf.means[1, 0] and Ps[1, 0, 0] == kf.covs[1, 0, 0]
    cov_xy = np.array([P0, A * P0])  # Cov(x_0, (y_0, y_1))
    cov_yy = np.array([[P0 + R, A * P0], [A * P0, A * A * P0 + Q + R]])
    w = np.linalg.solve(cov_yy, cov_xy)
    assert ms[0, 0] == pytest.approx(m0 + w @ (y - np.array([m0, A * m0])), rel=1e-12)
    assert Ps[0, 0, 0] == pytest.approx(P0 - cov_xy @ w, rel=1e-12)


def test_every_public_name_is_on_the_user_page():
    from pathlib import Path
    page = (Path(__file__).parents[1] / "docs" / "theory.md").read_text()
    assert [n for n in theory.__all__ if f"`{n}" not in page] == []
    assert all(getattr(theory, n).__doc__ for n in theory.__all__ if n != "FrequencyMap")
