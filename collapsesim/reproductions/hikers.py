"""Reproduction of the ``hikers`` domain: the go-with-the-winners takeover
against ln n (Aldous & Vazirani 1994), the collapse of exploiting hikers on
Shubert and its remedies, and random-mutation hill climbing on the Royal Road
(the hikers without exploitation). ``collapsesim reproduce hikers`` writes
``hikers.md``; the ``ga`` page (:mod:`.ga`) includes the same Shubert section
(:func:`shubert_figure`, :func:`numbers_table`, the bundled scenarios' seeds),
so both pages state the same numbers.

The takeover study (:func:`gww_takeover_rounds`) steps 10³–10⁴ replicates of
static fitness at once with the engine's ``quantile_copy`` on one generator:
that scale does not go through the runner (its cost is per replicate), so its
bulk simulation stays here. RMHC's hitting times are per hiker (not a recorded
metric), so that one replicate is stepped here too.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..domains.hikers.theory import GWW_TAKEOVER, gww_heuristic
from ..engine import get_backend
from . import protocol
from .harness import Comparison, figure_path, header, mean_se, table, write_page

HIKERS = ["gww", "pbt_best", "restarts", "repulsion", "radius"]
LABELS = {"gww": "worst 25 % copy the best 25 %", "pbt_best": "all copy the best",
          "restarts": "restart after 30 steps without gain", "repulsion": "c = 2, w = 0.25",
          "radius": "copy only within distance 1"}
COLLAPSED_D1 = 1.05  # a headline D1 below this: the team sits in one basin


def gww_takeover_rounds(n: int, q: float, replicates: int, *, backend="numpy", seed: int = 0,
                        max_rounds: int = 1000) -> np.ndarray:
    """Rounds until every hiker descends from the initially best one (static
    fitness: hiker i has fitness i), with the engine's exploit operator
    ``quantile_copy``; one entry per replicate. All replicates are rows of one
    array drawing from one generator, ``SeedSequence(seed)``."""
    be = get_backend(backend)
    rng = be.rng(np.random.SeedSequence(seed))
    copy = be.op("quantile_copy")
    m = int(round(q * n))
    f = be.asarray(np.tile(np.arange(n, dtype=np.float64), (replicates, 1)))
    rounds = np.zeros(replicates, dtype=np.int64)
    active = np.arange(replicates)
    for r in range(1, max_rounds + 1):
        f = be.take(f, copy(f, m, "quantile", rng))
        done = be.to_numpy((f == n - 1).all(-1))
        rounds[active[done]] = r
        active = active[~done]
        if not active.size:
            break
        f = f[be.asarray(~done)]
    return rounds


def takeover_checks(sizes=((100, 4000, 1), (1000, 800, 2)), backend: str = "numpy") -> list[Comparison]:
    """Simulated takeover means at q = 0.25 against our large-replicate means
    (:data:`GWW_TAKEOVER`), one row per (n, replicates, seed)."""
    rows = []
    for n, reps, seed in sizes:
        mean, sd, big = GWW_TAKEOVER[n]
        est = gww_takeover_rounds(n, 0.25, reps, seed=seed, backend=backend)
        m, _ = mean_se(est)
        rows.append(Comparison(f"GWW takeover rounds, n = {n:,}, q = 0.25", mean, m,
                               float(sd * np.sqrt(1 / reps + 1 / big)), reps, backend))
    return rows


def _wide(metrics, series: str, metric: str):
    m = metrics[(metrics.series == series) & (metrics.metric == metric)]
    return m.pivot_table(index="step", columns="replicate", values="value")


def shubert_figure(out: Path) -> dict:
    """Hikers on Shubert (the bundled scenarios, an exploit round every
    ``interval`` = 5 steps): the go-with-the-winners collapse and its remedies;
    takeover against ln n. Per scenario the final means, the lineages after the
    first round and the first recorded step where the mean D1 is below
    :data:`COLLAPSED_D1`; and the slope of :data:`GWW_TAKEOVER` in ln n."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import run

    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
    numbers = {}
    interval = 5
    for name in HIKERS:
        m = run(f"hikers_shubert_{name}").metrics
        d1 = _wide(m, "optima", "D1")
        lin = _wide(m, "domain", "founder_lineages")
        axes[0].plot(d1.index, d1.mean(axis=1), label=name)
        axes[1].plot(lin.index, lin.mean(axis=1), label=name)
        mean_d1 = d1.mean(axis=1)
        below = mean_d1.index[mean_d1 < COLLAPSED_D1]
        numbers[name] = {"D1_final": float(d1.iloc[-1].mean()), "lineages_final": float(lin.iloc[-1].mean()),
                         "lineages_first_round": float(lin.loc[interval].mean()),
                         "held_1e-1_final": float(_wide(m, "domain", "optima_held_1e-1").iloc[-1].mean()),
                         "held_1e-4_final": float(_wide(m, "domain", "optima_held_1e-4").iloc[-1].mean()),
                         "collapse_step": int(below[0]) if len(below) else None}
    axes[0].set(xlabel="step", ylabel="D1 of hikers per optimum (max 18)", title="Shubert: optima occupied")
    axes[1].set(xlabel="step", ylabel="generation-0 lineages", yscale="log", title="Shubert: lineages")
    axes[0].legend(fontsize=8)
    ns = np.array(sorted(GWW_TAKEOVER))
    means = np.array([GWW_TAKEOVER[n][0] for n in ns])
    axes[2].plot(np.log(ns), means, "o-", label="simulated (q = 0.25)")
    axes[2].plot(np.log(ns), [gww_heuristic(n, 0.25) for n in ns], "s--", label="log2(qn) + (1-2q)/q")
    axes[2].set(xlabel="ln n", ylabel="rounds to takeover", title="go-with-the-winners takeover")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figure_path(out, "hikers_shubert"), dpi=110)
    plt.close(fig)
    numbers["slope_per_ln_n"] = float(np.polyfit(np.log(ns), means, 1)[0])
    return numbers


