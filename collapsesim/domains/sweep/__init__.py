"""The ``sweep`` domain: hard and soft selective sweeps with genetic
hitchhiking — natural selection collapsing the diversity of a chromosome.

A forward Wright–Fisher population of N diploids (or haploids), chromosome of
L bp with recombination rate r per bp (Poisson crossovers), one selected site
with genotype fitnesses ``1 : 1+hs : 1+s`` (SLiM's and msprime's convention;
Kimura's ``1 : 1+s : 1+2s`` with ``convention: kimura``; see
:mod:`.conventions`), constant or piecewise-constant N, recorded as a tskit
tree sequence (Kelleher et al. 2018; Haller et al. 2019). It starts from an
msprime neutral equilibrium (or a forward burn-in) and sweeps hard (one new
copy, restarted on loss), soft from standing variation or from recurrent
mutation, or partially (Maynard Smith & Haigh 1974; Kaplan, Hudson & Langley
1989; Hermisson & Pennings 2005; Pennings & Hermisson 2006).

Modules: :mod:`.params` · :mod:`.conventions` · :mod:`.generation` (one
generation; recombination by the engine's ``crossovers`` and
``assemble_gametes``) · :mod:`.treeseq` (recording) · :mod:`.model` (a
replicate) · :mod:`.stats` (statistics of a sample) · :mod:`.theory`. The
verification against theory, msprime and fwdpy11, the batched site study and
the figures: :mod:`collapsesim.reproductions.sweep` (``collapsesim reproduce
sweep``).

**Export.** With ``export: true`` and a run folder, each replicate writes
``trees.trees`` (tskit) and ``genotypes.vcf`` into ``<run>/replicates/<j>/``
when it ends (:meth:`.model.SweepSimulation.export`).

**Series.** ``window_i`` — counts of the distinct haplotypes of the sample in
window i (``window`` bp centred ``windows[i]`` bp from the selected site;
``window_0``, around the site, is the headline); reference: the expected D1 of
that window at neutral equilibrium (msprime, 100 replicates, the same
statistics code). ``origins`` — carriers of the beneficial allele per origin
(distinct mutations; for standing variation, the distinct copies when
selection starts) in the whole population; reference: theory's effective
number of origins at fixation (:meth:`.model.SweepSimulation.origins_reference`).

**Domain metrics** (every recorded generation; per bp unless stated; over the
sample of ``sample_size`` genomes unless stated): ``generation``, ``N``,
``p`` (beneficial frequency, population), ``restarts``, ``n_origins`` and
``p_different_origins`` (population carriers: distinct origins; probability
two distinct carrier copies differ in origin), ``end_generation`` and
``sweep_duration`` (once the sweep ended); ``pi``, ``theta_w`` (chromosome),
``pi_bin_KK``, ``theta_w_bin_KK`` (``bins`` equal bins), ``pi_site``,
``theta_w_site``, ``pi_site_rel`` (π_site / 2Mμ), ``tajimas_D``, ``fay_wu_H``
(θ_π − θ_H), ``H1``, ``H12``, ``H2_H1`` (Garud et al. 2015),
``n_haplotypes``, ``haplotype_diversity`` (n/(n−1)(1 − Σp²)) — all in
``window_0``; ``nSL``, ``iHS`` (mean |score| standardised by derived count,
over the variants within ``ehh_region`` of the site; Ferrer-Admetlla et al.
2014; Voight et al. 2006).

**Hitchhiking footprint** (with a ``footprint:`` block; from the observation
after each is taken): per distance bin KK from the site and each of its
``times`` t after the sweep's end, ``footprint_F_t<t>_bin_KK`` (pairs of
copies coalescing during the sweep: F(r) at t = 0) and
``footprint_pi_t<t>_bin_KK`` (π(r)/π₀), beside the first-order
approximation ``footprint_F_theory_t<t>_bin_KK`` ≈ (2Nσ)^(−2r/σ)·e^{−t/M} and
``footprint_pi_theory_t<t>_bin_KK`` = 1 − that (hard sweeps to fixation), and
``footprint_r_bin_KK`` (the bin centre's recombination fraction); see
:mod:`.model`. ``scenarios/sweep_footprint.yaml`` reports it.
"""

from __future__ import annotations

from ...registry import register
from ..base import Domain
from .model import SweepSimulation
from .params import SweepParams


@register("sweep")
class Sweep(Domain):
    """Forward Wright–Fisher selective sweeps with tree-sequence recording.
    One step is one generation."""

    Params = SweepParams
    headline = "window_0"
    backends = ("numpy", "numba", "torch")
    batched = False
    clock = "generations"
    description = "hard, soft and partial selective sweeps with hitchhiking (forward WF + tskit)"
    agreement = {"numba": "exact"}  # numba shares numpy's generator and draw order
    check_scenario = {
        "steps": 20, "record_every": 5, "replicates": 2,
        "params": {"N": 50, "L": 20_000, "r": 1e-6, "mu": 1e-5, "s": 0.5, "window": 2000,
                   "windows": [0, 5000], "bins": 4, "ehh_region": 10_000, "sample_size": 20,
                   "simplify_every": 7},
    }

    @classmethod
    def memory_estimate(cls, params: SweepParams, replicates: int) -> list[tuple[str, float]]:
        """Upper bound: the tree-sequence edges of the M = ploidy·N genomes
        between simplifications (two parents each, ~64 bytes per edge) and
        their genotype arrays, for one replicate at a time."""
        n = params.N if isinstance(params.N, int) else max(e.N for e in params.N)
        m = params.ploidy * n
        return [("params.N", 2 * 64.0 * m * (params.simplify_every + 1)),
                ("params.L", float(params.L))]

    def build(self, params: SweepParams, *, backend, seeds, steps: int) -> SweepSimulation:
        return SweepSimulation(params, backend, self.single_seed(seeds))


__all__ = ["Sweep", "SweepParams", "SweepSimulation"]
