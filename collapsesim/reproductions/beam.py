"""Reproduction of the beam domain: ``collapsesim reproduce beam`` →
``docs/reproductions/beam.md`` and ``figures/beam_*.png``.

Every study runs the domain's scenarios through the runner
(:func:`harness.run_replicates`; replicate j draws from
``SeedSequence(seed, spawn_key=(j,))`` as in a user's run):

1. **The collapse law** — beam search on the binary random tree (V = 2,
   σ = 1): the beams' TMRCA at the end of a long run against B, on log axes;
   least squares of ln TMRCA on ln ln B gives the exponent k of
   TMRCA ∝ (ln B)^k, reported beside Brunet & Derrida's asymptotic k = 3, and
   TMRCA/ln B against B. Beam sampling on V = 64 beside it (TMRCA/ln B).
2. **Diverse beam search** — family mass covered on the mixture LM against
   the width B and the Hamming penalty λ (λ = 0: G groups that are each beam
   search of width B/G); then, when ``COLLAPSESIM_TRANSFORMERS456_PYTHON``
   names an interpreter with transformers 4.56.2, our diverse beam search
   against its group beam search on random GPT-2s (:func:`diverse_hf_section`,
   driven by ``beam_hf456.py``; without it the page says in one line that it
   was not run).
3. **Sampling** — distinct-2 and self-BLEU of 16 samples against temperature.

Standard errors are replicate standard errors. The scale is chosen so the
page regenerates in a few minutes on 2 cores; ``scale < 1`` shrinks it (the
tests run it small).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from . import MissingRequirement, protocol
from .harness import command, figure_path, header, mean_se, run_replicates, write_page

HF456_ENV = "COLLAPSESIM_TRANSFORMERS456_PYTHON"
HF456_SCRIPT = Path(__file__).with_name("beam_hf456.py")
# the random GPT-2s of the diverse-beam comparison: (initializer_range, lm_seed = replicate seed)
HF456_MODELS = [(1.0, 1), (0.5, 3)]

TREE = {"kind": "tree", "V": 2, "sigma": 1.0}
MIXTURE = {"kind": "mixture", "V": 16, "K": 4, "weights": [0.4, 0.3, 0.2, 0.1], "sharpness": 2.0}


def _final(res, metric: str, series: str = "domain") -> np.ndarray:
    """The last recorded value of ``metric`` per replicate (NaN where never recorded)."""
    m = res.metrics
    sub = m[(m["series"] == series) & (m["metric"] == metric)]
    last = sub.sort_values("step").groupby("replicate")["value"].last()
    return last.reindex(range(int(m["replicate"].max()) + 1)).to_numpy(dtype=float)


def collapse_law(widths, *, replicates: int, steps: int, seed: int, backend: str,
                 decoder: str = "beam", lm: dict = TREE) -> dict:
    """TMRCA at the last step per width: {B: array over replicates (NaN: not coalesced)}."""
    out = {}
    for B in widths:
        res = run_replicates({"domain": "beam", "params": {"lm": lm, "decoder": decoder,
                                                           "width": B}},
                             replicates=replicates, seed=seed, backend=backend, steps=steps,
                             record_every=steps)
        m = res.metrics
        sub = m[(m["series"] == "domain") & (m["metric"] == "tmrca") & (m["step"] == steps)]
        t = np.full(replicates, np.nan)
        t[sub["replicate"].to_numpy(dtype=int)] = sub["value"].to_numpy()
        out[B] = t
    return out


def fit_power_of_log(widths, tmrca_means) -> tuple[float, float]:
    """Least squares of ln T on ln ln B: returns (k, c) of T = c·(ln B)^k."""
    x = np.log(np.log(np.asarray(widths, dtype=float)))
    k, a = np.polyfit(x, np.log(np.asarray(tmrca_means, dtype=float)), 1)
    return float(k), float(np.exp(a))


def diverse_coverage(widths, lambdas, *, steps: int, seed: int, backend: str) -> dict:
    """{(B, λ): final family mass covered} for diverse beam search with G = 4
    groups (deterministic: one replicate) and plain beam search (λ = None)."""
    out = {}
    for B in widths:
        for lam in [None, *lambdas]:
            params = ({"lm": MIXTURE, "decoder": "beam", "width": B} if lam is None else
                      {"lm": MIXTURE, "decoder": "diverse", "width": B, "groups": 4,
                       "diversity": lam})
            res = run_replicates({"domain": "beam", "params": params}, replicates=1, seed=seed,
                                 backend=backend, steps=steps, record_every=steps)
            out[(B, lam)] = float(_final(res, "family_mass_covered")[0])
    return out


def sampling_diversity(temperatures, *, replicates: int, steps: int, seed: int,
                       backend: str) -> dict:
    """{T: (distinct_2 mean, SE, self_bleu mean, SE)} of 16 samples on the mixture LM."""
    out = {}
    for T in temperatures:
        res = run_replicates({"domain": "beam", "params": {"lm": MIXTURE, "decoder": "sample",
                                                           "width": 16, "temperature": T}},
                             replicates=replicates, seed=seed, backend=backend, steps=steps,
                             record_every=steps)
        out[T] = (*mean_se(_final(res, "distinct_2")), *mean_se(_final(res, "self_bleu")))
    return out


def expansion(B: int = 4, V: int = 3, tokens: int = 14, seed: int = 1) -> list[dict]:
    """One small beam search on the random tree with every candidate it
    scored: per step, the candidates (parent row, token, log-probability) and
    which of them survived. A direct loop over one simulation (not the
    runner): the runner records metrics, not the candidates a step prunes.
    Survivors are matched to candidates by their token rows (distinct in beam
    search)."""
    from ..domains.beam import BeamParams, BeamSimulation
    from ..engine import get_backend

    sim = BeamSimulation(BeamParams(lm={"kind": "tree", "V": V}, decoder="beam", width=B),
                         get_backend("numpy"), np.random.SeedSequence(seed))
    steps = []
    while sim.tokens.shape[1] < tokens:
        prev, lp = sim.tokens.copy(), sim.backend.to_numpy(sim.lp)
        cand_lp = (lp[:, None] + sim.lm.logprobs(sim.state)).reshape(-1)
        sim.step()
        rows = {tuple(r): i for i, r in enumerate(prev)}
        kept = {rows[tuple(r[:-1])] * V + int(r[-1]): j for j, r in enumerate(sim.tokens)}
        steps.append({"parent": np.repeat(np.arange(len(prev)), V), "lp": cand_lp,
                      "kept": kept})
    return steps


def diverse_cases(*, widths=(4, 8), groups=(2, 4), lambdas=(0.5, 2.0),
                  length_penalties=(0.0, 1.0), tokens: int = 12,
                  models=HF456_MODELS) -> tuple[dict, list, list]:
    """Our diverse beam search on ``gpt2_random`` (V = 64, 2 layers) for every
    (model, B, G, λ, length penalty) and the reference script's input for the
    same cases: ``(spec, ours, models)`` with ``spec["models"]`` holding each
    model's ``GPT2Config`` arguments (its weights are written by
    :func:`write_weights`), ``ours[i]`` the i-th case's ranked hypotheses
    ``(ranked score, tokens)``, ``models`` the torch models. Imports
    transformers (the ``[hf]`` extra)."""
    import warnings

    from ..domains.beam import BeamParams, BeamSimulation
    from ..engine import get_backend

    spec, ours, nets = {"models": [], "cases": []}, [], []
    for m, (ir, seed) in enumerate(models):
        for B in widths:
            for G in groups:
                for lam in lambdas:
                    for lp in length_penalties:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            sim = BeamSimulation(BeamParams(
                                lm={"kind": "gpt2_random", "V": 64, "initializer_range": ir},
                                lm_seed=seed, decoder="diverse", width=B, groups=G,
                                diversity=lam, length_penalty=lp),
                                get_backend("numpy"), np.random.SeedSequence(seed))
                        while sim.tokens.shape[1] < tokens:
                            sim.step()
                        ours.append([(h[0], h[2].tolist()) for h in sim.ranked()])
                        spec["cases"].append({
                            "model": m, "prompt": [int(t) for t in sim.lm.prompt],
                            "num_beams": B, "num_beam_groups": G, "diversity_penalty": lam,
                            "length_penalty": lp, "max_new_tokens": tokens,
                            "suppress_eos": True})
        config = sim.lm.model.config
        spec["models"].append({"config": {k: getattr(config, k) for k in (
            "vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "initializer_range",
            "bos_token_id", "eos_token_id")}, "weights": None})
        nets.append(sim.lm.model)
    return spec, ours, nets


def write_weights(spec: dict, models: list, folder: Path) -> dict:
    """``spec`` with each model's ``state_dict`` saved under ``folder`` (the
    JSON the reference script reads)."""
    import torch

    out = {"models": [], "cases": spec["cases"]}
    for i, (m, model) in enumerate(zip(spec["models"], models)):
        path = Path(folder) / f"gpt2_{i}.pt"
        torch.save(model.state_dict(), path)
        out["models"].append({**m, "weights": str(path)})
    return out


def run_hf456(python: str, spec: dict, models: list) -> dict:
    """Run ``beam_hf456.py`` under ``python`` on ``spec``; its JSON result."""
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "data.json", Path(tmp) / "out.json"
        data.write_text(json.dumps(write_weights(spec, models, Path(tmp))))
        done = subprocess.run([python, str(HF456_SCRIPT), "--data", str(data), "--out", str(out)],
                              capture_output=True, text=True,
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
        if done.returncode:  # transformers' deprecation notices on stderr are dropped otherwise
            raise RuntimeError(f"{HF456_SCRIPT.name} failed under {python}:\n{done.stderr}")
        return json.loads(out.read_text())


def compare_diverse(spec: dict, ours: list, theirs: dict, atol: float = 1e-4) -> list[dict]:
    """Per case: how many of the B returned sequences are equal (same rank),
    the largest |score difference|, and agreement (all equal, scores within
    ``atol``)."""
    rows = []
    for case, mine, ref in zip(spec["cases"], ours, theirs["results"]):
        same = sum(toks == seq[: len(toks)] for (_, toks), seq in zip(mine, ref["sequences"]))
        diff = float(np.max(np.abs(np.array([h[0] for h in mine]) - np.array(ref["scores"]))))
        rows.append({**{k: case[k] for k in ("model", "num_beams", "num_beam_groups",
                                             "diversity_penalty", "length_penalty")},
                     "equal": same, "max_score_diff": diff,
                     "agree": same == case["num_beams"] == len(mine) and diff <= atol})
    return rows


def hf456_python() -> str | None:
    """The interpreter named by ``COLLAPSESIM_TRANSFORMERS456_PYTHON`` (None
    when unset); a set value that is not an executable file stops with one line."""
    python = os.environ.get(HF456_ENV)
    if not python:
        return None
    if not (Path(python).is_file() and os.access(python, os.X_OK)):
        raise MissingRequirement(f"{HF456_ENV} names {python!r}, which is not an executable "
                                 "file: set it to a Python that has transformers==4.56.2")
    return python


def diverse_hf_section(python: str | None) -> str:
    """The diverse-beam comparison with transformers 4.56.2 (one line when
    ``python`` is None)."""
    how = (f"`python -m venv hf456 && hf456/bin/pip install torch transformers==4.56.2`, then "
           f"`{HF456_ENV}=hf456/bin/python {command('beam')}`")
    if python is None:
        return (f"The comparison with transformers 4.56.2's group beam search was **not run** "
                f"for this page ({HF456_ENV} unset); to run it: {how}.\n")
    spec, ours, models = diverse_cases()
    theirs = run_hf456(python, spec, models)
    rows = compare_diverse(spec, ours, theirs)
    lines = ["| GPT-2 (initializer range, seed) | B | G | λ | length penalty | sequences equal "
             "| max \\|Δ score\\| | agree |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        ir, seed = HF456_MODELS[r["model"]]
        lines.append(f"| {ir}, {seed} | {r['num_beams']} | {r['num_beam_groups']} | "
                     f"{r['diversity_penalty']} | {r['length_penalty']} | {r['equal']} of "
                     f"{r['num_beams']} | {r['max_score_diff']:.1e} | "
                     f"{'yes' if r['agree'] else '**no**'} |")
    n_ok = sum(r["agree"] for r in rows)
    case = spec["cases"][0]
    return (
        f"### Against transformers {theirs['transformers']}\n\nGroup beam search "
        f"(`num_beam_groups`) left transformers' core in 4.57, so transformers "
        f"{theirs['transformers']} (torch {theirs['torch']}) runs in its own environment, "
        f"driven by `collapsesim/reproductions/beam_hf456.py`, which imports nothing from "
        f"collapsesim; this page's command ran it under `{HF456_ENV}` ({how}). Both sides "
        f"decode the same random GPT-2 (`lm: {{kind: gpt2_random, V: 64}}`, 2 layers; the "
        f"weights are built here and handed over as a `state_dict`) after the same "
        f"{len(case['prompt'])}-token prompt: ours is `decoder: diverse` for "
        f"{case['max_new_tokens']} tokens and `ranked()`; theirs `generate(num_beams=B, "
        f"num_beam_groups=G, diversity_penalty=λ, length_penalty=…, num_return_sequences=B, "
        f"do_sample=False, early_stopping=\"never\", suppress_tokens=[EOS])` (our diverse "
        f"decoder never emits EOS, so EOS is suppressed on their side). A case agrees when "
        f"every returned sequence is equal, in rank order, and every score is within 1e-4.\n\n"
        + "\n".join(lines) + f"\n\n**{n_ok} of {len(rows)} cases agree.** Two rules of "
        f"transformers' group beam search are ours too (they were not before this comparison): "
        f"a beam's score accumulates the Hamming penalties of its path (the penalised "
        f"log-probability is the candidate's score, as in fairseq and the authors' code; the "
        f"sequence's log-probability is kept apart), and every group starts from the prompt, "
        f"its first B/G tokens already penalised (at λ = 0 the G groups are G identical beam "
        f"searches of width B/G, which is why transformers refuses λ = 0).\n")


def _tree_figure(out: Path, steps: list[dict]) -> str:
    """The beam as a tree over steps: every candidate (grey: pruned), the
    survivors (blue) and the lineages that reach the last step (black)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    live = set(steps[-1]["kept"].values())  # rows alive at the end
    alive = [None] * len(steps)
    for t in range(len(steps) - 1, -1, -1):
        kept = steps[t]["kept"]
        alive[t] = {c for c, j in kept.items() if j in live}
        live = {int(steps[t]["parent"][c]) for c in alive[t]}
    for t, st in enumerate(steps):
        V = len(st["parent"]) // (int(st["parent"].max()) + 1)
        for c, par in enumerate(st["parent"]):
            if c in st["kept"]:  # a survivor: from its parent's row to its own row
                color, z = ("black", 3) if c in alive[t] else ("tab:blue", 2)
                ax.plot([t, t + 1], [par, st["kept"][c]], color=color, lw=1.3, zorder=z)
            else:  # pruned at once: a short grey stub
                ax.plot([t, t + 0.5], [par, par + 0.3 * (c % V - (V - 1) / 2)], color="0.75",
                        lw=0.6, zorder=1)
    ax.set(xlabel="step after the founders (tokens)", yticks=[],
           title="beam search (B = 4, V = 3): black reaches the end, blue pruned later, "
           "grey pruned at once")
    ax.title.set_fontsize(8)
    fig.tight_layout()
    fig.savefig(figure_path(out, "beam_tree"), dpi=120)
    plt.close(fig)
    return "beam_tree"


