"""The same sweep in other tools, for comparison (test-only dependencies:
fwdpy11 is imported only here, msprime's sweep model only here).

* :func:`msprime_sweep` — msprime's structured coalescent ``SweepGenicSelection``
  (Braverman et al. 1995; as discoal), then Hudson's coalescent, sampled at
  the end of the sweep. msprime's ``s`` is SLiM's (``1 : 1+s/2 : 1+s``). Its
  trajectory starts at ``1/(2N)`` but does not force the lineages carrying the
  beneficial allele to coalesce at its origin, so near the site it leaves more
  diversity than forward simulations (msprime issues #1780, #2242).
* :func:`fwdpy11_sweep` — (optional: :func:`fwdpy11_available`) fwdpy11's forward simulation with tree-sequence
  recording (``conditional_models.selective_sweep``, restarted on loss), from
  the same msprime equilibrium start, fitness ``Multiplicative(1)``:
  ``1 : 1+hs : 1+s`` (SLiM's convention), crossovers Poisson(r L) per gamete.
* :func:`forward_sweep` — ours, to the end of a hard sweep.

Every tool returns a :class:`SweepSample` (tree sequence of the population or
a sample at the end of the sweep, its duration when known) processed by the
same statistics code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import msprime
import numpy as np
import tskit

from ...domains.sweep import SweepParams, SweepSimulation
from ...engine.backends import get_backend


@dataclass
class SweepSample:
    """A tree sequence at the end of a sweep (time 0), the sweep's duration in
    generations (None when the tool does not report it), the selected
    site's position, and the CPU seconds the tool took."""

    ts: tskit.TreeSequence
    duration: float | None
    site: float
    cpu_s: float


def forward_sweep(params: SweepParams, seed: int, backend: str = "numba",
                  replicate: int = 0) -> SweepSample:
    """Our hard sweep (``params.onset`` must be 0), run until it ends."""
    c0 = time.process_time()
    sim = SweepSimulation(params, get_backend(backend),
                          np.random.SeedSequence(seed, spawn_key=(replicate,)))
    while not sim.finished:
        sim.step()
    ts = sim.rec.present().tree_sequence()
    ts = ts.delete_sites(np.arange(ts.num_sites))
    return SweepSample(ts, float(sim.end_generation - params.onset), params.position,
                       time.process_time() - c0)


def msprime_sweep(N: int, s: float, L: int, r: float, site: int, n: int, seed: int,
                  dt: float | None = None) -> SweepSample:
    """msprime's hard sweep (from 1/(2N) to 1 − 1/(2N)) in N diploids, ``n``
    sampled genomes (n/2 individuals) at its end; ``s`` in SLiM's convention."""
    c0 = time.process_time()
    sweep = msprime.SweepGenicSelection(position=site, start_frequency=1.0 / (2 * N),
                                        end_frequency=1.0 - 1.0 / (2 * N), s=s,
                                        dt=dt if dt is not None else 1.0 / (40 * N))
    ts = msprime.sim_ancestry(samples=n // 2, population_size=N, sequence_length=L,
                              recombination_rate=r, model=[sweep, msprime.StandardCoalescent()],
                              random_seed=seed)
    return SweepSample(ts, None, site, time.process_time() - c0)


def fwdpy11_available() -> bool:
    """Whether fwdpy11 (the optional forward reference; the ``test`` extra) is installed."""
    import importlib.util

    return importlib.util.find_spec("fwdpy11") is not None


def fwdpy11_sweep(N: int, s: float, L: int, r: float, site: int, seed: int, h: float = 0.5
                  ) -> SweepSample:
    """fwdpy11's hard sweep in N diploids from an msprime equilibrium, restarted
    on loss, returned at fixation (the whole population)."""
    import fwdpy11
    import fwdpy11.conditional_models as cm

    c0 = time.process_time()
    start = msprime.sim_ancestry(samples=N, population_size=N, sequence_length=L,
                                 recombination_rate=r, random_seed=seed)
    pop = fwdpy11.DiploidPopulation.create_from_tskit(start)
    params = fwdpy11.ModelParams(
        recregions=[fwdpy11.PoissonInterval(0, L, r * L)],
        gvalue=fwdpy11.Multiplicative(1.0), rates=(0, 0, None), prune_selected=False,
        demography=fwdpy11.ForwardDemesGraph.tubes([N], burnin=100 * N, burnin_is_exact=True),
        simlen=100 * N)
    mutation = cm.NewMutationParameters(
        frequency=cm.AlleleCount(1),
        position=cm.PositionRange(left=float(site), right=float(site) + 1.0),
        data=fwdpy11.NewMutationData(effect_size=s, dominance=h))
    out = cm.selective_sweep(fwdpy11.GSLrng(seed), pop, params, mutation, cm.GlobalFixation(),
                             return_when_stopping_condition_met=True)
    origin = out.pop.mutations[out.mutation_index].g
    ts = out.pop.dump_tables_to_tskit()
    ts = ts.delete_sites(np.arange(ts.num_sites))
    return SweepSample(ts, float(out.pop.generation - origin), site, time.process_time() - c0)
