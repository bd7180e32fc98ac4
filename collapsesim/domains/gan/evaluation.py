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

Detection metrics: statistics of the N evaluation samples x_1 … x_N alone (G on
the fixed evaluation z, so one value per recorded step), no mode assignment
needed; d_ij = ‖x_i − x_j‖ over the N(N − 1)/2 pairs i < j (one float64
distance matrix per evaluation, shared with precision and recall):

* ``pairwise_distance`` — the mean pairwise distance Σ_{i<j} d_ij / C(N, 2), the
  latent-diversity measure of mode-seeking GANs (Mao et al. 2019, with z held
  fixed across steps). True ring or grid: the mixture's E‖X − Y‖ =
  Σ_kl p_k p_l E Rice(‖m_k − m_l‖, σ√2); one mode: σ√π (Rayleigh of scale σ√2).
* ``logdet_cov`` — ln det S, S the unbiased (N − 1) 2 × 2 covariance of the
  samples' coordinates: the log of the squared area their spread covers
  (log-determinant diversity, e.g. the DPP view of Kulesza & Taskar 2012).
  True ring: 2 ln(r²/2 + σ²); grid of n × n means at spacing h:
  2 ln(h²(n² − 1)/12 + σ²); one mode: 2 ln σ². −inf when the samples are
  collinear (a singular S, e.g. a constant generator); the metric table keeps
  −inf, summary.json reports it as missing (null).
* ``birthday_support`` — the birthday-paradox test of Arora & Zhang (2017) in
  its collision form: p̂ = #{i < j : d_ij < ε} / C(N, 2), the probability that
  two samples fall in the same ε-cell, and support = 1/p̂, the Hill number D2
  (inverse Simpson) of the sample distribution over ε-cells. ε =
  ``BIRTHDAY_EPS_SIGMAS``·σ = 6σ: two samples of the same mode differ by
  N(0, 2σ²I) and collide with probability c = 1 − exp(−ε²/(4σ²)) = 1 − e^−9,
  while distinct modes (≥ 0.77 apart on the ring, 2 on the grid) never
  collide, so on the true mixture 1/p̂ → 1/(c Σ p_k²) ≈ D2 of the weights (K
  for equal weights) and on one mode 1/c ≈ 1.
* ``birthday_batch`` — the batch size s at which a duplicate (a pair within ε)
  appears with probability ½: with C(s, 2) pairs each colliding with
  probability p̂ (the Poisson approximation), s(s − 1)/2 · p̂ = ln 2, so
  s = ½ + √(¼ + 2 ln 2 / p̂) — the exact root, not the large-s form √(2 ln 2/p̂).
  Arora & Zhang read a support of about s² off it.

Both birthday metrics are NaN when no pair collides (p̂ = 0: the support is
beyond what C(N, 2) pairs resolve, only known to exceed about C(N, 2) cells),
and all three pair metrics are NaN for N < 2, like ``reverse_kl`` without HQ
samples. The class-coverage entropy of the mode histogram is not repeated here:
it is exp(H(q)) = D1 of the headline ``modes`` series, computed by the core
(:func:`collapsesim.metrics.diversity`), with D1 = K·exp(−reverse_kl) for equal
weights.

