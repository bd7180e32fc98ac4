"""Parameters of the ``drift`` domain (the YAML ``params:`` block)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from ...theory import Epoch, size_at
from ..base import DomainParams, expected, population_size


def _check_length(v: list, info: ValidationInfo) -> None:
    K = info.data.get("K")
    if K is not None and len(v) != K:
        raise expected(f"one entry per type (K = {K})")


class DriftParams(DomainParams):
    """Wright–Fisher (or Moran) population of haploid individuals over K types.

    ``N`` is a constant size or a list of epochs ``{generation: g, N: n}``
    (piecewise-constant size; the first epoch starts at generation 0).
    The initial population has K types in ``initial_counts`` (summing to the
    initial N) or ``initial_frequencies`` (rounded to counts by largest
    remainders), equal by default. Type 0 is the focal type. ``s`` is the
    selection coefficient of the focal type (carrier fitness ``1 + s``, the
    other types 1) or a list of K coefficients, one per type. ``mu`` is the
    mutation probability per individual per generation (per birth for Moran):
    ``k-allele`` mutates to one of the other K−1 types uniformly; ``infinite``
    creates a brand-new type (of fitness 1) at each mutation.
    """

    N: int | list[Epoch] = Field(1000, description="population size, or epochs [{generation, N}]")
    K: int = Field(2, ge=1, description="number of initial types")
    initial_counts: list[int] | None = Field(None, description="initial counts of the K types")
    initial_frequencies: list[float] | None = Field(
        None, description="initial frequencies of the K types (default equal)")
    model: Literal["wright-fisher", "moran"] = "wright-fisher"
    s: float | list[float] = Field(0.0, description="selection coefficient(s): fitness 1 + s")
    mu: float = Field(0.0, ge=0.0, le=1.0, description="mutation probability per birth")
    mutation: Literal["k-allele", "infinite"] = Field("k-allele", validate_default=True)

    @field_validator("N", mode="before")
    @classmethod
    def _size(cls, v):
        return population_size(v)

    @field_validator("initial_counts")
    @classmethod
    def _counts(cls, v, info: ValidationInfo):
        if v is None:
            return v
        if any(c < 0 for c in v) or sum(v) == 0:
            raise expected("counts >= 0 with a positive sum")
        _check_length(v, info)
        n = info.data.get("N")
        n0 = n if isinstance(n, int) else n[0].N if n else None
        if n0 is not None and sum(v) != n0:
            raise expected(f"counts summing to the initial N = {n0}")
        return v

    @field_validator("initial_frequencies")
    @classmethod
    def _frequencies(cls, v, info: ValidationInfo):
        if v is None:
            return v
        if info.data.get("initial_counts") is not None:
            raise expected("initial_counts or initial_frequencies, not both")
        if any(not f >= 0 for f in v) or not math.isclose(sum(v), 1.0, abs_tol=1e-6):
            raise expected("frequencies >= 0 summing to 1")
        _check_length(v, info)
        return v

    @field_validator("s", mode="before")
    @classmethod
    def _selection(cls, v, info: ValidationInfo):
        for x in v if isinstance(v, list) else [v]:
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not x > -1:
                raise expected("a number > -1 (fitness 1 + s > 0) or a list of K of them")
        if isinstance(v, list):
            _check_length(v, info)
        return v

    @field_validator("mutation")
    @classmethod
    def _mutation(cls, v, info: ValidationInfo):
        mu, K = info.data.get("mu"), info.data.get("K")
        if v == "k-allele" and mu and K is not None and K < 2:
            raise expected("at least 2 types (K >= 2) for k-allele mutation to move between, "
                            "or mu = 0")
        if v == "infinite" and mu == 0:
            raise expected("mu > 0 for infinite-alleles mutation (without mutation the two "
                            "models are the same process)")
        return v

    # -- derived quantities ------------------------------------------------------------
    def size_at(self, generation: int) -> int:
        """Population size of ``generation`` (the epoch in force then)."""
        return size_at(self.N, generation)

    def initial_population(self) -> np.ndarray:
        """Initial counts of the K types (int64, summing to the initial N)."""
        if self.initial_counts is not None:
            return np.asarray(self.initial_counts, dtype=np.int64)
        n = self.size_at(0)
        f = (np.full(self.K, 1.0 / self.K) if self.initial_frequencies is None
             else np.asarray(self.initial_frequencies, dtype=float) / sum(self.initial_frequencies))
        exact = f * n
        counts = np.floor(exact).astype(np.int64)
        order = np.argsort(-(exact - counts), kind="stable")  # largest remainders first
        counts[order[: n - counts.sum()]] += 1
        return counts

    def fitness(self) -> np.ndarray:
        """Fitness ``1 + s`` of each of the K types (float64)."""
        w = np.ones(self.K)
        if isinstance(self.s, list):
            w += np.asarray(self.s, dtype=float)
        else:
            w[0] += self.s
        return w

    def theta(self, generation: int) -> float:
        """Population mutation rate of the epoch in force: ``2Nμ`` for
        Wright–Fisher, ``Nμ`` for Moran (whose drift is twice as fast)."""
        n = self.size_at(generation)
        return (2.0 if self.model == "wright-fisher" else 1.0) * n * self.mu
