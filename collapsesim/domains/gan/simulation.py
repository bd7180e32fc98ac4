"""R independent GANs trained as one batched program.

Each replicate owns four torch generators derived from its SeedSequence
(children 0–3 of its spawn key): ``init`` (network weights), ``data`` (its
fixed training set), ``train`` (the shuffles of the training set, z, instance
noise, gradient-penalty weights) and ``eval`` (the fixed evaluation z and the
true samples of precision/recall). Every random draw is made per replicate from
its own generator and stacked, and every operation is batch-invariant on CPU
(:mod:`collapsesim.nets`), so a replicate run alone gives bitwise the same
numbers as inside a batch; evaluation draws nothing, so when and how often
``observe()`` is called never changes training. On CUDA, batched replicates are
statistically, not bitwise, equivalent to lone runs.

One :meth:`GANSimulation.step` is one generator update:

* ``simultaneous`` (PacGAN's code): one minibatch of real packs and z; both
  gradients are taken at the same point (θ_G, θ_D), then both networks step;
* ``alternating``: ``d_steps`` discriminator updates, each on a fresh
  minibatch and fresh z, then one generator update on a fresh minibatch and
  fresh z against the updated discriminator.

With ``unrolled_steps`` = k (Metz et al. 2017), the generator's loss is taken
against the discriminator after k differentiable optimiser steps from its
current parameters on the same minibatch (the first of which is the actual
discriminator update), and the generator's gradient flows back through them
(per-step gradients by ``torch.func.grad``). As in PacGAN's code (Lin et al. 2018), the
training set is ``n_train`` packs of m independent points, visited in a fresh
random order every epoch (``n_train / batch_size`` steps); the generator is
applied to m batches of ``batch_size`` z, each with its own BatchNorm
statistics, and the i-th sample of every batch forms the i-th generated pack.
Instance noise (Sønderby et al. 2017) adds N(0, σ_t²) to every discriminator
input, real and generated, σ_t falling linearly from ``instance_noise`` to 0.

GMAN (``gman``, Durugkar et al. 2017): the M discriminators are one more batch
axis folded into the replicate axis (slot r·M + i is replicate r's critic i,
all drawn from r's ``init`` stream), so they run through the same batched
functions and one optimiser; each sees the same minibatch (and the same
instance noise and gradient-penalty weights) and is trained on its own loss.
G's loss is the mean or the GMAN-λ softmax-weighted mean of its M losses
(:func:`.losses.combine_critics`); the reported D loss is the critics' mean.

MGAN (``mgan``, Hoang et al. 2018) folds its K generators into the
replicate axis the same way (slot r·K + k, each with its own BatchNorm
statistics); every batch of B is split equally, generator k making samples
k·B/K .. (k+1)·B/K − 1 (and so whole packs). A linear head on D's last hidden
features gives K logits; D's loss adds the head's cross-entropy against the
generated packs' generator indices and G's loss adds ``beta`` × the same
cross-entropy (Hoang et al. 2018, eq. 4–5: min over G and C, max over D, so
both the classifier and the generators minimise it: each generator makes
samples the classifier can tell apart). The evaluation z are assigned to
generator j mod K, so evaluation sees the equal-weight mixture.

VEEGAN (``veegan``, Srivastava et al. 2017, Alg. 1; pack 1): a reconstructor
F: x → z (:func:`collapsesim.nets.mlp`) and a discriminator on joint pairs
(z, x), 2 + z_dim inputs: real pairs (F(x), x) — x with its instance noise —
target 1, generated pairs (z, G(z)) target 0, D's cross-entropy as above. G
and F minimise together −E d(z, G(z)) (the logit, the paper's estimate of the
KL term) + ``weight`` × E‖z − F(G(z))‖², F with its own optimiser at G's
learning rate; F is trained by the reconstruction term (D's real pairs do not
enter G's and F's objective, as in Alg. 1).

``entropy`` adds −λ·Ĥ to G's loss, Ĥ the Kozachenko–Leonenko estimate
(:mod:`.entropy`) on each replicate's m·B generated samples of the step.

:meth:`state_dict` / :meth:`load_state_dict` (and :meth:`save` / :meth:`load`)
checkpoint everything that evolves — weights, BatchNorm population
statistics, optimiser state, the training generators and the epoch's order,
the step, the kept samples — so a long run
resumes to the same numbers as an uninterrupted one (the data and evaluation
sets are re-drawn from their own streams).

``params.export`` lists steps at which every replicate's evaluation samples
(:meth:`GANSimulation.samples`) are kept; the runner's ``export`` hook writes
them per replicate to ``samples.npz`` (``steps`` (S,), ``samples`` (S, N, 2)).
Keeping them draws nothing, so it never changes training.
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from ...engine.rng import child_seed
from ...nets import (
    discriminator,
    elementwise,
    generator,
    init_discriminator,
    init_generator,
    init_linear,
    init_mlp,
    linear,
    mlp,
)
from ..base import Observation, Series, check_finite
from . import losses
from .entropy import kl_entropy
from .evaluation import evaluate
from .mixture import Mixture
from .optim import Optimizer
from .params import GANParams

STREAMS = ("init", "data", "train", "eval")


@contextmanager
def one_thread():
    """Run with one torch CPU thread, restoring the count afterwards. The matrices
    are small, and with several threads torch splits large element-wise kernels at
    size-dependent boundaries, which would break batch invariance."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def observations(x: torch.Tensor, eval_real: torch.Tensor, mixture: Mixture, eval_params,
                 last_losses: torch.Tensor) -> list[Observation]:
    """One observation per replicate of the evaluation samples ``x`` (R, N, 2):
    the mode histogram against the mixture weights, :func:`.evaluation.evaluate`'s
    metrics on them and ``eval_real``, the last step's losses ``last_losses``
    (2, R: D's, G's) and the first ``eval_params.vendi_samples`` samples."""
    check_finite("generator output", x)
    out, n_vendi = [], eval_params.vendi_samples
    for r in range(x.shape[0]):
        counts, metrics = evaluate(x[r], eval_real[r], mixture, eval_params.k)
        metrics["d_loss"] = float(last_losses[0, r])
        metrics["g_loss"] = float(last_losses[1, r])
        out.append(Observation(series={"modes": Series(counts.cpu().numpy(), mixture.weights)},
                               metrics=metrics, samples=x[r, :n_vendi] if n_vendi else None))
    return out


