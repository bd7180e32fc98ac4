"""Adam (Kingma & Ba 2015) and RMSProp (Tieleman & Hinton 2012) on stacked parameters.

Element-wise, so R stacked networks are optimised exactly as R separate ones.
:meth:`Optimizer.update` is the pure, differentiable form of one step: the
unrolled GAN (Metz et al. 2017) applies it k times to the discriminator and
backpropagates through the unrolled steps; :meth:`Optimizer.step` applies it
in place.
"""

from __future__ import annotations

import torch

from .params import OptimizerParams

Params = dict[str, torch.Tensor]


class Optimizer:
    """One optimiser over a parameter dictionary (``name`` adam or rmsprop)."""

    def __init__(self, params: Params, cfg: OptimizerParams, lr: float):
        self.cfg, self.lr = cfg, lr
        self.t = 0
        self.m = {k: torch.zeros_like(v) for k, v in params.items()} if cfg.name == "adam" else {}
        self.v = {k: torch.zeros_like(v) for k, v in params.items()}

    def update(self, params: Params, grads: Params, state: tuple[int, Params, Params] | None = None
               ) -> tuple[Params, tuple[int, Params, Params]]:
        """Parameters and state (t, m, v) after one step from ``state`` (default:
        the optimiser's own), without modifying either; differentiable in
        ``params`` and ``grads``."""
        t, m, v = state if state is not None else (self.t, self.m, self.v)
        c, t = self.cfg, t + 1
        new_p, new_m, new_v = {}, {}, {}
        for k, p in params.items():
            g = grads[k]
            new_v[k] = c.beta2 * v[k] + (1.0 - c.beta2) * g * g
            # clamp: sqrt has an infinite derivative at 0 (a gradient that is exactly 0)
            denom = torch.sqrt(new_v[k].clamp_min(1e-30)
                               / (1.0 - c.beta2**t if c.name == "adam" else 1.0)) + c.eps
            if c.name == "adam":
                new_m[k] = c.beta1 * m[k] + (1.0 - c.beta1) * g
                new_p[k] = p - self.lr * (new_m[k] / (1.0 - c.beta1**t)) / denom
            else:
                new_p[k] = p - self.lr * g / denom
        return new_p, (t, new_m, new_v)

    @torch.no_grad()
    def step(self, params: Params, grads: Params) -> None:
        """One step in place on ``params`` and the optimiser's state."""
        new_p, (self.t, self.m, self.v) = self.update(params, grads)
        for k, p in params.items():
            p.copy_(new_p[k])

    def state_dict(self) -> dict:
        return {"t": self.t, "m": self.m, "v": self.v}

    def load_state_dict(self, state: dict) -> None:
        self.t = int(state["t"])
        self.m = {k: v.clone() for k, v in state["m"].items()}
        self.v = {k: v.clone() for k, v in state["v"].items()}
