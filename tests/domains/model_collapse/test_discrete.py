"""Discrete models of model_collapse: sampling transforms (temperature,
top-k, top-p) exactly, inverse-CDF draws, and the Markov model's fit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from collapsesim.domains.model_collapse.cells import (
    Draws,
    MarkovReal,
    categorical_draw,
    ngrams,
)
from collapsesim.domains.model_collapse.discrete import (
    CategoricalModel,
    MarkovModel,
    sharpen,
)
from collapsesim.domains.model_collapse.params import CategoricalParams, MarkovParams
from collapsesim.engine import get_backend
from collapsesim.metrics import counts_rows

NP = get_backend("numpy")


def pooled(R: int, seed: int = 0) -> Draws:
    return Draws.pooled(NP, NP.rng(np.random.SeedSequence(seed)), R)


def test_sharpen_temperature_topk_topp():
    p = np.array([0.5, 0.25, 0.15, 0.1])
    q = sharpen(p, 0.5, 0, 1.0)
    assert q == pytest.approx(p ** 2 / (p ** 2).sum())
    assert sharpen(p, 1.0, 2, 1.0) == pytest.approx([2 / 3, 1 / 3, 0, 0])
    # top-p: keep tokens whose preceding mass is < p
    assert sharpen(p, 1.0, 0, 0.75) == pytest.approx([2 / 3, 1 / 3, 0, 0])
    assert sharpen(p, 1.0, 0, 0.76) == pytest.approx(np.array([0.5, 0.25, 0.15, 0]) / 0.9)
    assert sharpen(p, 1.0, 0, 0.5) == pytest.approx([1, 0, 0, 0])
    # lost tokens stay lost at any temperature
    assert sharpen(np.array([0.0, 0.4, 0.6]), 2.0, 0, 1.0)[0] == 0.0


def test_categorical_draw_frequencies():
    R, n = 4, 200_000
    p = np.array([[0.1, 0.0, 0.6, 0.3]] * R)
    x = categorical_draw(p, pooled(R).uniform((R, n)))
    f = counts_rows(x, 4) / n
    se = np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(f - p) <= 4 * se + 1e-12)
    assert np.all(f[:, 1] == 0)


def test_categorical_fit_is_the_weighted_frequency_and_sampling_is_multinomial():
    m = CategoricalModel(CategoricalParams(V=5), NP, type("R", (), {"C": 5})())
    data = np.array([[0, 0, 1, 4], [2, 2, 2, 2]])
    m.fit(data, weights=np.array([[1.0, 1.0, 2.0, 0.0], [1, 1, 1, 1]]))
    assert m.probs == pytest.approx(np.array([[0.5, 0.5, 0, 0, 0], [0, 0, 1, 0, 0]]))
    x = m.sample(100, pooled(2))
    assert set(np.unique(x[0])) <= {0, 1} and np.all(x[1] == 2)


def test_markov_real_is_stationary_and_the_fit_recovers_it():
    p = MarkovParams(V=3, order=2, length=40, zipf_a=1.0)
    real = MarkovReal(p, np.random.default_rng(3))
    assert real.reference.sum() == pytest.approx(1.0)
    # π is stationary for the context chain
    nxt = (np.arange(9)[:, None] * 3 + np.arange(3)) % 9
    moved = np.zeros(9)
    np.add.at(moved, nxt.ravel(), (real.pi[:, None] * real.P).ravel())
    assert moved == pytest.approx(real.pi)
    R, n = 2, 4000
    x = real.sample(n, pooled(R))
    grams = counts_rows(ngrams(x, 3, 3), 27)
    freq = grams / grams.sum(-1, keepdims=True)
    N = grams.sum(-1)[0]
    se = np.sqrt(real.reference * (1 - real.reference) / N * 40)   # generous: positions correlate
    assert np.all(np.abs(freq - real.reference) <= 4 * se + 1e-3)
    m = MarkovModel(p, NP, real)
    m.fit(x)
    assert m.P.sum(-1) == pytest.approx(np.ones((R, 9)))
    assert np.abs(m.P - real.P).max() < 0.05
    # the real chain's log-probability of its own sequences beats the fit's only slightly
    assert abs(real.logpdf(x).mean() - m.loglik(x).mean()) / 38 < 0.01


def test_markov_unseen_context_continues_with_the_unigram():
    p = MarkovParams(V=3, order=1, length=3)
    real = MarkovReal(p, np.random.default_rng(0))
    m = MarkovModel(p, NP, real)
    m.fit(np.array([[[0, 1, 1], [0, 0, 1]]]))
    assert m.P[0, 2] == pytest.approx(np.array([3, 3, 0]) / 6)      # context 2 never seen
    assert m.P[0, 0] == pytest.approx([1 / 3, 2 / 3, 0])
    assert math.isclose(m.pi[0, 0], 1.0)
