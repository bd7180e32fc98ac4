"""Parameters of the ``hikers`` domain (the YAML ``params:`` block)::

    params:
      problem: F6
      N: 200
      sigma: 0.01                  # climbing step, fraction of each coordinate's range
      interval: 10                 # steps between exploit rounds (0: never)
      exploit: {kind: quantile, q: 0.25}   # or {kind: best, q: 1.0}
      radius: null                 # remedy: copy only a top hiker within this distance
      repulsion: null              # remedy: {strength: c, width: r}
      restart_patience: null       # remedy: restart a hiker after this many steps without gain
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from ...problems.params import ProblemParams
from ..base import DomainParams


class Quantile(DomainParams):
    """Go-with-the-winners / PBT truncation: the worst fraction q copy random members of the best q."""
    kind: Literal["quantile"] = "quantile"
    q: float = Field(0.25, gt=0.0, le=0.5)


class Best(DomainParams):
    """The worst fraction q (all but the best when q = 1) copy the single best hiker."""
    kind: Literal["best"] = "best"
    q: float = Field(1.0, gt=0.0, le=1.0)


Exploit = Annotated[Union[Quantile, Best], Field(discriminator="kind")]


class Repulsion(DomainParams):
    """Hikers climb and rank on f − c·Σ_{j≠i} exp(−d_ij²/(2w²)) (d in problem units)."""
    strength: float = Field(gt=0.0, description="c, in fitness units")
    width: float = Field(gt=0.0, description="w, in problem units")


class HikersParams(ProblemParams):
    """N parallel hill-climbers with periodic exploitation (go-with-the-winners:
    Aldous & Vazirani 1994; the exploit step of population-based training:
    Jaderberg et al. 2017). One step: every hiker proposes a move (a Gaussian
    step of ``sigma`` × range per coordinate, or one random bit flip on bit
    strings — random-mutation hill climbing, Forrest & Mitchell 1993) and takes
    it if it is not worse (one evaluation per hiker). Every ``interval`` steps
    the worst hikers copy better ones (``exploit``)."""

    problem: str = Field("F6", description="F1–F20, M1–M4, rastrigin, onemax or royal_road")
    N: int = Field(100, ge=2, description="number of hikers")
    sigma: float = Field(0.01, gt=0.0, description="step as a fraction of each coordinate's range")
    interval: int = Field(10, ge=0, description="steps between exploit rounds (0: never)")
    exploit: Exploit = Field(default_factory=Quantile)
    radius: float | None = Field(None, gt=0.0, description="copy only a top hiker within this distance")
    repulsion: Repulsion | None = None
    restart_patience: int | None = Field(None, ge=1, description="restart after this many steps without gain")
    max_fes: int | Literal["official"] | None = Field(None, description="evaluation budget")
    stop_at_optimum: bool = Field(False, description="finish once every hiker reached the optimum value")

    @field_validator("exploit", mode="before")
    @classmethod
    def _shorthand(cls, v):
        return {"kind": v} if isinstance(v, str) else v

    @model_validator(mode="after")
    def _consistent(self):
        problem = self._validated_problem()
        if problem.kind == "bits" and self.repulsion is not None:
            raise ValueError("repulsion needs a real-valued problem")
        self._check_budget(problem)
        if self.interval and self.n_copiers < 1:
            raise ValueError(f"exploit.q = {self.exploit.q} copies no hiker out of N = {self.N}")
        return self

    @property
    def n_copiers(self) -> int:
        """Hikers replaced per exploit round (the best never copies)."""
        return min(int(round(self.exploit.q * self.N)), self.N - 1)
