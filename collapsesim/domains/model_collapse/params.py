"""Parameters of the ``model_collapse`` domain (the YAML ``params:`` block).

``model`` picks the model class by its ``kind`` and ``regime`` the data regime
by its ``kind`` (discriminated unions, as in the ``beam`` domain)::

    params:
      model: {kind: categorical, V: 100, zipf_a: 1.1, temperature: 1.0, top_k: 0, top_p: 1.0}
      # or {kind: markov, V: 8, order: 1, length: 16, zipf_a: 1.5}
      # or {kind: gaussian, d: 1, estimator: unbiased}          # mle | unbiased | mean_only
      # or {kind: gmm, components: 4, restarts: 3, iterations: 60,
      #     real: {weights: [0.5, 0.3, 0.15, 0.05], separation: 4.0, sigma: 1.0, d: 1}}
      # or {kind: kde, d: 1, bandwidth: 0.3}                    # or bandwidth: silverman
      # or {kind: regression, d: 10, noise: 1.0}
      # or {kind: neural, components: 4, hidden: 16, layers: 1, epochs: 300, lr: 0.05,
      #     real: {...as for gmm}}
      n: 1000              # samples per generation (the training set of generation 0 is real)
      regime: {kind: replace}
      # or {kind: accumulate} | {kind: fresh, lam: 0.1}
      # or {kind: weighted, real_n: 100, real_weight: optimal}   # or a number in [0, 1]
      # or {kind: curation, threshold: 0.2, verifier: real}      # or verifier: model
      cells: 20            # continuous kinds: equal-real-mass cells of the headline series
      heldout: 1000        # held-out real samples for the log-likelihood (continuous kinds)
      real_seed: 0         # the fixed pieces of the real distribution (Markov chain, cells,
                           # held-out set); the same for every replicate
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..base import DomainParams, expected


class _Sampling(DomainParams):
    """Sampling from a fitted discrete model: temperature T (probabilities
    ∝ p^{1/T}), then top-k (the k most probable tokens; 0: all) and top-p
    (the smallest set of most probable tokens holding mass ≥ p), renormalised."""

    temperature: float = Field(1.0, gt=0.0, description="sampling temperature T")
    top_k: int = Field(0, ge=0, description="keep the k most probable tokens (0: all)")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="nucleus mass")

    @property
    def plain(self) -> bool:
        """Sampling is exactly the fitted distribution (T = 1, no truncation)."""
        return self.temperature == 1.0 and self.top_k == 0 and self.top_p == 1.0


class CategoricalParams(_Sampling):
    """A unigram model over V tokens, refitted to n of its own samples (the
    maximum-likelihood frequencies). The real distribution is Zipf(a),
    p_v ∝ (v + 1)^{−a}, or ``probs`` (V entries, normalised)."""

    kind: Literal["categorical"] = "categorical"
    V: int = Field(100, ge=2, le=1 << 20, description="vocabulary size")
    zipf_a: float = Field(1.1, ge=0.0, description="Zipf exponent of the real distribution")
    probs: list[float] | None = Field(None, description="real token probabilities (V entries)")

    @model_validator(mode="after")
    def _check(self):
        if self.probs is not None:
            if len(self.probs) != self.V:
                raise expected(f"probs: V = {self.V} entries")
            if any(not p >= 0 for p in self.probs) or not sum(self.probs) > 0:
                raise expected("probs: non-negative numbers with a positive sum")
        return self


class MarkovParams(_Sampling):
    """An order-k Markov (n-gram) model of token sequences of ``length``
    tokens over V tokens. The real chain: each context's next-token row is
    Zipf(``zipf_a``) over its own random order of the V tokens (drawn from
    ``real_seed``); sequences start in the chain's stationary distribution."""

    kind: Literal["markov"] = "markov"
    V: int = Field(8, ge=2, le=256, description="vocabulary size")
    order: int = Field(1, ge=1, le=4, description="context length k")
    length: int = Field(16, ge=2, le=4096, description="tokens per sequence")
    zipf_a: float = Field(1.5, ge=0.0, description="Zipf exponent of each next-token row")

    @model_validator(mode="after")
    def _check(self):
        if self.length <= self.order:
            raise expected(f"length > order = {self.order}")
        if self.V ** (self.order + 1) > 1 << 16:
            raise expected("V**(order + 1) <= 65536 (n-grams counted per replicate)")
        return self


