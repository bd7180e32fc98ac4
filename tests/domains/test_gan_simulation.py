"""The batched GAN simulation: reproducibility contracts, every model switch,
checkpoints, divergence, and the conformance suite."""

import math

import numpy as np
import pytest
import torch

from collapsesim.domains.base import DivergenceError
from collapsesim.domains.gan import GANParams, GANSimulation
from collapsesim.engine.backends import get_backend

TINY = {"data": {"n_train": 500}, "generator": {"hidden": 16, "layers": 2},
        "discriminator": {"hidden": 8, "layers": 2, "pieces": 3}, "batch_size": 37,
        "eval": {"samples": 200, "vendi_samples": 50, "pr_samples": 100}}

VARIANTS = {
    "vanilla": {},
    "minimax": {"loss": "minimax"},
    "alternating": {"updates": "alternating", "d_steps": 2},
    "pac3": {"pack": 3},
    "wgan-clip": {"loss": "wgan", "updates": "alternating", "d_steps": 3,
                  "optimizer": {"name": "rmsprop", "lr_d": 5e-5, "lr_g": 5e-5, "beta2": 0.99}},
    "wgan-gp": {"loss": "wgan-gp", "updates": "alternating", "d_steps": 2},
    "minibatch": {"minibatch_discrimination": {"kernels": 4, "dims": 3}},
    "feature-matching": {"feature_matching": True},
    "unrolled": {"unrolled_steps": 3},
    "smoothing+noise": {"label_smoothing": 0.1, "instance_noise": 0.1},
    "mode-seeking": {"mode_seeking": 1.0},
    "grid-unequal": {"data": {"kind": "grid", "K": 9, "weights": [3, 1, 1, 1, 1, 1, 1, 1, 1],
                              "n_train": 500}},
}


def _params(**extra):
    return GANParams.model_validate({**TINY, **extra})


def _sim(params, keys, steps=10, seed=7):
    seeds = [np.random.SeedSequence(seed, spawn_key=(k,)) for k in keys]
    return GANSimulation(params, get_backend("torch"), seeds, steps)


def _same_state(a, ra, b, rb):
    return all(torch.equal(a.g_params[k][ra], b.g_params[k][rb]) for k in a.g_params) and \
        all(torch.equal(a.d_params[k][ra], b.d_params[k][rb]) for k in a.d_params) and \
        all(torch.equal(a.g_stats[k][ra], b.g_stats[k][rb]) for k in a.g_stats)


def _metrics_equal(x, y):
    return x.keys() == y.keys() and all(
        (math.isnan(x[k]) and math.isnan(y[k])) or x[k] == y[k] for k in x)


@pytest.mark.parametrize("variant", list(VARIANTS), ids=list(VARIANTS))
def test_replicate_alone_equals_replicate_in_batch(variant):
    p = _params(**VARIANTS[variant])
    batch, alone = _sim(p, [0, 1, 2]), _sim(p, [2])
    for _ in range(4):
        batch.step()
        alone.step()
    assert _same_state(batch, 2, alone, 0)
    ob, oa = batch.observe()[2], alone.observe()[0]
    assert _metrics_equal(ob.metrics, oa.metrics)
    assert np.array_equal(ob.series["modes"].abundances, oa.series["modes"].abundances)
    assert torch.equal(ob.samples, oa.samples)
    assert all(math.isfinite(v) for k, v in ob.metrics.items() if k != "reverse_kl")


def test_replicates_differ_and_observing_does_not_change_training():
    p = _params()
    a, b = _sim(p, [0, 1]), _sim(p, [0, 1])
    for _ in range(3):
        a.step()
        a.observe()
        b.step()
    assert _same_state(a, 0, b, 0) and _same_state(a, 1, b, 1)
    assert not torch.equal(a.g_params["g0.w"][0], a.g_params["g0.w"][1])


def test_checkpoint_resumes_to_the_same_numbers(tmp_path):
    p = _params(instance_noise=0.2)
    straight = _sim(p, [0, 1])
    for _ in range(6):
        straight.step()
    first = _sim(p, [0, 1])
    for _ in range(3):
        first.step()
    first.save(tmp_path / "ckpt.pt")
    resumed = _sim(p, [0, 1])
    resumed.load(tmp_path / "ckpt.pt")
    assert resumed.t == 3
    for _ in range(3):
        resumed.step()
    assert _same_state(straight, 0, resumed, 0) and _same_state(straight, 1, resumed, 1)
    assert _metrics_equal(straight.observe()[1].metrics, resumed.observe()[1].metrics)
    with pytest.raises(ValueError, match="other parameters"):
        _sim(_params(pack=2), [0, 1]).load(tmp_path / "ckpt.pt")


