"""Sample-quality and mode-coverage metrics of generated 2D samples.

Mode metrics (Srivastava et al. 2017; Lin et al. 2018): a sample is *high
quality* (HQ) if its L2 distance to the nearest mixture mean is below 3σ; its
mode is that nearest mean. From the HQ samples' mode histogram q (counts
normalised) and the mixture weights p:

* ``modes_captured`` — modes that are the nearest mean of ≥ 1 HQ sample;
* ``modes_captured_thresholded`` — modes with ≥ N p_k / 4 HQ samples
  (N/(4K) for equal weights), N the number of samples;
* ``hq_fraction`` — the fraction of HQ samples (on true samples
  1 − e^(−4.5) ≈ 0.9889: the squared distance / σ² is χ² with 2 degrees of
  freedom);
* ``reverse_kl`` — Σ_k q_k ln(q_k / p_k) (NaN while no sample is HQ). For
  equal weights D1(q) = K e^(−reverse_kl), since KL(q‖uniform) = ln K − H(q).

``loglik`` is the mean log-density of the samples under the true mixture.
``precision`` and ``recall`` follow Kynkäänniemi et al. (2019): each real
(generated) sample spans a ball whose radius is the distance to its k-th
nearest real (generated) neighbour; precision is the fraction of generated
samples inside the union of the real balls, recall the fraction of real
samples inside the union of the generated balls.
"""

from __future__ import annotations

import math

import torch

from .mixture import Mixture


def mode_histogram(x: torch.Tensor, mixture: Mixture) -> tuple[torch.Tensor, torch.Tensor]:
    """Counts (K,) of HQ samples per nearest mode, and the HQ mask (n,), for ``x`` (n × 2)."""
    means = torch.as_tensor(mixture.means, dtype=torch.float64, device=x.device)
    d = torch.cdist(x.to(torch.float64), means, compute_mode="donot_use_mm_for_euclid_dist")
    dmin, nearest = d.min(dim=1)
    hq = dmin < 3.0 * mixture.sigma
    counts = torch.bincount(nearest[hq], minlength=mixture.K)
    return counts, hq


def mode_metrics(counts, n: int, mixture: Mixture) -> dict[str, float]:
    """The mode metrics of the module docstring from HQ counts (K,) of ``n`` samples."""
    c = torch.as_tensor(counts, dtype=torch.float64).cpu()
    p = torch.as_tensor(mixture.weights, dtype=torch.float64)
    total = float(c.sum())
    if total > 0:
        q = c / total
        present = q > 0
        reverse_kl = float((q[present] * torch.log(q[present] / p[present])).sum())
    else:
        reverse_kl = math.nan
    return {
        "modes_captured": float((c > 0).sum()),
        "modes_captured_thresholded": float((c >= n * p / 4.0).sum()),
        "hq_fraction": total / n,
        "reverse_kl": reverse_kl,
    }


def _kth_neighbour_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each point of ``x`` to its k-th nearest other point."""
    d = torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist")
    k = min(k, len(x) - 1)
    return torch.topk(d, k + 1, dim=1, largest=False).values[:, k]  # [0]: the point itself


def _coverage(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> float:
    """Fraction of ``points`` inside at least one ball (centre, radius)."""
    d = torch.cdist(points, centres, compute_mode="donot_use_mm_for_euclid_dist")
    return float((d <= radii[None, :]).any(dim=1).to(torch.float64).mean())


def precision_recall(fake: torch.Tensor, real: torch.Tensor, k: int = 3) -> dict[str, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) of ``fake`` against ``real``."""
    fake, real = fake.to(torch.float64), real.to(torch.float64)
    if len(fake) < 2 or len(real) < 2:
        return {"precision": math.nan, "recall": math.nan}
    return {"precision": _coverage(fake, real, _kth_neighbour_radius(real, k)),
            "recall": _coverage(real, fake, _kth_neighbour_radius(fake, k))}


def evaluate(fake: torch.Tensor, real: torch.Tensor, mixture: Mixture, k: int = 3
             ) -> tuple[torch.Tensor, dict[str, float]]:
    """HQ counts (K,) and every sample metric of the module docstring for ``fake``
    (n × 2); precision and recall on the first ``len(real)`` samples of ``fake``."""
    counts, _ = mode_histogram(fake, mixture)
    metrics = mode_metrics(counts, len(fake), mixture)
    metrics["loglik"] = float(mixture.log_prob(fake).mean())
    metrics.update(precision_recall(fake[: len(real)], real, k))
    return counts, metrics
