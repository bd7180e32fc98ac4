"""The Kalman filter and the Rauch–Tung–Striebel smoother (numpy): the exact
answers the particle filters and smoothers are checked against on the
linear-Gaussian model

    x_0 ~ N(m0, P0),  x_t = A x_{t−1} + N(0, Q),  y_t = H x_t + N(0, R),  t = 0..T−1

(y_0 observes x_0, as in the particle filter and in pykalman). Kalman (1960);
Rauch, Tung & Striebel (1965); Chopin & Papaspiliopoulos (2020), ch. 7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class KalmanResult:
    """Filtered means (T, d) and covariances (T, d, d), one-step predictions
    (the same shapes; at t = 0 the prior), and log p(y_t | y_{0:t−1}) (T,)."""

    means: np.ndarray
    covs: np.ndarray
    pred_means: np.ndarray
    pred_covs: np.ndarray
    loglik_increments: np.ndarray

    @property
    def loglik(self) -> float:
        """log p(y_{0:T−1})."""
        return float(self.loglik_increments.sum())


def kalman_filter(y, A, Q, H, R, m0, P0) -> KalmanResult:
    """Filter observations ``y`` (T, p) (or (T,) for p = 1)."""
    A, Q, H, R = (np.atleast_2d(np.asarray(M, dtype=float)) for M in (A, Q, H, R))
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    T, d, p = y.shape[0], A.shape[0], H.shape[0]
    means, covs = np.empty((T, d)), np.empty((T, d, d))
    pmeans, pcovs = np.empty((T, d)), np.empty((T, d, d))
    ll = np.empty(T)
    m, P = np.asarray(m0, dtype=float).reshape(d), np.atleast_2d(np.asarray(P0, dtype=float))
    for t in range(T):
        if t > 0:
            m, P = A @ m, A @ P @ A.T + Q
        pmeans[t], pcovs[t] = m, P
        S = H @ P @ H.T + R
        r = y[t] - H @ m
        L = np.linalg.cholesky(S)
        z = np.linalg.solve(L, r)
        with np.errstate(over="ignore"):  # an impossible y: log-likelihood −inf
            ll[t] = -0.5 * z @ z - np.log(np.diag(L)).sum() - 0.5 * p * math.log(2 * math.pi)
        K = np.linalg.solve(S, H @ P).T  # P Hᵀ S⁻¹ (S, P symmetric)
        m = m + K @ r
        P = P - K @ S @ K.T
        P = 0.5 * (P + P.T)
        means[t], covs[t] = m, P
    return KalmanResult(means, covs, pmeans, pcovs, ll)


def rts_smoother(kf: KalmanResult, A) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed means (T, d) and covariances (T, d, d) of x_t given y_{0:T−1}."""
    A = np.atleast_2d(np.asarray(A, dtype=float))
    T = kf.means.shape[0]
    ms, Ps = kf.means.copy(), kf.covs.copy()
    for t in range(T - 2, -1, -1):
        G = np.linalg.solve(kf.pred_covs[t + 1], A @ kf.covs[t]).T  # P_t Aᵀ P_{t+1|t}⁻¹
        ms[t] = kf.means[t] + G @ (ms[t + 1] - kf.pred_means[t + 1])
        Ps[t] = kf.covs[t] + G @ (Ps[t + 1] - kf.pred_covs[t + 1]) @ G.T
    return ms, Ps


def model_kalman(model, y) -> KalmanResult:
    """The Kalman filter of a :class:`~.models.LinearGaussian` model."""
    return kalman_filter(y, model.A, model.noise.cov, model.H, model.R, model.m0,
                         model.init_noise.cov)