def test_packing_feeds_m_samples_per_discriminator_input():
    sim = _sim(_params(pack=4), [0])
    assert sim.d_params["d0.w"].shape[1] == 8
    real, z = sim._minibatch()
    assert real.shape == (1, 37, 4, 2) and z.shape == (1, 4 * 37, 2)
    packed = sim._d_inputs(real)
    assert packed.shape == (1, 37, 8) and torch.equal(packed[0, 1], real[0, 1].reshape(8))
    fake = torch.arange(4 * 37 * 2, dtype=torch.float32).view(1, 4 * 37, 2)
    fake_packs = sim._d_inputs(sim._packs(fake))  # pack j = sample j of each of the 4 batches
    assert torch.equal(fake_packs[0, 5], torch.cat([fake[0, 5 + 37 * i] for i in range(4)]))


def test_epochs_visit_every_training_example_once():
    sim = _sim(_params(data={"n_train": 74}), [0])  # two minibatches of 37 per epoch
    seen = torch.cat([sim._minibatch()[0][0] for _ in range(2)])
    assert torch.equal(seen.sort(dim=0).values, sim.data[0].sort(dim=0).values)
    third = sim._minibatch()[0][0]
    assert not torch.equal(third, seen[:37]) and sim.cursor == 37


def test_wgan_clipping_bounds_the_critic():
    sim = _sim(_params(**VARIANTS["wgan-clip"]), [0])
    sim.step()
    assert all(float(v.detach().abs().max()) <= 0.01 for v in sim.d_params.values())


def test_instance_noise_anneals_linearly_to_zero():
    sim = _sim(_params(instance_noise=0.3), [0], steps=10)
    assert sim.noise_std(1) == pytest.approx(0.3)
    assert sim.noise_std(6) == pytest.approx(0.15)
    assert sim.noise_std(11) == 0 and sim.noise_std(50) == 0
    assert _sim(_params(instance_noise=0.3, instance_noise_steps=2), [0]).noise_std(2) == pytest.approx(0.15)


def test_unrolled_discriminator_equals_k_real_updates():
    """The unrolled parameters are k optimiser steps on the same minibatch, and the
    generator's gradient flows through them (it differs from k = 0)."""
    sim = _sim(_params(unrolled_steps=3), [0, 1])
    real, z = sim._minibatch()
    fake = sim._generate(z)
    r_in, f_in = sim._d_inputs(real), sim._d_inputs(fake)
    grads = sim._d_grads(sim._d_loss(sim.d_params, r_in, f_in), create_graph=True)
    unrolled = sim._unrolled(grads, r_in, f_in)
    copy = _sim(_params(unrolled_steps=3), [0, 1])
    for _ in range(3):
        copy._apply_d(copy._d_grads(copy._d_loss(copy.d_params, r_in.detach(), f_in.detach())))
    for k in unrolled:
        torch.testing.assert_close(unrolled[k], copy.d_params[k], rtol=1e-5, atol=1e-7)
    loss_k = sim._g_loss(sim._forward(unrolled, r_in, f_in), fake, z).sum()
    loss_0 = sim._g_loss(sim._forward(sim.d_params, r_in, f_in), fake, z).sum()
    g_k = torch.autograd.grad(loss_k, sim.g_params["gout.w"], retain_graph=True)[0]
    g_0 = torch.autograd.grad(loss_0, sim.g_params["gout.w"])[0]
    assert not torch.allclose(g_k, g_0)


def test_nan_loss_raises_divergence():
    sim = _sim(_params(), [0, 1])
    with torch.no_grad():
        sim.d_params["dout.b"][1] = float("nan")
    with pytest.raises(DivergenceError, match="loss"):
        sim.step()


def test_observation_before_training():
    obs = _sim(_params(), [0, 1]).observe()
    assert len(obs) == 2
    o = obs[0]
    assert o.series["modes"].abundances.shape == (8,)
    np.testing.assert_allclose(o.series["modes"].reference, np.full(8, 1 / 8))
    assert o.samples.shape == (50, 2) and math.isnan(o.metrics["d_loss"])
    assert {"modes_captured", "modes_captured_thresholded", "hq_fraction", "reverse_kl", "loglik",
            "precision", "recall", "d_loss", "g_loss"} <= set(o.metrics)

