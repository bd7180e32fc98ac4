"""AdaGAN (Tolstikhin et al. 2017, "AdaGAN: boosting generative models",
Alg. 1 and §3): a mixture of GANs grown by boosting, for R replicates at once.

The run's ``steps`` generator updates are split into T = ``adagan.rounds``
rounds of ``steps // T`` steps (the last round takes the remainder; a run of
fewer steps than rounds has one round per step, e.g. the 2-step scenario
checks). Each round trains a fresh :class:`~.simulation.GANSimulation` on the
parameters without ``adagan`` (and without ``export``: the mixture keeps the samples), its seed
child 10 + t of the replicate's SeedSequence (so its own ``init``/``data``/
``train``/``eval`` streams are children 0–3 of that). All rounds share the
replicate's training set and evaluation set, drawn exactly as a plain GAN with
the same seed draws them (children 1 and 3), so AdaGAN and the vanilla GAN of a
seed see the same data and are evaluated on the same z. Child 4 is the
``boost`` stream: the classifiers' weights and minibatches, the mixture samples
they are trained against, and the resampling of the training set.

Round 1 trains on the training set as drawn (uniform weights). Before round
t ≥ 2, with β = ``adagan.beta`` or 1/t:

* a classifier D (an MLP of ``discriminator.layers`` ReLU layers of
  ``discriminator.hidden`` units, :func:`collapsesim.nets.mlp`, one per
  replicate, fresh each round) is trained for ``adagan.classifier_steps``
  Adam/RMSProp steps (``optimizer``, learning rate ``lr_d``) on the
  cross-entropy of minibatches of ``batch_size`` training points (target 1)
  against as many points of a pool of N samples of the current mixture
  (target 0), N the number of training points;
* h(x_i) = (1 − D(x_i)) / D(x_i) = exp(−logit) estimates dP_model/dP_data at
  every training point x_i;
* the data weights are w_i = (λ* − (1 − β) h_i)₊ / (β N) with λ* such that
  Σ w_i = 1 (Theorem 1, eq. 9), found by sorting h (:func:`boosting_weights`):
  points the mixture already covers (large h) get no weight, points it misses
  (h ≈ 0) the most;
* the new round trains on a resample of the training set by w: N points drawn
  with replacement from the ``boost`` stream (packs of m formed from
  consecutive draws). This is an approximation of training on the weighted
  distribution Σ w_i δ_{x_i}: the new GAN sees a finite resample rather than
  minibatches drawn by w at every step.

The model is the mixture: the new component gets weight β, the previous ones
(1 − β) × their weights (with β = 1/t all components weigh 1/t). Its samples
(:meth:`AdaGANSimulation.samples`, for evaluation and for the classifier's
pool) split the z deterministically: with c_k the cumulative weights, component
k makes samples round(N c_{k−1}) .. round(N c_k) − 1, in round order, each
component's generator on its share of the z (BatchNorm in evaluation mode).
:meth:`~AdaGANSimulation.step` delegates to the current round (a new round
starts with the first step past the previous round's share);
:meth:`~AdaGANSimulation.observe` evaluates the mixture's samples, with the
current round's last losses. :meth:`~AdaGANSimulation.state_dict` holds every
round's state, the mixture weights, the current data weights and the current
round's resampled training set, and the ``boost`` stream, so a run resumes
bitwise; every draw is per replicate, so a replicate alone is bitwise the same
replicate inside a batch on CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from ...engine.rng import child_seed
from ...nets import elementwise, init_mlp, mlp
from ..base import Observation, check_finite
from . import losses
from .mixture import Mixture
from .optim import Optimizer
from .params import GANParams
from .simulation import GANSimulation, observations, one_thread

DATA_STREAM, EVAL_STREAM, BOOST_STREAM, FIRST_ROUND_STREAM = 1, 3, 4, 10


def boosting_weights(h: torch.Tensor, beta: float) -> torch.Tensor:
    """AdaGAN's data weights (Tolstikhin et al. 2017, Theorem 1): for density
    ratios h (R, N) ≥ 0, w_i = (λ* − (1 − β) h_i)₊ / (β N), λ* the unique value
    with Σ_i w_i = 1 (float64).

    With h sorted ascending and S_k the sum of the k smallest, λ_k = (β N +
    (1 − β) S_k) / k is the value for which exactly the k smallest are
    positive; it is consistent (λ_k > (1 − β) h_(k)) for a prefix k = 1 .. k*
    (the condition reads β N > (1 − β) Σ_{i ≤ k} (h_(k) − h_(i)), whose right
    side grows with k), and λ* = λ_{k*}."""
    h = h.to(torch.float64)
    N = h.shape[1]
    hs = h.sort(dim=1).values
    k = torch.arange(1, N + 1, dtype=torch.float64, device=h.device)
    lam = (beta * N + (1.0 - beta) * hs.cumsum(dim=1)) / k
    k_star = (lam > (1.0 - beta) * hs).sum(dim=1, keepdim=True)
    lam_star = lam.gather(1, k_star - 1)
    return (lam_star - (1.0 - beta) * h).clamp_min(0.0) / (beta * N)


def mixture_bounds(weights: Sequence[float], n: int) -> list[int]:
    """Component k's samples are bounds[k] .. bounds[k + 1] − 1 of n: round(n c_k),
    c the cumulative weights, so the shares sum to n."""
    c = np.concatenate([[0.0], np.cumsum(weights)])
    return [round(n * x) for x in c[:-1]] + [n]


class AdaGANSimulation:
    """``len(seeds)`` AdaGAN mixtures on ``params`` (``params.adagan`` set); see
    the module docstring."""

    def __init__(self, params: GANParams, backend, seeds: Sequence[np.random.SeedSequence],
                 steps: int):
        if params.adagan is None:
            raise ValueError("AdaGANSimulation needs params.adagan")
        T = max(1, min(params.adagan.rounds, steps))  # at least one step per round
        self.p, self.R, self.backend, self.seeds = params, len(seeds), backend, list(seeds)
        self.device = torch.device(backend.device)
        self.round_params = params.model_copy(update={"adagan": None, "export": []})
        share = steps // T
        self.ends = [share * (t + 1) for t in range(T - 1)] + [steps]  # last step of each round
        self.mixture = Mixture.from_params(params.data)
        data_gens = [backend.rng(child_seed(s, DATA_STREAM)) for s in seeds]
        eval_gens = [backend.rng(child_seed(s, EVAL_STREAM)) for s in seeds]
        self.boost_gens = [backend.rng(child_seed(s, BOOST_STREAM)) for s in seeds]
        n_train, m = params.data.n_train, params.pack
        self.N = n_train * m  # training points
        # the same training and evaluation sets as GANSimulation with these seeds
        self.data = torch.stack([self.mixture.sample(n_train * m, g).view(n_train, m, 2)
                                 for g in data_gens])
        self.eval_z = torch.stack([torch.randn(params.eval.samples, params.generator.z_dim,
                                               generator=g, device=self.device) for g in eval_gens])
        self.eval_real = torch.stack([self.mixture.sample(params.eval.pr_samples, g)
                                      for g in eval_gens])
        self.t = 0
        self.weights: list[float] = [1.0]
        self.data_weights = torch.full((self.R, self.N), 1.0 / self.N, dtype=torch.float64,
                                       device=self.device)
        self.rounds = [self._round(1, self.data)]
        self.kept: dict[int, torch.Tensor] = {}
        with one_thread():
            self._keep()

    # GANSimulation's checkpoint files and sample export work unchanged on this class
    _keep = GANSimulation._keep
    export = GANSimulation.export
    save = GANSimulation.save
    load = GANSimulation.load

    def _round(self, t: int, data: torch.Tensor) -> GANSimulation:
        """Round t's GAN (seed child 10 + t), on ``data``, evaluated on the shared sets."""
        n = self.ends[t - 1] - (self.ends[t - 2] if t > 1 else 0)
        sim = GANSimulation(self.round_params, self.backend,
                            [child_seed(s, FIRST_ROUND_STREAM + t) for s in self.seeds], n)
        sim.data, sim.eval_z, sim.eval_real = data, self.eval_z, self.eval_real
        return sim

    def _draw(self, fn: Callable[[torch.Generator], torch.Tensor]) -> torch.Tensor:
        return torch.stack([fn(g) for g in self.boost_gens])

    # -- the mixture --------------------------------------------------------------------------
    @staticmethod
    def _component(sim: GANSimulation, z: torch.Tensor) -> torch.Tensor:
        """``sim``'s generator (evaluation mode) on z (R, n, z_dim)."""
        fixed = sim.eval_z
        sim.eval_z = z
        try:
            return sim.samples()
        finally:
            sim.eval_z = fixed

    @torch.no_grad()
    def _mixture_samples(self, z: torch.Tensor) -> torch.Tensor:
        """The mixture on z (R, n, z_dim): component k on its share (:func:`mixture_bounds`)."""
        b = mixture_bounds(self.weights, z.shape[1])
        return torch.cat([self._component(sim, z[:, b[k]:b[k + 1]])
                          for k, sim in enumerate(self.rounds) if b[k + 1] > b[k]], dim=1)

    def samples(self) -> torch.Tensor:
        """The evaluation samples (R, N_eval, 2) of the mixture on the fixed z."""
        return self._mixture_samples(self.eval_z)

    # -- reweighting ---------------------------------------------------------------------------
    def _density_ratio(self, points: torch.Tensor, model: torch.Tensor) -> torch.Tensor:
        """h = (1 − D)/D (R, n) at ``points`` (R, n, 2), D a fresh classifier trained
        to tell ``points`` (target 1) from ``model`` samples (R, n', 2) (target 0)."""
        p, d = self.p, self.p.discriminator
        params = {k: v.requires_grad_(True) for k, v in
                  init_mlp("c", 2, d.hidden, d.layers, 1, p.init_std, self.boost_gens).items()}
        opt = Optimizer(params, p.optimizer, p.optimizer.lr_d)
        B, dev = p.batch_size, self.device

        def pick(x: torch.Tensor) -> torch.Tensor:
            idx = self._draw(lambda g: torch.randint(x.shape[1], (B,), generator=g, device=dev))
            return torch.gather(x, 1, idx[..., None].expand(-1, -1, 2))

        for _ in range(p.adagan.classifier_steps):
            real, fake = pick(points), pick(model)
            loss = losses.discriminator_loss("nonsaturating", mlp(params, "c", real, d.layers),
                                             mlp(params, "c", fake, d.layers))
            check_finite("AdaGAN classifier loss", loss)
            opt.step(params, dict(zip(params, torch.autograd.grad(loss.sum(),
                                                                  list(params.values())))))
        with torch.no_grad():
            logit = mlp(params, "c", points, d.layers)[..., 0].clamp(-60.0, 60.0)
            return elementwise(torch.exp, -logit)

    def reweight(self, beta: float) -> torch.Tensor:
        """The data weights (R, N) against the current mixture (module docstring)."""
        z = self._draw(lambda g: torch.randn(self.N, self.p.generator.z_dim, generator=g,
                                             device=self.device))
        model = self._mixture_samples(z)
        return boosting_weights(self._density_ratio(self.data.view(self.R, self.N, 2), model), beta)

    def _next_round(self) -> None:
        """Reweight the training set against the current mixture, start round t on a
        resample of it by the weights and give the new component weight β."""
        t = len(self.rounds) + 1
        beta = self.p.adagan.beta or 1.0 / t
        self.data_weights = self.reweight(beta)
        idx = torch.stack([torch.multinomial(w, self.N, replacement=True, generator=g)
                           for w, g in zip(self.data_weights, self.boost_gens)])
        points = self.data.view(self.R, self.N, 2)
        data = torch.gather(points, 1, idx[..., None].expand(-1, -1, 2)).view(self.data.shape)
        self.weights = [(1.0 - beta) * w for w in self.weights] + [beta]
        self.rounds.append(self._round(t, data))

    # -- training --------------------------------------------------------------------------------
    def step(self) -> None:
        with one_thread():
            self.t += 1
            if self.t > self.ends[len(self.rounds) - 1]:
                self._next_round()
            self.rounds[-1].step()
            self._keep()

    def observe(self) -> list[Observation]:
        with one_thread():
            return self._observe()

    def _observe(self) -> list[Observation]:
        return observations(self.samples(), self.eval_real, self.mixture, self.p.eval,
                            self.rounds[-1].last_losses)

    # -- checkpoints ---------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Every round's state, the mixture and data weights, the current round's
        resampled training set, the ``boost`` stream and the kept samples."""
        return {"params": self.p.model_dump(mode="json"), "replicates": self.R, "step": self.t,
                "rounds": [sim.state_dict() for sim in self.rounds],
                "round_data": self.rounds[-1].data.clone(), "weights": list(self.weights),
                "data_weights": self.data_weights.clone(),
                "rng": [g.get_state() for g in self.boost_gens],
                "kept": {t: x.clone() for t, x in self.kept.items()}}

    def load_state_dict(self, state: dict) -> None:
        if state["params"] != self.p.model_dump(mode="json") or state["replicates"] != self.R:
            raise ValueError("checkpoint was written for other parameters or replicates")
        n = len(state["rounds"])
        # finished rounds only generate: their training set is not needed
        self.rounds = [self._round(t, self.data if t < n else state["round_data"].to(self.device))
                       for t in range(1, n + 1)]
        for sim, s in zip(self.rounds, state["rounds"]):
            sim.load_state_dict(s)
        self.weights = [float(w) for w in state["weights"]]
        self.data_weights = state["data_weights"].to(self.device).clone()
        for g, s in zip(self.boost_gens, state["rng"]):
            g.set_state(s)
        self.t = int(state["step"])
        self.kept = {int(t): x.clone() for t, x in state["kept"].items()}
