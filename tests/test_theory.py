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
