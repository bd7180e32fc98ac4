"""The GAN detection metrics (pairwise distance, log-determinant of the covariance,
birthday-paradox support and batch) against their closed forms on samples of the
true ring and grid and of a deliberately collapsed generator (one mode).

Tolerances come from the statistics of each estimator: the pair metrics are
U-statistics, whose standard error is estimated from the sample with Hoeffding's
variance formula; the log-determinant is a smooth function of the sample
covariance, whose standard error is the delta method's and whose second-order
(Jensen) term is estimated from the sample too."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import special, stats

import collapsesim as cs
from collapsesim.config import bundled_scenarios
from collapsesim.domains.gan import GAN
from collapsesim.domains.gan.evaluation import (BIRTHDAY_EPS_SIGMAS, _distances, evaluate, logdet_cov,
                                                pair_metrics, precision_recall)
from collapsesim.domains.gan.mixture import Mixture
from collapsesim.domains.gan.params import DataParams
from collapsesim.metrics import hill_numbers

RING = Mixture.from_params(DataParams(kind="ring"))
GRID = Mixture.from_params(DataParams(kind="grid"))
UNEQUAL = Mixture.from_params(DataParams(kind="ring", K=5, weights=[4, 1, 1, 1, 1]))
N = 2500  # the evaluation's default sample size
SAME_MODE = 1.0 - math.exp(-BIRTHDAY_EPS_SIGMAS**2 / 4)  # P(two samples of one mode collide) = 1 − e^−9


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _collapsed(n, seed):
    """A generator collapsed onto the ring's first mode: its mean plus σ·N(0, I)."""
    return torch.as_tensor(RING.means[0]) + RING.sigma * torch.randn(n, 2, generator=_gen(seed),
                                                                     dtype=torch.float64)


def _u_se(h: torch.Tensor) -> float:
    """Standard error of the U-statistic mean_{i<j} h_ij (Hoeffding 1948):
    Var = [4(n − 2) ζ1 + 2 ζ2] / (n(n − 1)), ζ1 the variance of the row means
    h1(x_i) = E[h(x_i, X)] and ζ2 that of h over pairs, both estimated in-sample."""
    h = h.to(torch.float64).clone()
    n = h.shape[0]
    h.fill_diagonal_(0.0)
    theta = float(h.sum()) / (n * (n - 1))
    h1 = h.sum(1) / (n - 1)
    zeta1 = float(h1.var())
    zeta2 = float((h**2).sum()) / (n * (n - 1)) - theta**2
    return math.sqrt((4 * (n - 2) * zeta1 + 2 * zeta2) / (n * (n - 1)))


def _logdet_tolerance(x: torch.Tensor) -> float:
    """ln det S − ln det Σ = tr(Σ⁻¹δ) − ½ tr((Σ⁻¹δ)²) + …, δ = S − Σ. The first term
    has the delta-method variance Var(zᵀΣ⁻¹z)/n; the second is ≤ 0 with mean −b,
    b = E‖Σ^−½(zzᵀ − Σ)Σ^−½‖²_F / (2n). Tolerance: 4 standard errors plus 10 b."""
    x = x.to(torch.float64)
    z = x - x.mean(0)
    w = torch.linalg.inv(torch.linalg.cholesky(torch.cov(x.T)))  # whitening: w S wᵀ = I
    u = z @ w.T
    psi = (u**2).sum(1)
    outer = u[:, :, None] * u[:, None, :] - torch.eye(2, dtype=torch.float64)
    b = float((outer**2).sum((1, 2)).mean()) / (2 * len(x))
    return 4 * float(psi.std()) / math.sqrt(len(x)) + 10 * b


def _mixture_mean_distance(mixture: Mixture) -> float:
    """E‖X − Y‖ for X, Y iid from the mixture: X − Y given modes k, l is
    N(m_k − m_l, 2σ² I), whose norm is Rice(ν = ‖m_k − m_l‖, s = σ√2) with mean
    s √(π/2) L_½(−a), a = ν²/(2s²), L_½(−a) = e^(−a/2)[(1 + a) I0(a/2) + a I1(a/2)]
    (in exponentially scaled Bessel functions, stable for ν ≫ s)."""
    s = mixture.sigma * math.sqrt(2)
    gaps = np.linalg.norm(mixture.means[:, None] - mixture.means[None], axis=-1)
    a = gaps**2 / (2 * s**2)
    rice_mean = s * math.sqrt(math.pi / 2) * ((1 + a) * special.i0e(a / 2) + a * special.i1e(a / 2))
    w = np.outer(mixture.weights, mixture.weights)
    return float((w * rice_mean).sum())


