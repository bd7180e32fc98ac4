"""Statistics of a sample of genomes, from its tree sequence.

Neutral mutations are laid on the sample's genealogy with
``msprime.sim_mutations`` (infinite sites: continuous positions, 0/1 alleles,
so the ancestral state is known). The same code processes our forward
samples and msprime's coalescent samples, so the two are compared like for
like. Computed with tskit: π (``diversity``), Watterson's θ
(``segregating_sites``/a_n), Tajima's D and the unfolded site frequency
spectrum (for Fay & Wu's H); with scikit-allel: Garud et al.'s (2015) H1, H12,
H2/H1 (plain c/n haplotype frequencies) and nSL (Ferrer-Admetlla et al.
2014) / iHS (Voight et al. 2006) standardised by derived-allele count.

Haplotypes in a window are the distinct 0/1 sequences of the sample over the
window's segregating sites (all identical when there are none).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import msprime
import numpy as np
import tskit

from ...metrics import hill_number


@dataclass(frozen=True)
class Layout:
    """Where statistics are taken: the chromosome ``[0, L)``, the selected
    ``site``, haplotype windows of width ``window`` centred at ``site + offset``,
    ``bins`` equal bins for the π/θ_W profile, and the nSL/iHS span."""

    L: int
    site: int
    window: int
    offsets: tuple[int, ...]
    bins: int
    ehh_region: int

    def window_span(self, i: int) -> tuple[int, int]:
        lo = self.site + self.offsets[i] - self.window // 2
        return lo, lo + self.window

    @property
    def bin_edges(self) -> np.ndarray:
        return np.linspace(0, self.L, self.bins + 1)


def with_mutations(ts: tskit.TreeSequence, mu: float, seed: int) -> tskit.TreeSequence:
    """``ts`` with neutral infinite-sites mutations at rate ``mu`` laid on, and
    any site already present (the selected site) removed."""
    ts = ts.delete_sites(np.arange(ts.num_sites)) if ts.num_sites else ts
    return msprime.sim_mutations(ts, rate=mu, model=msprime.BinaryMutationModel(),
                                 discrete_genome=False, random_seed=seed)


def haplotype_counts(genotypes: np.ndarray) -> np.ndarray:
    """Counts of the distinct haplotypes (columns) of a sites × samples 0/1 matrix."""
    if genotypes.shape[0] == 0:
        return np.array([genotypes.shape[1]])
    _, counts = np.unique(genotypes.T, axis=0, return_counts=True)
    return np.sort(counts)[::-1]


def _windows(lo: float, hi: float, L: float) -> list[float]:
    return sorted({0.0, float(lo), float(hi), float(L)})


def _window_index(lo: float) -> int:
    return 0 if lo == 0 else 1


def fay_wu_H(ts: tskit.TreeSequence, lo: float, hi: float) -> float:
    """Fay & Wu's (2000) H = θ_π − θ_H per bp in ``[lo, hi)``, from the unfolded
    SFS of the segregating sites (derived count 1 … n−1)."""
    n = ts.num_samples
    xi = ts.allele_frequency_spectrum(windows=_windows(lo, hi, ts.sequence_length),
                                      polarised=True, span_normalise=False)[_window_index(lo)][1:n]
    i = np.arange(1, n)
    pairs = n * (n - 1) / 2
    return float(np.sum((i * (n - i) - i * i) * xi) / pairs / (hi - lo))


EHH_BINS = 10  # derived-count bins for standardising nSL and iHS


def _ehh_scores(genotypes: np.ndarray, positions: np.ndarray, near: np.ndarray
                ) -> tuple[float, float]:
    """Mean |nSL| and |iHS|, standardised by derived-allele count over all the
    variants with a finite score, among the variants flagged ``near`` (NaN
    when fewer than 2 per standardisation bin have a score, e.g. just after
    a sweep has removed the variation)."""
    import allel

    if not near.any():
        return float("nan"), float("nan")
    h = allel.HaplotypeArray(genotypes)
    dac = h.count_alleles()[:, 1]
    out = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for raw in (allel.nsl(h, use_threads=False),
                    allel.ihs(h, positions, include_edges=True, use_threads=False)):
            scored = np.isfinite(raw)
            if scored.sum() < 2 * EHH_BINS:
                out.append(float("nan"))
                continue
            std = np.full(len(raw), np.nan)
            std[scored], _ = allel.standardize_by_allele_count(raw[scored], dac[scored],
                                                               n_bins=EHH_BINS,
                                                               diagnostics=False)
            v = np.abs(std[near])
            v = v[np.isfinite(v)]
            out.append(float(v.mean()) if len(v) else float("nan"))
    return out[0], out[1]


def sample_statistics(ts: tskit.TreeSequence, layout: Layout) -> tuple[list[np.ndarray], dict]:
    """Haplotype counts per window and the domain metrics of one mutated sample."""
    import allel

    n = ts.num_samples
    L = ts.sequence_length
    a_n = float(np.sum(1.0 / np.arange(1, n)))
    genotypes = ts.genotype_matrix() if ts.num_sites else np.zeros((0, n), dtype=np.int8)
    positions = ts.sites_position
    edges = layout.bin_edges
    m = {"pi": float(ts.diversity()), "theta_w": float(ts.segregating_sites()) / a_n}
    pi_bins = ts.diversity(windows=edges)
    theta_bins = ts.segregating_sites(windows=edges) / a_n
    for k in range(layout.bins):
        m[f"pi_bin_{k:02d}"] = float(pi_bins[k])
        m[f"theta_w_bin_{k:02d}"] = float(theta_bins[k])
    haplotypes = []
    for i in range(len(layout.offsets)):
        lo, hi = layout.window_span(i)
        inside = (positions >= lo) & (positions < hi)
        haplotypes.append(haplotype_counts(genotypes[inside]))
        if i == 0:
            w = _windows(lo, hi, L)
            j = _window_index(lo)
            m["pi_site"] = float(ts.diversity(windows=w)[j])
            m["theta_w_site"] = float(ts.segregating_sites(windows=w)[j]) / a_n
            m["tajimas_D"] = float(ts.Tajimas_D(windows=w)[j])
            m["fay_wu_H"] = fay_wu_H(ts, lo, hi)
            h1, h12, _, h2_h1 = allel.garud_h(genotypes[inside])
            m.update(H1=float(h1), H12=float(h12), H2_H1=float(h2_h1))
            f = haplotypes[0] / n
            m["n_haplotypes"] = float(len(haplotypes[0]))
            m["haplotype_diversity"] = n / (n - 1) * (1.0 - float(np.dot(f, f)))
    near = np.abs(positions - layout.site) <= layout.ehh_region / 2
    m["nSL"], m["iHS"] = _ehh_scores(genotypes, positions, near)
    return haplotypes, m


def footprint_windows(L: float, site: float, distance: float, bins: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Genome windows for the footprint's distance bins: the breakpoints
    (covering ``[0, L)``) and, per bin k, the indices of its left stretch
    ``[site − d_{k+1}, site − d_k)`` and right stretch ``[site + d_k, site + d_{k+1})``,
    ``d = linspace(0, distance, bins + 1)``."""
    d = np.linspace(0.0, distance, bins + 1)
    inner = np.concatenate([site - d[::-1], site + d[1:]])
    lead = [0.0] if inner[0] > 0 else []
    tail = [float(L)] if inner[-1] < L else []
    edges = np.concatenate([lead, inner, tail])
    k = np.arange(bins)
    return edges, len(lead) + bins - 1 - k, len(lead) + bins + k


