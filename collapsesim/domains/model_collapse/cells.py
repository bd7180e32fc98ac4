"""The real distributions of the ``model_collapse`` domain, their cells, and
the replicate-wise random draws.

**Draws.** R replicates run as one array program, but each replicate draws
from its own generator, so that a replicate re-run alone gives the numbers it
gave inside the run: :class:`Draws` is one named stream of the R replicates,
the engine's :class:`~collapsesim.engine.RowGenerators` (``backend.row_rngs``)
with the backend that draws from them — shapes start with R, row r is drawn
from replicate r's generator. :meth:`Draws.pooled` is one generator for all R
rows (fast studies; not reproducible replicate by replicate). Draws come back
on the host (numpy, float64); the model arithmetic of this domain is host
numpy, the backend supplies the random numbers (as in ``drift``).

**Real distributions and cells.** Each ``Real`` has ``sample(n, draws)`` →
(R, n, …) and a partition into cells: ``assign(data)`` → (R, n) cell index,
``reference`` → (C,) real mass of each cell. The headline series of the
domain counts a generation's samples over these cells:

* tokens (categorical; C = V) and (k+1)-grams (Markov; C = V^{k+1}, mass the
  stationary frequency π(c)·P(c, x));
* continuous, 1-D: C equal-real-mass quantile bins (edges F⁻¹(i/C));
  d-D: the C cells of a k-means partition (Lloyd, 30 iterations, from a real
  sample of ``real_seed``) with masses estimated on 200 000 real samples;
* mixtures: the real components (a sample goes to the component of largest
  posterior);
* regression: equal-real-mass bins of the label y (real y ~ N(0, ‖w*‖² + σ²)).

The fixed pieces (Markov chain, k-means centres, held-out set) come from
``real_seed`` and are the same for every replicate.
"""

from __future__ import annotations

import math

import numpy as np

from ...engine.replicates import RowGenerators

# -- draws -------------------------------------------------------------------------------


class Draws:
    """The draws of one named stream of a run's R replicates, on the host as
    float64 arrays whose shape starts with R. ``rng`` is the engine's
    :class:`~collapsesim.engine.RowGenerators` (``backend.row_rngs``: row r from
    replicate r's own generator), or one generator for all R rows
    (:meth:`pooled`). The backend's draws accept either as their ``rng``, so the
    fitted models take ``draws.rng`` itself."""

    def __init__(self, backend, rng, R: int | None = None):
        self.backend, self.rng = backend, rng
        if isinstance(rng, RowGenerators):
            if R is not None and R != len(rng):
                raise ValueError(f"Draws: {len(rng)} generator rows, but R = {R}")
            R = len(rng)
        elif R is None:
            raise ValueError("Draws: give R with one pooled generator")
        self.R = int(R)

    @classmethod
    def pooled(cls, backend, gen, R: int) -> Draws:
        """One generator for all R rows (draws of shape (R, …) in one call;
        statistical studies, not reproducible replicate by replicate)."""
        return cls(backend, gen, R)

    def uniform(self, shape) -> np.ndarray:
        """Uniforms on [0, 1) of ``shape`` (R, …)."""
        return host(self.backend, self.backend.uniform(tuple(shape), self.rng)).astype(
            np.float64, copy=False)

    def normal(self, shape) -> np.ndarray:
        """Standard normals of ``shape`` (R, …)."""
        return host(self.backend, self.backend.normal(tuple(shape), self.rng)).astype(
            np.float64, copy=False)


def generators(rng):
    """What the backend draws from for ``rng``: a :class:`Draws` stream's
    generators, or ``rng`` itself (a generator, or the replicates' generators)."""
    return rng.rng if isinstance(rng, Draws) else rng


def host(backend, x) -> np.ndarray:
    """``x`` (a backend array or numpy) as a float64-or-int numpy array."""
    return np.asarray(backend.to_numpy(x)) if not isinstance(x, np.ndarray) else x


