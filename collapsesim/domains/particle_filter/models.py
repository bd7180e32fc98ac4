"""State-space models: Gaussian transitions, model-specific observations.

Every model here has the form

    x_0 ~ N(m0, P0),   x_t | x_{t−1} ~ N(μ(x_{t−1}, t), Q),   y_t | x_t ~ g_t(· | x_t),

so one filter serves them all: the bootstrap filter (Gordon, Salmond & Smith
1993) samples the transition and weights by g; the guided filter samples a
Gaussian proposal ``proposal(μ, y, t)`` and weights by f·g/q; the auxiliary
filter (Pitt & Shephard 1999) also needs ``predictive_loglik(μ, y, t)``, an
approximation of log p(y_t | x_{t−1}). Particles are arrays of shape (N, d)
and dtype ``dtype``; the equations are written once against the backend
(``backend.xp`` for elementwise mathematics, ``backend.normal`` for draws), so
they run on numpy arrays and torch tensors alike. Log-densities of float32
particles are float32; the filter casts them to float64 before weighing.

* :class:`LinearGaussian` — x_t = A x_{t−1} + N(0, Q), y_t = H x_t + N(0, R)
  (the 1-D AR(1) plus noise is A = ρ, H = 1); the guided proposal is the
  locally optimal p(x_t | x_{t−1}, y_t) and the auxiliary filter is fully
  adapted (exact p(y_t | x_{t−1})): the exact check against the Kalman filter.
* :class:`StochasticVolatility` — x_t = μ + φ(x_{t−1} − μ) + σ ε, y_t = e^{x_t/2} η;
  guided proposal from the second-order expansion of log g around the prior
  mean (in the spirit of Pitt & Shephard 1999).
* :class:`Growth` — the univariate nonstationary growth model (Kitagawa 1996;
  Gordon et al. 1993), y_t = x_t²/20 + noise: the posterior has modes at ±x;
  guided proposal by linearising x²/20 at the prior mean.
* :class:`Bearings` — bearings-only tracking (Gordon et al. 1993), bootstrap only.
* :class:`Neutral` — uninformative observations (all weights equal): the
  Wright–Fisher baseline of the genealogy.

See Chopin & Papaspiliopoulos (2020), *An Introduction to Sequential Monte
Carlo*, ch. 2 and 10, for these filters in this notation.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import solve_discrete_lyapunov

LOG_2PI = math.log(2.0 * math.pi)


class Noise:
    """N(0, Σ) for a fixed covariance Σ (d×d): draws and log-densities, as
    arrays of ``backend`` in ``dtype``."""

    def __init__(self, backend, dtype, cov):
        cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
        chol = np.linalg.cholesky(cov)
        self.cov, self.d = cov, cov.shape[0]
        self.chol = backend.asarray(chol.T, dtype)  # draws: ε @ Lᵀ
        self.inv = backend.asarray(np.linalg.inv(chol).T, dtype)  # z @ L⁻ᵀ is L⁻¹z
        self.sd = backend.asarray(np.sqrt(np.diag(cov)), dtype)
        self.const = -float(np.log(np.diag(chol)).sum()) - 0.5 * self.d * LOG_2PI
        self.backend, self.dtype = backend, dtype

    def draw(self, rng, n: int):
        return self.backend.normal((n, self.d), rng, self.dtype) @ self.chol

    def logpdf(self, z):
        u = z @ self.inv
        return -0.5 * (u * u).sum(-1) + self.const


class DiagonalNoise:
    """N(0, diag(sd_i²)) with one sd per particle and coordinate (shape (N, d))."""

    def __init__(self, backend, dtype, sd):
        self.backend, self.dtype, self.sd = backend, dtype, sd

    def draw(self, rng, n: int):
        return self.backend.normal(tuple(self.sd.shape), rng, self.dtype) * self.sd

    def logpdf(self, z):
        u = z / self.sd
        return (-0.5 * u * u - self.backend.xp.log(self.sd)).sum(-1) - 0.5 * z.shape[-1] * LOG_2PI


class StateSpaceModel:
    """Base class: Gaussian initial law and transitions; subclasses give μ, g.

    Particles are arrays of ``backend`` in ``dtype`` (a numpy dtype name);
    ``xp`` is the backend's array namespace. ``kernel`` is the code of the
    fused numba kernel for the model (1-D bootstrap filtering, :mod:`.kernels`),
    ``theta`` its parameters; None where the vectorised path is used.
    """

    kernel: int | None = None
    theta: tuple = ()

    def __init__(self, backend, dtype, m0, P0, Q, obs_dim: int = 1):
        self.backend, self.dtype, self.xp = backend, np.dtype(dtype).name, backend.xp
        self.m0 = np.asarray(m0, dtype=np.float64)
        self.dim, self.obs_dim = self.m0.shape[0], obs_dim
        self.init_noise = Noise(backend, self.dtype, P0)
        self.noise = Noise(backend, self.dtype, Q)
        self._m0 = self.asarray(self.m0)

    def asarray(self, x):
        """``x`` as an array of the model's backend and dtype."""
        return self.backend.asarray(x, self.dtype)

    # -- to be given by each model ------------------------------------------------------
    def mean(self, x, t: int):
        """μ(x_{t−1}, t): the transition mean of x_t given x_{t−1} (rows of x)."""
        raise NotImplementedError

    def obs_loglik(self, y, x, t: int):
        """log g_t(y_t | x_t) for each row of x (shape (N,))."""
        raise NotImplementedError

    def sample_obs(self, rng: np.random.Generator, x: np.ndarray, t: int) -> np.ndarray:
        """One observation y_t given one state x_t (numpy, for simulated data)."""
        raise NotImplementedError

    # -- derived --------------------------------------------------------------------------
    def initial(self, rng, n: int):
        """n draws of x_0."""
        return self._m0 + self.init_noise.draw(rng, n)

    def initial_mean(self, n: int):
        """m0 repeated for n particles, shape (n, d): the 'prior mean' of x_0."""
        return self._m0 + self.asarray(np.zeros((n, self.dim)))

    def transition_logpdf(self, x_new, mu, t: int):
        """log f(x_t | x_{t−1}) given the transition means ``mu`` (broadcasting)."""
        noise = self.init_noise if t == 0 else self.noise
        return noise.logpdf(x_new - mu)

    def predictive_loglik(self, mu, y, t: int):
        """Auxiliary weight log η ≈ log p(y_t | x_{t−1}): g at the prior mean
        (Pitt & Shephard 1999); models may do better."""
        return self.obs_loglik(y, mu, t)

    def proposal(self, mu, y, t: int):
        """Guided proposal of x_t: (mean (N, d), noise) given the prior means."""
        raise NotImplementedError

    def simulate(self, rng: np.random.Generator, T: int) -> tuple[np.ndarray, np.ndarray]:
        """True states (T, d) and observations (T, p), drawn in time order (so
        the first T' < T steps do not depend on T)."""
        xs, ys = np.empty((T, self.dim)), np.empty((T, self.obs_dim))
        chol0, chol = np.linalg.cholesky(self.init_noise.cov), np.linalg.cholesky(self.noise.cov)
        x = self.m0 + chol0 @ rng.standard_normal(self.dim)
        for t in range(T):
            if t > 0:
                x = np.asarray(self.mean(x[None], t))[0] + chol @ rng.standard_normal(self.dim)
            xs[t], ys[t] = x, self.sample_obs(rng, x, t)
        return xs, ys


