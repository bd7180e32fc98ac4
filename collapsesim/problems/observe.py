"""What a population on a test problem reports: the observation shared by the
``ga`` and ``hikers`` domains.

Series:

* ``optima`` (headline) — every individual is assigned to its nearest target
  (the problem's global optima, or all five peaks of Goldberg's M1–M4: the
  Voronoi cells), reference = equal mass on every target. A uniform random
  population is diverse; convergence to one peak collapses it.
* ``founders`` — individuals per generation-0 ancestor (the engine's
  :class:`~collapsesim.engine.Genealogy`), reference one per founder: lineage
  collapse, meaningful even on a problem with a single optimum.

Domain metrics (problem-dependent):

* ``peaks_found_1e-1`` … ``peaks_found_1e-5`` and ``peak_ratio_1e-1`` … — the
  official CEC'2013 count on the current population (niche radius ρ; Goldberg's
  functions use ρ = 0.01), for real problems. The official count is meant for a
  final archive: a population spread over one peak can fill it with seeds
  farther than ρ apart on that same peak. ``optima_held_1e-1`` … counts the
  distinct global optima whose Voronoi cell holds an individual within ε of the
  optimum value — what a population really holds;
* ``pairwise_sq_distance`` — mean squared distance between distinct individuals
  in coordinates scaled to [0, 1] (= 2 × the trace of the unbiased covariance,
  O(N·D)), and ``centroid_distance`` — mean distance to the centroid;
* bit strings: ``locus_entropy`` (mean per-locus entropy, bits),
  ``heterozygosity`` (mean per-locus 2p(1−p)·N/(N−1), whose expectation decays
  as (1 − 1/N)^t under drift) and ``mean_hamming`` (between distinct pairs);
  on the Royal Road also ``blocks_found`` (blocks complete in some individual)
  and ``unsolved_heterozygosity`` (heterozygosity at the loci of blocks nobody has
  completed — the hitchhiking signal);
* ``best_fitness``, ``mean_fitness``, ``evaluations``, ``founder_lineages``
  (generation-0 lineages present) and, after the first step, ``no_offspring``
  (fraction of the previous generation that left no offspring).
"""

from __future__ import annotations

import numpy as np

from ..domains.base import Observation, Series
from ..engine.bits import unpack_bits
from .scoring import ACCURACIES, count_optima


def accuracy_label(eps: float) -> str:
    """``1e-4`` for 0.0001."""
    return f"1e{int(round(np.log10(eps)))}"


def host_genomes(backend, x) -> np.ndarray:
    """Packed genomes as a host uint64 array."""
    return np.asarray(backend.to_numpy(x), dtype=np.uint64)


def nearest_target(points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Index of the nearest target of each point (Euclidean; booleans: Hamming)."""
    if points.dtype == bool:
        d = (points[:, None, :] != targets[None, :, :]).sum(-1)
    else:
        d = ((points[:, None, :] - targets[None, :, :]) ** 2).sum(-1)
    return np.argmin(d, axis=1)


def real_diversity(u: np.ndarray) -> dict[str, float]:
    """Genotypic diversity of real points scaled to [0, 1] (N × D)."""
    n = u.shape[0]
    centred = u - u.mean(0)
    var = (centred ** 2).sum(0) / max(n - 1, 1)
    return {"pairwise_sq_distance": float(2.0 * var.sum()),
            "centroid_distance": float(np.sqrt((centred ** 2).sum(1)).mean())}


def bit_diversity(bits: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
    """Genotypic diversity of bit strings (N × L booleans), and the per-locus heterozygosity."""
    n = bits.shape[0]
    p = bits.mean(0)
    het = 2.0 * p * (1.0 - p) * n / max(n - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(p > 0, p * np.log2(p), 0.0) + np.where(p < 1, (1 - p) * np.log2(1 - p), 0.0))
    return {"locus_entropy": float(h.mean()), "heterozygosity": float(het.mean()),
            "mean_hamming": float(het.sum())}, het


def royal_road_metrics(bits: np.ndarray, het: np.ndarray) -> dict[str, float]:
    """Blocks found and, while some block is unsolved, the heterozygosity at its loci."""
    blocks = bits.reshape(bits.shape[0], -1, 8).all(-1)          # (N, blocks)
    found = blocks.any(0)
    unsolved = np.repeat(~found, 8)
    out = {"blocks_found": float(found.sum())}
    if unsolved.any():  # undefined once every block is found
        out["unsolved_heterozygosity"] = float(het[unsolved].mean())
    return out


def observe_population(problem, backend, state, fitness, *, evaluations: int, founders=None,
                       parents=None) -> Observation:
    """The observation of one population. ``state`` (…, D) reals or (…, W) packed
    bits and ``fitness`` (…) arrays of ``backend``; ``founders`` (N,) the generation-0
    ancestor of each individual (host; None: no ``founders`` series); ``parents`` (N,) global parent indices
    in the previous generation (host), or None at generation 0."""
    f = backend.to_numpy(fitness).reshape(-1).astype(np.float64)
    n = f.shape[0]
    targets = problem.targets
    if n == 0:  # nothing held (a method before its first result): no type present
        return Observation(series={"optima": Series(np.zeros(targets.shape[0]), np.ones(targets.shape[0]))},
                           metrics={"evaluations": float(evaluations)})
    metrics = {"best_fitness": float(f.max()), "mean_fitness": float(f.mean()),
               "evaluations": float(evaluations)}
    if parents is not None:
        metrics["no_offspring"] = 1.0 - np.unique(parents).shape[0] / n
    if problem.kind == "bits":
        points = unpack_bits(host_genomes(backend, state).reshape(n, -1), problem.n_bits)
        div, het = bit_diversity(points)
        metrics.update(div)
        if problem.name == "royal_road":
            metrics.update(royal_road_metrics(points, het))
    else:
        points = backend.to_numpy(state).reshape(n, problem.dim).astype(np.float64)
        metrics.update(real_diversity((points - problem.lower) / (problem.upper - problem.lower)))
        if problem.rho is not None:
            found = count_optima(points, f, problem.f_opt, problem.n_optima, problem.rho)
            for eps, k in zip(ACCURACIES, found):
                metrics[f"peaks_found_{accuracy_label(eps)}"] = float(k)
                metrics[f"peak_ratio_{accuracy_label(eps)}"] = float(k) / problem.n_optima
            best = np.full(problem.n_optima, -np.inf)
            np.maximum.at(best, nearest_target(points, problem.optima), f)
            for eps in ACCURACIES:
                metrics[f"optima_held_{accuracy_label(eps)}"] = float((best >= problem.f_opt - eps).sum())
    counts = np.bincount(nearest_target(points, targets), minlength=targets.shape[0])
    series = {"optima": Series(counts.astype(np.float64), np.ones(targets.shape[0]))}
    if founders is not None:
        metrics["founder_lineages"] = float(np.unique(founders).shape[0])
        series["founders"] = Series(np.bincount(founders, minlength=n).astype(np.float64), np.ones(n))
    return Observation(series=series, metrics=metrics)
