"""The hikers, R replicates as one array program: R teams of N parallel
hill-climbers with periodic exploitation.

Every step each hiker proposes a move — a Gaussian step (σ × range per
coordinate, clipped into the box) or, on bit strings, one random bit flip
(random-mutation hill climbing, Forrest & Mitchell 1993) — and takes it if its
(penalised) fitness is not worse. With ``repulsion`` the fitness a hiker climbs
and is ranked on is f − c·Σ_{j≠i} exp(−d_ij²/(2w²)) over the hikers j of its
own team, so crowded hikers lose out; with ``restart_patience`` a hiker that
has not improved for that many steps restarts uniformly at random (keeping its
lineage). Every ``interval`` steps the exploit round (the engine's
``quantile_copy``: truncation and replace, see
:mod:`collapsesim.engine.kernels.exploit`) lets the worst of each team copy its
best; the genealogy records each copier as a child of the hiker it copied. The
one-bit move is the engine's ``flip_one_bit``.

The teams are one :class:`~collapsesim.engine.Population` of shape ``(R, N)``
(state ``(R, N, D)`` or packed bits ``(R, N, W)``, fitness, and as ``parent``
the index within its team each hiker was copied from in the last exploit
round, its own index otherwise); the exploit round is the population's
``select``. The steps since each hiker last improved (``stall``), the step at
which it first stood at f_opt (``hit``) and each replicate's evaluations are
held beside it. One :class:`~collapsesim.engine.Genealogy` forest of R·N
founders holds every team's lineages (replicate r's hikers are r·N … r·N + N − 1).

Random numbers: replicate r has its own backend generator, from its seed
(``backend.row_rngs``). Every draw of a step is made for all replicates at
once with those generators (:mod:`collapsesim.engine.replicates`), each row
seeing the ``(1, N, …)`` arrays its lone run passes, so row r draws exactly the
numbers, in the order, of a lone run of replicate r: a replicate alone equals
its row in a batch, bitwise on CPU. Only the restarts draw row by row (each
replicate restarts its own number of hikers). Everything else (moves,
fitness, repulsion, acceptance, observation) runs once on the whole
``(R, …)`` array.

The runs end per replicate (:attr:`HikersSimulation.finished`, a boolean per
replicate): when its evaluation budget is spent (restarts spend evaluations,
so replicates may end at different steps) or (``stop_at_optimum``) every one
of its hikers has reached f_opt. Ended replicates keep stepping with their own
generators, unobserved, as the batched contract allows.
"""

from __future__ import annotations

import copy

import numpy as np

from ...engine import Genealogy, Population
from ...engine.rng import generator_state, set_generator_state
from ...problems.population import SolverPopulation, box, random_population
from ..base import Observations
from .params import HikersParams


