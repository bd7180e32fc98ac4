"""The ``hikers`` domain: parallel hill-climbers that periodically copy the
winners — go-with-the-winners (Aldous & Vazirani 1994) and the exploit step of
population-based training (Jaderberg et al. 2017) — and the collapse that
copying causes: every round the worst quantile q is overwritten by copies of the
best, so one hiker's descendants take over the whole team in ≈ log₂(q·n) +
(1 − 2q)/q + 2 rounds (the slope in ln n is 1/ln 2), whatever peaks the others
had found. Remedies: copying only within a radius, repulsion between hikers,
random restarts.

Same problems (:mod:`collapsesim.problems`) and the same series and metrics as
the ``ga`` domain (:mod:`collapsesim.problems.observe`), plus
``solved_fraction`` (hikers at the optimum value). :mod:`.theory` holds the
takeover heuristic and reference means; the takeover simulation and the page
are :mod:`collapsesim.reproductions.hikers` (``collapsesim reproduce hikers``).

Replicates are batched (``batched = True``, every variant: no stacked lone
runs): ``build`` gets all R seeds and returns one simulation whose population
holds R teams along a leading axis, ``(R, N)`` on numpy, numba and torch
(:mod:`.model`). Replicate j still draws from ``SeedSequence(seed,
spawn_key=(j,))``: each row has its own backend generator
(``backend.row_rngs``) and draws, in order, exactly the numbers of a lone run
of replicate j, so a replicate alone equals its row in a batch, bitwise on CPU
(the metrics of every bundled scenario are those of the code before batching).
A replicate ends at its own step — budget spent, or with ``stop_at_optimum``
every hiker at f_opt — and is recorded as a lone run would be; checkpoints
hold every row and its generator.
"""

from __future__ import annotations

from ...registry import register
from ..base import Domain
from .model import HikersSimulation
from .params import HikersParams


@register("hikers")
class Hikers(Domain):
    """Parallel hill-climbers with go-with-the-winners / PBT exploitation."""

    Params = HikersParams
    headline = "optima"
    backends = ("numpy", "numba", "torch")
    batched = True
    clock = "steps"
    description = "parallel hill-climbers that copy the winners (go-with-the-winners, PBT exploit)"
    agreement = {"numba": "exact"}  # numba shares numpy's generator and draw order
    check_scenario = {"steps": 12, "record_every": 4, "replicates": 2,
                      "params": {"problem": "F6", "N": 40, "interval": 3, "radius": 2.0,
                                 "repulsion": {"strength": 1.0, "width": 0.3},
                                 "restart_patience": 4}}

    @classmethod
    def memory_estimate(cls, params: HikersParams, replicates: int) -> list[tuple[str, float]]:
        """Upper bound: ~1 KiB per hiker, and an N x N float64 distance matrix
        (exploit rounds and repulsion compare every pair)."""
        return [("params.N", 1024.0 * params.N + 8.0 * params.N ** 2)]

    def build(self, params: HikersParams, *, backend, seeds, steps: int):
        """All replicates at once: R teams as one population (:class:`HikersSimulation`)."""
        return HikersSimulation(params, backend, seeds)


__all__ = ["Hikers", "HikersParams", "HikersSimulation"]
