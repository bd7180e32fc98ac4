"""R replicates of the ``model_collapse`` domain as one array program.

One step is one generation: the data regime (:mod:`.regimes`) draws the next
training set from the real distribution and the last fitted model, and the
model is refitted to it. Step 0 is generation 0: the model fitted to n real
samples. Randomness: replicate j draws from its own generators (streams
``data`` — every sample —, ``fit`` — random fits, e.g. EM's starts — and
``design`` — the regression design), through :class:`.cells.Draws`; the fixed
pieces of the real distribution come from ``real_seed``.

Observation of replicate j at step t:

* series ``support`` (headline): the counts of the generation's samples (the n
  samples model t − 1 produced at step t; the real data at step 0) over the
  real distribution's cells (:mod:`.cells`), reference the real cell masses;
* ``real_mass_covered``: the real mass of the cells those samples hit;
* discrete kinds: ``tokens_lost`` (real cells of positive mass the fitted
  model gives mass 0 — tokens, or (k+1)-grams), ``entropy`` (Shannon, nats)
  and ``heterozygosity`` (1 − Σp̂²) of the fitted token (or (k+1)-gram)
  frequencies, ``kl`` = KL(real ‖ model) (the KL rate Σ_c π(c) KL(P(c,·) ‖
  P̂(c,·)) for Markov) and ``heldout_loglik`` = the expected log-likelihood of a
  real token (per token of a real sequence, Markov) — exact, where finite;
* continuous kinds: ``variance_ratio`` (the fitted model's variance trace over
  the real one's), ``tail_mass`` (generation's samples beyond the real 1 %/99 %
  quantiles, d-D: beyond the real 98 % quantile of the distance to the mean;
  0.02 for real data), ``heldout_loglik`` (mean log-density of the held-out real
  set), ``kl`` (Gaussian: closed form; otherwise the held-out estimate
  mean(log p_real − log p_model)), ``w2`` (Gaussian: the closed form W2 between
  N(μ̂, Σ̂) and the real Gaussian; other 1-D kinds: the quantile W2 between
  the generation's samples and the real quantiles F⁻¹((i − ½)/n));
  Gaussian also ``mean_sq_error`` ‖μ̂ − μ‖²; the neural model reports
  ``variance_ratio`` in 1-D only (its marginal variance in closed form);
* regression: ``test_error`` ‖ŵ − w*‖² (excess risk for x ~ N(0, I)),
  ``kl`` = test_error/(2σ²) (the real vs model label distributions, averaged
  over x), ``heldout_loglik``.
"""

from __future__ import annotations

import numpy as np

from ...engine.rng import streams
from ...metrics.diversity import counts_rows
from ..base import DivergenceError, Observations, Series
from .cells import (
    CategoricalReal,
    Draws,
    GaussianReal,
    MarkovReal,
    MixtureReal,
    RegressionReal,
    host,
)
from .continuous import GaussianModel, KDEModel, RegressionModel
from .discrete import CategoricalModel, MarkovModel
from .regimes import DataRegime

MODELS = {"categorical": CategoricalModel, "markov": MarkovModel, "gaussian": GaussianModel,
          "kde": KDEModel, "regression": RegressionModel}


def model_class(kind: str):
    """The model class of ``kind`` (gmm and neural imported on first use)."""
    if kind == "gmm":
        from .gmm import GMMModel

        return GMMModel
    if kind == "neural":
        from .neural import NeuralModel

        return NeuralModel
    return MODELS[kind]


def make_real(params, design: Draws, rng: np.random.Generator):
    """The real distribution of ``params.model`` (fixed pieces from ``rng``)."""
    m = params.model
    if m.kind == "categorical":
        return CategoricalReal(m)
    if m.kind == "markov":
        return MarkovReal(m, rng)
    if m.kind == "gaussian":
        return GaussianReal(m.d, m.mean, m.scales, params.cells, params.heldout, rng)
    if m.kind == "kde":
        return GaussianReal(m.d, 0.0, m.scale, params.cells, params.heldout, rng)
    if m.kind in ("gmm", "neural"):
        return MixtureReal(m.real, params.heldout, rng)
    rows = max(params.n, getattr(params.regime, "real_n", 0))
    return RegressionReal(m.d, m.noise, rows, params.cells, params.heldout, design, rng)


def _sqrtm(a: np.ndarray) -> np.ndarray:
    """Square roots of symmetric positive semi-definite matrices (…, d, d)."""
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0.0, None))[..., None, :]) @ np.swapaxes(v, -1, -2)


def gaussian_w2_kl(mean, cov, real: GaussianReal) -> tuple[np.ndarray, np.ndarray]:
    """(R,) W2 and KL(real ‖ model) between N(mean, cov) (R, d), (R, d, d) and
    the real Gaussian: W2² = ‖Δμ‖² + tr(Σr + Σ − 2(Σr^{½} Σ Σr^{½})^{½});
    KL = ½(tr(Σ⁻¹Σr) + Δμᵀ Σ⁻¹ Δμ − d + ln det Σ − ln det Σr)."""
    s = real.scales
    dm = mean - real.mean
    cross = _sqrtm(s[:, None] * cov * s[None, :])
    w2sq = (dm ** 2).sum(-1) + real.variance + np.trace(cov, axis1=-2, axis2=-1) \
        - 2.0 * np.trace(cross, axis1=-2, axis2=-1)
    inv = np.linalg.inv(cov)
    _, logdet = np.linalg.slogdet(cov)
    kl = 0.5 * (np.einsum("rdd->r", inv * real.cov) + np.einsum("rd,rde,re->r", dm, inv, dm)
                - len(s) + logdet - 2.0 * np.log(s).sum())
    return np.sqrt(np.clip(w2sq, 0.0, None)), kl


