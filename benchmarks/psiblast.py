"""The psiblast section: the search operators per backend beside psiblast itself.

A random database of n sequences of length 200 (uniform residues) searched with
the BLOSUM62 PSSM of a random query of length 200 (psiblast's first
iteration), one scan per timing, best of a few. The tracebacks of an
iteration's included hits (``psiblast.traceback``, one call for all of them)
are timed on copies of the query at 30 % substitutions, the hits a search
includes. Single-threaded everywhere:
the numba kernels are serial (``parallel=False``), torch runs with
``torch.set_num_threads(1)``, psiblast with ``-num_threads 1``. psiblast
runs one iteration (``-num_iterations 1 -comp_based_stats 0``) on the same
database (``makeblastdb`` once, outside the timing); its time includes
reading the database and writing tabular output. Without psiblast its rows
read "—".
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from numba import njit

from collapsesim.domains.psiblast import alignment  # noqa: F401  (registers the operators)
from collapsesim.domains.psiblast.matrices import ALPHABET, BLOSUM62
from collapsesim.domains.psiblast.theory import gap_trigger
from collapsesim.engine import get_backend

from . import section
from .timing import Settings, best_times

L = 200


@njit(cache=True)
def _known_diagonal(pssm, residues, offsets, out):
    """The floor: the maximal segment on diagonal 0 of each sequence (no seeding)."""
    m = pssm.shape[0]
    for k in range(offsets.shape[0] - 1):
        a, b = offsets[k], offsets[k + 1]
        P, pmin, best = 0, 0, 0
        for q in range(min(m, b - a)):
            P += pssm[q, residues[a + q]]
            best = max(best, P - pmin)
            pmin = min(pmin, P)
        out[k] = best


def _database(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    query = rng.integers(0, 20, L)
    residues = rng.integers(0, 20, n * L).astype(np.uint8)
    return query, BLOSUM62[query].astype(np.int32), residues, np.arange(0, n * L + 1, L)


def _psiblast_time(query, residues, n: int) -> float | None:
    """Best wall time of one psiblast iteration over the database, or None."""
    if shutil.which("psiblast") is None or shutil.which("makeblastdb") is None:
        return None
    letters = np.frombuffer(ALPHABET.encode(), np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seqs = letters[residues].reshape(n, L)
        (tmp / "db.fa").write_text("".join(f">s{i}\n{row.tobytes().decode()}\n"
                                           for i, row in enumerate(seqs)))
        (tmp / "q.fa").write_text(f">q\n{letters[query].tobytes().decode()}\n")
        subprocess.run(["makeblastdb", "-in", str(tmp / "db.fa"), "-dbtype", "prot",
                        "-out", str(tmp / "db")], check=True, capture_output=True)
        cmd = ["psiblast", "-query", str(tmp / "q.fa"), "-db", str(tmp / "db"),
               "-num_iterations", "1", "-comp_based_stats", "0", "-num_threads", "1",
               "-outfmt", "6", "-out", str(tmp / "out.tsv"), "-max_target_seqs", str(n)]
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            best = min(best, time.perf_counter() - start)
        return best


def _traceback_rows(settings: Settings, query, pssm, budget: float) -> list[str]:
    """Table rows of ``psiblast.traceback`` (xdrop and gapped) on numba and numpy: the
    alignments of n included hits, each a copy of the query at 30 % substitutions."""
    n_hits = 100 if settings.quick else 1000
    rng = np.random.default_rng(2)
    hits = np.tile(query, (n_hits, 1))
    mut = rng.random(hits.shape) < 0.3
    hits[mut] = rng.integers(0, 20, mut.sum())
    residues = hits.astype(np.uint8).ravel()
    offsets = np.arange(0, n_hits * L + 1, L)
    idx = np.arange(n_hits)
    windows = np.stack([np.zeros(n_hits, np.int64), np.full(n_hits, L)], 1)
    numba = get_backend("numba")
    seeds = np.stack(numba.op("psiblast.ungapped")(pssm, residues, offsets)[1:], 1)
    fns = {}
    for mode in ("xdrop", "gapped"):
        for backend, n in (("numba", n_hits), ("numpy", n_hits // 10)):
            fn = get_backend(backend).op("psiblast.traceback")
            fns[(mode, backend, n)] = (lambda fn=fn, n=n, mode=mode: fn(
                pssm, residues, offsets, idx[:n], windows[:n], mode, seeds[:n]))
    best = best_times(fns, budget_s=budget, max_reps=3)
    return [f"| traceback ({mode}) | {backend} | {n:,} hits | {n / t:,.0f} hits/s | "
            f"{n * L * len(query) / t / 1e6:,.0f} | {t / (n * L / 1e6):.3f} | — |"
            for (mode, backend, n), t in best.items()]


@section("psiblast")
def psiblast(settings: Settings) -> str:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _report(settings)
    finally:
        torch.set_num_threads(threads)


def _model_search(b, pssm, residues, offsets):
    """One iteration's search as the model runs it in mode xdrop: the ungapped scan,
    then the gapped X-drop extension of the seeds whose ungapped score reaches
    BLAST's 22-bit gap trigger (the others are not extended)."""
    seg = b.op("psiblast.ungapped")(pssm, residues, offsets)
    score = b.to_numpy(seg[0])
    keep = score >= gap_trigger()
    seeds = tuple(np.where(keep, b.to_numpy(v), -1) for v in seg[1:])
    return b.op("psiblast.xdrop")(pssm, residues, offsets, seeds)


