"""One replicate of the genetic algorithm.

The population is ``I`` demes (islands) of ``n = N/I`` individuals: state
``(I, n, D)`` real coordinates (or ``(I, n, W)`` packed bits) and fitness
``(I, n)`` on the backend. One step is one generation:

1. the fitness selection sees (niching: shared or cleared fitness, else raw);
2. parents: a random permutation (deterministic crowding) or λ draws of the
   selection scheme; consecutive pairs are crossed, children mutated and
   evaluated (real coordinates clipped into the box);
3. replacement: generational, (μ, λ), (μ + λ), crowding or restricted
   tournament selection; then elitism, random immigrants and, every
   ``islands.interval`` generations, ring migration of the best ``migrants``
   of each deme over the worst of the next;
4. the genealogy gains a generation: each individual's parent is the parent it
   was copied from (child 2j+1 of a pair descends from the pair's second
   parent), itself when it survived, the replaced individual's parent for an
   immigrant (immigrants carry no lineage of their own).

No Python loop runs over individuals: every operator acts on whole arrays
(clearing's sequential walk is a compiled loop). Arrays and random numbers
come only from the backend (one generator per replicate, from its seed) and
the engine's operators (:mod:`collapsesim.engine.kernels`).
"""

from __future__ import annotations

import numpy as np

from ...engine import Genealogy
from ...problems.observe import observe_population
from ...problems.population import box, random_population
from .niching import restricted_tournament
from .params import GAParams
from .selection import best_of, select_parents
from .variation import crossover, mutate


class GASimulation:
    """One replicate of :class:`~collapsesim.domains.ga.params.GAParams` with ``method: ga``."""

    def __init__(self, params: GAParams, backend, seed: np.random.SeedSequence):
        self.p = params
        self.problem = params.build_problem()
        self.bits = self.problem.kind == "bits"
        self.backend = backend
        self.rng = backend.rng(seed)
        self.evaluate = self.problem.evaluator(backend)
        self.lower, self.span = (None, None) if self.bits else box(self.problem, backend)
        self.I, self.n = params.islands.count, params.deme_size
        self.evaluations = 0
        self.x = random_population(self.problem, (self.I, self.n), backend, self.rng)
        self.f = self._evaluate(self.x)
        self.genealogy = Genealogy(params.N)
        self.parents: np.ndarray | None = None
        self.generation = 0
        self.budget = params.budget(self.problem)

    # -- helpers --------------------------------------------------------------------------
    def _evaluate(self, x):
        self.evaluations += int(np.prod(tuple(x.shape[:-1])))
        return self.backend.asarray(self.evaluate(x))

    def _own(self):
        """Each slot's own local index, ``(I, n)``."""
        return self.backend.arange(self.n)[None, :] + 0 * self.backend.arange(self.I)[:, None]

    def _selection_fitness(self):
        niche = self.p.niching
        if niche.kind == "sharing":
            return self.backend.op("shared_fitness")(self.f, self.x, niche.sigma, niche.alpha, self.bits)
        if niche.kind == "clearing":
            return self.backend.op("clearing")(self.f, self.x, niche.sigma, niche.kappa, self.bits)
        return self.f

    def _vary(self, parents_state):
        children = parents_state
        if self.p.crossover.kind != "none":
            genes = self.problem.n_bits if self.bits else None
            children = crossover(self.p.crossover, children, self.backend, self.rng, genes)
            if not self.bits:
                children = self.problem.clip(children)
        return mutate(self.p.mutation, children, self.backend, self.rng, self.problem,
                      self.lower, self.span)

    # -- one generation ---------------------------------------------------------------------
    def step(self) -> None:
        p, be = self.p, self.backend
        take = be.take
        fsel = self._selection_fitness()
        if p.replacement == "crowding":
            perm = be.argsort(be.uniform((self.I, self.n), self.rng))
            mates, f_mates = take(self.x, perm), take(self.f, perm)
            even = self.n - self.n % 2
            children = self._vary(mates[:, :even])
            x, f = be.op("crowding_replacement")(mates[:, :even], f_mates[:, :even], children,
                                                 self._evaluate(children), self.bits)
            x, f = be.concatenate([x, mates[:, even:]], 1), be.concatenate([f, f_mates[:, even:]], 1)
            parent = perm
        else:
            lam = p.n_offspring
            parent = select_parents(p.selection, fsel, lam + lam % 2, be, self.rng)
            children = self._vary(take(self.x, parent))[:, :lam]
            parent = parent[:, :lam]
            fc = self._evaluate(children)
            x, f, parent = self._replace(children, fc, parent)
        x, f, parent = self._elitism(x, f, parent)
        x, f = self._immigrants(x, f)
        parent = parent + self.n * be.arange(self.I)[:, None]
        self.generation += 1
        if self.I > 1 and p.islands.migrants and self.generation % p.islands.interval == 0:
            x, f, parent = self._migrate(x, f, parent)
        self.x, self.f = x, f
        self.parents = be.to_numpy(parent).reshape(-1).astype(np.int64)
        self.genealogy.update(self.parents)

    def _replace(self, children, fc, parent):
        kind, n, be = self.p.replacement, self.n, self.backend
        take, cat = be.take, be.concatenate
        if kind == "generational":
            return children, fc, parent
        if kind == "comma":
            keep = best_of(fc, n, self.backend)
            return take(children, keep), take(fc, keep), take(parent, keep)
        if kind == "plus":
            pool_x, pool_f = cat([self.x, children], 1), cat([self.f, fc], 1)
            pool_parent = cat([self._own(), parent], 1)
            keep = best_of(pool_f, n, self.backend)
            return take(pool_x, keep), take(pool_f, keep), take(pool_parent, keep)
        x, f, winner = restricted_tournament(be, self.x, self.f, children, fc, self.p.rts_window,
                                             self.bits, self.rng)
        took = winner >= 0
        from_child = take(parent, be.where(took, winner, winner * 0))
        return x, f, be.where(took, from_child, self._own())

    def _elitism(self, x, f, parent):
        e = self.p.elitism
        if not e:
            return x, f, parent
        be = self.backend
        best = best_of(self.f, e, be)
        worst = best_of(-f, e, be)
        return (be.put(x, worst, be.take(self.x, best)), be.put(f, worst, be.take(self.f, best)),
                be.put(parent, worst, best))

    def _immigrants(self, x, f):
        k = int(round(self.p.immigrants * self.n))
        if not k:
            return x, f
        be = self.backend
        slots = be.argsort(be.uniform((self.I, self.n), self.rng))[:, :k]
        new = random_population(self.problem, (self.I, k), be, self.rng)
        return be.put(x, slots, new), be.put(f, slots, self._evaluate(new))

    def _migrate(self, x, f, parent):
        m, be = self.p.islands.migrants, self.backend
        best = best_of(f, m, be)
        worst = best_of(-f, m, be)

        def ring(a):  # deme i's migrants go to deme i + 1
            return be.xp.roll(a, 1, 0)

        return (be.put(x, worst, ring(be.take(x, best))), be.put(f, worst, ring(be.take(f, best))),
                be.put(parent, worst, ring(be.take(parent, best))))

    # -- observation --------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        if self.budget is not None and self.evaluations >= self.budget:
            return True
        return self.p.stop_at_optimum and float(self.backend.to_numpy(self.f).max()) >= self.problem.f_opt

    def observe(self):
        return observe_population(self.problem, self.backend, self.x, self.f, evaluations=self.evaluations,
                                  founders=self.genealogy.founders, parents=self.parents)
