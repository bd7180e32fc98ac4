"""Shared fixtures: a tiny toy domain for testing the runner, config and CLI
without depending on any real domain's science."""

import numpy as np
import pytest
import torch
from pydantic import Field

from collapsesim import registry
from collapsesim.domains.base import DivergenceError, Domain, DomainParams, Observation, Series


class ToyParams(DomainParams):
    N: int = Field(50, gt=0)
    K: int = Field(5, ge=1)
    diverge_at: int = Field(-1, description="raise a divergence at this step (-1: never)")


class _ToySim:
    def __init__(self, p: ToyParams, backend, seed):
        self.p, self.t = p, 0
        self.backend = backend
        self.rng = backend.rng(seed)
        self.counts = np.full(p.K, p.N // p.K)

    def step(self):
        self.t += 1
        if self.t == self.p.diverge_at:
            raise DivergenceError("toy state became NaN")
        freq = self.counts / self.counts.sum()
        drawn = self.backend.multinomial_counts(int(self.counts.sum()), self.backend.asarray(freq),
                                                self.rng)
        self.counts = np.asarray(self.backend.to_numpy(drawn))

    @property
    def finished(self):
        return np.count_nonzero(self.counts) == 1

    def observe(self):
        ref = np.full(self.p.K, self.p.N // self.p.K)
        return Observation(series={"types": Series(self.counts, ref),
                                   "scalar": Series(self.counts, float(self.p.K))},
                           metrics={"max_freq": self.counts.max() / self.counts.sum()})


class Toy(Domain):
    Params = ToyParams
    headline = "types"
    description = "test-only neutral drift of counts"
    check_scenario = {"steps": 15, "record_every": 3, "params": {"N": 40, "K": 4}}

    def build(self, params, *, backend, seeds, steps):
        (seed,) = seeds
        return _ToySim(params, backend, seed)


@pytest.fixture
def toy_domain():
    """Register the toy domain as ``toy`` for one test."""
    registry._load()
    registry.register("toy")(Toy)
    yield Toy
    registry._DOMAINS.pop("toy", None)


@pytest.fixture(autouse=True)
def _torch_threads():
    torch.set_num_threads(1)


@pytest.fixture
def drift_ctrl_c(monkeypatch):
    """``interrupt(n)``: the drift batch's ``step`` raises KeyboardInterrupt (as
    Ctrl-C does) at its n-th call, once; returns the generations it was called
    at, so that a test sees where a resume continues."""
    from collapsesim.domains.drift.model import DriftBatch

    step = DriftBatch.step

    def interrupt(n: int) -> list:
        calls: list = []
        sent: list = []

        def step_with_ctrl_c(self):
            calls.append(self.generation)
            if len(calls) == n and not sent:
                sent.append(True)
                raise KeyboardInterrupt
            step(self)

        monkeypatch.setattr(DriftBatch, "step", step_with_ctrl_c)
        return calls

    return interrupt