@pytest.mark.parametrize("mixture", [RING, GRID], ids=["ring", "grid"])
def test_pairwise_distance_of_true_samples_is_the_mixtures_mean_distance(mixture):
    x = mixture.sample(N, _gen(21), dtype=torch.float64)
    _, m = evaluate(x, x[:100], mixture)
    se = _u_se(_distances(x))
    assert abs(m["pairwise_distance"] - _mixture_mean_distance(mixture)) < 4 * se
    assert se < 0.01 * m["pairwise_distance"]  # the test resolves a 1 % error


def test_rice_mean_matches_scipy_where_scipy_is_stable():
    one = Mixture(means=np.array([[0.0, 0.0], [0.05, 0.0]]), weights=np.array([0.0, 1.0]), sigma=0.02)
    assert _mixture_mean_distance(one) == pytest.approx(stats.rice(b=0, scale=0.02 * math.sqrt(2)).mean(),
                                                        rel=1e-12)
    two = Mixture(means=np.array([[0.0, 0.0], [0.05, 0.0]]), weights=np.array([0.5, 0.5]), sigma=0.02)
    s = 0.02 * math.sqrt(2)
    expected = 0.5 * stats.rice(b=0, scale=s).mean() + 0.5 * stats.rice(b=0.05 / s, scale=s).mean()
    assert _mixture_mean_distance(two) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("mixture", [RING, GRID, UNEQUAL], ids=["ring", "grid", "ring5-unequal"])
def test_birthday_support_of_true_samples_is_d2_of_the_weights(mixture):
    """p̂ → c Σ p_k², c = 1 − e^−9, so 1/p̂ → D2(weights)/c; s.e.(1/p̂) = s.e.(p̂)/p̂²."""
    x = mixture.sample(N, _gen(22), dtype=torch.float64)
    _, m = evaluate(x, x[:100], mixture)
    d2 = hill_numbers(mixture.weights)["D2"]
    p_hat = 1.0 / m["birthday_support"]
    se = _u_se((_distances(x) < BIRTHDAY_EPS_SIGMAS * mixture.sigma).double()) / p_hat**2
    assert abs(m["birthday_support"] - d2 / SAME_MODE) < 4 * se
    assert se < 0.03 * d2  # resolves a 3 % error (unequal weights: the mode counts' variance adds)
    assert m["birthday_batch"] == pytest.approx(0.5 + math.sqrt(0.25 + 2 * math.log(2) / p_hat), rel=1e-12)


@pytest.mark.parametrize("mixture", [RING, GRID], ids=["ring", "grid"])
def test_birthday_batch_brackets_the_exact_birthday_half_point(mixture):
    """With K equally likely cells, P(no duplicate among s) = K!/((K − s)! K^s)
    exactly; the estimated s lies between the last integer batch with P(duplicate)
    < ½ and the first with ≥ ½ (K = 8: 3 and 4; K = 25: 6 and 7)."""
    _, m = evaluate(mixture.sample(N, _gen(23)), mixture.sample(100, _gen(24)), mixture)
    K = mixture.K
    p_dup = lambda s: 1.0 - math.perm(K, s) / K**s  # noqa: E731
    s = m["birthday_batch"]
    assert p_dup(math.floor(s)) < 0.5 <= p_dup(math.ceil(s))


def test_collapsed_generator_on_one_mode():
    """One mode: cov = σ² I so ln det = 2 ln σ²; every pair collides with probability
    c so support = 1/c ≈ 1; ‖X − Y‖ is Rayleigh of scale σ√2, mean σ√π."""
    x = _collapsed(N, 25)
    _, m = evaluate(x, RING.sample(1000, _gen(26)), RING)
    s = RING.sigma
    assert abs(m["logdet_cov"] - 2 * math.log(s**2)) < _logdet_tolerance(x)
    d = _distances(x)
    assert abs(m["pairwise_distance"] - s * math.sqrt(math.pi)) < 4 * _u_se(d)
    p_hat = 1.0 / m["birthday_support"]
    se = _u_se((d < BIRTHDAY_EPS_SIGMAS * s).double()) / p_hat**2
    assert abs(m["birthday_support"] - 1 / SAME_MODE) < 4 * se + 1e-12
    assert m["birthday_support"] < 1.01 and m["birthday_batch"] < 1.8
    # against the true ring every detection metric separates: ~8 times fewer cells, ~2 log-units
    _, ring = evaluate(RING.sample(N, _gen(27)), RING.sample(1000, _gen(28)), RING)
    assert ring["birthday_support"] > 7.5 and ring["logdet_cov"] - m["logdet_cov"] > 15


