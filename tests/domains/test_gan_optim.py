"""The optimisers' in-place step is the functional update, bit for bit."""

import pytest
import torch

from collapsesim.domains.gan.optim import Optimizer
from collapsesim.domains.gan.params import OptimizerParams


@pytest.mark.parametrize("name", ["adam", "rmsprop"])
def test_in_place_step_is_the_functional_update(name):
    """Five steps of :meth:`Optimizer.step` (in place, scratch tensors) give the
    parameters and state of five chained :meth:`Optimizer.update` calls exactly,
    including gradients that are exactly 0 (the clamp under the square root)."""
    gen = torch.Generator().manual_seed(4)
    params = {"w": torch.randn(3, 40, 50, generator=gen), "b": torch.randn(3, 50, generator=gen)}
    cfg = OptimizerParams(name=name, beta1=0.5)
    stepped = Optimizer({k: v.clone() for k, v in params.items()}, cfg, lr=1e-3)
    pure = Optimizer(params, cfg, lr=1e-3)
    mine, theirs, state = {k: v.clone() for k, v in params.items()}, params, None
    for _ in range(5):
        grads = {k: torch.randn(v.shape, generator=gen) * 10 for k, v in params.items()}
        grads["b"][:, :7] = 0.0
        stepped.step(mine, grads)
        theirs, state = pure.update(theirs, grads, state)
    t, m, v = state
    assert stepped.t == t == 5
    for k in params:
        assert torch.equal(mine[k], theirs[k]) and torch.equal(stepped.v[k], v[k])
        assert name == "rmsprop" or torch.equal(stepped.m[k], m[k])


def test_state_dict_is_a_copy():
    """A state dict kept in memory does not change with later in-place steps."""
    params = {"w": torch.ones(2, 3)}
    opt = Optimizer(params, OptimizerParams(), lr=0.1)
    saved = opt.state_dict()
    opt.step(params, {"w": torch.ones(2, 3)})
    assert saved["t"] == 0 and torch.equal(saved["v"]["w"], torch.zeros(2, 3))
    assert torch.equal(saved["m"]["w"], torch.zeros(2, 3))
