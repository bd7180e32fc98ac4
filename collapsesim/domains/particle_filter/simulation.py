"""One replicate of the ``particle_filter`` domain, as the runner sees it.

``step()`` is one time step of :class:`~.smc.SMC` (resample the previous
particles, propagate, weigh); ``observe()`` reports the particles of the
current time *before* they are resampled. Step 0 is time 0 (x_0 drawn, y_0
weighed), step t is time t; a run of ``steps`` steps filters y_0..y_steps.
A CSV file with fewer rows ends the run early (``finished``).

Series:

* ``weights`` — the normalised weights (D2 is the ESS); reference N equal weights;
* ``ancestors`` (headline) — current particles per time-0 founder, over all N
  founders; reference one particle per founder. Path degeneracy is this
  series collapsing to one founder;
* ``modes`` (growth model) — filter posterior mass of x > 0 and x ≤ 0; reference
  the same masses from a grid filter on the same data (:mod:`.grid`);
* ``smoothed_founders`` (FFBSi, last step) — backward trajectories per time-0
  particle; reference: the number of trajectories (all distinct).

Domain metrics: ``ess_fraction`` (ESS/N), ``loglik_increment``, ``loglik``,
``resampled`` and ``merger_probability`` (Σ W² of the resampling at the start
of this step, 0 without one), ``distinct_lag1``/``_lag10``/``_lag100``
(distinct ancestors of the current particles that many steps back, once
defined), ``surviving_founders``, ``tmrca`` (once the particles have one common
ancestor), ``tree_nodes`` (the path storage's size), ``filter_mean`` and
``filter_sd`` (first coordinate), ``true_state`` (simulated data),
``kalman_mean``/``kalman_sd``/``kalman_loglik`` (linear-Gaussian models: the
exact answers), ``mode_mass_positive``
and ``grid_mass_positive`` (growth model), ``move_acceptance`` (resample-move),
``fixed_lag_mean`` (fixed-lag smoother: the estimate of x_{t−L}); at the last
step with a smoother, ``smoother_rmse`` (vs the true states), ``smoother_rts_error``
(linear-Gaussian: RMS over t of (smoothed − RTS mean)/RTS sd), and for PGAS
``pgas_update_rate_min``/``pgas_update_rate_t0``.
"""

from __future__ import annotations

import math

import numpy as np

from ...engine.backends import get_backend
from ...engine.rng import numpy_generator, streams
from ..base import Observation, Series
from .data import load_data
from .grid import mode_masses
from .kalman import model_kalman, rts_smoother
from .models import LinearGaussian, build_model
from .smc import SMC
from .smoothing import FixedLag, History, ffbsi, pgas, update_rates

LAGS = (1, 10, 100)


