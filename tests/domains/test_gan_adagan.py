"""AdaGAN (Tolstikhin et al. 2017): the λ* solver of the boosting weights, the
mixture's deterministic shares, reweighting towards missed modes, checkpoint
resume and batch invariance."""

import math

import numpy as np
import pytest
import torch

from collapsesim.domains.gan import GANParams, GANSimulation
from collapsesim.domains.gan.adagan import (
    AdaGANSimulation,
    boosting_weights,
    mixture_bounds,
)
from collapsesim.engine.backends import get_backend
from collapsesim.nets import generator

TINY = {"data": {"n_train": 300}, "generator": {"hidden": 16, "layers": 2},
        "discriminator": {"hidden": 8, "layers": 2, "pieces": 3}, "batch_size": 37,
        "eval": {"samples": 200, "vendi_samples": 50, "pr_samples": 100},
        "adagan": {"rounds": 3, "classifier_steps": 5}}


def _params(**extra):
    return GANParams.model_validate({**TINY, **extra})


def _sim(params, keys, steps=9, seed=7):
    seeds = [np.random.SeedSequence(seed, spawn_key=(k,)) for k in keys]
    return AdaGANSimulation(params, get_backend("torch"), seeds, steps)


def _same_rounds(a, ra, b, rb):
    assert len(a.rounds) == len(b.rounds) and a.weights == b.weights
    assert torch.equal(a.data_weights[ra], b.data_weights[rb])
    for x, y in zip(a.rounds, b.rounds):
        for mine, theirs in ((x.g_params, y.g_params), (x.d_params, y.d_params)):
            assert all(torch.equal(mine[k][ra], theirs[k][rb]) for k in mine)
        assert torch.equal(x.data[ra], y.data[rb])


def _metrics_equal(x, y):
    return x.keys() == y.keys() and all(
        (math.isnan(x[k]) and math.isnan(y[k])) or x[k] == y[k] for k in x)


def _lambda_by_bisection(h: np.ndarray, beta: float) -> float:
    """λ with Σ (λ − (1 − β) h)₊ = β N, by bisection (independent of the sort)."""
    lo, hi = 0.0, beta * len(h) + (1 - beta) * h.max() + 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.maximum(mid - (1 - beta) * h, 0).sum() < beta * len(h) else (lo, mid)
    return 0.5 * (lo + hi)


@pytest.mark.parametrize("beta", [0.1, 0.5, 0.9])
def test_boosting_weights_solve_theorem_1(beta):
    h = torch.from_numpy(np.random.default_rng(3).exponential(1.0, (3, 400)) ** 2)
    w = boosting_weights(h, beta)
    assert torch.allclose(w.sum(1), torch.ones(3, dtype=torch.float64), rtol=0, atol=1e-12)
    assert (w >= 0).all()
    for r in range(3):
        lam = _lambda_by_bisection(h[r].numpy(), beta)
        expect = np.maximum(lam - (1 - beta) * h[r].numpy(), 0) / (beta * 400)
        np.testing.assert_allclose(w[r].numpy(), expect, rtol=0, atol=1e-10)
        zero = w[r] == 0  # zero exactly on the largest h: a threshold in h
        assert zero.any() and (h[r][zero].min() >= h[r][~zero].max())
    ones = boosting_weights(torch.ones(2, 50), beta)
    assert torch.allclose(ones, torch.full((2, 50), 1 / 50, dtype=torch.float64), rtol=0, atol=1e-15)


def test_boosting_weights_put_all_mass_where_the_model_is_absent():
    """h = 0 on a quarter of the points and 8 on the rest: with β = 1/2 the
    covered points' (1 − β) h = 4 exceeds λ* = βN/(N/4) = 2, so the missing
    quarter takes all the weight, 4/N each."""
    h = torch.full((1, 400), 8.0)
    h[0, ::4] = 0.0
    w = boosting_weights(h, 0.5)
    assert torch.allclose(w[0, ::4], torch.full((100,), 1 / 100, dtype=torch.float64))
    assert float(w.sum() - w[0, ::4].sum()) == 0.0


def test_mixture_bounds_and_samples_follow_the_weights():
    assert mixture_bounds([0.5, 0.25, 0.25], 200) == [0, 100, 150, 200]
    assert mixture_bounds([1 / 3] * 3, 100) == [0, 33, 67, 100]
    p = _params(adagan={"rounds": 2, "beta": 0.25, "classifier_steps": 3})
    sim = _sim(p, [0, 1], steps=4)
    for _ in range(3):  # into round 2
        sim.step()
    assert len(sim.rounds) == 2 and sim.weights == [0.75, 0.25]
    x, z = sim.samples(), sim.eval_z
    for k, (lo, hi) in enumerate([(0, 150), (150, 200)]):
        g = sim.rounds[k]
        own = generator(g.g_params, g.g_stats, z[:, lo:hi], p.generator, training=False,
                        momentum=p.bn_momentum)
        assert torch.equal(x[:, lo:hi], own)


