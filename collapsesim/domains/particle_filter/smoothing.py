"""Smoothers: what users reach for against path degeneracy.

The filter's own paths (the genealogy) estimate p(x_{0:T} | y_{0:T}) badly
for early times: after O(N) steps every particle descends from one ancestor
(Jacob, Murray & Rubenthaler 2015; Koskela et al. 2020). Three remedies:

* the filter's own paths (:func:`genealogy_paths`) — what the three improve on;
* **FFBSi** — forward filtering, backward simulation (Godsill, Doucet & West
  2004): keep every (x_t, W_t); draw x_T from W_T, then x_t with probability
  ∝ W_t^i f(x_{t+1} | x_t^i), backwards. O(N·M·T) for M trajectories.
* **Fixed-lag** smoothing (Kitagawa 1996; Olsson et al. 2008): estimate
  x_{t−L} from y_{0:t} by the current particles' ancestors L steps back — a
  lag short enough that the genealogy has not collapsed yet, at the price of
  a bias that falls with L.
* **Conditional SMC with ancestor sampling** (particle Gibbs with ancestor
  sampling, PGAS; Lindsten, Jordan & Schön 2014): a Markov chain on
  trajectories; each sweep runs a bootstrap filter with the previous
  trajectory kept as particle N, whose ancestor is re-drawn with probability
  ∝ W_{t−1}^i f(x*_t | x_{t−1}^i). Without ancestor sampling (plain cSMC,
  Andrieu, Doucet & Holenstein 2010) the early states of the trajectory
  rarely change: the chain inherits path degeneracy.

All three run on the host (numpy) with a numpy model (:mod:`.models`); their
categorical draws (one index per row of log-weights, by the inverse CDF) are
the engine's ``categorical`` operator on the numpy backend.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ...engine.backends import get_backend

_HOST = get_backend("numpy")


def _categorical(logw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of log-weights (..., N): the engine's ``categorical``."""
    return _HOST.op("categorical")(logw, rng)


# -- FFBSi -----------------------------------------------------------------------------------
class History:
    """Listener of :class:`~.smc.SMC`: every time step's particles, log-weights
    and ancestors (None for a step without resampling)."""

    def __init__(self):
        self.x: list[np.ndarray] = []
        self.lw: list[np.ndarray] = []
        self.ancestors: list[np.ndarray | None] = []

    def __call__(self, smc) -> None:
        self.x.append(smc.states())
        self.lw.append(np.array(smc.backend.to_numpy(smc.lw), dtype=np.float64))
        self.ancestors.append(smc.ancestors)


def genealogy_paths(history: History) -> np.ndarray:
    """The final particles' own paths (N, T, d), read back through the
    ancestors: the filter's smoothing estimate, degenerate far back."""
    T = len(history.x)
    idx = np.arange(history.x[-1].shape[0])
    paths = np.empty((idx.shape[0], T, history.x[0].shape[1]))
    for t in range(T - 1, -1, -1):
        paths[:, t] = history.x[t][idx]
        a = history.ancestors[t]
        if t > 0 and a is not None:
            idx = a[idx]
    return paths


def ffbsi(model, history: History, M: int, rng: np.random.Generator):
    """M backward trajectories (M, T, d) and the index of each one's time-0
    particle (M,)."""
    xs, lws = history.x, history.lw
    T = len(xs)
    idx = _categorical(np.broadcast_to(lws[-1], (M, lws[-1].shape[0])), rng)
    paths = np.empty((M, T, xs[0].shape[1]))
    paths[:, -1] = xs[-1][idx]
    for t in range(T - 2, -1, -1):
        mu = np.asarray(model.mean(xs[t], t + 1))
        logf = model.transition_logpdf(paths[:, t + 1][:, None, :], mu[None, :, :], t + 1)
        idx = _categorical(lws[t][None, :] + logf, rng)
        paths[:, t] = xs[t][idx]
    return paths, idx


# -- fixed lag -------------------------------------------------------------------------------
class FixedLag:
    """Listener of :class:`~.smc.SMC` keeping the last L+1 particle sets and L
    ancestor vectors; :meth:`estimate` is E[x_{t−L} | y_{0:t}] by the ancestors."""

    def __init__(self, lag: int):
        self.lag = lag
        self.x: deque = deque(maxlen=lag + 1)
        self.ancestors: deque = deque(maxlen=lag)

    def __call__(self, smc) -> None:
        self.x.append(smc.states())
        if smc.t > 0:
            self.ancestors.append(smc.ancestors)

    def estimate(self, W: np.ndarray) -> np.ndarray | None:
        """Σ_i W_t^i x_{t−L}^{(i)} (d,), or None before time L."""
        if len(self.x) <= self.lag:
            return None
        idx = np.arange(W.shape[0])
        for a in reversed(self.ancestors):
            if a is not None:
                idx = a[idx]
        return W @ self.x[0][idx]


# -- conditional SMC with ancestor sampling ------------------------------------------------------
def csmc_sweep(model, y, N: int, rng: np.random.Generator, reference=None,
               ancestor_sampling: bool = True) -> np.ndarray:
    """One sweep of (conditional) SMC with multinomial resampling; returns a
    trajectory (T, d) drawn from the final weights. ``reference`` None: an
    ordinary bootstrap filter (the chain's first state)."""
    resample = _HOST.resample
    T = y.shape[0]
    xs = np.empty((T, N, model.dim))
    anc = np.zeros((T, N), dtype=np.int64)
    x = model.initial(rng, N)
    if reference is not None:
        x[-1] = reference[0]
    lw = model.obs_loglik(y[0], x, 0)
    xs[0] = x
    for t in range(1, T):
        W = np.exp(lw - lw.max())
        W /= W.sum()
        if reference is None:
            a = resample(W, N, "multinomial", rng)
        else:
            a = np.empty(N, dtype=np.int64)
            a[:-1] = resample(W, N - 1, "multinomial", rng)
            if ancestor_sampling:
                logf = model.transition_logpdf(reference[t][None, :], model.mean(x, t), t)
                a[-1] = _categorical(lw + logf, rng)
            else:
                a[-1] = N - 1
        x = model.mean(x[a], t) + model.noise.draw(rng, N)
        if reference is not None:
            x[-1] = reference[t]
        lw = model.obs_loglik(y[t], x, t)
        xs[t], anc[t] = x, a
    b = int(_categorical(lw, rng))
    path = np.empty((T, model.dim))
    for t in range(T - 1, -1, -1):
        path[t] = xs[t, b]
        b = anc[t, b]
    return path


def pgas(model, y, N: int, sweeps: int, rng: np.random.Generator,
         ancestor_sampling: bool = True) -> np.ndarray:
    """The particle Gibbs chain: ``sweeps`` trajectories (sweeps, T, d), the
    first from an unconditional filter."""
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    out = np.empty((sweeps, y.shape[0], model.dim))
    ref = None
    for k in range(sweeps):
        ref = out[k] = csmc_sweep(model, y, N, rng, ref, ancestor_sampling)
    return out


def update_rates(chain: np.ndarray) -> np.ndarray:
    """Per time step, the fraction of sweeps in which the trajectory's state changed."""
    return np.any(chain[1:] != chain[:-1], axis=-1).mean(axis=0)
