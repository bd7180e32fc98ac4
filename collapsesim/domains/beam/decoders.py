"""The decoders: one selection step from n hypotheses to their successors.

Every decoder receives the hypotheses' next-token log-probabilities ``logp``
(n, V) on the backend and returns the parents and tokens of the next
hypotheses (host int64 arrays) and the decoder's new scores. Candidate
(i, v) is flattened to ``i·V + v``. Survivors are chosen by the engine: the
deterministic decoders by ``backend.truncation`` (top-k, ties to the lower
index), the random ones by the backend's Gumbel draws, ``gumbel_top_k``,
``top_k`` and ``categorical``.

* greedy — the argmax token of the single hypothesis.
* beam — the ``width`` best candidates by score (sum of log-probabilities).
  With an end-of-sequence token the step is transformers' ``_beam_search``:
  the ``max(2, 1 + 1)·width`` best candidates in order, an EOS candidate
  among the first ``width`` of them finishes a hypothesis (ranked by
  ``score / length**length_penalty``, the best ``width`` kept), the first
  ``width`` non-EOS candidates run on.
* diverse — Vijayakumar et al. (2018) as transformers' group beam search
  (``num_beam_groups``, ``diversity_penalty``; 4.56.2 and earlier): G groups of
  B/G beams decoded in turn; group g ranks its candidates by score −
  λ·(times token v was chosen by the groups before it at this step) and keeps
  its B/G best. The penalised value is the candidate's new score, so a beam's
  score is its log-probability minus every penalty on its path (transformers,
  fairseq and the authors' code accumulate it so; the sequence's
  log-probability is kept apart by the model).
* sample — ancestral sampling of ``width`` independent sequences from
  ``softmax(logp / T)`` restricted to the top-k tokens and to the nucleus
  (transformers' warpers: top-k keeps every token at least as likely as the
  k-th; top-p keeps the most likely tokens whose preceding mass is < p).
* stochastic — stochastic beam search (Kool, van Hoof & Welling 2019): each
  hypothesis carries a Gumbel G of its log-probability φ; its children get
  Gumbels of φ + log p conditioned on their maximum being the parent's G; the
  ``width`` largest survive, which makes the final beam a sample without
  replacement of ``width`` sequences.
* beam_sample — transformers' ``do_sample=True, num_beams=B``: scores are
  sums of log-probabilities divided by the temperature T (transformers'
  temperature warper acts on the log-softmax, unnormalised: ``logp / T``);
  ``2·B`` candidates are drawn without replacement with probabilities
  ∝ exp(score) over all n·V continuations (``torch.multinomial``'s law: the
  engine's ``gumbel_top_k``), and the B best of them by score survive.
"""

from __future__ import annotations

import numpy as np


def log_softmax(xp, z):
    """``z − logsumexp(z)`` along the last axis on the backend's namespace."""
    m = xp.amax(z, axis=-1, keepdims=True)
    return z - m - xp.log(xp.exp(z - m).sum(axis=-1, keepdims=True))


def _split(backend, idx, V: int) -> tuple[np.ndarray, np.ndarray]:
    idx = backend.to_numpy(idx).astype(np.int64)
    return idx // V, idx % V


def n_finite(backend, x) -> int:
    return int(backend.to_numpy(backend.xp.isfinite(x).sum()))


def greedy(backend, score, logp):
    """The argmax of the single hypothesis (first index on ties)."""
    tok = backend.to_numpy(backend.xp.argmax(logp, axis=-1)).astype(np.int64)
    parents = np.zeros(1, np.int64)
    return parents, tok, score + logp.reshape(-1)[backend.asarray(tok)]


def beam(backend, score, logp, width: int):
    """The ``width`` best candidates (fewer if fewer are possible)."""
    flat = (score[:, None] + logp).reshape(-1)
    idx = backend.truncation(flat, min(width, n_finite(backend, flat)))
    parents, tok = _split(backend, idx, logp.shape[-1])
    return parents, tok, flat[idx]


def beam_eos(backend, score, logp, width: int, eos: int):
    """transformers' beam step with an EOS token: returns the running
    (parents, tokens, scores) and the finishing (parents, scores)."""
    flat = (score[:, None] + logp).reshape(-1)
    idx = backend.truncation(flat, min(2 * width, n_finite(backend, flat)))
    parents, tok = _split(backend, idx, logp.shape[-1])
    s = backend.to_numpy(flat[idx])
    is_eos = tok == eos
    done = is_eos & (np.arange(len(tok)) < width)
    run = np.flatnonzero(~is_eos)[:width]
    return (parents[run], tok[run], backend.asarray(s[run])), (parents[done], s[done])


