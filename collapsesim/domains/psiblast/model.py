"""One replicate of the ``psiblast`` domain: PSI-BLAST's iteration on a
labelled synthetic database (Altschul et al. 1997 NAR 25:3389; Schäffer et
al. 2001 NAR 29:2994).

**Build.** The replicate draws its database (:func:`.database.build`, from
the replicate's "database" stream); the query is a member of subfamily 0
with flanks. The profile of step 0 is the query alone: BLOSUM62's rows of
the query's residues (psiblast's first iteration).

**Step** (one PSI-BLAST iteration). Every database sequence is scored
against the current PSSM by the search mode's operator (integer scores):

* ``ungapped`` — ``psiblast.ungapped``: two-hit word seeds, the maximal
  segment of the best seed diagonal; E-values with BLOSUM62's ungapped
  Karlin–Altschul λ and K; the aligned row is the segment widened by
  ``slack`` residues at each end;
* ``gapped`` — ``psiblast.gapped``: Smith–Waterman–Gotoh with affine gaps
  (``gap_open`` + k·``gap_extend``), the reference; gapped λ and K;
* ``xdrop`` — ``psiblast.xdrop``: BLAST's gapped X-drop extension seeded on
  the ungapped mode's segments whose score reaches BLAST's gap trigger
  (22 bits, :func:`.theory.gap_trigger`); gapped λ and K.

E-values use the database size ``dbsize`` (default: this database's
residues): in the gapped modes Spouge's finite-size correction with each
subject's length, as BLAST+ 2.12 reports them; in the ungapped mode
Karlin–Altschul on BLAST's length-adjusted search space
(:func:`.theory.evalue`). K stays BLOSUM62's (psiblast recomputes it for
each PSSM). Sequences
with E ≤ ``inclusion`` are included; their alignments (tracebacks) make the
query-anchored MSA from which :func:`.pssm.build` makes the next PSSM
(purge, Henikoff weights, pseudocounts, log-odds on BLOSUM62's scale). The
search has converged when the included set equals the previous
iteration's; the replicate then ends (``finished``), as psiblast stops.

**Remedies.** ``freeze_boundaries`` (Gonzalez & Pearson 2010 NAR 38:e184;
PSI-Search): a sequence is re-aligned, in later iterations, only within the
subject range of its first inclusion. ``query_seeding`` (Pearson et al.
2017 NAR 45:e46): every MSA cell a hit leaves unaligned takes the query's
residue, so the query's scores hold where few hits reach. ``end_trim``:
``pssm.end_trim`` drops residues at both ends of every aligned segment.
``entropy_target``: jackhmmer's entropy weighting replaces psiblast's
effective sequence number. A stricter ``inclusion`` is the fifth.

**Series.** ``subfamilies`` (headline): included true members per
subfamily, reference the true subfamily sizes — its D1 is the effective
number of subfamilies captured and its ``coverage`` the fraction captured.
It *rises* from the query's subfamily (step 0: the query alone), so
narrowing reads as a final relative diversity and coverage below 1, not as
a fall. ``hits``: included sequences per class (members, then each decoy
class), reference 1 (the family alone) — a spurious mode entering adds a
type.

**Metrics.** ``included``; ``recall`` (included members / members) and
``recall_sub<k>``; ``fp_<class>`` (included sequences of each decoy class);
``precision`` (homologous hits — members and chimeras, whose true part is
the family's domain — among the included); ``column_entropy`` (mean
Shannon entropy, bits, of the PSSM's target frequencies); ``js_oracle``
(mean Jensen–Shannon divergence, bits, of the query's domain columns to the
true family's profile at the same root columns); ``js_foreign`` (the
query's C-terminal flank columns to the foreign family's profile in the
chimeras' register, when the database has a foreign family);
``first_fp_iteration`` (once a false positive — background, sister,
foreign or biased, not a chimera — was included); ``boundary_creep``
(mean residues the included homologous hits are aligned beyond their true
domain); ``converged`` (1 once the included set repeats).
"""

from __future__ import annotations

import numpy as np

from ...engine import streams
from ..base import Observation, Series
from . import alignment, pssm, theory  # noqa: F401 - alignment registers the search operators
from .database import CLASSES, Database, build as build_database
from .matrices import NOT_ALIGNED
from .params import PsiblastParams

