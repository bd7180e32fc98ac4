"""One replicate of the drift domain: type counts under drift, selection and
mutation.

**Wright–Fisher** (Ewens 2004, §1.4; Kimura & Crow 1964 for infinite
alleles). Generation t+1 has N(t+1) individuals, each independently the
offspring of a parent drawn from generation t with probability proportional to
fitness, mutated with probability μ. The type of an offspring is therefore
drawn from ``p' = mutate(q)`` with ``q_i = n_i w_i / Σ n_j w_j`` and the new
counts are one multinomial draw of N(t+1) from ``p'``:

* K-allele: ``p'_j = q_j (1 − μ) + (1 − q_j) μ/(K − 1)`` — the engine operator
  ``wright_fisher`` (:mod:`collapsesim.engine.kernels.wright_fisher`);
* infinite alleles: a (K+1)-th category of probability μ collects the mutants,
  each of which founds a brand-new type of fitness 1
  (``backend.multinomial_counts``).

**Moran** (Moran 1958): one step is one generation of N(t+1) birth–death events,
the engine operator ``moran_events`` (:mod:`collapsesim.engine.kernels.moran`)
on 3·N(t+1) uniforms; at an epoch boundary the population is first resized to
the new N by one multinomial draw from the current frequencies.

The counts live on the host (K numbers); the backend draws the random numbers
(its multinomial for Wright–Fisher, its uniform stream for Moran's events) and
dispatches the operators (numpy: the specification; numba and torch: the
compiled Moran kernel — the same counts from the same uniforms).

**Replicates.** The domain is batched (:func:`build`): Wright–Fisher with
K-allele (or no) mutation runs all R replicates as one (R, K) array program,
:class:`DriftBatch` — one ``wright_fisher`` call for the live rows, row r
drawing from replicate r's own generator (``backend.row_rngs``; the numba
backend runs every row in one compiled kernel with the replicates' PCG64
states, bitwise numpy's), and observation on the whole array; rows that fixed
without mutation stop drawing and end one at a time (``finished`` per
replicate; ``finished_frozen``: the runner may observe them later, each at its
own step). Moran
and infinite alleles, whose events and type lists differ per replicate, run as
lone :class:`DriftSimulation` replicates stacked
(:class:`~collapsesim.domains.base.ReplicateStack`). Either way a replicate run
alone gives bitwise its numbers inside the batch.
"""

from __future__ import annotations

import copy

import numpy as np

from ...theory import equilibrium_d1
from ..base import Observation, Observations, ReplicateStack, Series
from .params import DriftParams


