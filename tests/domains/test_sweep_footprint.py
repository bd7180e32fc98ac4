"""The hitchhiking footprint as a run's output (``params.footprint``): the
per-bin statistics against a brute-force reading of the tree sequence, the
first-order approximation beside them, the run's length, no effect on the
trajectory, the runner's records, and F(r) of hard sweeps against
(2Nσ)^(−2r/σ) where it holds."""

import msprime
import numpy as np
import pytest

from collapsesim import theory as exact
from collapsesim.domains.sweep import SweepParams, SweepSimulation
from collapsesim.domains.sweep.stats import footprint_statistics, footprint_windows
from collapsesim.engine import get_backend
from collapsesim.reproductions import harness

SMALL = dict(N=100, L=20_000, r=1e-6, mu=1e-5, s=0.5, window=2000, windows=[0], bins=2,
             ehh_region=10_000, sample_size=20, simplify_every=7)


def run(seed=0, **kw):
    sim = SweepSimulation(SweepParams(**(SMALL | kw)), get_backend("numba"),
                          np.random.SeedSequence(seed, spawn_key=(0,)))
    while not sim.finished:
        sim.step()
    return sim


def test_windows_mirror_the_site():
    edges, left, right = footprint_windows(100.0, 40.0, 30.0, 3)
    assert edges.tolist() == [0, 10, 20, 30, 40, 50, 60, 70, 100]
    for k in range(3):
        assert 40 - edges[left[k] + 1] == edges[right[k]] - 40 == 10 * k
    edges, left, right = footprint_windows(80.0, 40.0, 40.0, 2)  # the bins reach both ends
    assert edges.tolist() == [0, 20, 40, 60, 80] and left.tolist() == [1, 0]
    assert right.tolist() == [2, 3]


def brute_force(ts, lo, hi, a, b):
    """Span-weighted fraction of pairs with TMRCA in [a, b] and mean TMRCA
    over [lo, hi), pair by pair."""
    samples = ts.samples()
    F = T = 0.0
    for tree in ts.trees():
        span = min(tree.interval.right, hi) - max(tree.interval.left, lo)
        if span <= 0:
            continue
        t = np.array([tree.tmrca(u, v) for i, u in enumerate(samples) for v in samples[i + 1:]])
        F += span * np.mean((t >= a) & (t <= b))
        T += span * t.mean()
    return F / (hi - lo), T / (hi - lo)


def test_statistics_equal_a_pair_by_pair_reading():
    ts = msprime.sim_ancestry(8, population_size=50, sequence_length=1000,
                              recombination_rate=2e-3, random_seed=3,
                              model=msprime.DiscreteTimeWrightFisher())
    site, distance, bins, during = 400, 300, 3, (20, 80)
    F, pi = footprint_statistics(ts, site, distance, bins, during, 200.0)
    for k in range(bins):
        sides = [brute_force(ts, site - 100 * (k + 1), site - 100 * k, *during),
                 brute_force(ts, site + 100 * k, site + 100 * (k + 1), *during)]
        assert F[k] == pytest.approx(np.mean([s[0] for s in sides]), abs=1e-12)
        assert pi[k] == pytest.approx(np.mean([2 * s[1] for s in sides]) / 200.0, rel=1e-12)
    assert 0 < F.min() and F.max() < 1  # the interval cuts the genealogies


