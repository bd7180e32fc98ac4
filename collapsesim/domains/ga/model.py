"""One replicate of the genetic algorithm.

The population is one :class:`~collapsesim.engine.Population` of ``I`` demes
(islands, its leading batch axis) of ``n = N/I`` individuals: state
``(I, n, D)`` real coordinates (or ``(I, n, W)`` packed bits), fitness
``(I, n)`` and parent ``(I, n)`` on the backend (no label or founder arrays:
the :class:`~collapsesim.engine.Genealogy` keeps the lineages). Between steps
``parent`` holds what the genealogy records: each individual's parent as an
index into the previous generation flattened deme by deme (``i·n + j``;
-1 at founding).
Selection, replacement, elitism, immigrants and migration move state,
fitness and parent together through the population's ``select``/``take``/
``put``/``concatenate``. One step is one generation:

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

from ...engine import Genealogy, Population
from ...problems.observe import observe_population
from ...problems.population import SolverPopulation, box, random_population
from .niching import restricted_tournament
from .params import GAParams
from .selection import best_of, select_parents
from .variation import crossover, mutate


class GASimulation(SolverPopulation):
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
        x = random_population(self.problem, (self.I, self.n), backend, self.rng)
        self.pop = Population.new(x, self._evaluate(x), backend=backend, batched=True, founders=False)
        self.genealogy = Genealogy(params.N)
        self._parents = None  # the last generation's parents, flat, on the backend
        self.generation = 0
        self.budget = params.budget(self.problem)

    # -- helpers --------------------------------------------------------------------------
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
        fsel = self._selection_fitness()
        if p.replacement == "crowding":
            mates = self.pop.select(be.argsort(be.uniform((self.I, self.n), self.rng)))
            even = self.n - self.n % 2
            children = self._vary(mates.state[:, :even])
            x, f = be.op("crowding_replacement")(mates.state[:, :even], mates.fitness[:, :even], children,
                                                 self._evaluate(children), self.bits)
            new = mates.replace(state=be.concatenate([x, mates.state[:, even:]], 1),
                                fitness=be.concatenate([f, mates.fitness[:, even:]], 1))
        else:
            lam = p.n_offspring
            parent = select_parents(p.selection, fsel, lam + lam % 2, be, self.rng)
            children = self._vary(be.take(self.x, parent))[:, :lam]
            new = self._replace(self.pop.replace(state=children, fitness=self._evaluate(children),
                                                 parent=parent[:, :lam]))
        new = self._immigrants(self._elitism(new))
        new = new.replace(parent=new.parent + self.n * be.arange(self.I)[:, None])
        self.generation += 1
        if self.I > 1 and p.islands.migrants and self.generation % p.islands.interval == 0:
            new = self._migrate(new)
        self.pop = new
        self._parents = new.parent.reshape(-1)
        self.genealogy.update(self._parents)  # a torch tensor stays on its device

    @property
    def parents(self) -> np.ndarray | None:
        """The last generation's parents (host int64, flattened deme by deme; None
        before the first step), read on demand: the step moves nothing to the host."""
        return None if self._parents is None else self.backend.to_numpy(self._parents).astype(np.int64)

    def _replace(self, children: Population) -> Population:
        """The next generation from the current one and the λ ``children`` (parent:
        the local index each child was copied from; a survivor's is its own)."""
        kind, n, be = self.p.replacement, self.n, self.backend
        if kind == "generational":
            return children
        if kind == "comma":
            return children.take(best_of(children.fitness, n, be))
        if kind == "plus":
            pool = self.pop.replace(parent=self.pop.index).concatenate(children)
            return pool.take(best_of(pool.fitness, n, be))
        x, f, winner = restricted_tournament(be, self.x, self.f, children.state, children.fitness,
                                             self.p.rts_window, self.bits, self.rng)
        took = winner >= 0
        from_child = be.take(children.parent, be.where(took, winner, winner * 0))
        return self.pop.replace(state=x, fitness=f, parent=be.where(took, from_child, self.pop.index))

    def _elitism(self, new: Population) -> Population:
        """The best e of the current generation (each its own parent) over the worst e of ``new``."""
        e = self.p.elitism
        if not e:
            return new
        be = self.backend
        best = best_of(self.f, e, be)
        return new.put(best_of(-new.fitness, e, be), self.pop.select(best))

    def _immigrants(self, new: Population) -> Population:
        """Random individuals over random slots of each deme; an immigrant keeps the
        replaced individual's parent."""
        k = int(round(self.p.immigrants * self.n))
        if not k:
            return new
        be = self.backend
        slots = be.argsort(be.uniform((self.I, self.n), self.rng))[:, :k]
        fresh = random_population(self.problem, (self.I, k), be, self.rng)
        return new.put(slots, new.take(slots).replace(state=fresh, fitness=self._evaluate(fresh)))

    def _migrate(self, new: Population) -> Population:
        """Ring migration: deme i's best ``migrants`` (with their parents) replace the
        worst of deme i + 1."""
        m, be = self.p.islands.migrants, self.backend
        best = best_of(new.fitness, m, be)
        worst = best_of(-new.fitness, m, be)
        migrants = new.take(best).apply(lambda a: be.xp.roll(a, 1, 0))
        return new.put(worst, migrants)

    # -- observation --------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        """The evaluation budget is spent, or (``stop_at_optimum``) an individual
        reached f_opt. The latter is the loop's one host read per step (one
        boolean, compared on the device in float64) — the runner must know it
        at every step to stop there."""
        if self.budget is not None and self.evaluations >= self.budget:
            return True
        return self.p.stop_at_optimum and bool(self.backend.asarray(self.f.max(), "float64") >= self.problem.f_opt)

    def observe(self):
        return observe_population(self.problem, self.backend, self.x, self.f, evaluations=self.evaluations,
                                  founders=self.genealogy.founders, parents=self.parents)
