"""The ``drift`` domain: genetic drift, selection and mutation over K types —
the engine's reference domain, checked against exact population-genetic theory.

* :mod:`.params` — the parameters (Wright–Fisher or Moran, constant or
  piecewise-constant N, selection, K-allele or infinite-alleles mutation);
* :mod:`.model` — one replicate, stepping one generation at a time;
* :mod:`collapsesim.theory` (shared with the sweep domain) — the exact
  Wright–Fisher chain, Kimura's diffusion approximations, heterozygosity
  decay, Moran fixation and the infinite-alleles equilibrium;
* :mod:`collapsesim.reproductions.drift` — the verification against theory
  and the batched allele-count fixation study; ``collapsesim reproduce drift``
  regenerates ``docs/reproductions/drift.md``.

Series ``types``: counts of each type. Its reference is the initial counts
under K-allele mutation (or none), so relative diversity starts at 1 and ends
at 1/D1(initial) after fixation; under infinite alleles, whose types are not
fixed in advance, it is the effective number D1 the population has at
mutation–drift equilibrium, ``exp(ψ(1 + θ) + γ)`` with θ of the current epoch
(``2Nμ`` Wright–Fisher, ``Nμ`` Moran): relative diversity near 1 means "as
diverse as mutation–drift balance allows".

Domain metrics (every recorded step): ``heterozygosity`` (1 − Σp²),
``heterozygosity_unbiased`` (N/(N−1)·(1 − Σp²)), ``n_types``,
``focal_frequency`` (type 0), ``fixed`` (1 while one type holds the whole
population), ``N``, and, from the first generation with a single type on,
``fixation_generation`` (that generation) and ``fixed_type`` (the index of that
type then: 0 … K−1 an initial type, beyond K a new infinite-alleles type).

References: Ewens (2004) *Mathematical Population Genetics*, 2nd ed.;
Kimura (1962) Genetics 47:713; Kimura & Crow (1964) Genetics 49:725;
Kimura & Ohta (1969) Genetics 61:763; Moran (1958) Proc. Camb. Phil. Soc. 54:60.
"""

from __future__ import annotations

from ...registry import register
from ..base import Domain
from .model import DriftBatch, DriftSimulation, build
from .params import DriftParams, Epoch


@register("drift")
class Drift(Domain):
    """Wright–Fisher (or Moran) drift of K haploid types with selection and
    K-allele or infinite-alleles mutation. One step is one generation (for
    Moran, N birth–death events)."""

    Params = DriftParams
    headline = "types"
    backends = ("numpy", "numba", "torch")
    batched = True
    clock = "generations"
    description = "Wright–Fisher/Moran drift of K types with selection and mutation"
    agreement = {"numba": "exact"}  # numba shares numpy's generator and draw order
    check_scenario = {"params": {"N": 50, "K": 4, "s": 0.05, "mu": 0.001}, "steps": 20}

    @classmethod
    def memory_estimate(cls, params: DriftParams, replicates: int) -> list[tuple[str, float]]:
        """Upper bound: a few length-N arrays (Moran events, infinite-alleles
        labels) per replicate stepped at a time, and K-type counts of every
        replicate (batched), 8 bytes each."""
        n = params.N if isinstance(params.N, int) else max(e.N for e in params.N)
        return [("params.N", 8.0 * 8 * n), ("params.K", 8.0 * 8 * params.K * max(replicates, 1))]

    def build(self, params: DriftParams, *, backend, seeds, steps: int):
        return build(params, backend, seeds)


__all__ = ["Drift", "DriftParams", "Epoch", "DriftBatch", "DriftSimulation"]
