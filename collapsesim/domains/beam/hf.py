"""Hugging Face causal LMs for the ``beam`` domain (optional: ``transformers``
is imported only when such an LM is built, never by ``import collapsesim``).

:class:`HFLM` follows the interface of :mod:`.lms`. Its state is the KV cache
of the n running hypotheses and their last next-token log-probabilities;
``advance`` reorders the cache by the engine's parent indices
(``Cache.reorder_cache``, which also changes the number of rows) and runs
the model on the chosen tokens. The forward pass is torch on the CPU
whatever the domain's backend; its float32 logits become float64
log-probabilities (``log_softmax``) on the host, which the decoders move to
their backend — so ``backend: numpy`` and ``numba`` decode an HF LM exactly
as torch does (the decoders' arithmetic is float64 everywhere).
"""

from __future__ import annotations

import inspect

import numpy as np

from .lms import log_softmax


def build_model(p, lm_seed: int):
    """The torch model: a tiny random GPT-2 (``gpt2_random``) or a local one (``hf``)."""
    import torch
    import transformers

    if p.kind == "gpt2_random":
        config = transformers.GPT2Config(
            vocab_size=p.V, n_positions=1024, n_embd=32, n_layer=2, n_head=2,
            initializer_range=p.initializer_range, bos_token_id=p.V - 1, eos_token_id=p.V - 1)
        devices = [] if not torch.cuda.is_available() else None
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(lm_seed)
            model = transformers.GPT2LMHeadModel(config)
    else:
        model = transformers.AutoModelForCausalLM.from_pretrained(p.path, local_files_only=True)
    return model.eval()


class HFLM:
    """A causal LM decoding after ``prompt`` (a list of token ids)."""

    def __init__(self, model, prompt):
        import torch

        self.torch = torch
        self.model = model
        self.V = self.V_out = int(model.config.vocab_size)
        eos = model.config.eos_token_id
        self.eos = int(eos[0] if isinstance(eos, (list, tuple)) else eos) if eos is not None else None
        self.prompt = [int(t) for t in prompt]
        # transformers >= 5.x names the KV cache `cache`; 4.x `past_key_values`
        self._cache = ("cache" if "cache" in inspect.signature(model.forward).parameters
                       else "past_key_values")

    def _forward(self, ids, past):
        with self.torch.no_grad():
            out = self.model(input_ids=self.torch.as_tensor(ids, dtype=self.torch.long),
                             use_cache=True, **{self._cache: past})
        logits = out.logits[:, -1, :].double().cpu().numpy()
        return {"past": out[self._cache], "logp": log_softmax(logits)}

    def root(self, n: int) -> dict:
        return self._forward(np.tile(self.prompt, (n, 1)), None)

    def logprobs(self, state: dict) -> np.ndarray:
        return state["logp"].copy()

    def advance(self, state: dict, parents: np.ndarray, tokens: np.ndarray) -> dict:
        past = state["past"]
        past.reorder_cache(self.torch.as_tensor(parents, dtype=self.torch.long))
        return self._forward(tokens[:, None], past)
