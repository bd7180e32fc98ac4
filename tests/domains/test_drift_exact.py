"""The exact Wright–Fisher chain, Kimura's approximations and closed forms."""

import numpy as np
import pytest

from collapsesim.domains.drift import exact, theory


def test_reference_values_haploid_N1000_s005():
    p = exact.fixation_probability(1000, 0.05)
    t = exact.conditional_fixation_time(1000, 0.05)
    k = exact.kimura_fixation_probability(1000, 0.05)
    assert p == pytest.approx(0.09369, abs=5e-6)
    assert t == pytest.approx(208.4, abs=0.05)
    assert k == pytest.approx(0.09516, abs=5e-6)
    assert 0.015 < k / p - 1 < 0.016  # Kimura is 1.5 % high
    # the diffusion conditional time is close but not equal
    assert exact.kimura_conditional_fixation_time(1000, 0.05) == pytest.approx(t, rel=0.02)


def test_transition_matrix_is_stochastic_and_absorbing():
    P = exact.transition_matrix(30, 0.1)
    assert P.shape == (31, 31)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    assert P[0, 0] == 1.0 and P[30, 30] == 1.0


def test_neutral_fixation_equals_frequency():
    u = exact.fixation_probabilities(50)
    np.testing.assert_allclose(u, np.arange(51) / 50, atol=1e-12)


def test_conditional_time_by_hand_M2():
    # M = 2, neutral, from 1 copy: 1→{0,1,2} with 1/4, 1/2, 1/4; u1 = 1/2;
    # conditioned on fixation 1→2 and 1→1 each 1/2, so the mean time is 2.
    tau = exact.conditional_fixation_times(2)
    assert tau[1] == pytest.approx(2.0)
    assert tau[2] == 0.0 and np.isnan(tau[0])


def test_general_frequency_map_equals_haploid_selection():
    s = 0.03
    f = lambda p: p * (1 + s) / (1 + p * s)  # noqa: E731
    np.testing.assert_allclose(exact.transition_matrix(40, p_map=f),
                               exact.transition_matrix(40, s))
    assert exact.conditional_fixation_time(40, p_map=f, start=3) == pytest.approx(
        exact.conditional_fixation_time(40, s, start=3))
    with pytest.raises(ValueError, match="not both"):
        exact.transition_matrix(40, s, p_map=f)


def test_kimura_limits():
    # neutral conditional time: −2N(1−p)ln(1−p)/p (Kimura & Ohta 1969)
    N, p = 100, 0.01
    assert exact.kimura_conditional_fixation_time(N, 0.0) == pytest.approx(
        -2 * N * (1 - p) * np.log(1 - p) / p, rel=1e-6)
    assert exact.kimura_fixation_probability(100, 0.0) == 0.01
    assert exact.kimura_fixation_probability(100, 0.2, p0=0.5) == pytest.approx(
        -np.expm1(-20) / -np.expm1(-40))
    # conditional fixation times are symmetric in s for the diffusion
    assert exact.kimura_conditional_fixation_time(500, 0.01) == pytest.approx(
        exact.kimura_conditional_fixation_time(500, -0.01), rel=1e-6)


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