class GaussianParams(DomainParams):
    """A d-dimensional Gaussian refitted by maximum likelihood (``mle``:
    covariance divided by n), with the unbiased covariance (``unbiased``:
    divided by n − 1; weighted: by 1 − Σω²) or by its mean only
    (``mean_only``: the real covariance is known). The real distribution is
    N(mean·1, diag(scales²))."""

    kind: Literal["gaussian"] = "gaussian"
    d: int = Field(1, ge=1, le=64, description="dimension")
    estimator: Literal["mle", "unbiased", "mean_only"] = "unbiased"
    mean: float = Field(0.0, description="real mean (every coordinate)")
    scales: float | list[float] = Field(1.0, description="real standard deviation(s)")

    @model_validator(mode="after")
    def _check(self):
        s = self.scales if isinstance(self.scales, list) else [self.scales]
        if any(not x > 0 for x in s) or (isinstance(self.scales, list) and len(s) != self.d):
            raise expected(f"scales: one positive number or d = {self.d} of them")
        return self


class MixtureRealParams(DomainParams):
    """The real Gaussian mixture of the ``gmm`` kind: components with masses
    ``weights`` (normalised), common standard deviation ``sigma`` and means
    ``separation`` apart — on a line (d = 1: at separation·(j − (K − 1)/2))
    or on a circle in the first two coordinates (d ≥ 2, neighbours
    ``separation`` apart)."""

    weights: list[float] = Field(default_factory=lambda: [0.5, 0.3, 0.15, 0.05],
                                 description="component masses")
    separation: float = Field(4.0, gt=0.0, description="distance between neighbouring means")
    sigma: float = Field(1.0, gt=0.0, description="component standard deviation")
    d: int = Field(1, ge=1, le=16, description="dimension")

    @model_validator(mode="after")
    def _check(self):
        if len(self.weights) < 1 or any(not w > 0 for w in self.weights):
            raise expected("weights: positive component masses")
        return self


class GMMParams(DomainParams):
    """A Gaussian mixture with ``components`` diagonal components fitted by EM
    (:mod:`.gmm`): ``restarts`` k-means++ starts of ``iterations`` EM steps,
    variances floored at ``floor``; the real distribution is ``real``."""

    kind: Literal["gmm"] = "gmm"
    components: int = Field(4, ge=1, le=64, description="fitted components K")
    restarts: int = Field(3, ge=1, le=64, description="EM restarts (best kept)")
    iterations: int = Field(60, ge=1, le=10000, description="EM iterations per restart")
    floor: float = Field(1e-6, gt=0.0, description="variance floor")
    real: MixtureRealParams = Field(default_factory=MixtureRealParams)


class KDEParams(DomainParams):
    """A Gaussian kernel density estimate of the previous generation's data:
    a sample is a data point (drawn by its weight) plus h·N(0, I).
    ``bandwidth`` is a fixed h or ``silverman`` (the normal-reference rule
    h_j = ŝ_j·(4/((d + 2) n))^{1/(d+4)}, ŝ_j the coordinate's unbiased standard
    deviation). The real distribution is N(0, scale²·I)."""

    kind: Literal["kde"] = "kde"
    d: int = Field(1, ge=1, le=16, description="dimension")
    bandwidth: float | Literal["silverman"] = Field(0.2, description="fixed h or 'silverman'")
    scale: float = Field(1.0, gt=0.0, description="real standard deviation")

    @model_validator(mode="after")
    def _check(self):
        if not isinstance(self.bandwidth, str) and not self.bandwidth > 0:
            raise expected("bandwidth: a positive number or 'silverman'")
        return self


class RegressionParams(DomainParams):
    """Linear regression y = x·w* + ε, ε ~ N(0, noise²), on a design of
    x ~ N(0, I_d) drawn once per replicate and kept; each generation refits
    ordinary least squares (weighted where the regime weights) to the labels
    the previous model produced on that design, ŷ = x·ŵ + ε (Dohmatob et al.
    2024; Gerstgrasser et al. 2024). w* = (1, …, 1)/√d."""

    kind: Literal["regression"] = "regression"
    d: int = Field(10, ge=1, le=1024, description="features")
    noise: float = Field(1.0, gt=0.0, description="label noise standard deviation σ")