def _figures(out: Path, law: dict, bounded: dict, k: float, c: float, sampled: dict, cov: dict,
             samp: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    B = np.array(sorted(law))
    mean = np.array([np.nanmean(law[b]) for b in B])
    se = np.array([np.nanstd(law[b], ddof=1) / np.sqrt(np.isfinite(law[b]).sum()) for b in B])
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.errorbar(B, mean, 2 * se, fmt="o", label="beam search, V = 2 (mean ± 2 SE)")
    if bounded:
        Bb = np.array(sorted(bounded))
        ax.plot(Bb, [np.nanmean(bounded[b]) for b in Bb], "^", mfc="none", color="tab:blue",
                label="B ≥ 1024: bounded by the run length, not fitted")
    grid = np.geomspace(B.min(), max(B.max(), *bounded) if bounded else B.max(), 50)
    ax.plot(grid, c * np.log(grid) ** k, "-", label=f"fit c·(ln B)^k, k = {k:.2f}")
    ax.plot(grid, mean[-1] * (np.log(grid) / np.log(B[-1])) ** 3, ":",
            label="∝ ln³ B (Brunet–Derrida), through the last point")
    Bs = np.array(sorted(sampled))
    ax.plot(Bs, [np.nanmean(sampled[b]) for b in Bs], "s", label="beam sampling, V = 64")
    ax.plot(grid, np.log(grid), "--", color="grey", label="ln B")
    ax.set(xscale="log", yscale="log", xlabel="beam width B", ylabel="TMRCA (tokens)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(figure_path(out, "beam_tmrca"), dpi=120)
    plt.close(fig)
    names.append("beam_tmrca")

    fig, ax = plt.subplots(figsize=(5.5, 4))
    widths = sorted({b for b, _ in cov})
    for lam in sorted({lam for _, lam in cov}, key=lambda v: -1 if v is None else v):
        ax.plot(widths, [cov[(b, lam)] for b in widths], "o-",
                label="beam search" if lam is None else f"diverse, G = 4, λ = {lam}")
    ax.set(xscale="log", xlabel="beam width B", ylabel="family mass covered (final)", ylim=(0, 1.05))
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(figure_path(out, "beam_diverse"), dpi=120)
    plt.close(fig)
    names.append("beam_diverse")

    fig, ax = plt.subplots(figsize=(5.5, 4))
    Ts = sorted(samp)
    ax.errorbar(Ts, [samp[t][0] for t in Ts], [2 * samp[t][1] for t in Ts], fmt="o-",
                label="distinct-2")
    ax.errorbar(Ts, [samp[t][2] for t in Ts], [2 * samp[t][3] for t in Ts], fmt="s-",
                label="self-BLEU")
    ax.set(xlabel="temperature T", ylabel="value (mean ± 2 SE)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(figure_path(out, "beam_sampling"), dpi=120)
    plt.close(fig)
    names.append("beam_sampling")
    return names


def page(out: Path, *, seed: int, backend: str, scale: float = 1.0,
         hf456: str | None = None) -> Path:
    """Run the three studies and write the page (``scale`` shrinks replicates,
    widths and lengths for tests; ``hf456``: the interpreter with transformers
    4.56.2 for the diverse-beam comparison, None: not run)."""
    started = time.perf_counter()
    widths = [8, 16, 32, 64, 128, 256, 512] if scale >= 1 else [4, 8, 16]
    reps = max(3, round(8 * scale))
    steps = int(1200 * scale) if scale >= 1 else 300
    law = collapse_law(widths, replicates=reps, steps=steps, seed=seed, backend=backend)
    means = [np.nanmean(law[b]) for b in widths]
    k, c = fit_power_of_log(widths, means)
    # the widest beams (≈ 30 s and 50 s per replicate on one core): fewer replicates, and
    # TMRCA there reaches the run length, so they are shown but not fitted
    wide = [1024, 2048] if scale >= 1 else []
    reps_wide = max(3, round(4 * scale))
    bounded = collapse_law(wide, replicates=reps_wide, steps=steps, seed=seed, backend=backend)
    sw = [8, 32, 128] if scale >= 1 else [8]
    sampled = collapse_law(sw, replicates=reps, steps=200 if scale >= 1 else 60, seed=seed,
                           backend=backend, decoder="beam_sample",
                           lm={"kind": "tree", "V": 64, "sigma": 1.0})
    cov = diverse_coverage([4, 8, 16, 32] if scale >= 1 else [4, 8], [0.0, 0.5, 2.0],
                           steps=40, seed=seed, backend=backend)
    samp = sampling_diversity([0.5, 0.7, 1.0, 1.5, 2.0] if scale >= 1 else [0.5, 2.0],
                              replicates=reps, steps=40, seed=seed, backend=backend)
    figs = _figures(out, law, bounded, k, c, sampled, cov, samp)
    tree_fig = _tree_figure(out, expansion())

    rows = ["| B | replicates | TMRCA (mean ± SE) | largest | TMRCA / ln B | not coalesced |",
            "| --- | --- | --- | --- | --- | --- |"]
    for b, t in [*law.items(), *bounded.items()]:
        t = t[np.isfinite(t)]
        m, s = mean_se(t) if len(t) > 1 else (float(np.mean(t)) if len(t) else np.nan, np.nan)
        n = len(law.get(b, bounded.get(b)))
        rows.append(f"| {b} | {n} | {m:.1f} ± {s:.1f} | {np.max(t) if len(t) else np.nan:.0f} | "
                    f"{m / np.log(b):.2f} | {n - len(t)} of {n} |")
    capped = (
        f" B = {' and '.join(map(str, wide))} ({reps_wide} replicates, about "
        f"{', '.join(f'{np.nanmean(bounded[b]):.0f}' for b in wide)} tokens) are not in the fit: "
        f"their TMRCA reaches the run's length (it cannot exceed {steps} tokens less the "
        f"founders' build; a replicate not coalesced since the founders is left out of the "
        f"mean), so their means are lower bounds, and a longer run is the full-scale scenario "
        f"(see Gaps)." if wide else "")
    law_text = (
        f"## 1. The collapse law on the random tree\n\nBeam search of width B on the binary "
        f"random tree (`lm: {{kind: tree, V: 2, sigma: 1.0}}`), {reps} replicates (trees) per "
        f"width{f' ({reps_wide} at B ≥ 1024)' if wide else ''}, TMRCA of the beams after "
        f"{steps} tokens (the engine's `Genealogy.tmrca()`; a replicate whose beams have not coalesced since the founders is counted, not averaged).\n\n"
        + "\n".join(rows) + "\n\n"
        f"Least squares of ln TMRCA on ln ln B over B = {widths[0]} … {widths[-1]}: **TMRCA ≈ {c:.3g}·(ln B)^{k:.2f}** "
        f"— beside Brunet & Derrida's asymptotic ln³ B (k = 3; Brunet, Derrida, Mueller & Munier "
        f"2007). TMRCA/ln B goes from {means[0] / np.log(widths[0]):.1f} at B = {widths[0]} to "
        f"{means[-1] / np.log(widths[-1]):.1f} at B = {widths[-1]}. Neutral resampling of B "
        f"particles (the particle_filter domain) coalesces in about 2B generations; here TMRCA/2B "
        f"falls from {means[0] / (2 * widths[0]):.2f} at B = {widths[0]} to "
        f"{means[-1] / (2 * widths[-1]):.3f} at B = {widths[-1]}: truncation selection collapses "
        f"the beam's ancestry in a time polylogarithmic, not linear, in B. The "
        f"replicate spread is large (TMRCA is heavy-tailed), so k is a finite-B exponent with "
        f"that uncertainty, not the asymptotic one.{capped}\n\n"
        f"Beam sampling (transformers' `do_sample=True, num_beams=B`, T = 1) on the V = 64 tree: "
        + ", ".join(f"B = {b}: TMRCA {np.nanmean(sampled[b]):.1f} "
                    f"({np.nanmean(sampled[b]) / np.log(b):.2f}·ln B)" for b in sw)
        + f".\n\n![TMRCA against B](figures/{figs[0]}.png)\n\n"
        "The beam as a tree: one small beam search (B = 4, V = 3) with every candidate it "
        "scored: each row is a beam slot, a line runs from a parent's slot to its surviving "
        "child's slot, grey stubs are candidates pruned at once. Blue survivors leave no "
        "descendant at the last step; the black lineages, which do, merge going back into "
        "one — the genealogy the headline `ancestors` counts.\n\n"
        f"![the beam as a tree](figures/{tree_fig}.png)\n")

    crow = ["| B | beam search | " + " | ".join(f"diverse λ = {lam}" for lam in (0.0, 0.5, 2.0))
            + " |", "| --- | --- | --- | --- | --- |"]
    for b in sorted({b for b, _ in cov}):
        crow.append(f"| {b} | {cov[(b, None)]:.3f} | "
                    + " | ".join(f"{cov[(b, lam)]:.3f}" for lam in (0.0, 0.5, 2.0) if (b, lam) in cov)
                    + " |")
    div_text = (
        "## 2. Diverse beam search keeps families\n\nThe mixture LM (`V: 16, K: 4`, family "
        "masses 0.4, 0.3, 0.2, 0.1, sharpness 2, `lm_seed: 0`): the family mass still held by "
        "the beam after 40 tokens (metric `family_mass_covered`; 1 = all four families). "
        "Deterministic decoders: one replicate per cell. Where the prompt has B/4 possible "
        "first tokens (B ≤ 16 here: the first token is one of the 4 families) each group "
        "starts from the prompt, as in transformers (below), so λ = 0 is four identical beam "
        "searches of width B/4, no remedy; at B = 32 the groups start from beam search's first "
        "32 hypotheses. The penalty is what spreads the groups over families.\n\n"
        + "\n".join(crow)
        + f"\n\n![family coverage](figures/{figs[1]}.png)\n\n" + diverse_hf_section(hf456))
    srow = ["| T | distinct-2 (mean ± SE) | self-BLEU (mean ± SE) |", "| --- | --- | --- |"]
    for T in sorted(samp):
        d, ds, sb, sbs = samp[T]
        srow.append(f"| {T} | {d:.3f} ± {ds:.3f} | {sb:.3f} ± {sbs:.3f} |")
    samp_text = ("## 3. Sampling: diversity against temperature\n\n16 samples of 41 tokens from "
                 f"the mixture LM, {reps} replicates per temperature.\n\n" + "\n".join(srow)
                 + f"\n\n![distinct-n against temperature](figures/{figs[2]}.png)\n")
    gaps = ("## Gaps\n\n- CUDA untested (no GPU here); every study runs on CPU.\n"
            f"- B = 1024 and 2048 run {reps_wide} replicates of {steps} tokens, which bounds "
            "their TMRCA; `scenarios/full/beam_tree_collapse.yaml` runs B = 2048 for 2000 "
            "tokens, 8 replicates (not run for this page).\n"
            "- The diverse-beam comparison covers EOS-free decoding only: our diverse decoder "
            "never emits EOS (transformers' finished-hypothesis pool per group is not "
            "modelled).\n"
            + ("" if hf456 else f"- The diverse-beam comparison against transformers 4.56.2 was "
               f"not run for this page ({HF456_ENV} unset).\n"))
    head = header("Beam search: beam collapse and its remedies", "beam", protocol=None, seed=seed,
                  backend=backend, started=started)
    return write_page(out, "beam", head, [law_text, div_text, samp_text, gaps])


@protocol("beam", "page", description="collapse law on the random tree, diverse beam coverage, "
          "sampling diversity", default=True)
def reproduce_page(out: Path, *, seed: int, backend: str) -> Path:
    return page(out, seed=seed, backend=backend, hf456=hf456_python())
