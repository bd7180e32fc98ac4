"""Selection conventions, and the conversions between the tools that use them.

This is the commonest source of factor-of-two errors in the field, so every
conversion the sweep domain makes goes through here.

* **SLiM and msprime (this domain's internal convention)**: genotype
  fitnesses ``1 : 1 + hs : 1 + s`` (aa : Aa : AA). With ``h = ½`` a new copy
  fixes with probability ≈ ``s`` and the allele grows logistically at the
  per-copy rate ``σ = s/2`` (Haller et al. 2019; msprime's ``SweepGenicSelection``
  documents ``W = 1, 1 + s/2, 1 + s``).
* **fwdpy11**: ``Additive(scaling)`` or ``Multiplicative(scaling)`` give
  ``1 : 1 + hs : 1 + scaling·s``; ``scaling = 1`` is SLiM's convention (used for
  every comparison here), ``scaling = 2`` with ``h = 1`` is Kimura's.
* **Kimura's genic model** (Kimura 1962): ``1 : 1 + s : 1 + 2s``; a new copy
  fixes with ≈ ``2s``; ``u(p) = (1 − e^{−4Nsp}) / (1 − e^{−4Ns})``. Kimura's
  ``s`` is half of SLiM's: ``s_SLiM = 2 s_Kimura`` (no dominance: ``h = ½``).
* **discoal** (Kern & Schrider 2016): ``α = 2N s`` with Kimura's ``s``, so
  ``α = N s_SLiM``; msprime's ``s`` is half of discoal's (msprime docs).
* **Haploids**: carriers have fitness ``1 + s``; ``σ = s``.

``σ`` — the per-copy selective advantage, the logistic rate of the allele's
growth — is what the theory of sweeps is written in (``M`` gene copies,
``2Mσ`` the scaled strength).
"""

from __future__ import annotations

CONVENTIONS = {
    "slim": "genotype fitnesses 1 : 1+hs : 1+s (SLiM/msprime/fwdpy11 convention)",
    "kimura": "genotype fitnesses 1 : 1+s : 1+2s (Kimura's genic model; SLiM s = 2s, h = 1/2)",
}


def slim_from_kimura(s_kimura: float) -> float:
    """SLiM's ``s`` (with ``h = ½``) for Kimura's genic ``s``: ``2 s``."""
    return 2.0 * s_kimura


def kimura_from_slim(s: float) -> float:
    """Kimura's genic ``s`` for SLiM's additive ``s`` (``h = ½``): ``s/2``."""
    return 0.5 * s


def discoal_alpha(N: int, s: float) -> float:
    """discoal's ``α = 2N s_Kimura`` for N diploids and SLiM's additive ``s``: ``N s``."""
    return 2.0 * N * kimura_from_slim(s)


def msprime_s(s: float) -> float:
    """msprime's ``SweepGenicSelection(s=...)`` for SLiM's additive ``s``: the same
    number (msprime uses ``1 : 1 + s/2 : 1 + s``)."""
    return s


def sigma(s: float, ploidy: int = 2) -> float:
    """Per-copy selective advantage ``σ``: ``s/2`` for additive diploids in SLiM's
    convention, ``s`` for haploids."""
    return s if ploidy == 1 else 0.5 * s
