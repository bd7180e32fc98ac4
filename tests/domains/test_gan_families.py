"""The remedy families of issue #16 in the gan domain: entropy regularisation
(Kozachenko–Leonenko), GMAN, MGAN and VEEGAN — their mechanics on tiny runs,
batch invariance, checkpoints, and known answers where they exist."""

import math

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from collapsesim.domains.gan import GANParams, GANSimulation
from collapsesim.domains.gan.entropy import kl_entropy
from collapsesim.engine.backends import get_backend
from collapsesim.nets import generator

TINY = {"data": {"n_train": 480}, "generator": {"hidden": 16, "layers": 2},
        "discriminator": {"hidden": 8, "layers": 2, "pieces": 3}, "batch_size": 36,
        "eval": {"samples": 200, "vendi_samples": 50, "pr_samples": 100}}


def _params(**extra):
    return GANParams.model_validate({**TINY, **extra})


def _sim(params, keys, steps=10, seed=7):
    seeds = [np.random.SeedSequence(seed, spawn_key=(k,)) for k in keys]
    return GANSimulation(params, get_backend("torch"), seeds, steps)


def _tensors(sim):
    """Every evolving tensor of ``sim`` by name, replicate dimension first (R, ...)."""
    state = sim.state_dict()
    out = {}
    for group in ("generator", "batchnorm", "discriminator", "reconstructor"):
        for k, v in state.get(group, {}).items():
            out[f"{group}.{k}"] = v.reshape(sim.R, -1)
    return out


def _same_replicate(a, ra, b, rb):
    ta, tb = _tensors(a), _tensors(b)
    return ta.keys() == tb.keys() and all(torch.equal(ta[k][ra], tb[k][rb]) for k in ta)


def _metrics_equal(x, y):
    return x.keys() == y.keys() and all(
        (math.isnan(x[k]) and math.isnan(y[k])) or x[k] == y[k] for k in x)


def _alone_equals_in_batch(p, steps=3):
    batch, alone = _sim(p, [0, 1, 2]), _sim(p, [2])
    for _ in range(steps):
        batch.step()
        alone.step()
    assert _same_replicate(batch, 2, alone, 0)
    assert torch.equal(batch.samples()[2], alone.samples()[0])
    assert _metrics_equal(batch.observe()[2].metrics, alone.observe()[0].metrics)


def _resumes(p, tmp_path):
    straight = _sim(p, [0, 1])
    for _ in range(4):
        straight.step()
    first = _sim(p, [0, 1])
    for _ in range(2):
        first.step()
    first.save(tmp_path / "ckpt.pt")
    resumed = _sim(p, [0, 1])
    resumed.load(tmp_path / "ckpt.pt")
    for _ in range(2):
        resumed.step()
    assert _same_replicate(straight, 0, resumed, 0) and _same_replicate(straight, 1, resumed, 1)
    assert torch.equal(straight.samples(), resumed.samples())


# -- entropy regularisation ---------------------------------------------------------------


@pytest.mark.parametrize("n,k,s", [(100, 1, 0.05), (200, 2, 0.05), (300, 1, 1.0)])
def test_kl_entropy_of_a_gaussian_sample(n, k, s):
    """Ĥ of n points from N(0, s² I₂) against ln(2πe s²): the mean over 64
    replicates within 4 standard errors (the estimator's small-sample bias,
    measured −0.03 at n = 100, k = 1 and −0.025 at n = 200, k = 2, is 1–2
    standard errors here)."""
    g = torch.Generator().manual_seed(n + k)
    x = s * torch.randn(64, n, 2, generator=g, dtype=torch.float64)
    h = kl_entropy(x, k)
    se = float(h.std()) / math.sqrt(len(h))
    assert abs(float(h.mean()) - math.log(2 * math.pi * math.e * s * s)) < 4 * se


def test_kl_entropy_in_one_dimension():
    """d = 1: ln V_1 = ln 2, and N(0, 1) has H = ½ ln(2πe)."""
    g = torch.Generator().manual_seed(3)
    h = kl_entropy(torch.randn(64, 200, 1, generator=g, dtype=torch.float64), 1)
    assert abs(float(h.mean()) - 0.5 * math.log(2 * math.pi * math.e)) < 4 * float(h.std()) / 8


