"""The Gaussian mixture of ``model_collapse`` (collapsesim/domains/model_collapse/gmm.py):
EM's backends agree, its log-likelihood never decreases, it recovers separated
mixtures within 3 standard errors over replicates, restarts escape bad starts,
and the fitted model samples, scores and assigns as its definition says."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy.stats import norm

from collapsesim.domains.model_collapse.gmm import GMMModel, kmeanspp_responsibilities
from collapsesim.engine import get_backend

NP = get_backend("numpy")


def _settings(K=3, restarts=3, iterations=60, floor=1e-6):
    return SimpleNamespace(components=K, restarts=restarts, iterations=iterations, floor=floor)


def _mixture(rng, R, n, pi, mu, sd):
    """(R, n, d) samples of a diagonal mixture and their component labels."""
    pi, mu, sd = map(np.asarray, (pi, mu, sd))
    lab = rng.choice(len(pi), size=(R, n), p=pi)
    return mu[lab] + sd[lab] * rng.standard_normal((R, n, mu.shape[1])), lab


def _em_inputs(seed=0, B=12, n=150, K=3):
    rng = np.random.default_rng(seed)
    x, _ = _mixture(rng, B, n, [0.2, 0.3, 0.5], [[0, 0], [3, 1], [-2, 4]], [[1, 0.5], [0.7, 1], [1, 1]])
    w = rng.uniform(0.2, 2.0, (B, n))
    resp = kmeanspp_responsibilities(NP, x, w, K, NP.rng(seed))
    return x, w, resp


@pytest.mark.parametrize("backend", ["numba", "torch"])
def test_em_backends_agree_with_numpy(backend):
    """Same initial responsibilities → the same fit to 1e-10 relative (not exactly:
    pairwise vs sequential sums, different exp/log)."""
    x, w, resp = _em_inputs()
    ref = NP.op("model_collapse.em")(x, w, resp, 40, 1e-6)
    be = get_backend(backend)
    out = be.op("model_collapse.em")(be.asarray(x), be.asarray(w), be.asarray(resp), 40, 1e-6)
    for a, b in zip(ref, out):
        np.testing.assert_allclose(be.to_numpy(b), a, rtol=1e-10, atol=1e-12)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
def test_em_cuda_agrees_with_numpy():
    x, w, resp = _em_inputs()
    ref = NP.op("model_collapse.em")(x, w, resp, 40, 1e-6)
    be = get_backend("torch", "cuda")
    out = be.op("model_collapse.em")(be.asarray(x), be.asarray(w), be.asarray(resp), 40, 1e-6)
    for a, b in zip(ref, out):
        np.testing.assert_allclose(be.to_numpy(b), a, rtol=1e-10, atol=1e-12)


def test_weights_are_repetitions():
    """Integer weights c_i fit exactly as the data with sample i repeated c_i times."""
    x, _, resp = _em_inputs(B=4, n=60)
    c = np.random.default_rng(1).integers(1, 4, (4, 60))
    rep = [np.repeat(np.arange(60), c[b]) for b in range(4)]
    for b in range(4):
        one = NP.op("model_collapse.em")(x[b:b + 1], c[b:b + 1].astype(float), resp[b:b + 1], 25, 1e-6)
        xr, rr = x[b:b + 1, rep[b]], resp[b:b + 1, rep[b]]
        two = NP.op("model_collapse.em")(xr, np.ones((1, len(rep[b]))), rr, 25, 1e-6)
        for a, bb in zip(one, two):
            np.testing.assert_allclose(a, bb, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_loglik_never_decreases(backend):
    """EM with the clamped variance floor is monotone: from k-means++ starts with too many
    components (K = 5 on 3 clusters, slow EM) and a floor that binds (1.0 on unit-variance
    data), the trace rises at every iteration up to rounding."""
    x, w, resp = _em_inputs(seed=3, B=30, K=5)
    for floor in (1e-6, 1.0):
        *_, trace = get_backend(backend).op("model_collapse.em")(x, w, resp, 80, floor)
        steps = np.diff(trace, axis=1)
        assert steps.min() > -1e-12 * np.abs(trace).max()
        assert (trace[:, -1] - trace[:, 0]).min() > 0.0


def test_recovers_separated_mixture():
    """2-D, K = 3 components far apart (posteriors are 0/1 to ~1e-9): the fitted weights
    and means are unbiased and v̂·N̂/(N̂ − 1) (N̂ = nπ̂: the sample variance's correction)
    is unbiased for each variance; all within 3 standard errors over R replicates."""
    R, n = 300, 300
    pi = np.array([0.2, 0.3, 0.5])
    mu = np.array([[-8.0, 0.0], [0.0, 6.0], [8.0, -1.0]])      # sorted by first coordinate
    sd = np.array([[1.0, 0.5], [0.7, 1.2], [1.5, 1.0]])
    x, _ = _mixture(np.random.default_rng(5), R, n, pi, mu, sd)
    be = get_backend("numba")
    m = GMMModel(_settings(), be, rng=be.rng(np.random.SeedSequence(7)))
    m.fit(x)
    pih, muh, vh = np.exp(m.logpi), m.means, m.var
    nk = n * pih
    vc = vh * (nk / (nk - 1.0))[..., None]
    for est, truth in ((pih, pi), (muh, mu), (vc, sd**2)):
        se = est.std(0, ddof=1) / np.sqrt(R)
        assert np.all(np.abs(est.mean(0) - truth) < 3 * se + 1e-12), (est.mean(0), truth, se)


def test_restarts_escape_bad_starts():
    """Five separated clusters of unequal size, K = 5: one k-means++ start sometimes
    puts two centres in one cluster and EM stays in that local optimum; the best of
    six starts reaches the global one in nearly every replicate."""
    R, n = 300, 200
    pi = [0.05, 0.35, 0.2, 0.3, 0.1]
    mu = [[-12.0], [-6.0], [0.0], [6.0], [12.0]]
    x, _ = _mixture(np.random.default_rng(11), R, n, pi, mu, [[1.0]] * 5)
    be = get_backend("numba")
    final = {}
    for S in (1, 6):
        m = GMMModel(_settings(K=5, restarts=S, iterations=60), be,
                     rng=be.rng(np.random.SeedSequence(12)))
        m.fit(x[..., 0])
        final[S] = m.trace[:, -1]
    best = np.maximum(final[1], final[6])
    stuck = {S: np.mean(final[S] < best - 0.05) for S in final}
    assert stuck[1] > 0.05
    assert stuck[6] < stuck[1] / 5
    assert final[6].mean() > final[1].mean()


def _fixed(backend, d=1, vector=True):
    m = GMMModel(_settings(K=2), backend)
    m.logpi = backend.asarray(np.log([[0.3, 0.7]] * 50))
    m.means = backend.asarray(np.array([[[-2.0] * d, [1.0] * d]] * 50))
    m.var = backend.asarray(np.array([[[0.25] * d, [4.0] * d]] * 50))
    m._vector = vector
    return m


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_sample_moments_and_seed(backend):
    """Samples of π = (0.3, 0.7), μ = (−2, 1), v = (0.25, 4): mean 0.1, variance
    E[v] + Var[μ] = 2.875 + 1.89, within 3 standard errors; same seed, same samples."""
    be = get_backend(backend)
    m = _fixed(be, vector=False)
    s = be.to_numpy(m.sample(400, be.rng(np.random.SeedSequence(3))))
    assert s.shape == (50, 400)
    np.testing.assert_array_equal(s, be.to_numpy(m.sample(400, be.rng(np.random.SeedSequence(3)))))
    mean, var = 0.3 * -2 + 0.7 * 1, 0.3 * 0.25 + 0.7 * 4 + 0.3 * 0.7 * 9
    assert abs(s.mean() - mean) < 3 * np.sqrt(var / s.size)
    v = s.var(1, ddof=1)
    assert abs(v.mean() - var) < 3 * v.std(ddof=1) / np.sqrt(len(v))


def test_loglik_and_assign_are_the_mixture_density():
    be = get_backend("numpy")
    m = _fixed(be, d=2)
    x = np.random.default_rng(4).normal(0, 2, (50, 30, 2))
    comp = [np.log(p) + norm.logpdf(x, mu, s).sum(-1) for p, mu, s in ((0.3, -2, 0.5), (0.7, 1, 2))]
    np.testing.assert_allclose(m.loglik(x), np.logaddexp(*comp).mean(-1), rtol=1e-12)
    np.testing.assert_array_equal(m.assign(x), (comp[1] > comp[0]).astype(int))


def test_fit_needs_rng():
    with pytest.raises(ValueError, match="rng"):
        GMMModel(_settings(), NP).fit(np.zeros((2, 10)))


@pytest.mark.parametrize("backend", ["numpy", "numba", "torch"])
def test_replicate_alone_equals_itself_in_the_batch(backend):
    """With the domain's per-replicate draws, replicate 2 fitted and sampled alone is
    bitwise replicate 2 of a batch of four (CPU)."""
    from collapsesim.domains.model_collapse.cells import Draws

    be = get_backend(backend)
    x, _ = _mixture(np.random.default_rng(0), 4, 100, [0.5, 0.5], [[0, 0], [5, 5]], [[1, 1], [1, 1]])
    out = []
    for rows in ([0, 1, 2, 3], [2]):
        draws = Draws(be, be.row_rngs([np.random.SeedSequence(10 + r) for r in rows]))
        m = GMMModel(_settings(iterations=30), be, rng=draws.rng)
        m.fit(x[rows])
        out.append((be.to_numpy(m.means), be.to_numpy(m.var), be.to_numpy(m.sample(5, draws))))
    for a, b in zip(*out):
        np.testing.assert_array_equal(a[2], b[0])
