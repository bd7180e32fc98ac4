"""Parameters of the ``sweep`` domain (the YAML ``params:`` block).

Sizes are in individuals (diploids for ``ploidy: 2``), rates per base pair per
generation, positions in base pairs on a discrete chromosome ``[0, L)``.
Generations count from the start of the forward simulation (generation 0 is
the msprime equilibrium population, or the end of the forward burn-in).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from ..base import DomainParams, expected, population_size
from ...theory import Epoch
from .conventions import CONVENTIONS


class Footprint(DomainParams):
    """The hitchhiking footprint as a run's output (the ``footprint:`` block).

    The arm ``distance`` bp on each side of the selected site is cut into
    ``bins`` equal distance bins; bin k pools the two mirror-image stretches
    ``[k, k+1)·distance/bins`` bp left and right of the site. At each of
    ``times`` (generations after the sweep ended: 0 is the generation it
    fixed or reached its target) the domain reports per bin the fraction of
    pairs of copies whose genealogy coalesces during the sweep and their
    expected diversity relative to neutrality (branch statistics of the whole
    population: no sampling or mutation noise), beside the first-order
    approximation (:mod:`.model` documents the metrics)."""

    bins: int = Field(10, ge=1, le=100, description="equal distance bins on each side of the "
                                                    "selected site")
    distance: int | None = Field(None, ge=1, description="bp from the site the bins cover "
                                                         "(default: the shorter chromosome arm)")
    times: list[int] = Field([0], min_length=1, max_length=20,
                             description="generations after the sweep's end at which the "
                                         "footprint is taken (0: at fixation / the target)")

    @field_validator("times")
    @classmethod
    def _times(cls, v):
        if any(t < 0 for t in v) or len(set(v)) != len(v):
            raise expected("distinct generations ≥ 0")
        return sorted(v)


class SweepParams(DomainParams):
    """A forward Wright–Fisher population with one selected site on a
    recombining chromosome, recorded as a tree sequence.

    ``mode`` chooses how the beneficial allele enters at generation ``onset``:
    ``hard`` — one new copy; ``standing`` — standing variation at frequency
    ``x0`` (``standing: random``: ``round(M·x0)`` random copies, each its own
    origin; ``standing: drift``: one *neutral* copy that drifts — restarted on
    loss — until it first reaches ``x0``, when selection starts and its copies
    become the origins); ``recurrent`` — every ancestral copy mutates to the
    beneficial allele with probability ``mu_b`` per generation (each mutation
    a new origin; Θ = 2Mμ_b). The sweep ends when the beneficial frequency
    reaches ``target`` (1 = fixation; < 1 a partial sweep); with ``condition``
    a loss restarts from the state at the onset (hard, standing), and the
    restarts are reported. ``post_sweep`` more generations are simulated and
    recorded after the end.

    ``footprint`` (:class:`Footprint`) makes the run report the hitchhiking
    footprint — per distance bin, at the sweep's end and at set generations
    after it — from the whole population's tree sequence; the run then lasts
    until the last of those times too.
    """

    N: int | list[Epoch] = Field(
        1000, description="individuals (diploids for ploidy 2), or epochs [{generation, N}] "
                          "(piecewise-constant size; the first at generation 0)")
    ploidy: Literal[1, 2] = Field(2, description="2: diploids (M = 2N copies); 1: haploids (M = N)")
    L: int = Field(200_000, ge=2, description="chromosome length (bp)")
    r: float = Field(1e-7, ge=0, le=0.01, description="recombination rate per bp per generation "
                                                      "(Poisson crossovers)")
    mu: float = Field(5e-7, ge=0, le=0.01,
                      description="neutral mutation rate per bp per generation (laid on the "
                                  "tree sequence afterwards)")
    site: int | None = Field(None, description="position of the selected site (bp; default L // 2)")
    s: float = Field(0.1, description="selection coefficient in the chosen `convention`")
    h: float = Field(0.5, description="dominance (SLiM convention: 1 : 1+hs : 1+s)")
    convention: Literal["slim", "kimura"] = Field(
        "slim", description="slim: fitnesses 1 : 1+hs : 1+s; kimura: 1 : 1+s : 1+2s "
                            "(h must be 0.5)")
    mode: Literal["hard", "standing", "recurrent"] = Field(
        "hard", description="hard (one new copy), standing (variation at x0) or recurrent (mu_b)")
    x0: float = Field(0.05, gt=0, lt=1, description="standing: frequency at the onset of selection")
    standing: Literal["random", "drift"] = Field(
        "random", description="standing: random copies at x0, or one neutral copy drifted to x0")
    mu_b: float = Field(0.0, ge=0, lt=1, validate_default=True,
                        description="recurrent: beneficial mutation probability per ancestral "
                                    "copy per generation")
    onset: int = Field(0, ge=0, description="generation at which the beneficial allele enters")
    target: float = Field(1.0, gt=0, le=1, description="the sweep ends at this frequency "
                                                       "(1: fixation; < 1: partial sweep)")
    condition: bool = Field(True, description="restart from the onset when the allele is lost")
    post_sweep: int = Field(0, ge=0, description="generations recorded after the sweep ends")
    start: Literal["msprime", "forward"] = Field(
        "msprime", description="msprime neutral equilibrium, or a forward burn-in recapitated "
                               "by msprime")
    burn_in: int | None = Field(None, ge=1, description="forward start: burn-in generations "
                                                        "(default 10 N)")
    sample_size: int | None = Field(50, ge=2, description="genomes sampled per observation "
                                                          "(null: the whole population)")
    window: int = Field(4000, ge=1, description="width of each haplotype window (bp)")
    windows: list[int] = Field([0, 10_000, 50_000], min_length=1, validate_default=True,
                               description="offsets (bp) of the haplotype windows' centres from "
                                           "the selected site; window_0 is the headline")
    bins: int = Field(20, ge=1, le=200, description="bins along the chromosome for the π and θ_W "
                                                    "profiles")
    ehh_region: int = Field(40_000, ge=1, description="nSL/iHS are averaged over the variants "
                                                      "within this span (bp) centred on the site")
    simplify_every: int = Field(50, ge=1, description="generations between tree-sequence "
                                                      "simplifications")
    footprint: Footprint | None = Field(
        None, description="report the hitchhiking footprint per distance bin at the sweep's "
                          "end and at set generations after it (null: not reported)")
    export: bool = Field(False, description="each replicate writes trees.trees and genotypes.vcf "
                                            "into <run>/replicates/<j>/ when it ends (needs a "
                                            "run folder)")

    @field_validator("N", mode="before")
    @classmethod
    def _size(cls, v):
        return population_size(v)

    @field_validator("site")
    @classmethod
    def _site(cls, v, info: ValidationInfo):
        L = info.data.get("L")
        if v is not None and L is not None and not 0 <= v < L:
            raise expected(f"a position in [0, L) = [0, {L})")
        return v

    @field_validator("s")
    @classmethod
    def _selection(cls, v):
        if not v > -1:
            raise expected("a number > -1 (every fitness positive)")
        return v

    @field_validator("convention")
    @classmethod
    def _convention(cls, v, info: ValidationInfo):
        h, s = info.data.get("h"), info.data.get("s")
        if v == "kimura" and h is not None and h != 0.5:
            raise expected("h = 0.5 with the kimura convention (its genic model has no "
                            "dominance); use convention: slim for other h")
        if v == "slim" and h is not None and s is not None and not 1 + h * s > 0:
            raise expected("h and s with a positive heterozygote fitness 1 + hs")
        return v

    @field_validator("mu_b")
    @classmethod
    def _recurrent(cls, v, info: ValidationInfo):
        if info.data.get("mode") == "recurrent" and v == 0:
            raise expected("mu_b > 0 for mode: recurrent")
        return v

    @field_validator("windows")
    @classmethod
    def _windows(cls, v, info: ValidationInfo):
        L, w = info.data.get("L"), info.data.get("window")
        if L is None or w is None:
            return v
        site = info.data.get("site")
        site = L // 2 if site is None else site
        for off in v:
            lo, hi = site + off - w // 2, site + off - w // 2 + w
            if lo < 0 or hi > L:
                raise expected(f"offsets whose windows of {w} bp lie inside [0, {L}); "
                                f"offset {off} gives [{lo}, {hi})")
        return v

    @field_validator("footprint")
    @classmethod
    def _footprint(cls, v, info: ValidationInfo):
        L = info.data.get("L")
        if v is None or L is None or v.distance is None:
            return v
        site = info.data.get("site")
        site = L // 2 if site is None else site
        arm = min(site, L - site)
        if v.distance > arm:
            raise expected(f"a distance ≤ the shorter arm around the site ({arm} bp)")
        return v

    # -- derived quantities ------------------------------------------------------------
    @property
    def position(self) -> int:
        """The selected site."""
        return self.L // 2 if self.site is None else self.site

    def size_at(self, generation: int) -> int:
        """Individuals in ``generation`` (the epoch in force then)."""
        if isinstance(self.N, int):
            return self.N
        return [e.N for e in self.N if e.generation <= generation][-1]

    def copies_at(self, generation: int) -> int:
        """Gene copies M in ``generation``: ``ploidy × N``."""
        return self.ploidy * self.size_at(generation)

    @property
    def footprint_distance(self) -> int:
        """The bp from the site covered by the footprint's bins."""
        d = self.footprint.distance if self.footprint else None
        return min(self.position, self.L - self.position) if d is None else d

    @property
    def sigma(self) -> float:
        """The per-copy advantage of the beneficial allele while rare: ``h·s``
        (SLiM's s) for diploids, ``s`` for haploids."""
        return self.s_slim if self.ploidy == 1 else self.h * self.s_slim

    @property
    def s_slim(self) -> float:
        """``s`` in SLiM's convention (``1 : 1+hs : 1+s``)."""
        return 2.0 * self.s if self.convention == "kimura" and self.ploidy == 2 else self.s

    def genotype_fitness(self) -> list[float]:
        """Fitness by number of beneficial copies carried (0, 1[, 2])."""
        s = self.s_slim
        return [1.0, 1.0 + s] if self.ploidy == 1 else [1.0, 1.0 + self.h * s, 1.0 + s]

    @property
    def convention_text(self) -> str:
        """The fitness convention in words, for pages and summaries."""
        return "haploid: carrier fitness 1+s" if self.ploidy == 1 else CONVENTIONS[self.convention]

    def theta0(self) -> float:
        """Neutral diversity per bp at generation 0: ``2Mμ`` (4Nμ for diploids)."""
        return 2.0 * self.copies_at(0) * self.mu

    @property
    def burn_in_generations(self) -> int:
        """Neutral burn-in before the sweep: ``burn_in``, or 10·N generations when unset."""
        return 10 * self.size_at(0) if self.burn_in is None else self.burn_in
