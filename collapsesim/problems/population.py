"""Populations on a test problem, shared by the ``ga`` and ``hikers`` domains:
initial ones (uniform random points in the box, or uniform random bit
strings) and :class:`SolverPopulation`, what a solver holding one engine
``Population`` of candidate solutions exposes.

Arrays have a leading row axis (demes or replicates): ``shape + (D,)`` float64
coordinates, or ``shape + (W,)`` uint64 words of packed bits.
"""

from __future__ import annotations

import numpy as np

from ..domains.base import Observations
from .observe import observe_populations


def box(problem, backend):
    """The box's lower corner and widths as arrays of ``backend``."""
    return (backend.asarray(np.asarray(problem.lower, dtype=np.float64)),
            backend.asarray(np.asarray(problem.upper - problem.lower, dtype=np.float64)))


def random_population(problem, shape: tuple[int, int], backend, rng):
    """Uniform random individuals ``shape + (D,)`` in the box (one
    ``backend.uniform`` draw), or random bit strings (every bit of zero genomes
    flipped with probability 1/2 by ``backend.bitflip_mutation``)."""
    if problem.kind == "bits":
        zeros = backend.asarray(np.zeros(shape + (problem.n_words,), dtype=np.uint64))
        return backend.bitflip_mutation(zeros, problem.n_bits, 0.5, rng)
    lower, span = box(problem, backend)
    return lower + span * backend.uniform(shape + (problem.dim,), rng)


class SolverPopulation:
    """Mixin of a simulation that holds its candidates in ``self.pop`` (an
    engine :class:`~collapsesim.engine.Population`) and counts the problem
    evaluations it spends in ``self.evaluations`` (``self.evaluate``: the
    problem's evaluator on ``self.backend``)."""

    @property
    def x(self):
        """Candidates ``(rows, n, D)``, or packed bits ``(rows, n, W)``: ``pop.state``."""
        return self.pop.state

    @property
    def f(self):
        """Fitness ``(rows, n)``: ``pop.fitness``."""
        return self.pop.fitness

    def stacked_observations(self, rows, backend) -> tuple[Observations, np.ndarray]:
        """The populations of replicates ``rows`` (all if None) observed together
        (:func:`~collapsesim.problems.observe.observe_populations`, after one
        transfer of the state to the host), and their host fitness
        ``(len(rows), N)``: each replicate's founders among its own N and last
        parents (``self.genealogy``, ``self.parents``) and its evaluations
        (``self.evaluations``: one count for all replicates, or one each)."""
        rows = np.arange(self.R) if rows is None else np.asarray(rows, dtype=np.int64)
        f = backend.to_numpy(self.f).reshape(self.R, -1)
        N = f.shape[1]
        x = backend.to_numpy(self.x)
        x = x.reshape((self.R, N) + x.shape[2:])
        founders = self.genealogy.founders.reshape(self.R, N) - N * np.arange(self.R)[:, None]
        parents, evaluations = self.parents, np.asarray(self.evaluations)
        obs = observe_populations(self.problem, x[rows], f[rows],
                                  evaluations=evaluations[rows] if evaluations.ndim else evaluations,
                                  founders=founders[rows],
                                  parents=None if parents is None else np.asarray(parents)[rows])
        return obs, f[rows]

    def _evaluate(self, x):
        """Fitness of ``x`` on the backend; every individual counts one evaluation."""
        self.evaluations += int(np.prod(tuple(x.shape[:-1])))
        return self.backend.asarray(self.evaluate(x))
