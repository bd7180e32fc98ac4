"""PSI-BLAST's position-specific score matrix, built in NCBI's order.

A port of the PSSM engine of BLAST+ (``algo/blast/core/blast_psi_priv.c``,
Altschul et al. 1997 NAR 25:3389; Schäffer et al. 2001 NAR 29:2994;
Altschul et al. 2009 Bioinformatics 25:1106), restricted to the 20 amino
acids (no X, B, Z, U, O, J, * in the domain's data). Given the query and the
query-anchored rows of the included hits, :func:`build` does, in order:

1. **MSA** — row 0 is the query (aligned at every column, as psiblast's
   ``kQueryIndex``); hit rows carry a residue, ``GAP`` (a query column
   aligned to a gap) or ``NOT_ALIGNED``. A hit row may not start or end
   with a gap (psiblast's ``PSIERR_STARTINGGAP``/``ENDINGGAP``).
2. **Purge** (``_PSIPurgeBiasedSegments``): every aligned stretch of a hit
   100 % identical to the query is removed (``s_PSIPurgeSelfHits``); then
   for i = 1..n, j = 1..n−i the pair (j, i+j) is compared and each region
   where either is aligned with identity ≥ ``purge`` (0.94) is removed from
   row i+j (``s_PSIPurgeNearIdenticalAlignments``; NCBI's finite-state
   machine, same pair order). Rows left without aligned cells drop out.
3. **Aligned blocks** (``_PSIComputeAlignmentBlocks``): for each column the
   intersection of the contiguous aligned runs of the hits aligned there.
4. **Sequence weights** (``_PSIComputeSequenceWeights``): Henikoff &
   Henikoff (1994) position-based weights computed on each column's block
   (query included), the weighted residue frequencies of the column (gaps a
   21st letter whose weight is then spread over the 20 residues in
   proportion to the standard probabilities, ``_PSISpreadGapWeights``).
5. **Effective observations** (``s_effectiveObservations``, Altschul et
   al. 2009): the mean number of distinct residues in the half of the
   block's columns with most distinct residues, converted to a number of
   independent observations through ``E[distinct | k draws from the
   BLOSUM62 background]``, capped by the number of participating rows, minus 1.
6. **Pseudocounts** (``s_columnSpecificPseudocounts``): the column
   frequencies mixed with 5.5 background pseudocounts, their relative
   entropy R (nats) to the BLOSUM62 background, α = 0.0457 / R^0.8,
   β = 500 α / (1 − α); β = 30 with no observations when α ≥ 1 − 10⁻⁴
   (``kZeroObsPseudo``). ``pseudocount="constant"`` uses β = ``beta``
   (psiblast's ``-pseudocount``). ``pseudo_scale`` multiplies β (the
   domain's knob; 1 = psiblast).
7. **Target frequencies** (``_PSIComputeFreqRatios``): ``Q_r = p_r ·
   (N_eff f_r / p_r + β Σ_i f_i R_ri) / (N_eff + β)`` with f the weighted
   frequencies, R BLOSUM62's frequency ratios and p the standard (Robinson)
   probabilities.
8. **Scores** (``_PSIConvertFreqRatiosToPSSM``, ``_PSIScaleMatrix``):
   ``round(200 ln(Q_r/p_r) / λ_u)`` with λ_u BLOSUM62's ideal ungapped λ
   (0.3176) — columns where only the query is aligned keep
   ``round(400 log2 R_{q r})`` (BLOSUM62's row at the same ×100 scale);
   then the factor f (starting at 1, steps of 5 %, then 10 bisection
   steps) such that the ungapped λ of ``round(f · scaled / 200)`` under
   the standard probabilities crosses λ_u; the last bisection step's
   rounding is the PSSM. Its scores are thus on BLOSUM62's scale and
   :mod:`.theory`'s constants apply.

Rounding is C's ``BLAST_Nint`` (halves away from zero).

Validated against psiblast 2.12 (tests/domains/psiblast/test_pssm.py): on
five ``-in_msa`` alignments (diverse, close, near-duplicates with a
self-hit, 60 rows × 120 columns, gapless) and on three search rounds
(``-pseudocount`` 0, 5, 60; rows rebuilt from psiblast's own round-1 HSPs,
``-save_each_pssm``) every PSSM score is identical, the weighted observed
percentages equal ours rounded to the nearest integer (the header's
"rounded down" is not what it does), and the information per position and
relative weight agree to their printed two decimals. Two facts found on
the way: psiblast 2.12 reads an internal ``-`` of ``-in_msa`` as a query
column aligned to a gap (a ``GAP`` cell, not an unaligned one), and it
ignores ``-pseudocount`` when the PSSM comes from ``-in_msa``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .matrices import (
    ALPHABET,
    BACKGROUND,
    BLOSUM62,
    BLOSUM62_BACKGROUND,
    FREQ_RATIOS,
    GAP,
    NOT_ALIGNED,
)

__all__ = [
    "ALPHABET",
    "GAP",
    "IDEAL_LAMBDA",
    "NOT_ALIGNED",
    "Profile",
    "build",
    "end_trim",
    "entropy_target_neff",
    "from_query",
]

_SCALE = 200                  # kPSIScaleFactor
_PSEUDO_MAX = 1_000_000.0     # PSEUDO_MAX
_ZERO_OBS_PSEUDO = 30.0       # kZeroObsPseudo
_MAX_IND_OBS = 400            # MAX_IND_OBSERVATIONS
_POS_EPS = 1e-4               # kPosEpsilon
_SCALING_PERCENT = 0.05       # kPositScalingPercent
_SCALING_ITERATIONS = 10      # kPositScalingNumIterations


def _nint(x):
    """C's ``BLAST_Nint``: round half away from zero."""
    x = np.asarray(x, dtype=np.float64)
    return np.trunc(x + np.where(x >= 0, 0.5, -0.5)).astype(np.int64)


