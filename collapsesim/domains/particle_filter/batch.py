"""R replicates of the bootstrap filter as one array program (issue #14).

The particles are (R, N, d), the log-weights and weights (R, N); replicate r
draws from its own generator (``backend.row_rngs(seeds)``, row r =
``backend.rng(seeds[r])``, the lone run's), in the lone filter's order within
each step — the resampling of the rows that resample, then the transition's
normals — so row r is bitwise the lone :class:`~.smc.SMC` of replicate r on
CPU. Adaptive resampling decides per row (ESS per row): only the rows below
the threshold resample, through ``rows.subset``. Everything that is not a draw
(the model's mean and log g, the normalisation) runs on the whole array; the
numba backend runs one fused kernel over all rows (the operators
``particle_filter.propagate_rows`` and ``particle_filter.normalise_rows`` of
:mod:`.kernels`). Each row keeps its own
:class:`Genealogy` and listeners (the smoothers' histories), called with a
:class:`Row` view.

A row whose weights all become zero or NaN is marked ``diverged`` (with the
lone filter's message) and no longer stepped; the other rows continue.

Only the bootstrap filter without remedies is batched; the guided and
auxiliary filters, resample-move and roughening run as stacked lone
replicates (:class:`~collapsesim.domains.base.ReplicateStack`, see
:mod:`.simulation`).
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ...engine.genealogy import Genealogy
from ...engine.rng import generator_state, set_generator_state
from ..base import DivergenceError
from . import kernels  # noqa: F401 - registers the particle_filter.* operators looked up below


class Row:
    """Row r of a :class:`BatchSMC` with the attributes of a lone
    :class:`~.smc.SMC` that the listeners and the observation read."""

    move_acceptance = math.nan

    def __init__(self, batch: "BatchSMC", r: int):
        self.batch, self.r = batch, r
        self.backend = batch.backend

    @property
    def t(self) -> int:
        return self.batch.t

    @property
    def genealogy(self):
        return self.batch.genealogies[self.r]

    @property
    def lw(self):
        return self.batch.lw[self.r]

    @property
    def ess(self) -> float:
        return float(self.batch.ess[self.r])

    @property
    def loglik(self) -> float:
        return float(self.batch.loglik[self.r])

    @property
    def loglik_increment(self) -> float:
        return float(self.batch.loglik_increment[self.r])

    @property
    def resampled(self) -> bool:
        return bool(self.batch.resampled[self.r])

    @property
    def merger_probability(self) -> float:
        return float(self.batch.merger_probability[self.r])

    @property
    def ancestors(self) -> np.ndarray | None:
        """Parents (host int64) of the last step's particles; None: not resampled."""
        a = self.batch.ancestors_of(self.r)
        return None if a is None else np.asarray(self.backend.to_numpy(a), dtype=np.int64)

    def weights(self) -> np.ndarray:
        W = np.array(self.backend.to_numpy(self.batch.W[self.r]), dtype=np.float64)
        return W / W.sum()

    def states(self) -> np.ndarray:
        return np.array(self.backend.to_numpy(self.batch.x[self.r]), dtype=np.float64)