References: Arora & Zhang (2017) Do GANs actually learn the distribution? An
empirical study, arXiv:1706.08224; Kulesza & Taskar (2012) Determinantal point
processes for machine learning, Found. Trends Mach. Learn.; Mao et al. (2019)
Mode seeking GANs for diverse image synthesis, CVPR.
"""

from __future__ import annotations

import math

import torch

from .mixture import Mixture

BIRTHDAY_EPS_SIGMAS = 6.0
"""ε of the birthday metrics in units of the mixture's σ (same-mode collision
probability 1 − e^−9)."""


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


def _distances(x: torch.Tensor) -> torch.Tensor:
    """The float64 distance matrix (n × n) of the points ``x``, each entry computed
    directly (not through the Gram matrix), so a block of it equals the matrix of
    that subset bitwise."""
    x = x.to(torch.float64)
    return torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist")


def _kth_neighbour_radius(x: torch.Tensor, k: int, d: torch.Tensor | None = None) -> torch.Tensor:
    """Distance from each point of ``x`` to its k-th nearest other point (``d``: the
    distance matrix of ``x`` if already computed)."""
    d = _distances(x) if d is None else d
    k = min(k, len(x) - 1)
    return torch.topk(d, k + 1, dim=1, largest=False).values[:, k]  # [0]: the point itself


def _coverage(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> float:
    """Fraction of ``points`` inside at least one ball (centre, radius)."""
    d = torch.cdist(points, centres, compute_mode="donot_use_mm_for_euclid_dist")
    return float((d <= radii[None, :]).any(dim=1).to(torch.float64).mean())


def precision_recall(fake: torch.Tensor, real: torch.Tensor, k: int = 3,
                     d_fake: torch.Tensor | None = None) -> dict[str, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) of ``fake`` against
    ``real`` (``d_fake``: the distance matrix of ``fake`` if already computed)."""
    fake, real = fake.to(torch.float64), real.to(torch.float64)
    if len(fake) < 2 or len(real) < 2:
        return {"precision": math.nan, "recall": math.nan}
    return {"precision": _coverage(fake, real, _kth_neighbour_radius(real, k)),
            "recall": _coverage(real, fake, _kth_neighbour_radius(fake, k, d_fake))}


def pair_metrics(d: torch.Tensor, sigma: float) -> dict[str, float]:
    """``pairwise_distance``, ``birthday_support`` and ``birthday_batch`` (module
    docstring) from the samples' distance matrix ``d`` (n × n, zero diagonal), with
    ε = ``BIRTHDAY_EPS_SIGMAS``·``sigma``."""
    n = d.shape[0]
    pairs = n * (n - 1) / 2
    if pairs == 0:
        return {"pairwise_distance": math.nan, "birthday_support": math.nan,
                "birthday_batch": math.nan}
    # the full matrix counts every pair twice; its diagonal adds 0 to the sum and n collisions
    collisions = (int(torch.count_nonzero(d < BIRTHDAY_EPS_SIGMAS * sigma)) - n) / 2
    p = collisions / pairs
    return {"pairwise_distance": float(d.sum()) / (2 * pairs),
            "birthday_support": 1.0 / p if p > 0 else math.nan,
            "birthday_batch": 0.5 + math.sqrt(0.25 + 2 * math.log(2) / p) if p > 0 else math.nan}


def logdet_cov(x: torch.Tensor) -> float:
    """``logdet_cov`` (module docstring): ln det of the unbiased covariance of the
    rows of ``x`` (n × 2) in float64; −inf if singular, NaN for n < 2."""
    if len(x) < 2:
        return math.nan
    sign, logabsdet = torch.linalg.slogdet(torch.cov(x.to(torch.float64).T))
    return float(logabsdet) if sign > 0 else -math.inf


def evaluate(fake: torch.Tensor, real: torch.Tensor, mixture: Mixture, k: int = 3
             ) -> tuple[torch.Tensor, dict[str, float]]:
    """HQ counts (K,) and every sample metric of the module docstring for ``fake``
    (n × 2); precision and recall on the first ``len(real)`` samples of ``fake``,
    whose distance matrix is the leading block of the detection metrics' one."""
    counts, _ = mode_histogram(fake, mixture)
    metrics = mode_metrics(counts, len(fake), mixture)
    metrics["loglik"] = float(mixture.log_prob(fake).mean())
    d = _distances(fake)
    n_pr = min(len(real), len(fake))
    metrics.update(precision_recall(fake[:n_pr], real, k, d[:n_pr, :n_pr]))
    metrics.update(pair_metrics(d, mixture.sigma))
    metrics["logdet_cov"] = logdet_cov(fake)
    return counts, metrics