def _lambda(probs: np.ndarray, scores: np.ndarray) -> float:
    """The λ > 0 solving ``Σ probs · exp(λ · scores) = 1`` (Karlin–Altschul);
    needs a negative mean and a positive maximum score."""
    from scipy.optimize import brentq

    s = np.asarray(scores, dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    if not (p @ s < 0 < s[p > 0].max()):
        raise ValueError("the score distribution needs a negative mean and a positive maximum")
    f = lambda lam: float(p @ np.exp(lam * s)) - 1.0
    hi = 1.0
    while f(hi) <= 0:
        hi *= 2
    return brentq(f, 1e-6, hi, xtol=1e-15, rtol=1e-15)


#: BLOSUM62's ideal ungapped λ under the standard probabilities (``Blast_KarlinBlkIdealCalc``)
IDEAL_LAMBDA: float = _lambda(np.outer(BACKGROUND, BACKGROUND).ravel(), BLOSUM62.ravel())

# s_initializeExpNumObservations: expected distinct letters in j draws
_EXPNO = np.zeros(_MAX_IND_OBS + 1)
_EXPNO[1:_MAX_IND_OBS] = 20 - np.exp(np.arange(1, _MAX_IND_OBS)[:, None]
                                     * np.log(1.0 - BLOSUM62_BACKGROUND)[None, :]).sum(axis=1)


@dataclass(frozen=True)
class Profile:
    """A PSSM and the statistics psiblast reports with it (length m each).

    ``scores`` int32[m, 20] — the PSSM the search uses; ``freqs`` — weighted
    observed frequencies (psiblast's "weighted observed percentages" / 100;
    zero where only the query is aligned); ``target`` — the target
    frequencies after pseudocounts, rows summing to 1 (where only the query
    is aligned, BLOSUM62's implied ``p_r R_{q r}`` renormalised);
    ``information`` — psiblast's information per position (bits, 0 where
    only the query is aligned); ``neff`` — effective independent
    observations per column; ``pseudocounts`` — β per column;
    ``gapless_weight`` — psiblast's "relative weight of gapless real matches
    to pseudocounts"; ``kept`` — which input rows still take part after the
    purge (empty for :func:`from_query`).
    """

    scores: np.ndarray
    freqs: np.ndarray
    target: np.ndarray
    information: np.ndarray
    neff: np.ndarray
    pseudocounts: np.ndarray
    gapless_weight: np.ndarray
    kept: np.ndarray


def _query_target(query: np.ndarray) -> np.ndarray:
    t = BACKGROUND[None, :] * FREQ_RATIOS[query]
    return t / t.sum(axis=1, keepdims=True)


def _info_bits(q: np.ndarray) -> np.ndarray:
    ratio = q / BACKGROUND[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ratio > _POS_EPS, q * np.log(ratio), 0.0).sum(axis=1) / math.log(2)


def from_query(query) -> Profile:
    """Iteration 1's profile: BLOSUM62's rows of the query residues (psiblast
    searches with the plain matrix first); ``freqs`` is the query one-hot."""
    query = np.asarray(query, np.uint8)
    m = len(query)
    target = _query_target(query)
    return Profile(scores=BLOSUM62[query].astype(np.int32), freqs=np.eye(20)[query],
                   target=target, information=_info_bits(target), neff=np.zeros(m),
                   pseudocounts=np.zeros(m), gapless_weight=np.zeros(m), kept=np.zeros(0, bool))


# -- 2. purge -----------------------------------------------------------------------------------

@njit(cache=True)
def _purge_pair(letters, aligned, use, s1, s2, threshold):
    """NCBI's ``s_PSIPurgeSimilarAlignments`` finite-state machine: scan the
    columns; a region is a maximal run where either row is aligned (for the
    query, where row s2 is); regions with identity ≥ threshold are removed
    from row s2."""
    if s1 == s2 or not use[s1] or not use[s2]:
        return
    m = letters.shape[1]
    counting = True
    start = 0
    eff = 0
    ident = 0
    for p in range(m + 1):
        a2 = aligned[s2, p] if p < m else False
        a1 = (aligned[s1, p] if s1 != 0 else False) if p < m else False
        if not a1 and not a2:
            if counting:
                if eff > 0 and ident / eff >= threshold:
                    for c in range(start, start + eff):
                        aligned[s2, c] = False
                    any_left = False
                    for c in range(m):
                        if aligned[s2, c]:
                            any_left = True
                            break
                    if not any_left:
                        use[s2] = False
                counting = False
        else:
            if counting:
                eff += 1
            else:
                start = p
                eff = 1
                ident = 0
                counting = True
            if aligned[s1, p] and a2 and letters[s1, p] == letters[s2, p]:
                ident += 1


@njit(cache=True)
def _purge(letters, aligned, use, threshold):
    n = letters.shape[0]
    for s in range(1, n):
        _purge_pair(letters, aligned, use, 0, s, 1.0)
    for i in range(1, n):
        for j in range(1, n - i):
            _purge_pair(letters, aligned, use, j, i + j, threshold)


# -- 3.–4. aligned blocks and sequence weights ---------------------------------------------------

@njit(cache=True)
def _blocks(letters, aligned):
    """``_PSIComputeAlignmentBlocks``: per column, [left, right] = the
    intersection over hit rows aligned there of their contiguous aligned
    runs (-1, m when no hit is aligned)."""
    n, m = letters.shape
    left = np.full(m, -1, np.int64)
    right = np.full(m, m, np.int64)
    for s in range(1, n):
        ext_l = np.full(m, -1, np.int64)
        ext_r = np.full(m, m, np.int64)
        if aligned[s, 0] and letters[s, 0] != 20:
            ext_l[0] = 0
        for c in range(1, m):
            if aligned[s, c]:
                ext_l[c] = ext_l[c - 1] if aligned[s, c - 1] else c
        if aligned[s, m - 1] and letters[s, m - 1] != 20:
            ext_r[m - 1] = m - 1
        for c in range(m - 2, -1, -1):
            if aligned[s, c]:
                ext_r[c] = ext_r[c + 1] if aligned[s, c + 1] else c
        for c in range(m):
            if aligned[s, c]:
                left[c] = max(left[c], ext_l[c])
                right[c] = min(right[c], ext_r[c])
    return left, right


@njit(cache=True)
def _weights(letters, aligned, left, right, std):
    """``_PSIComputeSequenceWeights`` (+ gap spreading): per column the
    Henikoff weights over the column's block, the weighted frequencies
    (21 letters, then the gap's weight spread by ``std``), σ (distinct
    letters summed over the block), the distribution of distinct standard
    letters per block column, the number of participating rows and the
    gapless weight."""
    n, m = letters.shape
    match = np.zeros((m, 21))
    sigma = np.zeros(m)
    distinct = np.zeros((m, 21), np.int64)
    participating = np.zeros(m, np.int64)
    gapless = np.zeros(m)
    rows = np.empty(n, np.int64)
    row_sigma = np.zeros(n)
    for pos in range(m):
        k = 0
        for s in range(n):
            if aligned[s, pos]:
                rows[k] = s
                k += 1
        if k <= 1 or right[pos] - left[pos] + 1 == 0:
            continue
        for a in range(k):
            row_sigma[rows[a]] = 0.0
        found = False
        sig = 0
        for i in range(left[pos], right[pos] + 1):
            counts = np.zeros(21, np.int64)
            nd = 0
            nstd = 0
            for a in range(k):
                r = letters[rows[a], i]
                if counts[r] == 0:
                    nd += 1
                    if r != 20:
                        nstd += 1
                counts[r] += 1
            sig += nd
            distinct[pos, min(nstd, 20)] += 1
            if nd > 1:
                found = True
            for a in range(k):
                r = letters[rows[a], i]
                row_sigma[rows[a]] += 1.0 / (counts[r] * nd)
        sigma[pos] = sig
        w = np.empty(k)
        if found:
            total = 0.0
            for a in range(k):
                w[a] = row_sigma[rows[a]] / (right[pos] - left[pos] + 1)
                total += w[a]
            for a in range(k):
                w[a] /= total
        else:
            for a in range(k):
                w[a] = 1.0 / k
        participating[pos] = k
        for a in range(k):
            r = letters[rows[a], pos]
            match[pos, r] += w[a]
            if r != 20:
                gapless[pos] += w[a]
        for r in range(20):
            match[pos, r] += match[pos, 20] * std[r]
        match[pos, 20] = 0.0
    return match[:, :20], sigma, distinct, participating, gapless


# -- 5.–6. effective observations and pseudocounts --------------------------------------------

def _effective_observations(left, right, distinct, participating, m) -> np.ndarray:
    """``s_effectiveObservations`` for every column."""
    obs = np.zeros(m)
    for c in range(m):
        if left[c] < 0 or right[c] >= m:
            continue
        half = max(1, (int(right[c]) - int(left[c]) + 2) // 2)
        k, done, total = 20, 0, 0
        while done < half:
            total += int(distinct[c, k]) * k
            done += int(distinct[c, k])
            if done > half:
                total -= (done - half) * k
                done = half
            k -= 1
        ave = total / done
        i = 1
        while i < _MAX_IND_OBS and _EXPNO[i] <= ave:
            i += 1
        indep = float(i) if i == _MAX_IND_OBS else i - (_EXPNO[i] - ave) / (_EXPNO[i] - _EXPNO[i - 1])
        indep = min(indep, float(participating[c]))
        obs[c] = max(0.0, indep - 1)
    return obs


def _column_pseudocounts(freqs: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """``s_columnSpecificPseudocounts`` for every column (``_PSEUDO_MAX`` = none)."""
    bg = BLOSUM62_BACKGROUND
    mixed = freqs * obs[:, None] + bg[None, :] * 5.5
    mixed /= mixed.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(mixed > _POS_EPS, mixed * np.log(mixed / bg[None, :]), 0.0).sum(axis=1)
    rel = np.maximum(rel, _POS_EPS)
    alpha = 0.0457 / rel ** 0.8
    with np.errstate(divide="ignore"):
        return np.where(alpha < 1 - _POS_EPS, 500.0 * alpha / (1 - alpha), _PSEUDO_MAX)


def _targets(freqs, obs, beta):
    """``_PSIComputeFreqRatios``'s estimate Q (rows sum to ~1)."""
    std = BACKGROUND
    pseudo = beta[:, None] * (freqs @ FREQ_RATIOS.T)
    return std[None, :] * (obs[:, None] * freqs / std[None, :] + pseudo) / (obs + beta)[:, None]


def entropy_target_neff(freqs: np.ndarray, obs: np.ndarray, beta: np.ndarray, target_bits: float,
                        columns: np.ndarray) -> float:
    """Jackhmmer-like entropy weighting: the factor s ∈ [0, 1] on the
    effective observations such that the mean relative entropy (bits, to the
    standard background) of the target frequencies over ``columns`` equals
    ``target_bits``.

    HMMER's default (``p7_EntropyWeight``, ``--eent``, Eddy 2011 PLoS Comput
    Biol 7:e1002195) scales the effective sequence number so that the
    model's mean relative entropy per match state is 0.59 bits for amino
    acids, never scaling up. Here the same target is imposed on psiblast's
    estimate: s = 1 when the unscaled profile is already at or below the
    target, s = 0 when even no observations exceed it, otherwise bisection
    (60 halvings) on s, the pseudocount weights β held fixed.
    """
    if not len(columns):
        return 1.0

    def mean_re(s):
        return float(_info_bits(_targets(freqs[columns], obs[columns] * s, beta[columns])).mean())

    if mean_re(1.0) <= target_bits:
        return 1.0
    if mean_re(0.0) >= target_bits:
        return 0.0
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if mean_re(mid) > target_bits:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


# -- 8. scores ---------------------------------------------------------------------------------

def _pssm_lambda(pssm: np.ndarray) -> float:
    """``_PSIUpdateLambdaK``'s λ: the ungapped λ of the PSSM with each score
    weighted by the standard probability of its residue over the positions."""
    m = pssm.shape[0]
    vals, inv = np.unique(pssm.ravel(), return_inverse=True)
    probs = np.bincount(inv, weights=np.tile(BACKGROUND / m, m), minlength=len(vals))
    return _lambda(probs, vals)


def _scale(scaled: np.ndarray) -> np.ndarray:
    """``_PSIScaleMatrix``: the factor search and its last rounding."""
    def at(factor):
        pssm = _nint(factor * scaled / _SCALE)
        return pssm, _pssm_lambda(pssm)

    factor, first, too_high = 1.0, True, True
    low = high = 1.0
    while True:
        _, lam = at(factor)
        if lam > IDEAL_LAMBDA:
            if first:
                high, low, factor, too_high, first = 1.0 + _SCALING_PERCENT, 1.0, 1.0 + _SCALING_PERCENT, True, False
            else:
                if not too_high:
                    break
                high += high - 1.0
                factor = high
        else:
            if first:
                high, low, factor, too_high, first = 1.0, 1.0 - _SCALING_PERCENT, 1.0 - _SCALING_PERCENT, False, False
            else:
                if too_high:
                    break
                low += low - 1.0
                factor = low
    for _ in range(_SCALING_ITERATIONS):
        factor = 0.5 * (high + low)
        pssm, lam = at(factor)
        if lam > IDEAL_LAMBDA:
            low = factor
        else:
            high = factor
    return pssm.astype(np.int32)


# -- the whole update --------------------------------------------------------------------------

def build(query, rows, *, purge: float = 0.94, pseudocount: str = "data_dependent",
          beta: float = 30.0, pseudo_scale: float = 1.0,
          entropy_target: float | None = None) -> Profile:
    """The PSSM psiblast would build from ``query`` (uint8[m]) and the
    query-anchored ``rows`` (uint8[n, m]) of its included hits (the query
    itself is row 0 of the MSA, added here; a self-hit among ``rows`` is
    purged as psiblast purges it). See the module docstring for the steps.

    ``pseudocount``: "data_dependent" (psiblast's default) or "constant"
    (β = ``beta`` in every column). ``pseudo_scale`` multiplies β.
    ``entropy_target`` (bits per position, e.g. 0.59): replaces psiblast's
    effective observations by the same scaled with
    :func:`entropy_target_neff` (the jackhmmer-like remedy).
    """
    query = np.asarray(query, np.uint8)
    rows = np.asarray(rows, np.uint8).reshape(-1, len(query))
    m = len(query)
    if pseudocount not in ("data_dependent", "constant"):
        raise ValueError(f"pseudocount must be 'data_dependent' or 'constant', got {pseudocount!r}")
    if (query > 19).any():
        raise ValueError("the query must hold residue codes 0..19")
    bad = (rows > GAP) & (rows != NOT_ALIGNED)
    if bad.any():
        raise ValueError("rows hold residue codes 0..19, GAP (20) or NOT_ALIGNED (255)")
    aligned_rows = rows != NOT_ALIGNED
    for r in np.flatnonzero(aligned_rows.any(axis=1)):
        cells = rows[r][aligned_rows[r]]
        if cells[0] == GAP or cells[-1] == GAP:
            raise ValueError(f"row {r} starts or ends with a gap (psiblast rejects flanking gaps)")

    letters = np.vstack([query[None, :], np.where(aligned_rows, rows, 0).astype(np.uint8)])
    aligned = np.vstack([np.ones((1, m), bool), aligned_rows])
    use = aligned.any(axis=1)
    use[0] = True
    _purge(letters, aligned, use, float(purge))
    keep = np.flatnonzero(use)
    letters, aligned = np.ascontiguousarray(letters[keep]), np.ascontiguousarray(aligned[keep])

    left, right = _blocks(letters, aligned)
    freqs, sigma, distinct, participating, gapless = _weights(letters, aligned, left, right, BACKGROUND)
    obs = _effective_observations(left, right, distinct, participating, m)
    if pseudocount == "constant":
        counts = np.full(m, float(beta))
    else:
        counts = _column_pseudocounts(freqs, obs)
    none = counts >= _PSEUDO_MAX
    beta_col = np.where(none, _ZERO_OBS_PSEUDO, counts) * pseudo_scale
    obs = np.where(none, 0.0, obs)
    has_data = participating > 1
    if entropy_target is not None:
        obs = obs * entropy_target_neff(freqs, obs, beta_col, entropy_target, np.flatnonzero(has_data))

    q = _targets(freqs, obs, beta_col)
    q[~has_data] = 0.0
    scaled = _nint(_SCALE * 2 * np.log2(FREQ_RATIOS[query]))
    scaled[has_data] = _nint(_SCALE * np.log(q[has_data] / BACKGROUND[None, :]) / IDEAL_LAMBDA)
    scores = _scale(scaled)

    information = _info_bits(q)
    target = np.where(has_data[:, None], q / np.where(has_data, q.sum(axis=1), 1.0)[:, None],
                      _query_target(query))
    size = (right - left + 1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        gw = np.where(has_data, gapless / beta_col * (sigma / size - 1), 0.0)
    return Profile(scores=scores, freqs=freqs, target=target, information=information, neff=obs,
                   pseudocounts=np.where(has_data, beta_col, 0.0), gapless_weight=gw,
                   kept=use[1:].copy())


def end_trim(rows, n: int) -> np.ndarray:
    """The rows with ``n`` aligned residues dropped at each end of every
    row's aligned stretch (cells become ``NOT_ALIGNED``, gaps left at the
    new ends too); a row with at most 2n residues becomes empty. A remedy
    against over-extension: alignment ends are where a hit most often runs
    past its homologous domain."""
    rows = np.array(rows, np.uint8, copy=True)
    if n <= 0:
        return rows
    for r in range(len(rows)):
        res = np.flatnonzero(rows[r] < GAP)
        if len(res) <= 2 * n:
            rows[r] = NOT_ALIGNED
            continue
        rows[r, :res[n]] = NOT_ALIGNED
        rows[r, res[-n - 1] + 1:] = NOT_ALIGNED
    return rows
