"""A small neural generator: an autoregressive mixture-density network, R replicates
batched, trained by maximum likelihood.

The model (Bishop 1994's mixture-density network, made a generator by the
autoregressive factorisation p(x) = Π_j p(x_j | x_<j), as in MADE/NADE):
each replicate standardises its training data per coordinate
(z = (x − m)/s, m and s the weighted mean and standard deviation), and for
coordinate j a tanh MLP of ``layers`` hidden layers of ``hidden`` units maps
z_<j (the other inputs masked to 0) to a K-component (``components``) 1-D
Gaussian mixture: logits → π_jk = softmax, means μ_jk, log standard deviations
log σ_jk. Then

    log p(x) = Σ_j [ log Σ_k π_jk N(z_j; μ_jk, σ_jk²) − log s_j ].

The likelihood is exact, so training is maximum likelihood: ``epochs``
full-batch Adam steps (Kingma & Ba 2015, torch's, learning rate ``lr``
cosine-annealed to 0) on
the weighted mean negative log-likelihood Σ_i w_i (−log p(x_i)) / Σ_i w_i.
For d = 1 the network sees no input and its output is a function of its
biases: a K-component mixture reparametrised by a network and fitted by
gradient descent rather than EM — the neural counterpart of ``gmm`` on the
same data (Shumailov et al. 2024, *Nature* 631:755, retrain generative
networks on their own samples; this is the smallest such network with an exact
likelihood). Each generation trains a fresh network (new initial weights from
the model's generator), as every other model kind is refitted from scratch.

Batching: replicate r and coordinate j own one network; their weights are
stacked along a leading axis of size R·d, every layer is one ``torch.baddbmm``
(:func:`collapsesim.nets.linear`) and every transcendental function goes
through :func:`collapsesim.nets.elementwise`, so on CPU a replicate's training
is bitwise the same whether it runs alone or among others given the same
initial weights (tested). Arithmetic is float64; with one torch thread on CPU
the fit is deterministic from the seed. The run's backend provides the
randomness (initial-weight seeds, sampling draws) and receives the samples;
the network itself is torch on the backend's device (CPU for numpy/numba).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ...nets import elementwise, linear
from .cells import generators

Params = dict[str, torch.Tensor]
LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
STD_FLOOR = 1e-6   # smallest standardising scale s_j (a constant training set)


def _stack_normal(shape: tuple[int, ...], gens: Sequence[torch.Generator]) -> torch.Tensor:
    """N(0, 1/shape[-2]) weights of ``shape`` (d, fan-in, fan-out) per replicate, each
    from its own generator, stacked to (R·d, fan-in, fan-out)."""
    w = torch.stack([torch.randn(shape, generator=g, device=g.device, dtype=torch.float64)
                     for g in gens])
    return w.reshape(-1, *shape[1:]) / math.sqrt(shape[1])


def init_params(d: int, K: int, hidden: int, layers: int, gens: Sequence[torch.Generator]
                ) -> Params:
    """Initial weights of R·d networks (R = len(gens); d inputs, ``layers`` × ``hidden``
    tanh units, 3K outputs), replicate r's drawn from ``gens[r]``: weights
    N(0, 1/fan-in), hidden biases 0, output biases 0 except the component means,
    spread at the standard normal's (k + ½)/K quantiles."""
    params: Params = {}
    R, width, dev = len(gens), d, gens[0].device
    for i in range(layers):
        params[f"h{i}.w"] = _stack_normal((d, width, hidden), gens)
        params[f"h{i}.b"] = torch.zeros((R * d, hidden), device=dev, dtype=torch.float64)
        width = hidden
    params["out.w"] = _stack_normal((d, width, 3 * K), gens)
    q = torch.distributions.Normal(0.0, 1.0).icdf((torch.arange(K, dtype=torch.float64) + 0.5) / K)
    b = torch.zeros((R * d, 3 * K), device=dev, dtype=torch.float64)
    b[:, K:2 * K] = q.to(dev)
    params["out.b"] = b
    return params


