"""Synthetic protein databases with ground truth: a family evolved along a
tree under a BLOSUM62-derived substitution process, and labelled decoys.

**Substitution process.** Residues evolve by the reversible continuous-time
Markov chain of :func:`.matrices.rate_matrix` (BLOSUM62's conditional
matrix's generator; ``P(t) = expm(Q t)`` from :func:`.matrices.transition`,
t in expected substitutions per site). Its stationary distribution π
(BLOSUM62's implicit background, ``matrices.BLOSUM62_BACKGROUND`` to
~10⁻¹⁰) is the composition of every residue not descended from a root:
roots, insertions, flanks and background decoys — one composition for the
whole database but the biased class, so composition alone tells no class
apart. (BLAST's ``matrices.BACKGROUND``, Robinson & Robinson 1991, differs
from π by up to 0.016 in a residue's frequency.) A branch
of length t changes every site at once: each site's next residue is drawn
from the row ``P(r·t)[a]`` of its current residue a (cumulative sums against
one uniform per site, all sites and all sequences of a branch length in one
array operation). Site rates r belong to the family's root columns and are
drawn once per family, so a column is fast or slow in every member:

* ``gamma_shape`` α — Yang's (1994, J. Mol. Evol. 39:306) discrete gamma with
  four equiprobable categories, each at its category's mean rate (mean 1);
  ``None``: every site at rate 1;
* ``invariant`` — each root column is invariant (rate 0) with this
  probability; the other columns' rates are divided by ``1 − invariant`` so
  that t stays the expected number of substitutions per site over all sites
  (the +I+Γ convention, e.g. Yang 2006 *Computational Molecular Evolution*
  §4.3). Inserted residues evolve at rate 1.

**Indels.** On a branch of length t starting from a sequence of n residues,
Poisson(``indel_rate``·t·n) events happen, each an insertion or a deletion
with probability ½, of geometric length (mean ``1/INDEL_P`` = 2.5 residues),
at a uniform position, applied one after another. Inserted residues are
drawn from π. Because the substitution chain is stationary under π and
indel positions do not depend on residues, substituting the branch's
starting sites and then applying its indels has the same law as
interleaving them (a residue inserted mid-branch is still π-distributed at
the branch's end). Every residue keeps the root column it
descends from (``root_col``); insertions carry −1 and deletions remove
columns, so ``root_col`` is strictly increasing along every domain.

**The family** (stream "family"). A root domain of ``length`` residues from π,
then

* ``kind: star`` — K = ``subfamilies`` ancestors, each the root evolved for
  ``subfamily_divergence``, and ``members`` leaves per ancestor, each its
  ancestor evolved for ``leaf_divergence``: two members of different
  subfamilies are 2·(subfamily_divergence + leaf_divergence) apart;
* ``kind: coalescent`` — a Kingman coalescent (Kingman 1982, Stoch. Proc.
  Appl. 13:235) on ``subfamilies``·``members`` leaves (while k lineages remain
  the next merger comes after Exp(k(k−1)/2) and joins a uniform pair), its
  node heights scaled so that root-to-leaf is exactly ``tree_height``. The
  subfamilies are the clades below the cut at ``clade_depth``·``tree_height``
  below the root: their number is the number of lineages crossing the cut,
  random (``subfamilies`` only sets the number of leaves); the sequence on
  each crossing branch at the cut is that subfamily's ancestor. Subfamilies
  are numbered so that subfamily 0 holds leaf 0 (the query), the others by
  their first leaf.

Every member is its evolved domain between random flanks (uniform 0 ..
``flank`` residues on each side, composition π); the query is
member 0 of subfamily 0 (sequence 0 of the database) with flanks of exactly
``query_flank`` residues on each side, room for over-extension.

**Decoys**, each class from its own stream so that adding one class leaves
the others (and the family) unchanged for a seed:

* ``background`` (stream "background") — random sequences of composition
  π, lengths uniform in [``background_length``/2,
  3·``background_length``/2];
* ``sister`` (stream "sister") — a sister family whose root is the family
  root evolved for ``sister_distance`` (same site rates: the columns are
  homologous), each member that root evolved for ``leaf_divergence``, with
  flanks; their domain and ``root_col`` are labelled (homologous to the
  family, but not members);
* ``foreign`` (stream "foreign") — an unrelated family: a random root of
  ``foreign_length`` residues (stream "foreign_root", with its own site
  rates), each member the root evolved for ``foreign_divergence``, with
  flanks; labelled by ``foreign`` coordinates and ``foreign_col``;
* ``chimeras`` (stream "chimeras") — a fresh family leaf (a uniformly chosen
  subfamily ancestor evolved for ``leaf_divergence``; in a coalescent the
  ancestor at the cut evolved for the rest of the height) of which only the
  C-terminal ``chimera_overlap`` fraction of residues is kept, immediately
  followed by a fresh foreign leaf (the foreign root evolved for
  ``foreign_divergence``), flanks outside. A query-anchored alignment that
  runs on through a chimera's true part puts foreign residues into the
  query's C-terminal flank columns — the over-extension bridge (Gonzalez &
  Pearson 2010, NAR 38:e184);
* ``biased`` (stream "biased") — composition-biased sequences: each draws its
  own composition c ~ Dirichlet(20·``biased_strength``·π) (mean π;
  smaller strength, compositions concentrated on fewer
  residues) and its residues i.i.d. from c, lengths as the background's.

**Ground truth.** ``family_profile[j]`` is the residue frequency, among the
true members (the query's domain included, flanks excluded), of the
residues descending from root column j; ``foreign_profile`` likewise over
every foreign-domain copy (foreign members and chimeras' foreign parts, the
same evolutionary distance from the foreign root); without foreign members
and chimeras there is no foreign family and it has 0 rows. A column no residue
descends from (every copy deleted) gets π, the frequency it would have
with no information.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import special, stats

from ...engine import streams
from .fasta import write_fasta
from .matrices import rate_matrix, transition

CLASSES = ("member", "background", "sister", "foreign", "chimera", "biased")
GAMMA_CATEGORIES = 4
INDEL_P = 0.4  # geometric indel lengths: P(length = k) = (1 − p)^(k−1) p, mean 1/p
FASTA_WIDTH = 60
LABEL_COLUMNS = ("name", "class", "subfamily", "domain_start", "domain_end",
                 "foreign_start", "foreign_end", "length")
_STREAMS = ("family", "background", "sister", "foreign_root", "foreign", "chimeras", "biased")


@dataclass
class Database:
    """A labelled database: sequence i is ``residues[offsets[i]:offsets[i+1]]``
    (codes into :data:`.matrices.ALPHABET`); the labels are per sequence
    (``names``, ``klass``, ``subfamily``, ``domain``, ``foreign``) or per
    residue (``root_col``, ``foreign_col``). See the module docstring."""

    residues: np.ndarray          # uint8[total]
    offsets: np.ndarray           # int64[n + 1]
    names: list[str]              # unique FASTA ids
    klass: np.ndarray             # int8[n], index into CLASSES
    subfamily: np.ndarray         # int16[n]: a member's subfamily, −1 otherwise
    domain: np.ndarray            # int32[n, 2]: family-homologous region [start, end), (−1, −1) if none
    foreign: np.ndarray           # int32[n, 2]: foreign-domain region [start, end), (−1, −1) if none
    root_col: np.ndarray          # int32[total]: family root column of each residue, −1 if none
    foreign_col: np.ndarray       # int32[total]: foreign root column of each residue, −1 if none
    query: int                    # index of the query
    subfamily_sizes: np.ndarray   # int64[K]: members per subfamily (the query in subfamily 0)
    family_profile: np.ndarray    # float64[L, 20]
    foreign_profile: np.ndarray   # float64[Lf, 20] (Lf = 0 without a foreign family)
    root: np.ndarray              # uint8[L]: the family's root domain
    rates: np.ndarray             # float64[L]: the root columns' substitution rates (0: invariant)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def sequence(self, i: int) -> np.ndarray:
        """Residue codes of sequence ``i`` (a view)."""
        return self.residues[self.offsets[i]:self.offsets[i + 1]]

    def write_fasta(self, path) -> Path:
        """FASTA of every sequence (ids = ``names``, 60 residues a line;
        :func:`.fasta.write_fasta`)."""
        return write_fasta(path, self.names, self.residues, offsets=self.offsets, width=FASTA_WIDTH)

    def write_labels(self, path) -> Path:
        """Tab-separated labels, one row per sequence (:data:`LABEL_COLUMNS`,
        coordinates 0-based half-open, −1 where none)."""
        path = Path(path)
        lengths = np.diff(self.offsets)
        with open(path, "w") as f:
            f.write("\t".join(LABEL_COLUMNS) + "\n")
            for i, name in enumerate(self.names):
                row = (name, CLASSES[self.klass[i]], self.subfamily[i], *self.domain[i],
                       *self.foreign[i], lengths[i])
                f.write("\t".join(str(v) for v in row) + "\n")
        return path

    def write(self, folder) -> tuple[Path, Path]:
        """``sequences.fasta`` and ``labels.tsv`` in ``folder`` (created)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        return self.write_fasta(folder / "sequences.fasta"), self.write_labels(folder / "labels.tsv")