@pytest.mark.parametrize("mixture, variance", [
    (RING, 1.0**2 / 2 + RING.sigma**2),
    (GRID, 2.0**2 * (5**2 - 1) / 12 + GRID.sigma**2),
], ids=["ring", "grid"])
def test_logdet_cov_of_true_samples_is_the_closed_form(mixture, variance):
    """Ring: cov = (r²/2 + σ²) I; grid: per coordinate h²(n² − 1)/12 + σ², no
    correlation; so ln det = 2 ln(variance). Large n for a tight check, then the
    evaluation's N through evaluate()."""
    big = mixture.sample(200_000, _gen(29), dtype=torch.float64)
    assert abs(logdet_cov(big) - 2 * math.log(variance)) < _logdet_tolerance(big)
    x = mixture.sample(N, _gen(30), dtype=torch.float64)
    _, m = evaluate(x, x[:100], mixture)
    assert m["logdet_cov"] == logdet_cov(x)
    assert abs(m["logdet_cov"] - 2 * math.log(variance)) < _logdet_tolerance(x)


def test_degenerate_samples():
    """No colliding pair → both birthday metrics NaN (support beyond what C(N, 2)
    pairs resolve); fewer than 2 samples → every pair metric and logdet NaN;
    collinear samples → a singular covariance, logdet −inf."""
    spread = torch.stack([torch.arange(10.0), torch.zeros(10)], 1)  # 1 apart ≫ ε = 0.06
    m = pair_metrics(_distances(spread), RING.sigma)
    assert math.isnan(m["birthday_support"]) and math.isnan(m["birthday_batch"])
    assert m["pairwise_distance"] == pytest.approx(sum(abs(i - j) for i in range(10) for j in range(i)) / 45)
    assert logdet_cov(spread) == -math.inf
    one = torch.zeros(1, 2)
    assert all(math.isnan(v) for v in pair_metrics(_distances(one), RING.sigma).values())
    assert math.isnan(logdet_cov(one))
    # a constant generator: every pair collides, support exactly 1; the batch is the
    # Poisson approximation's root ½ + √(¼ + 2 ln 2) = 1.78 (the exact answer is 2)
    m = pair_metrics(_distances(torch.ones(50, 2)), RING.sigma)
    assert m == {"pairwise_distance": 0.0, "birthday_support": 1.0,
                 "birthday_batch": 0.5 + math.sqrt(0.25 + 2 * math.log(2))}


def test_shared_distance_matrix_leaves_precision_and_recall_bitwise_unchanged():
    fake = RING.sample(N, _gen(31)) * 1.1  # float32, as the generator returns
    real = RING.sample(1000, _gen(32))
    _, m = evaluate(fake, real, RING)
    alone = precision_recall(fake[:1000], real)
    assert m["precision"] == alone["precision"] and m["recall"] == alone["recall"]
    assert torch.equal(_distances(fake)[:1000, :1000], _distances(fake[:1000]))


def test_the_runner_records_the_detection_metrics():
    scenario = {"domain": "gan", "name": "gan-detection", "seed": 3, **GAN.check_scenario}
    result = cs.run(scenario, steps=3, backend="torch")
    domain = result.metrics[result.metrics["series"] == "domain"]
    names = set(domain["metric"])
    assert {"pairwise_distance", "logdet_cov", "birthday_support", "birthday_batch"} <= names
    values = domain[domain["metric"].isin(["pairwise_distance", "logdet_cov"])]["value"]
    assert np.isfinite(values).all()


def test_cross_domain_remedy_map_names_only_bundled_scenarios():
    """docs/cross-domain.md's remedy map: every scenario it names (in backticks, or in
    a `collapsesim compare` command) is bundled, so every command there runs."""
    text = (Path(__file__).parents[2] / "docs" / "cross-domain.md").read_text(encoding="utf-8")
    section = text.split("## Remedy map", 1)[1].split("\n## ", 1)[0]
    bundled = set(bundled_scenarios())
    domains = "beam|drift|ga|gan|hikers|model_collapse|particle_filter|psiblast|sweep"
    named = set(re.findall(rf"`((?:{domains})(?:_[a-z0-9]+)*)`", section))
    commands = re.findall(r"`collapsesim compare ([^`]*?) --out [^`]*`", section)
    assert len(commands) >= 12
    named |= {name for c in commands for name in c.split()}
    assert named - bundled == set()
    assert {"gan_ring_entropy", "gan_ring_gman", "gan_ring_mgan", "gan_ring_veegan",
            "gan_ring_adagan"} <= named
