"""The ``psiblast`` domain: iterative profile search that drifts — PSI-BLAST
on a labelled synthetic database, where selection is the inclusion test
(E ≤ τ) and the model refitted each iteration is the PSSM.

Collapse shows two ways: the profile narrows onto the query's own
subfamily (subfamily collapse), or a spurious mode enters and takes it
over (sister-family absorption; homologous over-extension through
chimeras, Gonzalez & Pearson 2010).

* :mod:`.params` — the database and the search settings;
* :mod:`.matrices` — BLOSUM62, its frequencies, the substitution process;
* :mod:`.database` — synthetic families (star or coalescent), decoys, labels;
* :mod:`.alignment` / :mod:`.kernels` — the search modes (ungapped seeded,
  Smith–Waterman, X-drop), numpy reference and numba/torch kernels;
* :mod:`.pssm` — the PSSM update in NCBI's order;
* :mod:`.fasta` — FASTA reading and writing (export);
* :mod:`.model` — one replicate (build, step, observe);
* :mod:`.theory` — Karlin–Altschul statistics (E-values, length adjustment).

One step is one iteration; step 0 is the query alone. The search is
deterministic given a database, so each replicate draws its own database and
incidence over replicates is the unit of every result.

References: Altschul et al. (1997) NAR 25:3389; Schäffer et al. (2001) NAR
29:2994; Altschul et al. (2009) Bioinformatics 25:1106; Gonzalez & Pearson
(2010) NAR 38:e184; Pearson et al. (2017) NAR 45:e46; Eddy (2011) PLoS
Comput Biol 7:e1002195 (jackhmmer's entropy weighting).
"""

from __future__ import annotations

from ...registry import register
from ..base import Domain
from .model import PsiblastSimulation
from .params import PsiblastParams


@register("psiblast")
class Psiblast(Domain):
    """PSI-BLAST iterations on a labelled synthetic database; one step is one iteration."""

    Params = PsiblastParams
    headline = "subfamilies"
    backends = ("numpy", "numba", "torch")
    batched = False
    clock = "iterations"
    description = "iterative profile search: subfamily collapse, absorption, over-extension"
    agreement = {"numba": "exact", "torch": "exact"}  # integer scores on every backend
    check_scenario = {"steps": 3, "record_every": 1, "replicates": 2,
                      "params": {"database": {"subfamilies": 2, "members": 4, "length": 40,
                                              "background": 20, "background_length": 60,
                                              "flank": 5, "query_flank": 10},
                                 "mode": "ungapped", "inclusion": 0.05}}

    @classmethod
    def memory_estimate(cls, params: PsiblastParams, replicates: int) -> list[tuple[str, float]]:
        """Upper bound for one replicate at a time: the database (residues
        and their two label columns, about 9 bytes a residue) and a few
        per-sequence score arrays."""
        d = params.database
        n = (d.subfamilies * d.members + d.background + d.sister + d.foreign + d.chimeras
             + d.biased)
        residues = (d.subfamilies * d.members + d.sister + d.chimeras) * (d.length + 2 * d.flank) \
            + (d.background + d.biased) * 1.5 * d.background_length \
            + (d.foreign + d.chimeras) * (d.foreign_length + 2 * d.flank)
        return [("params.database", 9.0 * residues + 64.0 * n)]

    def build(self, params: PsiblastParams, *, backend, seeds, steps: int) -> PsiblastSimulation:
        return PsiblastSimulation(params, backend, self.single_seed(seeds))


__all__ = ["Psiblast", "PsiblastParams", "PsiblastSimulation"]
