"""The torch backend on CUDA (skipped without a GPU): the contracts and statistics
of the CPU tests; exact equality is not expected (CUDA's parallel cumsum rounds
differently)."""

import numpy as np
import pytest
import torch
from scipy import stats

from collapsesim.engine import RESAMPLING_SCHEMES, get_backend, pack_bits, unpack_bits
from collapsesim.engine.backends import numpy_resampling, torch_resampling

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU"),
]
ALPHA = 1e-3


@pytest.fixture
def cuda():
    return get_backend("torch", "cuda")


@pytest.mark.parametrize("scheme", RESAMPLING_SCHEMES)
def test_resampling_contract(cuda, scheme):
    w = torch.rand(4, 1000, device="cuda", dtype=torch.float64) ** 3
    idx = cuda.resample(w, 1500, scheme, cuda.rng(0))
    assert idx.device.type == "cuda" and idx.shape == (4, 1500) and idx.dtype == torch.int64
    assert bool((idx.diff(dim=-1) >= 0).all())
    counts = torch.stack([torch.bincount(r, minlength=1000) for r in idx]).cpu().numpy()
    expected = 1500 * (w / w.sum(-1, keepdim=True)).cpu().numpy()
    if scheme == "systematic":
        assert np.all((counts >= np.floor(expected - 1e-6)) & (counts <= np.ceil(expected + 1e-6)))
    if scheme == "residual":
        assert np.all(counts >= np.floor(expected - 1e-6))


def test_kernels_match_numpy_up_to_rounding(cuda):
    rng = np.random.default_rng(1)
    w, su = rng.random((3, 500)), np.sort(rng.random((3, 700)), -1)
    expected = numpy_resampling.multinomial_from_sorted_uniforms(w, su)
    got = torch_resampling.multinomial_from_sorted_uniforms(torch.as_tensor(w, device="cuda"), su).cpu().numpy()
    assert np.mean(got == expected) > 0.999


def test_multinomial_counts_chi_square(cuda):
    p = torch.tensor([0.4, 0.3, 0.2, 0.1], device="cuda", dtype=torch.float64)
    counts = cuda.multinomial_counts(100_000, p, cuda.rng(2)).cpu().numpy()
    assert counts.sum() == 100_000
    assert stats.chisquare(counts, 100_000 * p.cpu().numpy()).pvalue > ALPHA


def test_selection_and_variation_run(cuda):
    gen = cuda.rng(3)
    f = torch.rand(2, 300, device="cuda")
    assert cuda.tournament(f, 300, 2, gen).shape == (2, 300)
    assert np.array_equal(
        cuda.truncation(f, 10).cpu().numpy(), np.argsort(-f.cpu().numpy(), axis=-1, kind="stable")[:, :10]
    )
    x = torch.zeros(100, 50, device="cuda")
    y = cuda.gaussian_mutation(x, 1.0, gen, 0.5)
    assert 0.4 < float((y != 0).float().mean()) < 0.6
    genomes = cuda.asarray(pack_bits(np.zeros((500, 100), bool)))
    flipped = unpack_bits(cuda.bitflip_mutation(genomes, 100, 0.1, gen).cpu().numpy(), 128)
    assert 0.08 < flipped[:, :100].mean() < 0.12 and not flipped[:, 100:].any()
    c1, c2 = cuda.one_point_crossover(x, x + 1, gen)
    assert torch.equal(c1 + c2, torch.ones_like(x))
