"""Statistical tests of the drift domain against theory: fixed seeds, pass when
|simulated mean − theory| < 3 SE, the SE computed from the simulated
statistics (replicate spread, or sqrt(p(1−p)/R) for a probability).

The domain replicates go through the runner (collapsesim.reproductions.drift),
whose per-replicate cost (~25 ms, its run summary) dominates these checks: the
default run checks every theory on numba (numpy shares its generator and gives
the same numbers, tests/domains/test_drift_model.py); the same checks on torch
and numpy, and with more replicates, are `slow`, as is the separation of the
exact fixation probability from Kimura's diffusion value (which needs
~1.4·10^6 replicates, see ``test_replicates_needed_to_separate_exact_from_kimura``).
The batched allele-count study is cheap and runs on every backend by default."""

import pytest

from collapsesim.reproductions import drift as v

ALL = ["numpy", "numba", "torch"]
FAST = ["numba", "torch"]
SLOW = pytest.mark.slow
NUMBA_DEFAULT = ["numba", pytest.param("torch", marks=SLOW), pytest.param("numpy", marks=SLOW)]
NUMBA_TORCH = ["numba", pytest.param("torch", marks=SLOW)]


def assert_within_3se(rows):
    rows = list(rows)
    bad = [f"{c.quantity} [{c.backend}]: theory {c.reference:.6g}, simulated {c.estimate:.6g} ± "
           f"{c.se:.2g} (z = {c.z:+.2f})" for c in rows if not c.ok]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("backend", NUMBA_DEFAULT)
def test_heterozygosity_decay_wright_fisher(backend):
    assert_within_3se(v.check_heterozygosity_decay(backend, 11, N=50, replicates=300,
                                                   generations=(5, 25, 50)))


@pytest.mark.parametrize("backend", NUMBA_TORCH)
def test_heterozygosity_decay_moran(backend):
    assert_within_3se(v.check_heterozygosity_decay(backend, 12, N=60, replicates=400,
                                                   generations=(10, 30, 60), model="moran"))


@pytest.mark.parametrize("backend", NUMBA_DEFAULT)
def test_neutral_fixation_probability_equals_initial_frequency(backend):
    assert_within_3se(v.check_neutral_fixation(backend, 13, N=20, replicates=400))


@pytest.mark.parametrize("backend", ALL)
def test_neutral_fixation_probability_batched_study(backend):
    st = v.simulate_fixation(100, 0.0, 0.3, replicates=20_000, backend=backend, seed=14)
    assert st.segregating == 0
    assert_within_3se([v.Comparison("P(fix)", 0.3, st.probability, st.probability_se,
                                    st.replicates, backend)])


@pytest.mark.parametrize("backend", ALL)
def test_selected_fixation_against_exact_chain(backend):
    """10^5 replicates, N = 1000, s = 0.05: the fixation probability (0.09369)
    and the conditional fixation time (208.4) of the exact chain within 3 SE.
    (At this size Kimura's 0.09516 is only ~1.6 SE away: see the slow test.)"""
    r = v.check_selected_fixation(backend, 15, N=1000, s=0.05, replicates=100_000)
    assert r["exact"].reference == pytest.approx(0.09369, abs=5e-6)
    assert r["time"].reference == pytest.approx(208.4, abs=0.05)
    assert_within_3se([r["exact"], r["time"]])


def test_replicates_needed_to_separate_exact_from_kimura():
    d, r3, r6 = v.separation_replicates(1000, 0.05)
    assert d == pytest.approx(0.00148, abs=1e-5)
    assert 3.4e5 < r3 < 3.6e5  # expected estimate 3 SE from Kimura
    assert 1.35e6 < r6 < 1.45e6  # d >= 6 SE: holds whenever the estimate is within 3 SE of exact


@pytest.mark.slow
@pytest.mark.parametrize("backend", FAST)
def test_selected_fixation_tells_exact_from_kimura(backend):
    R = 2_000_000  # > 36 p(1−p)/d² ≈ 1.40e6
    r = v.check_selected_fixation(backend, 16, N=1000, s=0.05, replicates=R)
    assert_within_3se([r["exact"], r["time"]])
    assert abs(r["kimura"].z) > 3, r["kimura"]


@pytest.mark.parametrize("backend, replicates", [
    ("numba", 500), pytest.param("numba", 2000, marks=SLOW),
    pytest.param("torch", 2000, marks=SLOW)])
def test_moran_fixation_with_selection(backend, replicates):
    # N = 50, s = 0.1: 0.0913; at 500 replicates SE ≈ 0.013, 5 SE from neutral 1/N
    assert_within_3se([v.check_moran_fixation(backend, 17, N=50, s=0.1,
                                              replicates=replicates)])


@pytest.mark.parametrize("backend", NUMBA_TORCH)
def test_infinite_alleles_equilibrium(backend):
    r = v.check_infinite_alleles(backend, 18, N=50, theta=1.0, replicates=20, burn_in=250,
                                 generations=750)
    assert_within_3se(r.values())


@pytest.mark.slow
@pytest.mark.parametrize("theta", [0.3, 3.0])
def test_infinite_alleles_equilibrium_more_theta(theta):
    # against the exact finite-N value: at N = 100, θ = 3, θ/(1 + θ) is 0.004 low (~2.5 SE)
    r = v.check_infinite_alleles("numba", 19, N=100, theta=theta, replicates=60, burn_in=1000,
                                 generations=2000)
    assert_within_3se([r["exact"]])


@pytest.mark.slow
@pytest.mark.parametrize("backend", ALL)
def test_moran_neutral_fixation_and_decay(backend):
    assert_within_3se(v.check_neutral_fixation(backend, 20, N=30, replicates=2000,
                                               model="moran"))
    assert_within_3se(v.check_heterozygosity_decay(backend, 21, N=50, replicates=1000,
                                                   generations=(5, 25, 50), model="moran"))


@pytest.mark.slow
def test_heterozygosity_decay_many_replicates():
    # numba only: one replicate steps at a time and torch's per-call overhead on
    # K = 10 probabilities (~0.4 ms) would make this 8 minutes
    assert_within_3se(v.check_heterozygosity_decay("numba", 22, N=100, replicates=3000,
                                                   generations=(10, 50, 100, 200)))
