"""Gaussian mixtures fitted by EM, R replicates × restarts as one array program.

The model (Shumailov et al. 2024, *Nature* 631:755, "Gaussian mixture"
experiment: a GMM refitted by EM to samples of the previous generation's GMM):

    p(x) = Σ_k π_k N(x; μ_k, diag v_k),   x ∈ R^d, k = 1 … K,

with **diagonal** covariances (each component's density factorises over the
coordinates; in 1-D this is the general mixture). Diagonal keeps every step
element-wise, so the numpy specification, the numba kernel and torch share
one arithmetic (no LAPACK factorisation whose algorithm differs per library).

EM (Dempster, Laird & Rubin 1977), with sample weights w_i ≥ 0 (all 1 unless
the data regime weights real against synthetic samples):

* E-step: with a_ik = log π_k + log N(x_i; μ_k, v_k) and m_i = max_k a_ik,
  e_ik = exp(a_ik − m_i): r_ik = e_ik / Σ_k e_ik and the log-likelihood
  ℓ_i = m_i + log Σ_k e_ik (a max-shifted log-sum-exp);
* M-step: N_k = Σ_i w_i r_ik + ε (ε = 10·machine epsilon, as scikit-learn:
  an empty component keeps a defined mean), π_k = N_k / Σ_k N_k,
  μ_k = Σ_i w_i r_ik x_i / N_k, v_kj = max(Σ_i w_i r_ik (x_ij − μ_kj)² / N_k, floor).

The covariance floor is a clamp, not an addition: for one diagonal entry the
expected complete-data log-likelihood −N_k/2·(log v + S/v) is unimodal with
its maximum at S, so max(S, floor) is the exact M-step of the problem
constrained to v ≥ floor and the weighted mean log-likelihood
Σ_i w_i ℓ_i / Σ_i w_i never decreases from one iteration to the next (tested).

The fit runs a fixed number of ``iterations`` (no tolerance: every replicate
costs the same, and backends compare iteration by iteration) from each of
``restarts`` initialisations and keeps, per replicate, the restart with the
largest final log-likelihood (ties: the first). An initialisation is
k-means++ seeding (Arthur & Vassilvitskii 2007, with the sample weights):
centre 1 drawn ∝ w_i, centre k ∝ w_i·D_i² (D_i the distance to the nearest
centre so far), then each sample assigned to its nearest centre and one
M-step from these hard responsibilities (scikit-learn's k-means init without
the Lloyd iterations). The fitted components are sorted by the first
coordinate of their means, so that the result does not depend on which of
several restarts reaching one optimum was kept.

The operator ``model_collapse.em`` (``backend.op("model_collapse.em")``) runs
EM from given initial responsibilities on a batch of B data sets: the numpy
and torch implementations are the same array code on ``backend.xp`` (the
specification), the numba one an independent scalar kernel (sequential sums,
one data set after another, single-threaded). They agree to 1e-10 relative,
not exactly: numpy sums pairwise, numba sequentially, and the libraries'
``exp``/``log`` round differently (tests/domains/model_collapse/test_gmm.py).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ...engine.kernels import implements
from ...engine.replicates import RowGenerators
from .cells import generators

TWO_PI = 2.0 * math.pi
EPS_N = 10.0 * np.finfo(np.float64).eps   # added to every N_k (scikit-learn's 10·eps)


# -- the specification (numpy and torch: array code on backend.xp) ------------------------


def log_joint(xp, x, logpi, means, var):
    """log π_k + log N(x_i; μ_k, diag v_k) of x (B, n, d) under B mixtures
    (logpi (B, K), means and var (B, K, d)) → (B, n, K)."""
    out = logpi[:, None, :] + 0.0 * x[:, :, :1]
    for j in range(x.shape[-1]):
        diff = x[:, :, None, j] - means[:, None, :, j]
        v = var[:, None, :, j]
        out = out - 0.5 * (diff * diff / v + xp.log(TWO_PI * v))
    return out


def _e_step(xp, x, logpi, means, var):
    """Per-sample log-likelihoods ℓ (B, n) and responsibilities r (B, n, K)."""
    logp = log_joint(xp, x, logpi, means, var)
    top = xp.amax(logp, -1)[..., None]
    e = xp.exp(logp - top)
    s = e.sum(-1)
    return top[..., 0] + xp.log(s), e / s[..., None]


def _m_step(xp, x, w, resp, floor: float):
    """log π (B, K), μ (B, K, d), v (B, K, d) maximising the expected complete-data
    log-likelihood under responsibilities ``resp`` with sample weights ``w``."""
    wr = resp * w[..., None]
    nk = wr.sum(1) + EPS_N
    logpi = xp.log(nk / nk.sum(-1)[..., None])
    means = xp.matmul(xp.swapaxes(wr, 1, 2), x) / nk[..., None]
    var = []
    for j in range(x.shape[-1]):
        diff = x[:, :, None, j] - means[:, None, :, j]
        var.append(xp.clip((wr * diff * diff).sum(1) / nk, floor, None))
    return logpi, means, xp.stack(var, -1)


@implements("model_collapse.em", "numpy", "torch")
def em(backend, x, w, resp, iterations: int, floor: float):
    """``iterations`` EM steps (M-step first, from the initial responsibilities)
    on B data sets x (B, n, d) with weights w (B, n) and initial
    responsibilities resp (B, n, K). Returns log π (B, K), μ (B, K, d),
    v (B, K, d) of the last M-step and the trace (B, iterations) of the
    weighted mean log-likelihood Σ w_i ℓ_i / Σ w_i after each M-step."""
    xp = backend.xp
    total = w.sum(1)
    trace = []
    for _ in range(iterations):
        logpi, means, var = _m_step(xp, x, w, resp, floor)
        ll, resp = _e_step(xp, x, logpi, means, var)
        trace.append((w * ll).sum(1) / total)
    return logpi, means, var, xp.stack(trace, -1)


# -- the numba kernel ---------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _em_kernel(x, w, resp0, iterations, floor, logpi, means, var, trace):
    B, n, d = x.shape
    K = resp0.shape[2]
    r = np.empty((n, K))
    logp = np.empty(K)
    nk = np.empty(K)
    logdet = np.empty((K, d))
    for b in range(B):
        r[:, :] = resp0[b]
        total = 0.0
        for i in range(n):
            total += w[b, i]
        for t in range(iterations):
            # M-step
            nk[:] = 0.0
            means[b] = 0.0
            var[b] = 0.0
            for i in range(n):
                for k in range(K):
                    wr = r[i, k] * w[b, i]
                    nk[k] += wr
                    for j in range(d):
                        means[b, k, j] += wr * x[b, i, j]
            s = 0.0
            for k in range(K):
                nk[k] += EPS_N
                s += nk[k]
                for j in range(d):
                    means[b, k, j] /= nk[k]
            for k in range(K):
                logpi[b, k] = np.log(nk[k] / s)
            for i in range(n):
                for k in range(K):
                    wr = r[i, k] * w[b, i]
                    for j in range(d):
                        diff = x[b, i, j] - means[b, k, j]
                        var[b, k, j] += wr * diff * diff
            for k in range(K):
                for j in range(d):
                    var[b, k, j] = max(var[b, k, j] / nk[k], floor)
            # E-step
            for k in range(K):
                for j in range(d):
                    logdet[k, j] = np.log(TWO_PI * var[b, k, j])
            acc = 0.0
            for i in range(n):
                top = -np.inf
                for k in range(K):
                    lp = logpi[b, k]
                    for j in range(d):
                        diff = x[b, i, j] - means[b, k, j]
                        lp -= 0.5 * (diff * diff / var[b, k, j] + logdet[k, j])
                    logp[k] = lp
                    top = max(top, lp)
                s = 0.0
                for k in range(K):
                    logp[k] = np.exp(logp[k] - top)
                    s += logp[k]
                for k in range(K):
                    r[i, k] = logp[k] / s
                acc += w[b, i] * (top + np.log(s))
            trace[b, t] = acc / total


@implements("model_collapse.em", "numba")
def em_numba(backend, x, w, resp, iterations: int, floor: float):
    """Numba kernel of ``model_collapse.em`` (same definition as :func:`em`)."""
    x = np.ascontiguousarray(x, np.float64)
    B, _, d = x.shape
    K = resp.shape[2]
    out = (np.empty((B, K)), np.empty((B, K, d)), np.empty((B, K, d)), np.empty((B, iterations)))
    _em_kernel(x, np.ascontiguousarray(w, np.float64), np.ascontiguousarray(resp, np.float64),
               int(iterations), float(floor), *out)
    return out


# -- initialisation -----------------------------------------------------------------------


def _flat_uniform(backend, B: int, rng):
    """B uniforms; with the replicates' generators (B a multiple of R,
    replicate-major blocks) each replicate draws its B/R."""
    if isinstance(rng, RowGenerators):
        return backend.uniform((len(rng), B // len(rng)), rng).reshape(B)
    return backend.uniform((B,), rng)


def kmeanspp_responsibilities(backend, x, w, K: int, rng):
    """Hard responsibilities (B, n, K) of the nearest of K k-means++ centres per data
    set (module docstring). Draws K uniform vectors of shape (B,) from ``rng``, one per
    centre, in order."""
    xp = backend.xp
    B, n, _ = x.shape
    d2 = w * 0.0 + 1.0
    dists = []
    for k in range(K):
        cdf = xp.cumsum(w * d2, 1)
        u = _flat_uniform(backend, B, rng) * cdf[:, -1]
        idx = (cdf < u[:, None]).sum(1).clip(max=n - 1)
        centre = backend.take(x, idx[:, None])                       # (B, 1, d)
        dist = ((x - centre) ** 2).sum(-1)
        dists.append(dist)
        d2 = xp.minimum(d2, dist) if k else dist
    nearest = xp.argmin(xp.stack(dists, -1), -1)
    return (nearest[..., None] == backend.arange(K)) + backend.zeros((B, n, K))


# -- the model ----------------------------------------------------------------------------


class GMMModel:
    """A K-component diagonal-covariance Gaussian mixture per replicate, fitted by EM
    (module docstring). ``params`` carries ``components`` (K), ``restarts``,
    ``iterations`` and ``floor`` (the variance floor); ``real`` is the real
    distribution (not used by the fit); ``rng`` is the backend generator of
    the k-means++ initialisations (required by :meth:`fit`: EM from random
    starts is the one random fit of the domain).

    After :meth:`fit`: ``logpi`` (R, K), ``means`` and ``var`` (R, K, d) on the
    backend, components sorted by the first coordinate of their means, and
    ``trace`` (R, iterations): the kept restart's log-likelihood per iteration."""

    kind = "gmm"

    def __init__(self, params, backend, real=None, rng=None):
        self.params, self.backend, self.real, self.rng = params, backend, real, rng
        self.logpi = self.means = self.var = self.trace = None
        self._vector = True

    def _as3d(self, data):
        x = self.backend.asarray(data, dtype="float64")
        return x[..., None] if x.ndim == 2 else x

    def fit(self, data, weights=None) -> None:
        """EM on each replicate's data (R, n) or (R, n, d), weights (R, n) or None,
        from ``restarts`` k-means++ initialisations drawn from ``self.rng``."""
        if self.rng is None:
            raise ValueError("GMMModel.fit needs rng (the k-means++ initialisations are random)")
        p, be = self.params, self.backend
        self._vector = np.ndim(data) == 3
        x = self._as3d(data)
        R, n, d = x.shape
        S, K = int(p.restarts), int(p.components)
        w = (be.zeros((R, n)) + 1.0 if weights is None
             else be.asarray(weights, dtype="float64"))
        xb = (x[:, None] + be.zeros((1, S, 1, 1))).reshape(R * S, n, d)
        wb = (w[:, None] + be.zeros((1, S, 1))).reshape(R * S, n)
        resp = kmeanspp_responsibilities(be, xb, wb, K, self.rng)
        logpi, means, var, trace = be.op("model_collapse.em")(xb, wb, resp, int(p.iterations),
                                                             float(p.floor))
        logpi, means, var, trace = (be.asarray(a) for a in (logpi, means, var, trace))
        best = be.xp.argmax(trace[:, -1].reshape(R, S), -1)
        keep = be.arange(R) * S + best
        order = be.argsort(means[keep][:, :, 0])
        self.logpi = be.take(logpi[keep], order)
        self.means = be.take(means[keep], order)
        self.var = be.take(var[keep], order)
        self.trace = trace[keep]

    def sample(self, n: int, rng):
        """n samples per replicate: component k with probability π_k (inverse CDF of
        uniforms (R, n)), then μ_k + √v_k·z with standard normals z (R, n, d)
        (drawn in that order, on the backend, from ``rng``: a generator, the
        replicates' generators, or a :class:`.cells.Draws` stream of them).
        Shape (R, n, d), or (R, n) when fitted on (R, n)."""
        rng = generators(rng)
        be, xp = self.backend, self.backend.xp
        R, K, d = self.means.shape
        cdf = xp.cumsum(xp.exp(self.logpi), -1)
        u = be.uniform((R, n), rng) * cdf[:, -1:]
        comp = (cdf[:, None, :] < u[..., None]).sum(-1).clip(max=K - 1)
        z = be.normal((R, n, d), rng)
        x = be.take(self.means, comp) + xp.sqrt(be.take(self.var, comp)) * z
        return x if self._vector else x[..., 0]

    def loglik(self, data):
        """(R,) mean log-density of ``data`` under each replicate's fitted mixture."""
        ll, _ = _e_step(self.backend.xp, self._as3d(data), self.logpi, self.means, self.var)
        return ll.mean(-1)

    def assign(self, data):
        """(R, n) index of the fitted component with the largest posterior for each sample."""
        logp = log_joint(self.backend.xp, self._as3d(data), self.logpi, self.means, self.var)
        return self.backend.xp.argmax(logp, -1)
