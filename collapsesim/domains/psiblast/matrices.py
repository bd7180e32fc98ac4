"""BLOSUM62, its frequencies, and a substitution process derived from it.

The alphabet is the 20 amino acids in NCBI's order ``ARNDCQEGHILKMFPSTWYV``
(codes 0..19, ``uint8``); MSA rows add ``GAP = 20`` and ``NOT_ALIGNED = 255``.

Tables (shipped in ``collapsesim/data/blosum62/``, copied from NCBI's public
domain BLAST+ sources; nothing is read from a BLAST+ install):

* :data:`BLOSUM62` — the integer matrix (scale ln 2 / 2, i.e. half bits);
* :data:`FREQ_RATIOS` — BLOSUM62's frequency ratios ``q_ab / (p_a p_b)``
  (``BLOSUM62_FREQRATIOS`` in ``algo/blast/core/matrix_freq_ratios.c``);
  ``round(2 log2 FREQ_RATIOS) == BLOSUM62`` exactly;
* :data:`BACKGROUND` — the Robinson & Robinson (1991) frequencies that BLAST
  calls its *standard probabilities* (``Robinson_prob`` /
  ``STD_AMINO_ACID_FREQS`` in ``blast_stat.c``, read by
  ``_PSIGetStandardProbabilities`` through ``Blast_ResFreqStdComp``). The
  PSSM engine uses them to spread gap weights, to turn target frequencies
  into ratios, to compute the ideal λ of BLOSUM62 and the λ of a PSSM when
  rescaling it (``blast_psi_priv.c``);
* :data:`BLOSUM62_BACKGROUND` — the background implicit in BLOSUM62
  (``BLOSUM62_bg`` in ``composition_adjustment/matrix_frequency_data.c``,
  returned by ``Blast_GetMatrixBackgroundFreq``). The data-dependent
  pseudocounts (``s_columnSpecificPseudocounts``,
  ``s_initializeExpNumObservations``) use this one;
* :data:`JOINT` — BLOSUM62's target (joint) frequencies
  ``q_ab = FREQ_RATIOS_ab · p_a · p_b`` with ``p = BLOSUM62_BACKGROUND``,
  normalised to sum 1 (the raw sum is 1 − 4·10⁻¹¹). This reproduces NCBI's
  ``BLOSUM62_JOINT_PROBS`` table to ~10⁻⁹ relative; its marginals equal
  ``BLOSUM62_BACKGROUND`` to 5·10⁻¹¹.

The substitution process (:func:`rate_matrix`, :func:`transition`) is the
continuous-time Markov chain whose one-step matrix is BLOSUM62's conditional
matrix ``P(b|a) = q_ab / p_a`` (issue #13).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

ALPHABET = "ARNDCQEGHILKMFPSTWYV"
GAP = 20
NOT_ALIGNED = 255

_CODE = np.full(256, 255, np.uint8)
for _i, _a in enumerate(ALPHABET):
    _CODE[ord(_a)] = _i
    _CODE[ord(_a.lower())] = _i


def encode(seq: str) -> np.ndarray:
    """Residue codes (``uint8``) of an amino-acid string; ``-`` is ``GAP``.

    Letters outside the 20 amino acids (X, B, Z, U, O, J, *) raise: the
    domain's data never contain them.
    """
    raw = np.frombuffer(seq.encode("ascii"), np.uint8)
    out = _CODE[raw].copy()
    out[raw == ord("-")] = GAP
    bad = out == 255
    if bad.any():
        raise ValueError(f"not one of the 20 amino acids: {sorted({seq[i] for i in np.flatnonzero(bad)})}")
    return out


def decode(codes) -> str:
    """The string of residue codes; ``GAP`` prints ``-``, ``NOT_ALIGNED`` prints ``.``."""
    lut = np.frombuffer((ALPHABET + "-").encode() + b"." * 235, np.uint8)
    return lut[np.asarray(codes, np.uint8)].tobytes().decode()


def _data(name: str) -> str:
    return resources.files("collapsesim").joinpath("data", "blosum62", name).read_text()


def _load_matrix() -> np.ndarray:
    lines = [ln.split() for ln in _data("BLOSUM62").splitlines() if ln.strip() and not ln.startswith("#")]
    header, rows = lines[0], {ln[0]: ln[1:] for ln in lines[1:]}
    idx = [header.index(b) for b in ALPHABET]
    return np.array([[int(rows[a][j]) for j in idx] for a in ALPHABET], np.int32)


def _load_ratios() -> np.ndarray:
    lines = [ln.split() for ln in _data("freq_ratios.txt").splitlines() if ln.strip() and not ln.startswith("#")]
    header, rows = lines[0], {ln[0]: ln[1:] for ln in lines[1:]}
    idx = [header.index(b) for b in ALPHABET]
    return np.array([[float(rows[a][j]) for j in idx] for a in ALPHABET])


def _load_vector(name: str) -> np.ndarray:
    vals = dict(ln.split() for ln in _data(name).splitlines() if ln.strip() and not ln.startswith("#"))
    v = np.array([float(vals[a]) for a in ALPHABET])
    return v / v.sum()


BLOSUM62: np.ndarray = _load_matrix()
FREQ_RATIOS: np.ndarray = _load_ratios()
BACKGROUND: np.ndarray = _load_vector("background_robinson.txt")
BLOSUM62_BACKGROUND: np.ndarray = _load_vector("background_blosum62.txt")
JOINT: np.ndarray = FREQ_RATIOS * np.outer(BLOSUM62_BACKGROUND, BLOSUM62_BACKGROUND)
JOINT /= JOINT.sum()
for _arr in (BLOSUM62, FREQ_RATIOS, BACKGROUND, BLOSUM62_BACKGROUND, JOINT):
    _arr.setflags(write=False)


@dataclass(frozen=True)
class RateMatrix:
    """A reversible-by-construction rate matrix and what it implies.

    ``Q`` (20×20, rows sum to 0) is scaled so that ``-Σ_a π_a Q_aa = 1``: t = 1
    is one expected substitution per site. ``stationary`` is π (``π Q = 0``).
    ``blosum_time`` is the t at which BLOSUM62's own conditional matrix sits
    on this clock (the scale divided out). ``clipped`` is the total negative
    off-diagonal rate removed before renormalising (in the unscaled units of
    ``logm(P)``).
    """

    Q: np.ndarray
    stationary: np.ndarray
    blosum_time: float
    clipped: float


@lru_cache(maxsize=1)
def rate_matrix() -> RateMatrix:
    """The substitution process derived from BLOSUM62 (issue #13).

    ``P(b|a) = JOINT_ab / p_a`` is BLOSUM62's conditional (one-step) matrix.
    Its matrix logarithm (``scipy.linalg.logm``) is a generator ``L`` with
    ``expm(L) = P``; ``L`` has small negative off-diagonal entries (it is not
    a valid rate matrix), so those are clipped to 0 and each diagonal is
    reset to minus its row's off-diagonal sum (rows renormalised to sum 0).
    The result is scaled to one expected substitution per site per unit
    time at its own stationary distribution π.

    Measured on the shipped tables: ``logm(P)`` has no negative off-diagonal
    entry (the smallest is 0.0021), so the clipping removes nothing
    (``clipped == 0``), the process is reversible with π equal to
    ``BLOSUM62_BACKGROUND`` (to ~10⁻¹⁰), and ``transition(blosum_time)``
    reproduces BLOSUM62's conditional matrix (to ~10⁻¹⁴). BLOSUM62 sits at
    ``blosum_time`` ≈ 1.28 expected substitutions per site. The clipping is
    kept because the construction must yield a valid generator for any
    joint table, and is what issue #13 prescribes.
    """
    from scipy.linalg import logm

    P = JOINT / JOINT.sum(axis=1, keepdims=True)
    L = np.real(logm(P))
    off = L - np.diag(np.diag(L))
    clipped = float(-off[off < 0].sum())
    off = np.clip(off, 0.0, None)
    Q = off - np.diag(off.sum(axis=1))
    w, v = np.linalg.eig(Q.T)
    pi = np.real(v[:, np.argmin(np.abs(w))])
    pi = pi / pi.sum()
    rate = float(-(pi * np.diag(Q)).sum())
    Q = Q / rate
    Q.setflags(write=False)
    pi.setflags(write=False)
    return RateMatrix(Q=Q, stationary=pi, blosum_time=rate, clipped=clipped)


@lru_cache(maxsize=1)
def _eigen():
    """Eigendecomposition ``Q = V diag(w) V⁻¹`` (general, not symmetrised:
    clipping could make Q non-reversible)."""
    Q = rate_matrix().Q
    w, v = np.linalg.eig(Q)
    return w, v, np.linalg.inv(v)


def transition(t: float) -> np.ndarray:
    """``P(t) = expm(Q t)`` (20×20, rows sum to 1), t in expected substitutions per site.

    Computed from the cached eigendecomposition of ``Q``; tiny negative
    round-off entries are clipped to 0 and rows renormalised.
    """
    if t < 0:
        raise ValueError(f"t must be >= 0, got {t}")
    w, v, vinv = _eigen()
    P = np.real((v * np.exp(w * t)) @ vinv)
    P = np.clip(P, 0.0, None)
    return P / P.sum(axis=1, keepdims=True)