class DriftSimulation:
    """One replicate; see the module docstring for the model.

    The initial K types keep their indices (type 0 is the focal type); under
    infinite alleles new types are appended and dropped again once lost.
    """

    def __init__(self, params: DriftParams, backend, seed: np.random.SeedSequence):
        self.params = params
        self.backend = backend
        self.rng = backend.rng(seed)
        self.generation = 0
        self.counts = params.initial_population()
        self.fitness = params.fitness()
        self.initial = self.counts.copy()
        self.infinite = params.mutation == "infinite"
        self._moran_events = backend.op("moran_events")
        self._generation = backend.op("wright_fisher")
        self.fixation_generation: int | None = None
        self.fixed_type: int | None = None
        self._note_fixation()

    # -- dynamics ---------------------------------------------------------------------
    def step(self) -> None:
        """Advance one generation."""
        size = self.params.size_at(self.generation + 1)
        if self.params.model == "wright-fisher":
            self._wright_fisher(size)
        else:
            self._moran_generation(size)
        self.generation += 1
        self._note_fixation()

    def _multinomial(self, n: int, p: np.ndarray) -> np.ndarray:
        b = self.backend
        return b.to_numpy(b.multinomial_counts(n, b.asarray(p), self.rng)).astype(np.int64)

    def _wright_fisher(self, size: int) -> None:
        mu = self.params.mu
        if self.infinite:
            w = self.counts * self.fitness
            q = w / w.sum()
            drawn = self._multinomial(size, np.append(q * (1.0 - mu), mu))
            self._set_counts(np.concatenate([drawn[:-1], np.ones(drawn[-1], dtype=np.int64)]))
        else:
            self.counts = self._generation(self.counts, self.fitness, mu, size, self.rng)

    def _moran_generation(self, size: int) -> None:
        if self.counts.sum() != size:  # epoch boundary: resize by one multinomial draw
            self.counts = self._multinomial(size, self.counts / self.counts.sum())
        n_types = len(self.counts)
        room = size if self.infinite else 0
        counts = np.concatenate([self.counts, np.zeros(room, dtype=np.int64)])
        fitness = np.concatenate([self.fitness, np.ones(room)])
        u = self.backend.uniform((size, 3), self.rng)
        n_types = self._moran_events(counts, fitness, n_types, self.params.K, self.params.mu,
                                     self.infinite, u)
        self._set_counts(counts[:n_types])

    def _set_counts(self, counts: np.ndarray) -> None:
        """Keep the initial K types and, beyond them, the new types still
        present (new types all have fitness 1)."""
        K = self.params.K
        extra = counts[K:][counts[K:] > 0]
        self.counts = np.concatenate([counts[:K], extra])
        self.fitness = np.concatenate([self.fitness[:K], np.ones(len(extra))])

    def _note_fixation(self) -> None:
        if self.fixation_generation is None and np.count_nonzero(self.counts) == 1:
            self.fixation_generation = self.generation
            self.fixed_type = int(np.flatnonzero(self.counts)[0])

    # -- checkpoints (the runner's --checkpoint-every / --resume) -----------------------
    def state_dict(self) -> dict:
        """Everything ``step`` changes, the generator's state included (a copy)."""
        return {"generation": self.generation, "counts": self.counts.copy(),
                "fitness": self.fitness.copy(), "fixation_generation": self.fixation_generation,
                "fixed_type": self.fixed_type, "rng": copy.deepcopy(self.rng)}

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state_dict()``: the same steps and draws follow."""
        self.generation = int(state["generation"])
        self.counts = np.asarray(state["counts"]).copy()
        self.fitness = np.asarray(state["fitness"]).copy()
        self.fixation_generation = state["fixation_generation"]
        self.fixed_type = state["fixed_type"]
        self.rng = copy.deepcopy(state["rng"])

    # -- observation ------------------------------------------------------------------
    @property
    def monomorphic(self) -> bool:
        return np.count_nonzero(self.counts) == 1

    @property
    def finished(self) -> bool:
        """One type has fixed and nothing (no mutation) can change that."""
        return self.params.mu == 0 and self.monomorphic

    def reference(self):
        """Initial counts (K-allele); for infinite alleles, whose types are not
        fixed in advance, the effective number D1 of the mutation–drift
        equilibrium of the current epoch, ``exp(ψ(1 + θ) + γ)``."""
        if self.infinite:
            return equilibrium_d1(self.params.theta(self.generation))
        return self.initial

    def observe(self) -> Observation:
        n = int(self.counts.sum())
        p = self.counts / n
        h = 1.0 - float(np.dot(p, p))
        metrics = {
            "heterozygosity": h,
            "heterozygosity_unbiased": n / (n - 1) * h,
            "n_types": float(np.count_nonzero(self.counts)),
            "focal_frequency": float(p[0]),
            "fixed": float(self.monomorphic),
            "N": float(n),
        }
        if self.fixation_generation is not None:
            metrics["fixation_generation"] = float(self.fixation_generation)
            metrics["fixed_type"] = float(self.fixed_type)
        return Observation(series={"types": Series(abundances=self.counts.copy(),
                                                   reference=self.reference())},
                           metrics=metrics)


class DriftBatch:
    """R Wright–Fisher replicates with K-allele (or no) mutation as one (R, K)
    program; see the module docstring. Row r draws from replicate r's generator
    exactly what :class:`DriftSimulation` of replicate r draws."""

    def __init__(self, params: DriftParams, backend, seeds):
        self.params = params
        self.backend = backend
        self.rows = backend.row_rngs(seeds)
        self.generation = 0
        self.initial = params.initial_population()
        self.counts = np.tile(self.initial, (len(seeds), 1))
        self.fitness = params.fitness()
        self._generation = backend.op("wright_fisher")
        self.fixation_generation = np.full(len(seeds), -1, dtype=np.int64)
        self.fixed_type = np.full(len(seeds), -1, dtype=np.int64)
        self._track(np.arange(len(seeds)))

    def _track(self, live: np.ndarray) -> None:
        """Start from the rows ``live`` (all, or the unfixed ones of a
        checkpoint) and note which have fixed already."""
        self._live = live
        self._finished = np.zeros(len(self.counts), dtype=bool)
        if self.params.mu == 0:
            self._finished[self.fixation_generation >= 0] = True
        self._note_fixation(live)

    def step(self) -> None:
        """Advance every live row one generation (DriftSimulation._wright_fisher):
        all rows with mutation; without, the unfixed ones, whose index is kept
        as they fix, so that a generation costs O(live rows), not O(R)."""
        size = self.params.size_at(self.generation + 1)
        live = self._live
        self.generation += 1
        if not live.size:
            return
        full = live.size == len(self.counts)
        counts = self.counts if full else self.counts[live]
        drawn = self._generation(counts, np.broadcast_to(self.fitness, counts.shape),
                                 self.params.mu, size, self.rows if full else self.rows.subset(live))
        if full:
            self.counts = drawn
        else:
            self.counts[live] = drawn
        self._note_fixation(live, drawn)

    def _note_fixation(self, live: np.ndarray, c: np.ndarray | None = None) -> None:
        """Note the rows of ``live`` (counts ``c``) that hold one type now: the
        first time, their generation and type; without mutation they are done
        (``finished``) and leave the live rows."""
        c = self.counts[live] if c is None else c
        if not c.size:
            return
        # a row holds one type iff one of its counts is the whole population (N >= 2):
        # found in one flat pass, without a reduction along the rows' short axis
        rows, types = np.divmod(np.flatnonzero(c.ravel() == c[0].sum()), c.shape[1])
        if not rows.size:
            return
        first = self.fixation_generation[live[rows]] < 0
        new = live[rows[first]]
        self.fixation_generation[new] = self.generation
        self.fixed_type[new] = types[first]
        if self.params.mu == 0:
            self._finished[new] = True
            mono = np.zeros(len(live), dtype=bool)
            mono[rows] = True
            self._live = live[~mono]

    #: A finished row (fixed without mutation) is never drawn again: its
    #: observation stays what it was at its end, so the runner may observe the
    #: rows that ended together, each recorded at its own step.
    finished_frozen = True

    @property
    def finished(self) -> np.ndarray | bool:
        """Per replicate: one type has fixed and, without mutation, stays fixed
        (an array kept by the simulation: read it, do not change it)."""
        return self._finished if self.params.mu == 0 else False

    # -- checkpoints ------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything ``step`` changes, the generators' states included (copies)."""
        return {"generation": self.generation, "counts": self.counts.copy(),
                "fixation_generation": self.fixation_generation.copy(),
                "fixed_type": self.fixed_type.copy(), "rows": copy.deepcopy(self.rows)}

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state_dict()``: the same steps and draws follow."""
        self.generation = int(state["generation"])
        self.counts = np.asarray(state["counts"]).copy()
        self.fixation_generation = np.asarray(state["fixation_generation"]).copy()
        self.fixed_type = np.asarray(state["fixed_type"]).copy()
        self.rows = copy.deepcopy(state["rows"])
        self._track(np.arange(len(self.counts)) if self.params.mu > 0
                    else np.flatnonzero(self.fixation_generation < 0))

    # -- observation ------------------------------------------------------------------
    def observe(self, rows=None) -> Observations:
        """The rows' (all by default) counts and the metrics of
        :meth:`DriftSimulation.observe`, stacked."""
        rows = np.arange(len(self.counts)) if rows is None else np.asarray(rows)
        counts = self.counts[rows]
        n = counts.sum(axis=1)
        p = counts / n[:, None]
        h = 1.0 - np.einsum("ij,ij->i", p, p)
        fixed_at = self.fixation_generation[rows].astype(np.float64)
        fixed_at[fixed_at < 0] = np.nan
        fixed_type = np.where(np.isnan(fixed_at), np.nan, self.fixed_type[rows])
        metrics = {
            "heterozygosity": h,
            "heterozygosity_unbiased": n / (n - 1) * h,
            "n_types": np.count_nonzero(counts, axis=1).astype(np.float64),
            "focal_frequency": p[:, 0],
            "fixed": (np.count_nonzero(counts, axis=1) == 1).astype(np.float64),
            "N": n.astype(np.float64),
            "fixation_generation": fixed_at,
            "fixed_type": fixed_type,
        }
        return Observations(series={"types": Series(abundances=counts, reference=self.initial)},
                            metrics=metrics)


def build(params: DriftParams, backend, seeds):
    """All replicates of ``seeds``: one :class:`DriftBatch` for Wright–Fisher with
    K-allele (or no) mutation, else lone :class:`DriftSimulation` replicates
    stacked (module docstring)."""
    if params.model == "wright-fisher" and params.mutation == "k-allele":
        return DriftBatch(params, backend, seeds)
    return ReplicateStack([DriftSimulation(params, backend, s) for s in seeds])
