"""The observation of populations on test problems, stacked: row r of R
populations observed together is population r observed alone, value for value
(real problems with the CEC'2013 count, bit strings with the Royal Road's
metrics), and stacked observations read back as rows and concatenate."""

import numpy as np
import pytest

from collapsesim.domains.base import Observations, Series
from collapsesim.engine.bits import pack_bits
from collapsesim.problems import get_problem
from collapsesim.problems.observe import observe_populations

R, N = 5, 40


def _real_populations(problem, rng):
    x = rng.uniform(problem.lower, problem.upper, (R, N, problem.dim))
    x[1, :N // 2] = problem.optima[0]  # a row half on one optimum: peaks found and held
    x[3] = problem.optima[rng.integers(0, problem.n_optima, N)]  # a row on the optima only
    return x, problem.evaluate(x.reshape(R * N, -1)).reshape(R, N)


def _bit_populations(problem, rng):
    bits = rng.random((R, N, problem.n_bits)) < 0.5
    bits[2] = True  # every block found: no unsolved heterozygosity on this row
    bits[4, :, :8] = True  # the first block found by everyone
    x = pack_bits(bits.reshape(R * N, -1), problem.n_words).reshape(R, N, -1)
    return x, problem.evaluate(x.reshape(R * N, -1)).reshape(R, N)


@pytest.mark.parametrize("name, make", [("F4", _real_populations), ("F6", _real_populations),
                                        ("M1", _real_populations),
                                        ("royal_road", _bit_populations)])
def test_each_row_is_its_population_alone(name, make):
    problem = get_problem(name)
    rng = np.random.default_rng(7)
    x, f = make(problem, rng)
    founders = rng.integers(0, N, (R, N))
    parents = rng.integers(0, N, (R, N))
    evaluations = np.arange(R) * 100.0 + 40
    stacked = observe_populations(problem, x, f, evaluations=evaluations, founders=founders, parents=parents)
    assert len(stacked) == R
    for r in range(R):
        alone = observe_populations(problem, x[r:r + 1], f[r:r + 1], evaluations=evaluations[r],
                                    founders=founders[r:r + 1], parents=parents[r:r + 1])[0]
        row = stacked[r]
        assert row.metrics == alone.metrics  # exact, NaN metrics left out of both
        for s in ("optima", "founders"):
            assert np.array_equal(row.series[s].abundances, alone.series[s].abundances)
        assert row.series["founders"].abundances.sum() == N
        assert np.array_equal(row.series["founders"].abundances, np.bincount(founders[r], minlength=N))
        assert row.metrics["founder_lineages"] == len(np.unique(founders[r]))
        assert row.metrics["no_offspring"] == 1 - len(np.unique(parents[r])) / N
    if name == "royal_road":
        assert "unsolved_heterozygosity" not in stacked[2].metrics
        assert stacked[2].metrics["blocks_found"] == problem.n_bits // 8
        assert all("unsolved_heterozygosity" in stacked[r].metrics for r in (0, 1, 3, 4))
    else:
        assert stacked[3].metrics["optima_held_1e-4"] > 0 and stacked[3].metrics["peaks_found_1e-4"] > 0
        assert stacked[1].metrics["optima_held_1e-4"] >= 1


def test_rows_and_concat():
    a = Observations(series={"s": Series(np.array([[1.0, 0.0], [2.0, 2.0]]), np.ones(2))},
                     metrics={"m": np.array([1.0, np.nan])})
    b = Observations(series={"s": Series(np.array([[0.0, 3.0]]), np.ones(2))},
                     metrics={"m": np.array([5.0]), "k": np.array([7.0])})
    both = Observations.concat([a, b])
    assert len(both) == 3 and [o.metrics for o in both] == [{"m": 1.0}, {}, {"m": 5.0, "k": 7.0}]
    assert np.array_equal(both[-1].series["s"].abundances, [0.0, 3.0])
    assert np.array_equal(both[0].series["s"].reference, np.ones(2))
    with pytest.raises(IndexError):
        both[3]
    per_row = Observations(series={"s": Series(np.ones((1, 2)), np.full((1, 2), 2.0))})
    with pytest.raises(ValueError, match="shared by some parts"):
        Observations.concat([a, per_row])
