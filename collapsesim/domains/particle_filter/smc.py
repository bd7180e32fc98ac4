"""The particle filter: one pass over the data, one time step per ``step()``.

A step from time t−1 to t (Chopin & Papaspiliopoulos 2020, Alg. 10.1–10.3):

1. **resample** the particles of t−1 — every step, or adaptively when
   ESS = 1/ΣW² < ``ess_threshold``·N (Kong, Liu & Wong 1994; Del Moral, Doucet &
   Jasra 2012) — with one of the engine's schemes (multinomial; residual,
   stratified and systematic, Douc & Cappé 2005; systematic is Kitagawa 1996's);
   the auxiliary filter (Pitt & Shephard 1999) resamples on W_{t−1}·η, η an
   approximation of p(y_t | x_{t−1}). Then the optional remedies (resample-move,
   roughening; :mod:`.remedies`);
2. **propagate** with the transition (bootstrap; Gordon, Salmond & Smith 1993)
   or the model's Gaussian proposal q (guided, auxiliary);
3. **weight**: log w_t = log(prior weight) + log g(y_t | x_t)
   [+ log f(x_t | x_{t−1}) − log q(x_t) − log η], normalised by log-sum-exp,
   whose value is the log-likelihood increment log p̂(y_t | y_{0:t−1}).

So after ``step()`` the particles and weights of time t are *before*
resampling — what ``observe()`` reports (the weights series sees the step's
own weights) — and the resampling that they call for happens at the start of
the next step. ``resampled`` and ``merger_probability`` describe the
resampling done at the start of *this* step (from time t−1's weights).

Log-weights and every resampling CDF are float64, whatever the particles'
dtype. The ancestry is kept by the engine's :class:`Genealogy` (path storage,
Jacob, Murray & Rubenthaler 2015): one generation per time step (identity
parents on a step without resampling).

The bootstrap propagation and the normalisation are the domain operators
``particle_filter.propagate`` and ``particle_filter.normalise`` of
:mod:`.kernels` (the numba backend runs them as fused kernels), dispatched by
``backend.op``.
"""

from __future__ import annotations

import math

import numpy as np

from ...engine.genealogy import Genealogy
from ..base import DivergenceError
from . import kernels  # also registers the particle_filter.* operators
from .remedies import resample_move, roughen