class LinearGaussian(StateSpaceModel):
    """x_t = A x_{t−1} + N(0, Q), y_t = H x_t + N(0, R), x_0 ~ N(m0, P0)."""

    def __init__(self, backend, dtype, A, Q, H, R, m0, P0):
        A, H = np.atleast_2d(np.asarray(A, float)), np.atleast_2d(np.asarray(H, float))
        super().__init__(backend, dtype, m0, P0, Q, obs_dim=H.shape[0])
        self.A, self.H, self.R = A, H, np.atleast_2d(np.asarray(R, float))
        self._At, self._Ht = self.asarray(A.T), self.asarray(H.T)
        self.obs_noise = Noise(backend, self.dtype, self.R)
        # optimal proposal and predictive, given the prior covariance P (P0 at t = 0, else Q)
        self._adapted = {}
        for t0, P in ((True, self.init_noise.cov), (False, self.noise.cov)):
            S = H @ P @ H.T + self.R
            K = P @ H.T @ np.linalg.inv(S)
            self._adapted[t0] = (self.asarray(K.T), Noise(backend, self.dtype, P - K @ S @ K.T),
                                 Noise(backend, self.dtype, S))

    @classmethod
    def from_params(cls, backend, dtype, p):
        if p.kind == "linear_gaussian":
            s0 = p.s0 if p.s0 is not None else p.sigma_x / math.sqrt(1.0 - p.rho ** 2)
            model = cls(backend, dtype, [[p.rho]], [[p.sigma_x ** 2]], [[1.0]], [[p.sigma_y ** 2]], [p.m0],
                        [[s0 ** 2]])
            model.kernel, model.theta = 0, (p.rho, p.sigma_x, p.sigma_y)
            return model
        A, Q = np.asarray(p.A, float), np.asarray(p.Q, float)
        m0 = np.zeros(len(A)) if p.m0 is None else p.m0
        P0 = solve_discrete_lyapunov(A, Q) if p.P0 is None else p.P0
        return cls(backend, dtype, A, Q, p.H, p.R, m0, P0)

    def mean(self, x, t):
        return x @ self._At

    def obs_loglik(self, y, x, t):
        return self.obs_noise.logpdf(self.asarray(y) - x @ self._Ht)

    def sample_obs(self, rng, x, t):
        return self.H @ x + np.linalg.cholesky(self.R) @ rng.standard_normal(self.obs_dim)

    def proposal(self, mu, y, t):
        Kt, noise, _ = self._adapted[t == 0]
        return mu + (self.asarray(y) - mu @ self._Ht) @ Kt, noise

    def predictive_loglik(self, mu, y, t):
        return self._adapted[t == 0][2].logpdf(self.asarray(y) - mu @ self._Ht)