# -- the substitution and indel process ------------------------------------------------------

def site_rates(rng: np.random.Generator, n: int, gamma_shape: float | None,
               invariant: float) -> np.ndarray:
    """Rates of ``n`` root columns: discrete gamma (Yang 1994, four categories
    at their mean rates) or 1, a fraction ``invariant`` set to 0 and the
    others divided by ``1 − invariant`` (mean rate 1 over all columns)."""
    if gamma_shape is None:
        rates = np.ones(n)
    else:
        rates = gamma_categories(gamma_shape)[rng.integers(0, GAMMA_CATEGORIES, n)]
    inv = rng.random(n) < invariant
    return np.where(inv, 0.0, rates / (1.0 - invariant))


def gamma_categories(shape: float, k: int = GAMMA_CATEGORIES) -> np.ndarray:
    """Yang's (1994) discrete gamma: the mean rate of each of ``k``
    equiprobable categories of Gamma(shape, rate=shape), eq. 10:
    r_i = k·[I(b_i·α, α+1) − I(b_{i−1}·α, α+1)], b_i the i/k quantiles."""
    b = stats.gamma.ppf(np.arange(k + 1) / k, shape, scale=1.0 / shape)
    cdf = special.gammainc(shape + 1.0, b * shape)
    cdf[-1] = 1.0
    return k * np.diff(cdf)


