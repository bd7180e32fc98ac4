"""The particle filter's domain operators (numba kernels against the numpy
specification) and its reproduction protocols (registration, the optional
``particles`` hook)."""

from __future__ import annotations

import numpy as np
import pytest

from collapsesim import reproductions
from collapsesim.domains.particle_filter.models import build_model
from collapsesim.domains.particle_filter.params import ParticleFilterParams
from collapsesim.engine.backends import get_backend
from collapsesim.reproductions.particle_filter import PARTICLES_ENV, _particles_python

MODELS = [{"kind": "linear_gaussian", "sigma_y": 0.5}, {"kind": "stochastic_volatility"},
          {"kind": "growth"}, {"kind": "neutral"}]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m["kind"])
@pytest.mark.parametrize("gather", [True, False])
def test_fused_propagate_and_normalise_match_the_specification(model, gather):
    """Same generator state, same draws: the numba kernels give the numpy
    specification's particles and weights up to rounding (the specification
    multiplies by a 1×1 Cholesky factor where the kernel multiplies by sd)."""
    params = ParticleFilterParams(model=model)
    N, t, y = 257, 3, np.array([0.7])
    spec, fused = get_backend("numpy"), get_backend("numba")
    m = build_model(params.model, spec)
    src = np.random.default_rng(1)
    x = src.normal(size=(N, 1)) * 2
    anc = np.sort(src.integers(0, N, N)) if gather else None
    base = src.normal(size=N)
    out = {}
    for be in (spec, fused):
        x_new, lw = be.op("particle_filter.propagate")(m, x, anc, base.copy(), y, t,
                                                       np.random.default_rng(9), {})
        lw, W, ell, ess = be.op("particle_filter.normalise")(lw, {})
        out[be.name] = (np.array(x_new), np.array(lw), np.array(W), ell, ess)
    for a, b in zip(out["numpy"], out["numba"]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert np.isclose(np.exp(out["numpy"][1]).sum(), 1.0)
    assert out["numpy"][2].max() == 1.0


def test_normalise_reports_impossible_observations_unchanged():
    lw = np.full(5, -np.inf)
    for name in ("numpy", "numba"):
        be = get_backend(name)
        out, _, ell, ess = be.op("particle_filter.normalise")(lw.copy(), {})
        assert ell == -np.inf and ess == 0.0 and np.all(out == -np.inf)


def test_protocols_are_registered():
    names = {p.name: p for p in reproductions.available("particle_filter")}
    assert set(names) == {"verification", "figures"}
    assert reproductions.get("particle_filter").name == "verification"


def test_particles_hook_is_optional_and_checked(monkeypatch, tmp_path):
    monkeypatch.delenv(PARTICLES_ENV, raising=False)
    assert _particles_python() is None
    monkeypatch.setenv(PARTICLES_ENV, str(tmp_path / "no-such-python"))
    with pytest.raises(reproductions.MissingRequirement, match=PARTICLES_ENV):
        _particles_python()


@pytest.mark.parametrize("adaptive", [False, True])
def test_likelihood_study_through_the_runner_gives_the_direct_numbers(adaptive):
    from collapsesim.reproductions.particle_filter import studies

    kw = dict(scheme="systematic" if adaptive else "multinomial", adaptive=adaptive, T=20,
              seed=2, backend="numba")
    direct = studies.loglik_errors(200, 3, **kw)
    assert studies.runner_loglik_errors(200, 3, **kw).tolist() == direct.tolist()