class GANSimulation:
    """``len(seeds)`` GANs on ``params``; see the module docstring."""

    def __init__(self, params: GANParams, backend, seeds: Sequence[np.random.SeedSequence],
                 steps: int):
        self.p = params
        self.R = len(seeds)
        self.device = torch.device(backend.device)
        self.mixture = Mixture.from_params(params.data)
        gens = {s: [backend.rng(child_seed(seed, i)) for seed in seeds]
                for i, s in enumerate(STREAMS)}
        self.train_gens = gens["train"]
        self.noise_steps = params.instance_noise_steps or steps
        self.t = 0

        self.M = params.gman.discriminators if params.gman else 1
        self.K = params.mgan.generators if params.mgan else 1
        # MGAN: replicate r's K generators are slots r·K .. r·K + K − 1, drawn in turn from its stream
        g_gens = [g for g in gens["init"] for _ in range(self.K)]
        g_params, self.g_stats = init_generator(params.generator, params.init_std, g_gens)
        # GMAN: replicate r's M critics are slots r·M .. r·M + M − 1, drawn in turn from its stream
        d_gens = [g for g in gens["init"] for _ in range(self.M)]
        z_dim, veegan = params.generator.z_dim, params.veegan
        d_params = init_discriminator(params.discriminator,
                                      2 * params.pack + (z_dim if veegan else 0),
                                      params.minibatch_discrimination, params.init_std, d_gens)
        if params.mgan:  # the classifier head on D's last hidden features
            d_params.update(init_linear("cls", params.discriminator.hidden, self.K,
                                        params.init_std, gens["init"]))
        self.g_params = {k: v.requires_grad_(True) for k, v in g_params.items()}
        self.d_params = {k: v.requires_grad_(True) for k, v in d_params.items()}
        opt = params.optimizer
        self.opt_g = Optimizer(self.g_params, opt, opt.lr_g)
        self.opt_d = Optimizer(self.d_params, opt, opt.lr_d)
        self.f_params: dict[str, torch.Tensor] = {}
        if veegan:  # the reconstructor x → z, trained with G at G's learning rate
            f_params = init_mlp("f", 2, veegan.hidden, veegan.layers, z_dim, params.init_std,
                                gens["init"])
            self.f_params = {k: v.requires_grad_(True) for k, v in f_params.items()}
            self.opt_f = Optimizer(self.f_params, opt, opt.lr_g)

        n_train, m = params.data.n_train, params.pack
        self.data = torch.stack([self.mixture.sample(n_train * m, g).view(n_train, m, 2)
                                 for g in gens["data"]])
        self.order = torch.empty(self.R, 0, dtype=torch.long, device=self.device)
        self.cursor = 0
        n_eval = params.eval.samples
        self.eval_z = torch.stack([torch.randn(n_eval, params.generator.z_dim, generator=g,
                                               device=self.device) for g in gens["eval"]])
        self.eval_real = torch.stack([self.mixture.sample(params.eval.pr_samples, g)
                                      for g in gens["eval"]])
        self.last_losses = torch.full((2, self.R), math.nan)
        self.kept: dict[int, torch.Tensor] = {}
        with one_thread():
            self._keep()

    # -- random draws, one generator per replicate ------------------------------------------
    def _draw(self, fn: Callable[[torch.Generator], torch.Tensor]) -> torch.Tensor:
        return torch.stack([fn(g) for g in self.train_gens])

    def _minibatch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The next ``batch_size`` real packs (R, B, m, 2) of the epoch's order, and
        z (R, m·B, z_dim) for m generator batches of B."""
        B, dev = self.p.batch_size, self.device
        if self.cursor + B > self.order.shape[1]:  # a new epoch
            n = self.p.data.n_train
            self.order = self._draw(lambda g: torch.randperm(n, generator=g, device=dev))
            self.cursor = 0
        idx = self.order[:, self.cursor:self.cursor + B]
        self.cursor += B
        real = torch.gather(self.data, 1, idx[..., None, None].expand(-1, -1, self.p.pack, 2))
        z = self._draw(lambda g: torch.randn(self.p.pack * B, self.p.generator.z_dim, generator=g,
                                             device=dev))
        return real, z

    def noise_std(self, step: int) -> float:
        """Instance-noise σ at (1-based) ``step``."""
        return self.p.instance_noise * max(0.0, 1.0 - (step - 1) / self.noise_steps)

    def _d_inputs(self, x: torch.Tensor) -> torch.Tensor:
        """Packs of points (R, B, m, 2) → instance noise → D's inputs (R, B, 2m)."""
        sd = self.noise_std(self.t)
        if sd > 0:
            x = x + sd * self._draw(lambda g: torch.randn(x.shape[1:], generator=g,
                                                          device=self.device))
        return self._critics(x.reshape(self.R, self.p.batch_size, 2 * self.p.pack))

    def _inputs(self, real: torch.Tensor, z: torch.Tensor, fake: torch.Tensor) -> tuple:
        """D's inputs for a minibatch: real packs (R, B, m, 2), z and G(z) → (real, fake);
        with VEEGAN the joint pairs (F(x), x) and (z, G(z))."""
        real_in, fake_in = self._d_inputs(real), self._d_inputs(self._packs(fake))
        if self.p.veegan:
            real_in = torch.cat([self._reconstruct(real_in), real_in], dim=-1)
            fake_in = torch.cat([z, fake_in], dim=-1)
        return real_in, fake_in

    def _reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """VEEGAN's reconstructor F(x) (R, n, z_dim)."""
        return mlp(self.f_params, "f", x, self.p.veegan.layers)

    def _critics(self, x: torch.Tensor) -> torch.Tensor:
        """Replicate-stacked (R, ...) → one copy per discriminator (R·M, ...) (GMAN)."""
        return x.repeat_interleave(self.M, dim=0) if self.M > 1 else x

    def _per_replicate(self, loss: torch.Tensor) -> torch.Tensor:
        """Per-discriminator values (R·M,) → their mean per replicate (R,)."""
        return loss.view(self.R, self.M).mean(dim=1) if self.M > 1 else loss

    def _packs(self, fake: torch.Tensor) -> torch.Tensor:
        """Generated samples of m batches (R, m·B, 2) → packs (R, B, m, 2): the i-th
        sample of every batch forms the i-th pack."""
        return fake.view(self.R, self.p.pack, self.p.batch_size, 2).transpose(1, 2)

    # -- networks and losses -----------------------------------------------------------------
    def _generate(self, z: torch.Tensor) -> torch.Tensor:
        """G(z) (R, m·B, 2) for z (R, m·B, z_dim) in m batches of B; with MGAN's K
        generators, generator k makes samples k·B/K .. (k+1)·B/K − 1 of every batch."""
        if self.K == 1:
            return generator(self.g_params, self.g_stats, z, self.p.generator, training=True,
                             momentum=self.p.bn_momentum, groups=self.p.pack)
        R, K, m, b = self.R, self.K, self.p.pack, self.p.batch_size // self.K
        zk = z.view(R, m, K, b, -1).transpose(1, 2).reshape(R * K, m * b, -1)
        x = generator(self.g_params, self.g_stats, zk, self.p.generator, training=True,
                      momentum=self.p.bn_momentum, groups=m)
        return x.view(R, K, m, b, 2).transpose(1, 2).reshape(R, m * self.p.batch_size, 2)

    def _classifier_loss(self, d_params, f_fake: torch.Tensor) -> torch.Tensor:
        """MGAN's classifier cross-entropy (R,): the K logits of a linear head on D's
        last hidden features of each generated pack against its generator's index."""
        logits = linear(f_fake, d_params["cls.w"], d_params["cls.b"])  # (R, B, K)
        labels = torch.arange(self.p.batch_size, device=self.device) // (self.p.batch_size // self.K)
        top = logits.max(dim=-1, keepdim=True).values.detach()
        lse = top[..., 0] + elementwise(torch.log, elementwise(torch.exp, logits - top).sum(-1))
        true = logits.gather(-1, labels[None, :, None].expand(self.R, -1, 1))[..., 0]
        return (lse - true).mean(dim=1)

    def _critic(self, d_params, x):
        return discriminator(d_params, x, self.p.discriminator, self.p.minibatch_discrimination)

    def _forward(self, d_params, real, fake) -> tuple:
        """D's logits and features on packed real and generated inputs."""
        d_real, f_real = self._critic(d_params, real)
        d_fake, f_fake = self._critic(d_params, fake)
        return d_real, d_fake, f_real, f_fake

    def _d_loss(self, d_params, real, fake, outputs: tuple | None = None) -> torch.Tensor:
        """D's loss (R,) on packed inputs (``outputs``: :meth:`_forward`'s, if computed)."""
        d_real, d_fake, _, f_fake = outputs or self._forward(d_params, real, fake)
        loss = losses.discriminator_loss(self.p.loss, d_real, d_fake, self.p.label_smoothing)
        if self.p.mgan:
            loss = loss + self._classifier_loss(d_params, f_fake)
        if self.p.loss == "wgan-gp":
            eps = self._critics(self._draw(lambda g: torch.rand(self.p.batch_size, 1, generator=g,
                                                                device=self.device)))
            loss = loss + self.p.gp_weight * losses.gradient_penalty(
                lambda x: self._critic(d_params, x)[0], real, fake, eps)
        return loss

    def _g_loss(self, outputs: tuple, fake: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        _, d_fake, f_real, f_fake = outputs
        if self.p.veegan:
            loss = losses.veegan(d_fake, z, self._reconstruct(fake), self.p.veegan.weight)
        elif self.p.feature_matching:
            loss = losses.feature_matching(f_real, f_fake)
        else:
            loss = losses.generator_loss(self.p.loss, d_fake)
        if self.p.gman:
            loss = losses.combine_critics(loss.view(self.R, self.M), self.p.gman.combine,
                                          self.p.gman.lam)
        if self.p.mgan:
            loss = loss + self.p.mgan.beta * self._classifier_loss(self.d_params, f_fake)
        if self.p.mode_seeking:
            loss = loss + self.p.mode_seeking * losses.mode_seeking(fake, z)
        if self.p.entropy:
            loss = loss - self.p.entropy.weight * kl_entropy(fake, self.p.entropy.k)
        return loss

    def _d_grads(self, loss: torch.Tensor, create_graph: bool = False) -> dict:
        return dict(zip(self.d_params, torch.autograd.grad(
            loss.sum(), list(self.d_params.values()), retain_graph=True,
            create_graph=create_graph)))

    def _apply_d(self, grads: dict) -> None:
        self.opt_d.step(self.d_params, {k: g.detach() for k, g in grads.items()})
        if self.p.loss == "wgan":
            with torch.no_grad():
                for v in self.d_params.values():
                    v.clamp_(-self.p.clip, self.p.clip)

    def _unrolled(self, grads: dict, real, fake) -> dict:
        """D's parameters after ``unrolled_steps`` differentiable optimiser steps
        (``grads``: the first step's gradients, built with ``create_graph``)."""
        d_params, state = self.opt_d.update(self.d_params, grads)
        for _ in range(self.p.unrolled_steps - 1):
            step_grads = torch.func.grad(lambda dp: self._d_loss(dp, real, fake).sum())(d_params)
            d_params, state = self.opt_d.update(d_params, step_grads, state)
        return d_params

    def _discriminator_update(self) -> torch.Tensor:
        """One alternating D step on a fresh minibatch; D's loss (R,)."""
        real, z = self._minibatch()
        with torch.no_grad():
            fake = self._generate(z)
        d_loss = self._d_loss(self.d_params, *self._inputs(real, z, fake))
        check_finite("discriminator loss", d_loss)
        self._apply_d(self._d_grads(d_loss))
        return d_loss

    def _generator_update(self) -> tuple[torch.Tensor | None, torch.Tensor]:
        """G's step on a fresh minibatch — and, if simultaneous, D's at the same
        point: (D's loss or None, G's loss)."""
        real, z = self._minibatch()
        fake = self._generate(z)
        real_in, fake_in = self._inputs(real, z, fake)
        outputs = self._forward(self.d_params, real_in, fake_in)
        simultaneous, unroll = self.p.updates == "simultaneous", self.p.unrolled_steps > 0
        d_loss = d_grads = None
        if simultaneous or unroll:
            d_loss = self._d_loss(self.d_params, real_in, fake_in, outputs)
            check_finite("discriminator loss", d_loss)
            d_grads = self._d_grads(d_loss, create_graph=unroll)
        if unroll:
            outputs = self._forward(self._unrolled(d_grads, real_in, fake_in), real_in, fake_in)
        g_loss = self._g_loss(outputs, fake, z)
        check_finite("generator loss", g_loss)
        g_grads = dict(zip([*self.g_params, *self.f_params], torch.autograd.grad(
            g_loss.sum(), [*self.g_params.values(), *self.f_params.values()])))
        if simultaneous:
            self._apply_d(d_grads)
        self.opt_g.step(self.g_params, g_grads)
        if self.p.veegan:
            self.opt_f.step(self.f_params, g_grads)
        return (d_loss if simultaneous else None), g_loss

    def step(self) -> None:
        with one_thread():
            self._step()

    def _step(self) -> None:
        self.t += 1
        d_loss = None
        if self.p.updates == "alternating":
            for _ in range(self.p.d_steps):
                d_loss = self._discriminator_update()
        d_loss_sim, g_loss = self._generator_update()
        d_loss = d_loss_sim if d_loss_sim is not None else d_loss
        self.last_losses = torch.stack([self._per_replicate(d_loss.detach()),
                                        g_loss.detach()]).cpu()
        self._keep()

    def _keep(self) -> None:
        """Keep the evaluation samples (on the CPU) if this step is in ``params.export``."""
        if self.t in self.p.export:
            self.kept[self.t] = self.samples().cpu()

    # -- evaluation ----------------------------------------------------------------------------
    @torch.no_grad()
    def samples(self) -> torch.Tensor:
        """The evaluation samples (R, N, 2): G on the fixed z, BatchNorm in evaluation
        mode; with MGAN, sample j is generator j mod K's (the equal-weight mixture)."""
        z = self.eval_z.repeat_interleave(self.K, dim=0) if self.K > 1 else self.eval_z
        x = generator(self.g_params, self.g_stats, z, self.p.generator,
                      training=False, momentum=self.p.bn_momentum)
        if self.K == 1:
            return x
        j = torch.arange(x.shape[1], device=self.device)
        return x.view(self.R, self.K, -1, 2)[:, j % self.K, j]

    def observe(self) -> list[Observation]:
        with one_thread():
            return self._observe()

    def _observe(self) -> list[Observation]:
        return observations(self.samples(), self.eval_real, self.mixture, self.p.eval,
                            self.last_losses)

    # -- checkpoints ---------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything that evolves during training (see the module docstring)."""
        detach = lambda d: {k: v.detach().clone() for k, v in d.items()}  # noqa: E731
        return {"params": self.p.model_dump(mode="json"), "replicates": self.R, "step": self.t,
                "generator": detach(self.g_params), "batchnorm": detach(self.g_stats),
                "discriminator": detach(self.d_params),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                "rng": [g.get_state() for g in self.train_gens],
                "order": self.order.clone(), "cursor": self.cursor,
                "last_losses": self.last_losses.clone(),
                "kept": {t: x.clone() for t, x in self.kept.items()},
                **({"reconstructor": detach(self.f_params), "opt_f": self.opt_f.state_dict()}
                   if self.p.veegan else {})}

    def load_state_dict(self, state: dict) -> None:
        if state["params"] != self.p.model_dump(mode="json") or state["replicates"] != self.R:
            raise ValueError("checkpoint was written for other parameters or replicates")
        with torch.no_grad():
            for mine, saved in ((self.g_params, state["generator"]), (self.g_stats, state["batchnorm"]),
                                (self.d_params, state["discriminator"]),
                                (self.f_params, state.get("reconstructor", {}))):
                for k, v in mine.items():
                    v.copy_(saved[k])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        if self.p.veegan:
            self.opt_f.load_state_dict(state["opt_f"])
        for g, s in zip(self.train_gens, state["rng"]):
            g.set_state(s)
        self.t = int(state["step"])
        self.order, self.cursor = state["order"].to(self.device), int(state["cursor"])
        self.last_losses = state["last_losses"].clone()
        self.kept = {int(t): x.clone() for t, x in state["kept"].items()}

    def export(self, folders: Sequence[Path]) -> None:
        """The runner's artefact hook: replicate r's kept samples to
        ``folders[r]/samples.npz`` (``steps`` (S,), ``samples`` (S, N, 2))."""
        steps = sorted(self.kept)
        for r, folder in enumerate(folders):
            samples = (np.stack([self.kept[t][r].numpy() for t in steps]) if steps
                       else np.empty((0, self.p.eval.samples, 2), np.float32))
            np.savez(Path(folder) / "samples.npz", steps=np.asarray(steps, np.int64), samples=samples)

    def save(self, path: str | Path) -> None:
        """Write :meth:`state_dict` to ``path`` atomically."""
        tmp = Path(f"{path}.tmp")
        torch.save(self.state_dict(), tmp)
        os.replace(tmp, path)

    def load(self, path: str | Path) -> None:
        self.load_state_dict(torch.load(path, map_location=self.device, weights_only=True))
