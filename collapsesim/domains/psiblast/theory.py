"""Karlin–Altschul statistics as BLAST computes them for BLOSUM62.

An alignment score S against a database of ``n`` residues in ``N``
sequences, for a query of length ``m``, has the expected number of chance
hits (Karlin & Altschul 1990; Altschul et al. 1997)

    E = K · (m − ℓ) · (n − N ℓ) · exp(−λ S),

where ℓ is BLAST's length adjustment (the expected length of a chance
alignment, ``BLAST_ComputeLengthAdjustment`` in NCBI's
``algo/blast/core/blast_stat.c``): the largest integer ℓ with
``ℓ ≤ (α/λ)(ln K + ln((m − ℓ)(n − N ℓ))) + β``, found by NCBI's bracketed
fixed-point iteration (ported below, same iteration and rounding).

Constants (``blosum62_values`` in ``blast_stat.c``):

* gapped BLOSUM62, gaps 11/1 (psiblast's default): λ = 0.267, K = 0.041,
  H = 0.14, α = 1.9, β = −30 (:data:`GAPPED`);
* ungapped BLOSUM62: λ = 0.3176, K = 0.134, H = 0.4012 (:data:`UNGAPPED`),
  α = 0.7916, β = −3.2 (the table's ungapped row, which
  ``BLAST_GetAlphaBeta`` returns for ungapped searches; α/λ = 1/H).

psiblast rescales every PSSM to BLOSUM62's ideal ungapped λ (0.3176, see
:mod:`.pssm`) so that its scores stay on BLOSUM62's scale and these
constants apply to every iteration. (psiblast itself also recomputes K per
PSSM, ``K_psi = K_ungapped(PSSM) · K_gapped/K_ideal`` in
``_PSIUpdateLambdaK``; this module keeps BLOSUM62's K, a simplification
stated here and on the page.) Composition-based statistics are not modelled
(compare with ``psiblast -comp_based_stats 0``).

BLAST+ 2.12 reports gapped E-values with Spouge's finite-size correction
(``BLAST_SpougeStoE``, chosen in ``Blast_HSPListGetEvalues`` whenever Gumbel
parameters exist, as for BLOSUM62 11/1), which depends on each subject's
length: :func:`evalue` gives it when ``subject_lengths`` are passed
(:func:`spouge_evalue`), and the length-adjusted Karlin–Altschul value
otherwise. Both agree with blastp 2.12's printed E-values (tests).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class KarlinAltschul(NamedTuple):
    """λ (per score unit) and K of a scoring system."""

    lam: float
    K: float


GAPPED = KarlinAltschul(0.267, 0.041)
UNGAPPED = KarlinAltschul(0.3176, 0.134)
#: relative entropy H (nats per aligned pair) of each mode
ENTROPY = {"gapped": 0.14, "ungapped": 0.4012}
#: (α/λ, β) of the length adjustment of each mode
LENGTH_ADJUST = {"gapped": (1.9 / 0.267, -30.0), "ungapped": (0.7916 / 0.3176, -3.2)}


def length_adjustment(m: int, db_residues: int, db_seqs: int, *, K: float,
                      alpha_d_lambda: float, beta: float) -> int:
    """BLAST's length adjustment ℓ (``BLAST_ComputeLengthAdjustment``).

    Port of NCBI's iteration: ℓ_max is the largest ℓ with
    ``K (m − ℓ)(n − N ℓ) > max(m, n)``; the map
    ``f(ℓ) = (α/λ)(ln K + ln((m − ℓ)(n − N ℓ))) + β`` is iterated at most 20
    times inside a shrinking bracket; the result is ``floor`` of the fixed
    point (``ceil(ℓ_min)`` when it still satisfies ``f(ℓ) ≥ ℓ``), or 0 when
    the search space is too small.
    """
    m, n, N = float(m), float(db_residues), float(db_seqs)
    logK = math.log(K)
    a, mb, c = N, m * N + n, n * m - max(m, n) / K
    if c < 0:
        return 0
    ell_max = 2 * c / (mb + math.sqrt(mb * mb - 4 * a * c))
    ell_min, ell_next, converged = 0.0, 0.0, False
    for i in range(1, 21):
        ell = ell_next
        ss = (m - ell) * (n - N * ell)
        ell_bar = alpha_d_lambda * (logK + math.log(ss)) + beta
        if ell_bar >= ell:
            ell_min = ell
            if ell_bar - ell_min <= 1.0:
                converged = True
                break
            if ell_min == ell_max:
                break
        else:
            ell_max = ell
        if ell_min <= ell_bar <= ell_max:
            ell_next = ell_bar
        else:
            ell_next = ell_max if i == 1 else (ell_min + ell_max) / 2
    if converged:
        result = int(ell_min)
        ell = math.ceil(ell_min)
        if ell <= ell_max:
            ss = (m - ell) * (n - N * ell)
            if alpha_d_lambda * (logK + math.log(ss)) + beta >= ell:
                result = int(ell)
        return result
    return int(ell_min)


def search_space(m: int, db_residues: int, db_seqs: int, *, K: float, mode: str = "gapped",
                 length_adjust: bool = True) -> float:
    """Effective search space ``(m − ℓ)(n − N ℓ)`` (``m · n`` without the adjustment)."""
    if not length_adjust:
        return float(m) * float(db_residues)
    adl, beta = LENGTH_ADJUST[mode]
    ell = length_adjustment(m, db_residues, db_seqs, K=K, alpha_d_lambda=adl, beta=beta)
    return float(m - ell) * float(db_residues - db_seqs * ell)


def spouge_evalue(scores, m: int, subject_lengths, db_residues: int, *, lam: float = GAPPED.lam,
                  K: float = GAPPED.K) -> np.ndarray:
    """Spouge's finite-size-corrected E-values (``BLAST_SpougeStoE``,
    ``blast_stat.c``), what BLAST+ 2.12 blastp and psiblast report for
    gapped BLOSUM62 11/1 searches.

    For a score y against one subject of length n the expected number of
    chance alignments is ``K · area(y) · e^{−λy}``, where ``area`` replaces
    ``m · n`` by the expected sizes of the query and subject segments left
    once an alignment of score y (mean length ``a y + b``, variance
    ``α y + β``, covariance ``σ y + τ``) has been fitted in: with
    ``F = Φ((m − a y − b)/√v)``, ``p1 = (m − a y − b) F + √v φ(…)``, likewise
    ``p2`` for n, ``area = p1 p2 + c(y) F_m F_n``. The pairwise value is
    scaled to the database by ``db_residues / n``. Parameters are BLOSUM62
    11/1's Gumbel row (a = 1.9, α = 42.6028, σ = 43.6362; ungapped a = 0.7916,
    α = 4.96466; G = 12, b = 2G(a_un − a), β = 2G(α_un − α), τ = 2G(α_un − σ)).
    """
    from scipy.special import erfc

    y = np.asarray(scores, dtype=np.float64)
    n = np.asarray(subject_lengths, dtype=np.float64)
    G, a, alpha, sigma, a_un, alpha_un = 12.0, 1.9, 42.6028, 43.6362, 0.7916, 4.96466
    scale = lam / GAPPED.lam
    a_h, alpha_h, sigma_h = a * scale, alpha * scale, sigma * scale
    b_h, beta_h, tau_h = 2 * G * (a_un - a), 2 * G * (alpha_un - alpha), 2 * G * (alpha_un - sigma)
    c0 = 1.0 / math.sqrt(2 * math.pi)

    def side(length):
        mean = length - (a_h * y + b_h)
        var = np.maximum(2 * alpha_h / lam, alpha_h * y + beta_h)
        sd = np.sqrt(var)
        f = mean / sd
        P = erfc(-f / math.sqrt(2)) / 2
        return mean * P + sd * c0 * np.exp(-0.5 * f * f), P

    p1, P_m = side(float(m))
    p2, P_n = side(n)
    c_y = np.maximum(2 * sigma_h / lam, sigma_h * y + tau_h)
    area = p1 * p2 + c_y * P_m * P_n
    return area * K * np.exp(-lam * y) * (float(db_residues) / n)


def evalue(scores, m: int, db_residues: int, db_seqs: int, *, lam: float, K: float,
           mode: str = "gapped", length_adjust: bool = True, subject_lengths=None) -> np.ndarray:
    """E-values of raw integer ``scores`` (array or scalar).

    Without ``subject_lengths``: Karlin–Altschul ``K · space · e^{−λ S}`` on
    the length-adjusted search space (``mode`` "gapped"/"ungapped" picks the
    adjustment's α, β); ``db_residues`` is the database size (psiblast's
    ``-dbsize`` when set). With ``subject_lengths`` (one per score) and
    ``mode="gapped"``: :func:`spouge_evalue`, as BLAST+ 2.12 does.
    """
    if subject_lengths is not None and mode == "gapped":
        return spouge_evalue(scores, m, subject_lengths, db_residues, lam=lam, K=K)
    space = search_space(m, db_residues, db_seqs, K=K, mode=mode, length_adjust=length_adjust)
    return K * space * np.exp(-lam * np.asarray(scores, dtype=np.float64))


def score_for_evalue(e: float, m: int, db_residues: int, db_seqs: int, *, lam: float, K: float,
                     mode: str = "gapped", length_adjust: bool = True) -> float:
    """The real score S with ``evalue(S) == e`` (the inverse of :func:`evalue`);
    the smallest integer score reaching E ≤ e is ``ceil`` of it."""
    space = search_space(m, db_residues, db_seqs, K=K, mode=mode, length_adjust=length_adjust)
    return math.log(K * space / e) / lam


def bit_score(scores, *, lam: float, K: float) -> np.ndarray:
    """Bit scores ``(λ S − ln K) / ln 2``."""
    return (lam * np.asarray(scores, dtype=np.float64) - math.log(K)) / math.log(2)


def gap_trigger(bits: float = 22.0, ka: KarlinAltschul = UNGAPPED) -> int:
    """The raw ungapped score at which BLAST starts a gapped extension:
    ``(bits·ln 2 + ln K) / λ`` with the ungapped constants, truncated
    (``gap_trigger`` in blast_parameters.c, BLAST's default 22 bits; 41 on
    BLOSUM62's scale)."""
    return int((bits * math.log(2) + math.log(ka.K)) / ka.lam)
