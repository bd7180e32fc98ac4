"""The ``ga`` domain: premature convergence of genetic algorithms, takeover and
hitchhiking, and the niching remedies, scored on the CEC'2013 niching suite.

A population of N real vectors (or packed bit strings) evolves on a test
problem of :mod:`collapsesim.problems` (CEC'2013 F1–F20, Goldberg's M1–M4,
Rastrigin, OneMax, the Royal Road R1) under selection (tournament,
proportional, rank, truncation, (μ, λ), (μ + λ), elitism) and variation
(Gaussian and polynomial mutation, SBX, BLX-α, bit-flip, one-point and uniform
crossover). Selection alone drives the population to one peak — the takeover
time of the best grows like ln N (Goldberg & Deb 1991) — and the types it
collapses over are the basins of the global optima. The remedies are config
switches: fitness sharing (Goldberg & Richardson 1987), clearing (Pétrowski
1996), deterministic crowding (Mahfoud 1995), restricted tournament selection
(Harik 1995), random immigrants (Grefenstette 1992), an island model with ring
migration — and one modern niching method, ``method: nbc-cma``:
nearest-better clustering seeding restarted CMA-ES instances with a taboo
archive (after Preuss 2010, 2012, NEA2; Ahrari, Deb & Preuss 2017, RS-CMSA),
the kind of method the published CEC'2013 tables come from.

Replicates are batched (``batched = True``): ``build`` receives every
replicate's seed and returns one simulation. The GA holds its R replicates as
one population of R·I demes and steps them as one array program; replicate r
draws from its own generator, seeded ``SeedSequence(seed, spawn_key=(r,))``
(``backend.row_rngs``), every random call made per replicate in the lone
run's order — so replicate r in a batch equals replicate r run alone, bitwise
on CPU, and the numbers are those of the earlier one-replicate-per-build
code. Large replicates are batched in blocks that keep every array under
16 MiB (:class:`GABlocks`, :func:`.model.build`). ``stop_at_optimum`` ends each replicate at its own generation (``finished``
per replicate). NBC-CMA (``method: nbc-cma``) is not vectorised: its
replicates are stacked lone runs (:class:`NBCStack`, a
:class:`~collapsesim.domains.base.ReplicateStack`).

Modules: :mod:`.params` (the YAML block), :mod:`.model` (the GA),
:mod:`.selection`, :mod:`.variation`, :mod:`.niching` (restricted tournament
selection; sharing, clearing and crowding are engine operators), :mod:`.cma`
and :mod:`.nbc` (NBC-CMA), :mod:`.theory` (takeover, selection and drift
formulas). The series and metrics are :mod:`collapsesim.problems.observe`
(shared with ``hikers``); the figures, the page and the CEC'2013 suite run are
:mod:`collapsesim.reproductions.ga` (``collapsesim reproduce ga``).

References: Li, Engelbrecht & Epitropakis (2013) CEC'2013 niching benchmark,
RMIT tech. report; Goldberg & Richardson (1987) ICGA 2:41; Goldberg & Deb
(1991) FOGA 1:69; Mitchell, Forrest & Holland (1992) ECAL 1:245; Mahfoud (1995)
PhD thesis, UIUC; Harik (1995) ICGA 6:24; Pétrowski (1996) ICEC:798;
Preuss (2010) PPSN XI:318 and (2012) GECCO companion:1399 (NEA2); Ahrari,
Deb & Preuss (2017) Evol. Comput. 25:439 (RS-CMSA).
"""

from __future__ import annotations

from ...registry import register
from ..base import Domain, ReplicateStack
from .model import GABlocks, GASimulation, build
from .params import GAParams


@register("ga")
class GA(Domain):
    """Genetic algorithms on multimodal test problems: premature convergence and niching."""

    Params = GAParams
    headline = "optima"
    backends = ("numpy", "numba", "torch")
    batched = True
    clock = "generations"
    description = "genetic algorithms on CEC'2013/Goldberg/Royal Road problems: premature convergence and niching"
    agreement = {"numba": "exact"}  # numba shares numpy's generator and draw order
    check_scenario = {"steps": 10, "record_every": 5, "replicates": 2,
                      "params": {"problem": "F4", "N": 40, "crossover": "sbx",
                                 "niching": {"kind": "clearing", "sigma": 0.5},
                                 "islands": {"count": 2, "interval": 3, "migrants": 1},
                                 "elitism": 1, "immigrants": 0.1}}

    @classmethod
    def memory_estimate(cls, params: GAParams, replicates: int) -> list[tuple[str, float]]:
        """Upper bound: ~1 KiB per individual and island (genome, fitness,
        offspring), and an N x N float64 distance matrix when a niching method
        (sharing, clearing) compares every pair; for ``nbc-cma``, the distance
        matrix of its initial sample."""
        n = max(params.N, params.offspring or 0) * params.islands.count
        pairwise = 8.0 * n * n if params.niching.kind != "none" else 0.0
        sample = 8.0 * (params.nbc.sample or 0) ** 2 if params.method == "nbc-cma" else 0.0
        return [("params.N", 1024.0 * n + pairwise), ("params.nbc.sample", sample)]

    def build(self, params: GAParams, *, backend, seeds, steps: int):
        """All replicates at once: the GA as one population of every replicate's
        demes (:class:`GASimulation`, in blocks: :func:`.model.build`); NBC-CMA as stacked lone runs (:class:`NBCStack`)."""
        if params.method == "nbc-cma":
            from .nbc import NBCSimulation

            return NBCStack([NBCSimulation(params, backend, s) for s in seeds])
        return build(params, backend, seeds)


class NBCStack(ReplicateStack):
    """NBC-CMA's replicates as stacked lone runs (:class:`~collapsesim.domains.base.ReplicateStack`):
    its clustering, restarts and CMA-ES instances differ from replicate to
    replicate, so it is not one array program. A lone NBC-CMA run keeps no
    checkpoint, so neither does the stack (resume restarts the group)."""


__all__ = ["GA", "GABlocks", "GAParams", "GASimulation", "NBCStack"]
