"""Parameters of the ``ga`` domain (the YAML ``params:`` block).

Operator blocks are tagged by ``kind`` and accept a bare name as shorthand
(``selection: proportional`` is ``selection: {kind: proportional}``)::

    params:
      problem: F4                 # F1–F20, M1–M4, rastrigin, onemax, royal_road
      N: 100
      selection: {kind: tournament, k: 2}
      crossover: {kind: sbx, eta: 15, rate: 0.9}
      mutation: {kind: gaussian, sigma: 0.02}
      replacement: generational   # comma | plus | crowding | rts
      niching: {kind: sharing, sigma: 0.5}
      max_fes: official           # the problem's CEC'2013 budget
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from ...problems.params import ProblemParams
from ..base import DomainParams


def _kind(v):
    return {"kind": v} if isinstance(v, str) else v


# -- selection ----------------------------------------------------------------------------
class Tournament(DomainParams):
    """Tournaments of ``k`` contestants drawn with replacement."""
    kind: Literal["tournament"] = "tournament"
    k: int = Field(2, ge=1, description="tournament size")


class Proportional(DomainParams):
    """Roulette wheel on windowed fitness f − min f."""
    kind: Literal["proportional"] = "proportional"


class Rank(DomainParams):
    """Linear ranking with selection pressure s (expected copies of the best)."""
    kind: Literal["rank"] = "rank"
    pressure: float = Field(2.0, ge=1.0, le=2.0, description="expected copies of the best, in [1, 2]")


class Truncation(DomainParams):
    """Parents uniformly from the best ``fraction``."""
    kind: Literal["truncation"] = "truncation"
    fraction: float = Field(0.5, gt=0.0, le=1.0)


class RandomSelection(DomainParams):
    """Parents uniformly at random (no selection: pure drift)."""
    kind: Literal["random"] = "random"


Selection = Annotated[Union[Tournament, Proportional, Rank, Truncation, RandomSelection],
                      Field(discriminator="kind")]


# -- variation ----------------------------------------------------------------------------
class SBX(DomainParams):
    """Simulated binary crossover (Deb & Agrawal 1995) with distribution index ``eta``,
    applied to a pair of parents with probability ``rate``."""
    kind: Literal["sbx"] = "sbx"
    eta: float = Field(15.0, ge=0.0, description="distribution index")
    rate: float = Field(0.9, ge=0.0, le=1.0, description="probability a pair is crossed")


class BLX(DomainParams):
    """Blend crossover BLX-α (Eshelman & Schaffer 1993): each child gene uniform on the
    parents' interval widened by ``alpha`` of its length on both sides; a pair is
    crossed with probability ``rate``."""
    kind: Literal["blx"] = "blx"
    alpha: float = Field(0.5, ge=0.0)
    rate: float = Field(0.9, ge=0.0, le=1.0)


class UniformCrossover(DomainParams):
    """Uniform crossover: each gene from either parent with probability 1/2; a pair is
    crossed with probability ``rate``."""
    kind: Literal["uniform"] = "uniform"
    rate: float = Field(0.9, ge=0.0, le=1.0)


class OnePoint(DomainParams):
    """One-point crossover: the parents swap their tails after one uniform cut; a pair is
    crossed with probability ``rate``."""
    kind: Literal["one_point"] = "one_point"
    rate: float = Field(0.9, ge=0.0, le=1.0)


class NoCrossover(DomainParams):
    """No crossover: children start as copies of their parents."""
    kind: Literal["none"] = "none"


Crossover = Annotated[Union[SBX, BLX, UniformCrossover, OnePoint, NoCrossover],
                      Field(discriminator="kind")]


class _Rate(DomainParams):
    rate: float | None = Field(None, ge=0.0, le=1.0,
                               description="per-gene probability (default 1/D, or 1/L for bits)")

    def rate_for(self, genes: int) -> float:
        return 1.0 / genes if self.rate is None else self.rate


class Gaussian(_Rate):
    """Gaussian mutation: each gene, with probability ``rate``, moves by a normal step of
    standard deviation ``sigma`` times its coordinate's range."""
    kind: Literal["gaussian"] = "gaussian"
    sigma: float = Field(0.02, gt=0.0, description="step as a fraction of each coordinate's range")


class Polynomial(_Rate):
    """Polynomial mutation (Deb & Goyal 1996) with distribution index ``eta``, each gene
    with probability ``rate``."""
    kind: Literal["polynomial"] = "polynomial"
    eta: float = Field(20.0, ge=0.0, description="distribution index")


class Bitflip(_Rate):
    """Bit-flip mutation: each bit flips with probability ``rate``."""
    kind: Literal["bitflip"] = "bitflip"


class NoMutation(DomainParams):
    """No mutation."""
    kind: Literal["none"] = "none"


Mutation = Annotated[Union[Gaussian, Polynomial, Bitflip, NoMutation], Field(discriminator="kind")]


# -- remedies -----------------------------------------------------------------------------
class Sharing(DomainParams):
    """Fitness sharing (Goldberg & Richardson 1987): f / Σ_j sh(d_ij),
    sh(d) = 1 − (d/σ)^α for d < σ."""
    kind: Literal["sharing"] = "sharing"
    sigma: float = Field(gt=0.0, description="sharing radius (problem units; Hamming for bits)")
    alpha: float = Field(1.0, gt=0.0)


