"""Kozachenko–Leonenko k-nearest-neighbour entropy of generated batches.

For n samples x_1..x_n in R^d (Kozachenko & Leonenko 1987; Kraskov et al.
2004, eq. 20),

    Ĥ = ψ(n) − ψ(k) + ln V_d + (d/n) Σ_i ln ρ_k,i,

ρ_k,i the Euclidean distance from x_i to its k-th nearest *other* sample, ψ the
digamma function and V_d = π^(d/2) / Γ(d/2 + 1) the volume of the unit d-ball.
Ĥ is a function of the samples, so ∇Ĥ flows through them into the generator
(through each sample and its k-th neighbour): −λ·Ĥ in G's loss rewards spreading
its samples apart.

The distances are computed in float64 from the coordinate differences (not
``torch.cdist``: the squared distance is differentiable everywhere, also at the
excluded self-distance 0, whose gradient would otherwise be NaN), with every
transcendental function applied through :func:`collapsesim.nets.elementwise`,
so a replicate's estimate is bitwise the same alone or inside a batch on CPU.
Squared distances are floored at ``RHO2_FLOOR`` so that exact duplicates give a
finite (very low) estimate instead of −∞.
"""

from __future__ import annotations

import math

import torch

from ...nets import elementwise

#: Floor of the squared k-NN distance (exact duplicates would give ln 0 = −∞).
RHO2_FLOOR = 1e-30


def kl_entropy(x: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Ĥ (R,) of each replicate's samples x (R, n, d) (module docstring), in x's dtype;
    differentiable in x. Requires n > k."""
    _, n, d = x.shape
    if n <= k:
        raise ValueError(f"the k-NN entropy needs more than k = {k} samples (got {n})")
    y = x.to(torch.float64)
    sq = ((y[:, :, None, :] - y[:, None, :, :]) ** 2).sum(-1)  # (R, n, n)
    self_distance = torch.eye(n, dtype=torch.bool, device=x.device)
    sq = sq.masked_fill(self_distance, math.inf)
    rho2 = sq.kthvalue(k, dim=2).values.clamp_min(RHO2_FLOOR)  # (R, n)
    log_rho = 0.5 * elementwise(torch.log, rho2)
    digamma = torch.special.digamma(torch.tensor([float(n), float(k)], dtype=torch.float64))
    log_ball = 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1.0)
    const = float(digamma[0] - digamma[1]) + log_ball
    return (const + d * log_rho.mean(dim=1)).to(x.dtype)
