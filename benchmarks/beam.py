"""The beam section: candidate expansions per second and tokens per second of
beam search per backend, on the random tree and on a random GPT-2
(``gpt2_random``, V = 64, 2 layers), beside transformers' ``generate`` on the
same GPT-2 (``num_beams=B``, greedy beams, KV cache on both sides: ours
reorders the cache by the engine's parent indices each step).

An expansion is one scored candidate (B·V per step); tokens are B per step.
transformers runs in a subprocess under the interpreter named by
``COLLAPSESIM_TRANSFORMERS456_PYTHON`` (transformers 4.56.2, the version
``collapsesim/reproductions/beam_hf456.py`` pins; built by
``benchmarks/setup_peers.sh``), which builds the same GPT-2 through collapsesim
and times ``generate`` (:func:`hf_seconds`); unset, its row is missing.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from collapsesim.domains.beam import BeamParams, BeamSimulation
from collapsesim.engine import get_backend

from . import peers, section
from .timing import Settings, spread_ratio, time_samples

VAR = "COLLAPSESIM_TRANSFORMERS456_PYTHON"


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


def hf_seconds(B: int, L: int, budget: float) -> list[float]:
    """Timings of transformers' ``generate`` (run in the peer's environment)."""
    torch.set_num_threads(1)
    return time_samples({"hf": _theirs(B, L)}, budget, max_reps=3)["hf"]


@section("beam")
def beam(settings: Settings) -> str:
    B, L = (8, 16) if settings.quick else (64, 64)
    budget = 0.5 if settings.quick else 10.0
    rows = []
    for name, lm in [("tree, V = 64", {"kind": "tree", "V": 64}),
                     ("gpt2_random, V = 64", {"kind": "gpt2_random", "V": 64})]:
        samples = time_samples({b: _ours(b, lm, B, L) for b in ("numpy", "numba", "torch")}, budget,
                               max_reps=3)
        if lm["kind"] == "gpt2_random":
            hf = peers.call(VAR, "beam:hf_seconds", B=B, L=L, budget=budget)
            if hf is not None:
                samples["transformers generate"] = hf
        for label, t in samples.items():
            ratio = (spread_ratio(samples["transformers generate"], t)
                     if "transformers generate" in samples and label != "transformers generate" else "—")
            rows.append(f"| {name} | {label} | {B * 64 * L / min(t):,.0f} | {B * L / min(t):,.0f} | {ratio} |")
    version = peers.versions(VAR, ("transformers", "torch"))
    note = f" transformers ({version}) runs under `{VAR}`, in its own process."
    cuda = "" if torch.cuda.is_available() else " CUDA untested (no GPU on this machine)."
    return "\n".join([
        "## beam: expansions and tokens per second", "",
        (f"Beam search of width B = {B} for {L} tokens from the empty prompt (random tree) or a "
         "4-token prompt (GPT-2), one whole decode per timing (LM construction included for "
         "ours: the tree is free, the GPT-2 is built once per decode), best of up to 3. The "
         "GPT-2's forward pass is torch on every backend (numpy and numba convert its "
         f"log-probabilities).{note}{cuda}"), "",
        "| LM | implementation | expansions/s | tokens/s | transformers / ours |", "|---|---|---|---|---|",
        *rows, ""])