def _entropy(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log(p), 0.0).sum(-1)


def _cross(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Σ p log q over the last axis (−inf where q = 0 < p)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log(q), 0.0).sum(-1)


class ModelCollapseSimulation:
    """R replicates (``len(seeds)``) of generations of refitting; see the
    module docstring."""

    STREAMS = ("data", "fit", "design")

    def __init__(self, params, backend, seeds):
        self.params = params
        self.R = len(seeds)
        st = [streams(s, *self.STREAMS) for s in seeds]
        self.backend = backend
        self.draws, self.fit_draws, design = (
            Draws(backend, backend.row_rngs([x[name] for x in st])) for name in self.STREAMS)
        self.real = make_real(params, design, np.random.default_rng(params.real_seed))
        self.model = model_class(params.model.kind)(params.model, self.backend, self.real,
                                                     rng=self.fit_draws.rng)
        self.regime = DataRegime(params, self.real, self.model, self.backend)
        self.generation = 0
        self._fit(*self.regime.initial(self.draws))

    def _fit(self, train, weights, new) -> None:
        self.model.fit(train, weights)
        self.new = new

    def step(self) -> None:
        """One generation: the next training set, and the refit."""
        self._fit(*self.regime.next(self.draws))
        self.generation += 1

    # -- observation ---------------------------------------------------------------------
    def _heldout(self) -> np.ndarray:
        h = self.real.heldout
        return np.broadcast_to(h, (self.R, *h.shape)).copy()

    def _metrics(self) -> dict[str, np.ndarray]:
        kind, real, model = self.params.model.kind, self.real, self.model
        out: dict[str, np.ndarray] = {}
        if kind in ("categorical", "markov"):
            fitted = model.fitted_cells()
            fitted = fitted / fitted.sum(-1, keepdims=True)
            out["tokens_lost"] = ((fitted == 0) & (real.reference > 0)).sum(-1).astype(float)
            out["entropy"] = _entropy(fitted)
            out["heterozygosity"] = 1.0 - (fitted ** 2).sum(-1)
            if kind == "categorical":
                out["heldout_loglik"] = _cross(real.p, model.probs)
                out["kl"] = -_entropy(real.p) - out["heldout_loglik"]
            else:
                ll = (real.pi * _cross(real.P, model.P)).sum(-1)
                out["heldout_loglik"] = ll
                out["kl"] = (real.pi * -_entropy(real.P)).sum() - ll
            return out
        if kind == "regression":
            err = model.test_error()
            out["test_error"] = err
            out["kl"] = err / (2.0 * self.params.model.noise ** 2)
            out["heldout_loglik"] = model.loglik(self._heldout())
            return out
        out["tail_mass"] = real.tail_mass(self.new)
        ll = host(self.backend, model.loglik(self._heldout()))
        out["heldout_loglik"] = ll
        if kind == "gaussian":
            out["w2"], out["kl"] = gaussian_w2_kl(model.mean, model.cov, real)
            out["mean_sq_error"] = ((model.mean - real.mean) ** 2).sum(-1)
        else:
            out["kl"] = real.logpdf(real.heldout).mean() - ll
            if real.d == 1:
                n = self.new.shape[1]
                q = real.quantile((np.arange(n) + 0.5) / n)
                out["w2"] = np.sqrt(((np.sort(self.new[..., 0], -1) - q) ** 2).mean(-1))
        var = self._variance()
        if var is not None:
            out["variance_ratio"] = var / real.variance
        return out

    def _variance(self) -> np.ndarray | None:
        """(R,) trace of the fitted model's covariance (None where it has no
        closed form: the neural model in d > 1)."""
        be = self.backend
        if hasattr(self.model, "variance"):
            return self.model.variance()
        if hasattr(self.model, "moments"):
            return host(be, self.model.moments()[1]) if self.real.d == 1 else None
        pi = np.exp(host(be, self.model.logpi))
        means, var = host(be, self.model.means), host(be, self.model.var)
        mean = np.einsum("rk,rkd->rd", pi, means)
        return np.einsum("rk,rk->r", pi, (var + means ** 2).sum(-1)) - (mean ** 2).sum(-1)

    def observe(self) -> Observations:
        """Every replicate's observation, stacked: the (R, C) cell counts of its
        new samples against the real distribution's cell masses, and the
        metrics as (R,) arrays (a value that is not finite records no row)."""
        real = self.real
        cnt = counts_rows(real.assign(self.new), real.C)
        metrics = self._metrics()
        metrics["real_mass_covered"] = ((cnt > 0) * real.reference).sum(-1)
        if "variance_ratio" in metrics and not np.all(np.isfinite(metrics["variance_ratio"])):
            raise DivergenceError("the fitted model's variance became NaN or infinite")
        finite = {k: np.where(np.isfinite(v), v, np.nan).astype(np.float64) for k, v in metrics.items()}
        return Observations(series={"support": Series(abundances=cnt, reference=real.reference)},
                            metrics=finite)