def diverse(backend, score, logp, width: int, groups: int, lam: float):
    """Hamming-diverse beam search over G groups of width/G contiguous beams."""
    xp = backend.xp
    n, V = logp.shape
    b, g_size = width // groups, n // groups
    used = backend.zeros(V)
    parents, toks, scores = [], [], []
    for g in range(groups):
        rows = slice(g * g_size, (g + 1) * g_size)
        flat = (score[rows][:, None] + logp[rows] - lam * used[None, :]).reshape(-1)
        idx = backend.truncation(flat, b)
        p, t = _split(backend, idx, V)
        parents.append(p + g * g_size)
        toks.append(t)
        scores.append(flat[idx])
        used = used + xp.bincount(backend.asarray(t), minlength=V)
    return np.concatenate(parents), np.concatenate(toks), backend.concatenate(scores)


def sample(backend, logp, rng, temperature: float, top_k: int, top_p: float):
    """One token per hypothesis from the warped ``softmax(logp / T)``."""
    xp = backend.xp
    n, V = logp.shape
    z = logp / temperature
    keep = xp.isfinite(z)
    if (top_k and top_k < V) or top_p < 1.0:
        order = backend.argsort(z, descending=True)
        rows = backend.arange(n)[:, None] * V
        zs = z.reshape(-1)[rows + order]
        if top_k and top_k < V:
            keep = keep & (z >= zs[:, top_k - 1 : top_k])
        if top_p < 1.0:
            prob = xp.exp(log_softmax(xp, zs))
            before = xp.cumsum(prob, axis=-1) - prob
            m = (before < top_p).sum(axis=-1, keepdims=True)
            keep = keep & (z >= zs.reshape(-1)[rows + m - 1])
    z = backend.where(keep, z, xp.full_like(z, -np.inf))
    tok = backend.to_numpy(backend.op("categorical")(z, rng)).astype(np.int64)
    return np.arange(n, dtype=np.int64), tok


def _log1mexp(xp, x):
    """log(1 − exp(x)) for x < 0 (Mächler 2012)."""
    c = xp.full_like(x, -0.6931471805599453)
    near = xp.log(-xp.expm1(xp.maximum(x, c)))  # each branch on its own range: no log(0)
    far = xp.log1p(-xp.exp(xp.minimum(x, c)))
    return xp.where(x > c, near, far)


def stochastic(backend, phi, G, logp, rng, width: int):
    """One step of stochastic beam search; returns parents, tokens, the
    children's log-probabilities φ and their conditional Gumbels G."""
    xp = backend.xp
    n, V = logp.shape
    child = phi[:, None] + logp
    g = child + backend.gumbel((n, V), rng)
    Z = xp.amax(g, axis=-1, keepdims=True)
    # Kool et al. (2019), appendix: G' = −log(exp(−T) − exp(−Z) + exp(−g)), stably;
    # the argmax child gets exactly T (x = 0 is replaced by the smallest step below 0).
    x = xp.minimum(g - Z, xp.full_like(g, -1e-300))
    v = G[:, None] - g + _log1mexp(xp, x)
    Gc = G[:, None] - xp.maximum(v, xp.zeros_like(v)) - xp.log1p(xp.exp(-xp.abs(v)))
    flat = Gc.reshape(-1)
    idx = backend.truncation(flat, min(width, n_finite(backend, flat)))
    parents, tok = _split(backend, idx, V)
    return parents, tok, child.reshape(-1)[idx], flat[idx]


def beam_sample(backend, score, logp, rng, width: int, temperature: float):
    """transformers' beam sampling step (no EOS)."""
    flat = (score[:, None] + logp / temperature).reshape(-1)
    drawn = backend.op("gumbel_top_k")(flat, min(2 * width, n_finite(backend, flat)), rng)
    drawn = backend.asarray(drawn)
    best = backend.op("top_k")(flat[drawn], min(width, drawn.shape[0]))
    idx = drawn[best]
    parents, tok = _split(backend, idx, logp.shape[-1])
    return parents, tok, flat[idx]
