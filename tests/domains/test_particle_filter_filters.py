"""The filters themselves: backends agree, the runner's D2 of the weights is
the ESS, observe() sees the weights before resampling, impossible
observations diverge cleanly, the smoothers agree with the RTS smoother, and
resampling stays float64 for float32 particles."""

import numpy as np
import pytest

import collapsesim as cs
from collapsesim.domains.particle_filter.kalman import model_kalman, rts_smoother
from collapsesim.domains.particle_filter.smc import SMC
from collapsesim.domains.particle_filter.smoothing import FixedLag, History, ffbsi, pgas
from collapsesim.engine.backends import get_backend
from collapsesim.reproductions.particle_filter import studies

MODELS = ["linear_gaussian", "stochastic_volatility", "growth", "neutral"]


def _run(backend, model, steps=30, **params):
    model = model if isinstance(model, dict) else {"kind": model}
    sc = {"domain": "particle_filter", "steps": steps, "record_every": 1, "seed": 7,
          "backend": backend, "params": {"model": model, "N": 300, **params}}
    return cs.run(sc)


def _series(res, series, metric):
    m = res.metrics
    return m[(m["series"] == series) & (m["metric"] == metric)].sort_values("step")["value"].to_numpy()


@pytest.mark.parametrize("model", MODELS)
def test_numba_kernels_agree_with_numpy(model):
    """The fused numba kernels draw the same normals in the same order as the
    vectorised numpy path: the log-likelihoods agree to rounding."""
    a = _series(_run("numpy", model), "domain", "loglik")
    b = _series(_run("numba", model), "domain", "loglik")
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("filter_", ["bootstrap", "guided", "auxiliary"])
def test_d2_of_the_weights_is_the_ess(filter_):
    res = _run("numba", "linear_gaussian", filter=filter_, resampling="adaptive")
    d2 = _series(res, "weights", "D2")
    ess = _series(res, "domain", "ess_fraction") * 300
    np.testing.assert_allclose(d2, ess, rtol=1e-9)
    assert _series(res, "weights", "relative_diversity").max() <= 1.0 + 1e-12


def test_observe_sees_the_weights_before_resampling():
    """With resampling every step the observed weights are still unequal (they
    are the step's importance weights, resampled only at the next step)."""
    res = _run("numpy", "linear_gaussian")
    assert np.all(_series(res, "domain", "ess_fraction")[1:] < 0.999)
    assert np.all(_series(res, "domain", "resampled")[1:] == 1.0)


def test_adaptive_resampling_resamples_only_below_the_threshold():
    res = _run("numba", "linear_gaussian", resampling="adaptive", ess_threshold=0.5)
    ess = _series(res, "domain", "ess_fraction")
    flags = _series(res, "domain", "resampled")
    np.testing.assert_array_equal(flags[1:], (ess[:-1] < 0.5).astype(float))


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_ancestors_headline_coalesces_and_tracks_genealogy(backend):
    res = _run(backend, {"kind": "linear_gaussian", "sigma_y": 0.2}, steps=200)
    founders = _series(res, "ancestors", "D0")
    assert founders[0] == 300 and founders[-1] < 20
    assert np.all(np.diff(founders) <= 0)
    np.testing.assert_array_equal(founders, _series(res, "domain", "surviving_founders"))
    cov = _series(res, "ancestors", "coverage")
    np.testing.assert_allclose(cov, founders / 300)


def test_impossible_observation_diverges_cleanly(tmp_path):
    f = tmp_path / "obs.csv"
    f.write_text("0.1\n0.2\n1e300\n0.3\n")
    sc = {"domain": "particle_filter", "steps": 3, "backend": "numpy",
          "params": {"N": 50, "observations": str(f)}}
    res = cs.run(sc)
    rep = res.summary["per_replicate"]
    rep = rep[0] if isinstance(rep, list) else next(iter(rep.values()))
    assert rep["status"] == "diverged"
    assert "all importance weights are zero" in rep["message"]
    assert res.metrics["step"].max() == 1  # what was recorded is kept


def test_engine_resampling_is_float64_for_float32_weights():
    """The pitfall guard: float32 weights resample exactly as their float64 values."""
    rng = np.random.default_rng(1)
    w32 = rng.random(100_000).astype(np.float32)
    for name in ("numpy", "numba"):
        be = get_backend(name)
        for scheme in ("systematic", "stratified"):
            a = be.resample(w32, w32.size, scheme, be.rng(5))
            b = be.resample(w32.astype(np.float64), w32.size, scheme, be.rng(5))
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_float32_particles_estimate_the_likelihood(backend):
    d = studies.loglik_errors(2000, 8, scheme="systematic", backend=backend, dtype="float32", T=50)
    assert abs(d.mean()) < 0.1


# -- smoothers against the Rauch–Tung–Striebel smoother -------------------------------------------
@pytest.fixture(scope="module")
def lg():
    params, host, data, kf = studies.linear_gaussian_data(T=50, data_seed=2)
    ms, Ps = rts_smoother(kf, host.A)
    return host, data, ms[:, 0], np.sqrt(Ps[:, 0, 0])


def test_ffbsi_matches_rts(lg):
    host, data, ms, sd = lg
    history = History()
    be = get_backend("numpy")
    smc = SMC(host, data.y, 500, be, be.rng(1), listeners=[history])
    for _ in range(data.T - 1):
        smc.step()
    paths, first = ffbsi(host, history, 300, np.random.default_rng(2))
    z = (paths[:, :, 0].mean(axis=0) - ms) / sd
    assert np.sqrt(np.mean(z ** 2)) < 0.2
    assert np.mean(paths[:, :, 0].std(axis=0) / sd) == pytest.approx(1.0, abs=0.15)
    assert len(np.unique(first)) > 50  # the smoother's paths have not collapsed at time 0


def test_pgas_matches_rts_and_ancestor_sampling_mixes(lg):
    host, data, ms, sd = lg
    chain = pgas(host, data.y, 20, 150, np.random.default_rng(3))
    z = (chain[30:, :, 0].mean(axis=0) - ms) / sd
    assert np.sqrt(np.mean(z ** 2)) < 0.4
    stuck = pgas(host, data.y, 10, 40, np.random.default_rng(3), ancestor_sampling=False)
    moving = pgas(host, data.y, 10, 40, np.random.default_rng(3), ancestor_sampling=True)
    rate = lambda c: np.any(c[1:] != c[:-1], axis=-1).mean(axis=0)  # noqa: E731
    assert rate(moving)[0] > rate(stuck)[0] + 0.2


def test_fixed_lag_matches_the_exact_fixed_lag_smoother(lg):
    host, data, _, _ = lg
    lag = 5
    fl = FixedLag(lag)
    be = get_backend("numba")
    smc = SMC(host, data.y, 3000, be, be.rng(4), listeners=[fl])
    z = []
    for t in range(1, data.T):
        smc.step()
        if t >= lag:
            ms, Ps = rts_smoother(model_kalman(host, data.y[: t + 1]), host.A)
            z.append((fl.estimate(smc.weights())[0] - ms[t - lag, 0]) / np.sqrt(Ps[t - lag, 0, 0]))
    assert np.sqrt(np.mean(np.square(z))) < 0.15
