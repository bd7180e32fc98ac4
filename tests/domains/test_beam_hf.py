"""The beam domain on Hugging Face LMs: our beam search on a random GPT-2
built in code (V = 64, 2 layers, no download) returns transformers'
``generate`` sequences and scores, finished hypotheses included; beam
sampling follows transformers' ``do_sample=True, num_beams=B`` in
distribution; without transformers the scenario is refused naming
``params.lm.kind``; ``import collapsesim`` never imports transformers."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy import stats

from collapsesim.domains.beam import BeamParams, BeamSimulation
from collapsesim.engine import get_backend

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")


def _sim(backend="numpy", seed=1, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return BeamSimulation(BeamParams(**params), get_backend(backend), np.random.SeedSequence(seed))


def _generate(sim, L, **kw):
    model, prompt = sim.lm.model, torch.tensor([sim.lm.prompt])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = model.generate(prompt, max_new_tokens=L, output_scores=True,
                             return_dict_in_generate=True, pad_token_id=sim.lm.eos, **kw)
    return out.sequences[:, prompt.shape[1]:].numpy(), out


# (initializer_range, seed): GPT-2s whose EOS is likely enough that every case finishes hypotheses
CASES = [(1.0, 1), (0.5, 3)]


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("B", [4, 8])
@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
@pytest.mark.parametrize("case", CASES)
def test_beam_search_equals_transformers_generate(backend, B, length_penalty, case):
    ir, seed = case
    L = 12
    sim = _sim(backend, seed, lm={"kind": "gpt2_random", "V": 64, "initializer_range": ir},
               lm_seed=seed, decoder="beam", width=B, length_penalty=length_penalty)
    while sim.tokens.shape[1] < L:
        sim.step()
    assert sim.pool, "the check needs finished hypotheses"
    seqs, out = _generate(sim, L, num_beams=B, num_return_sequences=B, early_stopping="never",
                          do_sample=False, length_penalty=length_penalty)
    ours = sim.ranked()
    assert len(ours) == B
    np.testing.assert_allclose([h[0] for h in ours], out.sequences_scores.numpy(), atol=1e-4)
    for (_, _, toks), theirs in zip(ours, seqs):
        np.testing.assert_array_equal(toks, theirs[: len(toks)])
        assert (theirs[len(toks):] == sim.lm.eos).all()  # transformers pads with EOS


def test_beam_sampling_matches_transformers_in_distribution():
    """V = 8 GPT-2 after the prompt [1, 2], B = 2, T = 1.5, three tokens, EOS suppressed on both sides
    (our beam_sample masks EOS): the first token of the best returned sequence
    over 600 runs each; two-sample chi-square (cells with few counts merged)."""
    V, B, L, R = 8, 2, 3, 600
    lm = {"kind": "gpt2_random", "V": V, "initializer_range": 0.3, "prompt": [1, 2]}
    ours = []
    for r in range(R):
        sim = _sim("numpy", seed=r, lm=lm, lm_seed=0, decoder="beam_sample", width=B,
                   temperature=1.5)
        while sim.tokens.shape[1] < L:
            sim.step()
        ours.append(sim.tokens[int(np.argmax(sim.backend.to_numpy(sim.score))), 0])
    sim = _sim("numpy", seed=0, lm=lm, lm_seed=0, decoder="beam", width=B)
    theirs = []
    torch.manual_seed(0)
    for r in range(R):
        seqs, _ = _generate(sim, L, num_beams=B, num_return_sequences=1, do_sample=True,
                            temperature=1.5, suppress_tokens=[V - 1], top_k=0)
        theirs.append(seqs[0, 0])
    table = np.array([np.bincount(ours, minlength=V), np.bincount(theirs, minlength=V)])
    keep = table.sum(axis=0) >= 20
    table = np.column_stack([table[:, keep], table[:, ~keep].sum(axis=1)])
    table = table[:, table.sum(axis=0) > 0]
    assert table.shape[1] >= 2
    assert stats.chi2_contingency(table).pvalue > 1e-3


def test_import_collapsesim_does_not_import_transformers():
    code = ("import sys, collapsesim, collapsesim.domains.beam; "
            "from collapsesim.registry import available; available(); "
            "assert 'transformers' not in sys.modules, 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
    listing = ("import sys; from collapsesim.cli import main; "
               "sys.argv = ['collapsesim', 'list']\ntry: main()\nexcept SystemExit: pass\n"
               "assert 'transformers' not in sys.modules")
    out = subprocess.run([sys.executable, "-c", listing], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr


def test_without_transformers_the_kind_is_named(tmp_path, monkeypatch):
    import importlib.util

    from collapsesim.config import ConfigError, load

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "transformers" else real(name, *a))
    f = tmp_path / "hf.yaml"
    f.write_text("domain: beam\nsteps: 3\nparams:\n  lm: {kind: gpt2_random}\n")
    with pytest.raises(ConfigError) as e:
        load(f)
    msg = str(e.value)
    assert "params.lm.kind" in msg and "transformers" in msg and "\n" not in msg.strip()
