"""Parameters of the ``psiblast`` domain (the YAML ``params:`` block).

``database`` describes the synthetic database each replicate draws (the
family, its subfamilies and the decoys, :mod:`.database`); the other keys
are the search, as BLAST+ ``psiblast`` names them where it has them::

    params:
      database:
        kind: star               # star | coalescent
        subfamilies: 5           # K (star); the clades cut at clade_depth (coalescent)
        members: 20              # per subfamily
        length: 120              # root domain length
        subfamily_divergence: 1.0   # root -> subfamily ancestor (substitutions per site)
        leaf_divergence: 0.3        # subfamily ancestor -> member
        background: 1000         # random sequences
        sister: 0                # members of a sister family at sister_distance
        foreign: 0               # members of an unrelated (foreign-domain) family
        chimeras: 0              # true-domain part fused to a foreign domain
        biased: 0                # composition-biased sequences
      mode: xdrop                # ungapped | gapped | xdrop
      inclusion: 0.002           # psiblast -inclusion_ethresh (web: 0.005)
      dbsize: null               # residues of the E-value's database (psiblast -dbsize; default: this database's)
      gap_open: 11               # psiblast -gapopen
      gap_extend: 1              # psiblast -gapextend
      pseudocounts: data_dependent   # data_dependent (Altschul et al. 2009) | constant (psiblast -pseudocount beta)
      beta: 30.0                 # the constant mode's β
      pseudo_scale: 1.0          # multiplies the pseudocount weight
      freeze_boundaries: false   # remedy: a hit's subject boundaries fixed at its first inclusion
      query_seeding: false       # remedy: unaligned MSA cells filled with the query's residues
      end_trim: 0                # remedy: residues dropped at both ends of every aligned segment
      entropy_target: null       # remedy: jackhmmer-like effective sequence number (bits per position, 0.59)
      export: false              # each replicate writes sequences.fasta and labels.tsv
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..base import DomainParams, expected

MODES = ("ungapped", "gapped", "xdrop")


class DatabaseParams(DomainParams):
    """The synthetic database (:func:`.database.build`, whose keyword arguments
    these are): a protein family evolved from a random root under a
    BLOSUM62-derived substitution process, and the decoy classes."""

    kind: Literal["star", "coalescent"] = Field(
        "star", description="subfamilies as a star of K clades, or clades of a coalescent tree")
    subfamilies: int = Field(5, ge=1, le=64, description="K subfamilies")
    members: int = Field(20, ge=1, le=10_000, description="members per subfamily")
    length: int = Field(120, ge=10, le=5_000, description="root domain length (residues)")
    subfamily_divergence: float = Field(1.0, ge=0, le=20,
                                        description="root -> subfamily ancestor, substitutions per site")
    leaf_divergence: float = Field(0.3, ge=0, le=20,
                                   description="subfamily ancestor -> member, substitutions per site")
    tree_height: float = Field(2.0, gt=0, le=40, description="coalescent: root-to-leaf height")
    clade_depth: float = Field(0.5, gt=0, lt=1, description="coalescent: subfamily cut, fraction of the height below the root")
    gamma_shape: float | None = Field(None, gt=0, description="gamma rate heterogeneity shape (null: equal rates)")
    invariant: float = Field(0.0, ge=0, lt=1, description="fraction of invariant sites")
    indel_rate: float = Field(0.0, ge=0, le=1, description="indels per site per unit branch length")
    flank: int = Field(30, ge=0, le=5_000, description="members' random flanks: up to this many residues each side")
    query_flank: int = Field(60, ge=0, le=5_000, description="the query's flanks, each side")
    background: int = Field(1000, ge=0, le=10_000_000, description="random background sequences")
    background_length: int = Field(200, ge=10, le=50_000, description="their mean length")
    sister: int = Field(0, ge=0, le=1_000_000, description="members of a sister family")
    sister_distance: float = Field(1.5, ge=0, le=20, description="family root -> sister root")
    foreign: int = Field(0, ge=0, le=1_000_000, description="members of a foreign-domain family")
    foreign_length: int = Field(100, ge=10, le=5_000, description="foreign domain length")
    foreign_divergence: float = Field(0.5, ge=0, le=20, description="foreign root -> member")
    chimeras: int = Field(0, ge=0, le=1_000_000, description="true-domain part fused to a foreign domain")
    chimera_overlap: float = Field(0.5, gt=0, le=1, description="the C-terminal fraction of the true domain a chimera keeps")
    biased: int = Field(0, ge=0, le=1_000_000, description="composition-biased sequences")
    biased_strength: float = Field(0.1, gt=0, le=100,
                                   description="Dirichlet concentration of a biased composition (smaller: more biased)")

    @model_validator(mode="after")
    def _check(self):
        n = self.subfamilies * self.members + self.background + self.sister + self.foreign \
            + self.chimeras + self.biased
        if n > 10_000_000:
            raise expected(f"at most 10^7 sequences in a database, got {n}")
        return self


class PsiblastParams(DomainParams):
    """Iterative profile search on a labelled synthetic database; see the
    module docstring for the YAML and :mod:`.model` for the iteration."""

    database: DatabaseParams = Field(default_factory=DatabaseParams)
    mode: Literal["ungapped", "gapped", "xdrop"] = Field(
        "xdrop", description="ungapped (seeded max-subarray), gapped (Smith-Waterman), xdrop (BLAST's gapped X-drop)")
    inclusion: float = Field(0.002, gt=0, le=1e6, description="E-value inclusion threshold")
    dbsize: int | None = Field(None, ge=1, description="residues of the E-value's database (null: this database's)")
    gap_open: int = Field(11, ge=0, le=100, description="gap opening cost")
    gap_extend: int = Field(1, ge=1, le=100, description="gap extension cost per residue")
    word_threshold: int = Field(11, ge=1, le=100, description="neighbourhood word score T")
    window: int = Field(40, ge=1, le=10_000, description="two-hit window A")
    slack: int = Field(0, ge=0, le=1_000, description="ungapped mode: residues added at each end of a segment")
    purge: float = Field(0.94, gt=0, le=1, description="rows more identical than this are purged")
    pseudocounts: Literal["data_dependent", "constant"] = Field(
        "data_dependent", description="Altschul et al. (2009) pseudocounts, or a constant beta")
    beta: float = Field(30.0, gt=0, le=1e6, description="constant mode: pseudocount weight beta")
    pseudo_scale: float = Field(1.0, gt=0, le=1e6, description="multiplies the pseudocount weight")
    freeze_boundaries: bool = Field(False, description="remedy: subject boundaries fixed at first inclusion")
    query_seeding: bool = Field(False, description="remedy: unaligned MSA cells take the query's residue")
    end_trim: int = Field(0, ge=0, le=1_000, description="remedy: residues trimmed at both ends of every segment")
    entropy_target: float | None = Field(None, gt=0, le=4.32,
                                         description="remedy: jackhmmer-like target relative entropy, bits per position")
    export: bool = Field(False, description="each replicate writes sequences.fasta and labels.tsv")
