"""Statistics of a sample (tskit / scikit-allel) and the neutral equilibrium
the sweep domain starts from: π ≈ θ = 4Nμ, SFS ∝ 1/i, Tajima's D ≈ 0."""

import allel
import msprime
import numpy as np
import pytest

from collapsesim.domains.sweep.stats import (Layout, fay_wu_H, haplotype_counts,
                                             neutral_window_d1, sample_statistics,
                                             with_mutations)
from collapsesim.reproductions import sweep as reproduction

LAYOUT = Layout(L=50_000, site=25_000, window=4000, offsets=(0, 10_000), bins=5,
                ehh_region=20_000)


def neutral_sample(seed, n=30, N=500, L=50_000, r=1e-7, mu=2e-6):
    ts = msprime.sim_ancestry(samples=n, ploidy=1, population_size=2 * N, sequence_length=L,
                              recombination_rate=r, random_seed=seed)
    return with_mutations(ts, mu, seed)


def test_haplotype_counts():
    g = np.array([[0, 0, 1, 1, 0], [0, 1, 1, 1, 0]])
    assert haplotype_counts(g).tolist() == [2, 2, 1]
    assert haplotype_counts(np.zeros((0, 7), dtype=np.int8)).tolist() == [7]


def test_window_statistics_agree_with_direct_computation():
    ts = neutral_sample(3)
    haps, m = sample_statistics(ts, LAYOUT)
    g = ts.genotype_matrix()
    pos = ts.sites_position
    lo, hi = LAYOUT.window_span(0)
    inside = (pos >= lo) & (pos < hi)
    f = haps[0] / ts.num_samples
    h1 = np.sum(f**2)
    h12 = (f[0] + f[1]) ** 2 + np.sum(f[2:] ** 2)
    assert m["H1"] == pytest.approx(h1) and m["H12"] == pytest.approx(h12)
    assert m["H2_H1"] == pytest.approx((h1 - f[0] ** 2) / h1)
    assert m["n_haplotypes"] == len(np.unique(g[inside].T, axis=0))
    n = ts.num_samples
    dac = g[inside].sum(axis=1)
    pairs = n * (n - 1) / 2
    theta_pi = np.sum(dac * (n - dac)) / pairs
    theta_h = np.sum(dac**2) / pairs
    assert fay_wu_H(ts, lo, hi) == pytest.approx((theta_pi - theta_h) / (hi - lo))
    assert m["pi_site"] == pytest.approx(theta_pi / (hi - lo))
    ac = allel.HaplotypeArray(g[inside]).count_alleles()
    assert m["tajimas_D"] == pytest.approx(allel.tajima_d(ac), abs=1e-9)
    assert m["pi"] == pytest.approx(ts.diversity())
    assert np.isfinite(m["nSL"]) and np.isfinite(m["iHS"])


def test_ehh_scores_without_enough_variation_are_nan():
    from collapsesim.domains.sweep.stats import _ehh_scores

    g = np.zeros((12, 20), dtype=np.int8)
    g[:, :3] = 1  # twelve variants, all at derived count 3
    nsl, ihs = _ehh_scores(g, np.arange(12) * 100.0, np.ones(12, dtype=bool))
    assert np.isnan(nsl) and np.isnan(ihs)


def test_neutral_window_reference_is_between_one_and_n():
    d1 = neutral_window_d1(50, 4000, 1000, 2, 1e-7, 5e-7)
    assert 5 < d1 < 50
    assert neutral_window_d1(50, 4000, 1000, 2, 1e-7, 5e-7) == d1  # cached, deterministic


@pytest.mark.parametrize("start, replicates, kw", [("msprime", 30, {}),
                                                   ("forward", 8, {"N": 50, "burn_in": 500})])
def test_neutral_equilibrium(start, replicates, kw):
    rows = reproduction.check_equilibrium(start, replicates=replicates, seed=11, **kw)
    for row in rows:  # statistics over linked sites: 3 SE plus a small allowance
        assert abs(row.estimate - row.reference) < 3 * row.se + 0.05, row