def categorical_draw(probs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draws: ``probs`` (R, …, K) rows (need not be normalised),
    uniforms ``u`` (R, …, n) → indices (R, …, n) in 0 … K − 1. Row-wise
    ``searchsorted`` on the cumulative sums, vectorised by offsetting row i's
    cumulative sums by i."""
    cdf = np.cumsum(probs, -1)
    total = cdf[..., -1:]
    cdf = cdf / np.where(total > 0, total, 1.0)
    cdf[..., -1] = 1.0
    K = cdf.shape[-1]
    lead = cdf.shape[:-1]
    rows = np.arange(int(np.prod(lead))).reshape(lead)
    flat = (cdf + rows[..., None] * 2.0).ravel()
    idx = np.searchsorted(flat, (u + rows[..., None] * 2.0).ravel(), side="right")
    idx = idx.reshape(u.shape) - rows[..., None] * K
    return np.minimum(idx, K - 1)


def zipf(V: int, a: float) -> np.ndarray:
    """Zipf(a) probabilities over V ranks: p_v ∝ (v + 1)^{−a}."""
    p = (np.arange(1, V + 1, dtype=float)) ** (-a)
    return p / p.sum()


# -- discrete real distributions ------------------------------------------------------


class CategoricalReal:
    """Tokens 0 … V − 1 with probabilities ``p`` (Zipf(a) or given); the cells
    are the tokens. Data: (R, n) int64."""

    def __init__(self, params):
        self.p = (zipf(params.V, params.zipf_a) if params.probs is None
                  else np.asarray(params.probs, float) / sum(params.probs))
        self.reference = self.p
        self.C = len(self.p)

    def sample(self, n: int, draws: Draws) -> np.ndarray:
        return categorical_draw(np.broadcast_to(self.p, (draws.R, self.C)),
                                draws.uniform((draws.R, n)))

    def assign(self, data: np.ndarray) -> np.ndarray:
        return data

    def logpdf(self, data: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.p)[data]


class MarkovReal:
    """An order-k chain over V tokens: context c (the last k tokens, code
    Σ_j tok_j V^{k−1−j}) → next token with probability P[c, x], each row
    Zipf(a) over its own random order of the tokens (``rng`` of real_seed).
    Sequences of ``length`` tokens start in the stationary distribution π of
    the contexts; the cells are the (k+1)-grams with mass π(c)·P(c, x), the
    frequency of every position's (k+1)-gram. Data: (R, n, length) int64."""

    def __init__(self, params, rng: np.random.Generator):
        V, k = params.V, params.order
        self.V, self.k, self.L = V, k, params.length
        self.Cctx = V ** k
        z = zipf(V, params.zipf_a)
        self.P = np.stack([z[np.argsort(rng.permutation(V))] for _ in range(self.Cctx)])
        # stationary distribution of the context chain c → (c·V + x) mod V^k
        nxt = (np.arange(self.Cctx)[:, None] * V + np.arange(V)[None, :]) % self.Cctx
        T = np.zeros((self.Cctx, self.Cctx))
        np.add.at(T, (np.repeat(np.arange(self.Cctx), V), nxt.ravel()), self.P.ravel())
        w, vecs = np.linalg.eig(T.T)
        pi = np.abs(np.real(vecs[:, np.argmin(np.abs(w - 1.0))]))
        self.pi = pi / pi.sum()
        self.reference = (self.pi[:, None] * self.P).ravel()
        self.C = self.reference.size

    def sample(self, n: int, draws: Draws) -> np.ndarray:
        return sample_chain(self.pi, self.P, self.V, self.k, self.L, n, draws)

    def assign(self, data: np.ndarray) -> np.ndarray:
        return ngrams(data, self.V, self.k + 1)

    def logpdf(self, data: np.ndarray) -> np.ndarray:
        """(R, n) log-probability of each sequence under the chain."""
        with np.errstate(divide="ignore"):
            first = np.log(self.pi)[ngrams(data[..., : self.k], self.V, self.k)[..., 0]]
            steps = np.log(self.P.ravel())[ngrams(data, self.V, self.k + 1)]
        return first + steps.sum(-1)


def ngrams(seqs: np.ndarray, V: int, m: int) -> np.ndarray:
    """Codes Σ_j tok_{i+j} V^{m−1−j} of every m-gram of ``seqs`` (…, L) → (…, L − m + 1)."""
    L = seqs.shape[-1]
    code = np.zeros(seqs.shape[:-1] + (L - m + 1,), dtype=np.int64)
    for j in range(m):
        code = code * V + seqs[..., j: L - m + 1 + j]
    return code


def sample_chain(pi: np.ndarray, P: np.ndarray, V: int, k: int, L: int, n: int,
                 draws: Draws) -> np.ndarray:
    """n sequences per replicate from an order-k chain: the first k tokens as
    one context drawn from ``pi`` ((C,) or (R, C)), then L − k tokens from the
    rows of ``P`` ((C, V) or (R, C, V)); uniforms (R, n, L − k + 1), the
    context's first."""
    R, C = draws.R, V ** k
    u = draws.uniform((R, n, L - k + 1))
    pi = np.broadcast_to(pi, (R, C))
    ctx = categorical_draw(pi, u[..., 0])
    seq = np.empty((R, n, L), dtype=np.int64)
    c = ctx.copy()
    for j in range(k - 1, -1, -1):
        seq[..., j] = c % V
        c //= V
    rows = np.broadcast_to(P, (R, C, V))
    r = np.arange(R)[:, None]
    for i in range(k, L):
        probs = rows[r, ctx]                                   # (R, n, V)
        x = categorical_draw(probs, u[..., i - k + 1: i - k + 2])[..., 0]
        seq[..., i] = x
        ctx = (ctx * V + x) % C
    return seq


# -- continuous real distributions ---------------------------------------------------------


class _Continuous:
    """Cells and reference of a continuous real distribution (module docstring):
    quantile bins in 1-D, a k-means partition in d-D; ``quantile(u)`` (1-D),
    tail bounds (the real 1 %/99 % quantiles in 1-D, the 98 % quantile of the
    distance to the real mean in d-D) and a held-out set, all from ``rng``."""

    d: int
    mean: np.ndarray

    def _setup(self, cells: int, heldout: int, rng: np.random.Generator) -> None:
        big = self._host_sample(200_000, rng)
        self.heldout = self._host_sample(heldout, rng)
        self.C = cells
        if self.d == 1:
            self.edges = self.quantile(np.arange(1, cells) / cells)
            self.reference = np.full(cells, 1.0 / cells)
            self.tail = self.quantile(np.array([0.01, 0.99]))
        else:
            start = big[rng.choice(len(big), cells, replace=False)]
            self.centres = _kmeans(big[:20_000], start, 30)
            lab = self._nearest(big[None])[0]
            self.reference = np.bincount(lab, minlength=cells) / len(big)
            self.tail = np.quantile(np.linalg.norm(big - self.mean, axis=-1), 0.98)

    def _nearest(self, x: np.ndarray) -> np.ndarray:
        d2 = ((x[..., None, :] - self.centres) ** 2).sum(-1)
        return np.argmin(d2, -1)

    def assign(self, data: np.ndarray) -> np.ndarray:
        """(R, n) cell of each sample (R, n, d)."""
        if self.d == 1:
            return np.searchsorted(self.edges, data[..., 0], side="right")
        return np.concatenate([self._nearest(x[None])[0][None] for x in data])

    def tail_mass(self, data: np.ndarray) -> np.ndarray:
        """(R,) fraction of samples beyond the real tail bounds (real value 0.02)."""
        if self.d == 1:
            x = data[..., 0]
            return ((x < self.tail[0]) | (x > self.tail[1])).mean(-1)
        return (np.linalg.norm(data - self.mean, axis=-1) > self.tail).mean(-1)


def _kmeans(x: np.ndarray, centres: np.ndarray, iterations: int) -> np.ndarray:
    """Lloyd's iterations (an empty cell keeps its centre)."""
    c = centres.copy()
    for _ in range(iterations):
        lab = np.argmin(((x[:, None, :] - c) ** 2).sum(-1), -1)
        for j in range(len(c)):
            if np.any(lab == j):
                c[j] = x[lab == j].mean(0)
    return c


class GaussianReal(_Continuous):
    """N(m·1, diag(s²)) in d dimensions. Data: (R, n, d)."""

    def __init__(self, d: int, mean: float, scales, cells: int, heldout: int,
                 rng: np.random.Generator):
        self.d = d
        self.mean = np.full(d, float(mean))
        self.scales = np.broadcast_to(np.asarray(scales, float), (d,)).copy()
        self.cov = np.diag(self.scales ** 2)
        self._setup(cells, heldout, rng)

    def _host_sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.mean + self.scales * rng.standard_normal((n, self.d))

    def sample(self, n: int, draws: Draws) -> np.ndarray:
        return self.mean + self.scales * draws.normal((draws.R, n, self.d))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        return self.mean[0] + self.scales[0] * ndtri(u)

    def logpdf(self, data: np.ndarray) -> np.ndarray:
        z = (data - self.mean) / self.scales
        return -0.5 * (z ** 2).sum(-1) - np.log(self.scales).sum() - 0.5 * self.d * math.log(2 * math.pi)

    @property
    def variance(self) -> float:
        return float(np.trace(self.cov))


class MixtureReal(_Continuous):
    """The real Gaussian mixture of the gmm kind (:class:`.params.MixtureRealParams`);
    its cells are its components (largest posterior). Data: (R, n, d)."""

    def __init__(self, p, heldout: int, rng: np.random.Generator):
        self.d = p.d
        self.w = np.asarray(p.weights, float) / sum(p.weights)
        K = len(self.w)
        self.sigma = p.sigma
        if p.d == 1:
            self.means = (p.separation * (np.arange(K) - (K - 1) / 2))[:, None]
        else:
            radius = p.separation / (2 * math.sin(math.pi / K)) if K > 1 else 0.0
            ang = 2 * math.pi * np.arange(K) / K
            self.means = np.zeros((K, p.d))
            self.means[:, 0], self.means[:, 1] = radius * np.cos(ang), radius * np.sin(ang)
        self.mean = self.w @ self.means
        self.C = K
        self.reference = self.w
        big = self._host_sample(200_000, rng)
        self.heldout = self._host_sample(heldout, rng)
        self.sorted = np.sort(big[:, 0])
        if self.d == 1:
            self.tail = self.quantile(np.array([0.01, 0.99]))
        else:
            self.tail = np.quantile(np.linalg.norm(big - self.mean, axis=-1), 0.98)

    def _host_sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        comp = rng.choice(len(self.w), n, p=self.w)
        return self.means[comp] + self.sigma * rng.standard_normal((n, self.d))

    def sample(self, n: int, draws: Draws) -> np.ndarray:
        R = draws.R
        comp = categorical_draw(np.broadcast_to(self.w, (R, self.C)), draws.uniform((R, n)))
        return self.means[comp] + self.sigma * draws.normal((R, n, self.d))

    def _log_joint(self, data: np.ndarray) -> np.ndarray:
        d2 = ((data[..., None, :] - self.means) ** 2).sum(-1)
        return (np.log(self.w) - 0.5 * d2 / self.sigma ** 2
                - self.d * (math.log(self.sigma) + 0.5 * math.log(2 * math.pi)))

    def assign(self, data: np.ndarray) -> np.ndarray:
        return np.argmax(self._log_joint(data), -1)

    def logpdf(self, data: np.ndarray) -> np.ndarray:
        from scipy.special import logsumexp

        return logsumexp(self._log_joint(data), -1)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Quantiles of the first coordinate (from 200 000 real samples)."""
        return np.quantile(self.sorted, u)

    @property
    def variance(self) -> float:
        second = self.w @ (self.means ** 2).sum(-1) + self.d * self.sigma ** 2
        return float(second - (self.mean ** 2).sum())


class RegressionReal:
    """y = x·w* + σε on a design x ~ N(0, I_d) of ``rows`` rows drawn once per
    replicate (``design`` draws); a sample of size m is the first m design rows
    with fresh labels. Data: (R, m, d + 1), the label last. The cells are
    equal-real-mass bins of y ~ N(0, ‖w*‖² + σ²)."""

    def __init__(self, d: int, noise: float, rows: int, cells: int, heldout: int,
                 design: Draws, rng: np.random.Generator):
        self.d, self.noise = d, noise
        self.w = np.full(d, 1.0 / math.sqrt(d))
        self.X = design.normal((design.R, rows, d))
        self.C = cells
        from scipy.special import ndtri

        self.sd_y = math.sqrt(1.0 + noise ** 2)
        self.edges = self.sd_y * ndtri(np.arange(1, cells) / cells)
        self.reference = np.full(cells, 1.0 / cells)
        x = rng.standard_normal((heldout, d))
        self.heldout = np.concatenate([x, (x @ self.w + noise * rng.standard_normal(heldout))[:, None]],
                                      -1)

    def labels(self, w: np.ndarray, m: int, draws: Draws) -> np.ndarray:
        """Fresh labels x·w + σε on the first m design rows, w (d,) or (R, d)."""
        X = self.X[:, :m]
        y = np.einsum("rmd,rd->rm", X, np.broadcast_to(w, (X.shape[0], self.d)))
        return np.concatenate([X, (y + self.noise * draws.normal((draws.R, m)))[..., None]], -1)

    def sample(self, n: int, draws: Draws) -> np.ndarray:
        return self.labels(self.w, n, draws)

    def assign(self, data: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.edges, data[..., -1], side="right")

    def logpdf(self, data: np.ndarray) -> np.ndarray:
        r = (data[..., -1] - data[..., :-1] @ self.w) / self.noise
        return -0.5 * r ** 2 - math.log(self.noise) - 0.5 * math.log(2 * math.pi)