class HikersSimulation(SolverPopulation):
    """The replicates ``seeds`` (one or more) of
    :class:`~collapsesim.domains.hikers.params.HikersParams`, as one population
    of R teams."""

    def __init__(self, params: HikersParams, backend, seeds):
        self.p = params
        self.problem = params.build_problem()
        self.bits = self.problem.kind == "bits"
        self.backend = backend
        self.R = len(seeds)
        self.rng = backend.row_rngs(seeds)
        self.evaluate = self.problem.evaluator(backend)
        self.lower, self.span = (None, None) if self.bits else box(self.problem, backend)
        self.evaluations = np.zeros(self.R, dtype=np.int64)  # per replicate
        x = random_population(self.problem, (self.R, 1, params.N), backend, self.rng)[:, 0]
        self.pop = Population.new(x, self._evaluate(x), backend=backend, batched=True, founders=False)
        self.stall = self.f * 0
        self.genealogy = Genealogy(self.R * params.N)
        self._offset = params.N * backend.arange(self.R)  # each team's first hiker in the forest
        self._parents = None  # the last step's parents (R, N), within each team, on the backend
        self._hit = backend.xp.where(self._solved(), 0, -1)
        self._done = np.zeros(self.R, dtype=bool)
        self.t = 0
        self.budget = params.budget(self.problem)

    def _evaluate(self, x):
        """Fitness of ``x`` (R, n, …) on the backend; each replicate spends n evaluations."""
        self.evaluations += int(np.prod(tuple(x.shape[1:-1])))
        return self.backend.asarray(self.evaluate(x))

    def _penalty(self, points):
        """c·Σ_{j≠i} exp(−‖points_i − x_j‖²/(2w²)) against the current positions x of the same team."""
        rep = self.p.repulsion
        d = points[:, :, None, :] - self.x[:, None, :, :]
        k = self.backend.xp.exp(-(d * d).sum(-1) / (2.0 * rep.width ** 2))
        own = self.backend.xp.exp(-((points - self.x) ** 2).sum(-1) / (2.0 * rep.width ** 2))
        return rep.strength * (k.sum(-1) - own)

    def _propose(self):
        """Every hiker's move; row r draws the ``(1, N, …)`` numbers of its lone run."""
        if self.bits:
            return self.backend.op("flip_one_bit")(self.x[:, None], self.problem.n_bits, self.rng)[:, 0]
        step = self.p.sigma * self.span * self.backend.normal((self.R, 1) + tuple(self.x.shape[1:]), self.rng)[:, 0]
        return self.problem.clip(self.x + step)

    def _restart(self, stuck) -> None:
        """Stuck hikers restart at uniform random points: replicate r draws its
        k_r fresh hikers as ``(1, k_r)`` from its own generator, as alone. The
        step's one host read: the k_r (R integers)."""
        counts = stuck.sum(-1).tolist()
        rows = [r for r, k in enumerate(counts) if k]
        if not rows:
            return
        be = self.backend
        fresh = be.concatenate([random_population(self.problem, (1, counts[r]), be, self.rng[r])
                                for r in rows], 1)
        x, f = be.copy(self.x), be.copy(self.f)
        x[stuck] = fresh[0]
        f[stuck] = be.asarray(self.evaluate(fresh))[0]
        self.evaluations += np.asarray(counts, dtype=np.int64)
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
            source = be.op("quantile_copy")(rank_on[:, None], p.n_copiers, p.exploit.kind, self.rng,
                                            self.x[:, None], p.radius, self.bits)[:, 0]
            self.pop, self.stall = self.pop.select(source), be.take(self.stall, source)
        else:
            self.pop = self.pop.replace(parent=self.pop.index)
        self._parents = self.pop.parent
        # a torch tensor stays on its device
        self.genealogy.update((self._parents + self._offset[:, None]).reshape(-1))
        self._hit = be.xp.where((self._hit < 0) & self._solved(), self.t, self._hit)

    def _solved(self):
        """Which hikers are at f_opt, (R, N) on the backend (compared in float64)."""
        return self.backend.asarray(self.f, "float64") >= self.problem.f_opt

    @property
    def parents(self) -> np.ndarray | None:
        """The last step's parents ``(R, N)``, each within its team (host int64;
        None before the first step), read on demand."""
        return None if self._parents is None else self.backend.to_numpy(self._parents).astype(np.int64)

    @property
    def hit(self) -> np.ndarray:
        """The first step at which each hiker stood at f_opt (-1: not yet), host
        int64 of length R·N (replicate r's hikers at r·N … r·N + N − 1)."""
        return np.asarray(self.backend.to_numpy(self._hit), dtype=np.int64).reshape(-1)

    @property
    def finished(self) -> np.ndarray:
        """Per replicate (length R, once true stays true): its evaluation budget
        is spent, or (``stop_at_optimum``) every one of its hikers has reached
        f_opt. The latter is one read of R booleans from the device per step,
        which the runner needs at every step to end each replicate there."""
        if self.budget is not None:
            self._done |= self.evaluations >= self.budget
        if self.p.stop_at_optimum and not self._done.all():
            self._done |= np.asarray((self._hit >= 0).all(-1).tolist(), dtype=bool)
        return self._done.copy()

    def observe(self, rows=None) -> Observations:
        """The observations of replicates ``rows`` (all by default), in order,
        stacked (:meth:`~collapsesim.problems.population.SolverPopulation.stacked_observations`),
        with each team's fraction of hikers at f_opt."""
        obs, f = self.stacked_observations(rows, self.backend)
        obs.metrics["solved_fraction"] = (f >= self.problem.f_opt).mean(1)
        return obs

    # -- checkpoints (the runner's --checkpoint-every / --resume) -------------------------------
    def state_dict(self) -> dict:
        """Everything ``step`` changes, every replicate's generator state included (copies)."""
        be = self.backend
        return {"state": be.to_numpy(self.x).copy(), "fitness": be.to_numpy(self.f).copy(),
                "parent": be.to_numpy(self.pop.parent).copy(), "stall": be.to_numpy(self.stall).copy(),
                "hit": be.to_numpy(self._hit).copy(), "parents": self.parents,
                "genealogy": copy.deepcopy(self.genealogy), "evaluations": self.evaluations.copy(),
                "done": self._done.copy(), "t": self.t,
                "rngs": [generator_state(self.rng[r]) for r in range(self.R)]}

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state_dict()``: every row takes the same steps and draws."""
        be = self.backend
        self.pop = self.pop.replace(state=be.asarray(state["state"]), fitness=be.asarray(state["fitness"]),
                                    parent=be.asarray(state["parent"]))
        self.stall, self._hit = be.asarray(state["stall"]), be.asarray(state["hit"])
        self._parents = None if state["parents"] is None else be.asarray(state["parents"])
        self.genealogy = copy.deepcopy(state["genealogy"])
        self.evaluations = np.asarray(state["evaluations"]).copy()
        self._done = np.asarray(state["done"]).copy()
        self.t = int(state["t"])
        for r, s in enumerate(state["rngs"]):
            set_generator_state(self.rng[r], s)
