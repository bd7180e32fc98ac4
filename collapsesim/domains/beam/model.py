"""One replicate of the ``beam`` domain: a decoder's population of
hypotheses on a language model, one token per step.

**Build.** Decoding starts from the empty prompt (``width`` copies of it for
``sample``). ``build`` generates at least one token and goes on, with as many
hypotheses as there are candidates, until ``width`` hypotheses exist; those
are the *founders* (generation 0 of the engine's :class:`Genealogy`), so the
headline is meaningful from step 0 — the first token alone would cap it at V
(or at K families). Diverse beam search starts as transformers' group beam
search does when the prompt has at least B/G possible next tokens: every
group from its own copy of the prompt, its first B/G tokens already chosen
with the Hamming penalty (so at λ = 0 the G groups are G identical beam
searches of width B/G); otherwise its build is beam search's. Step s of the
runner then generates token ``t0 + s``, ``t0`` the build length (metric
``t0``).

**Step.** The LM gives (n, V) log-probabilities; the decoder
(:mod:`.decoders`) picks the survivors with the engine's operators; the
genealogy records each survivor's parent; tokens, LM state and log-probability
follow the parents. With an EOS token, beam search moves finished hypotheses
into a pool of the best ``width`` by ``score / length**length_penalty``
(length = generated tokens, EOS included); the running beams stay ``width``.
Other decoders never emit EOS (masked).

**Series.** ``ancestors`` (headline): running beams per surviving founder,
reference B (path degeneracy: relative diversity 1/B once all beams share
one founder). ``hypotheses``: the running beams weighted by normalised
sequence probability, reference B (its D1 is the effective number of beams).
``families`` (mixture LM): beam probability mass per family, reference the
LM's family masses (so ``coverage`` is the fraction of families kept).

**Metrics.** ``tmrca`` (steps back to the beams' common ancestor, once they
have one), ``distinct_lag1``, ``distinct_lag10``, ``surviving_founders`` (as
particle_filter), ``shared_prefix`` and ``mean_pairwise_prefix`` (tokens),
``distinct_1`` … ``distinct_4``, ``self_bleu`` (over the 64 most probable
beams), ``best_logprob`` (the most probable running beam), ``finished``
(beam search with EOS: the pool's size), ``t0``; on the mixture LM also
``family_mass_covered`` (Σ w_f over the families present) and
``search_error`` (1 when no running beam reaches the exact best
log-probability of a sequence of its length, else 0).

**Randomness.** ``engine.streams(seed, "tree", "decoder")``: the tree LM's
key and the decoder's generator. The mixture LM is fixed by ``lm_seed``.
"""

from __future__ import annotations

import numpy as np

from ...engine import Genealogy, streams
from ..base import DivergenceError, Observation, Series
from . import decoders as dec
from .lms import MixtureLM, TreeLM
from .params import BeamParams
from .textstats import distinct_n, prefix_stats, self_bleu

SELF_BLEU_BEAMS = 64


def make_lm(params: BeamParams, seed: np.random.SeedSequence):
    """The replicate's LM: the mixture and the GPT-2 weights from ``lm_seed``;
    the tree, and the GPT-2's prompt, from the replicate's "tree" stream."""
    if params.lm.kind == "mixture":
        return MixtureLM(params.lm, params.lm_seed)
    tree = streams(seed, "tree", "decoder")["tree"]
    if params.lm.kind == "tree":
        return TreeLM(params.lm, int(tree.generate_state(1, np.uint64)[0]))
    from .hf import HFLM, build_model  # imports transformers

    if params.lm.kind == "hf":
        return HFLM(build_model(params.lm, params.lm_seed), params.lm.prompt)
    prompt = params.lm.prompt or np.random.default_rng(tree).integers(
        0, params.lm.V - 1, params.lm.prompt_length)
    return HFLM(build_model(params.lm, params.lm_seed), prompt)


