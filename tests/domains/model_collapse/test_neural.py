"""The neural generator of ``model_collapse`` (collapsesim/domains/model_collapse/neural.py):
an autoregressive mixture-density network trained by maximum likelihood, R
replicates batched."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from collapsesim.domains.model_collapse.neural import NeuralModel, init_params, train
from collapsesim.engine import get_backend


def _settings(K=1, epochs=200, hidden=8, layers=1, lr=0.05):
    return SimpleNamespace(components=K, hidden=hidden, layers=layers, epochs=epochs, lr=lr)


@pytest.fixture
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_fits_a_gaussian(one_thread):
    """K = 1 in 1-D: the maximum-likelihood fit is the sample mean and the MLE variance.
    Each replicate's network reaches them to 0.1 % (the optimiser's tolerance), and
    over R replicates the fitted means and variances are centred on μ and σ²(n − 1)/n
    within 3 standard errors. The mean log-likelihood is the Gaussian's at the fit."""
    R, n, mu, sd = 48, 150, 3.0, 2.0
    x = np.random.default_rng(0).normal(mu, sd, (R, n))
    be = get_backend("numpy")
    m = NeuralModel(_settings(), be, rng=be.rng(np.random.SeedSequence(1)))
    m.fit(x)
    mean, var = m.moments()
    assert np.abs(mean - x.mean(1)).max() < 1e-3 * sd
    assert np.abs(var / x.var(1) - 1).max() < 1e-3
    assert abs(mean.mean() - mu) < 3 * sd / np.sqrt(R * n)
    assert abs(var.mean() - sd**2 * (n - 1) / n) < 3 * var.std(ddof=1) / np.sqrt(R)
    gauss = -0.5 * np.log(2 * np.pi * var)[:, None] - 0.5 * (x - mean[:, None]) ** 2 / var[:, None]
    np.testing.assert_allclose(m.loglik(x), gauss.mean(1), rtol=1e-10)


def test_samples_follow_the_fit_and_the_seed(one_thread):
    """Samples of a fitted K = 1 network: mean and variance of the fit within 3 standard
    errors; the same generator seed gives the same samples, and (R, n) data give (R, n)."""
    be = get_backend("numpy")
    x = np.random.default_rng(2).normal(-1.0, 0.5, (16, 100))
    m = NeuralModel(_settings(epochs=100), be, rng=be.rng(np.random.SeedSequence(3)))
    m.fit(x)
    mean, var = m.moments()
    s = m.sample(2000, be.rng(np.random.SeedSequence(4)))
    assert s.shape == (16, 2000)
    np.testing.assert_array_equal(s, m.sample(2000, be.rng(np.random.SeedSequence(4))))
    z = (s.mean(1) - mean) / np.sqrt(var / 2000)
    assert np.abs(z).max() < 3 * 1.5                       # 16 replicates: a max of 16 |N(0,1)|
    assert abs(np.mean(z)) < 3 / np.sqrt(16)


def test_same_seed_same_fit(one_thread):
    be = get_backend("torch")
    x = np.random.default_rng(5).normal(size=(4, 50, 2))
    fits = []
    for _ in range(2):
        m = NeuralModel(_settings(K=2, epochs=20), be, rng=be.rng(np.random.SeedSequence(6)))
        m.fit(x)
        fits.append(m.weights)
    for k in fits[0]:
        torch.testing.assert_close(fits[0][k], fits[1][k], rtol=0, atol=0)


def test_replicates_are_batch_invariant(one_thread):
    """On CPU a replicate's initial weights (from its own generator) and its training are
    bitwise the same among others as alone (d = 2: replicate r owns networks
    r·d … r·d + d − 1)."""
    R, d, K = 3, 2, 2
    gens = [torch.Generator().manual_seed(r) for r in range(R)]
    init = init_params(d, K, 8, 2, gens)
    gen = torch.Generator().manual_seed(R)
    z = torch.randn((R, 40, d), generator=gen, dtype=torch.float64)
    w = torch.rand((R, 40), generator=gen, dtype=torch.float64)
    together = train(init, z, w, 15, 0.05)
    r = 1
    alone_init = init_params(d, K, 8, 2, [torch.Generator().manual_seed(r)])
    for k, v in alone_init.items():
        torch.testing.assert_close(init[k][r * d:(r + 1) * d], v, rtol=0, atol=0)
    alone = train(alone_init, z[r:r + 1], w[r:r + 1], 15, 0.05)
    for k, v in alone.items():
        torch.testing.assert_close(together[k][r * d:(r + 1) * d], v, rtol=0, atol=0)


def test_fit_needs_rng():
    with pytest.raises(ValueError, match="rng"):
        NeuralModel(_settings(), get_backend("numpy")).fit(np.zeros((2, 10)))


@pytest.mark.slow
def test_learns_a_correlated_gaussian(one_thread):
    """2-D correlated Gaussian (ρ = 0.8): the autoregressive network's samples reproduce ρ
    and its held-out log-likelihood is within 0.1 nat (on average over replicates) of
    the true density's, minus the entropy (an overfit network of 3 components on 500
    samples is 0.004–0.15 nat short of it)."""
    be = get_backend("numpy")
    cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    g = np.random.default_rng(7)
    x, test = (g.multivariate_normal([0.0, 1.0], cov, (8, n)) for n in (500, 2000))
    m = NeuralModel(_settings(K=3, epochs=400, hidden=16), be, rng=be.rng(np.random.SeedSequence(8)))
    m.fit(x)
    s = m.sample(4000, be.rng(np.random.SeedSequence(9)))
    rho = np.array([np.corrcoef(s[r].T)[0, 1] for r in range(8)])
    assert np.abs(rho - 0.8).max() < 0.05
    entropy = 1.0 + np.log(2 * np.pi) + 0.5 * np.log(np.linalg.det(cov))
    gap = -m.loglik(test) - entropy           # ≈ KL(real ‖ fit) ≥ 0, up to the test set's noise
    se = 1.0 / np.sqrt(2000)                  # sd of log p(x) of a 2-D Gaussian is √(d/2) = 1
    assert gap.min() > -3 * se
    assert gap.mean() < 0.1


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
def test_cuda_fits_a_gaussian():
    be = get_backend("torch", "cuda")
    x = np.random.default_rng(0).normal(3.0, 2.0, (32, 150))
    m = NeuralModel(_settings(), be, rng=be.rng(np.random.SeedSequence(1)))
    m.fit(x)
    mean, var = (be.to_numpy(a) for a in m.moments())
    assert np.abs(mean - x.mean(1)).max() < 0.02
    assert np.abs(var / x.var(1) - 1).max() < 1e-3
