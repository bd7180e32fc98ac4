"""The batched networks: shapes, BatchNorm against torch's, and bitwise batch
invariance of every layer on CPU (replicate r alone = replicate r in a stack)."""

import pytest
import torch
import torch.nn.functional as F

from collapsesim.domains.gan.params import DiscriminatorParams, GeneratorParams, MinibatchDiscrimination
from collapsesim.nets import (BN_EPS, batch_norm_eval, batch_norm_train, discriminator, elementwise,
                             generator, init_discriminator, init_generator, linear,
                             minibatch_features)


def _gens(n, seed=0):
    return [torch.Generator().manual_seed(seed + i) for i in range(n)]


def _grads_alone_and_stacked(fn, *tensors, r=2):
    """Outputs and input gradients of replicate ``r`` computed in the stack and alone."""
    torch.manual_seed(1)
    stacked = [t.clone().requires_grad_(True) for t in tensors]
    alone = [t[r:r + 1].clone().requires_grad_(True) for t in tensors]
    out_s, out_a = fn(*stacked), fn(*alone)
    w = torch.randn_like(out_s)
    (out_s * w).sum().backward()
    (out_a * w[r:r + 1]).sum().backward()
    return (out_s[r], out_a[0]), [(s.grad[r], a.grad[0]) for s, a in zip(stacked, alone)]


@pytest.mark.parametrize("n_in,n_out", [(2, 400), (400, 400), (400, 2), (200, 1), (69, 1), (6, 1000)])
@pytest.mark.parametrize("batch", [100, 37])
def test_linear_is_batch_invariant(n_in, n_out, batch):
    R = 5
    x, w, b = torch.randn(R, batch, n_in), torch.randn(R, n_in, n_out), torch.randn(R, n_out)
    (o_s, o_a), grads = _grads_alone_and_stacked(linear, x, w, b)
    assert torch.equal(o_s, o_a)
    for g_s, g_a in grads:
        assert torch.equal(g_s, g_a)


@pytest.mark.parametrize("fn", [F.softplus, torch.exp], ids=["softplus", "exp"])
@pytest.mark.parametrize("n", [100, 50, 37])
def test_elementwise_is_batch_invariant(fn, n):
    x = 3 * torch.randn(3, n, 1)
    (o_s, o_a), [(g_s, g_a)] = _grads_alone_and_stacked(lambda t: elementwise(fn, t), x)
    assert torch.equal(o_s, o_a) and torch.equal(g_s, g_a)
    torch.testing.assert_close(elementwise(fn, x), fn(x), rtol=1e-6, atol=0)


def test_minibatch_features_are_batch_invariant_and_correct():
    R, B, A = 4, 50, 16
    f, T = torch.randn(R, B, A), 0.1 * torch.randn(R, A, 15)
    (o_s, o_a), grads = _grads_alone_and_stacked(lambda a, b: minibatch_features(a, b, 5), f, T)
    assert torch.equal(o_s, o_a) and all(torch.equal(*g) for g in grads)
    out = minibatch_features(f, T, 5)
    M = (f[1] @ T[1]).view(B, 5, 3)
    o = sum(torch.exp(-(M[0] - M[j]).abs().sum(-1)) for j in range(1, B))
    torch.testing.assert_close(out[1, 0, A:], o)
    assert torch.equal(out[..., :A], f)


@pytest.mark.parametrize("groups", [1, 2])
def test_batch_norm_matches_torch_per_group_and_updates_population_statistics(groups):
    R, B, C = 3, 32, 10
    x = torch.randn(R, groups * B, C) * 2 + 1
    gamma, beta = torch.rand(R, C) + 0.5, torch.randn(R, C)
    mean, std = torch.zeros(R, C), torch.ones(R, C)
    y = batch_norm_train(x, gamma, beta, mean, std, momentum=0.05, groups=groups)
    for r in range(R):
        bn = torch.nn.BatchNorm1d(C, eps=BN_EPS)
        with torch.no_grad():
            bn.weight.copy_(gamma[r])
            bn.bias.copy_(beta[r])
        blocks = x[r].view(groups, B, C)
        for i in range(groups):
            torch.testing.assert_close(y[r, i * B:(i + 1) * B], bn(blocks[i]), rtol=1e-5, atol=1e-5)
        batch_std = torch.sqrt(blocks.var(dim=1, unbiased=False) + BN_EPS).mean(0)
        torch.testing.assert_close(mean[r], 0.05 * blocks.mean(dim=1).mean(0))
        torch.testing.assert_close(std[r], 0.95 + 0.05 * batch_std)
    expected = (x - mean[:, None]) / std[:, None] * gamma[:, None] + beta[:, None]
    torch.testing.assert_close(batch_norm_eval(x, gamma, beta, mean, std), expected)


def test_networks_shapes_init_and_invariance():
    gcfg, dcfg = GeneratorParams(hidden=32, layers=3), DiscriminatorParams(hidden=16, layers=2, pieces=5)
    mbd = MinibatchDiscrimination(kernels=4, dims=3)
    gens = _gens(3)
    gp, stats = init_generator(gcfg, 0.02, gens)
    dp = init_discriminator(dcfg, 4, mbd, 0.02, gens)
    assert gp["g0.w"].shape == (3, 2, 32) and gp["gout.w"].shape == (3, 32, 2) and "g0.b" not in gp
    assert dp["d0.w"].shape == (3, 4, 80) and dp["mbd.T"].shape == (3, 16, 12)
    assert dp["dout.w"].shape == (3, 20, 1)
    assert abs(float(gp["g1.w"].std()) - 0.02) < 0.002 and float(gp["gout.b"].abs().sum()) == 0
    # replicate 2's weights are those a lone replicate seeded like it draws
    gp_alone, _ = init_generator(gcfg, 0.02, _gens(1, seed=2))
    assert all(torch.equal(gp[k][2], gp_alone[k][0]) for k in gp)
    z = torch.randn(3, 64, 2)
    x = generator(gp, stats, z, gcfg, training=True, momentum=0.05, groups=2)
    assert x.shape == (3, 64, 2)
    gp2, stats2 = init_generator(gcfg, 0.02, _gens(3))  # a fresh copy of gp, stats
    x_alone = generator({k: v[2:] for k, v in gp2.items()}, {k: v[2:] for k, v in stats2.items()},
                        z[2:], gcfg, training=True, momentum=0.05, groups=2)
    assert torch.equal(x[2], x_alone[0]) and torch.equal(stats["g1.std"][2], stats2["g1.std"][2])
    logits, feats = discriminator(dp, x.reshape(3, 32, 4), dcfg, mbd)
    assert logits.shape == (3, 32, 1) and feats.shape == (3, 32, 16)
    x_eval = generator(gp, stats, z, gcfg, training=False, momentum=0.05)
    x_eval_alone = generator({k: v[2:] for k, v in gp.items()}, {k: v[2:] for k, v in stats.items()},
                             z[2:], gcfg, training=False, momentum=0.05)
    assert torch.equal(x_eval[2], x_eval_alone[0])
