"""BLAST+ ``psiblast`` and HMMER ``jackhmmer`` run on our FASTA files, their
reports parsed into per-iteration hit tables (validation of the ``psiblast``
domain against the programs it models).

Checked against the Debian builds of BLAST+ 2.12.0 and HMMER 3.3.2:

* ``psiblast -outfmt "7 …"`` prints a ``# Iteration: N`` comment block per
  iteration and, when a search converges, the line ``Search has
  CONVERGED!`` after its last iteration (then no further iteration is run).
  psiblast prints no inclusion flag in this format: a subject is *included*
  when its best HSP's printed E-value is strictly below
  ``-inclusion_ethresh`` — psiblast's own rule, ``e <
  evalue_inclusion_threshold`` for any HSP in
  ``CPsiBlastAlignmentProcessor::operator()``
  (``src/algo/blast/api/psiblast_aux_priv.cpp``). A hit within the printing
  precision (two or three significant digits) of the threshold may be
  decided otherwise by psiblast's unrounded value.
* ``-out_ascii_pssm F -save_each_pssm`` writes ``F.1, F.2, …`` in the order
  the PSSMs are computed, and only into an existing folder (silently nothing
  otherwise). From a query, iteration 1 searches with BLOSUM62 rows (not
  written) and ``F.k`` is the PSSM built from iteration k's hits, searched
  in iteration k + 1; the PSSM after the last iteration is not written.
  From ``-in_msa``, ``F.1`` is the PSSM of the alignment (searched in
  iteration 1) and ``F.k`` the one searched in iteration k.
* ``jackhmmer -o`` holds every round: a ``Scores for complete sequences``
  table per round, in which the sequences above the ``------ inclusion
  threshold ------`` line (or all, without that line) are the included ones,
  full-sequence E ≤ ``--incE`` (``p7_tophits_Targets`` in HMMER's
  ``src/p7_tophits.c`` prints the line before the first reported hit not
  flagged ``p7_IS_INCLUDED``, also when that hit is the last one; a leading
  ``+`` marks a newly included target, ``-`` one dropped since the previous
  round).
  ``--tblout`` holds the last round only, so the main output is parsed.

Every file goes into a folder the caller names or a temporary one; each
program's failure raises ``RuntimeError`` with the last line of its stderr.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..domains.psiblast.matrices import ALPHABET
from . import MissingRequirement

HIT_COLUMNS = ("sseqid", "evalue", "bitscore", "score", "qstart", "qend", "sstart", "send")
_OUTFMT = "7 " + " ".join(HIT_COLUMNS)


def _run(args: list[str]) -> str:
    """``args`` run to completion; its stdout, or a one-line RuntimeError."""
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        raise RuntimeError(f"{Path(args[0]).name} failed (exit {proc.returncode}): "
                           f"{lines[-1].strip() if lines else 'no message'}")
    return proc.stdout


def _version(args: list[str], pick) -> str | None:
    if shutil.which(args[0]) is None:
        return None
    try:
        return pick(_run(args))
    except (RuntimeError, IndexError, StopIteration, OSError):
        return None


def versions() -> dict[str, str | None]:
    """The installed versions (None where a program is missing), e.g.
    ``{"psiblast": "2.12.0+", "makeblastdb": "2.12.0+", "jackhmmer": "3.3.2"}``."""
    def blast(out: str) -> str:  # "psiblast: 2.12.0+"
        return out.splitlines()[0].split(":", 1)[1].strip()

    def hmmer(out: str) -> str:  # "# HMMER 3.3.2 (Nov 2020); http://hmmer.org/"
        return next(ln for ln in out.splitlines() if ln.startswith("# HMMER")).split()[2]

    return {"psiblast": _version(["psiblast", "-version"], blast),
            "makeblastdb": _version(["makeblastdb", "-version"], blast),
            "jackhmmer": _version(["jackhmmer", "-h"], hmmer)}


def require_blast() -> None:
    """Raise :class:`MissingRequirement` unless psiblast and makeblastdb are on PATH."""
    for prog in ("psiblast", "makeblastdb"):
        if shutil.which(prog) is None:
            raise MissingRequirement(f"{prog} (BLAST+) is not installed: apt-get install ncbi-blast+")


def require_hmmer() -> None:
    """Raise :class:`MissingRequirement` unless jackhmmer is on PATH."""
    if shutil.which("jackhmmer") is None:
        raise MissingRequirement("jackhmmer (HMMER) is not installed: apt-get install hmmer")


def _no_space(path) -> str:
    path = str(path)
    if any(c.isspace() for c in path):
        raise ValueError(f"BLAST+ splits database names at white space: {path!r}")
    return path


def make_db(fasta, folder) -> str:
    """A protein BLAST database of ``fasta`` in ``folder`` (created), built
    with ``makeblastdb -dbtype prot -parse_seqids`` so that psiblast reports
    each subject by its FASTA id; returns the database name for ``-db``."""
    require_blast()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = _no_space(folder / Path(fasta).stem)
    _run(["makeblastdb", "-in", fasta, "-dbtype", "prot", "-parse_seqids", "-out", name])
    return name


@dataclass
class PsiResult:
    """A psiblast run. ``hits[k]`` is iteration k + 1's table (columns
    :data:`HIT_COLUMNS` and ``included``), one row per subject — its best
    HSP, the lowest E-value (psiblast prints one row per HSP) — sorted by
    E-value. Coordinates are **0-based half-open**: the aligned query is
    ``[qstart, qend)`` and the subject ``[sstart, send)`` (psiblast prints
    1-based inclusive; ``start − 1`` and ``end`` are kept). ``converged``:
    psiblast said ``Search has CONVERGED!``, at iteration ``converged_at``
    (= ``len(hits)``; None when it did not converge)."""

    hits: list[pd.DataFrame]
    converged: bool
    converged_at: int | None


def _table(rows: list[list[str]], inclusion: float) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(HIT_COLUMNS))
    df = df.astype({"evalue": float, "bitscore": float, "score": np.int64, "qstart": np.int64,
                    "qend": np.int64, "sstart": np.int64, "send": np.int64})
    df["qstart"] -= 1
    df["sstart"] -= 1
    df = (df.sort_values(["evalue", "score", "sseqid"], ascending=[True, False, True], kind="stable")
          .drop_duplicates("sseqid", keep="first").reset_index(drop=True))
    df["included"] = df["evalue"] < inclusion
    return df


def parse_tabular(text: str, inclusion: float) -> PsiResult:
    """A :class:`PsiResult` from psiblast's ``-outfmt "7 <HIT_COLUMNS>"`` output."""
    tables: list[list[list[str]]] = []
    converged = False
    for line in text.splitlines():
        if line.startswith("# Iteration:"):
            if int(line.split(":")[1]) != len(tables) + 1:
                raise RuntimeError(f"psiblast output out of order at {line!r}")
            tables.append([])
        elif line.startswith("Search has CONVERGED"):
            converged = True
        elif line and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) != len(HIT_COLUMNS) or not tables:
                raise RuntimeError(f"unexpected psiblast output line {line!r}")
            tables[-1].append(fields)
    hits = [_table(rows, inclusion) for rows in tables]
    return PsiResult(hits, converged, len(hits) if converged else None)