def _mixture(params: Params, z: torch.Tensor, j: int | None = None):
    """log π, μ, log σ (each (R·d, n, K), or (R, n, K) for one coordinate ``j``)
    of the networks on the masked inputs of z (R, n, d)."""
    R, n, d = z.shape
    mask = torch.tril(torch.ones(d, d, dtype=z.dtype, device=z.device), -1)   # mask[j, i] = i < j
    if j is None:
        h = (z[:, None] * mask[None, :, None, :]).reshape(R * d, n, d)
        p = params
    else:
        h = z * mask[j]
        p = {k: v.view(R, d, *v.shape[1:])[:, j] for k, v in params.items()}
    layers = (len(p) - 2) // 2
    for i in range(layers):
        h = elementwise(torch.tanh, linear(h, p[f"h{i}.w"], p[f"h{i}.b"]))
    out = linear(h, p["out.w"], p["out.b"])
    K = out.shape[-1] // 3
    logits, mu, logsd = out[..., :K], out[..., K:2 * K], out[..., 2 * K:]
    return logits - _logsumexp(logits), mu, logsd


def _logsumexp(a: torch.Tensor) -> torch.Tensor:
    top = a.detach().amax(-1, keepdim=True)
    return top + elementwise(torch.log, elementwise(torch.exp, a - top).sum(-1, keepdim=True))


def log_density(params: Params, z: torch.Tensor) -> torch.Tensor:
    """log p(z) (R, n) of standardised data z (R, n, d): Σ_j log Σ_k π N(z_j; μ, σ²)."""
    R, n, d = z.shape
    logpi, mu, logsd = _mixture(params, z)
    target = z.permute(0, 2, 1).reshape(R * d, n, 1)
    u = (target - mu) * elementwise(torch.exp, -logsd)
    comp = logpi - logsd - 0.5 * u * u - LOG_SQRT_2PI
    return _logsumexp(comp)[..., 0].view(R, d, n).sum(1)


def train(params: Params, z: torch.Tensor, w: torch.Tensor, epochs: int, lr: float) -> Params:
    """``epochs`` full-batch Adam steps on Σ_r Σ_i w_ri (−log p(z_ri)) / Σ_i w_ri
    (replicates are separate terms, so each network sees only its own loss), the
    learning rate annealed from ``lr`` to 0 on a half cosine (Loshchilov & Hutter
    2017) so that Adam's steps, of size ~lr whatever the gradient, settle at the
    optimum instead of oscillating around it."""
    params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    opt = torch.optim.Adam(list(params.values()), lr=lr)
    wn = w / w.sum(-1, keepdim=True)
    with torch.enable_grad():
        for t in range(epochs):
            opt.param_groups[0]["lr"] = 0.5 * lr * (1.0 + math.cos(math.pi * t / epochs))
            opt.zero_grad(set_to_none=True)
            loss = -(wn * log_density(params, z)).sum()
            loss.backward()
            opt.step()
    return {k: v.detach() for k, v in params.items()}


