"""Resampling in torch (CPU and CUDA), vectorised over replicate rows.

The same definitions and floating-point expressions as
:mod:`.numpy_resampling`; given the same random numbers, the ``*_from_*``
functions return the numpy reference's indices exactly on CPU (where
``torch.cumsum`` sums left to right, as ``np.cumsum`` does; a CUDA scan may
round differently). torch's generator is not numpy's, so ``resample`` agrees
with numpy in distribution only.

* stratified/systematic: the closed-form cumulative offspring counts, then
  ``repeat_interleave`` — O(N + n) like numpy;
* multinomial/residual: the merge of the sorted points with the cumulative
  weights is ``torch.searchsorted`` of the N cumulative weights into the n
  sorted points (torch has no merge primitive), O(N log n) work but fully
  parallel — the one deviation from the O(N) walk of the CPU backends;
* ``multinomial_counts``: conditional binomials down a binary tree over the K
  categories (split each block's count binomially between its halves): exact
  multinomial counts with O(K) work and log2(K) vectorised ``torch.binomial``
  calls, whatever the number of rows.

Input checks (positive finite weights, probabilities, non-negative counts) raise
``ValueError`` on the CPU. On CUDA each would be a host synchronisation per call,
so they are skipped there: a CUDA caller validates its own inputs (the particle
filter reads its weights' sums once per step and stops on a zero or NaN sum).
The residual scheme reads the longest row of residual draws to size its one
draw of exponentials: its one host read per call.
"""

from __future__ import annotations

import math

import torch

from .base import RESAMPLING_SCHEMES

F64 = torch.float64


def _require(ok: torch.Tensor, message: str) -> None:
    """``ValueError(message)`` unless ``ok`` is all true, on the CPU (module docstring)."""
    if ok.device.type == "cpu" and not bool(torch.all(ok)):
        raise ValueError(message)


def _rows(w) -> tuple[torch.Tensor, bool]:
    w = torch.as_tensor(w)
    if w.ndim not in (1, 2) or w.shape[-1] == 0:
        raise ValueError(f"weights must have shape (N,) or (R, N) with N >= 1, got {tuple(w.shape)}")
    w = w.to(F64)
    return (w.unsqueeze(0) if w.ndim == 1 else w), w.ndim == 2


