"""Timing helpers and the description of the machine a report was measured on."""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

THREADS = 1  # numba and torch threads, set by __main__ before anything runs


@dataclass(frozen=True)
class Settings:
    """What a section should measure: ``quick`` runs small sizes, one repetition;
    ``report_dir`` is the report's folder, ``figures`` where figures go (links
    in the report are relative to ``report_dir``)."""

    quick: bool = False
    report_dir: Path = Path("docs")
    figures: Path = Path("docs/figures/benchmarks")

    @property
    def sizes(self) -> tuple[int, ...]:
        return (10**4, 10**5) if self.quick else (10**5, 10**6, 10**7)


def replicate(config: dict, steps: int):
    """One replicate (seed 1) of a scenario ``config`` built by its registered
    domain on the config's backend and device, for ``steps`` steps."""
    from collapsesim.config import load
    from collapsesim.engine import get_backend
    from collapsesim.registry import get_domain

    cfg = load(config)
    return get_domain(cfg.domain)().build(cfg.params, backend=get_backend(cfg.backend, cfg.device),
                                          seeds=[np.random.SeedSequence(1)], steps=steps)


def stepper(sim, steps: int) -> Callable[[], None]:
    """A function that advances ``sim`` by ``steps`` steps (a timing block)."""
    def run() -> None:
        for _ in range(steps):
            sim.step()

    return run


def time_samples(fns: dict[str, Callable[[], object]], budget_s: float = 1.5, max_reps: int = 9,
                 sync=None) -> dict[str, list[float]]:
    """Wall times (seconds) of every call of each function, measured round-robin —
    one call of each in turn, after one warm-up call each — so that all of them
    see the same background load; each is repeated up to ``max_reps`` times while
    the round fits in ``budget_s`` (at least once). ``sync`` (e.g.
    ``torch.cuda.synchronize``) is called after each call."""
    samples: dict[str, list[float]] = {}
    for name, fn in fns.items():
        fn()
        if sync:
            sync()
        samples[name] = []
    spent = 0.0
    for rep in range(max_reps):
        if rep and spent + sum(min(v) for v in samples.values()) > budget_s:
            break
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            if sync:
                sync()
            elapsed = time.perf_counter() - start
            samples[name].append(elapsed)
            spent += elapsed
    return samples


def best_times(fns: dict[str, Callable[[], object]], budget_s: float = 1.5, max_reps: int = 9, sync=None):
    """Best wall time (seconds) of each function: the minimum of :func:`time_samples`."""
    return {name: min(v) for name, v in time_samples(fns, budget_s, max_reps, sync).items()}


def spread_ratio(num, den) -> str:
    """``num / den`` as a report cell with its run-to-run spread:
    ``"4.3× (4.1–4.6)"`` — the ratio of the best (minimum) times, then the range
    spanned by it and the ratio of the median times. ``num`` and ``den`` are
    lists of repeated timings (or single numbers, which give no spread).
    ``python -m benchmarks --compare`` reads these cells: a ratio moved when the
    two reports' ranges do not overlap."""
    num, den = np.atleast_1d(np.asarray(num, float)), np.atleast_1d(np.asarray(den, float))
    if not (num.size and den.size and np.isfinite(num).all() and np.isfinite(den).all()):
        return "—"
    best, med = num.min() / den.min(), np.median(num) / np.median(den)
    lo, hi = min(best, med), max(best, med)
    return f"{fmt_ratio(best)} ({_num(lo)}–{_num(hi)})"


def _num(x: float) -> str:
    return f"{x:.2g}" if x < 10 else f"{x:.0f}"


def cpu_model() -> str:
    """The CPU model name (from /proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> list[tuple[str, str]]:
    """(what, value) pairs describing the machine, the software and the threads."""
    import numba
    import scipy
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        ("CPU", f"{cpu_model()}, {os.cpu_count()} logical cores"),
        ("GPU", gpu),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("numpy / numba / torch / scipy", " / ".join(m.__version__ for m in (np, numba, torch, scipy))),
        ("threads", f"numba {numba.get_num_threads()}, torch {torch.get_num_threads()} (set deliberately)"),
        ("load average (1, 5, 15 min) at the start", f"{load} (other work shares the machine)"),
    ]


def fmt_time(seconds: float) -> str:
    """Milliseconds with three significant digits (µs below 0.1 ms)."""
    if not np.isfinite(seconds):
        return "—"
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds < 1e-4:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e3:.3g} ms"


def fmt_ratio(x: float) -> str:
    return "—" if not np.isfinite(x) else f"{x:.2g}×" if x < 10 else f"{x:.0f}×"
