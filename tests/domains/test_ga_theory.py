"""Selection and drift theory reproduced by the ``ga`` domain (fixed seeds;
tolerances are 3 standard errors of the simulated means)."""

import math

import numpy as np
import pytest

from collapsesim.config import load
from collapsesim.domains.ga.theory import (RMHC_ROYAL_ROAD, TAKEOVER_SD, TAKEOVER_TOURNAMENT_S2,
                                           goldberg_deb_takeover, heterozygosity_decay,
                                           never_selected_exact, never_selected_fraction)
from collapsesim.reproductions.ga import takeover_generations
from collapsesim.runner import execute


def _metric(params, steps, record_every, replicates, metric, domain="ga", seed=3):
    cfg = load({"domain": domain, "steps": steps, "record_every": record_every, "seed": seed,
                "replicates": replicates, "backend": "numba", "params": params})
    m = execute(cfg).metrics
    return m[m.metric == metric].pivot(index="replicate", columns="step", values="value")


def test_never_selected_fraction_integral():
    assert never_selected_fraction(1) == pytest.approx(math.exp(-1))
    assert never_selected_fraction(2) == pytest.approx(0.432, abs=5e-4)
    assert never_selected_fraction(3) == pytest.approx(0.504, abs=5e-4)
    assert never_selected_exact(100_000, 2) == pytest.approx(never_selected_fraction(2), abs=1e-4)


@pytest.mark.parametrize("k", [2, 3])
def test_fraction_without_offspring_after_one_tournament_generation(k):
    """The domain's ``no_offspring`` after one generation of tournaments on distinct fitness."""
    n = 1000
    frac = _metric({"problem": "F4", "N": n, "selection": {"kind": "tournament", "k": k},
                    "crossover": "sbx"}, 1, 1, 20, "no_offspring")[1].to_numpy()
    expected = never_selected_exact(n, k)
    se = frac.std(ddof=1) / np.sqrt(len(frac))
    assert abs(frac.mean() - expected) < 3 * se + 1e-9


def test_takeover_time_of_binary_tournament_n100():
    times, lost = takeover_generations(100, 2, 4000, seed=11)
    se = TAKEOVER_SD * math.sqrt(1 / len(times) + 1 / 40_000)
    assert abs(times.mean() - TAKEOVER_TOURNAMENT_S2[100]) < 3 * se
    assert abs(times.std() - TAKEOVER_SD) < 0.1
    assert abs(lost - 0.20) < 3 * math.sqrt(0.2 * 0.8 / 4000)
    # about 0.8 generation above Goldberg & Deb's approximation
    assert TAKEOVER_TOURNAMENT_S2[100] - goldberg_deb_takeover(100, 2) == pytest.approx(0.8, abs=0.1)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_takeover_time_of_binary_tournament_n1000(backend):
    times, lost = takeover_generations(1000, 2, 4000, seed=12, backend=backend)
    se = TAKEOVER_SD * math.sqrt(1 / len(times) + 1 / 40_000)
    assert abs(times.mean() - TAKEOVER_TOURNAMENT_S2[1000]) < 3 * se
    assert TAKEOVER_TOURNAMENT_S2[1000] - goldberg_deb_takeover(1000, 2) == pytest.approx(0.8, abs=0.1)


def test_heterozygosity_decays_as_one_minus_one_over_n_under_drift():
    """Random parents, uniform crossover, no mutation: E[H_t] = H_0 (1 − 1/N)^t."""
    n = 40
    h = _metric({"problem": "onemax", "dim": 256, "N": n, "selection": "random",
                 "crossover": "uniform", "mutation": "none"}, 60, 20, 30, "heterozygosity")
    ratio = h.div(h[0], axis=0)
    for t in (20, 40, 60):
        r = ratio[t].to_numpy()
        se = r.std(ddof=1) / np.sqrt(len(r))
        assert abs(r.mean() - heterozygosity_decay(n, t)) < 3 * se, t


@pytest.mark.slow
def test_royal_road_random_mutation_hill_climbing():
    """RMHC (the hikers domain without exploitation) needs ≈ 6,550 evaluations on R1."""
    from collapsesim.reproductions.hikers import rmhc_hits

    hits = rmhc_hits(1000, seed=5)
    se = hits.std(ddof=1) / np.sqrt(len(hits))
    assert 6000 - 3 * se < hits.mean() < 6600 + 3 * se
    assert abs(hits.mean() - RMHC_ROYAL_ROAD) < 3 * se + 3 * 2500 / np.sqrt(200)


@pytest.mark.slow
def test_royal_road_ga_is_several_times_slower_and_hitchhikes():
    """The GA (N = 128, binary tournaments, one-point crossover 0.7, bit-flip 0.005)
    needs several times RMHC's evaluations, and diversity at the blocks nobody has
    found collapses as the first blocks sweep."""
    params = {"problem": "royal_road", "N": 128, "selection": {"kind": "tournament", "k": 2},
              "crossover": {"kind": "one_point", "rate": 0.7}, "mutation": {"kind": "bitflip", "rate": 0.005},
              "stop_at_optimum": True, "max_fes": 1_000_000}
    cfg = load({"domain": "ga", "steps": 8000, "record_every": 5, "seed": 9, "replicates": 10,
                "backend": "numba", "params": params})
    m = execute(cfg).metrics
    evals = m[m.metric == "evaluations"].groupby("replicate").value.max()
    assert evals.mean() > 3 * RMHC_ROYAL_ROAD
    wide = m[m.series == "domain"].pivot_table(index=["replicate", "step"], columns="metric", values="value")
    start = wide.xs(0, level="step")["unsolved_heterozygosity"]
    midway = wide[(wide.blocks_found >= 4) & (wide.blocks_found < 8)]["unsolved_heterozygosity"]
    assert start.mean() > 0.49 and midway.mean() < 0.6 * start.mean()