def test_kl_entropy_is_batch_invariant_and_differentiable():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 100, 2, generator=g).requires_grad_(True)
    h = kl_entropy(x)
    assert h.shape == (3,) and h.dtype == torch.float32
    assert torch.equal(kl_entropy(x[2:].detach())[0], h[2].detach())
    (grad,) = torch.autograd.grad(h.sum(), x)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    # spreading the points apart (x → 2x) adds d ln 2 = 2 ln 2 exactly
    torch.testing.assert_close(kl_entropy(2 * x.detach()) - h.detach(),
                               torch.full((3,), 2 * math.log(2)))
    dup = torch.zeros(1, 10, 2)
    assert torch.isfinite(kl_entropy(dup)).all()
    with pytest.raises(ValueError, match="more than k"):
        kl_entropy(x[:, :3], 3)


def test_entropy_term_enters_the_generator_loss():
    p = _params(entropy={"weight": 0.5, "k": 2})
    sim = _sim(p, [0, 1])
    real, z = sim._minibatch()
    fake = sim._generate(z)
    outputs = sim._forward(sim.d_params, sim._d_inputs(real), sim._d_inputs(sim._packs(fake)))
    plain = _sim(_params(), [0, 1])
    torch.testing.assert_close(sim._g_loss(outputs, fake, z),
                               plain._g_loss(outputs, fake, z) - 0.5 * kl_entropy(fake, 2))


def test_entropy_run_is_batch_invariant_and_resumes(tmp_path):
    p = _params(entropy={"weight": 0.5}, pack=2)
    _alone_equals_in_batch(p)
    _resumes(p, tmp_path)
    a, b = _sim(p, [0]), _sim(_params(pack=2), [0])
    for _ in range(2):
        a.step()
        b.step()
    assert not torch.equal(a.samples(), b.samples())  # the switch changes training
    with pytest.raises(ValidationError, match="entropy.k"):
        _params(entropy={"k": 36})


# -- GMAN ----------------------------------------------------------------------------------


def _g_grads(sim):
    """G's loss (R,), its gradient and D's losses on the next minibatch (no update)."""
    real, z = sim._minibatch()
    fake = sim._generate(z)
    r_in, f_in = sim._d_inputs(real), sim._d_inputs(sim._packs(fake))
    outputs = sim._forward(sim.d_params, r_in, f_in)
    d_loss = sim._d_loss(sim.d_params, r_in, f_in, outputs)
    g_loss = sim._g_loss(outputs, fake, z)
    grads = torch.autograd.grad(g_loss.sum(), list(sim.g_params.values()))
    return g_loss, dict(zip(sim.g_params, grads)), d_loss


@pytest.mark.parametrize("extra", [{}, {"pack": 2, "minibatch_discrimination": {}},
                                   {"loss": "wgan-gp", "updates": "alternating"}],
                         ids=["plain", "pack2-mbd", "wgan-gp"])
def test_gman_with_identical_critics_is_the_single_discriminator_gan(extra):
    """M copies of one discriminator combined by their mean give G the gradient
    of that one discriminator, and every copy its loss."""
    single = _sim(_params(**extra), [0, 1])
    gman = _sim(_params(gman={"discriminators": 3}, **extra), [0, 1])
    assert all(torch.equal(gman.g_params[k], single.g_params[k]) for k in single.g_params)
    assert gman.d_params["d0.w"].shape[0] == 6
    assert not torch.equal(gman.d_params["d0.w"][0], gman.d_params["d0.w"][1])
    with torch.no_grad():
        for k, v in gman.d_params.items():
            v.copy_(single.d_params[k].repeat_interleave(3, dim=0))
    loss_1, grads_1, d_1 = _g_grads(single)
    loss_3, grads_3, d_3 = _g_grads(gman)
    torch.testing.assert_close(loss_3, loss_1)
    for k in grads_1:
        torch.testing.assert_close(grads_3[k], grads_1[k])
    torch.testing.assert_close(d_3.view(2, 3), d_1[:, None].expand(2, 3))


