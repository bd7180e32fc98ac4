"""Continuous models of the ``model_collapse`` domain, R replicates batched:
the Gaussian (1-D and d-D), the kernel density estimate and linear
regression. Sample weights ω_i ≥ 0 (all equal unless the regime weights real
against synthetic data) enter every fit normalised, Σ_i ω_i = 1.

**Gaussian** (Shumailov et al. 2024, *Nature* 631:755, §"Gaussian"): mean
μ̂ = Σ ω_i x_i; covariance Σ̂ = Σ ω_i (x_i − μ̂)(x_i − μ̂)ᵀ (``mle``), divided by
1 − Σ ω_i² (``unbiased``: the reliability-weights correction, n/(n − 1) for
equal weights), or the real covariance (``mean_only``, the known-variance
case of He, Xu & Cheng 2025). A sample is μ̂ + L z, L the Cholesky factor of
Σ̂, z ~ N(0, I).

**KDE**: the mixture Σ_i ω_i N(x_i, diag(h²)); a sample is a data point drawn
by its weight (inverse CDF of a uniform) plus h ⊙ z. The bandwidth is fixed or
Silverman's normal-reference rule h_j = ŝ_j (4/((d + 2) n))^{1/(d+4)} with ŝ_j
the weighted unbiased standard deviation of coordinate j and n the number of
training samples. Its variance (trace) is the data's weighted MLE variance
plus Σ_j h_j² — the variance that can grow (:mod:`.theory`).

**Regression** (Dohmatob et al. 2024; Gerstgrasser et al. 2024): (weighted)
ordinary least squares ŵ = (XᵀΩX)⁻¹XᵀΩy; the model's samples are labels
x·ŵ + σε on the replicate's fixed design (the real noise σ).
"""

from __future__ import annotations

import math

import numpy as np

from .cells import Draws, categorical_draw


def _normalised(weights, R: int, n: int) -> np.ndarray:
    if weights is None:
        return np.full((R, n), 1.0 / n)
    w = np.asarray(weights, float)
    return w / w.sum(-1, keepdims=True)


def gaussian_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """(R, m) log N(x; mean, cov) for x (R, m, d), mean (R, d), cov (R, d, d)."""
    L = np.linalg.cholesky(cov)
    diff = (x - mean[:, None, :]).transpose(0, 2, 1)              # (R, d, m)
    z = np.linalg.solve(L, diff)
    logdet = 2.0 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    d = x.shape[-1]
    return -0.5 * (z ** 2).sum(1) - 0.5 * (logdet[:, None] + d * math.log(2 * math.pi))


class GaussianModel:
    """R d-dimensional Gaussians (module docstring); after :meth:`fit`,
    ``mean`` (R, d) and ``cov`` (R, d, d)."""

    kind = "gaussian"

    def __init__(self, params, backend, real, rng=None):
        self.params, self.backend, self.real = params, backend, real
        self.mean = self.cov = None

    def fit(self, data: np.ndarray, weights: np.ndarray | None = None) -> None:
        R, n, d = data.shape
        w = _normalised(weights, R, n)
        self.mean = np.einsum("rn,rnd->rd", w, data)
        if self.params.estimator == "mean_only":
            self.cov = np.broadcast_to(self.real.cov, (R, d, d)).copy()
            return
        c = data - self.mean[:, None, :]
        cov = np.einsum("rn,rnd,rne->rde", w, c, c)
        if self.params.estimator == "unbiased":
            cov /= (1.0 - (w ** 2).sum(-1))[:, None, None]
        self.cov = cov

    def sample(self, n: int, rng: Draws) -> np.ndarray:
        """(R, n, d): μ̂ + L z with z (R, n, d) standard normal."""
        z = rng.normal((rng.R, n, self.mean.shape[-1]))
        L = np.linalg.cholesky(self.cov)
        return self.mean[:, None, :] + np.einsum("rde,rne->rnd", L, z)

    def logpdf(self, data: np.ndarray) -> np.ndarray:
        return gaussian_logpdf(data, self.mean, self.cov)

    def loglik(self, data: np.ndarray) -> np.ndarray:
        return self.logpdf(data).mean(-1)

    def variance(self) -> np.ndarray:
        """(R,) trace of the fitted covariance."""
        return np.trace(self.cov, axis1=-2, axis2=-1)


