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

import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
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
SUBMISSION_FORMAT = """\
A submission is a folder or a zip holding one text file per problem and run,
named problemPPPrunRRR.dat (PPP = 001 ... 020, the problem F1 ... F20; RRR = the run, 001 ...;
the competition asks for 50 runs), anywhere in the folder tree. Each line of a
file is one solution:

    x_1 x_2 ... x_D = f @ evaluations time

the D coordinates (D = the problem's dimension), '=', the fitness f (maximised),
and after '@' what the algorithm records (ignored here). Blank lines are
skipped; an empty file is a run that found nothing. Other files are ignored."""
"""The competition's layout, as the scorer reads it (also ``collapsesim score --help``)."""

BUNDLED_SUBMISSIONS = {"rs-cmsa-2016": "rs-cmsa-2016-submission.zip"}
"""Submissions shipped in ``collapsesim/data/cec2013``, by name: RS-CMSA's raw 2016 entry
(Ahrari, Deb & Preuss 2017), whose official mean PR is 0.854887345679015."""

_NAME = re.compile(r"problem(\d{3})run(\d{3})\.dat")


class SubmissionError(ValueError):
    """A submission not in the competition's layout; the message is one line naming
    the file (and line) at fault."""


def parse_solutions(text: str, dim: int | None = None,
                    source: str = "<text>") -> tuple[np.ndarray, np.ndarray]:
    """Solutions of one submission file: each non-blank line ``x_1 … x_D = f @ evals time``
    (what follows ``@`` is ignored). Returns (points n × D, fitness n). Raises
    :class:`SubmissionError` naming ``source`` and the line when a line has no ``=``,
    a value is not a finite number, or the number of coordinates differs from
    ``dim`` (or, without ``dim``, from the file's first line)."""
    xs, fs = [], []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source}:{lineno}"
        if "=" not in line:
            raise SubmissionError(f"{where}: expected 'x_1 ... x_D = f @ evaluations time'; "
                                  f"got {line.strip()[:60]!r}")
        coords, rest = line.split("=", 1)
        try:
            x = [float(v) for v in coords.split()]
            f = float(rest.split("@", 1)[0])
        except ValueError:
            raise SubmissionError(f"{where}: not a number in {line.strip()[:60]!r}") from None
        want = dim if dim is not None else (len(xs[0]) if xs else None)
        if want is not None and len(x) != want:
            raise SubmissionError(f"{where}: expected {want} coordinates before '='; got {len(x)}")
        if not (math.isfinite(f) and all(math.isfinite(v) for v in x)):
            raise SubmissionError(f"{where}: a value is not finite in {line.strip()[:60]!r}")
        xs.append(x)
        fs.append(f)
    if not xs:
        return np.empty((0, 0 if dim is None else dim)), np.empty(0)
    return np.array(xs), np.array(fs)


def resolve_submission(path) -> Path:
    """The submission ``path`` names: an existing file or folder, else a bundled
    submission's name (:data:`BUNDLED_SUBMISSIONS`)."""
    p = Path(path)
    if p.exists():
        return p
    if str(path) in BUNDLED_SUBMISSIONS:
        return Path(str(resources.files("collapsesim").joinpath(
            "data", "cec2013", BUNDLED_SUBMISSIONS[str(path)])))
    raise SubmissionError(f"{path}: no such file or folder (nor a bundled submission: "
                          f"{', '.join(BUNDLED_SUBMISSIONS)})")


def _hidden(parts) -> bool:
    """Paths to skip: hidden files and folders, and the ``__MACOSX`` resource forks of zips."""
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def _submission_key(parts: tuple[str, ...], display: str) -> tuple[int, int] | None:
    """(problem, run) of a path (its parts) named ``problemPPPrunRRR.dat``; None for
    any other file and for hidden files and the ``__MACOSX`` resource forks of zips."""
    m = _NAME.fullmatch(parts[-1])
    if not m or any(part.startswith(".") or part == "__MACOSX" for part in parts):
        return None
    if not 1 <= int(m.group(1)) <= 20:
        raise SubmissionError(f"{display}: the CEC'2013 suite has problems 001-020, "
                              f"not {m.group(1)}")
    return int(m.group(1)), int(m.group(2))


