"""Batched neural networks shared by domains: R generators and R
discriminators as one program (the ``gan`` domain; ``model_collapse`` will
reuse them).

Every parameter is a tensor with a leading replicate dimension R (stacked
weights), and every layer is a batched operation over it: ``torch.baddbmm``
for linear layers, a hand-written batched BatchNorm (``torch.func.vmap``
cannot update running statistics), maxout by a reshape and a max. The
networks are plain functions of a parameter dictionary, so the unrolled GAN
can evaluate the discriminator at unrolled parameters.

Batch invariance on CPU (one torch thread): replicate r's outputs are
bitwise the same whether it runs alone (R = 1) or inside a stack. Two things
break it and are avoided here (tested in ``tests/domains/test_gan_nets.py``):

* ``torch.bmm`` is invariant per slice except for an output width of 1, where
  R = 1 dispatches to a matrix–vector kernel that rounds differently; that
  layer is a broadcast multiply and a sum over the input features instead;
* element-wise kernels of transcendental functions (softplus, exp) run a
  vectorised body and a scalar tail that round differently, and which elements
  fall in the tail depends on the total size, hence on R; :func:`elementwise`
  pads each replicate's elements to a multiple of 64 so none does.

Architectures (Lin et al. 2018, after Srivastava et al. 2017): G is an MLP
z → [linear → BatchNorm → ReLU] × layers → linear → 2; D is a stack of maxout
layers (Goodfellow et al. 2013) → linear → 1 logit, on packs of m samples
concatenated (2m inputs), optionally with minibatch discrimination (Salimans
et al. 2016) before its output layer.
"""

from __future__ import annotations

from typing import Protocol, Sequence

import torch

Params = dict[str, torch.Tensor]


class GeneratorParams(Protocol):
    """A generator's shape: z (``z_dim``) → ``layers`` × [linear(``hidden``) →
    BatchNorm if ``batchnorm`` → ReLU] → linear → 2 (e.g. the ``gan`` domain's
    ``generator`` parameters)."""

    z_dim: int
    hidden: int
    layers: int
    batchnorm: bool


class DiscriminatorParams(Protocol):
    """A discriminator's shape: ``layers`` maxout layers of ``hidden`` units of
    ``pieces`` pieces → linear → 1 logit."""

    hidden: int
    layers: int
    pieces: int


class MinibatchDiscrimination(Protocol):
    """Salimans et al. (2016) §3.2: ``kernels`` similarity features of ``dims`` dimensions."""

    kernels: int
    dims: int

BN_EPS = 1e-4  # BatchNorm's epsilon in Blocks, the library of PacGAN's code


def _stack_normal(shape: tuple[int, ...], std: float, gens: Sequence[torch.Generator]) -> torch.Tensor:
    """One N(0, std²) draw of ``shape`` per replicate, each from its own generator, stacked."""
    return torch.stack([torch.randn(shape, generator=g, device=g.device) * std for g in gens])


def init_linear(prefix: str, n_in: int, n_out: int, std: float,
                gens: Sequence[torch.Generator]) -> Params:
    """Stacked ``prefix.w`` (R, n_in, n_out) ~ N(0, std²) and ``prefix.b`` = 0 (R, n_out)."""
    device = gens[0].device
    return {f"{prefix}.w": _stack_normal((n_in, n_out), std, gens),
            f"{prefix}.b": torch.zeros(len(gens), n_out, device=device)}


def elementwise(fn, x: torch.Tensor) -> torch.Tensor:
    """``fn(x)`` for an element-wise ``fn``, computed with each replicate's
    elements (x: (R, ...)) padded to a multiple of 64, so that every element
    takes the vectorised path whatever R is (module docstring)."""
    flat = x.reshape(x.shape[0], -1)
    n = flat.shape[1]
    return fn(torch.nn.functional.pad(flat, (0, -n % 64)))[:, :n].reshape(x.shape)


def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``x @ w + b`` per replicate: x (R, B, in), w (R, in, out), b (R, out)."""
    if w.shape[-1] == 1:  # batch-invariant form of a matrix-vector product (module docstring)
        return (x * w.transpose(1, 2)).sum(-1, keepdim=True) + b[:, None, :]
    return torch.baddbmm(b[:, None, :], x, w)


def batch_norm_train(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor,
                     mean: torch.Tensor, std: torch.Tensor, momentum: float, groups: int = 1,
                     eps: float = BN_EPS) -> torch.Tensor:
    """BatchNorm of x (R, n, C) by batch statistics, computed separately in each
    of ``groups`` contiguous groups of n/groups samples (PacGAN applies G once per
    packed sample, each application with its own statistics). The population
    statistics ``mean``, ``std`` (R, C) are updated in place as PacGAN's code
    does: ``new = (1 − momentum)·old + momentum·batch``, the batch values
    averaged over groups, ``std`` being √(biased variance + eps)."""
    R, n, C = x.shape
    xg = x.view(R, groups, n // groups, C)
    batch_mean = xg.mean(dim=2, keepdim=True)
    centred = xg - batch_mean
    batch_std = torch.sqrt((centred * centred).mean(dim=2, keepdim=True) + eps)
    with torch.no_grad():
        mean.mul_(1.0 - momentum).add_(batch_mean.mean(dim=1)[:, 0], alpha=momentum)
        std.mul_(1.0 - momentum).add_(batch_std.mean(dim=1)[:, 0], alpha=momentum)
    return (centred / batch_std).view(R, n, C) * gamma[:, None, :] + beta[:, None, :]


def batch_norm_eval(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor,
                    mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """BatchNorm of x (R, n, C) by the population statistics (evaluation mode)."""
    return (x - mean[:, None, :]) / std[:, None, :] * gamma[:, None, :] + beta[:, None, :]


# -- generator ---------------------------------------------------------------------------


def init_generator(cfg: GeneratorParams, std: float, gens: Sequence[torch.Generator]
                   ) -> tuple[Params, Params]:
    """Stacked generator parameters and BatchNorm population statistics (mean 0,
    std 1). Hidden linear layers followed by BatchNorm have no bias (its shift
    replaces it), as in PacGAN's code."""
    params: Params = {}
    stats: Params = {}
    R, device = len(gens), gens[0].device
    width = cfg.z_dim
    for i in range(cfg.layers):
        params[f"g{i}.w"] = _stack_normal((width, cfg.hidden), std, gens)
        if cfg.batchnorm:
            params[f"g{i}.gamma"] = torch.ones(R, cfg.hidden, device=device)
            params[f"g{i}.beta"] = torch.zeros(R, cfg.hidden, device=device)
            stats[f"g{i}.mean"] = torch.zeros(R, cfg.hidden, device=device)
            stats[f"g{i}.std"] = torch.ones(R, cfg.hidden, device=device)
        else:
            params[f"g{i}.b"] = torch.zeros(R, cfg.hidden, device=device)
        width = cfg.hidden
    params.update(init_linear("gout", width, 2, std, gens))
    return params, stats