def psiblast(query_fasta, db: str, *, iterations: int = 5, inclusion: float = 0.002,
             dbsize: int | None = None, evalue: float = 10.0, comp_based_stats: int = 0,
             pseudocount: int | None = None, max_target_seqs: int = 100000,
             ascii_pssm_dir=None, in_msa=None, threads: int = 1) -> PsiResult:
    """psiblast of ``query_fasta`` (or of the alignment ``in_msa``, FASTA
    with ``-`` gaps, its first row the query; then ``query_fasta`` is None)
    against the database ``db`` (:func:`make_db`): ``-num_iterations
    iterations -inclusion_ethresh inclusion -evalue evalue
    -comp_based_stats comp_based_stats``, ``-dbsize`` (residues) and
    ``-pseudocount`` (psiblast's constant β; None = its data-dependent
    default) when given. ``ascii_pssm_dir``: the ASCII PSSMs go there
    (created) as ``pssm.1, pssm.2, …`` — read them with
    :func:`ascii_pssms`. The report goes to stdout and is parsed; nothing
    else is written."""
    require_blast()
    if (query_fasta is None) == (in_msa is None):
        raise ValueError("give exactly one of query_fasta and in_msa")
    args = ["psiblast", "-db", _no_space(db), "-num_iterations", iterations,
            "-inclusion_ethresh", repr(float(inclusion)), "-evalue", repr(float(evalue)),
            "-comp_based_stats", comp_based_stats, "-max_target_seqs", max_target_seqs,
            "-num_threads", threads, "-outfmt", _OUTFMT]
    args += ["-query", query_fasta] if in_msa is None else ["-in_msa", in_msa]
    if dbsize is not None:
        args += ["-dbsize", int(dbsize)]
    if pseudocount is not None:
        if pseudocount != int(pseudocount):
            raise ValueError(f"psiblast's -pseudocount is an integer, not {pseudocount}")
        args += ["-pseudocount", int(pseudocount)]
    if ascii_pssm_dir is not None:
        Path(ascii_pssm_dir).mkdir(parents=True, exist_ok=True)
        args += ["-out_ascii_pssm", Path(ascii_pssm_dir) / "pssm", "-save_each_pssm"]
    return parse_tabular(_run(args), inclusion)


