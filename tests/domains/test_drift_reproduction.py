"""The drift reproduction module: registered as the default protocol, its
runner-based checks draw what a user's run draws, and the page is written
(a reduced run, `slow`)."""

import numpy as np
import pytest

from collapsesim import reproductions
from collapsesim.domains.drift import DriftParams, DriftSimulation
from collapsesim.engine import get_backend
from collapsesim.reproductions import drift as v


def test_verification_is_the_default_protocol():
    p = reproductions.get("drift")
    assert (p.domain, p.name, p.fn) == ("drift", "verification", v.verification)


@pytest.mark.parametrize("model", ["wright-fisher", "moran"])
def test_runner_replicates_are_the_users_replicates(model):
    """Replicate j of a check is SeedSequence(seed, spawn_key=(j,)) stepped to
    fixation: the type that fixed and when, as a hand-written loop gets them."""
    params = {"N": 12, "K": 3, "initial_frequencies": [0.25, 0.25, 0.5], "model": model}
    fixed_type, fixed_at = v.fixation_outcomes(params, "numba", 5, 6, 10_000)
    backend = get_backend("numba")
    for j in range(6):
        sim = DriftSimulation(DriftParams(**params), backend,
                              np.random.SeedSequence(5, spawn_key=(j,)))
        while not sim.monomorphic:
            sim.step()
        assert fixed_type[j] == int(np.flatnonzero(sim.counts)[0])
        assert fixed_at[j] == sim.generation


def test_heterozygosity_check_reads_the_recorded_generations():
    rows = v.check_heterozygosity_decay("numba", 3, N=10, K=2, replicates=5, generations=(4, 6))
    backend = get_backend("numba")
    H = []
    for j in range(5):
        sim = DriftSimulation(DriftParams(N=10, K=2), backend,
                              np.random.SeedSequence(3, spawn_key=(j,)))
        h = []
        for g in (4, 6):
            while sim.generation < g and not sim.finished:
                sim.step()
            h.append(sim.observe().metrics["heterozygosity"])
        H.append(h)
    np.testing.assert_array_equal([c.estimate for c in rows], np.mean(H, axis=0))


@pytest.mark.slow
def test_reduced_protocol_writes_the_page(tmp_path):
    page = v.verification(tmp_path, seed=1, backend="numba", scale=0.002)
    text = page.read_text()
    assert page.name == "drift.md" and "collapsesim reproduce drift" in text
    for fig in ("heterozygosity", "fixation_probability", "fixation_time", "infinite_alleles"):
        assert (tmp_path / "figures" / f"drift_{fig}.png").is_file()
    assert "/work" not in text and "/home" not in text
