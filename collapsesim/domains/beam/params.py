"""Parameters of the ``beam`` domain (the YAML ``params:`` block).

``lm`` picks the language model by its ``kind`` (a discriminated union)::

    params:
      lm: {kind: mixture, V: 16, K: 4, weights: [0.4, 0.3, 0.2, 0.1], sharpness: 2.0}
      # or {kind: tree, V: 2, sigma: 1.0}
      # or {kind: gpt2_random, V: 64, initializer_range: 0.5}  (needs transformers)
      # or {kind: hf, path: /local/model, prompt: [464]}        (needs transformers)
      lm_seed: 0
      decoder: beam          # greedy | beam | diverse | sample | stochastic | beam_sample
      width: 8               # B: beams (samples for `sample`); 1 for greedy
      length_penalty: 1.0    # beam: finished hypotheses ranked by score / length**length_penalty
      groups: 4              # diverse: G groups of B/G beams
      diversity: 0.5         # diverse: Hamming penalty λ
      temperature: 1.0       # sample, beam_sample
      top_k: 0               # sample: keep the k most likely tokens (0: all)
      top_p: 1.0             # sample: nucleus mass
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from ..base import DomainParams, expected

DECODERS = ("greedy", "beam", "diverse", "sample", "stochastic", "beam_sample")


class MixtureLMParams(DomainParams):
    """K families with disjoint supports: a sequence's first token is its
    family f ∈ {0 … K−1} (probability ``weights[f]``), the following tokens a
    Markov chain over V tokens private to the family (initial distribution and
    transition rows ``softmax(sharpness_f · z)`` with standard normal z drawn
    from ``lm_seed``; larger sharpness, lower entropy). With ``eos > 0`` every
    token after the family token is followed by the end-of-sequence token
    (index V) with probability ``eos``."""

    kind: Literal["mixture"] = "mixture"
    V: int = Field(16, ge=2, le=4096, description="tokens of each family's chain")
    K: int = Field(4, ge=1, description="families (K <= V: the family token is one of the V)")
    weights: list[float] | None = Field(None, description="family masses (default equal)")
    sharpness: float | list[float] = Field(2.0, gt=0, description="logit scale, per family or one")
    eos: float = Field(0.0, ge=0.0, lt=1.0, description="end-of-sequence probability per token")

    @model_validator(mode="after")
    def _check(self):
        if self.K > self.V:
            raise expected(f"K <= V (the family token is one of the V = {self.V} tokens)")
        if self.weights is not None:
            if len(self.weights) != self.K or any(not w > 0 for w in self.weights):
                raise expected(f"weights: K = {self.K} positive family masses")
        if isinstance(self.sharpness, list) and (
                len(self.sharpness) != self.K or any(not s > 0 for s in self.sharpness)):
            raise expected(f"sharpness: one positive number or K = {self.K} of them")
        return self


class TreeLMParams(DomainParams):
    """A branching random walk: every node (prefix) has V children whose
    log-probabilities are ``log_softmax(sigma · z)`` for i.i.d. standard
    normal z, the same whenever the node is visited (a hash of the path and
    the replicate's tree key). Each replicate draws its own tree."""

    kind: Literal["tree"] = "tree"
    V: int = Field(2, ge=2, le=4096, description="children per node")
    sigma: float = Field(1.0, gt=0, description="scale of the children's logits")


def _needs_transformers(kind: str) -> str:
    """``kind`` if the optional ``transformers`` package is installed (looked
    up, not imported), else a one-line error on ``params.lm.kind``."""
    import importlib.util

    if importlib.util.find_spec("transformers") is None:
        raise expected(f"an installed `transformers` for lm kind {kind!r} "
                        "(pip install 'collapsesim[hf]')")
    return kind


class GPT2RandomLMParams(DomainParams):
    """A tiny GPT-2 built in code from ``GPT2Config`` (no weights, no
    download): ``V`` tokens (the last, V − 1, is end-of-sequence), 2 layers,
    2 heads, width 32; weights drawn by torch from ``lm_seed``;
    ``initializer_range`` (the weights' standard deviation) sets how peaked
    its next-token distributions are. Each replicate decodes after its own
    prompt of ``prompt_length`` tokens drawn uniformly from 0 … V − 2, or
    after ``prompt`` when given."""

    kind: Literal["gpt2_random"] = "gpt2_random"
    V: int = Field(64, ge=3, le=4096, description="vocabulary (EOS = V - 1)")
    initializer_range: float = Field(0.5, gt=0, description="std of the random weights")
    prompt_length: int = Field(4, ge=1, le=64, description="prompt tokens per replicate")
    prompt: list[int] | None = Field(None, description="a fixed prompt (token ids < V - 1) "
                                     "instead of one drawn per replicate")

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, v, info):
        V = info.data.get("V")
        if v is not None and (not v or (V is not None and any(not 0 <= t < V - 1 for t in v))):
            raise expected(f"a non-empty list of token ids in [0, V - 1) = [0, {V - 1})")
        return v

    @field_validator("kind")
    @classmethod
    def _installed(cls, v):
        return _needs_transformers(v)


class HFLMParams(DomainParams):
    """A local causal LM: ``AutoModelForCausalLM.from_pretrained(path,
    local_files_only=True)`` (nothing is downloaded); EOS from its config."""

    kind: Literal["hf"] = "hf"
    path: str = Field(description="a local model folder")
    prompt: list[int] = Field(default_factory=lambda: [0], description="prompt token ids")

    @field_validator("kind")
    @classmethod
    def _installed(cls, v):
        return _needs_transformers(v)


LM = Annotated[Union[MixtureLMParams, TreeLMParams, GPT2RandomLMParams, HFLMParams],
               Field(discriminator="kind")]


class BeamParams(DomainParams):
    """A decoder (``decoder``) on a language model (``lm``); one step is one
    generated token. ``lm_seed`` fixes the mixture LM (every replicate decodes
    the same LM; deterministic decoders — greedy, beam, diverse — then give
    identical replicates); the tree LM and every random draw come from the
    replicate's own stream."""

    lm: LM = Field(default_factory=MixtureLMParams, description="the language model")
    lm_seed: int = Field(0, ge=0, description="seed of the mixture LM")
    decoder: Literal[DECODERS] = Field("beam", description="the decoding algorithm")
    width: int = Field(8, ge=1, le=1 << 16, description="beam width B (samples for `sample`)")
    length_penalty: float = Field(1.0, description="beam: score / length**length_penalty")
    groups: int = Field(2, ge=1, description="diverse: groups G (a divisor of width)")
    diversity: float = Field(0.5, ge=0.0, description="diverse: Hamming penalty λ")
    temperature: float = Field(1.0, gt=0.0, description="sample, beam_sample: temperature T")
    top_k: int = Field(0, ge=0, description="sample: keep the k most likely tokens (0: all)")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="sample: nucleus mass")

    @model_validator(mode="after")
    def _check(self):
        if self.decoder == "greedy" and self.width != 1:
            raise expected("width: 1 for the greedy decoder (beam search of width 1)")
        if self.decoder == "diverse" and self.width % self.groups:
            raise expected(f"groups: a divisor of width = {self.width}")
        return self
