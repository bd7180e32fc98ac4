"""The scaling and memory sections.

*Scaling*: the domain sections :func:`record` the cost of one unit of work
(a filter step, a generation, …) at each size they time; this section fits,
per domain and series, the least-squares line through (log₁₀ N, log₁₀ cost) —
its slope is the exponent of cost ∝ N^slope — draws the points and the fit
on log-log axes (one PNG per domain, next to the report) and tables the
slopes beside the slope theory gives (1 unless the section says otherwise:
each individual is touched a bounded number of times per unit of work). A
slope more than 0.1 above theory is flagged ("super-linear" where theory is
linear); slopes below it are per-call overheads that the larger sizes
amortise.

*Memory*: the peak resident set size of ``collapsesim run <scenario>`` for
each domain's largest scenario, in a subprocess of its own (the ``ru_maxrss``
of that child, from ``os.wait4`` in a small launcher process: see
:func:`peak_rss`), with a time limit: a run stopped at the limit reports its
peak so far, marked "≥".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from . import section
from .timing import Settings

EXCESS = 0.1  # slope above theory that is flagged
POINTS: dict[str, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
THEORY: dict[tuple[str, str], float] = {}

# domain -> (scenario, what it is); the full/ scenarios are the largest documented
# sizes; --replicates 1 (memory is per replicate for the unbatched domains)
MEMORY = {
    "drift": ("full/drift_neutral", "--replicates 1"),
    "particle_filter": ("full/particle_filter_degeneracy", "--replicates 1"),
    "ga": ("full/ga_royal_road_hitchhiking", "--replicates 1"),
    "hikers": ("full/hikers_shubert_gww", "--replicates 1"),
    "sweep": ("full/sweep_hard", "--replicates 1"),
    "model_collapse": ("full/model_collapse_categorical_large", "--replicates 1"),
    "gan": ("full/gan_ring_vanilla", "--replicates 1"),
    "beam": ("full/beam_tree_collapse", "--replicates 1"),
    "psiblast": ("full/psiblast_overextension_large", "--replicates 1"),
}


def record(domain: str, series: str, n: float, seconds: float, theory: float = 1.0) -> None:
    """Note that one unit of ``series``'s work at size ``n`` took ``seconds``;
    ``theory`` is the slope the model predicts for the series."""
    POINTS[domain][series].append((float(n), float(seconds)))
    THEORY[(domain, series)] = theory


def fit(points) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through (log₁₀ n, log₁₀ t)."""
    x, y = np.log10(np.array(points, float)).T
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def _plot(domain: str, series: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.6))
    for name, pts in series.items():
        n, t = np.array(sorted(pts)).T
        slope, intercept = fit(pts)
        line = ax.loglog(n, t, "o", label=f"{name}: slope {slope:.2f}")
        xs = np.geomspace(n.min(), n.max(), 20)
        ax.loglog(xs, 10 ** (intercept + slope * np.log10(xs)), "-", color=line[0].get_color(), lw=1)
    ax.set_xlabel("N")
    ax.set_ylabel("seconds per unit of work")
    ax.set_title(f"{domain}: cost against N (least squares on log-log)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


#: The memory-bound floor beside ga: passes over an (N, 100) float64 population
#: (the ga section's 100-D genomes), whose cost itself grows faster than N as the
#: arrays leave the caches and fresh allocations fault their pages in.
FLOOR_DIM = 100


def _floor_points(settings: Settings) -> None:
    """Time the floor series at the ga section's sizes (best of 5) and record them."""
    import time

    import torch

    def best(fn, k=5):
        b = float("inf")
        for _ in range(k):
            t = time.perf_counter()
            fn()
            b = min(b, time.perf_counter() - t)
        return b

    rng = np.random.default_rng(0)
    for n in (10**3, 10**4, 10**5) if settings.quick else (10**3, 10**4, 10**5, 10**6):
        x = rng.random((n, FLOOR_DIM))
        y = np.empty_like(x)
        idx = rng.integers(0, n, n)
        tx, tidx = torch.from_numpy(x), torch.from_numpy(idx)
        record("memory_floor", "copy into a buffer", n, best(lambda: np.copyto(y, x)))
        record("memory_floor", "allocating elementwise pass (numpy)", n, best(lambda: x * 2.0 + 1.0))
        record("memory_floor", "random row gather (numpy)", n, best(lambda: x[idx]))
        record("memory_floor", "random row gather (torch)", n, best(lambda: tx[tidx]))


@section("scaling")
def scaling_section(settings: Settings) -> str:
    lines = ["## Scaling: cost against N", "",
             "Per domain, the cost of one unit of work (the series' name says which) at each size the "
             "domain's section timed (best times), on log-log axes with the least-squares line; its "
             "slope is the exponent of cost ∝ N^slope, beside the slope theory gives; slopes more than "
             f"{EXCESS} above theory are flagged (**super-linear** where theory is linear). Below theory, "
             "per-call overheads dominate the small sizes.", ""]
    if not POINTS:
        return "\n".join(lines + ["No domain section ran in this invocation: no points.", ""])
    _floor_points(settings)
    lines += [f"The `memory_floor` rows time plain passes over an (N, {FLOOR_DIM}) float64 array — "
              "the ga section's 100-D population — at the same sizes: a copy into a preallocated "
              "buffer, an elementwise pass that allocates its result (as a generation's fresh "
              "arrays do) and a random gather of N rows (selection). They too grow faster than N "
              "from 10^3 (under 1 MB, in cache) to 10^6 (800 MB, in DRAM, freshly faulted pages): "
              "a ga slope within a few hundredths of the matching floor's is that memory hierarchy, "
              "not the algorithm (every operator of a generation is one pass over the "
              "population). Two other flags have their reasons measured in their sections: gan "
              "with PacGAN's networks, the page faults of its fresh tensors of 32 MiB or more at "
              "R = 100 (the GAN table's last columns); drift's Moran on numpy, the spread of the "
              "timed populations over their types (the drift section's event table).", ""]
    fig_dir = settings.figures
    fig_dir.mkdir(parents=True, exist_ok=True)
    rows = ["| domain | series | N range | points | slope | theory | |", "|---|---|---|---|---|---|---|"]
    links = []
    for domain, series in POINTS.items():
        series = {k: v for k, v in series.items() if len({n for n, _ in v}) >= 2}
        if not series:
            continue
        path = fig_dir / f"scaling_{domain}.png"
        _plot(domain, series, path)
        links.append(f"[{domain}]({os.path.relpath(path, settings.report_dir)})")
        for name, pts in series.items():
            slope, _ = fit(pts)
            n = [p[0] for p in pts]
            theory = THEORY[(domain, name)]
            flag = ("" if slope <= theory + EXCESS else
                    "**super-linear**" if theory == 1 else "**above theory**")
            rows.append(f"| {domain} | {name} | {min(n):.0e} – {max(n):.0e} | {len(pts)} | "
                        f"{slope:.2f} | {theory:g} | {flag} |")
    return "\n".join(lines + ["Figures: " + ", ".join(links) + ".", "", *rows, ""])


# Run by a fresh interpreter: on Linux a forked child starts with its parent's
# high-water mark, so the benchmark process (numpy, numba and torch loaded) would
# put a floor of several hundred MiB under every reading; a child of this small
# launcher starts from the launcher's few MiB instead.
_LAUNCHER = """
import json, os, signal, subprocess, sys, threading, time
limit, argv = float(sys.argv[1]), sys.argv[2:]
start = time.perf_counter()
child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
stopped = threading.Event()
def stop():
    stopped.set()
    child.send_signal(signal.SIGTERM)
    threading.Timer(10, lambda: child.poll() is None and child.kill()).start()
timer = threading.Timer(limit, stop)
timer.start()
err = child.stderr.read()
_, status, usage = os.wait4(child.pid, 0)
timer.cancel()
print(json.dumps({"rss_kib": usage.ru_maxrss, "wall": time.perf_counter() - start,
                  "done": not stopped.is_set(), "rc": os.waitstatus_to_exitcode(status),
                  "err": err.decode(errors="replace")[-1500:]}))
"""


def peak_rss(argv: list[str], limit_s: float) -> tuple[float, float, bool]:
    """(peak RSS in MiB, wall seconds, finished) of the command ``argv``, run as a
    child of a small launcher process and stopped (SIGTERM, then SIGKILL) after
    ``limit_s``; its ``ru_maxrss`` from ``os.wait4``."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, str(limit_s), *argv], capture_output=True,
                          text=True, check=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"})
    out = json.loads(done.stdout.splitlines()[-1])
    if out["rc"] and out["done"]:
        raise RuntimeError(f"{' '.join(argv)} failed ({out['rc']}):\n{out['err']}")
    return out["rss_kib"] / 1024, out["wall"], out["done"]


@section("memory")
def memory_section(settings: Settings) -> str:
    limit = 20.0 if settings.quick else 60.0
    rows = ["| domain | scenario | peak RSS | wall time |", "|---|---|---|---|"]
    base, _, _ = peak_rss([sys.executable, "-m", "collapsesim", "--help"], limit)
    rows.append(f"| (baseline) | `collapsesim --help` | {base:,.0f} MiB | — |")
    with tempfile.TemporaryDirectory() as tmp:
        for domain, (scenario, extra) in MEMORY.items():
            argv = [sys.executable, "-m", "collapsesim", "run", scenario, "--out",
                    str(Path(tmp) / domain), "-q", *extra.split()]
            rss, wall, done = peak_rss(argv, limit)
            rows.append(f"| {domain} | `{scenario}` ({extra}) | {'' if done else '≥ '}{rss:,.0f} MiB | "
                        f"{wall:.0f} s{'' if done else ' (stopped at the limit)'} |")
    return "\n".join([
        "## Peak memory per domain", "",
        "Peak resident set size (`ru_maxrss` from `os.wait4`) of `collapsesim run <scenario> --out "
        "<tmp> -q` in a subprocess of its own, for each domain's largest documented scenario (its "
        f"`full/` twin) with one replicate, numba and torch on one thread; each run is stopped after "
        f"{limit:.0f} s, and a stopped run's peak so far is marked ≥ (the arrays of these domains are "
        "allocated at the start, so the bound is close). The baseline row is the command line's start-up "
        "alone (`collapsesim --help`), which every row includes; a domain's backend imports come on "
        "top. Each run "
        "is the child of a small launcher process, not of the benchmark process, whose high-water "
        "mark a forked child would inherit. CUDA "
        "(`torch.cuda.max_memory_allocated`) untested: no GPU on this machine.", "", *rows, ""])
