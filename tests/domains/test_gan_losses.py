"""GAN objectives and regularisers against their closed forms."""

import math

import pytest
import torch

from collapsesim.domains.gan import losses


def test_cross_entropy_losses_at_indifference():
    zero = torch.zeros(2, 10, 1)
    d = losses.discriminator_loss("nonsaturating", zero, zero)
    torch.testing.assert_close(d, torch.full((2,), 2 * math.log(2)))
    torch.testing.assert_close(losses.generator_loss("nonsaturating", zero), torch.full((2,), math.log(2)))
    torch.testing.assert_close(losses.generator_loss("minimax", zero), torch.full((2,), -math.log(2)))


def test_losses_match_binary_cross_entropy_and_smoothing():
    torch.manual_seed(0)
    real, fake = torch.randn(3, 20, 1), torch.randn(3, 20, 1)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    for s in (0.0, 0.1):
        expected = torch.stack([bce(real[r], torch.full_like(real[r], 1 - s))
                                + bce(fake[r], torch.zeros_like(fake[r]))
                                for r in range(3)])
        torch.testing.assert_close(losses.discriminator_loss("nonsaturating", real, fake, s), expected)
    ns = torch.stack([bce(fake[r], torch.ones_like(fake[r])) for r in range(3)])
    torch.testing.assert_close(losses.generator_loss("nonsaturating", fake), ns)
    mm = torch.stack([torch.log(1 - torch.sigmoid(fake[r])).mean() for r in range(3)])
    torch.testing.assert_close(losses.generator_loss("minimax", fake), mm, rtol=1e-5, atol=1e-6)


def test_wasserstein_losses():
    real, fake = torch.full((1, 4, 1), 2.0), torch.full((1, 4, 1), -1.0)
    assert losses.discriminator_loss("wgan", real, fake).item() == pytest.approx(-3.0)
    assert losses.generator_loss("wgan-gp", fake).item() == pytest.approx(1.0)


def test_gradient_penalty_of_a_linear_critic():
    w = torch.tensor([3.0, 4.0])  # ‖∇‖ = 5 everywhere → penalty (5 − 1)² = 16
    real, fake = torch.randn(2, 8, 2), torch.randn(2, 8, 2)
    gp = losses.gradient_penalty(lambda x: (x * w).sum(-1, keepdim=True), real, fake, torch.rand(2, 8, 1))
    torch.testing.assert_close(gp, torch.full((2,), 16.0))


def test_feature_matching_and_mode_seeking():
    fr, ff = torch.zeros(1, 5, 3), torch.ones(1, 5, 3)
    torch.testing.assert_close(losses.feature_matching(fr, ff), torch.tensor([3.0]))
    z = torch.tensor([[[0.0], [1.0], [2.0], [4.0]]])  # halves: (0, 1) vs (2, 4): mean |Δz| = 2.5
    x = torch.tensor([[[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]])  # mean |Δx| = 1
    torch.testing.assert_close(losses.mode_seeking(x, z), torch.tensor([1 / (0.4 + 1e-5)]))
