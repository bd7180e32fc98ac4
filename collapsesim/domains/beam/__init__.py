"""The ``beam`` domain: beam collapse in sequence decoding — beam search is
truncation selection on a population of partial sequences, and its beams'
ancestries coalesce as a particle filter's paths do — and the decoders that
keep diversity, exact on toy language models.

* :mod:`.params` — language model (``lm.kind``: ``mixture``, ``tree``),
  decoder and its settings;
* :mod:`.lms` — the synthetic mixture LM (K families, exact sequence and
  family probabilities) and the random-tree LM (a branching random walk);
* :mod:`.hf` — Hugging Face causal LMs (``gpt2_random``: a tiny random GPT-2
  built in code; ``hf``: a local model), KV cache reordered by the parents;
  ``transformers`` is imported only when one is built;
* :mod:`.decoders` — greedy, beam (length penalty, EOS), diverse beam,
  sampling (temperature, top-k, top-p), stochastic beam search, beam sampling;
* :mod:`.textstats` — prefix sharing, distinct-n, self-BLEU;
* :mod:`.model` — one replicate (build, step, observe; series and metrics);
* :mod:`.theory` — exhaustive enumeration, exact inclusion probabilities of
  sampling without replacement, Brunet & Derrida's ln³ B law.

One step is one generated token. Survivors are chosen by the engine's
``truncation`` and Gumbel operators; ancestry is the engine's ``Genealogy``.

References: Vijayakumar et al. (2018) AAAI "Diverse beam search"; Kool, van
Hoof & Welling (2019) ICML "Stochastic beams and where to find them"; Brunet
& Derrida (1997) Phys. Rev. E 56:2597; Li et al. (2016) NAACL (distinct-n);
Zhu et al. (2018) SIGIR (Texygen, self-BLEU); Holtzman et al. (2020) ICLR
(nucleus sampling).
"""

from __future__ import annotations

from ...registry import register
from ..base import Domain
from .model import BeamSimulation
from .params import BeamParams


@register("beam")
class Beam(Domain):
    """A decoder's hypotheses on a language model; one step is one token."""

    Params = BeamParams
    headline = "ancestors"
    backends = ("numpy", "numba", "torch")
    batched = False
    clock = "tokens"
    description = "beam search: beam collapse and the decoders that keep diversity"
    agreement = {"numba": "exact"}  # numba shares numpy's generator and operators' results
    check_scenario = {"steps": 12, "record_every": 3, "replicates": 2,
                      "params": {"lm": {"kind": "tree", "V": 3}, "decoder": "stochastic",
                                 "width": 8}}

    @classmethod
    def memory_estimate(cls, params: BeamParams, replicates: int) -> list[tuple[str, float]]:
        """Upper bound: about 16 float64 arrays of the width·V candidates for
        one replicate at a time (tokens grow with the steps: B·steps·8 bytes);
        a local HF model's vocabulary is not known before loading: GPT-2's
        50257 is assumed."""
        return [("params.width", 16 * 8.0 * params.width * getattr(params.lm, "V", 50257))]

    def build(self, params: BeamParams, *, backend, seeds, steps: int) -> BeamSimulation:
        return BeamSimulation(params, backend, self.single_seed(seeds))


__all__ = ["Beam", "BeamParams", "BeamSimulation"]
