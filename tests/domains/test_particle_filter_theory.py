"""The exactness tests: the particle filter against the Kalman filter (the
likelihood estimator is unbiased) and its genealogy against the coalescent.
Fixed seeds; tolerances are 3 standard errors from the simulated spread.
Small sizes by default, the issue's sizes under ``slow``."""

import numpy as np
import pytest

from collapsesim.domains.particle_filter import theory
from collapsesim.reproductions.particle_filter import studies
from collapsesim.reproductions.particle_filter.numerics import float32_systematic, offspring_error
from collapsesim.engine.backends import get_backend
from collapsesim.engine.genealogy import expected_stored_nodes

T = 100


def _check_loglik(N, runs, **kw):
    d = studies.loglik_errors(N, runs, T=T, **kw)
    s = studies.loglik_summary(d, N, T)
    assert abs(s["z"]) < 3, s  # E[L̂] = L: mean of exp(d) is 1 within 3 SE
    assert 1.0 <= s["scaled_var"] <= 3.0, s  # N·Var(d)/T
    return s


@pytest.mark.parametrize("scheme, adaptive", [("multinomial", False), ("systematic", True)])
def test_loglik_is_unbiased_small(scheme, adaptive):
    _check_loglik(1000, 100, scheme=scheme, adaptive=adaptive, seed=1)


@pytest.mark.slow
@pytest.mark.parametrize("scheme, adaptive", [("multinomial", False), ("systematic", True)])
def test_loglik_is_unbiased_issue_sizes(scheme, adaptive):
    """ρ = 0.9, σ_X = σ_Y = 1, stationary start, T = 100, N = 10⁴, 200 runs."""
    _check_loglik(10_000, 200, scheme=scheme, adaptive=adaptive, seed=2)


def _check_wright_fisher(N, runs, seed):
    steps = 10 * N  # P(T_MRCA > 10N) ≈ 3e⁻¹⁰: every replicate has coalesced
    g = studies.neutral_genealogies(N, runs, steps=steps, seed=seed)
    tm = g["tmrca"]
    assert not np.isnan(tm).any()
    mean, sd = theory.tmrca_moments(N)  # exact for the discrete chain
    se = tm.std(ddof=1) / np.sqrt(runs)
    assert abs(tm.mean() - mean) < 3 * se
    assert abs(tm.mean() - theory.coalescent_tmrca(N)) < 3 * se  # 2N(1 − 1/N)
    kurtosis = np.mean((tm - tm.mean()) ** 4) / tm.var() ** 2
    se_sd = tm.std(ddof=1) * np.sqrt((kurtosis - 1) / (4 * runs))
    assert abs(tm.std(ddof=1) - sd) < 3 * se_sd
    assert sd == pytest.approx(theory.coalescent_tmrca_sd(N), rel=0.03)  # ≈ 1.08N
    parents = g["distinct_parents"]
    assert abs(parents.mean() - theory.expected_distinct_parents(N)) < 3 * parents.std(ddof=1) / np.sqrt(runs)
    nodes = g["tree_nodes"]
    assert abs(nodes.mean() - expected_stored_nodes(N, steps)) < 3 * nodes.std(ddof=1) / np.sqrt(runs)


def test_neutral_multinomial_is_wright_fisher_small():
    _check_wright_fisher(20, 200, seed=3)


@pytest.mark.slow
def test_neutral_multinomial_is_wright_fisher_large():
    _check_wright_fisher(100, 600, seed=4)


@pytest.mark.parametrize("scheme", ["residual", "stratified", "systematic"])
@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_equal_weights_low_variance_schemes_are_the_identity(scheme, backend):
    g = studies.neutral_genealogies(37, 2, steps=50, scheme=scheme, backend=backend)
    assert np.all(g["distinct_parents"] == 37) and np.all(g["founders"] == 37)
    assert np.isnan(g["tmrca"]).all()


def _check_merger_clock(N, runs, steps, seed):
    """Without inheritance of the weights (ρ = 0) the pair-merger probabilities
    ΣW² summed back to the MRCA average 2(1 − 1/N), the Kingman value."""
    r = studies.merger_sums(N, runs, steps, rho=0.0, seed=seed)
    s = r["merger_sum"]
    assert not np.isnan(s).any()
    assert abs(s.mean() - 2 * (1 - 1 / N)) < 3 * s.std(ddof=1) / np.sqrt(runs)
    ratio = r["tmrca"] / r["harmonic_ess"]  # T_MRCA ≈ 2 × the harmonic-mean ESS
    assert abs(ratio.mean() - 2 * (1 - 1 / N)) < 3 * ratio.std(ddof=1) / np.sqrt(runs)


def test_pair_merger_clock_small():
    _check_merger_clock(30, 100, 200, seed=5)


@pytest.mark.slow
def test_pair_merger_clock_large():
    _check_merger_clock(200, 300, 1500, seed=6)


@pytest.mark.slow
def test_heritable_weights_coalesce_faster_than_the_merger_clock():
    """With ρ = 0.9 the weights are inherited: surviving lineages sit in good
    regions and merge faster than ΣW² says (reproduction page)."""
    r = studies.merger_sums(100, 200, 600, rho=0.9, seed=7)
    s = r["merger_sum"]
    assert s.mean() + 3 * s.std(ddof=1) / np.sqrt(len(s)) < 2 * (1 - 1 / 100)


def test_float32_resampling_breaks_systematic_offspring_bounds():
    """At N = 10⁷ a float32 CDF and grid give offspring numbers more than one
    away from N·W (impossible for systematic resampling); the engine's float64
    arithmetic does not, even from float32 weights."""
    N = 10**7
    rng = np.random.default_rng(0)
    w = rng.gamma(2.0, size=N)
    w /= w.sum()
    assert offspring_error(float32_systematic(w, N, "systematic", rng), w) > 1.2
    be = get_backend("numba")
    assert offspring_error(be.resample(w.astype(np.float32), N, "systematic", be.rng(1)), w) < 1.0


@pytest.mark.slow
def test_float32_resampling_biases_the_loglik():
    """The pitfall end to end (N = 10⁷; T = 30 to keep it short: the bias grows
    with T, −0.035 at T = 100 on the reproduction page): the float32
    resampler's log-likelihood is biased downwards; the engine's is not."""
    T = 30
    naive = studies.loglik_errors(10**7, 1, scheme="systematic", resampler=float32_systematic,
                                  seed=11, T=T)
    exact = studies.loglik_errors(10**7, 1, scheme="systematic", seed=11, T=T)
    sd = np.sqrt(2.0 * T / 10**7)  # the spread of d at this N (N·Var(d)/T ≈ 2)
    assert abs(exact[0]) < 3 * sd
    assert naive[0] < -3 * sd
