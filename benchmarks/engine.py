"""The engine section: every operator on every backend, each against its floor.

For each size N the same inputs go to the numpy reference, the numba kernels
and torch (CPU; CUDA too when a GPU is present, beside the device's own copy of
the inputs). Each operator also gets the floor it cannot go below, measured in
the same rounds as the backends (round-robin, so both see the same load), and
a bar for numba against it:

* deterministic passes (systematic resampling, one-point crossover, the
  gametes' edges): a copy of the bytes the pass must move into a
  *preallocated* buffer (``np.copyto``), reported as GB/s; bar 3×;
* random operators: drawing the random numbers they must draw alone — uniforms
  of the same count from the same generator (normals for Gaussian mutation,
  bounded integers for tournaments and crossovers), plus, for tournaments, the
  random gather of the contestants' fitness; bar 2×;
* truncation: ``np.partition`` of the same N at the same n (``torch.topk``
  beside torch), also at beam-search shapes (n = B of N = B·V); bar 3×.

Where numba misses its bar, the reason is measured: each case names the parts
its kernel cannot avoid beyond the floor (a left-to-right float64 sum, which
bit-exactness with ``np.cumsum`` makes one dependent chain; the prefix-maximum
pass; the exponentials of spacings; children in fresh memory; the fixed cost
of one call), and they are timed in numba's rounds beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from collapsesim.engine import get_backend
from collapsesim.engine.backends.numba_resampling import _checked_total, _fill_runs
from collapsesim.engine.bits import pack_bits

from . import section
from .timing import Settings, best_times, fmt_ratio, fmt_time

BARS = {"copy": 3.0, "random": 2.0, "partition": 3.0}
RECOMBINATION_RATE, CHROMOSOME = 1.0, 10**6  # crossovers per gamete, base pairs
BEAM_WIDTHS, VOCABULARIES = (4, 64, 2048), (1000, 50_000)

# Why numba misses its bar where it does (shown only on rows that miss it).
REASONS = {
    "resample: systematic": "two left-to-right float64 sums (total, then running weight), latency-bound by "
    "bit-exactness with `np.cumsum`, plus the prefix-maximum pass over the output",
    "resample: stratified": "the N uniforms are drawn by numpy into a buffer (the reference's stream), then "
    "walked as for systematic (the left-to-right sums and the prefix maximum, whose cost is measured there)",
    "resample: residual": "its multinomial part draws exponentials (spacings; a ziggurat exponential costs "
    "more than a uniform), then a pointer-chasing merge; plus the split pass floor(n·w)",
    "resample: multinomial": "N + 1 exponentials (spacings; a ziggurat exponential costs more than a "
    "uniform), then a merge of the sorted points with the cumulative weights: a dependent chain per particle",
    "multinomial_counts (K = N)": "N + 1 exponentials (spacings), the running sums of the exponentials and "
    "of p, and a branch-free merge of N + K dependent steps",
    "tournament (k = 2)": "the contestants are numpy's bounded integers (the reference's stream, drawn in "
    "blocks) and each tournament compares two scattered fitness loads",
    "gaussian_mutation (rate 1)": "one compiled normal per gene into a freshly allocated output",
    "gaussian_mutation (rate 0.1)": "a compiled uniform per gene, then a second pass drawing a normal per "
    "chosen gene",
    "bitflip_mutation (p = 0.01)": "each flip is a geometric skip (numpy's inversion: a logarithm per draw, "
    "several times a uniform) and the genomes are copied to the output (N/8 bytes); ~10 µs per call at small N",
    "uniform_crossover (real)": "after the uniforms, a second pass reads two parents and writes two freshly "
    "allocated children (32 bytes per gene, against the floor's 8)",
    "one_point_crossover (real)": "a fixed cost per call (cut points drawn by numpy, reshapes, two output "
    "allocations) at small N; at large N the children are fresh memory (page faults), the floor's buffer is not",
    "uniform_crossover (packed)": "the floor is one uniform per 64 genes (8 bytes); the kernel also reads two "
    "parents and writes two children (32 bytes per 64 genes) and pays ~10 µs per call at small N",
    "one_point_crossover (packed)": "a fixed cost per call (cut points drawn by numpy, reshapes, two output "
    "allocations: ~10–40 µs) against a copy of under 1 MiB",
    "truncation": "after the partition, two passes over N (count those above the threshold, collect the "
    "chosen in index order) and a stable radix sort of the n chosen by 64-bit keys (2–3 passes over n)",
    "recombination: crossovers": "numba runs the numpy version: beside the draws, a bincount of the "
    "owners (scattered increments) and int64 conversions of the draws",
    "recombination: assemble_gametes": "an insertion sort per gamete, then a stable counting sort of the "
    "edges by parent: three passes and a scattered write of four int64 columns",
}


@dataclass
class Floor:
    """What an operator cannot avoid: ``parts`` (name → callable, timed and
    summed), its kind (a key of :data:`BARS`), a description and, for copies,
    the bytes moved."""

    kind: str
    what: str
    parts: dict[str, Callable] = field(default_factory=dict)
    nbytes: int = 0


@dataclass(frozen=True)
class Case:
    """One operator at one size: inputs (numpy), the call, its floor and the
    ``parts`` (name → callable) its numba kernel does beyond the floor, timed
    in numba's rounds to measure why it misses its bar."""

    name: str
    inputs: dict
    call: Callable  # (backend, inputs, rng) -> result
    floor: Floor
    cuda_copied: str = ""  # the input keys the device copy copies
    parts: dict[str, Callable] = field(default_factory=dict)
    draws_replace_floor: bool = False  # the parts' draws are the reference's stream, in place of the floor's


