"""The beam section: candidate expansions per second and tokens per second of
beam search per backend, on the random tree and on a random GPT-2
(``gpt2_random``, V = 64, 2 layers), beside transformers' ``generate`` on the
same GPT-2 (``num_beams=B``, greedy beams, KV cache on both sides: ours
reorders the cache by the engine's parent indices each step).

An expansion is one scored candidate (B·V per step); tokens are B per step.
Without transformers the GPT-2 rows read "—".
"""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import torch

from collapsesim.domains.beam import BeamParams, BeamSimulation
from collapsesim.engine import get_backend

from . import section
from .timing import Settings, best_times


def _ours(backend: str, lm: dict, B: int, L: int):
    params = BeamParams(lm=lm, decoder="beam", width=B, length_penalty=0.0)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim = BeamSimulation(params, get_backend(backend), np.random.SeedSequence(1))
            while sim.tokens.shape[1] < L:
                sim.step()

    return run


def _theirs(B: int, L: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = BeamSimulation(BeamParams(lm={"kind": "gpt2_random", "V": 64}, decoder="beam",
                                        width=B), get_backend("numpy"), np.random.SeedSequence(1))
    model, prompt = sim.lm.model, torch.tensor([sim.lm.prompt])

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.generate(prompt, num_beams=B, num_return_sequences=1, do_sample=False,
                           early_stopping="never", max_new_tokens=L, min_new_tokens=L,
                           length_penalty=0.0, pad_token_id=sim.lm.eos, use_cache=True)

    return run


@section("beam")
def beam(settings: Settings) -> str:
    B, L = (8, 16) if settings.quick else (64, 64)
    hf = importlib.util.find_spec("transformers") is not None
    lms = [("tree, V = 64", {"kind": "tree", "V": 64})]
    if hf:
        lms.append(("gpt2_random, V = 64", {"kind": "gpt2_random", "V": 64}))
    rows = []
    for name, lm in lms:
        fns = {b: _ours(b, lm, B, L) for b in ("numpy", "numba", "torch")}
        if lm["kind"] == "gpt2_random":
            fns["transformers generate"] = _theirs(B, L)
        best = best_times(fns, budget_s=0.5 if settings.quick else 10.0, max_reps=3)
        for label, t in best.items():
            rows.append(f"| {name} | {label} | {B * 64 * L / t:,.0f} | {B * L / t:,.0f} |")
    note = "" if hf else " transformers is not installed: the GPT-2 rows are missing."
    cuda = "" if torch.cuda.is_available() else " CUDA untested (no GPU on this machine)."
    return "\n".join([
        "## beam: expansions and tokens per second", "",
        (f"Beam search of width B = {B} for {L} tokens from the empty prompt (random tree) or a "
         "4-token prompt (GPT-2), one whole decode per timing (LM construction included for "
         "ours: the tree is free, the GPT-2 is built once per decode), best of up to 3. The "
         "GPT-2's forward pass is torch on every backend (numpy and numba convert its "
         f"log-probabilities).{note}{cuda}"), "",
        "| LM | implementation | expansions/s | tokens/s |", "|---|---|---|---|", *rows, ""])