class SMC:
    """A particle filter on ``model`` (:mod:`.models`) and observations ``y`` (T, p).

    State after time t: particles ``x`` (N, d), normalised log-weights ``lw``,
    resampling weights ``W = exp(lw − max lw)`` (largest 1: equal weights are
    exactly 1, so the low-variance schemes are exactly the identity on them),
    ``ess`` = (ΣW)²/ΣW², ``loglik``.

    ``resampler(weights, n, scheme, rng)`` defaults to the backend's ``resample``;
    the float32 pitfall study passes its own. ``listeners`` are called as
    ``listener(smc)`` after time 0 and after every step (the smoothers keep
    what they need). Bootstrap steps and the normalisation run through the
    operators of :mod:`.kernels` (fused numba kernels, in reused buffers, for
    float64 particles of a 1-D model).
    """

    def __init__(self, model, y, N: int, backend, rng, *, filter: str = "bootstrap",
                 scheme: str = "systematic", adaptive: bool = False, ess_threshold: float = 0.5,
                 moves: int = 0, move_scale: float = 1.0, roughening: float = 0.0,
                 resampler=None, listeners=(), genealogy: bool = True):
        self.model, self.backend, self.rng = model, backend, rng
        self.y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        self.N, self.filter, self.scheme = int(N), filter, scheme
        self.adaptive, self.ess_threshold = adaptive, ess_threshold
        self.moves, self.move_scale, self.roughening = moves, move_scale, roughening
        self.resampler = resampler or backend.resample
        self.listeners = list(listeners)
        self._propagate = backend.op("particle_filter.propagate")
        self._normalise = backend.op("particle_filter.normalise")
        self._workspace: dict = {}  # the operators' reused buffers
        self.genealogy = Genealogy(self.N) if genealogy else None
        self.loglik = 0.0
        self._ancestors = None  # parents (backend array) of the last step; None: not resampled
        self._ancestors_host = None
        self._identity = backend.arange(self.N)  # the genealogy's parents without resampling
        self.resampled, self.merger_probability, self.move_acceptance = False, 0.0, math.nan
        self.t = 0
        self._start()

    @property
    def T(self) -> int:
        return self.y.shape[0]

    # -- time 0 ------------------------------------------------------------------------------
    def _start(self) -> None:
        m, N = self.model, self.N
        y = self.y[0]
        if self.filter == "bootstrap":
            self.x = m.initial(self.rng, N)
            inc = m.obs_loglik(y, self.x, 0)
        else:
            mu = m.initial_mean(N)
            mean, noise = m.proposal(mu, y, 0)
            self.x = mean + noise.draw(self.rng, N)
            inc = (m.transition_logpdf(self.x, mu, 0) + m.obs_loglik(y, self.x, 0)
                   - noise.logpdf(self.x - mean))
        self.x_prev = None
        self._weigh(self.backend.asarray(inc, "float64") - math.log(N))
        self._notify()

    # -- one step -------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance from time t to t+1 (resample, propagate, weigh)."""
        t = self.t + 1
        if t >= self.T:
            raise IndexError(f"no observation left: the data have {self.T} time steps")
        be, m, N, y = self.backend, self.model, self.N, self.y[t]
        aux = self.filter == "auxiliary"
        mu = leta = None
        if aux:  # first-stage weights W_{t−1}·η
            mu = m.mean(self.x, t)
            leta = be.asarray(m.predictive_loglik(mu, y, t), "float64")
            Wa, c, ess = self._scaled(self.lw + leta)
        else:
            Wa, c, ess = self.W, 0.0, self.ess
        self.resampled = not self.adaptive or ess < self.ess_threshold * N
        x, gather, ancestors = self.x, None, None
        bootstrap = self.filter == "bootstrap"
        if self.resampled:
            ancestors = self.resampler(Wa, N, self.scheme, self.rng)
            self.merger_probability = 1.0 / ess
            base = c - math.log(N)
            if bootstrap and not (self.moves or self.roughening):
                gather = ancestors  # the propagation gathers
            else:
                x = self._rejuvenate(x[ancestors], ancestors)
                if aux:
                    mu, base = mu[ancestors], base - leta[ancestors]
        else:
            self.merger_probability, base = 0.0, self.lw
        if bootstrap:
            x_new, lw = self._propagate(m, x, gather, base, y, t, self.rng, self._workspace)
        else:
            with np.errstate(over="ignore"):  # an impossible y: log-weight −inf, caught below
                x_new, lw = self._guided_step(x, mu, base, y, t)
        self.x_prev = x if self.moves else None
        self.x, self.t = x_new, t
        self._weigh(lw)
        self._ancestors, self._ancestors_host = ancestors, None
        if self.genealogy is not None:  # a torch tensor stays on its device (see Genealogy)
            self.genealogy.update(self._identity if ancestors is None else ancestors)
        self._notify()

    @property
    def ancestors(self) -> np.ndarray | None:
        """Parents (host int64) of the last step's particles; None: not resampled.
        Read on demand (the smoothers' listeners), so the step itself moves nothing
        to the host."""
        if self._ancestors is not None and self._ancestors_host is None:
            self._ancestors_host = np.asarray(self.backend.to_numpy(self._ancestors), dtype=np.int64)
        return self._ancestors_host

    def _rejuvenate(self, x, ancestors):
        """The remedies, on the particles of time t just resampled."""
        if self.moves:
            parents = None if self.x_prev is None else self.x_prev[ancestors]
            x, self.move_acceptance = resample_move(self.model, x, parents, self.y[self.t],
                                                    self.t, self.rng, self.moves, self.move_scale)
        if self.roughening:
            x = roughen(self.model, x, self.rng, self.roughening)
        return x

    def _guided_step(self, x, mu, base, y, t):
        """Propagate by the model's proposal q and weigh by f·g/q (guided, auxiliary)."""
        m = self.model
        if mu is None:
            mu = m.mean(x, t)
        mean, noise = m.proposal(mu, y, t)
        x_new = mean + noise.draw(self.rng, self.N)
        inc = (m.transition_logpdf(x_new, mu, t) + m.obs_loglik(y, x_new, t)
               - noise.logpdf(x_new - mean))
        return x_new, base + self.backend.asarray(inc, "float64")

    # -- weights ------------------------------------------------------------------------------
    def _scaled(self, lw):
        """(exp(lw − max lw), log Σ exp(lw), (ΣW)²/ΣW²) on the backend's arrays; the
        three sums reach the host in one read."""
        W, m, s, sq = kernels.scaled_sums(self.backend.xp, lw)
        if not math.isfinite(m):
            return None, m, 0.0
        return W, m + math.log(s), s * s / sq

    def _weigh(self, lw) -> None:
        """Normalise the log-weights; the log-sum-exp is the log-likelihood increment."""
        lw, W, ell, ess = self._normalise(lw, self._workspace)
        if math.isnan(ell):
            raise DivergenceError(f"importance weights became NaN at time {self.t}")
        if not math.isfinite(ell):
            raise DivergenceError(f"all importance weights are zero at time {self.t} "
                                  "(the observation is impossible under every particle)")
        self.lw, self.W, self.ess = lw, W, ess
        self.loglik_increment = ell
        self.loglik += ell

    def _notify(self) -> None:
        for listener in self.listeners:
            listener(self)

    # -- summaries -----------------------------------------------------------------------------
    def weights(self) -> np.ndarray:
        """Normalised weights of the current particles (a host float64 copy)."""
        W = np.array(self.backend.to_numpy(self.W), dtype=np.float64)
        return W / W.sum()

    def states(self) -> np.ndarray:
        """Current particles (a host float64 copy), (N, d)."""
        return np.array(self.backend.to_numpy(self.x), dtype=np.float64)
