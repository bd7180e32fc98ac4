"""NBC-CMA: nearest-better clustering seeding restarted CMA-ES instances, with
an archive of the optima found and a hill-valley taboo test.

After Preuss (2010, 2012: NBC-CMA and NEA2), with the archive/taboo idea of
RS-CMSA (Ahrari, Deb & Preuss 2017) and the hill-valley test of HillVallEA
(Maree et al. 2018; Ursem 1999). Coordinates are scaled to [0, 1]^D.
Restarts repeat until the evaluation budget is spent:

1. sample ``nbc.sample`` points uniformly (default 40·D, at least 100); a
   restart that starts no instance doubles the sample of the next (up to 2000),
   so that smaller basins are found once the large ones are known;
2. nearest-better clustering: link every point to its nearest better point,
   cut the links longer than φ × their mean; the points left without a link
   are the cluster roots, best first;
3. drop every root that a hill-valley test puts in the basin of one of its
   three nearest archived optima that converged (no point at ¼, ½, ¾ of the
   segment between them is below both ends) — an optimum only reached by a
   stalled instance may be searched again;
4. start one CMA-ES instance (:class:`~.cma.CMABatch`) at each of the best
   ``nbc.max_clusters`` remaining roots, σ₀ = half the mean nearest-neighbour
   distance of the sample, and step them together until each has converged
   (fitness range of a generation below ``nbc.tol_fun`` with spread below 10⁻⁴,
   or spread below 10⁻¹²) or stalled (no gain for 20 + ⌈60 D/λ⌉ generations);
   each stopped instance's best point joins the archive unless it duplicates
   one (within 10⁻⁶: the better is kept).

The budget is never exceeded: a generation runs only the instances whose λ
samples still fit. The archive plus the active instances' best points is the
population the domain reports (and the solution set the CEC'2013 scorer
counts).
"""

from __future__ import annotations

import math

import numpy as np

from ...problems.observe import observe_population
from ...problems.population import box
from .cma import CMABatch
from .params import GAParams


def sq_distance_matrix(backend, u):
    """Squared Euclidean distances between the rows of ``u`` (n × D) by the Gram
    identity (one matrix product); the diagonal is +∞, so a point is never its own
    neighbour."""
    sq = (u * u).sum(-1)
    d2 = backend.xp.maximum(sq[:, None] + sq[None, :] - 2.0 * (u @ u.T), sq[:, None] * 0.0)
    idx = backend.arange(u.shape[0])
    d2[idx, idx] = np.inf
    return d2


def cluster_roots(backend, d2, f, phi: float):
    """Nearest-better clustering (``d2``: squared distance matrix): link each point to
    its nearest strictly better point (ties: the lower index is better) and return
    the roots, best first — the best point and every point whose link is longer
    than φ × the mean link."""
    xp = backend.xp
    idx = backend.arange(f.shape[0])
    better = (f[None, :] > f[:, None]) | ((f[None, :] == f[:, None]) & (idx[None, :] < idx[:, None]))
    link = xp.amin(xp.where(better, d2, np.inf), -1) ** 0.5
    finite = ~xp.isinf(link)
    mean = link[finite].mean() if bool(finite.any()) else link[:1] * 0.0 + 1.0
    roots = (~finite) | (link > phi * mean)
    order = backend.argsort(f, descending=True)
    return order[roots[order]]


