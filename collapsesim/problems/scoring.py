"""The official scoring of the CEC'2013 niching competition (Li, Engelbrecht &
Epitropakis 2013, §3): how many global optima a set of solutions holds, and the
peak ratio and success rate over runs.

For one run's solutions, at accuracy ε:

1. sort the solutions by fitness, best first;
2. walk down the sorted list and make a solution a *seed* unless it lies within
   the niche radius ρ (Euclidean, ``≤ ρ``) of an earlier seed;
3. count the seeds whose fitness is within ε of the optimum value
   (``|f − f*| ≤ ε``), stopping at the number of global optima.

The peak ratio (PR) is the number of optima found summed over runs divided by
(number of optima × runs); the success rate (SR) the fraction of runs that found
them all. The competition reports both at ε ∈ {1e-1, 1e-2, 1e-3, 1e-4, 1e-5}
and ranks entries by the mean PR over the 20 problems × 5 accuracies.

Only solutions with fitness ≥ f* − max ε can be counted, and a seed depends only
on the solutions above it, so the greedy walk is run over that prefix alone
(a compiled loop) — the counts are those of the full walk.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass

import numpy as np
from numba import njit

ACCURACIES = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)


@njit(cache=True, nogil=True)
def _seeds(points, radius):
    """Greedy seeds of points sorted best first: a point is a seed unless within
    ``radius`` of an earlier seed. Returns a boolean mask."""
    n, d = points.shape
    is_seed = np.zeros(n, dtype=np.bool_)
    seeds = np.empty(n, dtype=np.int64)
    n_seeds = 0
    for i in range(n):
        found = False
        for s in range(n_seeds):
            j = seeds[s]
            dist = 0.0
            for k in range(d):
                diff = points[i, k] - points[j, k]
                dist += diff * diff
            if math.sqrt(dist) <= radius:
                found = True
                break
        if not found:
            is_seed[i] = True
            seeds[n_seeds] = i
            n_seeds += 1
    return is_seed


def seeds(points: np.ndarray, fitness: np.ndarray, radius: float) -> np.ndarray:
    """Indices (into ``points``) of the seeds, best first: sort by fitness
    descending (ties: earlier first) and keep each point farther than ``radius``
    from every earlier seed."""
    order = np.argsort(-np.asarray(fitness, dtype=np.float64), kind="stable")
    pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64)[order].reshape(len(order), -1))
    return order[_seeds(pts, float(radius))]


def count_optima(points, fitness, f_opt: float, n_optima: int, rho: float,
                 accuracies=ACCURACIES) -> np.ndarray:
    """Global optima found (per accuracy) by one run's ``points`` (n × D) with
    ``fitness`` (n,): the official count, see the module docstring."""
    fitness = np.asarray(fitness, dtype=np.float64).reshape(-1)
    acc = np.asarray(accuracies, dtype=np.float64)
    if fitness.shape[0] == 0:
        return np.zeros(len(acc), dtype=np.int64)
    points = np.asarray(points, dtype=np.float64).reshape(len(fitness), -1)
    near = fitness >= f_opt - acc.max()
    if not near.any():
        return np.zeros(len(acc), dtype=np.int64)
    idx = np.flatnonzero(near)
    s = idx[seeds(points[idx], fitness[idx], rho)]
    gap = np.abs(fitness[s] - f_opt)
    return np.minimum((gap[None, :] <= acc[:, None]).sum(1), n_optima).astype(np.int64)


def count_problem_optima(problem, points, fitness=None, accuracies=ACCURACIES) -> np.ndarray:
    """:func:`count_optima` with a problem's f*, number of optima and ρ; the
    fitness is evaluated when not given."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, problem.dim)
    if fitness is None:
        fitness = problem.evaluate(points)
    return count_optima(points, fitness, problem.f_opt, problem.n_optima, problem.rho, accuracies)


def peak_ratio(counts, n_optima: int) -> np.ndarray:
    """PR per accuracy from counts of shape (runs, accuracies)."""
    counts = np.asarray(counts)
    return counts.sum(0) / (n_optima * counts.shape[0])


def success_rate(counts, n_optima: int) -> np.ndarray:
    """SR per accuracy from counts of shape (runs, accuracies)."""
    return (np.asarray(counts) >= n_optima).mean(0)


# -- competition submissions -----------------------------------------------------------------
_NAME = re.compile(r"problem(\d{3})run(\d{3})\.dat$")


def parse_solutions(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Solutions of one submission file: each line ``x_1 … x_D = f @ evals time``.
    Returns (points n × D, fitness n)."""
    xs, fs = [], []
    for line in text.splitlines():
        if "=" not in line:
            continue
        coords, rest = line.split("=", 1)
        xs.append([float(v) for v in coords.split()])
        fs.append(float(rest.split("@", 1)[0]))
    if not xs:
        return np.empty((0, 0)), np.empty(0)
    return np.array(xs), np.array(fs)


@dataclass
class SubmissionScore:
    """Per problem (rows F1…F20) and accuracy (columns): PR and SR; and the mean PR."""

    peak_ratio: np.ndarray      # (20, 5)
    success_rate: np.ndarray    # (20, 5)
    runs: np.ndarray            # runs per problem

    @property
    def mean_peak_ratio(self) -> float:
        return float(self.peak_ratio.mean())


def score_submission(path, *, reevaluate: bool = False) -> SubmissionScore:
    """Score a competition submission (a zip of ``problemPPPrunRRR.dat`` files)
    with the official procedure. The recorded fitness is used unless
    ``reevaluate`` (then every solution is evaluated with our implementation)."""
    from .cec2013 import cec2013

    by_problem: dict[int, list] = {p: [] for p in range(1, 21)}
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            m = _NAME.search(name)
            if not m:
                continue
            problem = cec2013(int(m.group(1)))
            text = io.TextIOWrapper(zf.open(name), encoding="utf-8").read()
            points, fitness = parse_solutions(text)
            if len(fitness) == 0:
                counts = np.zeros(len(ACCURACIES), dtype=np.int64)
            else:
                counts = count_problem_optima(problem, points, None if reevaluate else fitness)
            by_problem[int(m.group(1))].append(counts)
    pr = np.zeros((20, len(ACCURACIES)))
    sr = np.zeros((20, len(ACCURACIES)))
    runs = np.zeros(20, dtype=np.int64)
    for p, rows in by_problem.items():
        if rows:
            n_opt = cec2013(p).n_optima
            pr[p - 1], sr[p - 1], runs[p - 1] = peak_ratio(rows, n_opt), success_rate(rows, n_opt), len(rows)
    return SubmissionScore(peak_ratio=pr, success_rate=sr, runs=runs)
