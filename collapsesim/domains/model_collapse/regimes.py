"""Data regimes of the ``model_collapse`` domain: what generation t trains on.

Generation 0 trains on n real samples. Generation t ≥ 1 (model t − 1 fitted):

* ``replace``: n samples of model t − 1 (Shumailov et al. 2024);
* ``accumulate``: the real data and every generation's n samples so far,
  equally weighted (Gerstgrasser et al. 2024);
* ``fresh``: m = round(λn) fresh real samples and n − m samples of model t − 1
  (for regression: the real labels on design rows 0 … m − 1 and the model's on
  rows m … n − 1, so the design stays the replicate's n rows);
* ``weighted``: ``real_n`` fresh real samples of total weight w and n samples of
  model t − 1 of total weight 1 − w (He, Xu & Cheng 2025);
* ``curation``: of ⌈n/(1 − threshold)⌉ samples of model t − 1, the n with the
  largest verifier score (real or model log-density), in their drawn order.

Each step returns the training set (R, N, …), its weights (R, N) or None, and
"the generation's samples": the n samples model t − 1 produced at this step
(the real data at step 0), which the headline series counts.
"""

from __future__ import annotations

import math

import numpy as np

from .cells import Draws, host


def real_weight(regime, n: int) -> float:
    """The weighted regime's w: the number, or the optimum
    (√(1 + 4k) − 1)/(2k) for k = n/real_n (:func:`.theory.optimal_real_weight`)."""
    if regime.real_weight != "optimal":
        return float(regime.real_weight)
    k = n / regime.real_n
    return (math.sqrt(1.0 + 4.0 * k) - 1.0) / (2.0 * k)


class DataRegime:
    """The data regime ``params.regime`` for ``model`` on ``real``."""

    def __init__(self, params, real, model, backend):
        self.regime, self.n = params.regime, params.n
        self.real, self.model, self.backend = real, model, backend
        self.pool = None

    def _model_sample(self, n: int, draws: Draws) -> np.ndarray:
        return host(self.backend, self.model.sample(n, draws))

    def initial(self, draws: Draws):
        """Generation 0: n real samples."""
        x = self.real.sample(self.n, draws)
        if self.regime.kind == "accumulate":
            self.pool = x
        return x, None, x

    def next(self, draws: Draws):
        """The training set of the next generation (module docstring)."""
        g, n = self.regime, self.n
        if g.kind == "replace":
            x = self._model_sample(n, draws)
            return x, None, x
        if g.kind == "accumulate":
            x = self._model_sample(n, draws)
            self.pool = np.concatenate([self.pool, x], 1)
            return self.pool, None, x
        if g.kind == "fresh":
            m = round(g.lam * n)
            real = self.real.sample(n, draws)
            x = self._model_sample(n, draws)
            return np.concatenate([real[:, :m], x[:, m:]], 1), None, x
        if g.kind == "weighted":
            real = self.real.sample(g.real_n, draws)
            x = self._model_sample(n, draws)
            w = real_weight(g, n)
            R = x.shape[0]
            weights = np.concatenate([np.full((R, g.real_n), w / g.real_n),
                                      np.full((R, n), (1.0 - w) / n)], 1)
            return np.concatenate([real, x], 1), weights, x
        m = math.ceil(n / (1.0 - g.threshold))
        cand = self._model_sample(m, draws)
        score = self.real.logpdf(cand) if g.verifier == "real" else self.model.logpdf(cand)
        keep = np.sort(np.argsort(-score, -1, kind="stable")[:, :n], -1)
        idx = keep.reshape(keep.shape + (1,) * (cand.ndim - 2))
        x = np.take_along_axis(cand, idx, 1)
        return x, None, x
