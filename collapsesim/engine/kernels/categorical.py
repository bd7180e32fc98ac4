"""Sampling from log-weights: one categorical draw per row, and k draws
without replacement by the Gumbel-top-k trick.

Operators (arrays carry any leading batch axes; the categories are the last axis):

* ``categorical(logits, rng)`` — one index per row, P(i) ∝ exp(logits_i), by
  the inverse CDF: W = exp(logits − max), C its cumulative sum, one uniform u
  per row, index = #{j : C_j ≤ u·C_last} (clipped to n − 1). The logits need
  not be normalised; −inf is a zero weight (at least one must be finite).
  Returns int64 of shape ``logits.shape[:-1]``.
* ``top_k(keys, k)`` — the indices of the k largest keys of each row, largest
  first, equal keys in index order (deterministic; keys without NaN).
* ``gumbel_top_k(logits, k, rng)`` — k distinct indices per row sampled
  without replacement with probabilities ∝ exp(logits), in the order drawn
  (successive sampling, the Plackett–Luce law): ``top_k(logits + G, k)`` for
  independent standard Gumbel G (Gumbel 1954; Vieira 2014; Kool, van Hoof &
  Welling 2019). k ≤ the number of finite logits of a row.

The numpy implementations are the specification. numba shares numpy's
generator, so it draws the same numbers: ``categorical`` falls back to the
vectorised numpy version (one pass of exp/cumsum/compare), and ``top_k`` (so
``gumbel_top_k``) is a compiled partial selection — one pass over each row
keeping the k best in a sorted buffer, O(n·k) at worst instead of numpy's
O(n log n) sort — giving numpy's indices exactly. torch (CPU or CUDA) runs the
same arithmetic with torch's generator; given the same uniforms
(:func:`inverse_cdf`) or keys it returns the same indices as numpy.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import implements


def inverse_cdf(logits: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The deterministic core of ``categorical`` on numpy: the index of each
    row's uniform ``u`` (shape ``logits.shape[:-1] + (1,)``) in the row's CDF."""
    w = np.exp(logits - logits.max(axis=-1, keepdims=True))
    cum = np.cumsum(w, axis=-1)
    return np.minimum((cum <= u * cum[..., -1:]).sum(axis=-1), logits.shape[-1] - 1)


def inverse_cdf_torch(logits, u):
    """:func:`inverse_cdf` on torch tensors."""
    import torch

    w = torch.exp(logits - logits.amax(dim=-1, keepdim=True))
    cum = torch.cumsum(w, dim=-1)
    return torch.clamp((cum <= u * cum[..., -1:]).sum(dim=-1), max=logits.shape[-1] - 1)


@implements("categorical", "numpy")
def categorical_numpy(backend, logits, rng) -> np.ndarray:
    """One index per row of ``logits`` (..., n); one uniform per row, drawn as
    ``rng.random(logits.shape[:-1] + (1,))``."""
    logits = np.asarray(logits, dtype=np.float64)
    return inverse_cdf(logits, backend.uniform(logits.shape[:-1] + (1,), rng))


@implements("categorical", "torch")
def categorical_torch(backend, logits, rng):
    logits = backend.asarray(logits, "float64")
    return inverse_cdf_torch(logits, backend.uniform(tuple(logits.shape[:-1]) + (1,), rng))


@implements("top_k", "numpy")
def top_k_numpy(backend, keys, k: int) -> np.ndarray:
    """Indices (..., k) of the k largest keys per row, largest first, ties in index order."""
    keys = np.asarray(keys)
    _check_k(k, keys.shape[-1])
    return np.argsort(-keys, axis=-1, kind="stable")[..., :k]


@njit(cache=True, nogil=True)
def _top_k_rows(keys, k, out):
    """out[r] = the indices of the k largest keys of row r, largest first; an
    equal key never displaces an earlier index (numpy's stable order)."""
    best = np.empty(k, dtype=keys.dtype)
    for r in range(keys.shape[0]):
        filled = 0
        for j in range(keys.shape[1]):
            v = keys[r, j]
            if filled == k and not v > best[k - 1]:
                continue
            pos = filled if filled < k else k - 1
            while pos > 0 and v > best[pos - 1]:  # shift the smaller ones down one place
                best[pos] = best[pos - 1]
                out[r, pos] = out[r, pos - 1]
                pos -= 1
            best[pos] = v
            out[r, pos] = j
            if filled < k:
                filled += 1


@implements("top_k", "numba")
def top_k_numba(backend, keys, k: int) -> np.ndarray:
    keys = np.asarray(keys)
    _check_k(k, keys.shape[-1])
    rows = np.ascontiguousarray(keys.reshape(-1, keys.shape[-1]), dtype=np.float64)
    out = np.empty((rows.shape[0], k), dtype=np.int64)
    if k:
        _top_k_rows(rows, k, out)
    return out.reshape(keys.shape[:-1] + (k,))


@implements("top_k", "torch")
def top_k_torch(backend, keys, k: int):
    import torch

    keys = backend.asarray(keys)
    _check_k(k, keys.shape[-1])
    return torch.sort(keys, dim=-1, descending=True, stable=True).indices[..., :k]


@implements("gumbel_top_k", "numpy", "torch")
def gumbel_top_k(backend, logits, k: int, rng):
    """k indices per row of ``logits`` (..., n) without replacement, P ∝ exp(logits),
    in the order drawn: the top k of logits + Gumbel noise (one standard Gumbel
    per entry, drawn by ``backend.gumbel(logits.shape, rng)``)."""
    logits = backend.asarray(logits, "float64")
    keys = logits + backend.gumbel(tuple(logits.shape), rng)
    return backend.op("top_k")(keys, k)


def _check_k(k: int, n: int) -> None:
    if not 0 <= k <= n:
        raise ValueError(f"top-k needs 0 <= k <= n, got k = {k} of n = {n}")