class ParticleFilterSimulation:
    """One replicate: the filter, its data, and the references it is compared with."""

    def __init__(self, params, backend, seed: np.random.SeedSequence, steps: int):
        self.params = params
        self.host_model = build_model(params.model, get_backend("numpy"))
        self.data = load_data(params, self.host_model, steps + 1)
        self.last = min(steps, self.data.T - 1)
        # The filter draws from the replicate's seed itself; the smoothers from child
        # stream 1 ("smoother"). Child 0 is reserved (unused), so the numbers of
        # runs made before the named streams stay as they were.
        self.host_rng = numpy_generator(streams(seed, "reserved", "smoother")["smoother"])
        kind = None if params.smoother is None else params.smoother.kind
        self.history = History() if kind == "ffbsi" else None
        self.fixed_lag = FixedLag(params.smoother.lag) if kind == "fixed_lag" else None
        self.kalman = (model_kalman(self.host_model, self.data.y)
                       if isinstance(self.host_model, LinearGaussian) else None)
        self.modes = (mode_masses(self.host_model, params.model.model_dump_json(), self.data.y)
                      if params.model.kind == "growth" else None)
        self.smoothed: dict = {}
        self.smc = SMC(build_model(params.model, backend, params.dtype), self.data.y,
                       params.N, backend, backend.rng(seed), filter=params.filter,
                       scheme=params.scheme, adaptive=params.resampling == "adaptive",
                       ess_threshold=params.ess_threshold, moves=params.resample_move,
                       move_scale=params.move_scale, roughening=params.roughening,
                       listeners=[x for x in (self.history, self.fixed_lag) if x is not None])

    @property
    def finished(self) -> bool:
        """The data are exhausted."""
        return self.smc.t >= self.last

    def step(self) -> None:
        self.smc.step()
        if self.smc.t == self.last:
            self._smooth()

    # -- smoothing, once the last observation is filtered ---------------------------------------
    def _smooth(self) -> None:
        sm = self.params.smoother
        if sm is None or sm.kind == "fixed_lag":
            return
        y = self.data.y[: self.last + 1]
        if sm.kind == "ffbsi":
            paths, first = ffbsi(self.host_model, self.history, sm.trajectories, self.host_rng)
            self.smoothed["founders"] = np.bincount(first, minlength=self.params.N)
            mean = paths.mean(axis=0)
        else:
            chain = pgas(self.host_model, y, self.params.N, sm.sweeps, self.host_rng,
                         sm.ancestor_sampling)
            rates = update_rates(chain)
            self.smoothed["pgas_update_rate_min"] = float(rates.min())
            self.smoothed["pgas_update_rate_t0"] = float(rates[0])
            mean = chain[sm.burn_in:].mean(axis=0)
        if self.data.x is not None:
            err = mean[:, 0] - self.data.x[: self.last + 1, 0]
            self.smoothed["smoother_rmse"] = float(np.sqrt(np.mean(err ** 2)))
        if self.kalman is not None:
            kf = model_kalman(self.host_model, y)
            ms, Ps = rts_smoother(kf, self.host_model.A)
            z = (mean[:, 0] - ms[:, 0]) / np.sqrt(Ps[:, 0, 0])
            self.smoothed["smoother_rts_error"] = float(np.sqrt(np.mean(z ** 2)))

    # -- observation --------------------------------------------------------------------------------
    def observe(self) -> Observation:
        smc, N, t = self.smc, self.params.N, self.smc.t
        W = smc.weights()
        g = smc.genealogy
        series = {
            "weights": Series(W, np.full(N, 1.0 / N)),
            "ancestors": Series(np.bincount(g.founders, minlength=N), np.ones(N)),
        }
        x = smc.states()[:, 0]
        mean = float(W @ x)
        metrics = {
            "ess_fraction": smc.ess / N,
            "loglik_increment": smc.loglik_increment,
            "loglik": smc.loglik,
            "resampled": float(smc.resampled),
            "merger_probability": smc.merger_probability,
            "surviving_founders": float(g.distinct_ancestors(t)),
            "tree_nodes": float(g.n_nodes),
            "filter_mean": mean,
            "filter_sd": math.sqrt(max(float(W @ (x - mean) ** 2), 0.0)),
        }
        for lag in LAGS:
            if lag <= t:
                metrics[f"distinct_lag{lag}"] = float(g.distinct_ancestors(lag))
        tmrca = g.tmrca()
        if tmrca is not None:
            metrics["tmrca"] = float(tmrca)
        if self.data.x is not None:
            metrics["true_state"] = float(self.data.x[t, 0])
        if self.kalman is not None:
            metrics["kalman_mean"] = float(self.kalman.means[t, 0])
            metrics["kalman_sd"] = math.sqrt(float(self.kalman.covs[t, 0, 0]))
            metrics["kalman_loglik"] = float(self.kalman.loglik_increments[: t + 1].sum())
        if self.modes is not None:
            positive = float(W[x > 0].sum())
            series["modes"] = Series(np.array([positive, float(W[x <= 0].sum())]), self.modes[t])
            metrics["mode_mass_positive"] = positive
            metrics["grid_mass_positive"] = float(self.modes[t, 0])
        if self.params.resample_move and not math.isnan(smc.move_acceptance):
            metrics["move_acceptance"] = smc.move_acceptance
        if self.fixed_lag is not None:
            est = self.fixed_lag.estimate(W)
            if est is not None:
                metrics["fixed_lag_mean"] = float(est[0])
        if t == self.last and self.smoothed:
            founders = self.smoothed.get("founders")
            if founders is not None:
                series["smoothed_founders"] = Series(founders, float(self.params.smoother.trajectories))
            metrics.update({k: v for k, v in self.smoothed.items() if k != "founders"})
        return Observation(series=series, metrics=metrics)
