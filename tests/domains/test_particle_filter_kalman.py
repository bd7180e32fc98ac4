"""The project's Kalman filter and RTS smoother against pykalman, an
independent implementation (a test-only dependency)."""

import numpy as np
import pytest

from collapsesim.domains.particle_filter.data import load_data
from collapsesim.domains.particle_filter.kalman import kalman_filter, model_kalman, rts_smoother
from collapsesim.domains.particle_filter.models import build_model
from collapsesim.domains.particle_filter.params import ParticleFilterParams
from collapsesim.engine.backends import get_backend

pykalman = pytest.importorskip("pykalman")

MODELS = [
    {"kind": "linear_gaussian", "rho": 0.9, "sigma_x": 1.0, "sigma_y": 0.5},
    {"kind": "linear_gaussian_mv"},
    {"kind": "linear_gaussian_mv", "A": [[1.0, 1.0, 0.0], [0.0, 0.9, 0.2], [0.0, 0.0, 0.5]],
     "Q": [[0.1, 0.0, 0.0], [0.0, 0.2, 0.05], [0.0, 0.05, 0.3]],
     "H": [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], "R": [[0.5, 0.1], [0.1, 0.4]],
     "m0": [1.0, -1.0, 0.5], "P0": [[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]},
]


def _setup(model_params, T=60):
    params = ParticleFilterParams(model=model_params, data_seed=3)
    model = build_model(params.model, get_backend("numpy"))
    data = load_data(params, model, T)
    ref = pykalman.KalmanFilter(
        transition_matrices=model.A, observation_matrices=model.H,
        transition_covariance=model.noise.cov, observation_covariance=model.R,
        initial_state_mean=model.m0, initial_state_covariance=model.init_noise.cov)
    return model, data, ref


@pytest.mark.parametrize("model_params", MODELS, ids=["1d", "2d", "3d-2obs"])
def test_kalman_filter_matches_pykalman(model_params):
    model, data, ref = _setup(model_params)
    kf = model_kalman(model, data.y)
    means, covs = ref.filter(data.y)
    np.testing.assert_allclose(kf.means, means, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(kf.covs, covs, rtol=1e-9, atol=1e-12)
    assert kf.loglik == pytest.approx(ref.loglikelihood(data.y), rel=1e-10)


@pytest.mark.parametrize("model_params", MODELS, ids=["1d", "2d", "3d-2obs"])
def test_rts_smoother_matches_pykalman(model_params):
    model, data, ref = _setup(model_params)
    ms, Ps = rts_smoother(model_kalman(model, data.y), model.A)
    means, covs = ref.smooth(data.y)
    np.testing.assert_allclose(ms, means, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(Ps, covs, rtol=1e-8, atol=1e-12)


def test_one_observation_is_bayes_rule():
    kf = kalman_filter(np.array([2.0]), 0.5, 1.0, 1.0, 1.0, 0.0, 1.0)
    assert kf.means[0, 0] == pytest.approx(1.0)
    assert kf.covs[0, 0, 0] == pytest.approx(0.5)
    assert kf.loglik == pytest.approx(-0.5 * np.log(2 * np.pi * 2.0) - 0.5 * 4.0 / 2.0)
