"""The ``particle_filter`` domain: weight degeneracy and path degeneracy in
sequential Monte Carlo, checked against the Kalman filter and the coalescent.

A particle filter approximates p(x_t | y_{0:t}) of a state-space model by N
weighted particles (Gordon, Salmond & Smith 1993; Chopin & Papaspiliopoulos
2020). It collapses in two ways: its *weights* degenerate (one particle takes
most of the weight: the ESS 1/ΣW² falls), and resampling makes its *paths*
degenerate — going back in time the particles' ancestries coalesce, so after
O(N) steps all of them descend from a single time-0 particle (Jacob, Murray &
Rubenthaler 2015; Koskela, Jenkins, Johansen & Spanò 2020). The headline
series is the second: surviving time-0 founders.

* :mod:`.params` — models, filters, resampling, remedies, smoothers, data;
* :mod:`.models` — linear-Gaussian (1-D, multivariate), stochastic volatility,
  nonstationary growth (bimodal), bearings-only tracking, neutral;
* :mod:`.smc` — the filter (bootstrap, guided, auxiliary; every step or
  adaptive resampling with the engine's four schemes; log-weights);
* :mod:`.remedies` — resample-move, roughening;
* :mod:`.smoothing` — FFBSi (Godsill, Doucet & West 2004), fixed-lag,
  conditional SMC with ancestor sampling (Lindsten, Jordan & Schön 2014);
* :mod:`.kalman` — Kalman filter and RTS smoother (the exact answers);
* :mod:`.grid` — a grid filter (the reference posterior of the modes series);
* :mod:`.theory` — the Wright–Fisher genealogy of neutral resampling;
* :mod:`.kernels` — the operators ``particle_filter.propagate`` and
  ``particle_filter.normalise``: the numpy specification and the numba
  backend's fused kernels;
* :mod:`.simulation` — the replicates for the runner (series and metrics);
* :mod:`.batch` — the bootstrap filter's R replicates as one array program.

Replicates are batched (``batched = True``): ``build`` receives every
replicate's seed and returns one simulation. The bootstrap filter without
remedies holds its R replicates as (R, N, d) particles and (R, N) weights
(:class:`~.batch.BatchSMC`); replicate j draws from its own generator,
``backend.rng(SeedSequence(seed, spawn_key=(j,)))`` (``backend.row_rngs``), in
the lone filter's order, and its smoother from the child stream "smoother"
of that seed, so row j equals a lone run of replicate j bitwise on CPU.
Adaptive resampling decides per row; a row whose weights fail diverges alone;
the data (one data set, from ``data_seed`` or the CSV file) end every row at
once. The guided and auxiliary filters, resample-move and roughening run as
stacked lone replicates (:class:`~collapsesim.domains.base.ReplicateStack`).

``collapsesim reproduce particle_filter`` regenerates
``docs/reproductions/particle_filter.md`` (:mod:`collapsesim.reproductions.particle_filter`).

References: Gordon, Salmond & Smith (1993) IEE Proc. F 140:107; Kitagawa (1996)
JCGS 5:1; Pitt & Shephard (1999) JASA 94:590; Gilks & Berzuini (2001) JRSS B
63:127; Godsill, Doucet & West (2004) JASA 99:156; Douc & Cappé (2005) ISPA;
Lindsten, Jordan & Schön (2014) JMLR 15:2145; Jacob, Murray & Rubenthaler
(2015) Stoch. Proc. Appl. 125:4467; Koskela, Jenkins, Johansen & Spanò (2020)
Ann. Appl. Probab. 30:2503; Chopin & Papaspiliopoulos (2020) *An Introduction
to Sequential Monte Carlo*, Springer.
"""

from __future__ import annotations

from ...registry import register
from ..base import Domain
from .params import ParticleFilterParams
from .simulation import ParticleFilterSimulation, build_simulation


@register("particle_filter")
class ParticleFilter(Domain):
    """A particle filter on a state-space model; one step is one observation
    (time step). See the package docstring and :mod:`.simulation` for the
    series and metrics."""

    Params = ParticleFilterParams
    headline = "ancestors"
    backends = ("numpy", "numba", "torch")
    batched = True
    clock = "time steps"
    description = "particle filters: weight and path degeneracy (Kalman- and coalescent-exact)"
    check_scenario = {"steps": 20, "record_every": 5, "replicates": 2,
                      "params": {"model": {"kind": "growth"}, "N": 64, "resampling": "adaptive",
                                 "smoother": {"kind": "ffbsi", "trajectories": 16}}}

    @classmethod
    def memory_estimate(cls, params: ParticleFilterParams, replicates: int
                        ) -> list[tuple[str, float]]:
        """Upper bound: about 32 length-N float64 arrays (states, weights,
        ancestors, genealogy, smoother work space) per replicate, all replicates
        at once (batched)."""
        return [("params.N", 32 * 8.0 * params.N * replicates)]

    def build(self, params: ParticleFilterParams, *, backend, seeds, steps: int):
        return build_simulation(params, backend, seeds, steps)


__all__ = ["ParticleFilter", "ParticleFilterParams", "ParticleFilterSimulation"]