def footprint_statistics(ts: tskit.TreeSequence, site: float, distance: float, bins: int,
                         during: tuple[float, float], pi0: float
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Per distance bin (:func:`footprint_windows`; the two sides averaged):
    the fraction of sample pairs whose genealogy coalesces within the time
    interval ``during`` (times before the sample, both ends included to the
    generation) and the mean pairwise branch diversity (``2·E[TMRCA]``) over
    ``pi0``, both averaged along the bin (span-weighted, tskit's
    ``pair_coalescence_counts`` and branch-mode ``diversity``)."""
    edges, left, right = footprint_windows(ts.sequence_length, site, distance, bins)
    a, b = during
    cuts = [0.0, b + 0.5, np.inf] if a <= 0 else [0.0, a - 0.5, b + 0.5, np.inf]
    counts = ts.pair_coalescence_counts(windows=edges, time_windows=np.array(cuts),
                                        pair_normalise=True)
    F = counts[:, 0 if a <= 0 else 1]
    pi = ts.diversity(mode="branch", windows=edges) / pi0
    return (F[left] + F[right]) / 2, (pi[left] + pi[right]) / 2


@lru_cache(maxsize=32)
def neutral_window_d1(n: int, window: int, N: int, ploidy: int, r: float, mu: float,
                      replicates: int = 100, seed: int = 1) -> float:
    """Expected D1 (exp Shannon entropy) of the haplotypes of ``n`` sampled
    genomes in a window of ``window`` bp at neutral equilibrium (N
    individuals), estimated from ``replicates`` msprime simulations processed
    by :func:`haplotype_counts`: the reference of the window series."""
    d1 = []
    seeds = np.random.default_rng(seed).integers(1, 2**31, size=replicates)
    for ts, k in zip(msprime.sim_ancestry(samples=n, ploidy=1, population_size=N * ploidy,
                                          sequence_length=window, recombination_rate=r,
                                          num_replicates=replicates, random_seed=seed), seeds):
        ts = with_mutations(ts, mu, int(k))
        g = ts.genotype_matrix() if ts.num_sites else np.zeros((0, n), dtype=np.int8)
        d1.append(hill_number(haplotype_counts(g), 1))
    return float(np.mean(d1))
