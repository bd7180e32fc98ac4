"""One replicate of the sweep domain: a forward Wright–Fisher population with
one selected site on a recombining chromosome, recorded as a tree sequence.

Each ``step()`` is one generation (:mod:`.generation`): parents by fitness
(genotype fitnesses ``1 : 1+hs : 1+s``), meiosis with Poisson crossovers, the
beneficial allele and its origin inherited through the selected site, births
recorded in the tree sequence (:mod:`.treeseq`). The beneficial allele enters
at generation ``onset`` (:class:`~.params.SweepParams` describes the modes);
when it is lost and the run is conditioned on success, the state saved at its
entry is restored and it enters afresh (``restarts`` counts these), as in
SLiM's recipes. The run is ``finished`` once the sweep ended (fixation or the
partial target) and ``post_sweep`` more generations passed (and, with
``footprint``, the last of its times).

``observe()`` samples ``sample_size`` copies (a stream of its own, so
observing never changes the trajectory), lays neutral mutations on their
genealogy and computes the statistics of :mod:`.stats`.

**The hitchhiking footprint** (``params.footprint``, :class:`.params.Footprint`).
At each of its ``times`` t — generations after the sweep's end, taken during
``step()``, so observation times do not matter — the whole population's tree
sequence gives, per distance bin KK (``bins`` bins over ``distance`` bp on
either side of the site; :func:`.stats.footprint_statistics`):
``footprint_F_t<t>_bin_KK``, the fraction of pairs of copies whose genealogy
coalesces during the sweep (between its onset and its end; at t = 0 this is
F(r), the probability of coalescing during the sweep), and
``footprint_pi_t<t>_bin_KK``, their mean pairwise branch length (the
expected π without mutation noise) over its neutral value 2M of generation 0,
π(r)/π₀. ``footprint_r_bin_KK`` is the recombination fraction between the
site and the bin's centre. Beside them, for a hard sweep to fixation, the
first-order approximation averaged over the bin (:func:`collapsesim.theory.
sweep_footprint_F` with N = M/2 and the per-copy advantage σ = hs, σ = s for
haploids; Barton 1998; Durrett & Schweinsberg 2004), decayed by the
coalescences of the t generations since fixation (a pair reaches the sweep
uncoalesced with ``e^{−t/M}``): ``footprint_F_theory_t<t>_bin_KK`` =
``F(r)·e^{−t/M}`` and ``footprint_pi_theory_t<t>_bin_KK`` = ``1 − F(r)·e^{−t/M}``.
Each is reported from the observation after it was taken on.
"""

from __future__ import annotations

import json
from pathlib import Path

import msprime
import numpy as np
import tskit

from ...engine import streams
from ...engine.rng import numpy_generator
from ...theory import sweep_footprint_F, sweep_footprint_pi
from ..base import Observation, Series
from . import theory
from .generation import assemble, fitness, meiosis, parents
from .params import SweepParams
from .stats import (Layout, footprint_statistics, neutral_window_d1, sample_statistics,
                    with_mutations)
from .treeseq import Recorder, founders, msprime_start, recapitate


STREAMS = ("dynamics", "start", "observe", "export")
"""The replicate's named streams (:func:`collapsesim.engine.streams`, child i of
its seed): the generations, the starting population (msprime), the samples
of ``observe()``, the neutral mutations of the exported tree sequence."""


def int_seed(seed: np.random.SeedSequence) -> int:
    """A seed in [1, 2³¹) for msprime, which takes an integer."""
    return int(seed.generate_state(1, np.uint32)[0] % (2**31 - 1)) + 1


