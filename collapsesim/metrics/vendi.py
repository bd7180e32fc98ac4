"""The Vendi score: the effective number of distinct samples without labels.

Friedman & Dieng (2022), "The Vendi Score: A Diversity Evaluation Metric for
Machine Learning", TMLR. For n samples with a positive semi-definite similarity
matrix K (k(x, x) = 1) and eigenvalues λ_i of K/n:

    vendi    = exp(-Σ λ_i ln λ_i)          (order 1: exp of the eigenvalue entropy)
    vendi_q2 = 1 / Σ λ_i² = n² / ‖K‖²_F   (order 2, no eigendecomposition)

Weighted form (samples with probabilities w, Σw = 1): the eigenvalues of
diag(√w) K diag(√w), which reduces to K/n for equal weights. With the
same-type indicator similarity k(x, y) = [type(x) = type(y)] the eigenvalues
are the type frequencies, so ``vendi`` = D1 and ``vendi_q2`` = D2 (tested).

Kernels: ``"rbf"`` exp(-‖x−y‖²/(2ℓ²)) with length scale ℓ (default: the
median pairwise distance -- the mean of the two middle distances for an even
count, on numpy and torch alike; distances are computed from differences, so
identical samples are exactly 0 apart on both, and samples are scaled by their
largest coordinate first so that huge values do not overflow), ``"cosine"`` (k(x, x) = 1 also for
a zero sample, which is similar to nothing else), or ``"indicator"`` (x are labels).
Sample counts above ``max_samples`` are subsampled (deterministically, evenly)
to bound the O(n³) eigendecomposition.
"""

from __future__ import annotations

import math

import numpy as np

from .hill import _host


def _similarity_np(x: np.ndarray, kernel: str, length_scale: float | None) -> np.ndarray:
    if kernel == "indicator":
        lab = x.reshape(-1)
        return (lab[:, None] == lab[None, :]).astype(np.float64)
    x = x.reshape(len(x), -1).astype(np.float64)
    if kernel == "cosine":
        nrm = np.linalg.norm(x, axis=1, keepdims=True)
        xn = x / np.where(nrm > 0, nrm, 1.0)
        K = xn @ xn.T
        np.fill_diagonal(K, 1.0)  # k(x, x) = 1, also for a zero sample (no direction)
        return K
    if kernel == "rbf":
        from scipy.spatial.distance import pdist, squareform

        scale = _scale(float(np.abs(x).max()) if x.size else 0.0)
        dist = pdist(x / scale)  # from differences: identical samples are exactly 0 apart
        if length_scale is None:
            med = float(np.median(dist)) if dist.size else 1.0
            ell = med if med > 0 else 1.0 / scale
        else:
            ell = length_scale / scale
        return np.exp(-0.5 * np.minimum(squareform(dist) / ell, _FAR) ** 2)
    raise ValueError(f"unknown Vendi kernel {kernel!r}; use 'rbf', 'cosine' or 'indicator'")


_FAR = 64.0  # distances beyond 64 length scales have similarity exp(-2048) = 0 exactly


def _scale(m: float) -> float:
    """Samples are divided by their largest |coordinate| before distances are
    taken (the RBF kernel depends only on distance / length scale), so huge
    coordinates do not overflow."""
    return m if m > 0 else 1.0


def _subsample(n: int, max_samples: int) -> np.ndarray | None:
    if n <= max_samples:
        return None
    return np.linspace(0, n - 1, max_samples).round().astype(np.int64)


def _entropy_exp(lam) -> float:
    lam = lam[lam > 1e-12]
    if lam.size == 0:
        return 0.0
    lam = lam / lam.sum()
    return float(math.exp(-np.sum(lam * np.log(lam))))


def _check_weights(w: np.ndarray, n: int) -> np.ndarray:
    """Weights normalised to sum 1; n finite non-negative numbers with a positive
    sum, or ValueError (never a division warning)."""
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError(f"Vendi weights must be {n} finite non-negative numbers with a "
                         "positive sum")
    return w / w.sum()


