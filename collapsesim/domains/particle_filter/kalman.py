"""The Kalman filter and the Rauch–Tung–Striebel smoother (numpy): the exact
answers the particle filters and smoothers are checked against on the
linear-Gaussian model

    x_0 ~ N(m0, P0),  x_t = A x_{t−1} + N(0, Q),  y_t = H x_t + N(0, R),  t = 0..T−1

(y_0 observes x_0, as in the particle filter and in pykalman). Kalman (1960);
Rauch, Tung & Striebel (1965); Chopin & Papaspiliopoulos (2020), ch. 7. The
filter and smoother are :mod:`collapsesim.theory`'s; this module applies them
to the domain's models.
"""

from __future__ import annotations

from ...theory import KalmanResult, kalman_filter, rts_smoother

__all__ = ["KalmanResult", "kalman_filter", "rts_smoother", "model_kalman"]


def model_kalman(model, y) -> KalmanResult:
    """The Kalman filter of a :class:`~.models.LinearGaussian` model."""
    return kalman_filter(y, model.A, model.noise.cov, model.H, model.R, model.m0,
                         model.init_noise.cov)