def test_gman_softmax_combination():
    """GMAN-λ: λ = 0 is the mean, large λ the largest loss (the hardest critic);
    the weights do not enter the gradient."""
    from collapsesim.domains.gan.losses import combine_critics
    loss = torch.tensor([[0.5, 1.0, 2.0], [3.0, 1.0, 1.0]], requires_grad=True)
    torch.testing.assert_close(combine_critics(loss, "softmax", 0.0), loss.mean(1))
    torch.testing.assert_close(combine_critics(loss, "softmax", 200.0), torch.tensor([2.0, 3.0]))
    w = torch.softmax(loss.detach(), dim=1)
    (grad,) = torch.autograd.grad(combine_critics(loss, "softmax", 1.0).sum(), loss)
    torch.testing.assert_close(grad, w)
    torch.testing.assert_close(combine_critics(loss, "softmax", 1.0), (w * loss.detach()).sum(1))


@pytest.mark.parametrize("combine", ["mean", "softmax"])
def test_gman_run_is_batch_invariant_and_resumes(combine, tmp_path):
    p = _params(gman={"discriminators": 3, "combine": combine, "lam": 2.0})
    _alone_equals_in_batch(p)
    _resumes(p, tmp_path)
    sim = _sim(p, [0, 1])
    before = sim.d_params["d0.w"].detach().clone()
    sim.step()
    assert all(not torch.equal(sim.d_params["d0.w"][i], before[i]) for i in range(6))
    assert sim.last_losses.shape == (2, 2) and torch.isfinite(sim.last_losses).all()


def test_families_refuse_what_they_do_not_implement():
    for family in ({"gman": {}}, {"mgan": {}}, {"veegan": {}}):
        with pytest.raises(ValidationError, match="unrolled_steps = 0"):
            _params(unrolled_steps=2, **family)
    with pytest.raises(ValidationError, match="at most one of gman, mgan and veegan"):
        _params(gman={}, mgan={})


# -- MGAN ----------------------------------------------------------------------------------

NO_BN = {"generator": {"hidden": 16, "layers": 2, "batchnorm": False}}


def test_mgan_with_identical_generators_is_the_single_generator_gan():
    """K copies of one generator (no BatchNorm) with β = 0 make the single
    generator's batch; G's gradient summed over the copies is the single
    generator's, and D's loss is the single GAN's plus the classifier's
    cross-entropy (≈ ln K at initialisation, the logits being ≈ 0)."""
    single = _sim(_params(**NO_BN), [0, 1])
    mgan = _sim(_params(mgan={"generators": 4, "beta": 0.0}, **NO_BN), [0, 1])
    assert mgan.g_params["g0.w"].shape[0] == 8 and "cls.w" in mgan.d_params
    assert not torch.equal(mgan.g_params["g0.w"][0], mgan.g_params["g0.w"][1])
    with torch.no_grad():
        for k, v in mgan.g_params.items():
            v.copy_(single.g_params[k].repeat_interleave(4, dim=0))
        for k, v in single.d_params.items():
            mgan.d_params[k].copy_(v)
    loss_1, grads_1, d_1 = _g_grads(single)
    loss_4, grads_4, d_4 = _g_grads(mgan)
    torch.testing.assert_close(loss_4, loss_1)
    for k in grads_1:
        torch.testing.assert_close(grads_4[k].view(2, 4, *grads_1[k].shape[1:]).sum(1), grads_1[k])
    ce = d_4 - d_1
    torch.testing.assert_close(ce, torch.full((2,), math.log(4)), atol=1e-3, rtol=0)


def test_mgan_splits_every_batch_among_the_generators():
    p = _params(mgan={"generators": 3}, pack=2)
    sim = _sim(p, [0])
    _, z = sim._minibatch()  # (1, 2·36, 2): 2 batches of 36, 12 per generator in each
    with torch.no_grad():
        fake = sim._generate(z)
        for k in range(3):
            gk = {n: v[k:k + 1] for n, v in sim.g_params.items()}
            sk = {n: v[k:k + 1].clone() for n, v in sim.g_stats.items()}
            zk = z.view(1, 2, 3, 12, 2)[:, :, k].reshape(1, 24, 2)
            mine = generator(gk, sk, zk, p.generator, training=True, momentum=p.bn_momentum, groups=2)
            torch.testing.assert_close(fake.view(1, 2, 3, 12, 2)[:, :, k].reshape(1, 24, 2), mine)
        # evaluation: sample j is generator j mod 3's, BatchNorm by its own statistics
        x = sim.samples()
        for k in range(3):
            gk = {n: v[k:k + 1] for n, v in sim.g_params.items()}
            sk = {n: v[k:k + 1] for n, v in sim.g_stats.items()}
            mine = generator(gk, sk, sim.eval_z[:, k::3], p.generator, training=False,
                             momentum=p.bn_momentum)
            assert torch.equal(x[:, k::3], mine)
    assert not torch.equal(sim.g_stats["g0.mean"][0], sim.g_stats["g0.mean"][1])


