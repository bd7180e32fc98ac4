"""The beam domain on CUDA (skipped without a GPU; untested where this was
written): a bundled scenario runs on the device, and beam search — a
deterministic decoder — keeps the same hypotheses as numpy on the random tree
(the LM is a host computation; the candidates' arithmetic runs on the device)."""

import numpy as np
import pytest
import torch

import collapsesim as cs
from collapsesim.domains.beam import BeamParams, BeamSimulation
from collapsesim.engine import get_backend

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(),
                                                    reason="no CUDA GPU")]


def test_bundled_scenario_runs_on_cuda():
    res = cs.run("beam_stochastic_mixture", steps=20, replicates=2, backend="torch",
                 device="cuda")
    assert res.summary["status"] == "completed"


def test_beam_search_on_cuda_equals_numpy():
    p = BeamParams(lm={"kind": "tree", "V": 4}, decoder="beam", width=32)
    a = BeamSimulation(p, get_backend("numpy"), np.random.SeedSequence(5))
    b = BeamSimulation(p, get_backend("torch", "cuda"), np.random.SeedSequence(5))
    for _ in range(30):
        a.step()
        b.step()
    np.testing.assert_array_equal(a.tokens, b.tokens)
    np.testing.assert_allclose(a.backend.to_numpy(a.lp), b.backend.to_numpy(b.lp), atol=1e-9)
