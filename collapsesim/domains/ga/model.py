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
(clearing's sequential walk is a compiled loop).
"""

from __future__ import annotations

import numpy as np

from ...engine import Genealogy
from .arrays import Random, arange, cat, put, take, to_numpy, xp_of
from .niching import cleared_fitness, crowding, restricted_tournament, shared_fitness
from .observe import observe_population
from .params import GAParams
from .selection import best_of, select_parents
from .variation import crossover, mutate


def random_population(problem, shape: tuple[int, int], backend, rnd: Random):
    """Uniform random individuals ``shape + (D,)`` in the box, or random bit strings."""
    if problem.kind == "bits":
        zeros = backend.asarray(np.zeros(shape + (problem.n_words,), dtype=np.uint64))
        return backend.bitflip_mutation(zeros, problem.n_bits, 0.5, rnd.gen)
    lower, span = box(problem, backend)
    return lower + span * rnd.random(shape + (problem.dim,))


def box(problem, backend):
    """The box's lower corner and widths as backend arrays."""
    return (backend.asarray(np.asarray(problem.lower, dtype=np.float64)),
            backend.asarray(np.asarray(problem.upper - problem.lower, dtype=np.float64)))


class GASimulation:
    """One replicate of :class:`~collapsesim.domains.ga.params.GAParams` with ``method: ga``."""

    def __init__(self, params: GAParams, backend, seed: np.random.SeedSequence):
        self.p = params
        self.problem = params.build_problem()
        self.bits = self.problem.kind == "bits"
        self.backend = backend
        self.rnd = Random(backend, seed)
        self.evaluate = self.problem.evaluator(backend.name)
        self.lower, self.span = (None, None) if self.bits else box(self.problem, backend)
        self.I, self.n = params.islands.count, params.deme_size
        self.evaluations = 0
        self.x = random_population(self.problem, (self.I, self.n), backend, self.rnd)
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
        return arange(self.n, self.f)[None, :] + 0 * arange(self.I, self.f)[:, None]

    def _selection_fitness(self):
        niche = self.p.niching
        if niche.kind == "sharing":
            return shared_fitness(self.f, self.x, niche.sigma, niche.alpha, self.bits)
        if niche.kind == "clearing":
            return cleared_fitness(self.f, self.x, niche.sigma, niche.kappa, self.bits, self.backend)
        return self.f

    def _vary(self, parents_state):
        children = parents_state
        if self.p.crossover.kind != "none":
            genes = self.problem.n_bits if self.bits else None
            children = crossover(self.p.crossover, children, self.backend, self.rnd, genes)
            if not self.bits:
                children = self.problem.clip(children)
        return mutate(self.p.mutation, children, self.backend, self.rnd, self.problem,
                      self.lower, self.span)

    # -- one generation ---------------------------------------------------------------------
    def step(self) -> None:
        p = self.p
        fsel = self._selection_fitness()
        if p.replacement == "crowding":
            perm = self.rnd.permutations((self.I, self.n))
            mates, f_mates = take(self.x, perm), take(self.f, perm)
            even = self.n - self.n % 2
            children = self._vary(mates[:, :even])
            x, f = crowding(mates[:, :even], f_mates[:, :even], children,
                            self._evaluate(children), self.bits)
            x, f = cat([x, mates[:, even:]], 1), cat([f, f_mates[:, even:]], 1)
            parent = perm
        else:
            lam = p.n_offspring
            parent = select_parents(p.selection, fsel, lam + lam % 2, self.backend, self.rnd)
            children = self._vary(take(self.x, parent))[:, :lam]
            parent = parent[:, :lam]
            fc = self._evaluate(children)
            x, f, parent = self._replace(children, fc, parent)
        x, f, parent = self._elitism(x, f, parent)
        x, f = self._immigrants(x, f)
        parent = parent + self.n * arange(self.I, parent)[:, None]
        self.generation += 1
        if self.I > 1 and p.islands.migrants and self.generation % p.islands.interval == 0:
            x, f, parent = self._migrate(x, f, parent)
        self.x, self.f = x, f
        self.parents = to_numpy(parent).reshape(-1).astype(np.int64)
        self.genealogy.update(self.parents)

    def _replace(self, children, fc, parent):
        kind, n = self.p.replacement, self.n
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
        x, f, winner = restricted_tournament(self.x, self.f, children, fc, self.p.rts_window,
                                             self.bits, self.rnd)
        took = winner >= 0
        xp = xp_of(f)
        own = self._own()
        from_child = take(parent, xp.where(took, winner, winner * 0))
        return x, f, xp.where(took, from_child, own)

    def _elitism(self, x, f, parent):
        e = self.p.elitism
        if not e:
            return x, f, parent
        best = best_of(self.f, e, self.backend)
        worst = best_of(-f, e, self.backend)
        return (put(x, worst, take(self.x, best)), put(f, worst, take(self.f, best)),
                put(parent, worst, best))

    def _immigrants(self, x, f):
        k = int(round(self.p.immigrants * self.n))
        if not k:
            return x, f
        slots = self.rnd.permutations((self.I, self.n))[:, :k]
        new = random_population(self.problem, (self.I, k), self.backend, self.rnd)
        return put(x, slots, new), put(f, slots, self._evaluate(new))

    def _migrate(self, x, f, parent):
        m = self.p.islands.migrants
        xp = xp_of(f)
        best = best_of(f, m, self.backend)
        worst = best_of(-f, m, self.backend)

        def ring(a):  # deme i's migrants go to deme i + 1
            return xp.roll(a, 1, 0)

        return (put(x, worst, ring(take(x, best))), put(f, worst, ring(take(f, best))),
                put(parent, worst, ring(take(parent, best))))

    # -- observation --------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        if self.budget is not None and self.evaluations >= self.budget:
            return True
        return self.p.stop_at_optimum and float(to_numpy(self.f).max()) >= self.problem.f_opt

    def observe(self):
        return observe_population(self.problem, self.x, self.f, evaluations=self.evaluations,
                                  founders=self.genealogy.founders, parents=self.parents)