class KDEModel:
    """R Gaussian kernel density estimates (module docstring); after
    :meth:`fit`, ``data`` (R, n, d), ``weights`` (R, n) normalised and
    ``h`` (R, d)."""

    kind = "kde"

    def __init__(self, params, backend, real, rng=None):
        self.params, self.backend, self.real = params, backend, real
        self.data = self.weights = self.h = None

    def fit(self, data: np.ndarray, weights: np.ndarray | None = None) -> None:
        R, n, d = data.shape
        w = _normalised(weights, R, n)
        self.data, self.weights = data, w
        if self.params.bandwidth == "silverman":
            mean = np.einsum("rn,rnd->rd", w, data)
            var = np.einsum("rn,rnd->rd", w, (data - mean[:, None]) ** 2)
            var /= (1.0 - (w ** 2).sum(-1))[:, None]
            self.h = np.sqrt(var) * (4.0 / ((d + 2) * n)) ** (1.0 / (d + 4))
        else:
            self.h = np.full((R, d), float(self.params.bandwidth))

    def sample(self, n: int, rng: Draws) -> np.ndarray:
        """(R, n, d): data points drawn by weight (uniforms (R, n)), plus h ⊙ z
        (normals (R, n, d)), drawn in that order."""
        R, _, d = self.data.shape
        idx = categorical_draw(self.weights, rng.uniform((R, n)))
        z = rng.normal((R, n, d))
        return np.take_along_axis(self.data, idx[..., None], 1) + self.h[:, None, :] * z

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """(R, m) log Σ_i ω_i N(x; x_i, diag h²), in blocks of rows."""
        from scipy.special import logsumexp

        out = np.empty(x.shape[:2])
        step = max(1, 2_000_000 // max(1, self.data.shape[1]))
        logw = np.log(self.weights)[:, None, :]
        norm = np.log(self.h).sum(-1)[:, None] + 0.5 * x.shape[-1] * math.log(2 * math.pi)
        for a in range(0, x.shape[1], step):
            z = (x[:, a:a + step, None, :] - self.data[:, None]) / self.h[:, None, None, :]
            out[:, a:a + step] = logsumexp(logw - 0.5 * (z ** 2).sum(-1), -1) - norm
        return out

    def loglik(self, data: np.ndarray) -> np.ndarray:
        return self.logpdf(data).mean(-1)

    def variance(self) -> np.ndarray:
        """(R,) trace of the KDE's covariance: weighted MLE variance of the data + Σ h²."""
        mean = np.einsum("rn,rnd->rd", self.weights, self.data)
        var = np.einsum("rn,rnd->r", self.weights, (self.data - mean[:, None]) ** 2)
        return var + (self.h ** 2).sum(-1)


class RegressionModel:
    """R least-squares fits (module docstring); after :meth:`fit`, ``w`` (R, d)."""

    kind = "regression"

    def __init__(self, params, backend, real, rng=None):
        self.params, self.backend, self.real = params, backend, real
        self.w = None

    def fit(self, data: np.ndarray, weights: np.ndarray | None = None) -> None:
        R, n, _ = data.shape
        w = _normalised(weights, R, n)
        X, y = data[..., :-1], data[..., -1]
        A = np.einsum("rn,rnd,rne->rde", w, X, X)
        b = np.einsum("rn,rnd,rn->rd", w, X, y)
        self.w = np.linalg.solve(A, b[..., None])[..., 0]

    def sample(self, n: int, rng: Draws) -> np.ndarray:
        """(R, n, d + 1): labels x·ŵ + σε (normals (R, n)) on the first n design rows."""
        return self.real.labels(self.w, n, rng)

    def logpdf(self, data: np.ndarray) -> np.ndarray:
        s = self.params.noise
        r = (data[..., -1] - np.einsum("rnd,rd->rn", data[..., :-1], self.w)) / s
        return -0.5 * r ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi)

    def loglik(self, data: np.ndarray) -> np.ndarray:
        return self.logpdf(data).mean(-1)

    def test_error(self) -> np.ndarray:
        """(R,) excess test error E_x[(x·ŵ − x·w*)²] = ‖ŵ − w*‖² (x ~ N(0, I))."""
        return ((self.w - self.real.w) ** 2).sum(-1)