class StochasticVolatility(StateSpaceModel):
    """x_t = μ + φ(x_{t−1} − μ) + σ ε_t, y_t = exp(x_t/2) η_t, stationary x_0."""

    kernel = 1

    def __init__(self, backend, dtype, p):
        super().__init__(backend, dtype, [p.mu], [[p.sigma ** 2 / (1.0 - p.phi ** 2)]], [[p.sigma ** 2]])
        self.theta = (p.mu, p.phi, p.sigma)

    def mean(self, x, t):
        mu, phi, _ = self.theta
        return mu + phi * (x - mu)

    def obs_loglik(self, y, x, t):
        y = float(np.asarray(y).ravel()[0])
        v = x[:, 0]
        return -0.5 * LOG_2PI - 0.5 * v - 0.5 * y * y * self.xp.exp(-v)

    def sample_obs(self, rng, x, t):
        return np.exp(0.5 * x) * rng.standard_normal(1)

    def proposal(self, mu, y, t):
        """N(m + a/(1/P + b), 1/(1/P + b)): the prior N(m, P) times the
        second-order expansion of log g at m, a = (y²e^{−m} − 1)/2, b = y²e^{−m}/2."""
        y = float(np.asarray(y).ravel()[0])
        P = float((self.init_noise if t == 0 else self.noise).cov[0, 0])
        b = 0.5 * y * y * self.xp.exp(-mu)
        precision = 1.0 / P + b
        return mu + (b - 0.5) / precision, DiagonalNoise(self.backend, self.dtype,
                                                         self.xp.sqrt(1.0 / precision))


