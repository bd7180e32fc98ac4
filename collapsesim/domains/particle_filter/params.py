"""Parameters of the ``particle_filter`` domain (the YAML ``params:`` block).

``model`` picks the state-space model by its ``kind`` (a discriminated union,
see :mod:`.models` for the equations); the rest chooses the filter, the
resampling policy, the remedies and the smoother::

    params:
      model: {kind: linear_gaussian, rho: 0.9, sigma_x: 1.0, sigma_y: 0.2}
      N: 1000
      filter: bootstrap          # bootstrap | guided | auxiliary
      scheme: systematic         # multinomial | residual | stratified | systematic
      resampling: every_step     # every_step | adaptive (when ESS < ess_threshold·N)
      ess_threshold: 0.5
      resample_move: 0           # MCMC moves after each resampling (0: off)
      roughening: 0.0            # Gordon et al.'s constant K (0: off)
      smoother: {kind: ffbsi, trajectories: 100}   # or pgas, fixed_lag; null: none
      data_seed: 0               # simulated data (fixed across replicates) ...
      observations: null         # ... or a CSV file of observations
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..base import DomainParams, expected


def _square(m: list[list[float]], d: int, name: str) -> None:
    if len(m) != d or any(len(row) != d for row in m):
        raise expected(f"{name} as a {d}×{d} matrix (a list of {d} rows of {d} numbers)")


def _positive_definite(m: list[list[float]], name: str) -> None:
    a = np.asarray(m, dtype=float)
    if not np.allclose(a, a.T) or np.linalg.eigvalsh(a).min() <= 0:
        raise expected(f"{name} symmetric positive definite")


# -- models ----------------------------------------------------------------------------
class LinearGaussianParams(DomainParams):
    """x_t = ρ x_{t−1} + σ_X ε_t, y_t = x_t + σ_Y η_t, x_0 ~ N(m0, s0²); ``s0``
    null: the stationary sd σ_X/√(1 − ρ²)."""

    kind: Literal["linear_gaussian"] = "linear_gaussian"
    rho: float = Field(0.9, description="autoregression coefficient ρ")
    sigma_x: float = Field(1.0, gt=0, description="state noise sd σ_X")
    sigma_y: float = Field(1.0, gt=0, description="observation noise sd σ_Y")
    m0: float = Field(0.0, description="mean of x_0")
    s0: float | None = Field(None, gt=0, description="sd of x_0 (null: stationary)")

    @model_validator(mode="after")
    def _stationary(self):
        if self.s0 is None and not abs(self.rho) < 1:
            raise expected("|rho| < 1 for a stationary start (or give s0)")
        return self


class LinearGaussianMVParams(DomainParams):
    """x_t = A x_{t−1} + N(0, Q), y_t = H x_t + N(0, R), x_0 ~ N(m0, P0); ``P0``
    null: the stationary covariance (solves P = A P Aᵀ + Q)."""

    kind: Literal["linear_gaussian_mv"] = "linear_gaussian_mv"
    A: list[list[float]] = Field(default_factory=lambda: [[0.9, 0.1], [0.0, 0.8]])
    Q: list[list[float]] = Field(default_factory=lambda: [[1.0, 0.0], [0.0, 1.0]])
    H: list[list[float]] = Field(default_factory=lambda: [[1.0, 0.0]])
    R: list[list[float]] = Field(default_factory=lambda: [[1.0]])
    m0: list[float] | None = Field(None, description="mean of x_0 (null: zeros)")
    P0: list[list[float]] | None = Field(None, description="covariance of x_0 (null: stationary)")

    @model_validator(mode="after")
    def _shapes(self):
        d = len(self.A)
        _square(self.A, d, "A")
        _square(self.Q, d, "Q")
        _positive_definite(self.Q, "Q")
        p = len(self.H)
        if p == 0 or any(len(row) != d for row in self.H):
            raise expected(f"H with rows of {d} numbers (one row per observed coordinate)")
        _square(self.R, p, "R")
        _positive_definite(self.R, "R")
        if self.m0 is not None and len(self.m0) != d:
            raise expected(f"m0 with {d} entries")
        if self.P0 is not None:
            _square(self.P0, d, "P0")
            _positive_definite(self.P0, "P0")
        elif np.abs(np.linalg.eigvals(np.asarray(self.A))).max() >= 1:
            raise expected("A with spectral radius < 1 for a stationary start (or give P0)")
        return self


class StochasticVolatilityParams(DomainParams):
    """x_t = μ + φ(x_{t−1} − μ) + σ ε_t, y_t = exp(x_t/2) η_t; stationary start."""

    kind: Literal["stochastic_volatility"] = "stochastic_volatility"
    mu: float = Field(-1.0, description="mean log-volatility μ")
    phi: float = Field(0.95, gt=-1, lt=1, description="persistence φ")
    sigma: float = Field(0.3, gt=0, description="log-volatility noise sd σ")


class GrowthParams(DomainParams):
    """The univariate nonstationary growth model (Kitagawa 1996):
    x_t = x_{t−1}/2 + 25 x_{t−1}/(1 + x_{t−1}²) + 8 cos(1.2 t) + σ_X ε_t,
    y_t = x_t²/20 + σ_Y η_t, x_0 ~ N(0, s0²). Its posterior is bimodal (±x)."""

    kind: Literal["growth"] = "growth"
    sigma_x: float = Field(math.sqrt(10.0), gt=0, description="state noise sd")
    sigma_y: float = Field(1.0, gt=0, description="observation noise sd")
    s0: float = Field(math.sqrt(5.0), gt=0, description="sd of x_0")


class BearingsParams(DomainParams):
    """Bearings-only tracking (Gordon, Salmond & Smith 1993): a target in the
    plane with nearly constant velocity, state (x, vx, y, vy) (white-noise
    acceleration of sd ``sigma_a``, discretised exactly over ``dt``), observed
    through its bearing atan2(y, x) from the origin plus N(0, σ²) noise."""

    kind: Literal["bearings"] = "bearings"
    sigma_a: float = Field(0.001, gt=0, description="acceleration noise sd per unit time")
    sigma: float = Field(0.005, gt=0, description="bearing noise sd (radians)")
    dt: float = Field(1.0, gt=0, description="time between observations")
    m0: list[float] = Field(default_factory=lambda: [-0.05, 0.001, 0.7, -0.055],
                            description="mean of (x, vx, y, vy) at time 0")
    s0: list[float] = Field(default_factory=lambda: [0.1, 0.005, 0.1, 0.01],
                            description="sd of each coordinate at time 0")

    @field_validator("m0", "s0")
    @classmethod
    def _four(cls, v, info: ValidationInfo):
        if len(v) != 4 or (info.field_name == "s0" and min(v) <= 0):
            raise expected("4 numbers, one per coordinate (x, vx, y, vy); sds > 0")
        return v


class NeutralParams(DomainParams):
    """A Gaussian random walk with uninformative observations: every weight is
    1/N, so resampling is pure drift (the Wright–Fisher baseline)."""

    kind: Literal["neutral"] = "neutral"
    sigma_x: float = Field(1.0, gt=0, description="random-walk step sd")


Model = Annotated[Union[LinearGaussianParams, LinearGaussianMVParams, StochasticVolatilityParams,
                        GrowthParams, BearingsParams, NeutralParams], Field(discriminator="kind")]

#: models with a guided proposal (and so an auxiliary filter)
GUIDED_MODELS = ("linear_gaussian", "linear_gaussian_mv", "stochastic_volatility", "growth")


# -- smoothers --------------------------------------------------------------------------
class FFBSiParams(DomainParams):
    """Forward filtering, backward simulation (Godsill, Doucet & West 2004), run
    once the last observation is filtered."""

    kind: Literal["ffbsi"] = "ffbsi"
    trajectories: int = Field(100, ge=1, description="backward trajectories drawn")


class PGASParams(DomainParams):
    """Conditional SMC with ancestor sampling (Lindsten, Jordan & Schön 2014):
    ``sweeps`` iterations of the particle Gibbs kernel, run once the last
    observation is filtered; ``ancestor_sampling: false`` gives plain conditional
    SMC (whose early states barely move: path degeneracy)."""

    kind: Literal["pgas"] = "pgas"
    sweeps: int = Field(50, ge=1, description="conditional SMC sweeps")
    burn_in: int = Field(10, ge=0, description="sweeps discarded from the smoothing mean")
    ancestor_sampling: bool = True

    @model_validator(mode="after")
    def _burn(self):
        if self.burn_in >= self.sweeps:
            raise expected("burn_in < sweeps")
        return self


class FixedLagParams(DomainParams):
    """Fixed-lag smoothing: estimate x_{t−L} from y_{0:t} with the current
    particles' ancestors L steps back."""

    kind: Literal["fixed_lag"] = "fixed_lag"
    lag: int = Field(10, ge=1, description="lag L")