def cumulative_weights(w2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Row-wise ``cumsum`` (float64) and its last column ``T`` (shape (R, 1))."""
    c = torch.cumsum(w2, dim=-1)
    total = c[:, -1:]
    _require(torch.isfinite(total) & (total > 0),
             "weights must be non-negative with a positive, finite sum")
    return c, total


def expand_counts(cumcounts: torch.Tensor, n: int) -> torch.Tensor:
    """Ancestor indices (R, n) from cumulative offspring counts (R, N), each row ending at n."""
    rows, size = cumcounts.shape
    counts = torch.diff(cumcounts, dim=-1, prepend=torch.zeros_like(cumcounts[:, :1]))
    labels = torch.arange(size, device=cumcounts.device).expand(rows, size)
    return torch.repeat_interleave(labels.reshape(-1), counts.reshape(-1),
                                   output_size=rows * n).reshape(rows, n)


def _stratum_cumcounts(w2: torch.Tensor, n: int, u: torch.Tensor) -> torch.Tensor:
    """``F_j = m + [u_m < x - m]``, ``x = C_j·(n/T)``; ``u`` of shape (R, 1) or (R, n)."""
    c, total = cumulative_weights(w2)
    x = c * (n / total)
    m = torch.floor(x)
    frac = x - m
    m = m.to(torch.int64)
    um = u if u.shape[-1] == 1 else torch.gather(u, -1, m.clamp(max=max(n - 1, 0)))
    f = m + (um < frac)
    return torch.where((m >= n) | (c >= total), n, f)


def _merge_cumcounts(w2: torch.Tensor, n, su: torch.Tensor) -> torch.Tensor:
    """``F_j = #{i : T·su_i < C_j}`` (``F_j = n`` once ``C_j = T``); ``n`` an int or (R, 1)."""
    c, total = cumulative_weights(w2)
    f = torch.searchsorted((su * total).contiguous(), c.contiguous(), right=False)
    return torch.where(c >= total, torch.as_tensor(n, device=c.device), f)


def systematic_from_uniform(w, u, n: int) -> torch.Tensor:
    w2, batched = _rows(w)
    u = torch.as_tensor(u, dtype=F64, device=w2.device).reshape(-1, 1).expand(w2.shape[0], 1)
    idx = expand_counts(_stratum_cumcounts(w2, n, u), n)
    return idx if batched else idx[0]


def stratified_from_uniforms(w, u) -> torch.Tensor:
    w2, batched = _rows(w)
    u = torch.as_tensor(u, dtype=F64, device=w2.device).reshape(w2.shape[0], -1)
    n = u.shape[-1]
    idx = expand_counts(_stratum_cumcounts(w2, n, u), n)
    return idx if batched else idx[0]


def multinomial_from_sorted_uniforms(w, su) -> torch.Tensor:
    w2, batched = _rows(w)
    su = torch.as_tensor(su, dtype=F64, device=w2.device).reshape(w2.shape[0], -1)
    n = su.shape[-1]
    idx = expand_counts(_merge_cumcounts(w2, n, su), n)
    return idx if batched else idx[0]


def residual_split(w2: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Copies ``floor(w·(n/T))``, remainders, and draws left per row (shape (R,))."""
    _, total = cumulative_weights(w2)
    x = w2 * (n / total)
    copies = torch.floor(x)
    return copies.to(torch.int64), x - copies, n - copies.to(torch.int64).sum(-1)


def _residual(w2: torch.Tensor, n: int, su: torch.Tensor, lefts: torch.Tensor, copies, rest) -> torch.Tensor:
    """Residual indices; row r uses the first ``lefts[r]`` entries of ``su[r]``."""
    cum = torch.cumsum(copies, dim=-1)
    valid = torch.arange(su.shape[-1], device=su.device) < lefts[:, None]
    points = torch.where(valid, su, torch.inf)
    # a row with nothing left (whose remainders may all be 0) merges no points: zeros
    rest = torch.where(lefts[:, None] > 0, rest, 1.0)
    cum += _merge_cumcounts(rest, lefts[:, None], points)
    return expand_counts(cum, n)


def residual_from_sorted_uniforms(w, n: int, su) -> torch.Tensor:
    w2, batched = _rows(w)
    su = torch.as_tensor(su, dtype=F64, device=w2.device).reshape(w2.shape[0], -1)
    copies, rest, lefts = residual_split(w2, n)
    idx = _residual(w2, n, su, lefts, copies, rest)
    return idx if batched else idx[0]


def sorted_uniforms(rows: int, m: int, gen: torch.Generator, device) -> torch.Tensor:
    """(rows, m) sorted uniforms per row: normalised partial sums of m + 1 exponentials."""
    s = torch.cumsum(torch.empty(rows, m + 1, dtype=F64, device=device).exponential_(generator=gen), dim=-1)
    return s[:, :-1] / s[:, -1:]


def _ragged_sorted_uniforms(lefts: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Row r: ``lefts[r]`` sorted uniforms, padded with +inf to the longest row."""
    width = int(lefts.max()) if lefts.numel() else 0
    e = torch.empty(lefts.shape[0], width + 1, dtype=F64, device=lefts.device).exponential_(generator=gen)
    s = torch.cumsum(e, dim=-1)
    s_total = torch.gather(s, -1, lefts[:, None])
    return s[:, :-1] / s_total


def resample(w, n: int, scheme: str, gen: torch.Generator) -> torch.Tensor:
    if scheme not in RESAMPLING_SCHEMES:
        raise ValueError(f"unknown resampling scheme {scheme!r}: expected one of {', '.join(RESAMPLING_SCHEMES)}")
    w2, batched = _rows(w)
    rows, dev = w2.shape[0], w2.device
    if scheme in ("systematic", "stratified"):
        width = 1 if scheme == "systematic" else n
        u = torch.rand(rows, width, dtype=F64, device=dev, generator=gen)
        idx = expand_counts(_stratum_cumcounts(w2, n, u), n)
    elif scheme == "multinomial":
        idx = expand_counts(_merge_cumcounts(w2, n, sorted_uniforms(rows, n, gen, dev)), n)
    else:
        copies, rest, lefts = residual_split(w2, n)
        idx = _residual(w2, n, _ragged_sorted_uniforms(lefts, gen), lefts, copies, rest)
    return idx if batched else idx[0]


def multinomial_counts(n, p, gen: torch.Generator) -> torch.Tensor:
    """Multinomial counts over the last axis of ``p`` by conditional binomials on a
    binary tree of the categories."""
    p = torch.as_tensor(p).to(F64)
    n = torch.as_tensor(n, dtype=F64, device=p.device)
    shape = torch.broadcast_shapes(n.shape, p.shape[:-1]) + p.shape[-1:]
    p = (p / p.sum(-1, keepdim=True)).expand(shape).reshape(-1, shape[-1])
    _require(torch.isfinite(p) & (p >= 0),
             "probabilities must be non-negative with a positive, finite sum")
    n = n.expand(shape[:-1]).reshape(-1, 1)
    _require(n >= 0, "the number of draws must be non-negative")
    k = shape[-1]
    depth = math.ceil(math.log2(k)) if k > 1 else 0
    masses = [torch.nn.functional.pad(p, (0, 2**depth - k))]
    for _ in range(depth):
        masses.append(masses[-1].reshape(p.shape[0], -1, 2).sum(-1))
    counts = n
    for level in range(depth):
        block, children = masses[depth - level], masses[depth - level - 1]
        prob = torch.where(block > 0, children[:, 0::2] / block, 0.0).clamp(0.0, 1.0)
        drawn = torch.binomial(counts, prob, generator=gen)
        counts = torch.stack([drawn, counts - drawn], dim=-1).reshape(p.shape[0], -1)
    return counts[:, :k].to(torch.int64).reshape(shape)
