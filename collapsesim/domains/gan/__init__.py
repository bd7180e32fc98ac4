"""The ``gan`` domain: mode collapse of GANs on the 2D ring and grid mixtures,
with the remedies from the literature, reproducing PacGAN's Table 1.

* :mod:`.params` — the parameters: data, networks, optimiser, losses and remedies;
* :mod:`.mixture` — the ring (K = 8, radius 1, σ = 0.01) and grid (K = 25 at
  {−4, −2, 0, 2, 4}², σ = 0.05) Gaussian mixtures, any K, spacing, σ, weights;
* :mod:`.evaluation` — high-quality samples, captured modes, reverse KL,
  log-likelihood, precision and recall;
* :mod:`collapsesim.nets` (shared, outside the domain) — R generators and
  discriminators as one batched program;
* :mod:`.losses` and :mod:`.optim` — objectives, regularisers, Adam/RMSProp;
* :mod:`.entropy` — the Kozachenko–Leonenko entropy of generated batches (the
  ``entropy`` remedy's −λ·Ĥ term);
* :mod:`.simulation` — the training loop, evaluation and checkpoints, with the
  remedies that add networks: several discriminators (``gman``), a mixture of
  generators with a classifier (``mgan``), a reconstructor and a joint
  discriminator (``veegan``);
* :mod:`.adagan` — AdaGAN's boosted mixture of generators (``adagan``): T fresh
  GANs, each on the training set reweighted where the mixture is weak;
* PacGAN's Table 1 protocol (and the reduced CPU protocol) live in
  :mod:`collapsesim.reproductions.gan` (``collapsesim reproduce gan``).

Headline series ``modes``: the histogram of high-quality evaluation samples
over the K modes, with the mixture weights as reference, so ``coverage`` is the
fraction of modes captured and, for equal weights, D1 = K·exp(−reverse_kl).
Before any sample is high quality the histogram is empty (D1 = 0), a valid
observation. Domain metrics: ``modes_captured``,
``modes_captured_thresholded``, ``hq_fraction``, ``reverse_kl``, ``loglik``,
``precision``, ``recall``, the detection metrics ``pairwise_distance``,
``logdet_cov``, ``birthday_support``, ``birthday_batch`` (see :mod:`.evaluation`),
``d_loss``, ``g_loss`` (the last step's losses); the
Vendi score is computed by the core from the first ``eval.vendi_samples``
samples. Torch is the only backend: the domain is a neural network, with no
numpy or numba formulation worth having.

References: Goodfellow et al. (2014) Generative adversarial nets, NeurIPS;
Salimans et al. (2016) Improved techniques for training GANs, NeurIPS;
Arjovsky, Chintala & Bottou (2017) Wasserstein GAN, ICML; Gulrajani et al.
(2017) Improved training of Wasserstein GANs, NeurIPS; Metz et al. (2017)
Unrolled generative adversarial networks, ICLR; Srivastava et al. (2017)
VEEGAN: reducing mode collapse in GANs using implicit variational learning,
NeurIPS; Durugkar, Gemp & Mahadevan (2017) Generative multi-adversarial
networks, ICLR (GMAN); Hoang et al. (2018) MGAN: training generative
adversarial nets with multiple generators, ICLR; Kozachenko & Leonenko (1987)
Sample estimate of the entropy of a random vector, Probl. Inf. Transm.;
Sønderby et al. (2017) Amortised MAP inference for image super-resolution,
ICLR (instance noise); Lin et al. (2018) PacGAN: the power of
two samples in generative adversarial networks, NeurIPS; Mao et al. (2019)
Mode seeking GANs for diverse image synthesis, CVPR; Kynkäänniemi et al.
(2019) Improved precision and recall metric for assessing generative models,
NeurIPS.
"""

from __future__ import annotations

from ...registry import register
from ..base import Domain
from .adagan import AdaGANSimulation
from .mixture import Mixture
from .params import FAST_OPTIMIZER, SMALL_ARCHITECTURE, GANParams
from .simulation import GANSimulation


@register("gan")
class GAN(Domain):
    """R GANs (one per replicate) trained as one batched torch program on a 2D
    Gaussian mixture; one step is one generator update."""

    Params = GANParams
    headline = "modes"
    backends = ("torch",)
    batched = True
    clock = "iterations"
    description = ("GAN mode collapse on the 2D ring/grid, with PacGAN, WGAN-GP, unrolling, GMAN, "
                   "MGAN, VEEGAN, entropy and other remedies")
    check_scenario = {
        "steps": 6, "record_every": 3, "replicates": 2,
        "params": {"data": {"n_train": 1000}, "generator": {"hidden": 16, "layers": 2},
                   "discriminator": {"hidden": 8, "layers": 2, "pieces": 3},
                   "batch_size": 32, "pack": 2,
                   "eval": {"samples": 300, "vendi_samples": 100, "pr_samples": 100}},
    }

    @classmethod
    def memory_estimate(cls, params: GANParams, replicates: int) -> list[tuple[str, float]]:
        """Upper bound for the R batched GANs: the training set (float64 points,
        shared), and per replicate the networks' weights with gradients and
        optimiser moments (x4, float64) — K generators with ``mgan``, M
        discriminators with ``gman``, the reconstructor with ``veegan`` — a
        minibatch's activations through all of them, and the evaluation samples
        (through each of the K generators) with their k-NN distance matrix, and
        the evaluation samples' float64 distance matrix of the detection
        metrics (one replicate at a time). With ``adagan`` the T rounds' networks
        are all kept (T generators and discriminators)."""
        g, d, e = params.generator, params.discriminator, params.eval
        K = params.mgan.generators if params.mgan else 1
        M = params.gman.discriminators if params.gman else 1
        n_in = 2 * params.pack + (g.z_dim if params.veegan else 0)
        g_units = g.hidden * (g.hidden * g.layers + g.z_dim + 2)
        d_units = d.pieces * d.hidden * (d.hidden * d.layers + n_in + 1) + (K if K > 1 else 0) * d.hidden
        f_units = (params.veegan.hidden * (params.veegan.hidden * params.veegan.layers + 2 + g.z_dim)
                   if params.veegan else 0)
        T = params.adagan.rounds if params.adagan else 1
        weights = 4 * 8.0 * T * (K * g_units + M * d_units + f_units)
        batch = 8.0 * params.batch_size * params.pack * (
            g.hidden * g.layers + M * d.pieces * d.hidden * d.layers
            + (params.veegan.hidden * params.veegan.layers if params.veegan else 0))
        return [("params.data.n_train", 8.0 * 2 * params.pack * params.data.n_train),
                ("params.generator.hidden", replicates * (weights + batch)),
                ("params.eval.samples", replicates * 8.0 * (K * e.samples * 2 + e.pr_samples ** 2)
                 + 8.0 * e.samples ** 2)]

    def build(self, params: GANParams, *, backend, seeds, steps: int):
        if params.adagan:
            return AdaGANSimulation(params, backend, seeds, steps)
        return GANSimulation(params, backend, seeds, steps)


__all__ = ["GAN", "GANParams", "GANSimulation", "AdaGANSimulation", "Mixture", "SMALL_ARCHITECTURE", "FAST_OPTIMIZER"]
