"""GAN objectives and regularisers, one value per replicate (shape (R,)).

D outputs logits ``d`` (R, B, 1); with σ the logistic function, D(x) = σ(d).

* Cross-entropy discriminator (Goodfellow et al. 2014), with one-sided label
  smoothing (Salimans et al. 2016): −[t ln σ(d_real) + ln(1 − σ(d_fake))],
  real target t = 1 − s.
* Generator, ``nonsaturating``: −ln σ(d_fake); ``minimax``: ln(1 − σ(d_fake)).
* ``wgan`` / ``wgan-gp`` (Arjovsky et al. 2017; Gulrajani et al. 2017): critic
  E d_fake − E d_real, generator −E d_fake; the gradient penalty
  λ E (‖∇_x̂ d(x̂)‖ − 1)² on x̂ = ε x_real + (1 − ε) x_fake, ε ~ U(0, 1) per pack.
* Feature matching (Salimans et al. 2016): ‖E f(x_real) − E f(G(z))‖² on D's
  last hidden layer replaces the generator's loss.
* Mode seeking (Mao et al. 2019, MSGAN): with the batch split into halves
  (z₁, z₂), 1 / (mean|G(z₁) − G(z₂)| / mean|z₁ − z₂| + 1e-5), added with
  weight λ to the generator's loss.
* GMAN (Durugkar et al. 2017, §3.3): G's losses L_i against M discriminators
  combined as their mean, or as Σ_i w_i L_i with w = softmax(λ L) (GMAN-λ's
  soft-discriminator: λ = 0 is the mean, λ → ∞ the hardest critic, the one G
  does worst against); the weights are held fixed in G's gradient.
* VEEGAN (Srivastava et al. 2017, Alg. 1), with D's logit d on joint pairs
  (z, x) trained with target 1 on (F(x), x): G and the reconstructor F minimise
  −E d(z, G(z)) (the paper's estimate of the KL term) + w E‖z − F(G(z))‖².
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ...nets import elementwise


def _softplus(x: torch.Tensor) -> torch.Tensor:
    return elementwise(F.softplus, x)  # batch-invariant (see collapsesim.nets.elementwise)


def _mean(x: torch.Tensor) -> torch.Tensor:
    """Mean over every dimension but the replicate dimension."""
    return x.reshape(x.shape[0], -1).mean(dim=1)


def discriminator_loss(loss: str, d_real: torch.Tensor, d_fake: torch.Tensor,
                       smoothing: float = 0.0) -> torch.Tensor:
    if loss in ("wgan", "wgan-gp"):
        return _mean(d_fake) - _mean(d_real)
    t = 1.0 - smoothing  # BCE with logits: softplus(d) − t·d
    return _mean(_softplus(d_real) - t * d_real) + _mean(_softplus(d_fake))


def generator_loss(loss: str, d_fake: torch.Tensor) -> torch.Tensor:
    if loss in ("wgan", "wgan-gp"):
        return -_mean(d_fake)
    if loss == "minimax":
        return -_mean(_softplus(d_fake))
    return _mean(_softplus(-d_fake))


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """E (‖∇ critic(x̂)‖₂ − 1)² per replicate; ``eps`` (R, B, 1) uniform weights."""
    x = (eps * real + (1.0 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return _mean((grad.pow(2).sum(-1).sqrt() - 1.0) ** 2)


def feature_matching(f_real: torch.Tensor, f_fake: torch.Tensor) -> torch.Tensor:
    return ((f_real.detach().mean(dim=1) - f_fake.mean(dim=1)) ** 2).sum(-1)


def combine_critics(loss: torch.Tensor, combine: str, lam: float) -> torch.Tensor:
    """G's losses (R, M) against M discriminators → (R,) (GMAN, module docstring)."""
    if combine == "mean":
        return loss.mean(dim=1)
    scaled = lam * loss.detach()
    w = elementwise(torch.exp, scaled - scaled.max(dim=1, keepdim=True).values)
    return (w / w.sum(dim=1, keepdim=True) * loss).sum(dim=1)


def veegan(d_fake: torch.Tensor, z: torch.Tensor, z_rec: torch.Tensor, weight: float
           ) -> torch.Tensor:
    """VEEGAN's generator/reconstructor objective (R,); z, z_rec = F(G(z)) (R, n, z_dim)."""
    return -_mean(d_fake) + weight * ((z - z_rec) ** 2).sum(-1).mean(dim=1)


def mode_seeking(x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    half = x.shape[1] // 2
    ratio = (_mean((x[:, :half] - x[:, half:2 * half]).abs())
             / _mean((z[:, :half] - z[:, half:2 * half]).abs()))
    return 1.0 / (ratio + 1e-5)