def vendi_from_similarity(K, weights=None) -> dict[str, float]:
    """``{"vendi", "vendi_q2"}`` from a similarity matrix (numpy or torch)."""
    if hasattr(K, "detach"):
        return _vendi_torch(K, weights)
    K = np.asarray(K, dtype=np.float64)
    n = K.shape[0]
    if n == 0:
        return {"vendi": 0.0, "vendi_q2": 0.0}
    if weights is None:
        M = K / n
    else:
        w = _check_weights(np.asarray(_host(weights), dtype=np.float64).ravel(), n)
        s = np.sqrt(w)
        M = K * s[:, None] * s[None, :]
    lam = np.linalg.eigvalsh(M)
    return {"vendi": _entropy_exp(lam), "vendi_q2": float(1.0 / np.sum(M * M))}


def _vendi_torch(K, weights=None) -> dict[str, float]:
    import torch

    K = K.to(torch.float64)
    n = K.shape[0]
    if n == 0:
        return {"vendi": 0.0, "vendi_q2": 0.0}
    if weights is None:
        M = K / n
    else:
        w = torch.as_tensor(weights, dtype=torch.float64, device=K.device).reshape(-1)
        _check_weights(_host(w), n)
        s = torch.sqrt(w / w.sum())
        M = K * s[:, None] * s[None, :]
    lam = torch.linalg.eigvalsh(M).cpu().numpy()
    return {"vendi": _entropy_exp(lam), "vendi_q2": float(1.0 / torch.sum(M * M).item())}


def _median_torch(v) -> float:
    """The median as numpy defines it: the mean of the two middle values for an
    even count (``torch.median`` returns the lower one); 1.0 for no values."""
    n = v.numel()
    if n == 0:
        return 1.0
    s = v.sort().values
    return float(s[n // 2]) if n % 2 else float((s[n // 2 - 1] + s[n // 2]) / 2)


def _similarity_torch(x, kernel: str, length_scale: float | None):
    import torch

    if kernel == "indicator":
        lab = x.reshape(-1)
        return (lab[:, None] == lab[None, :]).to(torch.float64)
    x = x.reshape(x.shape[0], -1).to(torch.float64)
    if kernel == "cosine":
        nrm = torch.linalg.vector_norm(x, dim=1, keepdim=True)
        xn = x / torch.where(nrm > 0, nrm, torch.ones_like(nrm))  # as numpy: no eps floor
        return (xn @ xn.T).fill_diagonal_(1.0)
    if kernel == "rbf":
        scale = _scale(float(x.abs().max()) if x.numel() else 0.0)
        xs = x / scale
        dist = torch.cdist(xs, xs, compute_mode="donot_use_mm_for_euclid_dist")
        if length_scale is None:
            iu = torch.triu_indices(len(x), len(x), offset=1, device=x.device)
            med = _median_torch(dist[iu[0], iu[1]])
            ell = med if med > 0 else 1.0 / scale
        else:
            ell = length_scale / scale
        return torch.exp(-0.5 * (dist / ell).clamp(max=_FAR).square())
    raise ValueError(f"unknown Vendi kernel {kernel!r}; use 'rbf', 'cosine' or 'indicator'")


def vendi(samples, *, kernel: str = "rbf", length_scale: float | None = None,
          weights=None, max_samples: int = 2000) -> dict[str, float]:
    """Vendi scores ``{"vendi", "vendi_q2"}`` of ``samples`` (n × d array or
    tensor, or n labels with ``kernel="indicator"``); torch tensors stay on
    their device. No samples: both scores 0."""
    if len(samples) == 0:
        return {"vendi": 0.0, "vendi_q2": 0.0}
    if kernel != "indicator" and not bool((samples.isfinite() if hasattr(samples, "detach")
                                           else np.isfinite(np.asarray(samples))).all()):
        raise ValueError("Vendi samples must be finite")
    if hasattr(samples, "detach"):
        idx = _subsample(samples.shape[0], max_samples)
        if idx is not None:
            import torch

            t = torch.as_tensor(idx, device=samples.device)
            samples = samples[t]
            weights = None if weights is None else np.asarray(_host(weights))[idx]
        return _vendi_torch(_similarity_torch(samples, kernel, length_scale), weights)
    x = np.asarray(samples)
    if x.ndim == 1 and kernel != "indicator":
        x = x[:, None]
    idx = _subsample(x.shape[0], max_samples)
    if idx is not None:
        x = x[idx]
        weights = None if weights is None else np.asarray(_host(weights))[idx]
    return vendi_from_similarity(_similarity_np(x, kernel, length_scale), weights)
