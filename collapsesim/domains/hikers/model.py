"""One replicate of the hikers: N parallel hill-climbers with periodic exploitation.

Every step each hiker proposes a move — a Gaussian step (σ × range per
coordinate, clipped into the box) or, on bit strings, one random bit flip
(random-mutation hill climbing, Forrest & Mitchell 1993) — and takes it if its
(penalised) fitness is not worse. With ``repulsion`` the fitness a hiker climbs
and is ranked on is f − c·Σ_{j≠i} exp(−d_ij²/(2w²)), so crowded hikers lose
out; with ``restart_patience`` a hiker that has not improved for that many
steps restarts uniformly at random (keeping its lineage). Every ``interval``
steps the exploit round (the engine's ``quantile_copy``: truncation and
replace, see :mod:`collapsesim.engine.kernels.exploit`) lets the worst copy the
best; the genealogy records each copier as a child of the hiker it copied.
The one-bit move is the engine's ``flip_one_bit``; arrays and random numbers
come only from the backend (one generator per replicate, from its seed).

The hikers are one :class:`~collapsesim.engine.Population` of shape ``(1, N)``
(state ``(1, N, D)`` or packed bits ``(1, N, W)``, fitness, and as ``parent``
the index each hiker was copied from in the last exploit round, its own index
otherwise — what the genealogy records); the exploit round is the
population's ``select``. The steps since each hiker last improved (``stall``)
are domain state held beside it.
"""

from __future__ import annotations

import numpy as np

from ...engine import Genealogy, Population
from ...problems.observe import observe_population
from ...problems.population import SolverPopulation, box, random_population
from .params import HikersParams


class HikersSimulation(SolverPopulation):
    """One replicate of :class:`~collapsesim.domains.hikers.params.HikersParams`."""

    def __init__(self, params: HikersParams, backend, seed: np.random.SeedSequence):
        self.p = params
        self.problem = params.build_problem()
        self.bits = self.problem.kind == "bits"
        self.backend = backend
        self.rng = backend.rng(seed)
        self.evaluate = self.problem.evaluator(backend)
        self.lower, self.span = (None, None) if self.bits else box(self.problem, backend)
        self.evaluations = 0
        x = random_population(self.problem, (1, params.N), backend, self.rng)
        self.pop = Population.new(x, self._evaluate(x), backend=backend, batched=True, founders=False)
        self.stall = self.f * 0
        self.genealogy = Genealogy(params.N)
        self._parents = None  # the last step's parents, flat, on the backend
        self._hit = backend.xp.where(self._solved(), 0, -1)
        self.t = 0
        self.budget = params.budget(self.problem)

    def _penalty(self, points):
        """c·Σ_{j≠i} exp(−‖points_i − x_j‖²/(2w²)) against the current positions x."""
        rep = self.p.repulsion
        d = points[:, :, None, :] - self.x[:, None, :, :]
        k = self.backend.xp.exp(-(d * d).sum(-1) / (2.0 * rep.width ** 2))
        own = self.backend.xp.exp(-((points - self.x) ** 2).sum(-1) / (2.0 * rep.width ** 2))
        return rep.strength * (k.sum(-1) - own)

    def _propose(self):
        if self.bits:
            return self.backend.op("flip_one_bit")(self.x, self.problem.n_bits, self.rng)
        step = self.p.sigma * self.span * self.backend.normal(tuple(self.x.shape), self.rng)
        return self.problem.clip(self.x + step)

    def _restart(self, stuck) -> None:
        k = int(stuck.sum())
        if not k:
            return
        be = self.backend
        fresh = random_population(self.problem, (1, k), be, self.rng)
        x, f = be.copy(self.x), be.copy(self.f)
        x[stuck] = fresh[0]
        f[stuck] = self._evaluate(fresh)[0]
        self.pop = self.pop.replace(state=x, fitness=f)
        self.stall = be.where(stuck, self.stall * 0, self.stall)

    def step(self) -> None:
        p, be = self.p, self.backend
        self.t += 1
        proposal = self._propose()
        fp = self._evaluate(proposal)
        if p.repulsion is None:
            accept = fp >= self.f
        else:
            accept = fp - self._penalty(proposal) >= self.f - self._penalty(self.x)
        self.stall = be.where(fp > self.f, self.stall * 0, self.stall + 1)
        self.pop = self.pop.replace(state=be.where(accept, proposal, self.x), fitness=be.where(accept, fp, self.f))
        if p.restart_patience is not None:
            self._restart(self.stall >= p.restart_patience)
        if p.interval and self.t % p.interval == 0:
            rank_on = self.f if p.repulsion is None else self.f - self._penalty(self.x)
            source = be.op("quantile_copy")(rank_on, p.n_copiers, p.exploit.kind, self.rng, self.x,
                                            p.radius, self.bits)
            self.pop, self.stall = self.pop.select(source), be.take(self.stall, source)
        else:
            self.pop = self.pop.replace(parent=self.pop.index)
        self._parents = self.pop.parent.reshape(-1)
        self.genealogy.update(self._parents)  # a torch tensor stays on its device
        self._hit = be.xp.where((self._hit < 0) & self._solved(), self.t, self._hit)

    def _solved(self):
        """Which hikers are at f_opt (on the backend; compared in float64)."""
        return self.backend.asarray(self.f[0], "float64") >= self.problem.f_opt

    @property
    def parents(self) -> np.ndarray | None:
        """The last step's parents (host int64; None before the first step), read on demand."""
        return None if self._parents is None else self.backend.to_numpy(self._parents).astype(np.int64)

    @property
    def hit(self) -> np.ndarray:
        """The first step at which each hiker stood at f_opt (-1: not yet), host int64."""
        return np.asarray(self.backend.to_numpy(self._hit), dtype=np.int64)

    @property
    def finished(self) -> bool:
        """The evaluation budget is spent, or (``stop_at_optimum``) every hiker has
        reached f_opt: one boolean read from the device per step, which the runner
        needs at every step to stop there."""
        if self.budget is not None and self.evaluations >= self.budget:
            return True
        return self.p.stop_at_optimum and bool((self._hit >= 0).all())

    def observe(self):
        obs = observe_population(self.problem, self.backend, self.x, self.f, evaluations=self.evaluations,
                                 founders=self.genealogy.founders, parents=self.parents)
        obs.metrics["solved_fraction"] = float((self.backend.to_numpy(self.f) >= self.problem.f_opt).mean())
        return obs