class NeuralModel:
    """R autoregressive mixture-density networks (module docstring). ``params`` carries
    ``components``, ``hidden``, ``layers``, ``epochs`` and ``lr``; ``rng`` (what the
    backend's ``uniform`` accepts: its generator, or the domain's per-replicate
    draws) seeds each fit's initial weights, one uniform per replicate."""

    kind = "neural"

    def __init__(self, params, backend, real=None, rng=None):
        self.params, self.backend, self.real, self.rng = params, backend, real, rng
        self.device = torch.device(backend.device)
        self.weights: Params | None = None
        self.loc = self.scale = None
        self._vector = True

    def _tensor(self, data) -> torch.Tensor:
        x = torch.as_tensor(data, dtype=torch.float64, device=self.device)
        return x[..., None] if x.ndim == 2 else x

    def _generators(self, R: int) -> list[torch.Generator]:
        """One torch generator per replicate, seeded by ⌊u·2⁵³⌋ for uniforms u (R,)
        drawn from ``rng`` (so a replicate's initial weights are its own)."""
        u = self.backend.to_numpy(self.backend.uniform((R,), self.rng))
        return [torch.Generator(device=self.device).manual_seed(int(x * 2.0**53)) for x in u]

    def fit(self, data, weights=None) -> None:
        """Standardise, initialise fresh networks (one seed drawn from ``rng``) and
        train them on each replicate's data (R, n) or (R, n, d) with weights (R, n)."""
        if self.rng is None:
            raise ValueError("NeuralModel.fit needs rng (the initial weights are random)")
        p = self.params
        self._vector = len(getattr(data, "shape", ())) == 3
        x = self._tensor(data)
        R, n, d = x.shape
        w = (torch.ones((R, n), dtype=torch.float64, device=self.device) if weights is None
             else torch.as_tensor(weights, dtype=torch.float64, device=self.device))
        wn = (w / w.sum(-1, keepdim=True))[..., None]
        self.loc = (wn * x).sum(1, keepdim=True)
        self.scale = torch.sqrt((wn * (x - self.loc) ** 2).sum(1, keepdim=True)).clamp_min(STD_FLOOR)
        init = init_params(d, int(p.components), int(p.hidden), int(p.layers), self._generators(R))
        self.weights = train(init, (x - self.loc) / self.scale, w, int(p.epochs), float(p.lr))

    def sample(self, n: int, rng):
        """n samples per replicate, coordinate after coordinate: component from uniforms
        (R, n) by the inverse CDF of π, then μ + σ·normal (R, n), both drawn on the
        backend from ``rng`` (a generator, the replicates' generators, or a
        :class:`.cells.Draws` stream of them), in that order per coordinate."""
        rng = generators(rng)
        be = self.backend
        R, _, d = self.loc.shape
        z = torch.zeros((R, n, d), dtype=torch.float64, device=self.device)
        with torch.no_grad():
            for j in range(d):
                logpi, mu, logsd = _mixture(self.weights, z, j)
                u = torch.as_tensor(be.uniform((R, n), rng), device=self.device)
                cdf = torch.cumsum(torch.exp(logpi), -1)
                comp = (cdf < (u * cdf[..., -1])[..., None]).sum(-1, keepdim=True)
                comp = comp.clamp_max(logpi.shape[-1] - 1)
                eps = torch.as_tensor(be.normal((R, n), rng), device=self.device)
                z[..., j] = (mu.gather(-1, comp) + torch.exp(logsd.gather(-1, comp)) * eps[..., None]
                             )[..., 0]
        x = z * self.scale + self.loc
        return be.asarray(x if self._vector else x[..., 0])

    def loglik(self, data):
        """(R,) mean log-density of ``data`` in its own units."""
        x = self._tensor(data)
        with torch.no_grad():
            ll = log_density(self.weights, (x - self.loc) / self.scale)
        ll = ll - torch.log(self.scale).sum(-1)
        return self.backend.asarray(ll.mean(-1))

    def moments(self):
        """Mean and variance (R,) of the first coordinate's marginal, in closed form (its
        network sees no input: a fixed K-component mixture): Σπμ and Σπ(σ² + μ²) − mean²,
        mapped back through the standardisation."""
        R, _, d = self.loc.shape
        with torch.no_grad():
            logpi, mu, logsd = _mixture(self.weights, torch.zeros((R, 1, d), dtype=torch.float64,
                                                                  device=self.device), 0)
        pi = torch.exp(logpi[:, 0])
        mu, sd2 = mu[:, 0], torch.exp(2.0 * logsd[:, 0])
        mean = (pi * mu).sum(-1)
        var = (pi * (sd2 + mu * mu)).sum(-1) - mean * mean
        s, m = self.scale[:, 0, 0], self.loc[:, 0, 0]
        return self.backend.asarray(m + s * mean), self.backend.asarray(s * s * var)
