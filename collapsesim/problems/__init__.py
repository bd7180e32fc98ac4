"""Test problems shared by the ``ga`` and ``hikers`` domains.

* :func:`cec2013` — the CEC'2013 niching suite F1–F20 (Li, Engelbrecht &
  Epitropakis 2013) with its official optima, niche radii, budgets and scoring
  (:mod:`.scoring`);
* :func:`goldberg` — Goldberg's M1–M4 (Goldberg & Richardson 1987; Deb &
  Goldberg 1989); :func:`rastrigin`;
* :func:`onemax` and :func:`royal_road` (R1; Mitchell, Forrest & Holland 1992)
  on bit-packed genomes.

:func:`get_problem` builds any of them by name: ``F1`` … ``F20``, ``M1`` …
``M4``, ``rastrigin`` (``dim``), ``onemax`` (``dim`` bits), ``royal_road``
(``dim`` bits, a multiple of 8; R1 by default).
"""

from __future__ import annotations

import re

from .base import BitProblem, Problem, RealProblem
from .bits import onemax, royal_road
from .cec2013 import cec2013
from .classic import goldberg, rastrigin
from .scoring import ACCURACIES, count_optima, count_problem_optima, peak_ratio, success_rate

PROBLEM_NAMES = tuple(f"F{i}" for i in range(1, 21)) + ("M1", "M2", "M3", "M4", "rastrigin",
                                                          "onemax", "royal_road")
DEFAULT_DIM = {"rastrigin": 10, "onemax": 64, "royal_road": 64}


def get_problem(name: str, dim: int | None = None) -> Problem:
    """The problem called ``name`` (see the module docstring); ``dim`` only for the
    scalable ones (``rastrigin``, ``onemax``, ``royal_road``)."""
    m = re.fullmatch(r"([FM])(\d+)", name)
    if m:
        if dim is not None:
            raise ValueError(f"{name} has a fixed dimension; do not give dim")
        return cec2013(int(m.group(2))) if m.group(1) == "F" else goldberg(int(m.group(2)))
    if name not in DEFAULT_DIM:
        raise ValueError(f"unknown problem {name!r}: expected one of {', '.join(PROBLEM_NAMES)}")
    dim = DEFAULT_DIM[name] if dim is None else int(dim)
    if dim < 1:
        raise ValueError(f"{name}: dim must be >= 1, got {dim}")
    if name == "rastrigin":
        return rastrigin(dim)
    if name == "onemax":
        return onemax(dim)
    if dim % 8:
        raise ValueError(f"royal_road: dim must be a multiple of 8 (blocks of 8 bits), got {dim}")
    return royal_road(dim // 8)


__all__ = ["ACCURACIES", "BitProblem", "PROBLEM_NAMES", "Problem", "RealProblem", "cec2013",
           "count_optima", "count_problem_optima", "get_problem", "goldberg", "onemax",
           "peak_ratio", "rastrigin", "royal_road", "success_rate"]