def _copy_floor(arrays: list[np.ndarray], what: str) -> Floor:
    """Copies of ``arrays`` into preallocated buffers."""
    bufs = [np.empty_like(a) for a in arrays]

    def copy():
        for dst, src in zip(bufs, arrays):
            np.copyto(dst, src)

    return Floor("copy", what, {"copy": copy}, sum(a.nbytes for a in arrays))


def _draws(gen: np.random.Generator, **counts) -> dict[str, Callable]:
    """Timed draws from ``gen``: uniforms / normals into preallocated buffers,
    bounded integers (numpy has no ``out=`` for them)."""
    parts = {}
    for kind, (count, *bound) in counts.items():
        if kind == "integers":
            parts[f"{count} integers"] = lambda c=count, b=bound[0]: gen.integers(0, b, c)
        else:
            buf = np.empty(count)
            draw = gen.random if kind == "uniforms" else gen.standard_normal
            parts[f"{count} {kind}"] = lambda buf=buf, draw=draw: draw(out=buf)
    return parts


def _chains(w: np.ndarray, n: int) -> dict[str, Callable]:
    """The resampling walk's unavoidable passes: the left-to-right sum of the
    weights (the kernels' own routine) and the prefix maximum over n indices."""
    filled = np.sort(np.random.default_rng(3).integers(0, w.shape[0], n + 1))
    return {"one left-to-right sum of w": lambda: _checked_total(w),
            f"the prefix maximum over {n} indices": lambda: _fill_runs(filled, 0, n)}


def _exchange(parents: dict[str, np.ndarray]) -> dict[str, Callable]:
    """The exchange pass of a uniform crossover beyond its draws: both parents
    read and both children written, timed as a copy of both into buffers."""
    return {"the exchange pass (a copy of both parents into buffers)":
            _copy_floor([parents["a"], parents["b"]], "").parts["copy"]}


def _fresh(arrays: list[np.ndarray], one_call: Callable | None = None) -> dict[str, Callable]:
    """Writing ``arrays`` into fresh memory (``np.copy``: allocation and first
    touch), and the fixed cost of one call (the same operator on one row)."""
    parts = {"the outputs in fresh memory (np.copy)": lambda: [a.copy() for a in arrays]}
    if one_call is not None:
        parts["the same call on one genome (fixed cost)"] = one_call
    return parts


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:.3g} MiB"