def substitute(rng: np.random.Generator, seqs: np.ndarray, rates: np.ndarray,
               t: float) -> np.ndarray:
    """Evolve the rows of ``seqs`` (uint8[n, s], one site per column) for a
    branch of length ``t``: site j's next residue is drawn from
    ``P(rates[j]·t)[a]``, a its current residue."""
    u = rng.random(seqs.shape)
    out = seqs.copy()
    for r in np.unique(rates):
        if r * t <= 0:
            continue
        cols = np.flatnonzero(rates == r)
        cum = np.cumsum(transition(float(r * t)), axis=1)
        cum[:, -1] = 1.0
        out[:, cols] = (cum[seqs[:, cols]] <= u[:, cols, None]).sum(axis=-1)
    return out


def indels(rng: np.random.Generator, seq: np.ndarray, col: np.ndarray, t: float,
           rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Poisson(rate·t·len) insertions and deletions (½ each, geometric
    lengths of mean 1/INDEL_P, uniform positions) applied to ``seq``; ``col``
    (the root column of each residue) follows: −1 for inserted residues."""
    events = rng.poisson(rate * t * len(seq)) if rate > 0 and t > 0 else 0
    for _ in range(events):
        size = int(rng.geometric(INDEL_P))
        if rng.random() < 0.5:
            pos = int(rng.integers(0, len(seq) + 1))
            new = _background(rng, size)
            seq = np.concatenate([seq[:pos], new, seq[pos:]])
            col = np.concatenate([col[:pos], np.full(size, -1, col.dtype), col[pos:]])
        elif len(seq):
            pos = int(rng.integers(0, len(seq)))
            seq = np.concatenate([seq[:pos], seq[pos + size:]])
            col = np.concatenate([col[:pos], col[pos + size:]])
    return seq, col


def stationary() -> np.ndarray:
    """π, the substitution process's stationary distribution."""
    return rate_matrix().stationary


def _background(rng: np.random.Generator, n: int, composition=None) -> np.ndarray:
    """``n`` i.i.d. residues of ``composition`` (default π)."""
    composition = stationary() if composition is None else composition
    cum = np.cumsum(composition)
    cum[-1] = 1.0
    return np.searchsorted(cum, rng.random(n), side="right").astype(np.uint8)


class _Lineage:
    """A domain sequence with the root column of every residue."""

    __slots__ = ("col", "seq")

    def __init__(self, seq: np.ndarray, col: np.ndarray):
        self.seq, self.col = seq, col


def _evolve(rng: np.random.Generator, parent: _Lineage, n: int, t: float, rates: np.ndarray,
            indel_rate: float) -> list[_Lineage]:
    """``n`` independent descendants of ``parent`` after a branch of length
    ``t`` (substitutions for all of them in one draw, then each one's indels)."""
    site = np.where(parent.col >= 0, rates[np.maximum(parent.col, 0)], 1.0)
    seqs = substitute(rng, np.broadcast_to(parent.seq, (n, len(parent.seq))), site, t)
    return [_Lineage(*indels(rng, seqs[i], parent.col, t, indel_rate)) for i in range(n)]


# -- trees -------------------------------------------------------------------------------------

def _star(rng, root: _Lineage, rates, *, subfamilies, members, subfamily_divergence,
          leaf_divergence, indel_rate) -> tuple[list[_Lineage], list[list[_Lineage]], float]:
    """Subfamily ancestors, their leaves, and the ancestors' distance to their leaves."""
    ancestors = _evolve(rng, root, subfamilies, subfamily_divergence, rates, indel_rate)
    leaves = [_evolve(rng, a, members, leaf_divergence, rates, indel_rate) for a in ancestors]
    return ancestors, leaves, leaf_divergence


def coalescent(rng: np.random.Generator, n: int, height: float) -> tuple[np.ndarray, np.ndarray]:
    """A Kingman coalescent on ``n`` leaves (nodes 0..n−1), internal nodes
    n..2n−2 in merger order (the root last): ``parent[i]`` (−1 for the root)
    and ``heights[i]``, scaled so the root is at ``height``."""
    parent = np.full(2 * n - 1, -1, np.int64)
    heights = np.zeros(2 * n - 1)
    lineages = list(range(n))
    t = 0.0
    for node in range(n, 2 * n - 1):
        k = len(lineages)
        t += rng.exponential(2.0 / (k * (k - 1)))
        i, j = sorted(rng.choice(k, 2, replace=False), reverse=True)
        parent[lineages.pop(i)] = node
        parent[lineages.pop(j)] = node
        lineages.append(node)
        heights[node] = t
    if n > 1:
        heights *= height / t
    return parent, heights


def _coalescent(rng, root: _Lineage, rates, *, subfamilies, members, tree_height, clade_depth,
                indel_rate) -> tuple[list[_Lineage], list[list[_Lineage]], float]:
    """The clades' ancestors (sequences at the cut), their leaves in leaf
    order, and the cut's height (every ancestor's distance to its leaves)."""
    n = subfamilies * members
    parent, heights = coalescent(rng, n, tree_height)
    cut = (1.0 - clade_depth) * tree_height
    seqs: dict[int, _Lineage] = {}
    ancestor_of: dict[int, int] = {}       # node -> the node whose branch crosses the cut above it
    ancestors: dict[int, _Lineage] = {}
    for node in range(2 * n - 2, -1, -1):  # parents before children; the root hangs from
        p = parent[node]                   # the original root sequence at tree_height
        above, h = (root, tree_height) if p < 0 else (seqs[p], heights[p])
        if h > cut >= heights[node]:
            ancestors[node] = _evolve(rng, above, 1, h - cut, rates, indel_rate)[0]
            seqs[node] = _evolve(rng, ancestors[node], 1, cut - heights[node], rates, indel_rate)[0]
            ancestor_of[node] = node
        else:
            seqs[node] = _evolve(rng, above, 1, h - heights[node], rates, indel_rate)[0]
            if p in ancestor_of:
                ancestor_of[node] = ancestor_of[p]
    clades: dict[int, list[int]] = {}
    for leaf in range(n):
        clades.setdefault(ancestor_of[leaf], []).append(leaf)
    order = sorted(clades, key=lambda c: clades[c][0])   # subfamily 0 holds leaf 0
    return ([ancestors[c] for c in order], [[seqs[x] for x in clades[c]] for c in order],
            cut)


# -- assembling the database -------------------------------------------------------------------

class _Builder:
    """Sequences and their labels, appended one at a time or as a block of
    unlabelled random sequences; chunks are concatenated at the end."""

    def __init__(self):
        self.seqs, self.root_col, self.foreign_col, self.lengths = [], [], [], []
        self.names, self.klass, self.subfamily, self.domain, self.foreign = [], [], [], [], []

    def add(self, name: str, klass: str, parts: list[tuple[np.ndarray, np.ndarray | None, str]],
            subfamily: int = -1) -> None:
        """One sequence made of ``parts``: (residues, root columns or None,
        "flank" | "domain" | "foreign"); the domain and foreign parts'
        coordinates become its labels."""
        spans = {"domain": (-1, -1), "foreign": (-1, -1)}
        root_col, foreign_col = [], []
        pos = 0
        for seq, col, kind in parts:
            none = np.full(len(seq), -1, np.int32)
            root_col.append(col if kind == "domain" else none)
            foreign_col.append(col if kind == "foreign" else none)
            if kind != "flank":
                spans[kind] = (pos, pos + len(seq))
            pos += len(seq)
        self._chunk([name], klass, np.concatenate([p[0] for p in parts]),
                    np.concatenate(root_col), np.concatenate(foreign_col), np.array([pos]),
                    [subfamily], [spans["domain"]], [spans["foreign"]])

    def add_random(self, names: list[str], klass: str, residues: np.ndarray,
                   lengths: np.ndarray) -> None:
        """A block of unlabelled sequences (``residues`` concatenated)."""
        n, none = len(names), np.full(len(residues), -1, np.int32)
        self._chunk(names, klass, residues, none, none, lengths, [-1] * n, [(-1, -1)] * n,
                    [(-1, -1)] * n)

    def _chunk(self, names, klass, seq, root_col, foreign_col, lengths, subfamily, domain, foreign):
        self.seqs.append(seq.astype(np.uint8))
        self.root_col.append(root_col.astype(np.int32))
        self.foreign_col.append(foreign_col.astype(np.int32))
        self.lengths.append(np.asarray(lengths, np.int64))
        self.names += names
        self.klass += [CLASSES.index(klass)] * len(names)
        self.subfamily += subfamily
        self.domain += domain
        self.foreign += foreign


def _random_block(rng, n: int, mean_length: int, compositions: np.ndarray | None = None):
    """``n`` random sequences, lengths uniform in [mean/2, 3·mean/2], residues
    i.i.d. from π or, per sequence, from its row of ``compositions``: all
    residues in one draw (each sequence's cumulative composition shifted by
    its index, so one ``searchsorted`` serves every sequence)."""
    lengths = rng.integers(mean_length // 2, 3 * mean_length // 2 + 1, n)
    if compositions is None:
        return _background(rng, int(lengths.sum())), lengths
    cum = np.cumsum(compositions, axis=1)
    cum[:, -1] = 1.0
    owner = np.repeat(np.arange(n), lengths)
    flat = (cum + np.arange(n)[:, None]).ravel()
    codes = np.searchsorted(flat, rng.random(len(owner)) + owner, side="right") - 20 * owner
    return np.minimum(codes, 19).astype(np.uint8), lengths


def _flanked(rng, lineage: _Lineage, flank: int, kind: str = "domain", exact: bool = False):
    """``lineage`` between random flanks (uniform 0..flank, or exactly ``flank``)."""
    left, right = (flank, flank) if exact else rng.integers(0, flank + 1, 2)
    return [(_background(rng, left), None, "flank"), (lineage.seq, lineage.col, kind),
            (_background(rng, right), None, "flank")]


def _profile(residues: np.ndarray, cols: np.ndarray, length: int) -> np.ndarray:
    """Per column 0..length−1, the frequencies of the residues labelled with
    it; π where none is."""
    keep = cols >= 0
    counts = np.bincount(cols[keep].astype(np.int64) * 20 + residues[keep],
                         minlength=length * 20).reshape(length, 20).astype(float)
    total = counts.sum(axis=1, keepdims=True)
    return np.where(total > 0, counts / np.maximum(total, 1), stationary()[None, :])


def build(seed: np.random.SeedSequence, *, kind: str = "star", subfamilies: int = 5,
          members: int = 20, length: int = 120, subfamily_divergence: float = 1.0,
          leaf_divergence: float = 0.3, tree_height: float = 2.0, clade_depth: float = 0.5,
          gamma_shape: float | None = None, invariant: float = 0.0, indel_rate: float = 0.0,
          flank: int = 30, query_flank: int = 60, background: int = 1000,
          background_length: int = 200, sister: int = 0, sister_distance: float = 1.5,
          foreign: int = 0, foreign_length: int = 100, foreign_divergence: float = 0.5,
          chimeras: int = 0, chimera_overlap: float = 0.5, biased: int = 0,
          biased_strength: float = 0.1) -> Database:
    """A labelled synthetic database (see the module docstring); the same
    ``seed`` gives the same database."""
    if kind not in ("star", "coalescent"):
        raise ValueError(f"database kind must be 'star' or 'coalescent', got {kind!r}")
    rngs = {k: np.random.default_rng(s) for k, s in streams(seed, *_STREAMS).items()}
    g = rngs["family"]
    root = _Lineage(_background(g, length), np.arange(length, dtype=np.int32))
    rates = site_rates(g, length, gamma_shape, invariant)
    tree = {"subfamilies": subfamilies, "members": members, "indel_rate": indel_rate}
    if kind == "star":
        ancestors, leaves, below = _star(g, root, rates, subfamily_divergence=subfamily_divergence,
                                         leaf_divergence=leaf_divergence, **tree)
    else:
        ancestors, leaves, below = _coalescent(g, root, rates, tree_height=tree_height,
                                               clade_depth=clade_depth, **tree)
    out = _Builder()
    for k, clade in enumerate(leaves):
        for j, leaf in enumerate(clade):
            query = k == 0 and j == 0
            out.add(f"m{k}_{j}", "member",
                    _flanked(g, leaf, query_flank if query else flank, exact=query), subfamily=k)

    def width(n):
        return max(4, len(str(max(n - 1, 0))))

    w = width(background)
    out.add_random([f"bg_{i:0{w}d}" for i in range(background)], "background",
                   *_random_block(rngs["background"], background, background_length))

    if sister:
        g = rngs["sister"]
        sister_root = _evolve(g, root, 1, sister_distance, rates, indel_rate)[0]
        for i, leaf in enumerate(_evolve(g, sister_root, sister, leaf_divergence, rates, indel_rate)):
            out.add(f"sis_{i:0{width(sister)}d}", "sister", _flanked(g, leaf, flank))

    if foreign or chimeras:
        g = rngs["foreign_root"]
        f_root = _Lineage(_background(g, foreign_length), np.arange(foreign_length, dtype=np.int32))
        f_rates = site_rates(g, foreign_length, gamma_shape, invariant)
        g = rngs["foreign"]
        for i, leaf in enumerate(_evolve(g, f_root, foreign, foreign_divergence, f_rates,
                                         indel_rate)):
            out.add(f"for_{i:0{width(foreign)}d}", "foreign", _flanked(g, leaf, flank, "foreign"))
        g = rngs["chimeras"]
        for i in range(chimeras):
            a = ancestors[int(g.integers(0, len(ancestors)))]
            true = _evolve(g, a, 1, below, rates, indel_rate)[0]
            keep = int(np.ceil(chimera_overlap * len(true.seq)))
            part = _Lineage(true.seq[len(true.seq) - keep:], true.col[len(true.col) - keep:])
            fpart = _evolve(g, f_root, 1, foreign_divergence, f_rates, indel_rate)[0]
            left, right = g.integers(0, flank + 1, 2)
            out.add(f"chi_{i:0{width(chimeras)}d}", "chimera",
                    [(_background(g, left), None, "flank"), (part.seq, part.col, "domain"),
                     (fpart.seq, fpart.col, "foreign"), (_background(g, right), None, "flank")])

    g = rngs["biased"]
    compositions = g.dirichlet(20.0 * biased_strength * stationary(), biased)
    w = width(biased)
    out.add_random([f"bias_{i:0{w}d}" for i in range(biased)], "biased",
                   *_random_block(g, biased, background_length, compositions))

    return _assemble(out, len(leaves), length, foreign_length if (foreign or chimeras) else 0,
                     root.seq, rates)


def _assemble(b: _Builder, K: int, length: int, foreign_length: int, root: np.ndarray,
              rates: np.ndarray) -> Database:
    """Concatenate the builder's sequences; the profiles and subfamily sizes."""
    offsets = np.zeros(len(b.names) + 1, np.int64)
    offsets[1:] = np.cumsum(np.concatenate(b.lengths))
    residues, root_col, foreign_col = (np.concatenate(x) for x in (b.seqs, b.root_col, b.foreign_col))
    klass = np.array(b.klass, np.int8)
    subfamily = np.array(b.subfamily, np.int16)
    # the classes were added in CLASSES' order: each class's residues are one slice
    first = offsets[np.searchsorted(klass, np.arange(len(CLASSES) + 1))]
    member = slice(first[0], first[1])
    foreign_copy = slice(first[CLASSES.index("foreign")], first[CLASSES.index("chimera") + 1])
    return Database(
        residues=residues, offsets=offsets, names=b.names, klass=klass, subfamily=subfamily,
        domain=np.array(b.domain, np.int32).reshape(-1, 2),
        foreign=np.array(b.foreign, np.int32).reshape(-1, 2),
        root_col=root_col, foreign_col=foreign_col, query=0,
        subfamily_sizes=np.bincount(subfamily[klass == 0], minlength=K).astype(np.int64),
        family_profile=_profile(residues[member], root_col[member], length),
        foreign_profile=_profile(residues[foreign_copy], foreign_col[foreign_copy], foreign_length),
        root=root.astype(np.uint8), rates=rates)
