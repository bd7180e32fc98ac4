"""The hitchhiking footprint and the window statistics of a hard sweep against
theory, fwdpy11 and msprime's ``SweepGenicSelection`` (slow; fwdpy11 is a
test-only dependency). N = 1000 diploids, SLiM s = 0.1 (2Mσ = 200), r = 1e-7."""

import numpy as np
import pytest

from collapsesim.domains.sweep import theory
from collapsesim.reproductions import sweep as reproduction

pytestmark = pytest.mark.slow

SETUP = dict(N=1000, s=0.1, L=120_000, r=1e-7, distance=50_000, bins=5, seed=1)
R_MID = 1e-7 * np.arange(5_000, 50_000, 10_000)  # the bins' centres


@pytest.fixture(scope="module")
def forward():
    """60 sweeps through the runner, the domain's footprint at fixation."""
    return reproduction.footprint_runs(times=(0,), replicates=60, **SETUP)[0]


def test_footprint_against_theory_where_it_holds(forward):
    valid = theory.footprint_valid(R_MID, 2000, 0.05)
    assert valid.sum() >= 2
    for i in np.flatnonzero(valid):
        assert abs(forward.F[i] - forward.F_theory[i]) < 0.03 + 3 * forward.F_se[i], (
            i, forward.F[i])
    # π/π₀ ≈ 1 − F plus the sweep's own coalescence time (T_fix / 2N ≈ 0.12)
    for i in np.flatnonzero(valid):
        assert 0 < forward.pi[i] - (1 - forward.F[i]) < 0.2


def test_footprint_matches_fwdpy11(forward):
    pytest.importorskip("fwdpy11")
    other = reproduction.footprint_external("fwdpy11", replicates=60, **SETUP)
    assert abs(forward.duration - other.duration) < 25
    for ours, theirs, se1, se2 in ((forward.F, other.F, forward.F_se, other.F_se),
                                   (forward.pi, other.pi, forward.pi_se, other.pi_se)):
        assert np.all(np.abs(ours - theirs) < 3 * np.hypot(se1, se2) + 1e-9)


def test_diversity_beside_msprime_sweep(forward):
    other = reproduction.footprint_external("msprime", replicates=200, **SETUP)
    # msprime does not force coalescence at the sweep's origin (issues #1780, #2242):
    # it may leave up to ~0.04 more relative diversity near the site
    diff = other.pi - forward.pi
    assert np.all(np.abs(diff) < 3 * np.hypot(forward.pi_se, other.pi_se) + 0.04)


def test_window_statistics_after_a_hard_sweep():
    ours = reproduction.window_statistics("forward", replicates=60, seed=2)
    coal = reproduction.window_statistics("msprime", replicates=200, seed=2)
    neutral = reproduction.window_statistics("neutral", replicates=200, seed=2)
    for stat in reproduction.WINDOW_STATS:
        (a, sa), (b, sb) = ours[stat], coal[stat]
        assert abs(a - b) < 3 * np.hypot(sa, sb), stat
    issue = {"tajimas_D": (-1.6, 0.2), "H12": (0.60, 0.06), "H2_H1": (0.11, 0.05),
             "n_haplotypes": (10, 1.5)}
    for stat, (value, tol) in issue.items():
        assert abs(ours[stat][0] - value) < tol, stat
    issue = {"tajimas_D": (0.0, 0.2), "H12": (0.19, 0.03), "H2_H1": (0.54, 0.05),
             "n_haplotypes": (17, 1.5)}
    for stat, (value, tol) in issue.items():
        assert abs(neutral[stat][0] - value) < tol, stat


def test_protocol_runs_small_without_fwdpy11(tmp_path, monkeypatch):
    """The whole page at replicate scale 0.001 (5 replicates a check, ~30 s),
    with fwdpy11 taken away: its column is left out and the page says so."""
    monkeypatch.setattr(reproduction, "fwdpy11_available", lambda: False)
    page = reproduction.verification(tmp_path, seed=1, backend="numba", scale=0.001)
    text = page.read_text()
    assert page == tmp_path / "sweep.md" and "collapsesim reproduce sweep" in text
    assert "fwdpy11 was not installed" in text and "F fwdpy11" not in text
    assert "/work" not in text and "/tmp" not in text  # no machine path on a page
    for name in ("footprint", "trajectory", "valley", "haplotypes"):
        assert (tmp_path / "figures" / f"sweep_{name}.png").stat().st_size > 0
