"""The genetic algorithm, R replicates as one array program.

The population is one :class:`~collapsesim.engine.Population` of ``R·I``
demes along its leading batch axis — replicate r's ``I`` demes (islands) are
rows ``r·I … r·I + I − 1`` — of ``n = N/I`` individuals: state ``(R·I, n, D)``
real coordinates (or ``(R·I, n, W)`` packed bits), fitness ``(R·I, n)`` and
parent ``(R·I, n)`` on the backend (no label or founder arrays: the
:class:`~collapsesim.engine.Genealogy` keeps the lineages). Between steps
``parent`` holds what the genealogy records: each individual's parent as an
index into its replicate's previous generation flattened deme by deme
(``i·n + j``; -1 at founding).
Selection, replacement, elitism, immigrants and migration move state,
fitness and parent together through the population's ``select``/``take``/
``put``/``concatenate``. One step is one generation of every replicate:

1. the fitness selection sees (niching: shared or cleared fitness, else raw);
2. parents: a random permutation (deterministic crowding) or λ draws of the
   selection scheme; consecutive pairs are crossed, children mutated and
   evaluated (real coordinates clipped into the box);
3. replacement: generational, (μ, λ), (μ + λ), crowding or restricted
   tournament selection; then elitism, random immigrants and, every
   ``islands.interval`` generations, ring migration (within each replicate)
   of the best ``migrants`` of each deme over the worst of the next;
4. the genealogy gains a generation: each individual's parent is the parent it
   was copied from (child 2j+1 of a pair descends from the pair's second
   parent), itself when it survived, the replaced individual's parent for an
   immigrant (immigrants carry no lineage of their own).

Random numbers: replicate r has its own backend generator, from its seed
(``backend.row_rngs``). Every random call of the step is made for all
replicates at once with those generators (:class:`ReplicateDemes` hands
replicate r's ``(I, …)`` slice to its generator, :mod:`collapsesim.engine.replicates`),
so row r draws exactly the numbers, in the order, of a lone run of replicate r:
a replicate alone equals its rows in a batch, bitwise on CPU. (A simulation
of one replicate passes its generator itself: the same numbers, no per-row
calls.) Everything else
(fitness, niching, sorting, replacement, observation) runs once on the whole
``(R·I, …)`` array. No Python loop runs over individuals (clearing's
sequential walk is a compiled loop); the only loops over replicates are the
per-row draws and the per-replicate observations.

Blocks: a batch whose arrays outgrow the allocator's reuse pays for every
temporary afresh — glibc maps each allocation over 32 MiB anew, and every page
of it is faulted in and zeroed — so :func:`build` groups the replicates into
blocks of at most :data:`BLOCK_BYTES` of the step's largest arrays
(:class:`GABlocks`; one block for the bundled scenarios). Blocks change no
number: every row is its replicate's lone run.

The runs end per replicate: the evaluation budget ends every replicate at the
same generation; ``stop_at_optimum`` ends replicate r at the first generation
one of its individuals reaches f_opt (:attr:`GASimulation.finished`, a
boolean per replicate). Ended replicates keep stepping (with their own
generators, unobserved), as the batched contract allows.
"""

from __future__ import annotations

import numpy as np

from ...engine import Genealogy, Population
from ...engine.replicates import RANDOM_METHODS, RowGenerators
from ...problems.population import SolverPopulation, box, random_population
from ..base import Observations
from .niching import restricted_tournament
from .params import GAParams
from .selection import best_of, select_parents
from .variation import crossover, mutate


def _per_row(a, rows: int) -> bool:
    """Whether ``a`` is an array (numpy or torch) or a shape whose first axis is ``rows``."""
    if isinstance(a, tuple):
        return bool(a) and all(isinstance(s, (int, np.integer)) for s in a) and int(a[0]) == rows
    return hasattr(a, "shape") and hasattr(a, "reshape") and len(a.shape) >= 1 and a.shape[0] == rows