def test_mgan_beta_enters_the_generator_loss():
    a = _sim(_params(mgan={"generators": 4, "beta": 0.0}), [0])
    b = _sim(_params(mgan={"generators": 4, "beta": 2.0}), [0])
    loss_a, grads_a, _ = _g_grads(a)
    loss_b, grads_b, _ = _g_grads(b)
    assert float((loss_b - loss_a).detach()) == pytest.approx(2.0 * math.log(4), abs=2e-3)
    assert not torch.allclose(grads_a["gout.w"], grads_b["gout.w"])


def test_mgan_run_is_batch_invariant_and_resumes(tmp_path):
    p = _params(mgan={"generators": 3}, pack=2, minibatch_discrimination={})
    _alone_equals_in_batch(p)
    _resumes(p, tmp_path)
    with pytest.raises(ValidationError, match="batch_size divisible by mgan.generators = 5"):
        _params(mgan={"generators": 5})


# -- VEEGAN --------------------------------------------------------------------------------


def test_veegan_discriminator_sees_joint_pairs():
    p = _params(veegan={"hidden": 12, "layers": 2}, generator={"hidden": 16, "layers": 2, "z_dim": 3})
    sim = _sim(p, [0, 1])
    assert sim.d_params["d0.w"].shape[1] == 2 + 3 and sim.f_params["fout.w"].shape == (2, 12, 3)
    real, z = sim._minibatch()
    fake = sim._generate(z)
    real_in, fake_in = sim._inputs(real, z, fake)
    assert real_in.shape == fake_in.shape == (2, 36, 5)
    assert torch.equal(real_in[..., 3:], real[:, :, 0]) and torch.equal(fake_in, torch.cat([z, fake], -1))
    torch.testing.assert_close(real_in[..., :3], sim._reconstruct(real[:, :, 0]))


def test_veegan_objective_and_who_it_trains():
    """G and F minimise −E d(z, G(z)) + w E‖z − F(G(z))‖² (Alg. 1): F's gradient
    comes from the reconstruction term alone (zero at w = 0), G's from both."""
    grads = {}
    for w in (0.0, 1.0):
        sim = _sim(_params(veegan={"weight": w}), [0, 1])
        real, z = sim._minibatch()
        fake = sim._generate(z)
        outputs = sim._forward(sim.d_params, *sim._inputs(real, z, fake))
        loss = sim._g_loss(outputs, fake, z)
        recon = ((z - sim._reconstruct(fake)) ** 2).sum(-1).mean(1)
        torch.testing.assert_close(loss, -outputs[1].mean(dim=(1, 2)) + w * recon)
        params = [*sim.g_params.values(), *sim.f_params.values()]
        grads[w] = torch.autograd.grad(loss.sum(), params, allow_unused=True)
    n_g = len(sim.g_params)
    assert all(g is None or not g.any() for g in grads[0.0][n_g:])
    assert all(g is not None and g.any() for g in grads[1.0][n_g:])
    assert not torch.equal(grads[0.0][0], grads[1.0][0])


@pytest.mark.parametrize("updates", ["simultaneous", "alternating"])
def test_veegan_run_is_batch_invariant_and_resumes(updates, tmp_path):
    p = _params(veegan={"hidden": 12}, updates=updates, instance_noise=0.1)
    _alone_equals_in_batch(p)
    _resumes(p, tmp_path)
    sim = _sim(p, [0])
    before = {k: v.detach().clone() for k, v in sim.f_params.items()}
    sim.step()
    assert all(not torch.equal(before[k], v) for k, v in sim.f_params.items())
    assert "reconstructor" in sim.state_dict() and "reconstructor" not in _sim(_params(), [0]).state_dict()


@pytest.mark.parametrize("extra", [{"pack": 2}, {"loss": "minimax"}, {"loss": "wgan-gp"},
                                   {"minibatch_discrimination": {}}, {"feature_matching": True}])
def test_veegan_refuses_what_it_does_not_implement(extra):
    with pytest.raises(ValidationError, match="with veegan"):
        _params(veegan={}, **extra)
