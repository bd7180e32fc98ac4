"""The same samples give the same numbers on every backend: every metric (Hill
numbers, diversity(), vendi, vendi_q2) of a numpy array equals that of the same
values as a float64 torch tensor (CPU; CUDA where a GPU is present).

Tolerance: the two paths do the same arithmetic in possibly different orders
(BLAS, LAPACK eigensolvers), so they agree to rounding -- relative 1e-9 is
~10^7 ulps of float64, far above reordering error for n <= 30 samples and far
below the old median bug (up to 15 % at n = 5)."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from collapsesim.metrics import diversity, hill_numbers, vendi

RTOL = 1e-9
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")  # a warning is a failure

abundances = arrays(np.float64, st.integers(1, 20),
                    elements=st.one_of(st.just(0.0), st.floats(1e-6, 1e6)))
samples = st.integers(2, 30).flatmap(
    lambda n: st.integers(1, 4).flatmap(
        lambda d: arrays(np.float64, (n, d), elements=st.floats(-100, 100, width=32))))


def _close(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if a[k] is None or b[k] is None:
            assert a[k] is b[k], k
        else:
            assert math.isclose(a[k], b[k], rel_tol=RTOL, abs_tol=1e-12), (k, a[k], b[k])


def _devices():
    yield pytest.param("cpu")
    yield pytest.param("cuda", marks=[pytest.mark.cuda, pytest.mark.skipif(
        not torch.cuda.is_available(), reason="no CUDA GPU")])


@pytest.mark.parametrize("device", list(_devices()))
@settings(max_examples=40, deadline=None)
@given(a=abundances)
def test_hill_numbers_and_diversity_agree(device, a):
    t = torch.as_tensor(a, dtype=torch.float64, device=device)
    _close(hill_numbers(a), hill_numbers(t))
    ref = np.ones_like(a)
    _close(diversity(a, ref), diversity(t, torch.as_tensor(ref, device=device)))
    _close(diversity(a, 7.0), diversity(t, 7.0))


@pytest.mark.parametrize("device", list(_devices()))
@pytest.mark.parametrize("kernel", ["rbf", "cosine"])
@settings(max_examples=40, deadline=None)
@given(x=samples)
def test_vendi_agrees(device, kernel, x):
    _close(vendi(x, kernel=kernel), vendi(torch.as_tensor(x, device=device), kernel=kernel))


@pytest.mark.parametrize("device", list(_devices()))
@settings(max_examples=40, deadline=None)
@given(labels=arrays(np.int64, st.integers(1, 30), elements=st.integers(0, 5)))
def test_vendi_indicator_agrees_and_equals_hill(device, labels):
    a = vendi(labels, kernel="indicator")
    _close(a, vendi(torch.as_tensor(labels, device=device), kernel="indicator"))
    h = hill_numbers(np.bincount(labels))
    assert math.isclose(a["vendi"], h["D1"], rel_tol=1e-9)
    assert math.isclose(a["vendi_q2"], h["D2"], rel_tol=1e-9)


def test_rbf_length_scale_is_the_true_median_for_an_even_count():
    """Four points on a line: 6 pairwise distances 1, 1, 2, 2, 3, 3... with an
    even count the median is the mean of the middle two; torch.median would take
    the lower. The score equals the one with that length scale given."""
    x = np.array([[0.0], [1.0], [3.0], [7.0]])  # distances 1, 3, 7, 2, 6, 4 → median 3.5
    want = vendi(x, length_scale=3.5)
    _close(vendi(x), want)
    _close(vendi(torch.as_tensor(x)), want)
    assert not math.isclose(vendi(x, length_scale=3.0)["vendi"], want["vendi"], rel_tol=1e-3)


@settings(max_examples=40, deadline=None)
@given(x=samples, data=st.data())
def test_weighted_vendi_agrees(x, data):
    w = data.draw(arrays(np.float64, len(x), elements=st.floats(0, 10)))
    if not w.sum() > 0:
        with pytest.raises(ValueError, match="positive sum"):
            vendi(x, weights=w)
        with pytest.raises(ValueError, match="positive sum"):
            vendi(torch.as_tensor(x), weights=torch.as_tensor(w))
        return
    _close(vendi(x, weights=w), vendi(torch.as_tensor(x), weights=torch.as_tensor(w)))
