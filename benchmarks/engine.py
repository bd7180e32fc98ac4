"""The engine section: every operator on every backend, next to a memory copy.

For each size N the same inputs go to the numpy reference, the numba kernels
and torch (CPU; CUDA too when a GPU is present), and a plain ``.copy()`` of the
operator's input arrays gives the memory-bandwidth yardstick (allocation
included, as the operators allocate their outputs too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from collapsesim.engine import get_backend
from collapsesim.engine.bits import pack_bits

from . import section
from .timing import Settings, best_times, fmt_ratio, fmt_time


@dataclass(frozen=True)
class Case:
    """One operator at one size: inputs (numpy), the call, and what a copy copies."""

    name: str
    inputs: dict
    call: Callable  # (backend, inputs, rng) -> result
    copied: str  # the keys of the inputs a copy copies


def _cases(n: int) -> list[Case]:
    rng = np.random.default_rng(0)
    w = rng.random(n)
    real = {k: rng.random((max(n // 100, 1), 100)) for k in "ab"}  # n genes, 100 per genome
    packed = {k: pack_bits(rng.random((max(n // 1024, 1), 1024)) < 0.5) for k in "ab"}  # 1024 bits per genome
    cases = [
        Case(f"resample: {s}", {"w": w}, lambda be, x, g, s=s: be.resample(x["w"], n, s, g), "w")
        for s in ("systematic", "stratified", "residual", "multinomial")
    ]
    cases += [
        Case("multinomial_counts (K = N)", {"p": w}, lambda be, x, g: be.multinomial_counts(n, x["p"], g), "p"),
        Case("tournament (k = 2)", {"f": w}, lambda be, x, g: be.tournament(x["f"], n, 2, g), "f"),
        Case("truncation (n = N/2)", {"f": w}, lambda be, x, g: be.truncation(x["f"], n // 2), "f"),
        Case("gaussian_mutation (rate 1)", {"x": w}, lambda be, x, g: be.gaussian_mutation(x["x"], 0.1, g), "x"),
        Case("gaussian_mutation (rate 0.1)", {"x": w}, lambda be, x, g: be.gaussian_mutation(x["x"], 0.1, g, 0.1), "x"),
        Case(
            "bitflip_mutation (p = 0.01)",
            {"a": packed["a"]},
            lambda be, x, g: be.bitflip_mutation(x["a"], 1024, 0.01, g),
            "a",
        ),
    ]
    for kind, pair in (("real", real), ("packed", packed)):
        cases += [
            Case(f"uniform_crossover ({kind})", pair, lambda be, x, g: be.uniform_crossover(x["a"], x["b"], g), "ab"),
            Case(f"one_point_crossover ({kind})", pair, lambda be, x, g: be.one_point_crossover(x["a"], x["b"], g), "ab"),
        ]
    return cases


def _backends() -> list[tuple[str, object, Callable | None]]:
    out = [(name, get_backend(name), None) for name in ("numpy", "numba", "torch")]
    if torch.cuda.is_available():
        out.append(("torch cuda", get_backend("torch", "cuda"), torch.cuda.synchronize))
    return out


def _measure(settings: Settings) -> tuple[dict, dict]:
    """Times[(case, N)][column] and random-number times[N][what]. Each backend is
    timed in alternation with the copy (the copy's best over all of them is
    kept), so that a ratio to the copy compares like with like on a busy machine."""
    times, rng_times = {}, {}
    budget = 0.3 if settings.quick else 3.0
    for n in settings.sizes:
        for case in _cases(n):
            def copy(c=case):
                return [c.inputs[k].copy() for k in c.copied]

            row = {"copy": np.inf}
            for label, be, sync in _backends():
                x = {k: be.asarray(v) for k, v in case.inputs.items()}
                gen = be.rng(1)
                fns = {label: lambda be=be, x=x, gen=gen: case.call(be, x, gen)}
                if sync is None:
                    fns["copy"] = copy
                else:
                    fns["cuda copy"] = lambda x=x: [x[k].clone() for k in case.copied]
                for what, seconds in best_times(fns, budget, max_reps=25, sync=sync).items():
                    row[what] = min(row.get(what, np.inf), seconds)
            times[case.name, n] = row
        rng_times[n] = _random_numbers(n, budget)
    return times, rng_times


def _random_numbers(n: int, budget: float) -> dict[str, float]:
    """Time to draw n random numbers alone: the floor of multinomial resampling."""
    rng, gen = np.random.default_rng(0), torch.Generator().manual_seed(0)
    buf = torch.empty(n, dtype=torch.float64)
    return best_times(
        {
            "numpy uniforms": lambda: rng.random(n),
            "numpy exponentials": lambda: rng.standard_exponential(n + 1),
            "numpy normals": lambda: rng.standard_normal(n),
            "torch uniforms": lambda: buf.uniform_(generator=gen),
            "torch exponentials": lambda: buf.exponential_(generator=gen),
        },
        budget,
    )


def _table(times: dict, columns: list[str]) -> list[str]:
    head = ["operator", "N", "copy", *columns, "numpy / numba", "numba / copy"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    names = list(dict.fromkeys(name for name, _ in times))
    for (name, n), row in sorted(times.items(), key=lambda item: (names.index(item[0][0]), item[0][1])):
        cells = [name, f"10^{round(np.log10(n))}", fmt_time(row["copy"])]
        cells += [fmt_time(row.get(c, np.nan)) for c in columns]
        cells += [fmt_ratio(row["numpy"] / row["numba"]), fmt_ratio(row["numba"] / row["copy"])]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _targets(times: dict, rng_times: dict, n: int) -> list[str]:
    sys_row, mult_row = times["resample: systematic", n], times["resample: multinomial", n]
    speedup = sys_row["numpy"] / sys_row["numba"]
    vs_copy = sys_row["numba"] / sys_row["copy"]
    draw = rng_times[n]["numpy exponentials"]
    lines = [
        f"Targets, at N = 10^{round(np.log10(n))}:",
        "",
        f"* numba ≥ 5× the numpy reference for systematic resampling: **{'met' if speedup >= 5 else 'not met'}** "
        f"({fmt_ratio(speedup)}: {fmt_time(sys_row['numba'])} against {fmt_time(sys_row['numpy'])}).",
        f"* numba systematic resampling within 3× of a copy of the weights: **{'met' if vs_copy <= 3 else 'not met'}** "
        f"({fmt_ratio(vs_copy)}: {fmt_time(sys_row['numba'])} against {fmt_time(sys_row['copy'])})"
        + (
            "."
            if vs_copy <= 3
            else "; the gap is the two left-to-right sums of the weights (the total, then the running "
            "cumulative weight), which bit-exactness with `np.cumsum` makes latency-bound (one dependent "
            "float64 add per particle, ~1 ns each here), plus the prefix-maximum pass over the output."
        ),
        f"* multinomial resampling is bounded below by random-number generation: drawing the N + 1 "
        f"exponentials alone takes {fmt_time(draw)} (numpy); numba's multinomial resampling takes "
        f"{fmt_time(mult_row['numba'])}, {fmt_ratio(mult_row['numba'] / draw)} that bound. The rest is "
        "mostly the merge of the sorted points with the cumulative weights: a dependent chain (pointer, "
        "loads, comparisons, pointer) of ~10 ns per particle here, which a chain-free merge (bucketing the "
        "points) could remove; the spacings' normalisation and the prefix-maximum pass are two light passes.",
    ]
    return lines


@section("engine")
def engine_section(settings: Settings) -> str:
    times, rng_times = _measure(settings)
    columns = ["numpy", "numba", "torch"] + (["torch cuda", "cuda copy"] if torch.cuda.is_available() else [])
    lines = [
        "## Engine",
        "",
        "Best wall time of each operator per backend (inputs already on the backend; n = N outputs "
        "unless stated), next to `.copy()` of the operator's input arrays (allocation included, as "
        "for the operators). Resampling weights are U(0, 1); real genomes are N genes as "
        "(N/100, 100) float64; packed genomes are N genes as 1024-gene uint64 genomes; "
        "`proportional` is multinomial resampling and is not listed separately. numba's "
        "`multinomial_counts` and `truncation` are numpy's compiled routines (numba kernels were not "
        "faster), hence the 1× rows. torch on CPU is the tested reference for the CUDA code, not a fast "
        "CPU path.",
        "",
        *_table(times, columns),
        "",
        "Random numbers alone (the floor of the random operators):",
        "",
        "| N | " + " | ".join(next(iter(rng_times.values()))) + " |",
        "|---|" + "---|" * len(next(iter(rng_times.values()))),
        *(
            f"| 10^{round(np.log10(n))} | " + " | ".join(fmt_time(t) for t in row.values()) + " |"
            for n, row in rng_times.items()
        ),
        "",
        *_targets(times, rng_times, max(settings.sizes)),
        "",
        "CUDA: " + ("measured above (`torch cuda`, beside the device's own copy)." if torch.cuda.is_available()
                    else "not measured (no GPU in this session)."),
    ]
    return "\n".join(lines) + "\n"
