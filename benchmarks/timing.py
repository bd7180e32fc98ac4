"""Timing helpers and the description of the machine a report was measured on."""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

THREADS = 1  # numba and torch threads, set by __main__ before anything runs


@dataclass(frozen=True)
class Settings:
    """What a section should measure: ``quick`` runs small sizes, one repetition."""

    quick: bool = False

    @property
    def sizes(self) -> tuple[int, ...]:
        return (10**4, 10**5) if self.quick else (10**5, 10**6, 10**7)


def best_times(fns: dict[str, Callable[[], object]], budget_s: float = 1.5, max_reps: int = 9, sync=None):
    """Best wall time (seconds) of each function, measured round-robin — one call of
    each in turn, after one warm-up call each — so that all of them see the same
    background load; each is repeated up to ``max_reps`` times while the round
    fits in ``budget_s`` (at least once). ``sync`` (e.g. ``torch.cuda.synchronize``)
    is called after each call."""
    best = {}
    for name, fn in fns.items():
        fn()
        if sync:
            sync()
        best[name] = np.inf
    spent = 0.0
    for rep in range(max_reps):
        if rep and spent + sum(best.values()) > budget_s:
            break
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            if sync:
                sync()
            elapsed = time.perf_counter() - start
            best[name] = min(best[name], elapsed)
            spent += elapsed
    return best


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