def _report(settings: Settings) -> str:
    n_fast, n_gap, n_ref = (2000, 1000, 50) if settings.quick else (100_000, 20_000, 500)
    query, pssm, residues, offsets = _database(n_fast)
    m = len(query)
    budget = 0.5 if settings.quick else 5.0
    rows = []

    def scan(backend, op, n, **kw):
        b = get_backend(backend) if isinstance(backend, str) else backend
        res, off = b.asarray(residues[:n * L]), b.asarray(offsets[:n + 1])
        p = b.asarray(pssm)
        if op == "search":
            return lambda: _model_search(b, p, res, off)
        fn = b.op(f"psiblast.{op}")
        if op == "xdrop":
            seeds = tuple(b.to_numpy(v) for v in b.op("psiblast.ungapped")(p, res, off)[1:])
            return lambda: fn(p, res, off, seeds, **kw)
        return lambda: fn(p, res, off, **kw)

    sync = torch.cuda.synchronize if torch.cuda.is_available() else None
    out = np.zeros(n_fast, np.int32)
    fns = {("known diagonal (floor)", "numba", n_fast):
           lambda: _known_diagonal(pssm, residues, offsets, out)}
    cases = [("ungapped", "numba", n_fast), ("ungapped", "torch", n_ref),
             ("ungapped", "numpy", n_ref), ("gapped", "numba", n_gap),
             ("gapped", "torch", n_ref), ("gapped", "numpy", n_ref),
             ("xdrop", "numba", n_gap), ("xdrop", "torch", n_ref), ("xdrop", "numpy", n_ref),
             ("search", "numba", n_fast)]
    if torch.cuda.is_available():
        cuda = get_backend("torch", device="cuda")
        cases += [(op, cuda, n) for op, n in (("ungapped", n_gap), ("gapped", n_gap),
                                              ("xdrop", n_gap))]
    for op, backend, n in cases:
        fns[(op, backend, n)] = scan(backend, op, n)
    best = best_times(fns, budget_s=budget, max_reps=3, sync=sync)
    theirs = _psiblast_time(query, residues[:n_gap * L], n_gap)
    base = theirs / (n_gap * L / 1e6) if theirs else None
    for (op, backend, n), t in best.items():
        name = backend if isinstance(backend, str) else "torch (CUDA)"
        per_mres = t / (n * L / 1e6)
        mcells = n * L * m / t / 1e6
        ratio = f"{per_mres / base:.2f}" if base else "—"
        rows.append(f"| {op} | {name} | {n:,} | {n / t:,.0f} | {mcells:,.0f} | "
                    f"{per_mres:.3f} | {ratio} |")
    rows += _traceback_rows(settings, query, pssm, budget)
    rows.append(f"| psiblast 1 iteration | psiblast | {n_gap:,} | "
                + (f"{n_gap / theirs:,.0f} | — | {base:.3f} | 1.00 |" if theirs else "— | — | — | — |"))
    if not torch.cuda.is_available():
        rows.append("| all modes | torch (CUDA) | — | CUDA untested (no GPU on this machine) | — | — | — |")
    return "\n".join([
        "## psiblast: search per backend beside psiblast", "",
        (f"One scan of n random sequences of length {L} with the BLOSUM62 PSSM of a random "
         f"query of length {m} (`psiblast.<mode>` operators; xdrop is seeded on the ungapped "
         "mode's segments, computed outside the timing; every random sequence has a two-hit "
         "seed at T = 11, so xdrop extends every one). Single-threaded: serial numba kernels, "
         "`torch.set_num_threads(1)`, `psiblast -num_threads 1 -num_iterations 1 "
         "-comp_based_stats 0` on the same sequences (database built outside the timing; its "
         "time includes start-up, reading the database and writing the hits). Cells = "
         "query × subject residues (m·L per sequence, for every mode). Ratio = our seconds "
         "per 10⁶ residues over psiblast's; best of up to 3. Traceback rows: one "
         "`psiblast.traceback` call aligning n included hits (copies of the query at 30 % "
         "substitutions, seeds from the ungapped mode) into query-anchored MSA rows — the "
         "per-iteration alignment work of the included set; its cells are m·L per hit "
         "although xdrop visits only its band. *search*: one iteration as the model runs it "
         "in mode xdrop — the ungapped scan, then xdrop only on seeds over BLAST's 22-bit gap "
         "trigger (41 raw), which random sequences rarely reach. The issue's target for the fast mode, 10⁶ sequences of length 200 per second per core, is met by the max-subarray on a known diagonal alone (the floor row); the two-hit seeding — a neighbourhood-word lookup at every subject residue and the diagonal bookkeeping — is what brings the ungapped scan down to psiblast's own speed."), "",
        "| mode | backend | sequences | sequences/s | Mcells/s | s per 10⁶ residues | × psiblast |",
        "|---|---|---|---|---|---|---|", *rows, ""])