class NBCSimulation:
    """One replicate of ``method: nbc-cma`` (see the module docstring)."""

    def __init__(self, params: GAParams, backend, seed: np.random.SeedSequence):
        self.p = params
        self.problem = problem = params.build_problem()
        self.backend = backend
        self.rng = backend.rng(seed)
        self.evaluate_raw = problem.evaluator(backend)
        self.lower, self.span = box(problem, backend)
        self.dim = problem.dim
        self.budget = params.budget(problem)
        self.sample_size = params.nbc.sample or max(100, 40 * self.dim)
        self.cma = CMABatch(self.dim, backend)
        self.stall = 20 + math.ceil(60 * self.dim / self.cma.lam)
        self.evaluations = 0
        self.archive_u = backend.uniform((0, self.dim), self.rng)
        self.archive_f = self.archive_u[:, 0] * 0.0
        self.archive_converged = self.archive_f > 0.0
        self.exhausted = False
        self._restart()

    # -- evaluation in scaled coordinates -----------------------------------------------------
    def _f(self, u):
        self.evaluations += int(np.prod(tuple(u.shape[:-1])))
        return self.backend.asarray(self.evaluate_raw(self.lower + self.span * u))

    def _left(self) -> float:
        return math.inf if self.budget is None else self.budget - self.evaluations

    # -- restarts -----------------------------------------------------------------------------
    def _same_basin(self, roots_u, roots_f):
        """For each root, whether a hill-valley test joins it to one of its three
        nearest archived optima."""
        be, xp = self.backend, self.backend.xp
        a = self.archive_u.shape[0]
        k = min(3, a)
        d = ((roots_u[:, None, :] - self.archive_u[None, :, :]) ** 2).sum(-1)
        near = be.argsort(d)[:, :k]                                           # (R, k)
        ends_u, ends_f = self.archive_u[near], self.archive_f[near]
        t = be.asarray(np.array([0.25, 0.5, 0.75]))
        between = roots_u[:, None, None, :] + t[None, None, :, None] * (ends_u[:, :, None, :]
                                                                        - roots_u[:, None, None, :])
        f_between = self._f(between)                                       # (R, k, 3)
        low = xp.minimum(roots_f[:, None], ends_f)                         # (R, k)
        joined = (xp.amin(f_between, -1) >= low) & self.archive_converged[near]
        return joined.any(-1)

    def _restart(self) -> None:
        """Sample, cluster, filter the roots and start a batch of CMA-ES instances."""
        size = min(self.sample_size, int(self._left()) - self.cma.lam) if self.budget else self.sample_size
        if size < 2:
            self.exhausted = True
            return
        u = self.backend.uniform((size, self.dim), self.rng)
        f = self._f(u)
        d2 = sq_distance_matrix(self.backend, u)
        roots = cluster_roots(self.backend, d2, f, self.p.nbc.phi)[: 3 * self.p.nbc.max_clusters]
        ru, rf = u[roots], f[roots]
        if self.archive_u.shape[0] and self._left() >= 9 * ru.shape[0]:
            fresh = ~self._same_basin(ru, rf)
            ru, rf = ru[fresh], rf[fresh]
        ru, rf = ru[: self.p.nbc.max_clusters], rf[: self.p.nbc.max_clusters]
        if ru.shape[0] == 0:
            self.sample_size = min(2 * self.sample_size, 2000)
            return
        sigma0 = 0.5 * float((self.backend.xp.amin(d2, -1) ** 0.5).mean())
        self.cma.start(ru, rf * 0.0 + sigma0, rf)

    def _archive(self, u, f, converged) -> None:
        """Add stopped instances' best points to the archive; a point within 10⁻⁶ of an
        archived one keeps the better (and the flag of having converged, if either did)."""
        xp, cat = self.backend.xp, self.backend.concatenate
        for i in range(u.shape[0]):  # a handful of stopped instances per generation
            if self.archive_u.shape[0]:
                d = (((self.archive_u - u[i]) ** 2).sum(-1)) ** 0.5
                j = int(xp.argmin(d))
                if float(d[j]) < 1e-6:
                    if float(f[i]) > float(self.archive_f[j]):
                        self.archive_u[j], self.archive_f[j] = u[i], f[i]
                    self.archive_converged[j] = self.archive_converged[j] | converged[i]
                    continue
            self.archive_u = cat([self.archive_u, u[i:i + 1]], 0)
            self.archive_f = cat([self.archive_f, f[i:i + 1]], 0)
            self.archive_converged = cat([self.archive_converged, converged[i:i + 1]], 0)

    # -- one generation -------------------------------------------------------------------------
    def step(self) -> None:
        if self.exhausted:
            return
        if self.cma.size == 0:
            self._restart()
            return
        k = min(self.cma.size, int(self._left() // self.cma.lam))
        if k == 0:
            self.exhausted = True
            return
        x = self.cma.ask(self.rng, k)
        xp, cat = self.backend.xp, self.backend.concatenate
        u = xp.clip(x, 0.0, 1.0)
        f = self._f(u)
        self.cma.tell(u, f)
        spread = self.cma.spread()
        level = xp.amax(f, -1) - xp.amin(f, -1)
        converged = ((level < self.p.nbc.tol_fun) & (spread[:k] < 1e-4)) | (spread[:k] < 1e-12)
        stalled = self.cma.since_best[:k] >= self.stall
        done = converged | stalled
        if k < self.cma.size:
            done = cat([done, spread[k:] < 0], 0)
            converged = cat([converged, spread[k:] < 0], 0)
        if bool(done.any()):
            self._archive(self.cma.best_x[done], self.cma.best_f[done], converged[done])
            self.cma.keep(~done)

    # -- observation ----------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.exhausted

    def solutions(self):
        """The archive and the active instances' best points (problem coordinates), and fitness."""
        cat = self.backend.concatenate
        u = cat([self.archive_u, self.cma.best_x], 0) if self.cma.size else self.archive_u
        f = cat([self.archive_f, self.cma.best_f], 0) if self.cma.size else self.archive_f
        return self.lower + self.span * u, f

    def observe(self):
        x, f = self.solutions()
        obs = observe_population(self.problem, self.backend, x, f, evaluations=self.evaluations)
        obs.metrics["archive_size"] = float(self.archive_u.shape[0])
        obs.metrics["instances"] = float(self.cma.size)
        return obs