@dataclass
class AsciiPSSM:
    """One ``-out_ascii_pssm`` file, the ``index``-th PSSM psiblast computed
    (file ``pssm.<index>``; which iteration searched with it: see the module
    docstring). Columns are in :data:`ALPHABET` order (psiblast prints the
    same order, checked on reading). ``query``: residue codes (``uint8[m]``);
    ``scores``: ``int[m, 20]``; ``percentages``: the weighted observed
    percentages as integers (``int[m, 20]``; the file's header says "rounded
    down", but 2.12.0's rows sum to 101 in 35 of 270
    columns we read: they are not floors; psiblast prints all zeros in a column only the query covers); ``information``: bits per
    position; ``relative_weight``: relative weight of gapless real matches to
    pseudocounts (``float[m]``)."""

    index: int
    query: np.ndarray
    scores: np.ndarray
    percentages: np.ndarray
    information: np.ndarray
    relative_weight: np.ndarray


def read_ascii_pssm(path, index: int = 0) -> AsciiPSSM:
    """Parse one psiblast ASCII PSSM file."""
    from ..domains.psiblast.matrices import encode

    lines = Path(path).read_text().splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.split()[:1] == ["A"])
    letters = lines[head].split()
    if "".join(letters[:20]) != ALPHABET or "".join(letters[20:40]) != ALPHABET:
        raise RuntimeError(f"{path}: column letters {' '.join(letters)} are not {ALPHABET} twice")
    rows = []
    for ln in lines[head + 1:]:
        fields = ln.split()
        if not fields or not fields[0].isdigit():
            break
        if int(fields[0]) != len(rows) + 1 or len(fields) != 44:
            raise RuntimeError(f"{path}: unexpected row {ln!r}")
        rows.append(fields)
    return AsciiPSSM(index=index,
                     query=encode("".join(r[1] for r in rows)),
                     scores=np.array([r[2:22] for r in rows], np.int64),
                     percentages=np.array([r[22:42] for r in rows], np.int64),
                     information=np.array([r[42] for r in rows], float),
                     relative_weight=np.array([r[43] for r in rows], float))


def ascii_pssms(folder) -> list[AsciiPSSM]:
    """Every ``pssm.<k>`` in ``folder`` (written by :func:`psiblast` with
    ``ascii_pssm_dir=folder``), in the order psiblast computed them."""
    files = sorted((int(p.suffix[1:]), p) for p in Path(folder).glob("pssm.*") if p.suffix[1:].isdigit())
    return [read_ascii_pssm(p, k) for k, p in files]


def parse_jackhmmer(text: str) -> list[list[str]]:
    """Per round of a jackhmmer ``-o`` report, the included target names in
    the report's order (best first)."""
    rounds: list[list[str]] = []
    state = None  # None: outside a table; "head": before its dashes; "body": in it
    included = True
    for line in text.splitlines():
        if line.startswith("Scores for complete sequences"):
            rounds.append([])
            state, included = "head", True
        elif state == "head" and line.strip().startswith("-------"):
            state = "body"
        elif state == "body":
            if not line.strip():
                state = None
            elif "inclusion threshold" in line:
                included = False
            elif "[No hits detected" in line:
                continue
            elif included:
                rounds[-1].append(line[1:].split()[8])
    return rounds


def jackhmmer(query_fasta, db_fasta, *, iterations: int = 5, incE: float = 0.001,
              incdomE: float | None = None, Z: float | None = None, threads: int = 1,
              work=None) -> list[list[str]]:
    """jackhmmer of ``query_fasta`` against the FASTA ``db_fasta``: ``-N
    iterations --incE incE --incdomE incdomE`` (None = ``incE``, so that a
    sequence and its domains enter the next round's model at one threshold;
    HMMER's own defaults are 0.001 for both), ``-Z`` (number of sequences for
    E-values) when given, ``--cpu threads --noali`` and HMMER's fixed default
    seed (deterministic). Returns, per round, the included target names
    (:func:`parse_jackhmmer`); a converged search has fewer rounds than
    ``iterations`` unless it converged in the last. The report is written in
    ``work`` (created) or a temporary folder."""
    require_hmmer()
    incdomE = incE if incdomE is None else incdomE
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(work) if work is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        report = folder / "jackhmmer.out"
        args = ["jackhmmer", "-N", iterations, "--incE", repr(float(incE)),
                "--incdomE", repr(float(incdomE)), "--cpu", threads, "--noali", "-o", report]
        if Z is not None:
            args += ["-Z", repr(float(Z))]
        _run(args + [query_fasta, db_fasta])
        rounds = parse_jackhmmer(report.read_text())
    if not rounds or len(rounds) > iterations:
        raise RuntimeError(f"jackhmmer report with {len(rounds)} rounds for -N {iterations}")
    return rounds