class BatchSMC:
    """R bootstrap particle filters on one ``model`` and data ``y`` (T, p);
    ``rows`` the R generators. State after time t: ``x`` (R, N, d), ``lw`` and
    ``W`` (R, N) as in :class:`~.smc.SMC` row by row; ``ess``, ``loglik``,
    ``loglik_increment``, ``merger_probability`` and ``resampled`` are host (R,)
    arrays; ``diverged`` (R,) and ``divergence`` (row → message) name the rows
    whose weights failed, which are no longer stepped. ``listeners[r]`` are
    called with ``Row(self, r)`` after time 0 and after every step."""

    def __init__(self, model, y, N: int, backend, rows, *, scheme: str = "systematic",
                 adaptive: bool = False, ess_threshold: float = 0.5, listeners=None):
        self.model, self.backend, self.rows = model, backend, rows
        self.y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        self.N, self.R, self.scheme = int(N), len(rows), scheme
        self.adaptive, self.ess_threshold = adaptive, ess_threshold
        self.listeners = [list(ls) for ls in listeners] if listeners else [[] for _ in range(self.R)]
        self.views = [Row(self, r) for r in range(self.R)]
        self._normalise = backend.op("particle_filter.normalise_rows")
        self._propagate_rows = backend.op("particle_filter.propagate_rows")
        self.genealogies = [Genealogy(self.N) for _ in range(self.R)]
        self._identity = backend.arange(self.N)
        R = self.R
        self.loglik, self.loglik_increment = np.zeros(R), np.zeros(R)
        self.ess, self.merger_probability = np.zeros(R), np.zeros(R)
        self.resampled = np.zeros(R, dtype=bool)
        self.diverged = np.zeros(R, dtype=bool)
        self.divergence: dict[int, str] = {}
        self._anc, self._anc_rows = None, np.zeros(R, dtype=bool)  # last step's parents by row
        self.t = 0
        self._start()

    @property
    def T(self) -> int:
        return self.y.shape[0]

    def ancestors_of(self, r: int):
        """Row r's parents of the last step (backend array), None: not resampled."""
        return self._anc[r] if self._anc_rows[r] else None

    # -- time 0 ------------------------------------------------------------------------------
    def _start(self) -> None:
        m, N, R = self.model, self.N, self.R
        self.x = m._m0 + self.backend.normal((R, N, m.dim), self.rows, m.dtype) @ m.init_noise.chol
        inc = self._obs_loglik(self.x, 0)
        lw = self.backend.asarray(inc, "float64") - math.log(N)
        self.lw, self.W = lw, None
        self._weigh(np.arange(R), lw)
        if self.diverged.any():  # a lone run raises at build: so does the batch
            raise DivergenceError(next(iter(self.divergence.values())))
        self._notify(np.arange(R))

    def _obs_loglik(self, x, t):
        """log g(y_t | x) for (k, N, d) particles, (k, N)."""
        k, N, d = x.shape
        with np.errstate(over="ignore"):
            return self.model.obs_loglik(self.y[t], x.reshape(k * N, d), t).reshape(k, N)

    # -- one step -------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance every live row from time t to t+1 (resample, propagate, weigh)."""
        t = self.t + 1
        if t >= self.T:
            raise IndexError(f"no observation left: the data have {self.T} time steps")
        be, N = self.backend, self.N
        live = np.flatnonzero(~self.diverged)
        if live.size == 0:
            self.t = t
            return
        whole = live.size == self.R
        sel = None if whole else be.asarray(live)
        x = self.x if whole else self.x[sel]
        lw = self.lw if whole else self.lw[sel]
        W = self.W if whole else self.W[sel]
        rngs = self.rows if whole else self.rows.subset(live)
        k = live.size
        need = (self.ess[live] < self.ess_threshold * N) if self.adaptive else np.ones(k, dtype=bool)
        res = np.flatnonzero(need)
        anc = None
        if res.size:
            if res.size == k:
                anc = be.resample(W, N, self.scheme, rngs)
                base = be.asarray(np.full((k, N), -math.log(N)))
            else:
                res_be = be.asarray(res)
                anc = self._identities(k)
                anc[res_be] = be.resample(W[res_be], N, self.scheme, rngs.subset(res))
                base = be.copy(lw)
                base[res_be] = -math.log(N)
        else:
            base = lw
        self.resampled[live] = need
        with np.errstate(divide="ignore"):
            self.merger_probability[live] = np.where(need, 1.0 / self.ess[live], 0.0)
        x_new, lw_new = self._propagate(x, anc, base, t, rngs)
        lw_new, W_new, ell, ess = self._normalise(lw_new)
        if whole:
            self.x, self.lw, self.W = x_new, lw_new, W_new
        else:
            self.x[sel], self.lw[sel], self.W[sel] = x_new, lw_new, W_new
        self.t = t
        self._record(live, ell, ess)
        self._anc = anc if whole or anc is None else self._scatter(sel, anc)
        self._anc_rows[:] = False
        if anc is not None:
            self._anc_rows[live[res]] = True
        for i, r in enumerate(live):  # a torch tensor stays on its device (see Genealogy)
            self.genealogies[r].update(anc[i] if need[i] else self._identity)
        self._notify(live)

    def _identities(self, k: int):
        """k rows of identity parents, (k, N) int64 (a new array)."""
        return self._identity[None, :] + self.backend.zeros((k, self.N), "int64")

    def _scatter(self, sel, anc):
        """The live rows' parents placed in an (R, N) array (other rows: identity)."""
        full = self._identities(self.R)
        full[sel] = anc
        return full

    def _propagate(self, x, anc, base, t, rngs):
        """x_t = μ(x_{t−1}[anc], t) + noise and lw = base + log g(y_t | x_t), row by
        row as the lone ``particle_filter.propagate``."""
        return self._propagate_rows(self.model, x, anc, base, self.y[t], t, rngs)

    # -- weights ------------------------------------------------------------------------------
    def _weigh(self, live, lw) -> None:
        """Time 0: normalise the rows ``live`` of ``lw`` (all rows)."""
        self.lw, self.W, ell, ess = self._normalise(lw)
        self._record(live, ell, ess)

    def _record(self, live, ell, ess) -> None:
        """Log-likelihood increments ``ell`` and ESS of rows ``live``; a row whose
        increment is NaN or infinite diverges (the lone filter's messages)."""
        for i in np.flatnonzero(~np.isfinite(ell)):
            r = int(live[i])
            self.diverged[r] = True
            self.divergence[r] = (
                f"importance weights became NaN at time {self.t}" if math.isnan(ell[i]) else
                f"all importance weights are zero at time {self.t} "
                "(the observation is impossible under every particle)")
        self.ess[live] = ess
        self.loglik_increment[live] = ell
        self.loglik[live] += ell

    def _notify(self, live) -> None:
        for r in live:
            if not self.diverged[r]:
                for listener in self.listeners[r]:
                    listener(self.views[r])

    # -- checkpoints ------------------------------------------------------------------------------
    _STATIC = ("model", "backend", "rows", "y", "views", "_normalise", "_propagate_rows",
               "_identity", "listeners")

    def state_dict(self) -> dict:
        """Every row's state and generator (copies)."""
        state = copy.deepcopy({k: v for k, v in vars(self).items() if k not in self._STATIC})
        state["rngs"] = [generator_state(g) for g in self.rows]
        return state

    def load_state_dict(self, state: dict) -> None:
        state = copy.deepcopy(state)
        for g, s in zip(self.rows, state.pop("rngs")):
            set_generator_state(g, s)
        vars(self).update(state)