def rmhc_hits(n: int = 1000, *, seed: int = 1, backend: str = "numba") -> np.ndarray:
    """Evaluations each of ``n`` random-mutation hill climbers (hikers without
    exploitation) needs to reach the Royal Road R1's optimum: one replicate
    seeded ``SeedSequence(seed)``, stepped until every hiker has hit."""
    from ..config import load
    from ..registry import get_domain

    cfg = load({"domain": "hikers", "steps": 1, "backend": backend,
                "params": {"problem": "royal_road", "N": n, "interval": 0, "stop_at_optimum": True}})
    sim = get_domain("hikers")().build(cfg.params, backend=get_backend(backend),
                                       seeds=[np.random.SeedSequence(seed)], steps=1)
    while not sim.finished:
        sim.step()
    return sim.hit.astype(np.float64)  # one evaluation per hiker and step


def numbers_table(numbers: dict) -> str:
    """The Shubert scenarios' final means as a markdown table."""
    lines = ["| scenario | D1 of the headline (max 18) | generation-0 lineages | optima held within 0.1 |",
             "|---|---|---|---|"]
    for name in HIKERS:
        v = numbers[name]
        lineages = f"{v['lineages_final']:.2f}"
        if v["lineages_first_round"] == v["lineages_final"]:
            lineages += " (from the first round)"
        lines.append(f"| `hikers_shubert_{name}` ({LABELS[name]}) | {v['D1_final']:.2f} | {lineages} | "
                     f"{v['held_1e-1_final']:.2f} |")
    return "\n".join(lines)


@protocol("hikers", "page", default=True, seed=1, backend="numpy",
          description="GWW takeover vs ln n, exploiting hikers on Shubert and remedies (about a minute)")
def page(out: Path, *, seed: int, backend: str, scale: float = 1.0) -> Path:
    """Write ``out/hikers.md``. ``scale`` < 1 shrinks the takeover study (tests)."""
    started = time.perf_counter()
    sizes = [(n, max(20, int(reps * scale)), s) for n, reps, s in ((100, 4000, seed), (1000, 800, seed + 1))]
    checks = takeover_checks(sizes, backend=backend)
    numbers = shubert_figure(out) if scale >= 1.0 else None
    sections = ["## Go-with-the-winners takeover\n\nRounds until the descendants of the best hiker "
                "fill the team (static fitness, the worst quarter copies the best quarter), against "
                "our large-replicate means (`GWW_TAKEOVER`, seeds 2024–2027):\n\n" + table(checks, reference="reference"),
                f"Heuristic log2(qn) + (1 − 2q)/q at n = 100: {gww_heuristic(100, 0.25):.2f} rounds."]
    if numbers is not None:
        sections += ["## Exploiting hikers on Shubert\n\n![hikers](figures/hikers_shubert.png)\n\n"
                     + numbers_table(numbers)
                     + f"\n\nSlope of the takeover rounds per ln n: {numbers['slope_per_ln_n']:.3f} "
                       f"(1/ln 2 = {1 / np.log(2):.3f})."]
    head = header("Hikers: go-with-the-winners and population-based training", "hikers",
                  protocol=None, seed=seed, backend=backend, started=started)
    return write_page(out, "hikers", head, sections)