class Growth(StateSpaceModel):
    """Kitagawa's (1996) nonstationary growth model; see :class:`.params.GrowthParams`."""

    kernel = 2

    def __init__(self, backend, dtype, p):
        super().__init__(backend, dtype, [0.0], [[p.s0 ** 2]], [[p.sigma_x ** 2]])
        self.theta = (p.sigma_x, p.sigma_y)

    def mean(self, x, t):
        return 0.5 * x + 25.0 * x / (1.0 + x * x) + 8.0 * math.cos(1.2 * t)

    def obs_loglik(self, y, x, t):
        sy = self.theta[1]
        z = (float(np.asarray(y).ravel()[0]) - x[:, 0] * x[:, 0] / 20.0) / sy
        return -0.5 * z * z - math.log(sy) - 0.5 * LOG_2PI

    def sample_obs(self, rng, x, t):
        return x * x / 20.0 + self.theta[1] * rng.standard_normal(1)

    def proposal(self, mu, y, t):
        """One extended-Kalman update of the prior N(m, P) with y ≈ m²/20 + (m/10)(x − m)."""
        sy = self.theta[1]
        P = float((self.init_noise if t == 0 else self.noise).cov[0, 0])
        slope = mu / 10.0
        S = slope * slope * P + sy * sy
        gain = P * slope / S
        mean = mu + gain * (float(np.asarray(y).ravel()[0]) - mu * mu / 20.0)
        return mean, DiagonalNoise(self.backend, self.dtype, self.xp.sqrt(P * sy * sy / S))


class Bearings(StateSpaceModel):
    """Bearings-only tracking; state (x, vx, y, vy), bearing atan2(y, x) + N(0, σ²)."""

    def __init__(self, backend, dtype, p):
        dt, q = p.dt, p.sigma_a ** 2
        F = np.kron(np.eye(2), np.array([[1.0, dt], [0.0, 1.0]]))
        Q = np.kron(np.eye(2), q * np.array([[dt ** 3 / 3, dt ** 2 / 2], [dt ** 2 / 2, dt]]))
        super().__init__(backend, dtype, p.m0, np.diag(np.square(p.s0)), Q)
        self.F, self._Ft, self.sigma = F, self.asarray(F.T), p.sigma

    def mean(self, x, t):
        return x @ self._Ft

    def obs_loglik(self, y, x, t):
        xp = self.xp
        r = float(np.asarray(y).ravel()[0]) - xp.atan2(x[:, 2], x[:, 0])
        z = (xp.remainder(r + math.pi, 2.0 * math.pi) - math.pi) / self.sigma
        return -0.5 * z * z - math.log(self.sigma) - 0.5 * LOG_2PI

    def sample_obs(self, rng, x, t):
        return np.array([math.atan2(x[2], x[0]) + self.sigma * rng.standard_normal()])


class Neutral(StateSpaceModel):
    """A Gaussian random walk observed through nothing (log g = 0)."""

    kernel = 3

    def __init__(self, backend, dtype, p):
        super().__init__(backend, dtype, [0.0], [[1.0]], [[p.sigma_x ** 2]])
        self.theta = (p.sigma_x,)

    def mean(self, x, t):
        return x

    def obs_loglik(self, y, x, t):
        return x[:, 0] * 0.0

    def sample_obs(self, rng, x, t):
        return np.zeros(1)


def build_model(params, backend, dtype: str = "float64") -> StateSpaceModel:
    """The model described by a model-parameters object (``params.model``), on
    ``backend``'s arrays of ``dtype``."""
    kind = params.kind
    if kind in ("linear_gaussian", "linear_gaussian_mv"):
        return LinearGaussian.from_params(backend, dtype, params)
    cls = {"stochastic_volatility": StochasticVolatility, "growth": Growth,
           "bearings": Bearings, "neutral": Neutral}[kind]
    return cls(backend, dtype, params)
