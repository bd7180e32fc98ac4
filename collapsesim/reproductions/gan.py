"""Reproduce PacGAN's Table 1 (Lin et al. 2018) and run the reduced CPU protocol.

``collapsesim reproduce gan --protocol table1 --out DIR`` (a CUDA GPU; the
reduced CPU protocol is ``--protocol reduced``, the default) trains, for each
dataset (ring, grid) and packing m (1 = the GAN baseline,
2–4 = PacGAN2–4), ``--seeds`` GANs as one batched program for
``--iterations`` generator updates, and writes ``DIR/table.md`` (mean ± s.e.
over seeds of modes captured, %HQ, reverse KL and D1 of the final samples,
beside the published numbers), ``DIR/results.json``, the training history and
the figures ``DIR/figures/gan_samples.png`` (samples over the true modes at a
few iterations) and ``DIR/figures/gan_training.png`` (modes and D1 over
training).

Every cell is one run of the runner recorded into ``DIR/runs/<cell>/`` (a
``collapsesim run`` folder: config.yaml, metrics.parquet, summary.json, and
``replicates/<j>/samples.npz``, the samples kept through ``params.export``),
with the runner's checkpoints every ``--checkpoint-every`` iterations. A run
stopped by Ctrl-C, SIGTERM (``timeout``) or a kill keeps its folder; the same
command run again skips finished cells and continues an unfinished one with
:func:`collapsesim.runner.resume` from its last checkpoint, to the numbers of
an uninterrupted run (``--fresh`` starts over). So the full protocol continues
across commands of limited length (e.g. 10-minute GPU sessions).

Replicate j of a cell uses ``SeedSequence(seed, spawn_key=(j,))`` — the seed
a ``collapsesim run`` of the same parameters with ``replicates: seeds`` gives
its replicate j — so any cell can be re-run alone from the CLI
(``collapsesim run DIR/runs/<cell>/config.yaml``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy import stats

from ..config import load
from ..domains.gan.mixture import Mixture
from ..domains.gan.params import FAST_OPTIMIZER, SMALL_ARCHITECTURE, GANParams
from ..runner import RUN_JSON, RunFolderError, resume
from ..runner import run as run_scenario
from . import MissingRequirement, protocol

#: Lin et al. (2018), Table 1: (modes, s.e.), (%HQ, s.e.), (reverse KL, s.e.), mean of 10 trials.
PUBLISHED = {
    ("ring", 1): ((6.3, 0.5), (98.2, 0.2), (0.45, 0.09)),
    ("ring", 2): ((7.9, 0.1), (95.6, 2.0), (0.07, 0.03)),
    ("ring", 3): ((7.8, 0.1), (97.7, 0.3), (0.10, 0.02)),
    ("ring", 4): ((7.8, 0.1), (95.9, 1.4), (0.07, 0.02)),
    ("grid", 1): ((17.3, 0.8), (94.8, 0.7), (0.70, 0.07)),
    ("grid", 2): ((23.8, 0.7), (91.3, 0.8), (0.13, 0.04)),
    ("grid", 3): ((24.6, 0.4), (94.2, 0.4), (0.06, 0.02)),
    ("grid", 4): ((24.8, 0.2), (93.6, 0.6), (0.04, 0.01)),
}


@dataclass(frozen=True)
class Protocol:
    """Datasets × packings, each ``seeds`` replicates trained for ``iterations``."""

    datasets: tuple[str, ...]
    packs: tuple[int, ...]
    seeds: int
    iterations: int
    architecture: str
    record_every: int
    optimizer: dict = field(default_factory=dict)


PROTOCOLS = {
    # PacGAN's code: 400 epochs of 100k packs in batches of 100 = 400k iterations.
    "table1": Protocol(("ring", "grid"), (1, 2, 3, 4), seeds=10, iterations=400_000,
                       architecture="pacgan", record_every=10_000),
    # The reduced CPU protocol (docs/reproductions/gan.md): the small networks and fast
    # optimiser of the bundled scenarios; seeds from a power calculation on pilot runs.
    "reduced": Protocol(("ring",), (1, 2), seeds=14, iterations=3_000, architecture="small",
                        record_every=250, optimizer=FAST_OPTIMIZER),
}


def cell_params(dataset: str, pack: int, protocol: Protocol) -> GANParams:
    """The GANParams of one cell: PacGAN's protocol, or the small architecture."""
    raw: dict = {"data": {"kind": dataset}, "pack": pack, "optimizer": dict(protocol.optimizer)}
    if protocol.architecture == "small":
        raw.update(SMALL_ARCHITECTURE)
    return GANParams.model_validate(raw)


