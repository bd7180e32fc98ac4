"""Selection in torch, vectorised over replicate rows (CPU and CUDA).

``truncation`` returns exactly numpy's indices (it is deterministic);
``tournament`` agrees with numpy given the same contestants
(:func:`tournament_winners`), and in distribution otherwise.
"""

from __future__ import annotations

import torch


def _rows(fitness: torch.Tensor) -> tuple[torch.Tensor, bool]:
    if fitness.ndim not in (1, 2) or fitness.shape[-1] == 0:
        raise ValueError(f"fitness must have shape (N,) or (R, N) with N >= 1, got {tuple(fitness.shape)}")
    return (fitness.unsqueeze(0) if fitness.ndim == 1 else fitness), fitness.ndim == 2


def tournament_winners(fitness: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """The fittest of each row of contestants ((n, k) or (R, n, k)), ties to the lowest index."""
    f, batched = _rows(fitness)
    cand = candidates if batched else candidates.unsqueeze(0)
    scores = torch.gather(f.unsqueeze(1).expand(-1, cand.shape[1], -1), -1, cand)
    best = scores.max(dim=-1, keepdim=True).values
    winners = torch.where(scores == best, cand, f.shape[-1]).min(dim=-1).values
    return winners if batched else winners[0]


def tournament(fitness: torch.Tensor, n: int, k: int, gen: torch.Generator) -> torch.Tensor:
    """``n`` tournaments of ``k`` contestants drawn uniformly with replacement."""
    if k < 1:
        raise ValueError(f"tournament size must be >= 1, got {k}")
    size = fitness.shape[-1]
    cand = torch.randint(0, size, fitness.shape[:-1] + (n, k), generator=gen, device=fitness.device)
    return tournament_winners(fitness, cand)


def truncation(fitness: torch.Tensor, n: int) -> torch.Tensor:
    """The ``n`` fittest per row, fittest first, ties to the lower index (numpy's
    definition): threshold by ``topk``, keep everything above it and the first
    ties in index order, then a stable descending sort of the n kept."""
    f, batched = _rows(fitness)
    if not 0 <= n <= f.shape[-1]:
        raise ValueError(f"truncation needs 0 <= n <= N = {f.shape[-1]}, got n = {n}")
    if n == 0:
        out = torch.empty(f.shape[0], 0, dtype=torch.int64, device=f.device)
        return out if batched else out[0]
    threshold = torch.topk(f, n, dim=-1).values[:, -1:]
    above = f > threshold
    ties = f == threshold
    room = n - above.sum(-1, keepdim=True)
    keep = above | (ties & (torch.cumsum(ties, dim=-1) <= room))
    chosen = keep.nonzero()[:, 1].reshape(f.shape[0], n)
    order = torch.sort(torch.gather(f, -1, chosen), dim=-1, descending=True, stable=True).indices
    out = torch.gather(chosen, -1, order)
    return out if batched else out[0]