def _cases(n: int) -> list[Case]:
    rng = np.random.default_rng(0)
    gen = np.random.default_rng(1)
    w = rng.random(n)
    real = {k: rng.random((max(n // 100, 1), 100)) for k in "ab"}  # n genes, 100 per genome
    packed = {k: pack_bits(rng.random((max(n // 1024, 1), 1024)) < 0.5) for k in "ab"}  # 1024 bits per genome
    words = packed["a"].size
    residual_draws = n - int(np.floor(n * w / w.sum()).sum())

    def random(what: str, **counts) -> Floor:
        return Floor("random", what, _draws(gen, **counts))

    def exponentials(m: int) -> dict[str, Callable]:
        """m standard exponentials into a preallocated buffer (the spacings' draws)."""
        return {f"{m} exponentials": lambda buf=np.empty(m): gen.standard_exponential(out=buf)}

    numba = get_backend("numba")
    chains = _chains(w, n)
    cases = [
        Case("resample: systematic", {"w": w}, lambda be, x, g: be.resample(x["w"], n, "systematic", g),
             _copy_floor([w], f"copy of w ({_mib(w.nbytes)})"), "w", chains),
        Case("resample: stratified", {"w": w}, lambda be, x, g: be.resample(x["w"], n, "stratified", g),
             random(f"{n} uniforms", uniforms=(n,)), "w",
             {"the systematic walk over w (the same pass, one offset)":
              lambda: numba.resample(w, n, "systematic", gen)}),
        Case("resample: residual", {"w": w}, lambda be, x, g: be.resample(x["w"], n, "residual", g),
             random(f"{residual_draws} uniforms (the residual draws)", uniforms=(residual_draws,)), "w",
             {**exponentials(residual_draws + 1), **chains},
             draws_replace_floor=True),
        Case("resample: multinomial", {"w": w}, lambda be, x, g: be.resample(x["w"], n, "multinomial", g),
             random(f"{n} uniforms", uniforms=(n,)), "w",
             {**exponentials(n + 1), **chains}, draws_replace_floor=True),
        Case("multinomial_counts (K = N)", {"p": w}, lambda be, x, g: be.multinomial_counts(n, x["p"], g),
             random(f"{n} uniforms", uniforms=(n,)), "p",
             {**exponentials(n + 1), "one left-to-right sum of w": chains["one left-to-right sum of w"]},
             draws_replace_floor=True),
    ]
    idx, gathered = rng.integers(0, n, 2 * n), np.empty(2 * n)
    tournament_floor = random(f"{2 * n} integers + gather of {2 * n} fitnesses", integers=(2 * n, n))
    tournament_floor.parts["gather"] = lambda: np.take(w, idx, out=gathered)
    cases += [
        Case("tournament (k = 2)", {"f": w}, lambda be, x, g: be.tournament(x["f"], n, 2, g),
             tournament_floor, "f"),
        Case("gaussian_mutation (rate 1)", {"x": w}, lambda be, x, g: be.gaussian_mutation(x["x"], 0.1, g),
             random(f"{n} normals", normals=(n,)), "x"),
        Case("gaussian_mutation (rate 0.1)", {"x": w},
             lambda be, x, g: be.gaussian_mutation(x["x"], 0.1, g, 0.1),
             random(f"{n} uniforms + {n // 10} normals", uniforms=(n,), normals=(n // 10,)), "x"),
        Case("bitflip_mutation (p = 0.01)", {"a": packed["a"]},
             lambda be, x, g: be.bitflip_mutation(x["a"], 1024, 0.01, g),
             random(f"{n // 100} uniforms (one per flip)", uniforms=(n // 100,)), "a",
             {f"{n // 100} geometric skips (numpy's Generator.geometric)": lambda: gen.geometric(0.01, n // 100),
              **_fresh([packed["a"]], lambda: numba.bitflip_mutation(packed["a"][:1], 1024, 0.01, gen))},
             draws_replace_floor=True),
        Case("uniform_crossover (real)", real, lambda be, x, g: be.uniform_crossover(x["a"], x["b"], g),
             random(f"{n} uniforms", uniforms=(n,)), "ab",
             {**_exchange(real), **_fresh([real["a"], real["b"]])}),
        Case("one_point_crossover (real)", real, lambda be, x, g: be.one_point_crossover(x["a"], x["b"], g),
             _copy_floor([real["a"], real["b"]], f"copy of both parents ({_mib(2 * real['a'].nbytes)})"), "ab",
             _fresh([real["a"], real["b"]], lambda: numba.one_point_crossover(real["a"][:1], real["b"][:1], gen))),
        Case("uniform_crossover (packed)", packed, lambda be, x, g: be.uniform_crossover(x["a"], x["b"], g),
             random(f"{words} uniforms (one per 64 genes)", uniforms=(words,)), "ab",
             {**_exchange(packed), **_fresh([packed["a"], packed["b"]],
                                            lambda: numba.uniform_crossover(packed["a"][:1], packed["b"][:1], gen))}),
        Case("one_point_crossover (packed)", packed,
             lambda be, x, g: be.one_point_crossover(x["a"], x["b"], g),
             _copy_floor([packed["a"], packed["b"]], f"copy of both parents ({_mib(2 * packed['a'].nbytes)})"),
             "ab", _fresh([packed["a"], packed["b"]],
                          lambda: numba.one_point_crossover(packed["a"][:1], packed["b"][:1], gen))),
    ]
    return cases + _recombination_cases(n, rng, gen)


def _recombination_cases(n: int, rng: np.random.Generator, gen: np.random.Generator) -> list[Case]:
    """Haplotype recombination for n gametes (Poisson(1) crossovers each on
    10^6 bp): the draws (``crossovers``) and the tree-sequence edges
    (``assemble_gametes``, given the draws) — the engine operators the sweep runs."""
    first, counts, positions = get_backend("numpy").op("crossovers")(n, RECOMBINATION_RATE, CHROMOSOME, rng)
    slots = np.stack([np.arange(n), np.arange(n)[::-1]], axis=1) % (n // 2 or 1)
    nodes = np.arange(n) + 10 * n
    args = (slots, first, counts, positions, nodes, CHROMOSOME // 2, CHROMOSOME, 11 * n)
    edges = get_backend("numpy").op("assemble_gametes")(*args)[:4]
    total = len(positions)
    order = rng.permutation(len(edges[0]))
    scattered = [np.empty_like(e) for e in edges]

    def scatter():
        for dst, src in zip(scattered, edges):
            dst[order] = src

    return [
        Case("recombination: crossovers", {},
             lambda be, x, g: be.op("crossovers")(n, RECOMBINATION_RATE, CHROMOSOME, g),
             Floor("random", f"{n + 2 * total} integers", _draws(gen, integers=(n + 2 * total, CHROMOSOME)))),
        Case("recombination: assemble_gametes", {}, lambda be, x, g: be.op("assemble_gametes")(*args),
             _copy_floor(list(edges), f"copy of the {len(edges[0])} edges ({_mib(sum(e.nbytes for e in edges))})"),
             parts={"a scattered write of the four edge columns (a random permutation)": scatter,
                    **_fresh(list(edges))}),
    ]


def _backends() -> list[tuple[str, object, Callable | None]]:
    out = [(name, get_backend(name), None) for name in ("numpy", "numba", "torch")]
    if torch.cuda.is_available():
        out.append(("torch cuda", get_backend("torch", "cuda"), torch.cuda.synchronize))
    return out


def _measure(settings: Settings) -> dict:
    """Times[(case, N)] = ({column: seconds, "floor": the parts' sum}, the case's Floor).
    Each backend is timed in alternation with the floor's parts (the best of
    each part over all the rounds is kept and the parts summed), so that the
    ratio to the floor compares like with like on a busy machine."""
    times = {}
    budget = 0.3 if settings.quick else 3.0
    for n in settings.sizes:
        for case in _cases(n):
            row, parts = {}, {name: np.inf for name in case.floor.parts}
            measured = {name: np.inf for name in case.parts}
            for label, be, sync in _backends():
                x = {k: be.asarray(v) for k, v in case.inputs.items()}
                gen = be.rng(1)
                fns = {label: lambda be=be, x=x, gen=gen, case=case: case.call(be, x, gen)}
                if sync is None:
                    fns.update(case.floor.parts)
                elif case.cuda_copied:
                    fns["cuda copy"] = lambda x=x, keys=case.cuda_copied: [x[k].clone() for k in keys]
                if label == "numba":
                    fns.update(case.parts)
                for what, seconds in best_times(fns, budget, max_reps=25, sync=sync).items():
                    for store in (parts, measured, row):
                        if what in store or store is row:
                            store[what] = min(store.get(what, np.inf), seconds)
                            break
            row["floor"] = sum(parts.values())
            times[case.name, n] = row, case, measured
    return times


def _truncation_shapes(settings: Settings) -> list[tuple[int, int]]:
    """(N, n): half of each size, then beam search's top B of B·V candidates."""
    shapes = [(n, n // 2) for n in settings.sizes]
    widths, vocabularies = ((4, 64), (1000,)) if settings.quick else (BEAM_WIDTHS, VOCABULARIES)
    return shapes + [(b * v, b) for v in vocabularies for b in widths]


def _measure_truncation(settings: Settings) -> dict:
    """Times[(N, n)] of truncation per backend beside ``np.partition`` (numpy,
    numba) and ``torch.topk`` (torch), of the same n, timed in the same rounds."""
    budget = 0.3 if settings.quick else 3.0
    out = {}
    for size, n in _truncation_shapes(settings):
        f = np.random.default_rng(2).random(size)
        t = torch.from_numpy(f)
        row = {}
        for label, be in (("numpy", get_backend("numpy")), ("numba", get_backend("numba")),
                          ("torch", get_backend("torch"))):
            fns = {label: lambda be=be, x=(t if label == "torch" else f), n=n: be.truncation(x, n)}
            if label == "torch":
                fns["torch.topk"] = lambda t=t, n=n: torch.topk(t, n)
            else:
                fns["np.partition"] = lambda f=f, k=size - n: np.partition(f, k)
            for what, seconds in best_times(fns, budget, max_reps=25).items():
                row[what] = min(row.get(what, np.inf), seconds)
        if torch.cuda.is_available():
            tc, cuda = t.cuda(), get_backend("torch", "cuda")
            row.update(best_times({"torch cuda": lambda tc=tc, n=n, cuda=cuda: cuda.truncation(tc, n),
                                   "cuda topk": lambda tc=tc, n=n: torch.topk(tc, n)},
                                  budget, sync=torch.cuda.synchronize))
        out[size, n] = row
    return out


def _pow10(n: int) -> str:
    e = np.log10(n)
    return f"10^{round(e)}" if abs(e - round(e)) < 1e-9 else f"{n:.3g}"


def _verdict(ratio: float, bar: float, reason: str) -> list[str]:
    met = ratio <= bar
    return [f"≤ {bar:g}×", "**met**" if met else "**not met**", "" if met else reason]


def _unavoidable(row: dict, case: Case, measured: dict) -> float:
    """What the floor and the measured parts come to, in floors (the parts
    alone where their draws are the reference's stream in place of the floor's)."""
    base = 0.0 if case.draws_replace_floor else row["floor"]
    return (base + sum(measured.values())) / row["floor"]


def _parts_reach_bar(row: dict, case: Case, measured: dict) -> bool:
    """Whether the measured parts (with the floor) already exceed the bar."""
    return bool(measured) and _unavoidable(row, case, measured) > BARS[case.floor.kind]


def _measured_reason(row: dict, case: Case, measured: dict) -> str:
    """The reason, then each measured part as a multiple of the floor and what
    they come to together."""
    reason = REASONS.get(case.name, "not analysed")
    if not measured:
        return reason
    cells = [f"{what} {fmt_time(t)} ({fmt_ratio(t / row['floor'])})" for what, t in measured.items()]
    together = "the parts (their draws in place of the floor's)" if case.draws_replace_floor else "floor + parts"
    verdict = "past the bar by themselves" if _parts_reach_bar(row, case, measured) else "within the bar"
    return (f"{reason}. Measured beside it, in floors: {'; '.join(cells)}; {together} "
            f"{fmt_ratio(_unavoidable(row, case, measured))}, {verdict}")


def _table(times: dict, columns: list[str]) -> list[str]:
    head = ["operator", "N", *columns, "floor", "floor time", "numba / floor", "bar",
            "", "why not met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    names = list(dict.fromkeys(name for name, _ in times))
    for (name, n), (row, case, measured) in sorted(times.items(),
                                                   key=lambda item: (names.index(item[0][0]), item[0][1])):
        floor = case.floor
        what = floor.what
        if floor.nbytes:
            what += f", {floor.nbytes / row['floor'] / 1e9:.3g} GB/s"
        ratio = row["numba"] / row["floor"]
        cells = [name, _pow10(n), *(fmt_time(row.get(c, np.nan)) for c in columns), what, fmt_time(row["floor"]),
                 fmt_ratio(ratio), *_verdict(ratio, BARS[floor.kind], _measured_reason(row, case, measured))]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _truncation_table(rows: dict) -> list[str]:
    cuda = ["torch cuda", "cuda topk"] if torch.cuda.is_available() else []
    head = ["N", "n", "numpy", "numba", "torch", *cuda, "np.partition", "torch.topk", "numba / partition",
            "torch / topk", "bar (numba)", "", "why not met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (size, n), row in rows.items():
        ratio = row["numba"] / row["np.partition"]
        cells = [_pow10(size), f"{n:,}", *(fmt_time(row[c]) for c in ["numpy", "numba", "torch", *cuda]),
                 fmt_time(row["np.partition"]), fmt_time(row["torch.topk"]), fmt_ratio(ratio),
                 fmt_ratio(row["torch"] / row["torch.topk"]), *_verdict(ratio, BARS["partition"], REASONS["truncation"])]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


@section("engine")
def engine_section(settings: Settings) -> str:
    times = _measure(settings)
    truncation = _measure_truncation(settings)
    columns = ["numpy", "numba", "torch"] + (["torch cuda", "cuda copy"] if torch.cuda.is_available() else [])
    top = max(settings.sizes)
    sys_row = times["resample: systematic", top][0]
    speedup = sys_row["numpy"] / sys_row["numba"]
    missed = [(row, case, parts) for row, case, parts in times.values()
              if row["numba"] / row["floor"] > BARS[case.floor.kind]]
    reached = sum(_parts_reach_bar(*m) for m in missed)
    lines = [
        "## Engine",
        "",
        "Best wall time of each operator per backend (inputs already on the backend; n = N outputs "
        "unless stated) and, measured in the same rounds, the floor numba is held to: for deterministic "
        "passes a copy of the bytes they move into a preallocated buffer (`np.copyto`; GB/s shown), bar "
        "3×; for random operators the random numbers they must draw, alone, from the same kind of "
        "generator (numpy's, as numba uses it; uniforms of the same count, normals for Gaussian "
        "mutation, bounded integers plus the random gather of the contestants' fitness for "
        "tournaments), bar 2×. Stratified resampling is held to its N uniforms (which cost several "
        "times a copy of the weights). Resampling weights are U(0, 1); real genomes are N genes as (N/100, 100) float64; "
        "packed genomes are N genes as 1024-gene uint64 genomes; `proportional` is multinomial "
        "resampling and is not listed separately; recombination is N gametes with Poisson(1) "
        "crossovers on 10^6 bp (`crossovers` draws them, `assemble_gametes` builds the tree-sequence "
        "edges from them). numba's `truncation` finds the threshold with `np.partition`, then "
        "radix-sorts the chosen. torch on CPU is the tested reference for the CUDA code, not a fast "
        "CPU path. N = 10^8 is not run on CPU: the numpy reference alone takes tens of seconds per "
        "call there for several operators (the section would take hours on two shared cores) and the "
        "real-genome cases need ~5 GB; the beam-search truncation rows reach N ≈ 10^8.",
        "",
        *_table(times, columns),
        "",
        f"{len(times) - len(missed)} of {len(times)} rows meet their bar (on a shared machine, rows near "
        f"their bar can flip between runs). Of the {len(missed)} that miss it, {reached} miss it by the parts "
        "measured beside them alone (the last column): the floor plus what the operator does beyond it "
        "already exceeds the bar. Most such parts are the operator's contract: the exponentials of the "
        "reference's spacings in place of the floor's uniforms; a left-to-right float64 sum, one dependent "
        "chain that bit-exactness with `np.cumsum` forbids reassociating; the prefix maximum; outputs in "
        "fresh memory; the geometric skips of bit-flips. The fixed cost of a call (the same operator on "
        "one genome: the wrapper's draws, reshapes and allocations, and the dispatch) is what the small-N "
        "rows lose; only a leaner wrapper would shave it. "
        "A ratio below 1× means numba's compiled draws beat numpy's bulk fill of the "
        "same numbers (Gaussian mutation: the same ziggurat normals, drawn inside the kernel), so that "
        "floor is loose.",
        "",
        "Truncation (top n, fittest first) against `np.partition` / `torch.topk` of the same n, "
        "at n = N/2 and at beam-search shapes (top B of N = B·V candidates):",
        "",
        *_truncation_table(truncation),
        "",
        f"* numba ≥ 5× the numpy reference for systematic resampling at N = {_pow10(top)}: "
        f"**{'met' if speedup >= 5 else 'not met'}** ({fmt_ratio(speedup)}: {fmt_time(sys_row['numba'])} "
        f"against {fmt_time(sys_row['numpy'])}).",
        "",
        "CUDA: " + ("measured above (`torch cuda`, beside the device's own copy of the inputs; bar 5×)."
                    if torch.cuda.is_available() else "untested (no GPU in this session)."),
    ]
    return "\n".join(lines) + "\n"
