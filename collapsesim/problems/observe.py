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

from ..domains.base import Observation, Observations, Series
from ..engine.bits import unpack_bits
from ..metrics.diversity import counts_rows
from .scoring import ACCURACIES, count_optima


def accuracy_label(eps: float) -> str:
    """``1e-4`` for 0.0001."""
    return f"1e{int(round(np.log10(eps)))}"


def host_genomes(backend, x) -> np.ndarray:
    """Packed genomes as a host uint64 array."""
    return np.asarray(backend.to_numpy(x), dtype=np.uint64)


#: Most entries (points × targets × coordinates) one block of
#: :func:`nearest_target` compares at once (32 MiB of float64).
NEAREST_BLOCK = 1 << 22


def nearest_target(points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Index of the nearest target of each point (Euclidean; booleans: Hamming),
    in blocks of points of at most :data:`NEAREST_BLOCK` compared entries."""
    per_point = max(targets.shape[0] * targets.shape[1], 1)
    step = max(NEAREST_BLOCK // per_point, 1)
    out = np.empty(points.shape[0], dtype=np.int64)
    for start in range(0, points.shape[0], step):
        block = points[start:start + step]
        if block.dtype == bool:
            d = (block[:, None, :] != targets[None, :, :]).sum(-1)
        else:
            d = ((block[:, None, :] - targets[None, :, :]) ** 2).sum(-1)
        out[start:start + step] = np.argmin(d, axis=1)
    return out


def _distinct_per_row(values: np.ndarray) -> np.ndarray:
    """The number of distinct values in each row of an (R, n) integer array."""
    if values.shape[1] == 0:
        return np.zeros(values.shape[0], dtype=np.int64)
    ordered = np.sort(values, axis=1)
    return 1 + (ordered[:, 1:] != ordered[:, :-1]).sum(1)


def real_diversity(u: np.ndarray) -> dict[str, np.ndarray]:
    """Genotypic diversity of R populations of real points scaled to [0, 1]
    (R × N × D): one value per population."""
    n = u.shape[1]
    centred = u - u.mean(1, keepdims=True)
    var = (centred ** 2).sum(1) / max(n - 1, 1)
    return {"pairwise_sq_distance": 2.0 * var.sum(1),
            "centroid_distance": np.sqrt((centred ** 2).sum(2)).mean(1)}


def bit_diversity(bits: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Genotypic diversity of R populations of bit strings (R × N × L
    booleans), one value per population, and the per-locus heterozygosity (R × L)."""
    n = bits.shape[1]
    p = bits.mean(1)
    het = 2.0 * p * (1.0 - p) * n / max(n - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(p > 0, p * np.log2(p), 0.0) + np.where(p < 1, (1 - p) * np.log2(1 - p), 0.0))
    return {"locus_entropy": h.mean(1), "heterozygosity": het.mean(1),
            "mean_hamming": het.sum(1)}, het


def royal_road_metrics(bits: np.ndarray, het: np.ndarray) -> dict[str, np.ndarray]:
    """Blocks found and, while some block is unsolved, the heterozygosity at its
    loci (NaN once every block is found), per population (bits R × N × L)."""
    blocks = bits.reshape(bits.shape[0], bits.shape[1], -1, 8).all(-1)  # (R, N, blocks)
    found = blocks.any(1)
    unsolved = np.repeat(~found, 8, axis=1)
    held = np.full(bits.shape[0], np.nan)
    for r in np.flatnonzero(unsolved.any(1)).tolist():
        held[r] = het[r][unsolved[r]].mean()
    return {"blocks_found": found.sum(1).astype(np.float64), "unsolved_heterozygosity": held}


def observe_populations(problem, state: np.ndarray, fitness: np.ndarray, *, evaluations,
                        founders: np.ndarray | None = None,
                        parents: np.ndarray | None = None) -> Observations:
    """The observations of R populations of N at once, as stacked arrays:
    ``state`` (R, N, D) reals or (R, N, W) packed bits and ``fitness`` (R, N),
    host arrays; ``evaluations`` one number or one per population;
    ``founders`` (R, N) each individual's generation-0 ancestor among its own
    population's N (None: no ``founders`` series); ``parents`` (R, N) parent
    indices in the previous generation, or None at generation 0. Every value
    of a row is the one its population alone gives (row-wise reductions)."""
    f = np.asarray(fitness, dtype=np.float64)
    R, n = f.shape
    targets = problem.targets
    K = targets.shape[0]
    metrics = {"best_fitness": f.max(1), "mean_fitness": f.mean(1),
               "evaluations": np.broadcast_to(np.asarray(evaluations, dtype=np.float64), (R,)).copy()}
    if parents is not None:
        metrics["no_offspring"] = 1.0 - _distinct_per_row(np.asarray(parents).reshape(R, -1)) / n
    if problem.kind == "bits":
        points = unpack_bits(np.asarray(state, dtype=np.uint64).reshape(R * n, -1),
                             problem.n_bits).reshape(R, n, problem.n_bits)
    else:
        points = np.asarray(state, dtype=np.float64).reshape(R, n, problem.dim)
    near = nearest_target(points.reshape(R * n, -1), targets)  # each individual's type
    if problem.kind == "bits":
        div, het = bit_diversity(points)
        metrics.update(div)
        if problem.name == "royal_road":
            metrics.update(royal_road_metrics(points, het))
    else:
        metrics.update(real_diversity((points - problem.lower) / (problem.upper - problem.lower)))
        if problem.rho is not None:
            found = np.array([count_optima(points[r], f[r], problem.f_opt, problem.n_optima, problem.rho)
                              for r in range(R)], dtype=np.float64).reshape(R, len(ACCURACIES))
            for j, eps in enumerate(ACCURACIES):
                metrics[f"peaks_found_{accuracy_label(eps)}"] = found[:, j]
                metrics[f"peak_ratio_{accuracy_label(eps)}"] = found[:, j] / problem.n_optima
            # the optima's Voronoi cells: the types themselves unless the types are other peaks
            cell = near if problem.peaks is None else nearest_target(points.reshape(R * n, -1), problem.optima)
            best = np.full(R * problem.n_optima, -np.inf)
            np.maximum.at(best, np.repeat(np.arange(R) * problem.n_optima, n) + cell, f.reshape(-1))
            best = best.reshape(R, problem.n_optima)
            for eps in ACCURACIES:
                metrics[f"optima_held_{accuracy_label(eps)}"] = \
                    (best >= problem.f_opt - eps).sum(1).astype(np.float64)
    series = {"optima": Series(counts_rows(near.reshape(R, n), K).astype(np.float64), np.ones(K))}
    if founders is not None:
        founders = np.asarray(founders, dtype=np.int64).reshape(R, n)
        metrics["founder_lineages"] = _distinct_per_row(founders).astype(np.float64)
        series["founders"] = Series(counts_rows(founders, n).astype(np.float64), np.ones(n))
    return Observations(series=series, metrics=metrics)


def observe_population(problem, backend, state, fitness, *, evaluations: int, founders=None,
                       parents=None) -> Observation:
    """The observation of one population: :func:`observe_populations` of one
    row. ``state`` (…, D) reals or (…, W) packed bits and ``fitness`` (…)
    arrays of ``backend``; ``founders`` (N,) the generation-0 ancestor of each
    individual (host; None: no ``founders`` series); ``parents`` (N,) parent
    indices in the previous generation (host), or None at generation 0."""
    f = backend.to_numpy(fitness).reshape(-1).astype(np.float64)
    n = f.shape[0]
    targets = problem.targets
    if n == 0:  # nothing held (a method before its first result): no type present
        return Observation(series={"optima": Series(np.zeros(targets.shape[0]), np.ones(targets.shape[0]))},
                           metrics={"evaluations": float(evaluations)})
    x = host_genomes(backend, state) if problem.kind == "bits" else backend.to_numpy(state)
    return observe_populations(
        problem, np.asarray(x).reshape(1, n, -1), f[None], evaluations=evaluations,
        founders=None if founders is None else np.asarray(founders)[None],
        parents=None if parents is None else np.asarray(parents).reshape(1, -1))[0]
