"""The exact expectations of model_collapse.theory against the domain's own
simulation (R replicates batched, each with its own generators), with
3-standard-error tolerances over replicates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import polygamma

from collapsesim.domains.model_collapse import theory
from collapsesim.domains.model_collapse.cells import zipf
from collapsesim.domains.model_collapse.model import ModelCollapseSimulation
from collapsesim.domains.model_collapse.params import ModelCollapseParams
from collapsesim.engine import get_backend


def run(params: dict, R: int, steps: int, record, seed: int = 7):
    """Step a batched simulation of R replicates and return {t: record(sim)}
    for t = 0 … steps."""
    p = ModelCollapseParams.model_validate({"heldout": 10, "cells": 4, **params})
    seeds = [np.random.SeedSequence(seed, spawn_key=(j,)) for j in range(R)]
    sim = ModelCollapseSimulation(p, get_backend("numpy"), seeds)
    out = {0: record(sim)}
    for t in range(1, steps + 1):
        sim.step()
        out[t] = record(sim)
    return out


def close(x: np.ndarray, expected: float) -> None:
    se = x.std(ddof=1) / math.sqrt(len(x))
    assert abs(x.mean() - expected) <= 3 * se, (x.mean(), expected, se)


def test_categorical_heterozygosity_and_token_loss():
    n, R, steps = 30, 4000, 12
    p = {"model": {"kind": "categorical", "V": 12, "zipf_a": 1.0}, "n": n}
    rec = run(p, R, steps, lambda s: s.model.probs.copy())
    pr = zipf(12, 1.0)                              # the real distribution of the simulation
    for t in (0, 4, 12):
        close(1 - (rec[t] ** 2).sum(-1), theory.categorical_heterozygosity(pr, n, t))
    loss = theory.token_loss_probability(pr, n, [0, 4, 12])
    for j, t in enumerate((0, 4, 12)):
        lost = rec[t] == 0
        for v in (5, 11):                          # two rare tokens
            close(lost[:, v].astype(float), loss[v, j])
        close((~lost).sum(-1).astype(float), theory.expected_tokens_kept(pr, n, t))
        close(((~lost) * pr).sum(-1), theory.expected_mass_covered(pr, n, t))


def test_token_loss_starts_from_the_binomial_draw():
    # generation 0 loses a token of probability p with probability (1 − p)^n
    assert theory.token_loss_probability(0.01, 50, 0) == pytest.approx(0.99 ** 50)
    # and loss only grows
    loss = theory.token_loss_probability([0.01, 0.2], 50, np.arange(30))
    assert np.all(np.diff(loss, axis=1) >= -1e-12)


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_gaussian_variance_log_variance_mean_and_w2(estimator):
    n, R, steps = 10, 6000, 20
    p = {"model": {"kind": "gaussian", "estimator": estimator}, "n": n}
    rec = run(p, R, steps, lambda s: (s.model.mean[:, 0].copy(), s.model.cov[:, 0, 0].copy()))
    # E[σ²_t] only where t·ψ′((n−1)/2) ≤ 1: (t + 1)·0.25 ≤ 1
    for t in range(steps + 1):
        if (t + 1) * polygamma(1, (n - 1) / 2) <= 1:
            close(rec[t][1], theory.gaussian_variance(n, t, estimator))
    for t in (0, 5, 20):
        mean, var = theory.gaussian_log_variance(n, t, estimator)
        close(np.log(rec[t][1]), mean)
        close((np.log(rec[t][1]) - mean) ** 2, var)
        close(rec[t][0] ** 2, theory.gaussian_mean_error(n, t, estimator))
    for t in (0, 3):
        mu, v = rec[t]
        close(mu ** 2 + (np.sqrt(v) - 1) ** 2, theory.gaussian_w2_squared(n, t, estimator))


def test_unbiased_variance_is_a_martingale_that_collapses():
    n = 10
    assert theory.gaussian_variance(n, 100, "unbiased") == 1.0
    assert theory.gaussian_log_variance(n, 100)[0] < -5       # σ_t → 0 a.s.
    assert theory.gaussian_mean_error(n, 9, "unbiased") == pytest.approx(10 / n)


def test_fresh_fraction_stationary_variance():
    n, lam, R, steps = 20, 0.25, 4000, 40
    p = {"model": {"kind": "gaussian"}, "n": n, "regime": {"kind": "fresh", "lam": lam}}
    rec = run(p, R, steps, lambda s: (s.model.mean[:, 0].copy(), s.model.cov[:, 0, 0].copy()))
    a, b = theory.fresh_fraction_moments(n, lam, [0, 5, steps])
    star = theory.fresh_fraction_stationary(n, lam)
    assert a[-1] == pytest.approx(star[0], rel=1e-4) and b[-1] == pytest.approx(star[1], rel=1e-4)
    for j, t in enumerate((0, 5, steps)):
        close(rec[t][1], a[j])
        close(rec[t][0] ** 2, b[j])
    # all-fresh data: every generation is real, the unbiased variance σ², the mean error σ²/n
    assert theory.fresh_fraction_stationary(n, 1.0) == pytest.approx((1.0, 1.0 / n))


def test_weighted_optimal_weight_is_the_reciprocal_golden_ratio():
    assert theory.optimal_real_weight(1.0) == pytest.approx((math.sqrt(5) - 1) / 2)
    for k in (0.5, 1.0, 4.0):
        w = theory.optimal_real_weight(k)
        grid = np.linspace(0.01, 1, 2000)
        best = grid[np.argmin([theory.weighted_mean_stationary(int(k * 40), 40, g) for g in grid])]
        assert best == pytest.approx(w, abs=1e-3)


def test_weighted_mean_error_against_simulation():
    n, R, steps = 20, 4000, 25
    p = {"model": {"kind": "gaussian", "estimator": "mean_only"}, "n": n,
         "regime": {"kind": "weighted", "real_n": n, "real_weight": "optimal"}}
    rec = run(p, R, steps, lambda s: s.model.mean[:, 0].copy())
    w = theory.optimal_real_weight(1.0)
    for t in (0, 1, steps):
        close(rec[t] ** 2, theory.weighted_mean_error(n, n, w, t))
    assert theory.weighted_mean_error(n, n, w, 200) == pytest.approx(
        theory.weighted_mean_stationary(n, n, w))


def test_kde_fixed_bandwidth_variance_grows_to_n_h2():
    n, h, R, steps = 20, 0.5, 4000, 15
    p = {"model": {"kind": "kde", "bandwidth": h}, "n": n}
    rec = run(p, R, steps, lambda s: s.model.variance())
    for t in (0, 5, steps):
        close(rec[t], theory.kde_variance(n, t, h))
    assert theory.kde_variance(n, 10_000, h) == pytest.approx(n * h ** 2)


def test_kde_silverman_variance_grows_geometrically():
    n, R, steps = 40, 4000, 8
    p = {"model": {"kind": "kde", "bandwidth": "silverman"}, "n": n}
    rec = run(p, R, steps, lambda s: s.model.variance())
    for t in (0, 4, steps):
        close(rec[t], theory.kde_silverman_variance(n, t))
    assert theory.kde_silverman_variance(n, 1) > theory.kde_silverman_variance(n, 0) > 1


@pytest.mark.parametrize("regime", ["replace", "accumulate"])
def test_regression_test_error(regime):
    n, d, noise, R, steps = 16, 4, 1.0, 4000, 8
    p = {"model": {"kind": "regression", "d": d, "noise": noise}, "n": n,
         "regime": {"kind": regime}}
    rec = run(p, R, steps, lambda s: s.model.test_error())
    for t in (0, 3, steps):
        close(rec[t], theory.regression_test_error(n, d, noise, t, regime))
    acc = theory.regression_test_error(n, d, noise, np.arange(200), "accumulate")
    assert acc[-1] <= math.pi ** 2 / 6 * acc[0]
