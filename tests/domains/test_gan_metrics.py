"""The GAN benchmark data and its metrics, on samples of the true distribution
(where the ceilings are known) and on hand-made collapsed samples."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from collapsesim.domains.gan.evaluation import evaluate, mode_histogram, mode_metrics, precision_recall
from collapsesim.domains.gan.mixture import Mixture
from collapsesim.domains.gan.params import DataParams
from collapsesim.metrics import diversity

RING = Mixture.from_params(DataParams(kind="ring"))
GRID = Mixture.from_params(DataParams(kind="grid"))
HQ_TRUE = 1.0 - math.exp(-4.5)  # P(χ²₂ < 9): a true sample lies within 3σ of its mean


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def test_ring_means_are_eight_distinct_points_at_angles_2pi_k_over_8():
    assert RING.K == 8 and RING.sigma == 0.01
    angles = np.mod(np.arctan2(RING.means[:, 1], RING.means[:, 0]), 2 * np.pi)
    np.testing.assert_allclose(angles, 2 * np.pi * np.arange(8) / 8, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(RING.means, axis=1), 1.0)
    assert len(np.unique(RING.means.round(9), axis=0)) == 8
    np.testing.assert_allclose(RING.weights, 1 / 8)


def test_grid_means_are_the_25_points_of_minus4_to_4_step_2():
    assert GRID.K == 25 and GRID.sigma == 0.05
    expected = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(m) for m in GRID.means.round(12)} == expected


def test_configurable_mixture_and_unequal_weights():
    m = Mixture.from_params(DataParams(kind="ring", K=5, radius=2.0, sigma=0.1, weights=[4, 1, 1, 1, 1]))
    np.testing.assert_allclose(np.linalg.norm(m.means, axis=1), 2.0)
    np.testing.assert_allclose(m.weights, [0.5, 0.125, 0.125, 0.125, 0.125])
    g = Mixture.from_params(DataParams(kind="grid", K=9, spacing=1.0))
    assert {tuple(x) for x in g.means.round(12)} == {(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1)}
    counts, _ = mode_histogram(m.sample(20_000, _gen(3)), m)
    assert stats.chisquare(counts.numpy(), float(counts.sum()) * m.weights).pvalue > 1e-3


def test_sampling_is_reproducible_from_the_generator():
    assert torch.equal(RING.sample(100, _gen(1)), RING.sample(100, _gen(1)))
    assert not torch.equal(RING.sample(100, _gen(1)), RING.sample(100, _gen(2)))


@pytest.mark.parametrize("mixture", [RING, GRID], ids=["ring", "grid"])
def test_true_samples_reach_the_ceilings(mixture):
    n = 100_000
    x = mixture.sample(n, _gen(7))
    counts, hq = mode_histogram(x, mixture)
    m = mode_metrics(counts, n, mixture)
    assert m["modes_captured"] == mixture.K and m["modes_captured_thresholded"] == mixture.K
    # %HQ = 1 − e^(−4.5) = 98.89 %: within a 99.99 % binomial interval
    lo, hi = stats.binom.interval(0.9999, n, HQ_TRUE)
    assert lo / n <= m["hq_fraction"] <= hi / n
    assert m["hq_fraction"] == pytest.approx(HQ_TRUE, abs=0.002)


@pytest.mark.parametrize("mixture", [RING, GRID], ids=["ring", "grid"])
def test_reverse_kl_of_true_samples_is_chi_square_over_2n(mixture):
    """2·N_HQ·KL(q‖p) is the G-test statistic, asymptotically χ² with K − 1 degrees
    of freedom, so E[KL] ≈ (K − 1)/(2N). Over 200 draws of N = 2500 the mean of the
    statistic is K − 1 within 4 standard errors."""
    n, draws = 2500, 200
    g = _gen(11)
    stat = []
    for _ in range(draws):
        counts, _ = mode_histogram(mixture.sample(n, g), mixture)
        stat.append(2 * float(counts.sum()) * mode_metrics(counts, n, mixture)["reverse_kl"])
    df = mixture.K - 1
    assert abs(np.mean(stat) - df) < 4 * math.sqrt(2 * df / draws)
    mean_kl = np.mean(stat) / (2 * n * HQ_TRUE)
    assert mean_kl == pytest.approx(df / (2 * n), rel=0.15)


@pytest.mark.parametrize("counts", [[300, 300, 300, 300, 300, 300, 300, 300], [2400, 0, 0, 0, 0, 0, 0, 0],
                                    [10, 0, 500, 3, 0, 0, 900, 1], [1, 1, 1, 1, 1, 1, 1, 2000]])
def test_d1_is_k_exp_minus_reverse_kl_through_the_shared_metric(counts):
    m = mode_metrics(torch.tensor(counts), 2500, RING)
    d1 = diversity(np.asarray(counts), RING.weights)["D1"]
    assert d1 == pytest.approx(8 * math.exp(-m["reverse_kl"]), rel=1e-12)


def test_thresholded_count_needs_n_over_4k_samples():
    n = 2500  # threshold 2500 / 32 = 78.125
    counts = torch.tensor([79, 78, 1, 0, 500, 500, 500, 500])
    m = mode_metrics(counts, n, RING)
    assert m["modes_captured"] == 7 and m["modes_captured_thresholded"] == 5


def test_empty_histogram_is_a_valid_observation():
    far = torch.full((2500, 2), 10.0)
    counts, metrics = evaluate(far, RING.sample(200, _gen(0)), RING)
    assert counts.sum() == 0 and metrics["hq_fraction"] == 0 and metrics["modes_captured"] == 0
    assert math.isnan(metrics["reverse_kl"])
    d = diversity(counts.numpy(), RING.weights)
    assert d["D1"] == 0 and d["relative_diversity"] == 0 and d["coverage"] == 0


def test_hq_boundary_is_strictly_three_sigma():
    s = RING.sigma
    x = torch.tensor([[1 + 3 * s * 0.999, 0.0], [1 + 3 * s * 1.001, 0.0]], dtype=torch.float64)
    _, hq = mode_histogram(x, RING)
    assert hq.tolist() == [True, False]


@pytest.mark.parametrize("mixture", [RING, GRID], ids=["ring", "grid"])
def test_loglik_of_true_samples(mixture):
    """For well-separated modes E[ln p(x)] = −ln K − ln(2πσ²) − 1."""
    x = mixture.sample(50_000, _gen(5))
    expected = -math.log(mixture.K) - math.log(2 * math.pi * mixture.sigma**2) - 1
    assert float(mixture.log_prob(x).mean()) == pytest.approx(expected, abs=0.02)


def test_loglik_matches_scipy():
    x = torch.tensor([[0.99, 0.01], [0.0, 0.7], [-0.5, -0.5]], dtype=torch.float64)
    dens = sum(w * stats.multivariate_normal(mu, RING.sigma**2).pdf(x.numpy())
               for w, mu in zip(RING.weights, RING.means))
    np.testing.assert_allclose(RING.log_prob(x).numpy(), np.log(dens), rtol=1e-9)


def test_precision_recall_true_versus_true_and_collapsed():
    real = RING.sample(1000, _gen(1))
    same = precision_recall(RING.sample(1000, _gen(2)), real)
    assert same["precision"] > 0.9 and same["recall"] > 0.9
    noise = RING.sigma * torch.randn(1000, 2, generator=_gen(3))
    one = torch.as_tensor(RING.means[0], dtype=torch.float32) + noise
    collapsed = precision_recall(one, real)
    assert collapsed["precision"] > 0.9 and collapsed["recall"] < 0.2
    off = precision_recall(real + 0.5, real)
    assert off["precision"] < 0.05 and off["recall"] < 0.05
