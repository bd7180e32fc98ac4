"""Tree-sequence recording of the forward simulation (Kelleher, Thornton,
Ashander & Ralph 2018; as SLiM and fwdpy11 do it, Haller et al. 2019).

The forward simulation tracks only the selected site; every gamete becomes a
tskit node and its segments edges to the parental nodes. Births are buffered
in numpy and flushed into a ``tskit.TableCollection`` every few generations,
which is then simplified to the current generation's copies, so memory stays
O(what the current population's ancestry needs). Neutral mutations are laid
on afterwards (``msprime.sim_mutations``), on a sample at each observation
and on the whole population at export.

Times: a node born in forward generation g has tskit time ``−g`` (tskit
allows negative times); generation 0 is the msprime equilibrium population's
time 0. :meth:`Recorder.present` shifts a copy so that the current generation
is at time 0. The selected site is a tskit site at its position (ancestral
state ``0``, derived ``1``); each origin of the beneficial allele is a
mutation on the node it arose in, at that node's time (it arose in the gamete).
"""

from __future__ import annotations

from dataclasses import dataclass

import msprime
import numpy as np
import tskit


def msprime_start(N: int, ploidy: int, L: int, r: float, seed: int) -> tskit.TableCollection:
    """Tables of a neutral equilibrium population of N individuals (Hudson's
    coalescent with recombination, discrete genome; msprime's time scale is
    generations with ``population_size=N``, ploidy as given). Its M = ploidy·N
    sample nodes, ids 0 … M−1, are forward generation 0; individuals dropped."""
    ts = msprime.sim_ancestry(samples=N, ploidy=ploidy, population_size=N, sequence_length=L,
                              recombination_rate=r, random_seed=seed)
    tables = ts.dump_tables()
    tables.individuals.clear()
    tables.nodes.individual = np.full(tables.nodes.num_rows, -1, dtype=np.int32)
    return tables


def founders(M: int, L: int, generation: int) -> tskit.TableCollection:
    """Tables holding M unrelated founder genomes born in ``generation`` (for a
    forward burn-in; :func:`recapitate` completes their ancestry later)."""
    tables = tskit.TableCollection(sequence_length=L)
    tables.time_units = "generations"
    tables.populations.metadata_schema = tskit.MetadataSchema.permissive_json()
    tables.populations.add_row(metadata={"name": "pop_0", "description": ""})
    tables.nodes.set_columns(flags=np.full(M, tskit.NODE_IS_SAMPLE, dtype=np.uint32),
                             time=np.full(M, -float(generation)),
                             population=np.zeros(M, dtype=np.int32))
    return tables


def recapitate(tables: tskit.TableCollection, N: int, ploidy: int, r: float, seed: int
               ) -> tskit.TableCollection:
    """Complete the ancestry of roots left at the start of a forward burn-in with
    msprime's coalescent (N individuals), as ``pyslim.recapitate`` does. The
    tables' current generation must be at time 0 and be the samples."""
    demography = msprime.Demography.isolated_model([N])
    ts = msprime.sim_ancestry(initial_state=tables, demography=demography, ploidy=ploidy,
                              recombination_rate=r, random_seed=seed)
    return ts.dump_tables()


@dataclass
class _Snapshot:
    tables: tskit.TableCollection
    generation: int
    copies: int


