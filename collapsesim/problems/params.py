"""Parameters that name a test problem and an evaluation budget, shared by the
search domains (``ga``, ``hikers``): their pydantic models subclass
:class:`ProblemParams` and declare ``max_fes`` themselves."""

from __future__ import annotations

from pydantic import Field, field_validator

from ..domains.base import DomainParams
from . import PROBLEM_NAMES, get_problem


class ProblemParams(DomainParams):
    """``problem`` (F1–F20, M1–M4, rastrigin, onemax, royal_road), its ``dim``
    where it has one, and the budget rules of ``max_fes``."""

    problem: str = Field("F4", description="F1–F20, M1–M4, rastrigin, onemax or royal_road")
    dim: int | None = Field(None, ge=1, description="dimension (bits) of rastrigin/onemax/royal_road")

    @field_validator("problem")
    @classmethod
    def _problem(cls, v):
        if v not in PROBLEM_NAMES:
            raise ValueError(f"one of {', '.join(PROBLEM_NAMES)}")
        return v

    @field_validator("max_fes", check_fields=False)
    @classmethod
    def _budget(cls, v):
        if isinstance(v, int) and v < 1:
            raise ValueError("a positive number of evaluations, 'official' or null")
        return v

    def build_problem(self):
        """The problem these parameters name."""
        return get_problem(self.problem, self.dim)

    def budget(self, problem) -> int | None:
        """The evaluation budget (None: unlimited)."""
        return problem.max_fes if self.max_fes == "official" else self.max_fes

    def _validated_problem(self):
        """``build_problem()`` inside a model validator: a bad ``dim`` reads as a dim error."""
        try:
            return self.build_problem()
        except ValueError as exc:
            raise ValueError(f"dim: {exc}") from None

    def _check_budget(self, problem) -> None:
        if self.max_fes == "official" and problem.max_fes is None:
            raise ValueError(f"max_fes 'official' needs a CEC'2013 problem; {self.problem} has no budget")