def _submission_files(path: Path) -> list[tuple[int, int, str, Callable[[], bytes]]]:
    """(problem, run, the file's display name, reader of its bytes) for every
    ``problemPPPrunRRR.dat`` of a folder or zip, sorted by problem and run."""
    found: dict[tuple[int, int], tuple[str, Callable[[], bytes]]] = {}

    def add(key, display, read):
        if key in found:
            raise SubmissionError(f"{display}: problem {key[0]:03d} run {key[1]:03d} "
                                  f"is also in {found[key][0]}")
        found[key] = (display, read)

    if path.is_dir():
        for f in path.rglob("*.dat"):
            key = _submission_key(f.relative_to(path).parts, str(f))
            if key and f.is_file():
                add(key, str(f), f.read_bytes)
    elif path.is_file():
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SubmissionError(f"{path}: not a readable zip file or a folder "
                                  f"({type(exc).__name__}: {exc})") from None
        with zf:
            for info in zf.infolist():
                display = f"{path}:{info.filename}"
                key = None if info.is_dir() else _submission_key(
                    tuple(info.filename.split("/")), display)
                if key:
                    try:
                        data = zf.read(info)  # now: the archive is closed after the walk
                    except (zipfile.BadZipFile, OSError) as exc:
                        raise SubmissionError(f"{display}: unreadable ({type(exc).__name__}: "
                                              f"{exc})") from None
                    add(key, display, lambda data=data: data)
    else:
        raise SubmissionError(f"{path}: no such file or folder")
    if not found:
        raise SubmissionError(f"{path}: no problemPPPrunRRR.dat files (the CEC'2013 layout; "
                              f"see collapsesim score --help)")
    return [(p, r, display, read) for (p, r), (display, read) in sorted(found.items())]


@dataclass
class SubmissionScore:
    """Per problem (rows F1…F20) and accuracy (columns :data:`ACCURACIES`): PR, SR
    and the optima found summed over runs; runs per problem (0: not in the submission)."""

    peak_ratio: np.ndarray      # (20, 5)
    success_rate: np.ndarray    # (20, 5)
    runs: np.ndarray            # (20,) runs per problem
    found: np.ndarray           # (20, 5) global optima found, summed over runs

    @property
    def mean_peak_ratio(self) -> float:
        """The competition's ranking score: the mean PR over 20 problems × 5
        accuracies, a problem without runs counting as 0."""
        return float(self.peak_ratio.mean())

    def to_frame(self) -> pd.DataFrame:
        """The scored problems as a tidy table, one row per (problem, accuracy):
        ``problem`` (1–20), ``dim``, ``optima`` (number of global optima), ``runs``,
        ``accuracy`` (ε), ``found`` (optima found summed over runs), ``peak_ratio``
        (= found / (optima × runs)) and ``success_rate``."""
        from .cec2013 import cec2013

        rows = []
        for i in np.flatnonzero(self.runs):
            p = cec2013(int(i) + 1)
            for a, eps in enumerate(ACCURACIES):
                rows.append({"problem": int(i) + 1, "dim": p.dim, "optima": p.n_optima,
                             "runs": int(self.runs[i]), "accuracy": eps,
                             "found": int(self.found[i, a]),
                             "peak_ratio": float(self.peak_ratio[i, a]),
                             "success_rate": float(self.success_rate[i, a])})
        return pd.DataFrame(rows)


def score_submission(path, *, reevaluate: bool = False) -> SubmissionScore:
    """Score a competition submission (a folder or zip of ``problemPPPrunRRR.dat``
    files, :data:`SUBMISSION_FORMAT`) with the official procedure. The recorded
    fitness is used unless ``reevaluate`` (then every solution is evaluated with
    our implementation). Raises :class:`SubmissionError` (one line naming the file)
    for a submission not in that layout."""
    from .cec2013 import cec2013

    by_problem: dict[int, list] = {p: [] for p in range(1, 21)}
    for p, _run, display, read in _submission_files(Path(path)):
        problem = cec2013(p)
        try:
            text = read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SubmissionError(f"{display}: not UTF-8 text ({exc.reason} at byte {exc.start})") \
                from None
        points, fitness = parse_solutions(text, problem.dim, display)
        if len(fitness) == 0:
            counts = np.zeros(len(ACCURACIES), dtype=np.int64)
        else:
            counts = count_problem_optima(problem, points, None if reevaluate else fitness)
        by_problem[p].append(counts)
    pr = np.zeros((20, len(ACCURACIES)))
    sr = np.zeros((20, len(ACCURACIES)))
    found = np.zeros((20, len(ACCURACIES)), dtype=np.int64)
    runs = np.zeros(20, dtype=np.int64)
    for p, rows in by_problem.items():
        if rows:
            n_opt = cec2013(p).n_optima
            pr[p - 1], sr[p - 1], runs[p - 1] = peak_ratio(rows, n_opt), success_rate(rows, n_opt), len(rows)
            found[p - 1] = np.sum(rows, axis=0)
    return SubmissionScore(peak_ratio=pr, success_rate=sr, runs=runs, found=found)


def score_cec2013(submission, *, reevaluate: bool = False) -> pd.DataFrame:
    """Score a CEC'2013 niching submission (a folder or zip in the competition's
    layout, :data:`SUBMISSION_FORMAT`, or a bundled one's name, e.g.
    ``"rs-cmsa-2016"``) with the official procedure: the tidy per-problem PR/SR
    table of :meth:`SubmissionScore.to_frame`, one row per (problem, accuracy),
    for the problems the submission holds. Its ``peak_ratio.mean()`` over all 20
    problems is the competition's mean PR (0.854887345679 for ``"rs-cmsa-2016"``).

    >>> import collapsesim as cs
    >>> float(round(cs.score_cec2013("rs-cmsa-2016").peak_ratio.mean(), 12))
    0.854887345679
    """
    return score_submission(resolve_submission(submission), reevaluate=reevaluate).to_frame()