def required_seeds(a, b, alpha: float = 0.05, power: float = 0.9) -> int:
    """Seeds per group for a one-sided two-sample test at level ``alpha`` to detect
    the difference of means of samples ``a`` and ``b`` (pilot runs) with ``power``:
    n = 2 (z_α + z_β)² s² / δ², s² the pooled variance (normal approximation)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    delta = abs(a.mean() - b.mean())
    s2 = (a.var(ddof=1) * (len(a) - 1) + b.var(ddof=1) * (len(b) - 1)) / (len(a) + len(b) - 2)
    if delta == 0:
        return math.inf
    z = stats.norm.ppf(1 - alpha) + stats.norm.ppf(power)
    return max(2, math.ceil(2 * z * z * s2 / delta**2))


# -- running one cell ----------------------------------------------------------------------


@dataclass
class Cell:
    """One (dataset, packing) cell: its run folder, history (one row per recorded
    step and replicate: the domain metrics and D1 of ``modes``) and replicate 0's
    kept samples (step → (N, 2))."""

    dataset: str
    pack: int
    folder: Path
    steps_run: int
    history: list[dict]
    snapshots: dict[int, np.ndarray]

    @property
    def name(self) -> str:
        return f"{self.dataset}_pac{self.pack}"


def _snapshot_steps(iterations: int) -> list[int]:
    return sorted({max(1, round(iterations * f)) for f in (0.02, 0.1, 0.4, 1.0)})


def cell_scenario(dataset: str, pack: int, args) -> dict:
    """The scenario of one cell; its params keep every replicate's evaluation
    samples at the snapshot steps (``export``; the figures show replicate 0's)."""
    proto = Protocol(tuple(args.datasets), tuple(args.packs), args.seeds, args.iterations,
                     args.architecture, args.record_every, args.optimizer)
    params = cell_params(dataset, pack, proto).model_dump(mode="json")
    params["export"] = _snapshot_steps(args.iterations)
    return {"domain": "gan", "name": f"gan_{dataset}_pac{pack}", "backend": "torch",
            "device": args.device, "seed": args.seed, "replicates": args.seeds,
            "steps": args.iterations, "record_every": args.record_every, "params": params}


def history(metrics: pd.DataFrame) -> list[dict]:
    """The run's tidy rows → one dict per (step, replicate): step, replicate, D1
    of the headline ``modes`` and every domain metric, ordered by step then replicate."""
    rows: dict[tuple[int, int], dict] = {}
    for step, rep, series, metric, value in zip(metrics["step"], metrics["replicate"],
                                                metrics["series"], metrics["metric"],
                                                metrics["value"]):
        if series == "domain" or (series == "modes" and metric == "D1"):
            key = (int(step), int(rep))
            rows.setdefault(key, {"step": key[0], "replicate": key[1]})[metric] = float(value)
    return [rows[k] for k in sorted(rows)]


def run_cell(dataset: str, pack: int, args) -> tuple[Cell, bool]:
    """Run one cell through the runner into ``args.out/runs/<cell>``: a finished
    run there is read back, an unfinished one resumed from its checkpoint (a run
    of other settings is refused unless ``args.fresh``). Returns the cell and
    whether it finished (False: stopped by a signal)."""
    scenario = cell_scenario(dataset, pack, args)
    folder = args.out / "runs" / f"{dataset}_pac{pack}"
    meta_path = folder / RUN_JSON
    if meta_path.is_file() and not args.fresh:
        if load(folder / "config.yaml").resolved() != load(scenario).resolved():
            raise RunFolderError(f"{folder}: holds a run of other settings; pass --fresh to "
                                 "start over or choose another --out")
        if json.loads(meta_path.read_text()).get("state") == "complete":
            metrics = pd.read_parquet(folder / "metrics.parquet")
            interrupted = False
        else:
            res = resume(folder, checkpoint_every=args.checkpoint_every)
            metrics, interrupted = res.metrics, res.interrupted
    else:
        res = run_scenario(scenario, out=folder, overwrite=args.fresh,
                           checkpoint_every=args.checkpoint_every)
        metrics, interrupted = res.metrics, res.interrupted
    hist = history(metrics)
    kept = folder / "replicates" / "0" / "samples.npz"
    snapshots = {}
    if kept.is_file():
        with np.load(kept) as z:
            snapshots = {int(t): x for t, x in zip(z["steps"], z["samples"])}
    cell = Cell(dataset, pack, folder, max((r["step"] for r in hist), default=0), hist, snapshots)
    return cell, not interrupted


# -- tables and figures ----------------------------------------------------------------------


def _final(cell: Cell) -> list[dict]:
    last = max(r["step"] for r in cell.history)
    return [r for r in cell.history if r["step"] == last]


def _mean_se(values) -> tuple[float, float]:
    v = np.asarray([x for x in values if not math.isnan(x)], float)
    if v.size == 0:
        return math.nan, math.nan
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan


def summarise(cells: list[Cell]) -> list[dict]:
    """Per cell: mean ± s.e. over seeds of the final modes, %HQ, reverse KL, D1."""
    rows = []
    for c in cells:
        final = _final(c)
        row = {"dataset": c.dataset, "pack": c.pack, "seeds": len(final),
               "iterations": final[0]["step"]}
        for key, scale in (("modes_captured", 1), ("hq_fraction", 100), ("reverse_kl", 1), ("D1", 1),
                           ("modes_captured_thresholded", 1)):
            row[key] = _mean_se([r[key] * scale for r in final])
        row["published"] = PUBLISHED.get((c.dataset, c.pack))
        rows.append(row)
    return rows


def _fmt(ms, digits=1) -> str:
    m, s = ms
    if math.isnan(m):
        return "—"
    return f"{m:.{digits}f} ± {s:.{digits}f}" if not math.isnan(s) else f"{m:.{digits}f}"


def table_markdown(rows: list[dict]) -> str:
    lines = ["| data | model | seeds | iterations | modes | published | %HQ | published | reverse KL "
             "| published | D1 | K·e^(−published KL) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        K = 8 if r["dataset"] == "ring" else 25
        pub = r["published"]
        if pub:
            p_modes, p_hq, p_kl = _fmt(pub[0]), _fmt(pub[1]), _fmt(pub[2], 2)
            p_d1 = f"≈ {K * math.exp(-pub[2][0]):.1f}"
        else:
            p_modes = p_hq = p_kl = p_d1 = "—"
        model = "GAN" if r["pack"] == 1 else f"PacGAN{r['pack']}"
        lines.append(f"| {r['dataset']} | {model} | {r['seeds']} | {r['iterations']:,} "
                     f"| {_fmt(r['modes_captured'])} | {p_modes} | {_fmt(r['hq_fraction'])} | {p_hq} "
                     f"| {_fmt(r['reverse_kl'], 2)} | {p_kl} | {_fmt(r['D1'], 2)} | {p_d1} |")
    return "\n".join(lines)


def power_markdown(cells: list[Cell]) -> str:
    """Ordering of each packed cell against the GAN of its dataset: one-sided Welch
    t-tests on final modes and D1, and the seeds 90 % power would need."""
    lines = ["| data | comparison | metric | GAN | PacGAN | one-sided p | seeds for 90 % power |",
             "|---|---|---|---|---|---|---|"]
    base = {c.dataset: c for c in cells if c.pack == 1}
    for c in cells:
        if c.pack == 1 or c.dataset not in base:
            continue
        for key in ("modes_captured", "D1"):
            a = [r[key] for r in _final(base[c.dataset])]
            b = [r[key] for r in _final(c)]
            p = stats.ttest_ind(b, a, equal_var=False, alternative="greater").pvalue
            lines.append(f"| {c.dataset} | PacGAN{c.pack} > GAN | {key} | {np.mean(a):.2f} "
                         f"| {np.mean(b):.2f} | {p:.3g} | {required_seeds(a, b)} |")
    return "\n".join(lines)


def figures(cells: list[Cell], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    steps = sorted({s for c in cells for s in c.snapshots})
    fig, axes = plt.subplots(len(cells), max(len(steps), 1), squeeze=False,
                             figsize=(2.6 * max(len(steps), 1), 2.6 * len(cells)))
    for i, c in enumerate(cells):
        means = Mixture.from_params(load(c.folder / "config.yaml").params.data).means
        lim = 1.5 if c.dataset == "ring" else 5.5
        for k, s in enumerate(steps):
            ax = axes[i, k]
            if s in c.snapshots:
                x = c.snapshots[s]
                ax.scatter(x[:, 0], x[:, 1], s=1, alpha=0.3, color="k")
            ax.scatter(means[:, 0], means[:, 1], marker="x", color="tab:red", s=20)
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xticks=[], yticks=[], aspect="equal")
            if i == 0:
                ax.set_title(f"iteration {s:,}", fontsize=9)
            if k == 0:
                ax.set_ylabel(f"{c.dataset} {'GAN' if c.pack == 1 else f'PacGAN{c.pack}'}", fontsize=9)
    fig.tight_layout()
    samples_path = out / "gan_samples.png"
    fig.savefig(samples_path, dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for c in cells:
        label = f"{c.dataset} {'GAN' if c.pack == 1 else f'PacGAN{c.pack}'}"
        by_step: dict[int, list[dict]] = {}
        for r in c.history:
            by_step.setdefault(r["step"], []).append(r)
        xs = sorted(by_step)
        for ax, key in zip(axes, ("modes_captured", "D1")):
            ms = [_mean_se([r[key] for r in by_step[s]]) for s in xs]
            m = np.array([v[0] for v in ms])
            se = np.nan_to_num(np.array([v[1] for v in ms]))
            ax.plot(xs, m, label=label)
            ax.fill_between(xs, m - se, m + se, alpha=0.2)
    for ax, title in zip(axes, ("modes captured (mean ± s.e.)", "D1 of the HQ mode histogram")):
        ax.set(xlabel="iteration", title=title)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    training_path = out / "gan_training.png"
    fig.savefig(training_path, dpi=110)
    plt.close(fig)
    return [samples_path, training_path]


def write_report(cells: list[Cell], args, out: Path, finished: bool, wall: float) -> str:
    rows = summarise(cells)
    text = "\n\n".join([
        f"Protocol `{args.protocol}` ({args.architecture} architecture), {args.seeds} seeds, "
        f"{args.iterations:,} iterations, device {args.device}; "
        + ("finished" if finished else "NOT finished (resume with the same command)")
        + f"; this command ran {wall:.0f} s.",
        table_markdown(rows), power_markdown(cells)]) + "\n"
    (out / "table.md").write_text(text)
    (out / "results.json").write_text(json.dumps(
        {"args": {k: v for k, v in vars(args).items()}, "finished": finished, "rows": rows,
         "final": {c.name: _final(c) for c in cells}}, indent=1, default=str))
    figures(cells, out / "figures")
    return text


# -- command line ----------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="collapsesim reproduce gan",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", choices=sorted(PROTOCOLS), default="table1")
    ap.add_argument("--datasets", nargs="+", choices=("ring", "grid"))
    ap.add_argument("--packs", nargs="+", type=int, help="packing degrees m (1 = GAN)")
    ap.add_argument("--seeds", type=int, help="replicates per cell")
    ap.add_argument("--iterations", type=int, help="generator updates per run")
    ap.add_argument("--architecture", choices=("pacgan", "small"))
    ap.add_argument("--record-every", type=int, help="iterations between recorded evaluations")
    ap.add_argument("--checkpoint-every", type=int, default=10_000,
                    help="iterations between the runner's checkpoints")
    ap.add_argument("--seed", type=int, default=1, help="root seed")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--fresh", action="store_true", help="start over, replacing existing runs")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    proto = PROTOCOLS[args.protocol]
    for key in ("datasets", "packs", "seeds", "iterations", "architecture", "record_every"):
        if getattr(args, key) is None:
            setattr(args, key, getattr(proto, key))
    args.optimizer = proto.optimizer
    return args


def run(args: argparse.Namespace) -> tuple[list[Cell], bool]:
    """Run every cell of ``args`` through the runner (finished cells are read
    back, an unfinished one resumes); stops at the first cell a signal
    interrupts. Returns the cells run and whether all finished, and writes the
    report."""
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    cells, finished = [], True
    for dataset in args.datasets:
        for pack in args.packs:
            cell, done = run_cell(dataset, pack, args)
            if cell.history:  # empty only when stopped before its first record
                cells.append(cell)
            print(f"{cell.name}: iteration {cell.steps_run:,} of {args.iterations:,} "
                  f"({time.monotonic() - start:.0f} s)", file=sys.stderr)
            if not done:
                finished = False
                break
        if not finished:
            break
    write_report(cells, args, args.out, finished, time.monotonic() - start)
    return cells, finished


def main(argv=None) -> int:
    """Run the protocol named in ``argv`` (the options of :func:`parse_args`);
    0 when every cell finished, 75 when a signal stopped it (rerun to resume)."""
    args = parse_args(argv)
    _, finished = run(args)
    print((args.out / "table.md").read_text())
    return 0 if finished else 75  # EX_TEMPFAIL: rerun the same command to resume


def _protocol(name: str, out: Path, seed: int, backend: str) -> Path:
    """``collapsesim reproduce gan --protocol NAME``: the protocol's table,
    results and figures in ``out/gan_<name>/`` (resumed from its checkpoints
    when run again)."""
    if backend != "torch":
        raise MissingRequirement(f"the gan protocols run on the torch backend, not {backend!r}")
    device = "cuda" if name == "table1" else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise MissingRequirement("protocol table1 (PacGAN's architecture, 400k iterations, "
                                 "10 seeds per cell) needs a CUDA GPU; run --protocol reduced "
                                 "on a CPU")
    folder = Path(out) / f"gan_{name}"
    main(["--protocol", name, "--seed", str(seed), "--device", device, "--out", str(folder)])
    return folder / "table.md"


@protocol("gan", "reduced", default=True, backend="torch",
          description="the reduced CPU protocol: GAN vs PacGAN2 on the ring, small networks "
                      "(about 3 minutes); table and figures in OUT/gan_reduced/")
def reduced(out: Path, *, seed: int, backend: str) -> Path:
    return _protocol("reduced", out, seed, backend)


@protocol("gan", "table1", backend="torch",
          description="PacGAN's Table 1 at full scale (needs a CUDA GPU; checkpointed, "
                      "resumes when run again); table and figures in OUT/gan_table1/")
def table1(out: Path, *, seed: int, backend: str) -> Path:
    return _protocol("table1", out, seed, backend)
