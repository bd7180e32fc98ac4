"""What the genealogy of a particle filter should look like, in closed form.

With equal weights, multinomial resampling of N particles is the haploid
Wright–Fisher model: each particle picks its parent uniformly. Backwards in
time k lineages have j distinct parents with the occupancy probability of k
balls in N boxes, so

* one step back, the N particles have N(1 − (1 − 1/N)^N) ≈ (1 − e⁻¹)N distinct
  parents on average;
* the time to the most recent common ancestor has mean ≈ 2N(1 − 1/N)
  (Kingman's coalescent; exact discrete values: :func:`tmrca_moments`, the
  chain of :func:`collapsesim.theory.wright_fisher_tmrca_moments`) and sd
  ≈ 1.08N (√(4π²/3 − 12)·N, the coalescent's sd of T_MRCA for large N);
* the stored tree (path storage) has the size of
  :func:`collapsesim.engine.genealogy.expected_stored_nodes`.

Residual, stratified and systematic resampling with equal weights give every
particle exactly one offspring (they are the identity), so a drift baseline
must use multinomial resampling.

For a weighted filter with multinomial resampling the probability that two
lineages merge in the resampling from time t is c_t = Σ_i (W_t^i)² = 1/ESS_t;
the genealogy is then close to Kingman's coalescent run on the clock Σ c_t
(Koskela, Jenkins, Johansen & Spanò 2020), so the c_t summed from now back to
the MRCA average ≈ 2(1 − 1/N), and T_MRCA ≈ 2 × the harmonic-mean ESS.
"""

from __future__ import annotations

from ...theory import (coalescent_tmrca, coalescent_tmrca_sd, expected_distinct_parents,
                       occupancy)
from ...theory import wright_fisher_tmrca_moments as tmrca_moments

__all__ = ["expected_distinct_parents", "coalescent_tmrca", "coalescent_tmrca_sd", "occupancy",
           "tmrca_moments"]