class Clearing(DomainParams):
    """Clearing (Pétrowski 1996): in each niche of radius σ only the best κ keep their fitness."""
    kind: Literal["clearing"] = "clearing"
    sigma: float = Field(gt=0.0, description="clearing radius (problem units; Hamming for bits)")
    kappa: int = Field(1, ge=1, description="winners per niche")


class NoNiching(DomainParams):
    """No niching: selection sees the raw fitness."""
    kind: Literal["none"] = "none"


Niching = Annotated[Union[Sharing, Clearing, NoNiching], Field(discriminator="kind")]


class Islands(DomainParams):
    """Island model: ``count`` demes of N/count on a ring; every ``interval``
    generations the best ``migrants`` of each deme replace the worst of the next."""
    count: int = Field(1, ge=1)
    interval: int = Field(10, ge=1)
    migrants: int = Field(1, ge=0)


class NBC(DomainParams):
    """Nearest-better clustering with restarted CMA-ES (method ``nbc-cma``)."""
    sample: int | None = Field(None, ge=4, description="initial sample per restart (default 40·D, ≥ 100)")
    phi: float = Field(2.0, gt=0.0, description="cut edges longer than φ × the mean nearest-better distance")
    max_clusters: int = Field(20, ge=1, description="CMA-ES instances started per restart (best seeds)")
    tol_fun: float = Field(1e-10, gt=0.0, description="an instance stops when its fitness range is below this")


class GAParams(ProblemParams):
    """A genetic algorithm (or, ``method: nbc-cma``, a modern niching method) on a test problem.

    One step is one generation. ``N`` individuals, split into ``islands.count``
    demes; ``offspring`` (λ, per deme, default n = N/islands) children per
    generation; ``replacement``: ``generational`` (children replace parents),
    ``comma`` ((μ, λ): the best n of λ ≥ n children), ``plus`` ((μ + λ): the
    best n of parents and children), ``crowding`` (deterministic crowding:
    random pairs, each child replaces the nearer parent if better; Mahfoud 1995)
    or ``rts`` (restricted tournament selection: each child replaces the nearest
    of ``rts_window`` random members if better; Harik 1995). ``elitism`` e: the
    best e of the old generation replace the worst e of the new.
    ``immigrants``: fraction of each deme replaced by uniform random
    individuals every generation (Grefenstette 1992). ``max_fes``: stop after
    this many evaluations (``official``: the problem's CEC'2013 MaxFEs).
    """

    method: Literal["ga", "nbc-cma"] = "ga"
    N: int = Field(100, ge=2, description="population size")
    offspring: int | None = Field(None, ge=2, description="children per deme and generation (λ)")
    selection: Selection = Field(default_factory=Tournament)
    crossover: Crossover = Field(default_factory=NoCrossover)
    mutation: Mutation = Field(default_factory=Gaussian)
    replacement: Literal["generational", "comma", "plus", "crowding", "rts"] = "generational"
    rts_window: int = Field(20, ge=1, description="restricted tournament window w")
    elitism: int = Field(0, ge=0)
    niching: Niching = Field(default_factory=NoNiching)
    immigrants: float = Field(0.0, ge=0.0, le=1.0)
    islands: Islands = Field(default_factory=Islands)
    nbc: NBC = Field(default_factory=NBC)
    max_fes: int | Literal["official"] | None = Field(None, description="evaluation budget")
    stop_at_optimum: bool = Field(False, description="finish once the best reaches the optimum value")

    @field_validator("selection", "crossover", "mutation", "niching", mode="before")
    @classmethod
    def _shorthand(cls, v):
        return _kind(v)

    @model_validator(mode="after")
    def _consistent(self):
        problem = self._validated_problem()
        bits = problem.kind == "bits"
        if bits and self.crossover.kind in ("sbx", "blx"):
            raise ValueError(f"crossover {self.crossover.kind!r} needs a real-valued problem "
                             f"({self.problem} is a bit string: use uniform or one_point)")
        if bits != (self.mutation.kind == "bitflip") and self.mutation.kind != "none":
            raise ValueError(f"mutation {self.mutation.kind!r} does not fit {self.problem} "
                             f"({'bitflip' if bits else 'gaussian or polynomial'} does)")
        self._check_budget(problem)
        if self.N % self.islands.count:
            raise ValueError(f"N = {self.N} must split evenly into {self.islands.count} islands")
        n = self.N // self.islands.count
        if n < 2:
            raise ValueError("each island needs at least 2 individuals")
        lam = self.offspring or n
        if self.replacement == "comma" and lam < n:
            raise ValueError(f"(μ, λ) needs offspring λ >= n = {n} per deme; got {lam}")
        if self.replacement in ("generational", "crowding") and lam != n:
            raise ValueError(f"{self.replacement} replacement makes n = {n} children per deme; "
                             "leave offspring unset")
        if self.elitism >= n or self.islands.migrants >= n:
            raise ValueError(f"elitism and islands.migrants must be below the deme size {n}")
        if self.method == "nbc-cma" and problem.kind == "bits":
            raise ValueError("method nbc-cma needs a real-valued problem")
        return self

    @property
    def deme_size(self) -> int:
        """Individuals per island: N // islands.count."""
        return self.N // self.islands.count

    @property
    def n_offspring(self) -> int:
        """Children per deme and generation: ``offspring``, else the deme size."""
        return self.offspring or self.deme_size