class ReplicateDemes:
    """The backend as the GA's operators see it: arrays hold ``R·I`` demes
    (replicate-major), while :class:`~collapsesim.engine.replicates.RowGenerators`
    draw per replicate. A random method or named operator called with the
    replicates' generators gets every ``(R·I, …)`` array (and a shape starting
    with ``R·I``) as ``(R, I, …)``, so replicate r's call sees the ``(I, …)``
    demes its lone run passes; the results come back as ``(R·I, …)``. Every
    other attribute is the backend's."""

    def __init__(self, backend, R: int, I: int):
        self._be, self.R, self.I = backend, R, I

    def __getattr__(self, name):
        attr = getattr(self._be, name)
        return self._rows(attr) if name in RANDOM_METHODS else attr

    def op(self, name: str):
        return self._rows(self._be.op(name))

    def _split(self, a):
        if not _per_row(a, self.R * self.I):
            return a
        if isinstance(a, tuple):
            return (self.R, self.I) + tuple(int(s) for s in a[1:])
        return a.reshape((self.R, self.I) + tuple(a.shape[1:]))

    def _join(self, out):
        if isinstance(out, tuple):
            return tuple(self._join(o) for o in out)
        return out.reshape((self.R * self.I,) + tuple(out.shape[2:]))

    def _rows(self, fn):
        def call(*args, **kwargs):
            if not any(isinstance(a, RowGenerators) for a in (*args, *kwargs.values())):
                return fn(*args, **kwargs)
            out = fn(*(self._split(a) for a in args), **{k: self._split(v) for k, v in kwargs.items()})
            return self._join(out)

        return call


class GASimulation(SolverPopulation):
    """The replicates ``seeds`` (one or more) of :class:`~collapsesim.domains.ga.params.GAParams`
    with ``method: ga``, as one population of ``R·I`` demes."""

    def __init__(self, params: GAParams, backend, seeds):
        self.p = params
        self.problem = params.build_problem()
        self.bits = self.problem.kind == "bits"
        self.R = len(seeds)
        self.I, self.n = params.islands.count, params.deme_size
        self.base = backend
        self.backend = ReplicateDemes(backend, self.R, self.I)
        # one replicate draws from its generator directly: the same numbers without the per-row calls
        self.rng = backend.rng(seeds[0]) if self.R == 1 else backend.row_rngs(seeds)
        self.evaluate = self.problem.evaluator(backend)
        self.lower, self.span = (None, None) if self.bits else box(self.problem, backend)
        self.evaluations = 0  # per replicate (every replicate spends the same)
        x = random_population(self.problem, (self.R * self.I, self.n), self.backend, self.rng)
        self.pop = Population.new(x, self._evaluate(x), backend=backend, batched=True, founders=False)
        # one forest of R·N founders: replicate r's individuals are R·N's r·N … r·N + N − 1
        self.genealogy = Genealogy(self.R * params.N)
        self._parents = None  # the last generation's parents (R, N), per replicate, on the backend
        self.generation = 0
        self.budget = params.budget(self.problem)
        self._done = np.zeros(self.R, dtype=bool)
        self._deme = backend.arange(self.R * self.I) % self.I  # each deme's index within its replicate
        self._offset = params.N * backend.arange(self.R)  # each replicate's first individual in the forest

    def _evaluate(self, x):
        """Fitness of ``x`` on the backend; every individual of a replicate counts one of its evaluations."""
        self.evaluations += int(np.prod(tuple(x.shape[:-1]))) // self.R
        return self.base.asarray(self.evaluate(x))

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
            mates = self.pop.select(be.argsort(be.uniform((self.R * self.I, self.n), self.rng)))
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
        new = new.replace(parent=new.parent + self.n * self._deme[:, None])
        self.generation += 1
        if self.I > 1 and p.islands.migrants and self.generation % p.islands.interval == 0:
            new = self._migrate(new)
        self.pop = new
        self._parents = new.parent.reshape(self.R, self.p.N)
        # a torch tensor stays on its device
        self.genealogy.update((self._parents + self._offset[:, None]).reshape(-1))

    @property
    def parents(self) -> np.ndarray | None:
        """The last generation's parents ``(R, N)`` (host int64, each replicate's
        flattened deme by deme; None before the first step), read on demand: the
        step moves nothing to the host."""
        return None if self._parents is None else self.base.to_numpy(self._parents).astype(np.int64)

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
        slots = be.argsort(be.uniform((self.R * self.I, self.n), self.rng))[:, :k]
        fresh = random_population(self.problem, (self.R * self.I, k), be, self.rng)
        return new.put(slots, new.take(slots).replace(state=fresh, fitness=self._evaluate(fresh)))

    def _migrate(self, new: Population) -> Population:
        """Ring migration within each replicate: deme i's best ``migrants`` (with
        their parents) replace the worst of deme i + 1 (deme I − 1's, of deme 0)."""
        m, be, R, I = self.p.islands.migrants, self.backend, self.R, self.I

        def ring(a):
            a = a.reshape((R, I) + tuple(a.shape[1:]))
            return be.xp.roll(a, 1, 1).reshape((R * I,) + tuple(a.shape[2:]))

        best = best_of(new.fitness, m, be)
        worst = best_of(-new.fitness, m, be)
        return new.put(worst, new.take(best).apply(ring))

    # -- observation --------------------------------------------------------------------------
    @property
    def finished(self) -> np.ndarray:
        """Per replicate (length R, once true stays true): its evaluation budget
        is spent (every replicate at the same generation), or
        (``stop_at_optimum``) one of its individuals reached f_opt. The latter is
        the loop's one host read per step (R booleans, compared on the device in
        float64) — the runner must know them at every step to end each
        replicate there."""
        if self.budget is not None and self.evaluations >= self.budget:
            self._done[:] = True
        elif self.p.stop_at_optimum:
            best = self.base.asarray(self.base.xp.amax(self.f.reshape(self.R, -1), -1), "float64")
            self._done |= np.asarray((best >= self.problem.f_opt).tolist(), dtype=bool)
        return self._done.copy()

    def observe(self, rows=None) -> Observations:
        """The observations of replicates ``rows`` (all by default), in order,
        stacked (:meth:`~collapsesim.problems.population.SolverPopulation.stacked_observations`)."""
        return self.stacked_observations(rows, self.base)[0]