class NeuralParams(DomainParams):
    """A small neural generator (:mod:`.neural`): an autoregressive
    mixture-density network per replicate (``components`` mixture components
    per coordinate, ``layers`` tanh layers of ``hidden`` units), trained from
    fresh weights each generation by ``epochs`` full-batch Adam steps at
    learning rate ``lr``; the real distribution is ``real`` (as for gmm)."""

    kind: Literal["neural"] = "neural"
    components: int = Field(4, ge=1, le=64, description="mixture components per coordinate")
    hidden: int = Field(16, ge=1, le=4096, description="hidden units per layer")
    layers: int = Field(1, ge=1, le=16, description="hidden layers")
    epochs: int = Field(300, ge=1, le=100_000, description="full-batch Adam steps per fit")
    lr: float = Field(0.05, gt=0.0, description="Adam learning rate (cosine-annealed)")
    real: MixtureRealParams = Field(default_factory=MixtureRealParams)


ModelKind = Annotated[CategoricalParams | MarkovParams | GaussianParams | GMMParams | KDEParams
                      | RegressionParams | NeuralParams, Field(discriminator="kind")]


class ReplaceRegime(DomainParams):
    """Generation t trains on the n samples of model t − 1 only."""

    kind: Literal["replace"] = "replace"


class AccumulateRegime(DomainParams):
    """Generation t trains on every sample so far: the real data and each
    generation's n synthetic samples (Gerstgrasser et al. 2024)."""

    kind: Literal["accumulate"] = "accumulate"


class FreshRegime(DomainParams):
    """Generation t trains on round(λn) fresh real samples and n − round(λn)
    samples of model t − 1."""

    kind: Literal["fresh"] = "fresh"
    lam: float = Field(0.1, ge=0.0, le=1.0, description="fraction λ of fresh real data")


class WeightedRegime(DomainParams):
    """Generation t trains on ``real_n`` fresh real samples of total weight w
    and n samples of model t − 1 of total weight 1 − w (He, Xu & Cheng 2025);
    ``optimal`` is the w minimising the stationary error of the mean,
    (√(1 + 4k) − 1)/(2k) with k = n/real_n (:func:`.theory.optimal_real_weight`)."""

    kind: Literal["weighted"] = "weighted"
    real_n: int = Field(100, ge=1, description="fresh real samples per generation")
    real_weight: float | Literal["optimal"] = Field("optimal", description="w, or 'optimal'")

    @model_validator(mode="after")
    def _check(self):
        if not isinstance(self.real_weight, str) and not 0.0 <= self.real_weight <= 1.0:
            raise expected("real_weight: a number in [0, 1] or 'optimal'")
        return self


class CurationRegime(DomainParams):
    """Generation t trains on n samples of model t − 1 kept by a verifier:
    ⌈n/(1 − threshold)⌉ candidates are drawn and the n best scored kept (the
    threshold is the candidates' ``threshold`` quantile of the score). The
    score is the real log-density (``real``) or the model's own (``model``)."""

    kind: Literal["curation"] = "curation"
    threshold: float = Field(0.2, ge=0.0, lt=1.0, description="fraction of candidates discarded")
    verifier: Literal["real", "model"] = "real"


Regime = Annotated[ReplaceRegime | AccumulateRegime | FreshRegime | WeightedRegime
                   | CurationRegime, Field(discriminator="kind")]


class ModelCollapseParams(DomainParams):
    """A model (``model``) refitted each generation to ``n`` samples drawn
    under a data regime (``regime``); generation 0 trains on n real samples."""

    model: ModelKind = Field(default_factory=CategoricalParams, description="the model class")
    n: int = Field(1000, ge=2, le=1 << 24, description="samples per generation")
    regime: Regime = Field(default_factory=ReplaceRegime, description="the data regime")
    cells: int = Field(20, ge=2, le=4096, description="cells of continuous real distributions")
    heldout: int = Field(1000, ge=10, le=1 << 20, description="held-out real samples")
    real_seed: int = Field(0, ge=0, description="seed of the real distribution's fixed pieces")

    @model_validator(mode="after")
    def _check(self):
        m = self.model
        if m.kind == "gaussian" and m.estimator != "mean_only" and self.n <= m.d:
            raise expected(f"n > d = {m.d} (a covariance fitted to n samples)")
        if m.kind == "regression" and self.n < m.d + 2:
            raise expected(f"n >= d + 2 = {m.d + 2} (least squares with a finite error)")
        if self.regime.kind == "curation" and m.kind == "regression":
            raise expected("regime.kind: not curation for regression (the design has n rows)")
        if (self.regime.kind == "curation" and self.regime.verifier == "model"
                and m.kind in ("gmm", "neural")):
            raise expected(f"regime.verifier: real for the {m.kind} model")
        return self