def generator(params: Params, stats: Params, z: torch.Tensor, cfg: GeneratorParams, *,
              training: bool, momentum: float, groups: int = 1) -> torch.Tensor:
    """G(z) for z (R, n, z_dim) → (R, n, 2). Training mode normalises by the
    statistics of each of ``groups`` contiguous groups of samples and updates
    ``stats``; evaluation mode uses ``stats``."""
    h = z
    for i in range(cfg.layers):
        if cfg.batchnorm:
            h = torch.bmm(h, params[f"g{i}.w"])
            norm = (params[f"g{i}.gamma"], params[f"g{i}.beta"], stats[f"g{i}.mean"],
                    stats[f"g{i}.std"])
            h = (batch_norm_train(h, *norm, momentum, groups) if training
                 else batch_norm_eval(h, *norm))
        else:
            h = linear(h, params[f"g{i}.w"], params[f"g{i}.b"])
        h = torch.relu(h)
    return linear(h, params["gout.w"], params["gout.b"])


def init_mlp(prefix: str, n_in: int, hidden: int, layers: int, n_out: int, std: float,
             gens: Sequence[torch.Generator]) -> Params:
    """Stacked parameters of :func:`mlp`: ``layers`` hidden layers of ``hidden`` units."""
    params: Params = {}
    width = n_in
    for i in range(layers):
        params.update(init_linear(f"{prefix}{i}", width, hidden, std, gens))
        width = hidden
    params.update(init_linear(f"{prefix}out", width, n_out, std, gens))
    return params


def mlp(params: Params, prefix: str, x: torch.Tensor, layers: int) -> torch.Tensor:
    """x (R, n, in) → ``layers`` × [linear → ReLU] → linear (R, n, out), e.g. VEEGAN's
    reconstructor x → z."""
    h = x
    for i in range(layers):
        h = torch.relu(linear(h, params[f"{prefix}{i}.w"], params[f"{prefix}{i}.b"]))
    return linear(h, params[f"{prefix}out.w"], params[f"{prefix}out.b"])


# -- discriminator -----------------------------------------------------------------------


def init_discriminator(cfg: DiscriminatorParams, n_in: int, mbd: MinibatchDiscrimination | None,
                       std: float, gens: Sequence[torch.Generator]) -> Params:
    """Stacked discriminator parameters for inputs of width ``n_in`` (2 × pack)."""
    params: Params = {}
    width = n_in
    for i in range(cfg.layers):
        params.update(init_linear(f"d{i}", width, cfg.hidden * cfg.pieces, std, gens))
        width = cfg.hidden
    if mbd is not None:
        params["mbd.T"] = _stack_normal((width, mbd.kernels * mbd.dims), std, gens)
        width += mbd.kernels
    params.update(init_linear("dout", width, 1, std, gens))
    return params


def minibatch_features(f: torch.Tensor, T: torch.Tensor, kernels: int) -> torch.Tensor:
    """Salimans et al. (2016): M_i = f_i T (kernels × dims); o(x_i)_b =
    Σ_{j≠i} exp(−‖M_i,b − M_j,b‖₁); returns [f, o] (R, B, A + kernels)."""
    R, B, _ = f.shape
    M = torch.bmm(f, T).view(R, B, kernels, -1)
    l1 = (M[:, :, None] - M[:, None, :]).abs().sum(-1)  # (R, B, B, kernels)
    o = elementwise(torch.exp, -l1).sum(dim=2) - 1.0  # drop the sample's self-similarity
    return torch.cat([f, o], dim=-1)


def discriminator(params: Params, x: torch.Tensor, cfg: DiscriminatorParams,
                  mbd: MinibatchDiscrimination | None) -> tuple[torch.Tensor, torch.Tensor]:
    """D(x) for packs x (R, B, 2m): the logits (R, B, 1) and the last hidden
    features (R, B, hidden), which feature matching compares."""
    h = x
    for i in range(cfg.layers):
        h = linear(h, params[f"d{i}.w"], params[f"d{i}.b"])
        h = h.view(*h.shape[:-1], cfg.hidden, cfg.pieces).max(dim=-1).values
    features = h
    if mbd is not None:
        h = minibatch_features(h, params["mbd.T"], mbd.kernels)
    return linear(h, params["dout.w"], params["dout.b"]), features
