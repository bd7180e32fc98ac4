"""A batch of independent CMA-ES instances (Hansen & Ostermeier 2001; the
parameter settings and update of Hansen's 2016 tutorial, arXiv:1604.00772),
stepped together: K instances in dimension D, each sampling λ points per
generation, as arrays ``(K, …)`` on numpy or torch — the local searchers of
:mod:`.nbc`. Maximises.

Per instance and generation: y_i = B·diag(d)·z_i, x_i = m + σ·y_i (samples
outside the box are clipped and y recomputed from the clipped point), then
m ← m + σ Σ w_i y_{i:λ}; cumulative step-size adaptation of σ with path p_σ;
rank-one (path p_c, with the h_σ stall) and rank-μ updates of C; C = B d² Bᵀ
re-decomposed every generation (D is small).
"""

from __future__ import annotations

import math

import numpy as np


def transposed(backend, a):
    """Swap the last two axes."""
    return backend.xp.swapaxes(a, -1, -2)


class CMABatch:
    """K CMA-ES instances on ``backend``'s arrays; :meth:`start` places them."""

    def __init__(self, dim: int, backend, lam: int | None = None):
        self.backend = backend
        self.dim = dim
        self.lam = lam or 4 + int(3 * math.log(dim))
        self.mu = self.lam // 2
        w = math.log(self.mu + 0.5) - np.log(np.arange(1, self.mu + 1))
        self.weights = w / w.sum()
        self.mueff = 1.0 / float((self.weights ** 2).sum())
        n, me = dim, self.mueff
        self.cs = (me + 2) / (n + me + 5)
        self.ds = 1 + 2 * max(0.0, math.sqrt((me - 1) / (n + 1)) - 1) + self.cs
        self.cc = (4 + me / n) / (n + 4 + 2 * me / n)
        self.c1 = 2 / ((n + 1.3) ** 2 + me)
        self.cmu = min(1 - self.c1, 2 * (me - 2 + 1 / me) / ((n + 2) ** 2 + me))
        self.chi = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
        self.size = 0

    def start(self, means, sigmas, fitness) -> None:
        """Instances at ``means`` (K, D), whose fitness is ``fitness`` (K,), with step
        sizes ``sigmas`` (K,), replacing any running ones."""
        k = means.shape[0]
        eye = self.backend.asarray(np.eye(self.dim))
        self.mean, self.sigma = means, sigmas
        self.C = means[:, :, None] * 0.0 + eye[None]
        self.B = self.C * 1.0
        self.d = means * 0.0 + 1.0
        self.ps, self.pc = means * 0.0, means * 0.0
        self.gen = sigmas * 0.0
        self.best_x = means * 1.0
        self.best_f = fitness * 1.0
        self.since_best = sigmas * 0.0
        self.size = k

    def keep(self, mask) -> None:
        """Drop the instances where ``mask`` is false."""
        for name in ("mean", "sigma", "C", "B", "d", "ps", "pc", "gen", "best_x", "best_f", "since_best"):
            setattr(self, name, getattr(self, name)[mask])
        self.size = int(self.mean.shape[0])

    def ask(self, rng, k: int):
        """λ samples of the first ``k`` instances: ``(k, λ, D)`` (before clipping),
        from standard normals ``(k, λ, D)`` of the backend generator ``rng``."""
        z = self.backend.normal((k, self.lam, self.dim), rng)
        y = (z * self.d[:k, None, :]) @ transposed(self.backend, self.B[:k])
        return self.mean[:k, None, :] + self.sigma[:k, None, None] * y

    def tell(self, x, f) -> None:
        """Update the first ``x.shape[0]`` instances with (clipped) samples ``x`` and fitness ``f``."""
        be, xp = self.backend, self.backend.xp
        k = x.shape[0]
        m, sigma = self.mean[:k], self.sigma[:k]
        order = be.argsort(f, descending=True)[:, : self.mu]
        y = (be.take(x, order) - m[:, None, :]) / sigma[:, None, None]          # (k, μ, D)
        w = be.asarray(self.weights)
        yw = (w[None, :, None] * y).sum(1)
        B, d = self.B[:k], self.d[:k]
        inv_sqrt = ((yw[:, None, :] @ B) / d[:, None, :]) @ transposed(be, B)                # C^{-1/2} y_w
        ps = (1 - self.cs) * self.ps[:k] + math.sqrt(self.cs * (2 - self.cs) * self.mueff) * inv_sqrt[:, 0]
        gen = self.gen[:k] + 1
        ps_norm = (ps * ps).sum(-1) ** 0.5
        hs = (ps_norm / (1 - (1 - self.cs) ** (2 * gen)) ** 0.5
              < (1.4 + 2 / (self.dim + 1)) * self.chi) * 1.0
        pc = (1 - self.cc) * self.pc[:k] + hs[:, None] * math.sqrt(self.cc * (2 - self.cc) * self.mueff) * yw
        rank_one = pc[:, :, None] * pc[:, None, :]
        rank_mu = transposed(be, w[None, :, None] * y) @ y
        C = self.C[:k]
        C = ((1 - self.c1 - self.cmu) * C
             + self.c1 * (rank_one + ((1 - hs) * self.cc * (2 - self.cc))[:, None, None] * C)
             + self.cmu * rank_mu)
        C = 0.5 * (C + transposed(be, C))
        evals, vecs = xp.linalg.eigh(C)
        d_new = xp.maximum(evals, evals * 0.0 + 1e-300) ** 0.5
        sigma_new = sigma * xp.exp((self.cs / self.ds) * (ps_norm / self.chi - 1))
        best = xp.amax(f, -1)
        arg = be.argsort(f, descending=True)[:, :1]
        improved = best > self.best_f[:k]
        updates = {
            "mean": m + sigma[:, None] * yw, "sigma": sigma_new, "C": C, "B": vecs, "d": d_new,
            "ps": ps, "pc": pc, "gen": gen,
            "best_x": xp.where(improved[:, None], be.take(x, arg)[:, 0], self.best_x[:k]),
            "best_f": xp.where(improved, best, self.best_f[:k]),
            "since_best": xp.where(improved, self.since_best[:k] * 0.0, self.since_best[:k] + 1),
        }
        for name, value in updates.items():
            old = getattr(self, name)
            setattr(self, name, be.concatenate([value, old[k:]], 0) if k < self.size else value)

    def spread(self):
        """σ·max √eig(C) per instance: the scale of the current search distribution."""
        return self.sigma * self.backend.xp.amax(self.d, -1)
