"""The replicates of the ``particle_filter`` domain, as the runner sees them.

:func:`build_simulation` returns all replicates at once: the bootstrap filter
without remedies as one :class:`BatchedParticleFilterSimulation` (the R rows of
:class:`~.batch.BatchSMC`, row r bitwise the lone replicate r), the other
variants as stacked lone :class:`ParticleFilterSimulation` (one replicate).

``step()`` is one time step of :class:`~.smc.SMC` (resample the previous
particles, propagate, weigh); ``observe()`` reports the particles of the
current time *before* they are resampled. Step 0 is time 0 (x_0 drawn, y_0
weighed), step t is time t; a run of ``steps`` steps filters y_0..y_steps.
A CSV file with fewer rows ends the run early (``finished``, every replicate
at once).

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

import copy
import math

import numpy as np

from ...engine.backends import get_backend
from ...engine.rng import generator_state, numpy_generator, set_generator_state, streams
from ..base import Observation, ReplicateStack, Series
from .data import load_data
from .grid import mode_masses
from .kalman import model_kalman, rts_smoother
from .models import LinearGaussian, build_model
from .batch import BatchSMC
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

    _STATIC = ("model", "backend", "rng", "y", "resampler", "listeners", "_propagate", "_normalise",
               "_identity")

    def state_dict(self) -> dict:
        """The filter's state and generator, the listeners, the smoother's stream and results."""
        smc = {k: v for k, v in vars(self.smc).items() if k not in self._STATIC}
        return {"smc": copy.deepcopy((smc, self.history, self.fixed_lag, self.smoothed)),
                "rng": generator_state(self.smc.rng), "host_rng": generator_state(self.host_rng)}

    def load_state_dict(self, state: dict) -> None:
        smc, history, fixed_lag, smoothed = copy.deepcopy(state["smc"])
        vars(self.smc).update(smc)
        for mine, saved in ((self.history, history), (self.fixed_lag, fixed_lag)):
            if mine is not None:  # in place: the filter calls these objects
                vars(mine).update(vars(saved))
        self.smoothed = smoothed
        set_generator_state(self.smc.rng, state["rng"])
        set_generator_state(self.host_rng, state["host_rng"])

    # -- smoothing, once the last observation is filtered ---------------------------------------
    def _smooth(self) -> None:
        self.smoothed.update(smooth(self.params, self.host_model, self.data, self.last, self.history,
                                    self.host_rng))

    # -- observation --------------------------------------------------------------------------------
    def observe(self) -> Observation:
        return observation(self.params, self.smc, self.data, self.last, self.kalman, self.modes,
                           self.fixed_lag, self.smoothed)


def batchable(params) -> bool:
    """Whether the replicates run as one array program (:class:`BatchedParticleFilterSimulation`):
    the bootstrap filter without resample-move or roughening."""
    return params.filter == "bootstrap" and not params.resample_move and not params.roughening


def build_simulation(params, backend, seeds, steps: int):
    """All replicates of ``seeds``: one :class:`BatchedParticleFilterSimulation`,
    or (guided and auxiliary filters, resample-move, roughening) the lone
    simulations stacked (:class:`~collapsesim.domains.base.ReplicateStack`)."""
    if batchable(params):
        return BatchedParticleFilterSimulation(params, backend, seeds, steps)
    return ReplicateStack([ParticleFilterSimulation(params, backend, s, steps) for s in seeds])


class BatchedParticleFilterSimulation:
    """R replicates of the bootstrap filter (:class:`~.batch.BatchSMC`): one
    data set and its references, per row the smoother's stream (child
    "smoother" of replicate r's seed), listeners and results. Row r's
    observations are replicate r's lone ones. ``finished`` (the data are
    exhausted) ends every row at once; ``diverged``/``divergence`` are the
    filter's (rows whose weights failed)."""

    def __init__(self, params, backend, seeds, steps: int):
        self.params = params
        self.host_model = build_model(params.model, get_backend("numpy"))
        self.data = load_data(params, self.host_model, steps + 1)
        self.last = min(steps, self.data.T - 1)
        self.host_rngs = [numpy_generator(streams(s, "reserved", "smoother")["smoother"])
                          for s in seeds]
        kind = None if params.smoother is None else params.smoother.kind
        R = len(seeds)
        self.histories = [History() for _ in range(R)] if kind == "ffbsi" else None
        self.fixed_lags = ([FixedLag(params.smoother.lag) for _ in range(R)]
                           if kind == "fixed_lag" else None)
        self.kalman = (model_kalman(self.host_model, self.data.y)
                       if isinstance(self.host_model, LinearGaussian) else None)
        self.modes = (mode_masses(self.host_model, params.model.model_dump_json(), self.data.y)
                      if params.model.kind == "growth" else None)
        self.smoothed: list[dict] = [{} for _ in range(R)]
        listeners = [[x[r] for x in (self.histories, self.fixed_lags) if x is not None]
                     for r in range(R)]
        self.smc = BatchSMC(build_model(params.model, backend, params.dtype), self.data.y,
                            params.N, backend, backend.row_rngs(seeds), scheme=params.scheme,
                            adaptive=params.resampling == "adaptive",
                            ess_threshold=params.ess_threshold, listeners=listeners)

    @property
    def finished(self) -> bool:
        """The data are exhausted (every row at once)."""
        return self.smc.t >= self.last

    @property
    def diverged(self) -> np.ndarray:
        return self.smc.diverged.copy()

    @property
    def divergence(self) -> dict:
        return self.smc.divergence

    def step(self) -> None:
        self.smc.step()
        if self.smc.t == self.last:
            for r in np.flatnonzero(~self.smc.diverged):
                self.smoothed[r].update(smooth(self.params, self.host_model, self.data, self.last,
                                               None if self.histories is None else self.histories[r],
                                               self.host_rngs[r]))

    def observe(self, rows=None) -> list[Observation]:
        rows = range(self.smc.R) if rows is None else rows
        return [observation(self.params, self.smc.views[int(r)], self.data, self.last, self.kalman,
                            self.modes, None if self.fixed_lags is None else self.fixed_lags[int(r)],
                            self.smoothed[int(r)]) for r in rows]

    def state_dict(self) -> dict:
        """The filter's rows, the listeners, the smoothers' streams and results."""
        return {"smc": self.smc.state_dict(),
                "listeners": copy.deepcopy((self.histories, self.fixed_lags, self.smoothed)),
                "host_rngs": [generator_state(g) for g in self.host_rngs]}

    def load_state_dict(self, state: dict) -> None:
        self.smc.load_state_dict(state["smc"])
        histories, fixed_lags, smoothed = copy.deepcopy(state["listeners"])
        for mine, saved in ((self.histories, histories), (self.fixed_lags, fixed_lags)):
            for a, b in zip(mine or (), saved or ()):  # in place: the filter calls these objects
                vars(a).update(vars(b))
        self.smoothed = smoothed
        for g, s in zip(self.host_rngs, state["host_rngs"]):
            set_generator_state(g, s)


