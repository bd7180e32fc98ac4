"""Adam (Kingma & Ba 2015) and RMSProp (Tieleman & Hinton 2012) on stacked parameters.

Element-wise, so R stacked networks are optimised exactly as R separate ones.
:meth:`Optimizer.update` is the pure, differentiable form of one step: the
unrolled GAN (Metz et al. 2017) applies it k times to the discriminator and
backpropagates through the unrolled steps; :meth:`Optimizer.step` applies it
in place (the same operations in the same order, without a fresh tensor per
operation).
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
        self._scratch: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}  # step's buffers

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
        """One step in place on ``params`` and the optimiser's state: the same
        element-wise operations as :meth:`update`, in the same order (so the same
        numbers, bit for bit), into the state's own tensors and two scratch
        tensors per parameter kept between steps, instead of a fresh tensor per
        operation. At R = 100 of PacGAN's networks those temporaries are 64 MB
        each, past glibc's largest mmap threshold (32 MB): each would be a fresh
        mapping whose pages are faulted in and returned every step."""
        c = self.cfg
        self.t += 1
        adam = c.name == "adam"
        v_scale = 1.0 - c.beta2**self.t if adam else 1.0
        for k, p in params.items():
            g, v = grads[k], self.v[k]
            if k not in self._scratch or self._scratch[k][0].shape != g.shape:
                self._scratch[k] = (torch.empty_like(g), torch.empty_like(g))
            scratch, denom = self._scratch[k]
            torch.mul(g, 1.0 - c.beta2, out=scratch)
            v.mul_(c.beta2).add_(scratch.mul_(g))
            torch.clamp_min(v, 1e-30, out=denom).div_(v_scale).sqrt_().add_(c.eps)
            if adam:
                m = self.m[k]
                m.mul_(c.beta1).add_(torch.mul(g, 1.0 - c.beta1, out=scratch))
                torch.div(m, 1.0 - c.beta1**self.t, out=scratch).mul_(self.lr)
            else:
                torch.mul(g, self.lr, out=scratch)
            p.sub_(scratch.div_(denom))

    def state_dict(self) -> dict:
        """Copies of the state (:meth:`step` changes its tensors in place)."""
        return {"t": self.t, "m": {k: v.clone() for k, v in self.m.items()},
                "v": {k: v.clone() for k, v in self.v.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.t = int(state["t"])
        self.m = {k: v.clone() for k, v in state["m"].items()}
        self.v = {k: v.clone() for k, v in state["v"].items()}
