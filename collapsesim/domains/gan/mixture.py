"""The benchmark data: a mixture of K isotropic 2D Gaussians on a ring or a grid.

The 2D ring (K = 8, radius 1, σ = 0.01) and grid (K = 25 at {−4, −2, 0, 2, 4}²,
σ = 0.05) are the synthetic benchmarks of Metz et al. (2017) and Srivastava
et al. (2017, VEEGAN) as used by Lin et al. (2018, PacGAN, Table 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .params import DataParams


@dataclass(frozen=True)
class Mixture:
    """Means (K × 2), normalised weights (K,) and the common σ per coordinate."""

    means: np.ndarray
    weights: np.ndarray
    sigma: float

    @classmethod
    def from_params(cls, p: DataParams) -> "Mixture":
        if p.kind == "ring":
            angles = 2.0 * np.pi * np.arange(p.K) / p.K
            means = p.radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        else:
            n = math.isqrt(p.K)
            axis = p.spacing * (np.arange(n) - (n - 1) / 2.0)
            means = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
        w = np.full(p.K, 1.0 / p.K) if p.weights is None else np.asarray(p.weights, float)
        return cls(means=means, weights=w / w.sum(), sigma=float(p.sigma))

    @property
    def K(self) -> int:
        return len(self.weights)

    def sample(self, n: int, generator: torch.Generator, dtype=torch.float32) -> torch.Tensor:
        """``n`` points (n × 2) on the generator's device: a component drawn by weight,
        then its mean plus σ times a standard normal pair."""
        device = generator.device
        w = torch.as_tensor(self.weights, dtype=torch.float64, device=device)
        comp = torch.multinomial(w, n, replacement=True, generator=generator)
        means = torch.as_tensor(self.means, dtype=torch.float64, device=device)
        noise = torch.randn(n, 2, generator=generator, dtype=torch.float64, device=device)
        return (means[comp] + self.sigma * noise).to(dtype)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Log density of each point of ``x`` (… × 2) under the mixture (float64)."""
        x = x.to(torch.float64)
        means = torch.as_tensor(self.means, dtype=torch.float64, device=x.device)
        logw = torch.as_tensor(np.log(self.weights), dtype=torch.float64, device=x.device)
        d2 = ((x[..., None, :] - means) ** 2).sum(-1)
        log_norm = -math.log(2.0 * math.pi * self.sigma**2)
        return torch.logsumexp(logw - d2 / (2.0 * self.sigma**2), dim=-1) + log_norm
