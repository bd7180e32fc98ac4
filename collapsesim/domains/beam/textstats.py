"""Diversity statistics of a set of equal-length token sequences (rows of an
int64 array), all on the host and vectorised.

* ``prefix_stats`` — the length of the prefix shared by all rows, and the
  mean over pairs of rows of their common prefix length: Σ_d Σ_{prefixes of
  length d} C(n_prefix, 2) / C(n, 2).
* ``distinct_n`` — distinct n-grams over all rows / total n-grams (Li et al.
  2016), n-grams within a row.
* ``self_bleu`` — mean over rows of BLEU-4 of the row against all other rows
  as references (Zhu et al. 2018), on token ids: clipped n-gram precisions
  for n = 1…4 (an n-gram counts at most as often as in the reference that
  holds it most), uniform weights, no smoothing (a zero precision gives 0) and
  no brevity penalty (equal lengths).
"""

from __future__ import annotations

import numpy as np


def _ngram_ids(tokens: np.ndarray, n: int) -> np.ndarray:
    """(rows, L − n + 1) integer ids of the n-grams (equal ids ⇔ equal n-grams)."""
    rows, L = tokens.shape
    windows = np.lib.stride_tricks.sliding_window_view(tokens, n, axis=1)
    flat = windows.reshape(-1, n)
    _, inv = np.unique(flat, axis=0, return_inverse=True)
    return inv.reshape(rows, L - n + 1)


def prefix_stats(tokens: np.ndarray) -> tuple[float, float]:
    """(shared prefix length, mean pairwise common prefix length)."""
    n, L = tokens.shape
    if n < 2:
        return float(L), float(L)
    ids = np.zeros(n, np.int64)
    shared, pair_sum = L, 0.0
    for d in range(L):
        _, ids, counts = np.unique(np.stack([ids, tokens[:, d]], axis=1), axis=0,
                                   return_inverse=True, return_counts=True)
        ids = ids.reshape(-1)
        if len(counts) > 1 and shared == L:
            shared = d
        same = float((counts * (counts - 1) / 2).sum())
        if same == 0:
            break
        pair_sum += same
    return float(shared), pair_sum / (n * (n - 1) / 2)


def distinct_n(tokens: np.ndarray, n: int) -> float | None:
    """Distinct n-grams / n-grams; None for rows shorter than n."""
    if tokens.shape[1] < n:
        return None
    ids = _ngram_ids(tokens, n)
    return len(np.unique(ids)) / ids.size


def self_bleu(tokens: np.ndarray) -> float | None:
    """Mean BLEU-4 of each row against the others; None for fewer than two
    rows or rows shorter than 4 tokens."""
    rows, L = tokens.shape
    if rows < 2 or L < 4:
        return None
    log_p = np.zeros(rows)
    for n in range(1, 5):
        ids = _ngram_ids(tokens, n)
        U = int(ids.max()) + 1
        counts = np.zeros((rows, U), np.int64)
        np.add.at(counts, (np.repeat(np.arange(rows), ids.shape[1]), ids.reshape(-1)), 1)
        order = np.argsort(-counts, axis=0, kind="stable")
        top1 = np.take_along_axis(counts, order[:1], 0)[0]
        top2 = np.take_along_axis(counts, order[1:2], 0)[0]
        ref = np.where(np.arange(rows)[:, None] == order[0][None, :], top2[None, :], top1[None, :])
        clipped = np.minimum(counts, ref).sum(axis=1)
        with np.errstate(divide="ignore"):
            log_p += np.log(clipped / ids.shape[1]) / 4.0
    return float(np.exp(log_p).mean())
