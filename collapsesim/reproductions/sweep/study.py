"""Batched replicate studies of the selected site: fixation probability and
time, and the origins of the beneficial allele in soft sweeps.

Fixation statistics need 10⁴–10⁶ replicates, far more than the full model's
tree sequences afford; but the selected site's dynamics do not depend on the
rest of the chromosome. :func:`simulate_site` therefore runs R populations
batched over a leading replicate axis through the *same* operators as
:class:`~collapsesim.domains.sweep.model.SweepSimulation` — :func:`~collapsesim.domains.sweep.generation.fitness`,
:func:`~collapsesim.domains.sweep.generation.parents` (the engine's ``proportional`` on (R, N)
weights) and :func:`~collapsesim.domains.sweep.generation.meiosis` (whose first strand, with no
crossovers, picks the copy a gamete inherits at the site) — keeping only
each copy's allele and origin. Replicates leave the batch once absorbed.

Outcomes are unconditioned (each replicate fixes or is lost); conditioning on
fixation is selecting the replicates that fixed, which has the law of the
model's restart-on-loss runs.

Randomness: the whole batch draws from one stream, ``backend.rng(
SeedSequence(seed))``, in chunks of ``chunk`` replicates (replicate i of a
study is not reproducible alone, the study is). The studies run 10⁴–4·10⁴
replicates, a scale the runner (one simulation object per replicate, ~12 ms
each) cannot reach at reasonable cost, so the bulk simulation lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...domains.sweep.generation import fitness, meiosis, parents
from ...engine.backends import get_backend


@dataclass
class SiteStudy:
    """Per replicate: ``fixed`` (reached the target), ``time`` (generation of
    absorption, −1 if still segregating at ``max_generations``), ``origins``
    (distinct origins among the carriers then) and ``different`` (probability
    that two distinct carrier copies then have different origins; NaN if < 2)."""

    fixed: np.ndarray
    time: np.ndarray
    origins: np.ndarray
    different: np.ndarray

    @property
    def replicates(self) -> int:
        return len(self.fixed)

    @property
    def probability(self) -> tuple[float, float]:
        """Fixation probability and its binomial standard error."""
        return _proportion(self.fixed)

    @property
    def mean_time(self) -> tuple[float, float]:
        """Mean time to fixation of the fixed replicates, and its standard error."""
        return _mean(self.time[self.fixed])

    @property
    def multiple_origins(self) -> tuple[float, float]:
        """P(≥ 2 origins | fixation) and its standard error."""
        return _proportion(self.origins[self.fixed] >= 2)

    @property
    def different_origins(self) -> tuple[float, float]:
        """Mean probability that two copies sampled at fixation differ in origin."""
        return _mean(self.different[self.fixed])


def _proportion(hits: np.ndarray) -> tuple[float, float]:
    if len(hits) == 0:
        return float("nan"), float("nan")
    p = float(np.mean(hits))
    return p, float(np.sqrt(p * (1 - p) / len(hits)))


def _mean(x: np.ndarray) -> tuple[float, float]:
    if len(x) < 2:
        return float("nan"), float("nan")
    return float(np.mean(x)), float(np.std(x, ddof=1) / np.sqrt(len(x)))


def _origin_summary(alleles: np.ndarray, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct origins among carriers and the pair-difference probability, per row."""
    R = alleles.shape[0]
    n_orig, diff = np.zeros(R, dtype=np.int64), np.full(R, np.nan)
    for i in range(R):
        counts = np.bincount(origins[i][alleles[i] == 1])
        counts = counts[counts > 0]
        c = counts.sum()
        n_orig[i] = len(counts)
        if c > 1:
            diff[i] = 1.0 - np.sum(counts * (counts - 1.0)) / (c * (c - 1.0))
    return n_orig, diff


def simulate_site(N: int, s: float, h: float = 0.5, ploidy: int = 2, *, replicates: int,
                  mode: str = "hard", x0: float = 0.0, mu_b: float = 0.0, target: float = 1.0,
                  backend="numba", seed: int = 0, chunk: int = 2000,
                  max_generations: int | None = None) -> SiteStudy:
    """Simulate ``replicates`` populations of N individuals (``ploidy`` copies
    each; fitnesses ``1 : 1+hs : 1+s``, haploid ``1 : 1+s``) from the entry of
    the beneficial allele — ``hard``: one copy; ``standing``: ``round(M x0)``
    copies, each its own origin; ``recurrent``: none, each ancestral copy of
    each new generation mutating with probability ``mu_b`` (a new origin) —
    until the allele is lost (not for ``recurrent``) or reaches frequency
    ``target``."""
    be = get_backend(backend, "cpu")
    M = ploidy * N
    table = np.array([1.0, 1.0 + s] if ploidy == 1 else [1.0, 1.0 + h * s, 1.0 + s])
    copies = {"hard": 1, "standing": max(1, round(M * x0)), "recurrent": 0}[mode]
    rng = be.rng(np.random.SeedSequence(seed))
    out = [np.empty(0, dtype=bool), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64),
           np.empty(0)]
    for start in range(0, replicates, chunk):
        R = min(chunk, replicates - start)
        fixed = np.zeros(R, dtype=bool)
        time = np.full(R, -1, dtype=np.int64)
        n_orig = np.zeros(R, dtype=np.int64)
        diff = np.full(R, np.nan)
        where = be.to_numpy(be.permutation(np.tile(np.arange(M), (R, 1)), rng))[:, :copies]
        alleles = np.zeros((R, M), dtype=np.int8)
        origins = np.full((R, M), -1, dtype=np.int64)
        np.put_along_axis(alleles, where, 1, axis=1)
        np.put_along_axis(origins, where, np.arange(copies), axis=1)
        next_origin = np.full(R, copies, dtype=np.int64)
        active = np.arange(R)
        t = 0
        while active.size and (max_generations is None or t < max_generations):
            t += 1
            k = len(active)
            slots = parents(be, rng, fitness(alleles, table, ploidy), M, ploidy)
            first, _, _ = meiosis(be, rng, k * M, 0.0, 2)
            chosen = np.take_along_axis(slots, first.reshape(k, M, 1), axis=2)[..., 0]
            alleles = np.take_along_axis(alleles, chosen, axis=1)
            if mode != "hard":  # a hard sweep has one origin: no need to carry labels
                origins = np.take_along_axis(origins, chosen, axis=1)
            if mode == "recurrent":
                new = (be.to_numpy(be.uniform((k, M), rng)) < mu_b) & (alleles == 0)
                rank = np.cumsum(new, axis=1) - 1
                origins = np.where(new, next_origin[:, None] + rank, origins)
                next_origin += new.sum(axis=1)
                alleles[new] = 1
            count = alleles.sum(axis=1, dtype=np.int64)
            won = count >= target * M
            done = won | ((count == 0) & (mode != "recurrent"))
            if done.any():
                rows = active[done]
                fixed[rows], time[rows] = won[done], t
                labels = alleles[done] - 1 if mode == "hard" else origins[done]
                n_orig[rows], diff[rows] = _origin_summary(alleles[done], labels)
                keep = ~done
                active, alleles, origins = active[keep], alleles[keep], origins[keep]
                next_origin = next_origin[keep]
        for i, x in enumerate((fixed, time, n_orig, diff)):
            out[i] = np.concatenate([out[i], x])
    return SiteStudy(*out)