class SweepSimulation:
    """One replicate; see the module docstring."""

    def __init__(self, params: SweepParams, backend, seed: np.random.SeedSequence):
        p = self.params = params
        self.backend = backend
        self._streams = streams(seed, *STREAMS)
        self.rng = backend.rng(self._streams["dynamics"])
        # observations sample on the host, the same on every backend
        self._obs_rng = numpy_generator(self._streams["observe"])
        self._table = np.asarray(p.genotype_fitness())
        self._neutral = np.ones_like(self._table)
        self.layout = Layout(p.L, p.position, p.window, tuple(p.windows), p.bins, p.ehh_region)
        self.restarts = 0
        self.end_generation: int | None = None  # when the sweep reached its target
        self.lost = False
        self.selecting = False
        self._next_origin = 0
        self._origins_reference = self.origins_reference()
        self.footprint: dict[str, float] = {}  # the footprint metrics taken so far
        self._start(int_seed(self._streams["start"]))
        self._onset_state = None
        self._selection_state = None
        if p.onset == 0:
            self._introduce()

    # -- the starting population ------------------------------------------------------------------
    def _start(self, seed: int) -> None:
        p = self.params
        N0, M0 = p.size_at(0), p.copies_at(0)
        self.alleles = np.zeros(M0, dtype=np.int8)
        self.origins = np.full(M0, -1, dtype=np.int64)
        if p.start == "msprime":
            tables = msprime_start(N0, p.ploidy, p.L, p.r, seed)
        else:  # forward burn-in from unrelated founders, then msprime for what did not coalesce
            B = p.burn_in_generations
            self.rec = Recorder(founders(M0, p.L, -B), -B, p.position, p.simplify_every,
                                keep_roots=True)
            for _ in range(B):
                self._generation(M0)
            tables = recapitate(self.rec.present(), N0, p.ploidy, p.r, seed)
        self.rec = Recorder(tables, 0, p.position, p.simplify_every)

    @property
    def generation(self) -> int:
        return self.rec.generation

    @property
    def M(self) -> int:
        return len(self.alleles)

    # -- one generation -------------------------------------------------------------------------
    def _generation(self, M_next: int) -> None:
        p, be = self.params, self.backend
        w = fitness(self.alleles, self._table if self.selecting else self._neutral, p.ploidy)
        slots = parents(be, self.rng, w, M_next, p.ploidy)
        first, counts, positions = meiosis(be, self.rng, M_next, p.r * (p.L - 1), p.L)
        *edges, site_slot = assemble(be, slots, first, counts, positions, self.rec.nodes,
                                     p.position, p.L, self.rec.next_node)
        self.alleles = self.alleles[site_slot]
        self.origins = self.origins[site_slot]
        self.rec.add_generation(tuple(edges), M_next)

    def _mutate(self) -> None:
        """Recurrent beneficial mutation in the new gametes."""
        u = self.backend.to_numpy(self.backend.uniform(self.M, self.rng))
        new = np.flatnonzero((u < self.params.mu_b) & (self.alleles == 0))
        self._mark(new)

    def _mark(self, copies: np.ndarray) -> None:
        """Give ``copies`` the beneficial allele, each a new origin, as mutations."""
        self.alleles[copies] = 1
        self.origins[copies] = self._next_origin + np.arange(len(copies))
        self._next_origin += len(copies)
        for c in copies:
            self.rec.add_mutation(self.rec.nodes[c], self.generation)

    def _introduce(self) -> None:
        """The beneficial allele enters (generation ``onset``)."""
        p = self.params
        if self._onset_state is None:
            self._onset_state = self._save()
        if p.mode == "recurrent":
            self.selecting = True
        elif p.mode == "hard" or p.standing == "drift":
            self._mark(self.backend.to_numpy(self.backend.integers(0, self.M, 1, self.rng)))
            self.selecting = p.mode == "hard"
        else:
            k = max(1, round(self.M * p.x0))
            order = self.backend.to_numpy(self.backend.permutation(self.backend.arange(self.M),
                                                                   self.rng))
            self._mark(np.sort(order[:k]))
            self.selecting = True

    def _select_standing(self) -> None:
        """The drifted neutral allele reached x0: its copies become the origins
        and selection starts; later losses restart from here."""
        carriers = np.flatnonzero(self.alleles == 1)
        self.origins[carriers] = np.arange(len(carriers))
        self._next_origin = len(carriers)
        self.selecting = True
        self._selection_state = self._save()

    def _save(self):
        return (self.rec.snapshot(), self.alleles.copy(), self.origins.copy(), self._next_origin,
                self.selecting)

    def _restore(self, state) -> None:
        snap, alleles, origins, self._next_origin, self.selecting = state
        self.rec.restore(snap)
        self.alleles, self.origins = alleles.copy(), origins.copy()
        self.restarts += 1

    def step(self) -> None:
        """Advance one generation."""
        p = self.params
        self._generation(p.copies_at(self.generation + 1))
        if self.generation == p.onset:
            self._introduce()
        elif self.generation > p.onset and p.mode == "recurrent" and self.end_generation is None:
            self._mutate()
        if self.generation >= p.onset and self.end_generation is None and not self.lost:
            self._check_outcome()
        if (p.footprint is not None and self.end_generation is not None
                and self.generation - self.end_generation in p.footprint.times):
            self._take_footprint()

    def _check_outcome(self) -> None:
        p = self.params
        count = int(self.alleles.sum())
        if not self.selecting:  # standing variation drifting towards x0
            if count == 0:
                self._restore(self._onset_state)
                self._introduce()
            elif count >= p.x0 * self.M:
                self._select_standing()
            return
        if count >= p.target * self.M:
            self.end_generation = self.generation
        elif count == 0 and p.mode != "recurrent":
            if not p.condition:
                self.lost = True
            elif self._selection_state is not None:
                self._restore(self._selection_state)
            else:
                self._restore(self._onset_state)
                self._introduce()

    @property
    def finished(self) -> bool:
        """The sweep ended (or the allele was lost, unconditioned) and
        ``post_sweep`` generations have followed."""
        if self.lost:
            return True
        p = self.params
        after = p.post_sweep if p.footprint is None else max(p.post_sweep, p.footprint.times[-1])
        return self.end_generation is not None and self.generation >= self.end_generation + after

    # -- the hitchhiking footprint ----------------------------------------------------------------
    def footprint_reference(self) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """Per footprint bin: the recombination fraction between the site and
        the bin's centre, and the first-order F(r) and π(r)/π₀ averaged over
        the bin (midpoint rule, 32 points; N = M/2 at the onset, σ the
        per-copy advantage) — None unless the sweep is hard and runs to
        fixation, the case the approximation describes."""
        p, fp = self.params, self.params.footprint
        d = np.linspace(0.0, p.footprint_distance, fp.bins + 1)
        centres = p.r * (d[:-1] + d[1:]) / 2
        if p.mode != "hard" or p.target < 1:
            return centres, None
        u = (np.arange(32) + 0.5) / 32
        x = p.r * (d[:-1, None] + u[None, :] * np.diff(d)[:, None])
        N = p.copies_at(p.onset) / 2
        return centres, (sweep_footprint_F(x, N, p.sigma).mean(axis=1),
                         sweep_footprint_pi(x, N, p.sigma).mean(axis=1))

    def _take_footprint(self) -> None:
        """The footprint ``t`` generations after the sweep's end, from the whole
        population's tree sequence (see the module docstring)."""
        p, fp = self.params, self.params.footprint
        t = self.generation - self.end_generation
        ts = self.rec.present().tree_sequence()
        F, pi = footprint_statistics(ts, p.position, p.footprint_distance, fp.bins,
                                     (t, t + self.end_generation - p.onset),
                                     2.0 * p.copies_at(0))
        centres, reference = self.footprint_reference()
        decay = np.exp(-t / self.M)
        out = self.footprint
        for k in range(fp.bins):
            out[f"footprint_r_bin_{k:02d}"] = float(centres[k])
            out[f"footprint_F_t{t}_bin_{k:02d}"] = float(F[k])
            out[f"footprint_pi_t{t}_bin_{k:02d}"] = float(pi[k])
            if reference is not None:
                F_th, pi_th = reference
                out[f"footprint_F_theory_t{t}_bin_{k:02d}"] = float(F_th[k] * decay)
                out[f"footprint_pi_theory_t{t}_bin_{k:02d}"] = float(1.0 - (1.0 - pi_th[k]) * decay)

    # -- observation ------------------------------------------------------------------------------
    def sample(self) -> tskit.TreeSequence:
        """A random sample of ``sample_size`` copies (all, if null or larger
        than the population) with neutral mutations, the selected site removed."""
        n = self.params.sample_size
        copies = None
        if n is not None and n < self.M:
            copies = np.sort(self._obs_rng.choice(self.M, n, replace=False))
        ts = self.rec.present(copies).tree_sequence()
        return with_mutations(ts, self.params.mu, int(self._obs_rng.integers(1, 2**31)))

    def _origins(self) -> tuple[np.ndarray, dict]:
        counts = np.bincount(self.origins[self.alleles == 1])
        counts = counts[counts > 0]
        c = int(counts.sum())
        pairs = c * (c - 1)
        different = 1.0 - float(np.sum(counts * (counts - 1))) / pairs if pairs else float("nan")
        return counts, {"n_origins": float(len(counts)), "p_different_origins": different}

    def observe(self) -> Observation:
        p = self.params
        ts = self.sample()
        haplotypes, metrics = sample_statistics(ts, self.layout)
        ref = neutral_window_d1(ts.num_samples, p.window, p.size_at(0), p.ploidy, p.r, p.mu)
        series = {f"window_{i}": Series(h, ref) for i, h in enumerate(haplotypes)}
        origin_counts, origin_metrics = self._origins()
        series["origins"] = Series(origin_counts, self._origins_reference)
        metrics.update(origin_metrics)
        metrics.update(self.footprint)
        metrics.update(generation=float(self.generation), N=float(p.size_at(self.generation)),
                       p=float(self.alleles.mean()), restarts=float(self.restarts),
                       pi_site_rel=metrics["pi_site"] / p.theta0() if p.mu else float("nan"))
        if self.end_generation is not None:
            metrics["end_generation"] = float(self.end_generation)
            metrics["sweep_duration"] = float(self.end_generation - p.onset)
        return Observation(series=series, metrics=metrics)

    def origins_reference(self) -> float:
        """Theory's inverse-Simpson number of origins at fixation,
        1/(1 − P(two copies differ)): 1 for a hard sweep, 1 + Θ for recurrent
        mutation (Pennings & Hermisson 2006), the Poisson–Dirichlet value for
        standing variation (λ = M x0 π_b, π_b by the diffusion)."""
        p = self.params
        M = p.copies_at(p.onset)
        if p.mode == "hard":
            return 1.0
        if p.mode == "recurrent":
            return theory.effective_origins(theory.pennings_hermisson(2 * M * p.mu_b))
        pi_b = theory.diffusion_fixation_probability(M, p.s_slim, p.h, p.ploidy)
        lam = max(1, round(M * p.x0)) * pi_b
        return theory.effective_origins(theory.standing_different_origins(lam))

    # -- export ------------------------------------------------------------------------------------
    def tree_sequence(self) -> tskit.TreeSequence:
        """The whole current population as a tree sequence: times in generations
        before now, individuals for the diploids, the selected site (0/1) and
        neutral JC69 mutations at rate ``mu`` on the discrete genome (none on the
        selected base pair), and a provenance row with the parameters and the
        fitness convention."""
        p = self.params
        t = self.rec.present()
        M, k = self.M, p.ploidy
        t.individuals.set_columns(flags=np.zeros(M // k, dtype=np.uint32))
        ind = np.full(t.nodes.num_rows, -1, dtype=np.int32)
        ind[:M] = np.arange(M) // k
        t.nodes.individual = ind
        t.provenances.add_row(json.dumps({
            "software": {"name": "collapsesim", "domain": "sweep"},
            "parameters": p.model_dump(mode="json"),
            "fitness_convention": p.convention_text,
            "s_slim": p.s_slim, "generation": self.generation, "restarts": self.restarts}))
        x = p.position
        cuts = sorted({0, x, x + 1, p.L})
        rates = [0.0 if a == x else p.mu for a in cuts[:-1]]
        ts = t.tree_sequence()
        return msprime.sim_mutations(ts, rate=msprime.RateMap(position=cuts, rate=rates),
                                     keep=True, random_seed=int_seed(self._streams["export"]))

    def export_trees(self, path) -> Path:
        """Write :meth:`tree_sequence` to ``path`` (``.trees``)."""
        path = Path(path)
        self.tree_sequence().dump(path)
        return path

    def export_vcf(self, path) -> Path:
        """Write :meth:`tree_sequence` as VCF to ``path`` (1-based positions:
        base pair x of the tree sequence is VCF POS x + 1)."""
        path = Path(path)
        ts = self.tree_sequence()
        with open(path, "w") as f:
            ts.write_vcf(f, position_transform=lambda x: np.asarray(x, dtype=int) + 1)
        return path

    def export(self, folders: list[Path]) -> list[tuple[Path, Path]]:
        """The runner's artefact hook (``params.export: true``): write
        :meth:`tree_sequence` as ``trees.trees`` and ``genotypes.vcf`` into the
        replicate's folder (one folder: a sweep simulation is one replicate)."""
        if len(folders) != 1:
            raise ValueError(f"sweep simulates one replicate, got {len(folders)} export folders")
        d = Path(folders[0])
        d.mkdir(parents=True, exist_ok=True)
        return [(self.export_trees(d / "trees.trees"), self.export_vcf(d / "genotypes.vcf"))]