Smoother = Annotated[Union[FFBSiParams, PGASParams, FixedLagParams], Field(discriminator="kind")]


# -- the domain's parameters -------------------------------------------------------------
class ParticleFilterParams(DomainParams):
    """A particle filter on one state-space model and one data set.

    ``N`` particles; ``filter`` bootstrap (Gordon, Salmond & Smith 1993),
    guided (the model's locally optimal or linearised Gaussian proposal) or
    auxiliary (Pitt & Shephard 1999); ``scheme`` one of the engine's four
    resampling schemes; ``resampling`` every step or adaptive (when
    ESS < ``ess_threshold``·N). Remedies: ``resample_move`` Metropolis moves per
    particle after each resampling (Gilks & Berzuini 2001; random walk of scale
    ``move_scale``·2.38/√d times the cloud's sd), ``roughening`` (jitter of sd
    K·E·N^(−1/d), E the cloud's range; Gordon et al. 1993), and a ``smoother``.
    ``dtype`` is that of the particles (weights and resampling are float64
    always). Data: simulated from the model with ``data_seed`` (the same for
    every replicate: replicates differ in the filter's randomness only), or
    read from ``observations``, a CSV file (relative paths from the working
    directory) with one column per observed coordinate and one row per time
    step 0, 1, ...; a header row is allowed.
    """

    model: Model = Field(default_factory=LinearGaussianParams)
    N: int = Field(1000, ge=2, description="number of particles")
    filter: Literal["bootstrap", "guided", "auxiliary"] = "bootstrap"
    scheme: Literal["multinomial", "residual", "stratified", "systematic"] = "systematic"
    resampling: Literal["every_step", "adaptive"] = "every_step"
    ess_threshold: float = Field(0.5, gt=0, le=1, description="adaptive: resample when ESS < this·N")
    resample_move: int = Field(0, ge=0, description="MCMC moves after each resampling")
    move_scale: float = Field(1.0, gt=0, description="random-walk scale of the moves")
    roughening: float = Field(0.0, ge=0, description="roughening constant K (0: off)")
    smoother: Smoother | None = None
    dtype: Literal["float64", "float32"] = "float64"
    data_seed: int = Field(0, ge=0, description="seed of the simulated data")
    observations: str | None = Field(None, description="CSV file of observations (null: simulate)")

    @model_validator(mode="after")
    def _consistent(self):
        kind = self.model.kind
        if self.filter != "bootstrap" and kind not in GUIDED_MODELS:
            raise expected(f"filter 'bootstrap' for model {kind!r} (guided and auxiliary "
                            f"filters need one of {', '.join(GUIDED_MODELS)})")
        if self.filter == "auxiliary" and (self.resample_move or self.roughening):
            raise expected("no resample_move or roughening with the auxiliary filter (its "
                            "first-stage weights target the predictive, not the filter)")
        if isinstance(self.smoother, FixedLagParams) and (self.resample_move or self.roughening):
            raise expected("no resample_move or roughening with the fixed_lag smoother (it "
                            "reads the paths from the particles as filtered, before any move)")
        return self

    @field_validator("observations")
    @classmethod
    def _csv(cls, v, info: ValidationInfo):
        if v is None:
            return v
        from .data import read_csv  # the reader owns the format and its messages

        model = info.data.get("model")
        try:
            read_csv(Path(v), None if model is None else observation_dim(model))
        except ValueError as exc:
            raise expected(str(exc)) from None
        return v


def observation_dim(model) -> int:
    """Number of observed coordinates of a model's parameters."""
    return len(model.H) if model.kind == "linear_gaussian_mv" else 1
