"""The voter model as a collapsesim domain — the worked example of
docs/writing-a-domain.md, installable on its own (``pip install ./examples/plugin``).

N voters hold one of K opinions. At each event a voter chosen uniformly at
random adopts the opinion of a voter chosen uniformly at random (possibly
itself): neutral Moran drift (Clifford & Sudbury 1973; Holley & Liggett 1975
on a complete graph). One step is N events. Opinions are lost one by one until
consensus: diversity collapse with no selection at all.
"""

from __future__ import annotations

from pathlib import Path

from collapsesim import Domain, register

from .model import VoterSimulation
from .params import VoterParams


@register("voter")
class Voter(Domain):
    """Neutral voter model on a complete graph (headline: opinions)."""

    Params = VoterParams
    headline = "opinions"
    backends = ("numpy", "numba", "torch")
    agreement = {"numba": "exact"}  # numba shares numpy's generator
    clock = "sweeps"
    description = "voter model: N voters copy each other's opinions until consensus"
    check_scenario = {"steps": 10, "record_every": 2, "replicates": 2,
                      "params": {"N": 30, "K": 3}}
    default_scenario = str(Path(__file__).with_name("voter.yaml"))

    def build(self, params: VoterParams, *, backend, seeds, steps: int) -> VoterSimulation:
        return VoterSimulation(params, backend, self.single_seed(seeds))  # batched = False
