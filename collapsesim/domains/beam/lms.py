"""The synthetic language models of the ``beam`` domain.

An LM here answers, for n hypotheses in a state it defines,
``logprobs(state) -> (n, V_out)`` normalised next-token log-probabilities
(float64 numpy, −inf for impossible tokens) and ``advance(state, parents,
tokens)``, the state of the children ``tokens`` of hypotheses ``parents``.
The LMs are small host computations; the decoders move their output onto the
backend.

* :class:`MixtureLM` — K families with disjoint supports (the first token
  names the family), each a Markov chain over V tokens; optional
  end-of-sequence token V. Exact sequence and family probabilities.
* :class:`TreeLM` — a branching random walk: each node's children have
  log-probabilities ``log_softmax(σ z)`` with z i.i.d. standard normal,
  computed from a 64-bit hash of the path (SplitMix64), so a node is the same
  whenever any hypothesis visits it and needs no storage.
"""

from __future__ import annotations

import numpy as np

from .params import MixtureLMParams, TreeLMParams


def log_softmax(z: np.ndarray) -> np.ndarray:
    """``z − logsumexp(z)`` along the last axis."""
    m = z.max(axis=-1, keepdims=True)
    return z - (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))


class MixtureLM:
    """Families f = 0 … K−1 with masses w_f. A sequence is ``f, x_1, x_2, …``:
    P = w_f · π_f(x_1) · Π P_f(x_{i−1}, x_i), times (1 − eos) per chain token
    and eos for a final end-of-sequence token (index V). π_f and the rows of
    P_f are ``softmax(s_f z)``, z standard normal from ``numpy_generator(lm_seed)``.
    The state of a hypothesis is (family, last token, length)."""

    def __init__(self, p: MixtureLMParams, lm_seed: int):
        rng = np.random.default_rng(np.random.SeedSequence(lm_seed))
        self.V, self.K = p.V, p.K
        w = np.ones(p.K) if p.weights is None else np.asarray(p.weights, dtype=float)
        self.weights = w / w.sum()
        s = np.broadcast_to(np.asarray(p.sharpness, dtype=float), (p.K,))
        self.log_init = log_softmax(s[:, None] * rng.standard_normal((p.K, p.V)))
        self.log_trans = log_softmax(s[:, None, None] * rng.standard_normal((p.K, p.V, p.V)))
        self.eos_prob = p.eos
        self.eos = p.V if p.eos > 0 else None
        self.V_out = p.V + (1 if self.eos is not None else 0)
        self._stay = np.log1p(-p.eos) if p.eos > 0 else 0.0

    def root(self, n: int) -> dict:
        return {"family": np.zeros(n, np.int64), "last": np.zeros(n, np.int64), "t": 0}

    def logprobs(self, state: dict) -> np.ndarray:
        n, t = len(state["family"]), state["t"]
        out = np.full((n, self.V_out), -np.inf)
        if t == 0:
            out[:, : self.K] = np.log(self.weights)
            return out
        rows = (self.log_init[state["family"]] if t == 1
                else self.log_trans[state["family"], state["last"]])
        out[:, : self.V] = rows + self._stay
        if self.eos is not None:
            out[:, self.eos] = np.log(self.eos_prob)
        return out

    def advance(self, state: dict, parents: np.ndarray, tokens: np.ndarray) -> dict:
        family = tokens.copy() if state["t"] == 0 else state["family"][parents]
        return {"family": family, "last": tokens.copy(), "t": state["t"] + 1}

    def family_of(self, state: dict) -> np.ndarray:
        """The family of each hypothesis (valid once one token is generated)."""
        return state["family"]

    def best_logprob(self, length: int) -> float:
        """The exact maximum log-probability of a sequence of ``length`` tokens
        without end-of-sequence (Viterbi over each family's chain)."""
        if length == 0:
            return 0.0
        if length == 1:
            return float(np.log(self.weights).max())
        delta = np.log(self.weights)[:, None] + self.log_init + self._stay
        for _ in range(length - 2):
            delta = (delta[:, :, None] + self.log_trans).max(axis=1) + self._stay
        return float(delta.max())

    def sequence_logprob(self, seq) -> float:
        """The exact log-probability of ``seq`` (family token first; a final
        end-of-sequence token allowed)."""
        seq = list(seq)
        if not seq:
            return 0.0
        f = seq[0]
        lp = float(np.log(self.weights[f]))
        for i in range(1, len(seq)):
            if self.eos is not None and seq[i] == self.eos:
                return lp + float(np.log(self.eos_prob))
            lp += float((self.log_init[f] if i == 1 else self.log_trans[f, seq[i - 1]])[seq[i]])
            lp += self._stay
        return lp


_M1, _M2, _GOLD = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(
    0x9E3779B97F4A7C15)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's output function on uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = x + _GOLD
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def _unit(h: np.ndarray) -> np.ndarray:
    """A uniform on (0, 1) from the top 53 bits of a hash."""
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


class TreeLM:
    """The branching random walk; the state of a hypothesis is the 64-bit hash
    of its path, the root's being the replicate's tree key. Child c of node h
    has logit ``σ z`` with z the Box–Muller normal of two SplitMix64 draws of
    (h, c); the child's hash is ``splitmix64(h ^ (c + 1)·φ)``."""

    eos = None

    def __init__(self, p: TreeLMParams, key: int):
        self.V = self.V_out = p.V
        self.sigma = p.sigma
        self.key = np.uint64(key)
        self._children = (np.arange(p.V, dtype=np.uint64) + np.uint64(1)) * _GOLD

    def root(self, n: int) -> np.ndarray:
        return np.full(n, self.key, dtype=np.uint64)

    def _child_hash(self, h: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return splitmix64(h[:, None] ^ self._children[None, :])

    def logits(self, state: np.ndarray) -> np.ndarray:
        """σ z for every child of every node in ``state``: (n, V)."""
        h = self._child_hash(state)
        u1, u2 = _unit(splitmix64(h)), _unit(splitmix64(h ^ _M1))
        return self.sigma * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)

    def logprobs(self, state: np.ndarray) -> np.ndarray:
        return log_softmax(self.logits(state))

    def advance(self, state: np.ndarray, parents: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        return self._child_hash(state[parents])[np.arange(len(parents)), tokens]