#: Most bytes one block of replicates puts in one array (genomes, or the
#: pairwise distances of sharing): half of glibc's 32 MiB ceiling of reused
#: allocations. Measured (torch, one thread, 100 replicates of N = 1000 100-D
#: points): one block of 80 MB arrays faults in 2,734 pages per replicate and
#: generation and takes 0.43x the time of lone runs; blocks of 40 (31 MB)
#: or fewer run as fast as lone runs.
BLOCK_BYTES = 16 << 20


def replicate_bytes(params: GAParams, problem) -> int:
    """Bytes of the largest array of one replicate's step: its genomes (parents
    or children, whichever are more), or its demes' pairwise distances when a
    niching method compares every pair."""
    genes = problem.n_words if problem.kind == "bits" else problem.dim
    individuals = max(params.N, params.n_offspring * params.islands.count)
    pairs = params.N * params.deme_size if params.niching.kind != "none" else 0
    return 8 * max(individuals * genes, pairs)


class GABlocks:
    """R replicates as consecutive blocks of :class:`GASimulation`, behind the
    batched contract (:class:`~collapsesim.domains.base.Simulation`): ``finished``
    per replicate, ``observe(rows)``. A block whose replicates all ended is no
    longer stepped."""

    def __init__(self, blocks: list[GASimulation]):
        self.blocks = blocks
        self._starts = np.cumsum([0] + [b.R for b in blocks])

    @property
    def finished(self) -> np.ndarray:
        return np.concatenate([b.finished for b in self.blocks])

    def step(self) -> None:
        for b in self.blocks:
            if not b.finished.all():
                b.step()

    def observe(self, rows=None) -> Observations:
        rows = np.arange(self._starts[-1]) if rows is None else np.asarray(rows, dtype=np.int64)
        block = np.searchsorted(self._starts, rows, side="right") - 1
        return Observations.concat([self.blocks[k].observe(rows[block == k] - self._starts[k])
                                    for k in np.unique(block).tolist()])


def build(params: GAParams, backend, seeds) -> GASimulation | GABlocks:
    """The replicates ``seeds`` as one :class:`GASimulation`, or as
    :class:`GABlocks` of at most :data:`BLOCK_BYTES` in an array each."""
    size = max(1, min(len(seeds), BLOCK_BYTES // replicate_bytes(params, params.build_problem())))
    if size >= len(seeds):
        return GASimulation(params, backend, seeds)
    return GABlocks([GASimulation(params, backend, seeds[i:i + size]) for i in range(0, len(seeds), size)])