def test_footprint_is_taken_at_its_times_and_does_not_change_the_run():
    plain = run()
    fp = run(footprint={"bins": 3, "distance": 9000, "times": [30, 0]})
    end = plain.end_generation
    assert fp.end_generation == end and fp.generation == end + 30
    assert plain.generation == end and not plain.footprint
    # the same population: the sample statistics at the end agree with a run observed there
    again = SweepSimulation(SweepParams(**SMALL), get_backend("numba"),
                            np.random.SeedSequence(0, spawn_key=(0,)))
    while again.generation < end + 30:
        again.step()
    a, b = again.observe().metrics, fp.observe().metrics
    assert all(a[k] == b[k] or (np.isnan(a[k]) and np.isnan(b[k])) for k in a)
    m = fp.footprint
    assert len(m) == 3 + 3 * 2 * 4  # r per bin; F, π and their approximations per bin and time
    for t in (0, 30):
        F = [m[f"footprint_F_t{t}_bin_{k:02d}"] for k in range(3)]
        assert all(0 <= f <= 1 for f in F)
    # s = 0.5 in 100 diploids: a deep valley at the site
    assert m["footprint_F_t0_bin_00"] > 0.5 and m["footprint_pi_t0_bin_00"] < 0.5
    # the approximation: the bin average of (2Nσ)^(−2r/σ), decayed by e^{−t/M}
    x = 1e-6 * np.linspace(0, 3000, 100_001)
    F0 = exact.sweep_footprint_F(x, 100, 0.25).mean()
    assert m["footprint_F_theory_t0_bin_00"] == pytest.approx(F0, rel=1e-4)
    assert m["footprint_F_theory_t30_bin_00"] == pytest.approx(F0 * np.exp(-30 / 200), rel=1e-4)
    assert m["footprint_pi_theory_t30_bin_00"] == pytest.approx(1 - F0 * np.exp(-30 / 200),
                                                                 rel=1e-4)
    assert m["footprint_r_bin_02"] == pytest.approx(1e-6 * 7500)


def test_no_approximation_for_a_soft_sweep():
    sim = run(mode="standing", x0=0.1, footprint={"bins": 2})
    assert "footprint_F_t0_bin_01" in sim.footprint
    assert not any("theory" in k for k in sim.footprint)


def test_distance_beyond_the_shorter_arm_is_refused():
    with pytest.raises(ValueError, match="shorter arm"):
        SweepParams(**(SMALL | dict(site=5000, footprint={"distance": 6000})))
    with pytest.raises(ValueError, match="distinct"):
        SweepParams(**(SMALL | dict(footprint={"times": [0, 0]})))


def test_runner_records_the_footprint():
    params = SMALL | dict(footprint={"bins": 2, "times": [0, 10]})
    res = harness.run_replicates({"domain": "sweep", "params": params}, replicates=2, seed=1,
                                 steps=5000, record_every=5000)
    df = res.metrics
    last = df[df.metric.str.startswith("footprint_F_t10")].groupby("replicate").value.count()
    assert last.tolist() == [2, 2]


def test_hard_sweep_footprint_against_the_approximation():
    """2Nσ = 100 (N = 500, SLiM s = 0.2): where the first-order F ≥ 0.6 the
    simulated mean is within 0.03 (the approximation's known error there)
    plus 3 SE of it, over 16 sweeps; π/π₀ exceeds 1 − F by the sweep's own
    coalescence time (T_fix/2N ≈ 0.1), not by more than 0.2."""
    p = SweepParams(N=500, s=0.2, L=60_000, r=1e-7, mu=0.0, windows=[0], window=2000, bins=1,
                    footprint={"bins": 3, "distance": 30_000})
    F, pi = [], []
    for j in range(16):
        sim = SweepSimulation(p, get_backend("numba"), np.random.SeedSequence(5, spawn_key=(j,)))
        while not sim.finished:
            sim.step()
        F.append([sim.footprint[f"footprint_F_t0_bin_{k:02d}"] for k in range(3)])
        pi.append([sim.footprint[f"footprint_pi_t0_bin_{k:02d}"] for k in range(3)])
    F, pi = np.array(F), np.array(pi)
    theory = np.array([sim.footprint[f"footprint_F_theory_t0_bin_{k:02d}"] for k in range(3)])
    assert (theory >= 0.6).all()
    se = F.std(0, ddof=1) / 4
    assert np.all(np.abs(F.mean(0) - theory) < 0.03 + 3 * se), (F.mean(0), theory, se)
    gap = pi.mean(0) - (1 - F.mean(0))
    assert np.all((gap > 0) & (gap < 0.2)), gap
