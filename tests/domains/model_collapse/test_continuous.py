"""Continuous models of model_collapse against direct formulas: Gaussian fit
(MLE, unbiased, weighted), its log-density and sampler, the KDE sampler and
its variance, weighted least squares, and the closed-form W2/KL."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from collapsesim.domains.model_collapse.cells import Draws, GaussianReal, RegressionReal
from collapsesim.domains.model_collapse.continuous import (
    GaussianModel,
    KDEModel,
    RegressionModel,
)
from collapsesim.domains.model_collapse.model import gaussian_w2_kl
from collapsesim.domains.model_collapse.params import (
    GaussianParams,
    KDEParams,
    RegressionParams,
)
from collapsesim.engine import get_backend

NP = get_backend("numpy")


def pooled(R: int, seed: int = 0) -> Draws:
    return Draws.pooled(NP, NP.rng(np.random.SeedSequence(seed)), R)


def real(d=2, scales=(1.0, 2.0)):
    return GaussianReal(d, 0.5, list(scales), 4, 50, np.random.default_rng(0))


def test_gaussian_fit_mle_unbiased_and_weighted():
    x = np.random.default_rng(1).normal(size=(3, 30, 2))
    for est, ddof in (("mle", 0), ("unbiased", 1)):
        m = GaussianModel(GaussianParams(d=2, estimator=est), NP, real())
        m.fit(x)
        for r in range(3):
            assert m.mean[r] == pytest.approx(x[r].mean(0))
            assert m.cov[r] == pytest.approx(np.cov(x[r].T, ddof=ddof))
    # integer weights = repetitions (MLE)
    w = np.random.default_rng(2).integers(1, 4, size=(3, 30)).astype(float)
    m = GaussianModel(GaussianParams(d=2, estimator="mle"), NP, real())
    m.fit(x, w)
    for r in range(3):
        rep = np.repeat(x[r], w[r].astype(int), axis=0)
        assert m.cov[r] == pytest.approx(np.cov(rep.T, ddof=0))
    m = GaussianModel(GaussianParams(d=2, estimator="mean_only"), NP, real())
    m.fit(x)
    assert m.cov[0] == pytest.approx(np.diag([1.0, 4.0]))


def test_gaussian_logpdf_and_sampler():
    m = GaussianModel(GaussianParams(d=2), NP, real())
    m.mean = np.array([[1.0, -1.0]])
    m.cov = np.array([[[2.0, 0.6], [0.6, 1.0]]])
    x = np.random.default_rng(3).normal(size=(1, 5, 2))
    ref = stats.multivariate_normal(m.mean[0], m.cov[0]).logpdf(x[0])
    assert m.logpdf(x)[0] == pytest.approx(ref)
    s = m.sample(200_000, pooled(1))[0]
    assert s.mean(0) == pytest.approx(m.mean[0], abs=0.01)
    assert np.cov(s.T) == pytest.approx(m.cov[0], abs=0.02)


def test_w2_and_kl_closed_forms_in_one_dimension():
    r = real(1, (2.0,))
    mean, cov = np.array([[1.5]]), np.array([[[0.25]]])
    w2, kl = gaussian_w2_kl(mean, cov, r)
    assert w2[0] == pytest.approx(math.sqrt(1.0 ** 2 + (0.5 - 2.0) ** 2))
    # KL(N(0.5, 4) ‖ N(1.5, 0.25))
    assert kl[0] == pytest.approx(math.log(0.5 / 2.0) + (4 + 1.0) / (2 * 0.25) - 0.5)
    w2, kl = gaussian_w2_kl(r.mean[None], r.cov[None], r)
    assert w2[0] == pytest.approx(0.0, abs=1e-7) and kl[0] == pytest.approx(0.0, abs=1e-12)


def test_kde_sampler_moments_and_variance():
    data = np.array([[[0.0], [1.0], [5.0]]])
    m = KDEModel(KDEParams(bandwidth=0.5), NP, real(1, (1.0,)))
    m.fit(data, np.array([[1.0, 1.0, 2.0]]))
    w = np.array([0.25, 0.25, 0.5])
    mean = (w * data[0, :, 0]).sum()
    var = (w * (data[0, :, 0] - mean) ** 2).sum() + 0.25
    assert m.variance()[0] == pytest.approx(var)
    s = m.sample(400_000, pooled(1))[0, :, 0]
    assert abs(s.mean() - mean) < 4 * math.sqrt(var / len(s))
    assert s.var() == pytest.approx(var, rel=0.01)
    # the density is the weighted mixture of kernels
    x = np.array([[[0.3]]])
    dens = sum(wi * stats.norm(c, 0.5).pdf(0.3) for wi, c in zip(w, data[0, :, 0]))
    assert m.logpdf(x)[0, 0] == pytest.approx(math.log(dens))
    # Silverman: h = ŝ (4/(3n))^{1/5}
    m = KDEModel(KDEParams(bandwidth="silverman"), NP, real(1, (1.0,)))
    m.fit(data)
    assert m.h[0, 0] == pytest.approx(np.std(data[0, :, 0], ddof=1) * (4 / 9) ** 0.2)


def test_weighted_least_squares():
    d, n = 3, 40
    rr = RegressionReal(d, 0.5, n, 4, 20, pooled(2), np.random.default_rng(0))
    data = rr.sample(n, pooled(2, 1))
    w = np.random.default_rng(4).uniform(0.5, 2, size=(2, n))
    m = RegressionModel(RegressionParams(d=d, noise=0.5), NP, rr)
    m.fit(data, w)
    for r in range(2):
        sw = np.sqrt(w[r])
        ref = np.linalg.lstsq(data[r, :, :d] * sw[:, None], data[r, :, d] * sw, rcond=None)[0]
        assert m.w[r] == pytest.approx(ref)
    assert m.test_error() == pytest.approx(((m.w - rr.w) ** 2).sum(-1))
    # the model's samples are labels on the same design rows
    s = m.sample(n, pooled(2, 5))
    assert np.array_equal(s[..., :d], data[..., :d])