class Recorder:
    """Buffers births and flushes them into simplified tskit tables.

    ``nodes[i]`` is the node of the current generation's copy i. After
    :meth:`flush` the tables hold exactly the ancestry of the current copies
    (their nodes are 0 … M−1, the samples); ``keep_roots`` keeps the founders
    of a forward burn-in as the roots of what has not coalesced, for
    :func:`recapitate`.
    """

    def __init__(self, tables: tskit.TableCollection, generation: int, site: int,
                 simplify_every: int, keep_roots: bool = False):
        self.tables = tables
        self.keep_roots = keep_roots
        self.generation = generation
        self.site_position = site
        self.simplify_every = simplify_every
        self.nodes = np.flatnonzero(tables.nodes.flags & tskit.NODE_IS_SAMPLE).astype(np.int64)
        self._reset_buffers()

    def _reset_buffers(self) -> None:
        self._n_nodes = self.tables.nodes.num_rows
        self._births: list[tuple[int, int]] = []  # (count, generation)
        self._edges: list[tuple[np.ndarray, ...]] = []  # one block per generation, oldest first
        self._mutations: list[tuple[int, float]] = []  # (node, time)
        self._since = 0

    # -- recording ------------------------------------------------------------------------------
    @property
    def next_node(self) -> int:
        """Id the next new node will get."""
        return self._n_nodes

    def add_generation(self, edges: tuple[np.ndarray, ...], n: int) -> None:
        """Record the births of ``n`` gametes (nodes ``next_node …``) in the next
        generation, with their ``edges`` (left, right, parent, child), and make
        them the current copies. Flushes every ``simplify_every`` generations."""
        first = self._n_nodes
        self.generation += 1
        self._births.append((n, self.generation))
        self._edges.append(edges)
        self._n_nodes += n
        self.nodes = np.arange(first, first + n, dtype=np.int64)
        self._since += 1
        if self._since >= self.simplify_every:
            self.flush()

    def add_mutation(self, node: int, born: int) -> None:
        """A beneficial mutation on ``node``, born in generation ``born``."""
        self._mutations.append((int(node), -float(born)))

    def flush(self) -> None:
        """Write the buffers into the tables and simplify to the current copies.

        Only the buffered births with descendants in the current generation are
        written (renumbered in order, so every block stays sorted): simplify
        would drop the others, and most births of a Wright–Fisher population
        are such dead ends — writing them would only slow simplify down."""
        if not (self._births or self._mutations):
            return
        t = self.tables
        base = t.nodes.num_rows
        alive, blocks = self._living(base)
        new_id = np.cumsum(alive) - 1 + base

        def renumber(ids) -> np.ndarray:
            ids = np.asarray(ids, dtype=np.int64)
            buffered = ids >= base
            out = ids.copy()
            out[buffered] = new_id[ids[buffered] - base]
            return out

        if self._births:
            counts = np.array([c for c, _ in self._births])
            gens = np.array([g for _, g in self._births], dtype=np.float64)
            times = -np.repeat(gens, counts)[alive]
            t.nodes.append_columns(flags=np.zeros(len(times), dtype=np.uint32), time=times,
                                   population=np.zeros(len(times), dtype=np.int32))
            old = t.edges
            left, right, parent, child = (np.concatenate([b[i] for b in blocks]) for i in range(4))
            t.edges.set_columns(
                left=np.concatenate([left, old.left]).astype(np.float64),
                right=np.concatenate([right, old.right]).astype(np.float64),
                parent=np.concatenate([renumber(parent), old.parent]).astype(np.int32),
                child=np.concatenate([renumber(child), old.child]).astype(np.int32))
        if self._mutations:
            nodes, times = (np.array(x) for x in zip(*self._mutations))
            buffered = nodes >= base
            living = ~buffered
            living[buffered] = alive[nodes[buffered] - base]
            nodes, times = renumber(nodes[living]), times[living]
            if t.sites.num_rows == 0:
                t.sites.add_row(position=self.site_position, ancestral_state="0")
            k = len(nodes)
            t.mutations.append_columns(
                site=np.zeros(k, dtype=np.int32), node=nodes.astype(np.int32), time=times,
                derived_state=np.full(k, ord("1"), dtype=np.int8),
                derived_state_offset=np.arange(k + 1, dtype=np.uint32))
        t.simplify(samples=renumber(self.nodes).astype(np.int32), filter_sites=False,
                   keep_input_roots=self.keep_roots, record_provenance=False)
        self.nodes = np.arange(len(self.nodes), dtype=np.int64)
        self._reset_buffers()

    def _living(self, base: int) -> tuple[np.ndarray, list[tuple[np.ndarray, ...]]]:
        """Which buffered births (ids from ``base``) have descendants in the
        current generation, and the buffered edges into them, newest generation
        first (each block is in tskit's order and its parents are younger than
        any older edge's, so the whole table is sorted)."""
        alive = np.zeros(self._n_nodes - base, dtype=bool)
        current = self.nodes[self.nodes >= base]
        alive[current - base] = True
        blocks = []
        for left, right, parent, child in reversed(self._edges):
            keep = alive[child - base]
            buffered = parent[keep] >= base
            alive[parent[keep][buffered] - base] = True
            blocks.append((left[keep], right[keep], parent[keep], child[keep]))
        return alive, blocks

    # -- restarts -------------------------------------------------------------------------------
    def snapshot(self) -> _Snapshot:
        """The flushed state, to :meth:`restore` when the beneficial allele is lost."""
        self.flush()
        return _Snapshot(self.tables.copy(), self.generation, len(self.nodes))

    def restore(self, snap: _Snapshot) -> None:
        self.tables = snap.tables.copy()
        self.generation = snap.generation
        self.nodes = np.arange(snap.copies, dtype=np.int64)
        self._reset_buffers()

    # -- reading ---------------------------------------------------------------------------------
    def present(self, copies: np.ndarray | None = None) -> tskit.TableCollection:
        """A copy of the flushed tables simplified to ``copies`` (default all),
        times shifted so the current generation is at time 0."""
        self.flush()
        t = self.tables.copy()
        if copies is not None:
            t.simplify(samples=self.nodes[copies].astype(np.int32), filter_sites=False,
                       record_provenance=False)
        t.nodes.time = t.nodes.time + self.generation
        if t.mutations.num_rows:
            t.mutations.time = t.mutations.time + self.generation
        return t
