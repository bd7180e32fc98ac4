"""Discrete models of the ``model_collapse`` domain: the categorical (unigram)
model and the order-k Markov (n-gram) model, R replicates batched.

**Categorical** (Shumailov et al. 2024, *Nature* 631:755, §"discrete
distributions"): the fitted model is the (weighted) token frequencies
p̂_v = Σ_i ω_i [x_i = v] / Σ_i ω_i of the training set. With n samples per
generation, temperature 1 and no truncation, the next generation's counts are
Multinomial(n, p̂): neutral Wright–Fisher drift with N = n, whose exact chain
is :func:`collapsesim.theory.transition_matrix` (see :mod:`.theory`).

**Markov / n-gram** (the toy language model): the fitted model is the
maximum-likelihood order-k chain — the first k tokens' context frequencies
π̂(c) and the next-token frequencies P̂(c, x) = N(c, x)/N(c) of every
position's (k+1)-gram; a context never followed by a token in the training
set (N(c) = 0) continues with the training set's unigram frequencies.

**Sampling** (both): temperature T — probabilities ∝ p^{1/T} — then top-k
(the k most probable tokens, ties to the lower index) and top-p (the most
probable tokens until their mass reaches p: a token is kept if the mass of
the tokens before it in decreasing order is < p), renormalised
(Holtzman et al. 2020). Draws are inverse-CDF on uniforms.
"""

from __future__ import annotations

import numpy as np

from ...metrics.diversity import counts_rows
from .cells import Draws, categorical_draw, ngrams, sample_chain


def sharpen(p: np.ndarray, temperature: float, top_k: int, top_p: float) -> np.ndarray:
    """The sampling distribution of probabilities ``p`` (…, V) (module docstring)."""
    q = p
    if temperature != 1.0:
        with np.errstate(divide="ignore"):
            logq = np.log(p) / temperature
        logq -= logq.max(-1, keepdims=True)
        q = np.exp(logq)
    q = q / q.sum(-1, keepdims=True)
    if top_k or top_p < 1.0:
        order = np.argsort(-q, -1, kind="stable")
        sq = np.take_along_axis(q, order, -1)
        keep = np.ones_like(sq, dtype=bool)
        if top_k:
            keep[..., top_k:] = False
        if top_p < 1.0:
            before = np.cumsum(sq, -1) - sq
            keep &= before < top_p
        mask = np.zeros_like(keep)
        np.put_along_axis(mask, order, keep, -1)
        q = np.where(mask, q, 0.0)
        q = q / q.sum(-1, keepdims=True)
    return q


class CategoricalModel:
    """R unigram models over V tokens (module docstring). After :meth:`fit`,
    ``probs`` (R, V) are the fitted frequencies."""

    kind = "categorical"

    def __init__(self, params, backend, real, rng=None):
        self.params, self.backend, self.real = params, backend, real
        self.V = real.C
        self.probs = None

    def fit(self, data: np.ndarray, weights: np.ndarray | None = None) -> None:
        c = counts_rows(data, self.V, weights)
        self.probs = c / c.sum(-1, keepdims=True)

    def sampling_probs(self) -> np.ndarray:
        p = self.params
        return sharpen(self.probs, p.temperature, p.top_k, p.top_p)

    def sample(self, n: int, rng: Draws) -> np.ndarray:
        """(R, n) tokens from the sampling distribution (uniforms (R, n))."""
        return categorical_draw(self.sampling_probs(), rng.uniform((rng.R, n)))

    def logpdf(self, data: np.ndarray) -> np.ndarray:
        """(R, n) log of the fitted probability of each token."""
        with np.errstate(divide="ignore"):
            return np.log(np.take_along_axis(self.probs, data, -1))

    def loglik(self, data: np.ndarray) -> np.ndarray:
        return self.logpdf(data).mean(-1)

    def fitted_cells(self) -> np.ndarray:
        """(R, V) fitted mass of each real cell (token)."""
        return self.probs


class MarkovModel:
    """R order-k chains over V tokens (module docstring). After :meth:`fit`:
    ``pi`` (R, V^k) context frequencies of the sequences' first k tokens,
    ``P`` (R, V^k, V) next-token frequencies."""

    kind = "markov"

    def __init__(self, params, backend, real, rng=None):
        self.params, self.backend, self.real = params, backend, real
        self.V, self.k, self.L = params.V, params.order, params.length
        self.Cctx = self.V ** self.k
        self.pi = self.P = None

    def fit(self, data: np.ndarray, weights: np.ndarray | None = None) -> None:
        R, n, _L = data.shape
        V, k = self.V, self.k
        w = np.ones((R, n)) if weights is None else np.asarray(weights, float)
        first = ngrams(data[..., :k], V, k)[..., 0]
        c0 = counts_rows(first, self.Cctx, w)
        self.pi = c0 / c0.sum(-1, keepdims=True)
        grams = ngrams(data, V, k + 1)                              # (R, n, L − k)
        wg = np.broadcast_to(w[..., None], grams.shape)
        N = counts_rows(grams, self.Cctx * V, wg).reshape(R, self.Cctx, V)
        uni = counts_rows(data, V, np.broadcast_to(w[..., None], data.shape))
        uni = uni / uni.sum(-1, keepdims=True)
        tot = N.sum(-1, keepdims=True)
        self.P = np.where(tot > 0, N / np.where(tot > 0, tot, 1.0), uni[:, None, :])

    def sample(self, n: int, rng: Draws) -> np.ndarray:
        p = self.params
        return sample_chain(sharpen(self.pi, p.temperature, 0, 1.0) if p.temperature != 1.0
                            else self.pi,
                            sharpen(self.P, p.temperature, p.top_k, p.top_p),
                            self.V, self.k, self.L, n, rng)

    def logpdf(self, data: np.ndarray) -> np.ndarray:
        """(R, n) log-probability of each sequence under the fitted chain."""
        R = data.shape[0]
        r = np.arange(R)[:, None]
        with np.errstate(divide="ignore"):
            first = np.log(self.pi[r, ngrams(data[..., :self.k], self.V, self.k)[..., 0]])
            g = ngrams(data, self.V, self.k + 1)
            steps = np.log(self.P.reshape(R, -1)[r[..., None], g])
        return first + steps.sum(-1)

    def loglik(self, data: np.ndarray) -> np.ndarray:
        return self.logpdf(data).mean(-1)

    def fitted_cells(self) -> np.ndarray:
        """(R, V^{k+1}) fitted mass of each (k+1)-gram: the fitted chain's
        next-token probabilities weighted by the real stationary contexts."""
        return (self.real.pi[None, :, None] * self.P).reshape(self.P.shape[0], -1)