def test_shared_training_and_evaluation_sets_are_the_vanilla_gans():
    p = _params()
    ada, gan = _sim(p, [0, 1]), GANSimulation(
        p.model_copy(update={"adagan": None}), get_backend("torch"),
        [np.random.SeedSequence(7, spawn_key=(k,)) for k in [0, 1]], 9)
    assert torch.equal(ada.data, gan.data) and torch.equal(ada.eval_z, gan.eval_z)
    assert torch.equal(ada.eval_real, gan.eval_real)
    short = _sim(p, [0], steps=2)  # fewer steps than rounds: one round per step
    short.step()
    short.step()
    assert short.ends == [1, 2] and len(short.rounds) == 2 and short.weights == [0.5, 0.5]


def test_reweighting_moves_the_weight_to_the_modes_the_mixture_misses():
    """Data on the 8-mode ring, the model = mode 0 only. Under uniform weights the
    other 7 modes hold 7/8 of the points (±0.011, one binomial s.d. at N = 1000);
    the density ratio is ≈ 8 on mode 0 and ≈ 0 elsewhere, so with β = 1/2 Theorem
    1 gives mode 0 no weight: the missed modes must carry > 0.99, 10 s.d. above
    what no information gives."""
    p = _params(data={"n_train": 1000}, batch_size=100,
                discriminator={"hidden": 32, "layers": 2, "pieces": 3},
                optimizer={"lr_d": 0.01, "beta1": 0.5},
                adagan={"rounds": 2, "classifier_steps": 200})
    sim = _sim(p, [0, 1])
    points = sim.data.view(2, -1, 2)
    mode0 = torch.as_tensor(sim.mixture.means[0], dtype=torch.float32)
    gen = torch.Generator().manual_seed(11)
    model = (mode0 + 0.01 * torch.randn(2, 1000, 2, generator=gen)).float()
    with torch.no_grad():
        in_mode0 = ((points - mode0) ** 2).sum(-1) < 0.1**2
    w = boosting_weights(sim._density_ratio(points, model), 0.5)
    missed = (w * ~in_mode0).sum(1)
    assert (in_mode0.double().mean(1) > 0.08).all()  # the data do hold mode 0
    assert (missed > 0.99).all(), missed


def test_checkpoint_mid_round_two_resumes_bitwise(tmp_path):
    p = _params(instance_noise=0.2)
    straight = _sim(p, [0, 1])
    for _ in range(9):
        straight.step()
    first = _sim(p, [0, 1])
    for _ in range(5):  # rounds of 3 steps: stop inside round 2
        first.step()
    assert len(first.rounds) == 2
    first.save(tmp_path / "ckpt.pt")
    resumed = _sim(p, [0, 1])
    resumed.load(tmp_path / "ckpt.pt")
    assert resumed.t == 5
    for _ in range(4):
        resumed.step()
    assert len(straight.rounds) == 3
    _same_rounds(straight, 0, resumed, 0)
    _same_rounds(straight, 1, resumed, 1)
    assert _metrics_equal(straight.observe()[1].metrics, resumed.observe()[1].metrics)
    with pytest.raises(ValueError, match="other parameters"):
        _sim(_params(pack=2), [0, 1]).load(tmp_path / "ckpt.pt")


def test_replicate_alone_equals_replicate_in_batch():
    p = _params(pack=2)
    batch, alone = _sim(p, [0, 1, 2]), _sim(p, [2])
    for _ in range(9):
        batch.step()
        alone.step()
    _same_rounds(batch, 2, alone, 0)
    ob, oa = batch.observe()[2], alone.observe()[0]
    assert _metrics_equal(ob.metrics, oa.metrics)
    assert np.array_equal(ob.series["modes"].abundances, oa.series["modes"].abundances)
    assert torch.equal(ob.samples, oa.samples)
    # the rounds' resamples differ from the training set and between replicates
    assert not torch.equal(batch.rounds[2].data[0], batch.data[0])
    assert not torch.equal(batch.data_weights[0], batch.data_weights[1])


def test_domain_builds_adagan_only_when_switched_on():
    """The registered domain dispatches on ``params.adagan``: with it, the runner
    trains the boosted mixture (one round per chunk of steps); without it, a plain GAN."""
    from collapsesim.domains.gan import GAN

    backend, seeds = get_backend("torch"), [np.random.SeedSequence(3)]
    assert isinstance(GAN().build(_params(), backend=backend, seeds=seeds, steps=6),
                      AdaGANSimulation)
    plain = GAN().build(_params(adagan=None), backend=backend, seeds=seeds, steps=6)
    assert type(plain) is GANSimulation