def _entropy_bits(p: np.ndarray) -> np.ndarray:
    """Shannon entropy (bits) of each row of ``p``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(p > 0, p * np.log2(p), 0.0).sum(axis=-1)


def js_bits(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen–Shannon divergence (bits, in [0, 1]) between the rows of ``p`` and ``q``."""
    m = 0.5 * (p + q)
    return _entropy_bits(m) - 0.5 * (_entropy_bits(p) + _entropy_bits(q))


class PsiblastSimulation:
    """One replicate; see the module docstring."""

    def __init__(self, params: PsiblastParams, backend, seed: np.random.SeedSequence):
        self.params, self.backend = params, backend
        self.db: Database = build_database(streams(seed, "database")["database"],
                                           **params.database.model_dump())
        db = self.db
        self.n = len(db.offsets) - 1
        self.lengths = np.diff(db.offsets)
        self.query = db.sequence(db.query)
        self.m = len(self.query)
        self.residues = backend.asarray(db.residues)
        self.offsets = backend.asarray(db.offsets)
        self.dbsize = params.dbsize or int(len(db.residues))
        self.profile = pssm.from_query(self.query)
        self.included = np.zeros(self.n, bool)
        self.included[db.query] = True
        self.ranges = np.full((self.n, 4), -1, np.int64)   # qstart, qend, sstart, send of included hits
        self.rows = np.zeros((0, self.m), np.uint8)         # the last MSA: a row per included hit (self-hit too)
        self.frozen = np.full((self.n, 2), -1, np.int64)   # subject range at first inclusion
        self.iteration = 0
        self.first_fp: int | None = None
        self.homologous = np.isin(db.klass, [CLASSES.index("member"), CLASSES.index("chimera")])
        self.finished = False
        # the query's domain columns and their root columns; its C-terminal flank
        q0 = db.offsets[db.query]
        self.q_root = db.root_col[q0:q0 + self.m]
        self.q_domain_end = int(db.domain[db.query, 1])

    # -- one iteration ---------------------------------------------------------------------
    def _scores(self, pssm_scores):
        """Scores of every sequence, the E-value constants of the mode, and
        the fast mode's segments (the seeds of xdrop and the ungapped rows)."""
        p, b = self.params, self.backend
        scores_b = b.asarray(pssm_scores)
        if p.mode == "gapped":
            score = b.op("psiblast.gapped")(scores_b, self.residues, self.offsets,
                                            p.gap_open, p.gap_extend)[0]
            return b.to_numpy(score), theory.GAPPED, None
        seg = b.op("psiblast.ungapped")(scores_b, self.residues, self.offsets,
                                        p.word_threshold, p.window)
        seg = tuple(b.to_numpy(s) for s in seg)
        if p.mode == "ungapped":
            return seg[0], theory.UNGAPPED, seg
        # BLAST extends with gaps only the seeds whose ungapped score reaches the gap trigger
        trigger = seg[0] >= theory.gap_trigger()
        seeds = tuple(np.where(trigger, v, -1) for v in seg[1:])
        out = b.op("psiblast.xdrop")(scores_b, self.residues, self.offsets,
                                     tuple(b.asarray(v) for v in seeds), p.gap_open, p.gap_extend)
        return b.to_numpy(out[0]), theory.GAPPED, (seg[0],) + seeds

    def _alignments(self, idx, pssm_scores, seg):
        """The query-anchored rows and ranges (whole-sequence coordinates, -1 where
        nothing aligns) of the included sequences ``idx``, one ``psiblast.traceback``
        call; with ``freeze_boundaries``, each aligned within the subject range of its
        first inclusion only."""
        p, b = self.params, self.backend
        lengths = self.lengths[idx]
        windows = np.stack([np.zeros_like(lengths), lengths], 1)
        if p.freeze_boundaries:
            frozen = self.frozen[idx]
            windows = np.where(frozen[:, :1] >= 0, frozen, windows)
        seeds = (np.stack(seg[1:], 1)[idx] if seg is not None
                 else np.full((len(idx), 4), -1, np.int64))
        rows, ranges = b.op("psiblast.traceback")(
            b.asarray(pssm_scores), self.residues, self.offsets, idx, windows, p.mode, seeds,
            p.gap_open, p.gap_extend, slack=p.slack)
        return b.to_numpy(rows), b.to_numpy(ranges)

    def step(self) -> None:
        """One PSI-BLAST iteration: search, include, rebuild the PSSM."""
        if self.finished:
            return
        p, db = self.params, self.db
        scores_pssm = self.profile.scores
        score, (lam, K), seg = self._scores(scores_pssm)
        lengths = self.lengths
        gapped = p.mode != "ungapped"
        e = theory.evalue(score, self.m, self.dbsize, self.n, lam=lam, K=K,
                          mode="gapped" if gapped else "ungapped",
                          subject_lengths=lengths if gapped else None)
        included = (e <= p.inclusion) & (score > 0) & (lengths > 0)
        included[db.query] = True
        idx = np.flatnonzero(included)
        rows, found = self._alignments(idx, scores_pssm, seg)
        ok = found[:, 0] >= 0
        idx, rows = idx[ok], rows[ok]
        ranges = np.full((self.n, 4), -1, np.int64)
        ranges[idx] = found[ok]
        new = idx[self.frozen[idx, 0] < 0]
        self.frozen[new] = ranges[new, 2:]
        if p.end_trim:
            rows = pssm.end_trim(rows, p.end_trim)
        if p.query_seeding:
            rows = np.where(rows == NOT_ALIGNED, self.query[None, :], rows).astype(np.uint8)
        self.iteration += 1
        changed = not np.array_equal(included, self.included)
        self.included, self.ranges, self.rows = included, ranges, rows
        self.profile = pssm.build(self.query, rows, purge=p.purge, pseudocount=p.pseudocounts,
                                  beta=p.beta, pseudo_scale=p.pseudo_scale,
                                  entropy_target=p.entropy_target)
        if self.first_fp is None and (included & ~self.homologous).any():
            self.first_fp = self.iteration
        self.finished = not changed and self.iteration > 1

    # -- results -----------------------------------------------------------------------------
    def observe(self) -> Observation:
        db, inc = self.db, self.included
        members = db.klass == 0
        K = len(db.subfamily_sizes)
        per_sub = np.bincount(db.subfamily[inc & members], minlength=K).astype(float)
        per_class = np.bincount(db.klass[inc], minlength=len(CLASSES)).astype(float)
        series = {"subfamilies": Series(per_sub, db.subfamily_sizes.astype(float)),
                  "hits": Series(per_class, 1.0)}
        n_inc = int(inc.sum())
        metrics = {"iteration": float(self.iteration), "included": float(n_inc),
                   "recall": float((inc & members).sum() / max(members.sum(), 1)),
                   "precision": float((inc & self.homologous).sum() / max(n_inc, 1)),
                   "converged": float(self.finished)}
        for k in range(K):
            metrics[f"recall_sub{k}"] = float(per_sub[k] / max(db.subfamily_sizes[k], 1))
        for c, name in enumerate(CLASSES[1:], start=1):
            metrics[f"fp_{name}"] = float(per_class[c])
        target = self.profile.target
        metrics["column_entropy"] = float(_entropy_bits(target).mean())
        cols = np.flatnonzero(self.q_root >= 0)
        if len(cols):
            metrics["js_oracle"] = float(js_bits(target[cols],
                                                 db.family_profile[self.q_root[cols]]).mean())
        Lf = len(db.foreign_profile)
        flank = np.arange(self.q_domain_end, min(self.m, self.q_domain_end + Lf))
        if Lf and len(flank):
            metrics["js_foreign"] = float(js_bits(
                target[flank], db.foreign_profile[flank - self.q_domain_end]).mean())
        if self.first_fp is not None:
            metrics["first_fp_iteration"] = float(self.first_fp)
        hom = np.flatnonzero(inc & (db.domain[:, 0] >= 0) & (self.ranges[:, 2] >= 0))
        hom = hom[hom != db.query]
        if len(hom):
            creep = (np.maximum(0, db.domain[hom, 0] - self.ranges[hom, 2])
                     + np.maximum(0, self.ranges[hom, 3] - db.domain[hom, 1]))
            metrics["boundary_creep"] = float(creep.mean())
        return Observation(series=series, metrics=metrics)

    def export(self, folders) -> list:
        """The runner's artefact hook (``params.export: true``): the
        replicate's ``sequences.fasta`` and ``labels.tsv``."""
        if len(folders) != 1:
            raise ValueError(f"psiblast simulates one replicate, got {len(folders)} export folders")
        return [self.db.write(folders[0])]
