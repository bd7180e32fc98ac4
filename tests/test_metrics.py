"""The shared metric: hand-worked cases and the properties of Hill numbers and
the Vendi score (Hill 1973; Jost 2006; Friedman & Dieng 2022)."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import collapsesim as cs
from collapsesim.metrics import (area_under_curve, collapse_step, diversity, hill_number,
                                 summarize_series, vendi, vendi_from_similarity)

abund = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=40)
nonempty = abund.filter(lambda a: sum(a) > 0 and max(a) / sum(a) > 0 and
                        all(x == 0 or x / sum(a) > 1e-12 for x in a))
orders = st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0, math.inf])


def test_hand_cases():
    assert cs.hill_numbers([1, 1, 1, 1]) == {"D0": 4.0, "D1": 4.0, "D2": 4.0, "Dinf": 4.0}
    p = [0.5, 0.25, 0.25]
    h = cs.hill_numbers(p)
    assert h["D0"] == 3
    assert h["D1"] == pytest.approx(math.exp(-(0.5 * math.log(0.5) + 0.5 * math.log(0.25))))
    assert h["D2"] == pytest.approx(1 / 0.375)
    assert h["Dinf"] == pytest.approx(2.0)
    assert cs.hill_numbers([7, 0, 0]) == {"D0": 1.0, "D1": 1.0, "D2": 1.0, "Dinf": 1.0}


def test_empty_abundances_are_zero_not_errors():
    assert cs.hill_numbers([]) == {"D0": 0.0, "D1": 0.0, "D2": 0.0, "Dinf": 0.0}
    d = diversity([0, 0, 0], [1, 1, 1])
    assert d["D1"] == 0 and d["relative_diversity"] == 0
    assert d["collapse_index"] == 1.0 and d["coverage"] == 0.0


def test_negative_or_nan_abundances_are_rejected():
    with pytest.raises(ValueError):
        cs.hill_numbers([1, -1])
    with pytest.raises(ValueError):
        cs.hill_numbers([1, float("nan")])


@given(st.integers(1, 200), orders)
def test_uniform_over_k_is_k(k, q):
    assert hill_number(np.ones(k) * 3.7, q) == pytest.approx(k, rel=1e-9)


@given(nonempty, orders)
def test_between_one_and_richness(a, q):
    d = hill_number(a, q)
    assert 1 - 1e-9 <= d <= np.count_nonzero(a) + 1e-9


@given(nonempty)
def test_non_increasing_in_q(a):
    qs = [0, 0.5, 1, 1.5, 2, 3, 10, math.inf]
    prof = [hill_number(a, q) for q in qs]
    assert all(x >= y * (1 - 1e-9) for x, y in zip(prof, prof[1:]))


@given(nonempty, orders, st.randoms())
def test_permutation_invariance(a, q, rnd):
    b = list(a)
    rnd.shuffle(b)
    assert hill_number(a, q) == pytest.approx(hill_number(b, q), rel=1e-9)


@given(nonempty, orders)
def test_doubling_property(a, q):
    """Jost (2006): pooling two equally weighted, completely distinct communities of
    equal diversity doubles D_q."""
    a = np.asarray(a)
    pooled = np.concatenate([a / a.sum(), a / a.sum()])
    assert hill_number(pooled, q) == pytest.approx(2 * hill_number(a, q), rel=1e-8)


@given(st.lists(st.floats(min_value=1e-6, max_value=1e3), min_size=1, max_size=50))
def test_d2_of_normalised_weights_is_the_ess(w):
    w = np.asarray(w) / np.sum(w)
    assert hill_number(w, 2) == pytest.approx(1.0 / np.sum(w**2), rel=1e-9)


def test_reverse_kl_to_uniform_identity():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(8))
    kl = float(np.sum(p * np.log(p * 8)))
    assert math.log(8) - math.log(hill_number(p, 1)) == pytest.approx(kl)


def test_relative_diversity_collapse_index_coverage():
    ref = [1, 1, 1, 1]
    full = diversity([5, 5, 5, 5], ref)
    assert full["relative_diversity"] == pytest.approx(1)
    assert full["collapse_index"] == pytest.approx(0)
    assert full["coverage"] == 1
    one = diversity([0, 9, 0, 0], ref)
    assert one["relative_diversity"] == pytest.approx(1 / 4)
    assert one["collapse_index"] == pytest.approx(1)
    assert one["coverage"] == 0.25
    half = diversity([1, 1, 0, 0], ref)
    assert half["collapse_index"] == pytest.approx(0.5)
    more = diversity([1, 1, 1, 1], [1, 3, 0, 0])
    assert more["collapse_index"] < 0
    scalar = diversity([1, 1], 4.0)
    assert scalar["coverage"] is None and scalar["relative_diversity"] == pytest.approx(0.5)
    assert diversity([1, 2], [1, 0])["collapse_index"] is None
    with pytest.raises(ValueError):
        diversity([1, 2, 3], [1, 1])


def test_collapse_step_measured_from_running_max():
    steps = np.arange(8) * 10
    rd = [0.2, 0.6, 1.0, 0.9, 0.6, 0.49, 0.3, 0.1]
    assert collapse_step(steps, rd) == 50
    assert collapse_step(steps, rd, threshold=0.25) == 70
    assert collapse_step([0, 1, 2], [1, 0.9, 0.8]) is None
    assert area_under_curve([0, 10], [1, 0]) == pytest.approx(0.5)
    s = summarize_series(steps, {"relative_diversity": np.array(rd), "D1": np.array(rd) * 4})
    assert s["final_D1"] == pytest.approx(0.4) and s["min_relative_diversity"] == pytest.approx(0.1)


@settings(deadline=None, max_examples=40)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=60))
def test_vendi_with_indicator_similarity_is_the_hill_number(labels):
    labels = np.asarray(labels)
    counts = np.bincount(labels)
    v = vendi(labels, kernel="indicator")
    assert v["vendi"] == pytest.approx(hill_number(counts, 1), rel=1e-7)
    assert v["vendi_q2"] == pytest.approx(hill_number(counts, 2), rel=1e-7)
    vt = vendi(torch.as_tensor(labels), kernel="indicator")
    assert vt["vendi"] == pytest.approx(v["vendi"], rel=1e-9)


def test_weighted_vendi_with_indicator_is_weighted_hill():
    labels = np.array([0, 0, 1, 2, 2, 2])
    w = np.array([0.1, 0.2, 0.3, 0.1, 0.2, 0.1])
    K = (labels[:, None] == labels[None, :]).astype(float)
    mass = np.bincount(labels, weights=w)
    v = vendi_from_similarity(K, weights=w)
    assert v["vendi"] == pytest.approx(hill_number(mass, 1))
    assert v["vendi_q2"] == pytest.approx(hill_number(mass, 2))


def test_vendi_numpy_and_torch_agree_on_continuous_samples():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 1e-3, (50, 2)), rng.normal(5, 1e-3, (50, 2))])
    a = vendi(x, length_scale=0.5)
    b = vendi(torch.as_tensor(x), length_scale=0.5)
    assert a["vendi"] == pytest.approx(b["vendi"], rel=1e-9)
    assert a["vendi"] == pytest.approx(2.0, rel=1e-2)  # two tight, far-apart clusters
    assert vendi(np.zeros((10, 2)))["vendi"] == pytest.approx(1.0)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@settings(max_examples=60, deadline=None)
@given(traj=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.just(0.0)),
                     max_size=12),
       a=st.lists(st.floats(0, 1e300), max_size=8))
def test_metrics_and_summaries_never_warn(traj, a):
    """Odd input gives a value, None or a ValueError -- never a RuntimeWarning
    (which would leak to a CLI user as raw text)."""
    steps = np.arange(len(traj))
    s = summarize_series(steps, {"relative_diversity": np.array(traj), "D1": np.array(traj)})
    assert all(v is None or math.isfinite(v) for v in s.values())
    if sum(a) > 0:
        d = diversity(a, 3.0)
        assert d["D0"] == sum(1 for x in a if x > 0)
    v = vendi(np.array(a).reshape(-1, 1) if a else np.zeros((0, 1)))
    assert 0 <= v["vendi"] <= len(a) + 1e-9 and 0 <= v["vendi_q2"] <= len(a) + 1e-9
    with pytest.raises(ValueError, match="finite"):
        vendi(np.array([[0.0], [np.inf]]))


# -- many observations and series at once (the runner's stacked path) ------------------------

stacked = st.lists(st.lists(st.integers(0, 50), min_size=5, max_size=5), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(stacked, st.sampled_from(["array", "scalar", "rows", "row_scalars"]))
def test_diversity_rows_is_diversity_of_each_row(rows, ref_kind):
    """Row r of diversity_rows equals diversity() of row r (to rounding), for every
    kind of reference; undefined values are NaN where diversity gives None."""
    A = np.array(rows, dtype=float)
    R = len(A)
    ref = {"array": np.array([1.0, 2, 3, 4, 5]), "scalar": 2.5,
           "rows": A[::-1] + 1.0, "row_scalars": np.arange(R) + 1.0}[ref_kind]
    if ref_kind == "row_scalars" and A.shape[1] == R:
        return  # (R,) with K = R would be read as one (K,) reference
    got = cs.metrics.diversity_rows(A, ref)
    for r in range(R):
        one = ref if ref_kind in ("array", "scalar") else ref[r]
        want = diversity(A[r], one)
        for k, v in want.items():
            if v is None:
                assert math.isnan(got[k][r]), k
            else:
                assert got[k][r] == pytest.approx(v, rel=1e-12, abs=1e-15), k


def test_diversity_rows_refuses_mismatched_reference():
    with pytest.raises(ValueError, match="same types"):
        cs.metrics.diversity_rows(np.ones((3, 4)), np.ones(5))


trajectories = st.lists(st.lists(st.floats(0, 1e308) | st.just(math.nan), min_size=1, max_size=15),
                        min_size=1, max_size=10)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@settings(max_examples=60, deadline=None)
@given(trajectories)
def test_summarize_blocks_is_summarize_series_of_each_block(blocks):
    """Stacked blocks summarised at once equal each block summarised alone (to rounding)."""
    lengths = [len(b) for b in blocks]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int)
    steps = np.concatenate([np.arange(n) * 3 for n in lengths])
    rd = np.concatenate([np.array(b, dtype=float) for b in blocks])
    got = cs.metrics.summarize_blocks(starts, steps, {"relative_diversity": rd,
                                                      "collapse_index": 1 - rd}, 0.5)
    for b, (a, n) in enumerate(zip(starts, lengths)):
        want = summarize_series(steps[a:a + n], {"relative_diversity": rd[a:a + n],
                                                 "collapse_index": 1 - rd[a:a + n]}, 0.5)
        assert list(got[b]) == list(want)
        for k, v in want.items():
            if v is None or got[b][k] is None:
                assert v is got[b][k] or (v is not None and not math.isfinite(v)), (b, k)
            else:
                assert got[b][k] == pytest.approx(v, rel=1e-12, abs=1e-15), (b, k)


def test_the_reference_d1_is_remembered_by_value():
    """A reference's D1 is computed once per distinct reference (the same number
    as computing it again), keyed by its values: an array changed in place, or
    one past the remembered size, is computed afresh."""
    import importlib

    from collapsesim.metrics import hill_numbers

    div = importlib.import_module("collapsesim.metrics.diversity")  # the module, not the function

    rng = np.random.default_rng(3)
    ref = rng.random(50)
    want = hill_numbers(ref, orders=[1.0])["D1"]
    assert div.reference_d1(ref)[0] == want and div.reference_d1(ref.copy())[0] == want
    ref[:10] = 0.0
    assert div.reference_d1(ref)[0] == hill_numbers(ref, orders=[1.0])["D1"] != want
    big = rng.random(div.REMEMBERED_TYPES + 1)
    assert div.reference_d1(big)[0] == hill_numbers(big, orders=[1.0])["D1"]
