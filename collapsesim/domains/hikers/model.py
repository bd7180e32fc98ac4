"""One replicate of the hikers: N parallel hill-climbers with periodic exploitation.

Every step each hiker proposes a move — a Gaussian step (σ × range per
coordinate, clipped into the box) or, on bit strings, one random bit flip
(random-mutation hill climbing, Forrest & Mitchell 1993) — and takes it if its
(penalised) fitness is not worse. With ``repulsion`` the fitness a hiker climbs
and is ranked on is f − c·Σ_{j≠i} exp(−d_ij²/(2w²)), so crowded hikers lose
out; with ``restart_patience`` a hiker that has not improved for that many
steps restarts uniformly at random (keeping its lineage). Every ``interval``
steps the exploit round (:mod:`.exploit`) lets the worst copy the best; the
genealogy records each copier as a child of the hiker it copied.
"""

from __future__ import annotations

import numpy as np

from ...engine import Genealogy
from ..ga.arrays import Random, arange, take, to_numpy, where, xp_of
from ..ga.model import box, random_population
from ..ga.observe import observe_population
from .exploit import copy_sources
from .params import HikersParams


def flip_one_bit(genomes, n_bits: int, rnd: Random):
    """Flip one uniformly chosen bit of each packed genome ``(R, n, W)``."""
    xp = xp_of(genomes)
    pos = rnd.integers(n_bits, tuple(genomes.shape[:-1]))
    word, bit = pos // 64, pos % 64
    if xp is np:
        mask = np.zeros(genomes.shape, dtype=np.uint64)
        np.put_along_axis(mask, word[..., None], (np.uint64(1) << bit.astype(np.uint64))[..., None], -1)
        return genomes ^ mask
    words = genomes.view(xp.int64)
    mask = xp.zeros_like(words).scatter_(-1, word[..., None], (xp.ones_like(bit) << bit)[..., None])
    return (words ^ mask).view(genomes.dtype)


class HikersSimulation:
    """One replicate of :class:`~collapsesim.domains.hikers.params.HikersParams`."""

    def __init__(self, params: HikersParams, backend, seed: np.random.SeedSequence):
        self.p = params
        self.problem = params.build_problem()
        self.bits = self.problem.kind == "bits"
        self.backend = backend
        self.rnd = Random(backend, seed)
        self.evaluate = self.problem.evaluator(backend.name)
        self.lower, self.span = (None, None) if self.bits else box(self.problem, backend)
        self.evaluations = 0
        self.x = random_population(self.problem, (1, params.N), backend, self.rnd)
        self.f = self._evaluate(self.x)
        self.stall = self.f * 0
        self.genealogy = Genealogy(params.N)
        self.parents: np.ndarray | None = None
        self.hit = np.where(to_numpy(self.f)[0] >= self.problem.f_opt, 0, -1)
        self.t = 0
        self.budget = params.budget(self.problem)

    def _evaluate(self, x):
        self.evaluations += int(np.prod(tuple(x.shape[:-1])))
        return self.backend.asarray(self.evaluate(x))

    def _penalty(self, points):
        """c·Σ_{j≠i} exp(−‖points_i − x_j‖²/(2w²)) against the current positions x."""
        rep = self.p.repulsion
        d = points[:, :, None, :] - self.x[:, None, :, :]
        k = xp_of(points).exp(-(d * d).sum(-1) / (2.0 * rep.width ** 2))
        own = xp_of(points).exp(-((points - self.x) ** 2).sum(-1) / (2.0 * rep.width ** 2))
        return rep.strength * (k.sum(-1) - own)

    def _propose(self):
        if self.bits:
            return flip_one_bit(self.x, self.problem.n_bits, self.rnd)
        step = self.p.sigma * self.span * self.rnd.normal(tuple(self.x.shape))
        return self.problem.clip(self.x + step)

    def _restart(self, stuck) -> None:
        k = int(stuck.sum())
        if not k:
            return
        fresh = random_population(self.problem, (1, k), self.backend, self.rnd)
        x, f = self.x.clone() if xp_of(self.x) is not np else self.x.copy(), self.f * 1.0
        x[stuck] = fresh[0]
        f[stuck] = self._evaluate(fresh)[0]
        self.x, self.f = x, f
        self.stall = where(stuck, self.stall * 0, self.stall)

    def step(self) -> None:
        p = self.p
        self.t += 1
        proposal = self._propose()
        fp = self._evaluate(proposal)
        if p.repulsion is None:
            accept = fp >= self.f
        else:
            accept = fp - self._penalty(proposal) >= self.f - self._penalty(self.x)
        self.stall = where(fp > self.f, self.stall * 0, self.stall + 1)
        self.x, self.f = where(accept, proposal, self.x), where(accept, fp, self.f)
        if p.restart_patience is not None:
            self._restart(self.stall >= p.restart_patience)
        source = arange(p.N, self.f)[None, :]
        if p.interval and self.t % p.interval == 0:
            rank_on = self.f if p.repulsion is None else self.f - self._penalty(self.x)
            source = copy_sources(rank_on, p.n_copiers, p.exploit.kind, self.rnd, self.x,
                                  p.radius, self.bits)
            self.x, self.f, self.stall = take(self.x, source), take(self.f, source), take(self.stall, source)
        self.parents = to_numpy(source).reshape(-1).astype(np.int64)
        self.genealogy.update(self.parents)
        solved = to_numpy(self.f)[0] >= self.problem.f_opt
        self.hit = np.where((self.hit < 0) & solved, self.t, self.hit)

    @property
    def finished(self) -> bool:
        if self.budget is not None and self.evaluations >= self.budget:
            return True
        return self.p.stop_at_optimum and bool((self.hit >= 0).all())

    def observe(self):
        obs = observe_population(self.problem, self.x, self.f, evaluations=self.evaluations,
                                 founders=self.genealogy.founders, parents=self.parents)
        obs.metrics["solved_fraction"] = float((to_numpy(self.f) >= self.problem.f_opt).mean())
        return obs
