"""Helpers shared by the engine tests (imported as a plain module: pytest puts
this directory on sys.path)."""

from __future__ import annotations

import numpy as np
import torch


def to_numpy(x) -> np.ndarray:
    """A backend array as numpy."""
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def offspring_counts(indices, size: int) -> np.ndarray:
    """Offspring count of each of ``size`` parents from ancestor indices (last axis)."""
    idx = to_numpy(indices)
    rows = idx.reshape(-1, idx.shape[-1])
    return np.stack([np.bincount(r, minlength=size) for r in rows]).reshape(idx.shape[:-1] + (size,))