def smooth(params, host_model, data, last: int, history, host_rng) -> dict:
    """The smoother's results once y_0..y_last are filtered (FFBSi from the
    filter's ``history``, or PGAS), drawn from ``host_rng``; {} without one."""
    sm, out = params.smoother, {}
    if sm is None or sm.kind == "fixed_lag":
        return out
    y = data.y[: last + 1]
    if sm.kind == "ffbsi":
        paths, first = ffbsi(host_model, history, sm.trajectories, host_rng)
        out["founders"] = np.bincount(first, minlength=params.N)
        mean = paths.mean(axis=0)
    else:
        chain = pgas(host_model, y, params.N, sm.sweeps, host_rng, sm.ancestor_sampling)
        rates = update_rates(chain)
        out["pgas_update_rate_min"] = float(rates.min())
        out["pgas_update_rate_t0"] = float(rates[0])
        mean = chain[sm.burn_in:].mean(axis=0)
    if data.x is not None:
        err = mean[:, 0] - data.x[: last + 1, 0]
        out["smoother_rmse"] = float(np.sqrt(np.mean(err ** 2)))
    if isinstance(host_model, LinearGaussian):
        kf = model_kalman(host_model, y)
        ms, Ps = rts_smoother(kf, host_model.A)
        z = (mean[:, 0] - ms[:, 0]) / np.sqrt(Ps[:, 0, 0])
        out["smoother_rts_error"] = float(np.sqrt(np.mean(z ** 2)))
    return out


def observation(params, smc, data, last: int, kalman, modes, fixed_lag, smoothed: dict) -> Observation:
    """One replicate's observation (module docstring) from its filter ``smc``
    (an :class:`~.smc.SMC`, or one row of a batch: :class:`~.batch.Row`), its
    data and references, fixed-lag listener and smoother results."""
    N, t = params.N, smc.t
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
    if data.x is not None:
        metrics["true_state"] = float(data.x[t, 0])
    if kalman is not None:
        metrics["kalman_mean"] = float(kalman.means[t, 0])
        metrics["kalman_sd"] = math.sqrt(float(kalman.covs[t, 0, 0]))
        metrics["kalman_loglik"] = float(kalman.loglik_increments[: t + 1].sum())
    if modes is not None:
        positive = float(W[x > 0].sum())
        series["modes"] = Series(np.array([positive, float(W[x <= 0].sum())]), modes[t])
        metrics["mode_mass_positive"] = positive
        metrics["grid_mass_positive"] = float(modes[t, 0])
    if params.resample_move and not math.isnan(smc.move_acceptance):
        metrics["move_acceptance"] = smc.move_acceptance
    if fixed_lag is not None:
        est = fixed_lag.estimate(W)
        if est is not None:
            metrics["fixed_lag_mean"] = float(est[0])
    if t == last and smoothed:
        founders = smoothed.get("founders")
        if founders is not None:
            series["smoothed_founders"] = Series(founders, float(params.smoother.trajectories))
        metrics.update({k: v for k, v in smoothed.items() if k != "founders"})
    return Observation(series=series, metrics=metrics)