class BeamSimulation:
    """One replicate; see the module docstring."""

    def __init__(self, params: BeamParams, backend, seed: np.random.SeedSequence):
        self.params = params
        self.backend = backend
        self.rng = backend.rng(streams(seed, "tree", "decoder")["decoder"])
        self.lm = make_lm(params, seed)
        self.width = params.width
        n = self.width if params.decoder == "sample" else 1
        self.state = self.lm.root(n)
        self.group_start = (params.decoder == "diverse" and np.isfinite(
            self.backend.to_numpy(self._logprobs())).sum() >= self.width // params.groups)
        if self.group_start:
            n = params.groups
            self.state = self.lm.root(n)
        self.tokens = np.zeros((n, 0), np.int64)
        self.lp = backend.zeros(n)       # LM log-probability of each hypothesis
        self.score = backend.zeros(n)    # decoder score (beam_sample: Σ log p / T; diverse: − penalties)
        self.gumbel = backend.zeros(n)   # stochastic beam search: the perturbed log-probabilities
        self.pool: list[tuple[float, float, np.ndarray]] = []  # (ranked score, score, tokens)
        self._advance(build=True)
        while self.tokens.shape[0] < self.width:
            self._advance(build=True)
        self.t0 = self.tokens.shape[1]
        self.genealogy = Genealogy(self.width)

    # -- dynamics -------------------------------------------------------------------------
    def _logprobs(self):
        logp = self.lm.logprobs(self.state)
        if self.lm.eos is not None and self.params.decoder != "beam":
            logp[:, self.lm.eos] = -np.inf
        return self.backend.asarray(logp)

    def _advance(self, build: bool = False) -> np.ndarray:
        """Generate one token for every hypothesis; returns the parents."""
        p, b = self.params, self.backend
        logp = self._logprobs()
        kind = "beam" if build and p.decoder == "diverse" and not self.group_start else p.decoder
        if kind == "beam" and self.lm.eos is not None:
            (parents, tok, score), (done_par, done_score) = dec.beam_eos(
                b, self.score, logp, self.width, self.lm.eos)
            self._finish(done_par, done_score)
        elif kind == "beam":
            parents, tok, score = dec.beam(b, self.score, logp, self.width)
        elif kind == "greedy":
            parents, tok, score = dec.greedy(b, self.score, logp)
        elif kind == "diverse":
            parents, tok, score = dec.diverse(b, self.score, logp, self.width, p.groups,
                                              p.diversity)
        elif kind == "sample":
            parents, tok = dec.sample(b, logp, self.rng, p.temperature, p.top_k, p.top_p)
            score = None
        elif kind == "stochastic":
            parents, tok, score, self.gumbel = dec.stochastic(b, self.score, self.gumbel, logp,
                                                              self.rng, self.width)
        else:
            parents, tok, score = dec.beam_sample(b, self.score, logp, self.rng, self.width,
                                                  p.temperature)
        if len(parents) == 0:
            raise DivergenceError("no hypothesis can be continued (every candidate finished)")
        V = logp.shape[-1]
        self.lp = logp.reshape(-1)[b.asarray(parents * V + tok)] + self.lp[b.asarray(parents)]
        self.score = self.lp if score is None else score
        self.tokens = np.concatenate([self.tokens[parents], tok[:, None]], axis=1)
        self.state = self.lm.advance(self.state, parents, tok)
        return parents

    def _finish(self, parents: np.ndarray, scores: np.ndarray) -> None:
        """transformers' BeamHypotheses.add: keep the ``width`` best finished
        hypotheses by score / length**length_penalty."""
        length = self.tokens.shape[1] + 1
        for par, s in zip(parents, scores):
            ranked = float(s) / length ** self.params.length_penalty
            if len(self.pool) < self.width or ranked > self.pool[-1][0]:
                seq = np.append(self.tokens[par], self.lm.eos)
                self.pool.append((ranked, float(s), seq))
                self.pool.sort(key=lambda h: -h[0])
                del self.pool[self.width:]

    def step(self) -> None:
        """Generate one token."""
        self.genealogy.update(self._advance())

    # -- results ---------------------------------------------------------------------------
    def ranked(self) -> list[tuple[float, float, np.ndarray]]:
        """The final hypotheses as transformers returns them: finished and
        running together, the best ``width`` by score / length**length_penalty,
        best first (running ones at their current length)."""
        L = self.tokens.shape[1]
        scores = self.backend.to_numpy(self.score)
        run = [(float(s) / L ** self.params.length_penalty, float(s), t)
               for s, t in zip(scores, self.tokens)]
        return sorted(self.pool + run, key=lambda h: -h[0])[: self.width]

    def observe(self) -> Observation:
        g, lm = self.genealogy, self.lm
        founders = np.bincount(g.founders, minlength=self.width)
        lp = self.backend.to_numpy(self.lp).astype(np.float64)
        w = np.exp(lp - lp.max())
        w /= w.sum()
        series = {"ancestors": Series(founders[founders > 0].astype(float), float(self.width)),
                  "hypotheses": Series(w, float(self.width))}
        shared, pairwise = prefix_stats(self.tokens)
        top = self.tokens[np.argsort(-lp, kind="stable")[:SELF_BLEU_BEAMS]]
        metrics = {"surviving_founders": float(len(g.surviving_founders())),
                   "shared_prefix": shared, "mean_pairwise_prefix": pairwise,
                   "best_logprob": float(lp.max()), "finished": float(len(self.pool)),
                   "t0": float(self.t0)}
        if g.generation >= 1:
            metrics["distinct_lag1"] = float(g.distinct_ancestors(1))
        if g.generation >= 10:
            metrics["distinct_lag10"] = float(g.distinct_ancestors(10))
        tmrca = g.tmrca()
        if tmrca is not None:
            metrics["tmrca"] = float(tmrca)
        for n in range(1, 5):
            d = distinct_n(self.tokens, n)
            if d is not None:
                metrics[f"distinct_{n}"] = d
        sb = self_bleu(top)
        if sb is not None:
            metrics["self_bleu"] = sb
        if isinstance(lm, MixtureLM):
            fam = lm.family_of(self.state)
            mass = np.bincount(fam, weights=w, minlength=lm.K)
            series["families"] = Series(mass, lm.weights.copy())
            metrics["family_mass_covered"] = float(lm.weights[np.unique(fam)].sum())
            best = lm.best_logprob(self.tokens.shape[1])
            metrics["search_error"] = float(lp.max() < best - 1e-9 * max(1.0, abs(best)))
        return Observation(series=series, metrics=metrics)
