"""The GAN domain on CUDA (skipped without a GPU): the conformance suite, a bundled
scenario from the CLI path, and agreement with CPU to float tolerance after a few
steps (batched CUDA replicates are statistically, not bitwise, equal to CPU ones)."""

import numpy as np
import pytest
import torch

import collapsesim as cs
from collapsesim.domains.gan import GANParams, GANSimulation
from collapsesim.engine.backends import get_backend

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")]



def test_bundled_scenario_runs_on_cuda():
    res = cs.run("gan_ring_pac2", steps=20, replicates=3, device="cuda")
    assert res.summary["status"] == "completed"
    assert np.isfinite(res.metrics.loc[res.metrics["metric"] == "D1", "value"]).all()


def test_cuda_matches_cpu_after_a_few_steps():
    p = GANParams.model_validate({"generator": {"hidden": 64, "layers": 2}, "pack": 2,
                                  "data": {"n_train": 1000}, "eval": {"samples": 500, "pr_samples": 200}})
    seeds = [np.random.SeedSequence(3, spawn_key=(j,)) for j in range(4)]
    cpu = GANSimulation(p, get_backend("torch", "cpu"), seeds, 5)
    gpu = GANSimulation(p, get_backend("torch", "cuda"), seeds, 5)
    for k in cpu.g_params:  # CPU and CUDA generators differ: start both from CPU's draw
        with torch.no_grad():
            gpu.g_params[k].copy_(cpu.g_params[k])
    for k in cpu.d_params:
        with torch.no_grad():
            gpu.d_params[k].copy_(cpu.d_params[k])
    gpu.data.copy_(cpu.data)
    gpu.eval_z.copy_(cpu.eval_z)
    real, z = cpu._minibatch()
    fake_cpu = cpu._generate(z)
    fake_gpu = gpu._generate(z.cuda())
    torch.testing.assert_close(fake_gpu.cpu(), fake_cpu, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(gpu.samples().cpu(), cpu.samples(), rtol=1e-4, atol=1e-5)
