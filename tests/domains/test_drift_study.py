"""The batched allele-count fixation study."""

import numpy as np
import pytest

from collapsesim import theory as exact
from collapsesim.reproductions.drift import simulate_fixation


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_one_stream_is_reproducible(backend):
    a = simulate_fixation(50, 0.1, replicates=500, backend=backend, seed=3)
    b = simulate_fixation(50, 0.1, replicates=500, backend=backend, seed=3)
    np.testing.assert_array_equal(a.time, b.time)
    np.testing.assert_array_equal(a.fixed, b.fixed)
    assert (a.time > 0).all() and a.segregating == 0


def test_max_generations_leaves_replicates_segregating():
    st = simulate_fixation(1000, 0.0, 0.5, replicates=200, backend="numpy", seed=1,
                           max_generations=10)
    assert st.segregating == 200 and not st.fixed.any()


def test_p_map_matches_s_and_bad_p0():
    f = exact.haploid_selection(0.1)
    a = simulate_fixation(50, 0.1, replicates=300, backend="numpy", seed=2)
    b = simulate_fixation(50, p_map=f, replicates=300, backend="numpy", seed=2)
    np.testing.assert_array_equal(a.time, b.time)
    for p0 in (0.0, 1.0, 0.123):
        with pytest.raises(ValueError, match="whole number of copies"):
            simulate_fixation(50, 0.1, p0, replicates=10, backend="numpy")


def test_summary_statistics():
    st = simulate_fixation(20, 0.0, 0.5, replicates=4000, backend="numpy", seed=4)
    t = st.time[st.fixed]
    assert st.mean_time == pytest.approx(t.mean())
    assert st.mean_time_se == pytest.approx(t.std(ddof=1) / np.sqrt(len(t)))
    assert st.probability_se == pytest.approx(np.sqrt(st.probability * (1 - st.probability)
                                                      / 4000))
