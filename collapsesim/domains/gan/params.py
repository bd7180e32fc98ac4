"""Parameters of the ``gan`` domain (the YAML ``params:`` block).

Defaults are the PacGAN protocol of Lin et al. (2018) on the 2D ring: the
data of :class:`DataParams`, the generator and discriminator of
:class:`GeneratorParams` / :class:`DiscriminatorParams`, Adam with lr 1e-4 and
β1 = 0.8, batches of 100 packs, N(0, 0.02) initialisation, simultaneous
updates and the non-saturating loss. Every remedy is a switch that is off by
default. :data:`SMALL_ARCHITECTURE` and :data:`FAST_OPTIMIZER` are the reduced
networks and optimiser of the fast scenarios and of the reduced CPU protocol.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_serializer, model_validator

from ..base import DomainParams, expected

#: Per-kind defaults of the benchmark data (Srivastava et al. 2017; Lin et al. 2018).
DATA_DEFAULTS = {"ring": {"K": 8, "sigma": 0.01}, "grid": {"K": 25, "sigma": 0.05}}

#: The reduced networks of the fast scenarios: G 2→128×2→2 without BatchNorm,
#: D 2 maxout layers of 64 × 5 (5× cheaper than PacGAN's per iteration on one CPU thread).
SMALL_ARCHITECTURE = {"generator": {"hidden": 128, "layers": 2, "batchnorm": False},
                      "discriminator": {"hidden": 64, "layers": 2, "pieces": 5}}

#: The optimiser of the fast scenarios: Adam lr 1e-3, β1 = 0.5 (Radford et al. 2016's β1).
FAST_OPTIMIZER = {"lr_g": 1e-3, "lr_d": 1e-3, "beta1": 0.5}


class DataParams(DomainParams):
    """A mixture of K isotropic 2D Gaussians of standard deviation ``sigma``.

    ``ring``: means at (r cos 2πk/K, r sin 2πk/K), k = 0..K−1 (angles 2πk/K:
    ``linspace(0, 2π, K)`` would repeat the first mode). ``grid``: K = n²
    means at ``spacing`` × (i − (n−1)/2), i = 0..n−1 in each coordinate
    ({−4, −2, 0, 2, 4}² for K = 25, spacing 2). ``weights`` (default equal)
    model the data imbalance cause of collapse. The training set is
    ``n_train`` examples, each a pack of m independent points (m = 1 without
    packing), drawn once per replicate from its seed, as PacGAN's fixed
    training set; every epoch visits it in a fresh random order.
    """

    kind: Literal["ring", "grid"] = Field("ring", description="ring or grid of Gaussians")
    K: int = Field(None, ge=1, validate_default=False,
                   description="number of modes (default 8 for ring, 25 for grid; grid: a square)")
    radius: float = Field(1.0, gt=0, description="ring radius")
    spacing: float = Field(2.0, gt=0, description="grid spacing between neighbouring means")
    sigma: float = Field(None, gt=0, validate_default=False,
                         description="standard deviation per coordinate (default 0.01 ring, 0.05 grid)")
    weights: list[float] | None = Field(None, description="mixture weights (K positive numbers; "
                                                          "normalised; default equal)")
    n_train: int = Field(100_000, ge=1, description="examples (packs) in the fixed training set")

    @model_validator(mode="before")
    @classmethod
    def _kind_defaults(cls, data):
        if isinstance(data, dict):
            kind = data.get("kind", "ring")
            for key, value in DATA_DEFAULTS.get(kind, {}).items():
                if data.get(key) is None:
                    data = {**data, key: value}
        return data

    @model_validator(mode="after")
    def _consistent(self):
        if self.kind == "grid" and math.isqrt(self.K) ** 2 != self.K:
            raise expected(f"a square number of modes K for a grid (got K = {self.K})")
        if self.weights is not None:
            if len(self.weights) != self.K:
                raise expected(f"K = {self.K} weights, one per mode (got {len(self.weights)})")
            if not all(w > 0 and math.isfinite(w) for w in self.weights):
                raise expected("positive, finite mixture weights")
        return self


class GeneratorParams(DomainParams):
    """MLP z → ``layers`` × [linear(``hidden``) → BatchNorm → ReLU] → linear → 2."""

    z_dim: int = Field(2, ge=1, description="dimension of the Gaussian latent z")
    hidden: int = Field(400, ge=1, description="units per hidden layer")
    layers: int = Field(4, ge=1, description="number of hidden layers")
    batchnorm: bool = Field(True, description="BatchNorm after each hidden linear layer")


class DiscriminatorParams(DomainParams):
    """``layers`` maxout layers (``hidden`` units of ``pieces`` pieces) → linear → 1 logit."""

    hidden: int = Field(200, ge=1, description="maxout units per layer")
    layers: int = Field(3, ge=1, description="number of maxout layers")
    pieces: int = Field(5, ge=1, description="linear pieces per maxout unit")


class MinibatchDiscrimination(DomainParams):
    """Salimans et al. (2016) §3.2: ``kernels`` similarity features of ``dims`` dimensions."""

    kernels: int = Field(5, ge=1, description="number of minibatch kernels (B in the paper)")
    dims: int = Field(3, ge=1, description="dimension of each kernel's projection (C)")


class OptimizerParams(DomainParams):
    """Adam (Kingma & Ba 2015) or RMSProp (Arjovsky et al. 2017 for WGAN), one per network."""

    name: Literal["adam", "rmsprop"] = Field("adam", description="adam or rmsprop")
    lr_g: float = Field(1e-4, gt=0, description="generator learning rate")
    lr_d: float = Field(1e-4, gt=0, description="discriminator learning rate")
    beta1: float = Field(0.8, ge=0, lt=1, description="Adam β1 (ignored by RMSProp)")
    beta2: float = Field(0.999, ge=0, lt=1,
                         description="decay of the squared-gradient average (Adam β2, RMSProp α)")
    eps: float = Field(1e-8, gt=0, description="denominator offset")


class EvalParams(DomainParams):
    """What ``observe()`` measures: ``samples`` generator samples from fixed z (BatchNorm
    in evaluation mode) for the mode metrics and the log-likelihood; the first
    ``vendi_samples`` of them for the Vendi score (O(n³)); the first ``pr_samples``
    of them against as many fixed true samples for precision and recall (O(n²),
    ``k``-nearest-neighbour manifolds)."""

    samples: int = Field(2500, ge=1, description="generator samples per evaluation (N)")
    vendi_samples: int = Field(250, ge=0, description="samples passed on for the Vendi score "
                                                       "(0: none)")
    pr_samples: int = Field(1000, ge=2, description="samples for precision and recall")
    k: int = Field(3, ge=1, description="k of the k-NN manifolds of precision and recall")

    @model_validator(mode="after")
    def _subsets(self):
        if max(self.vendi_samples, self.pr_samples) > self.samples:
            raise expected(f"vendi_samples and pr_samples <= samples = {self.samples}")
        return self


class EntropyParams(DomainParams):
    """Entropy bonus for the generator: −``weight``·Ĥ(p_G) added to G's loss, Ĥ the
    Kozachenko–Leonenko k-nearest-neighbour estimate on each generated batch
    (Kozachenko & Leonenko 1987), whose gradient flows through the samples."""

    weight: float = Field(0.1, gt=0, description="λ of the entropy term −λ·Ĥ(p_G)")
    k: int = Field(1, ge=1, description="k of the k-NN entropy estimator")


class GMANParams(DomainParams):
    """Several discriminators (GMAN, Durugkar et al. 2017): ``discriminators``
    independently initialised critics, each trained on the minibatch; G is
    trained against their ``mean`` loss or the ``softmax``-weighted mean with
    temperature ``lam`` (GMAN-λ: λ = 0 is the mean, λ → ∞ the hardest critic)."""

    discriminators: int = Field(2, ge=2, description="number of discriminators")
    combine: Literal["mean", "softmax"] = Field("mean", description="how G combines their losses")
    lam: float = Field(1.0, ge=0, description="GMAN-λ softmax temperature (softmax only)")


class MGANParams(DomainParams):
    """A mixture of generators with a shared discriminator and a classifier
    (MGAN, Hoang et al. 2018): ``generators`` generators, each producing an equal
    share of every batch; a classifier sharing D's hidden layers predicts which
    generator made a sample, and G adds ``beta`` × its cross-entropy (the
    diversity term). The model is the equal-weight mixture of the generators."""

    generators: int = Field(4, ge=2, description="number of generators")
    beta: float = Field(0.125, ge=0, description="weight β of the classifier's loss in G's")


class VEEGANParams(DomainParams):
    """VEEGAN (Srivastava et al. 2017): a reconstructor network F: x → z (an MLP of
    ``layers`` × ``hidden`` ReLU units) and a discriminator on joint pairs (z, x):
    real pairs (F(x), x), generated pairs (z, G(z)); G and F minimise the
    adversarial term plus ``weight`` × E‖z − F(G(z))‖²."""

    hidden: int = Field(128, ge=1, description="reconstructor units per hidden layer")
    layers: int = Field(2, ge=1, description="reconstructor hidden layers")
    weight: float = Field(1.0, ge=0, description="weight of the reconstruction loss ‖z − F(G(z))‖²")


class AdaGANParams(DomainParams):
    """AdaGAN (Tolstikhin et al. 2017): boosting of ``rounds`` GANs, each trained for
    an equal share of the run's steps on the training set reweighted where the
    current mixture is weak (weights from a classifier of data against the
    mixture trained for ``classifier_steps`` steps); the model is the mixture,
    the t-th component added with weight ``beta`` (default 1/t)."""

    rounds: int = Field(4, ge=2, description="number of generators T (boosting rounds)")
    beta: float | None = Field(None, gt=0, lt=1, description="weight of each new component "
                                                             "(default 1/t in round t)")
    classifier_steps: int = Field(500, ge=1, description="training steps of the reweighting "
                                                         "classifier per round")


class GANParams(DomainParams):
    """A GAN on a 2D Gaussian mixture, and the remedies for mode collapse.

    One step is one generator update. ``loss``: ``nonsaturating`` (Goodfellow
    et al. 2014, G maximises log D(G(z))), ``minimax`` (G minimises
    log(1 − D(G(z)))), ``wgan`` (Arjovsky et al. 2017, weights clipped to
    ±``clip``) or ``wgan-gp`` (Gulrajani et al. 2017, penalty ``gp_weight``).
    ``updates``: ``simultaneous`` (both gradients at the same point, as PacGAN's
    code does) or ``alternating`` (``d_steps`` discriminator updates, then one
    generator update on fresh z).
    """

    data: DataParams = Field(default_factory=DataParams, description="the target mixture")
    generator: GeneratorParams = Field(default_factory=GeneratorParams, description="G's network")
    discriminator: DiscriminatorParams = Field(default_factory=DiscriminatorParams,
                                               description="D's network")
    optimizer: OptimizerParams = Field(default_factory=OptimizerParams, description="optimisers")
    eval: EvalParams = Field(default_factory=EvalParams, description="evaluation")

    loss: Literal["nonsaturating", "minimax", "wgan", "wgan-gp"] = Field(
        "nonsaturating", description="GAN objective")
    updates: Literal["simultaneous", "alternating"] = Field(
        "simultaneous", description="simultaneous or alternating G/D updates")
    d_steps: int = Field(1, ge=1, description="D updates per G update (alternating only)")
    batch_size: int = Field(100, ge=2, description="packs per minibatch (pack × batch_size samples)")
    pack: int = Field(1, ge=1, description="PacGAN packing m: D sees m samples concatenated")
    init_std: float = Field(0.02, gt=0, description="weights ~ N(0, init_std²); biases 0")
    bn_momentum: float = Field(0.05, gt=0, le=1, description="BatchNorm population statistics "
                                                              "(mean, std): new = (1−m)·old + m·batch")
    clip: float = Field(0.01, gt=0, description="WGAN weight clipping bound c")
    gp_weight: float = Field(10.0, ge=0, description="WGAN-GP gradient-penalty weight λ")
    minibatch_discrimination: MinibatchDiscrimination | None = Field(
        None, description="minibatch discrimination before D's output (Salimans et al. 2016)")
    feature_matching: bool = Field(False, description="G matches D's mean last-layer features "
                                                      "(Salimans et al. 2016)")
    unrolled_steps: int = Field(0, ge=0, description="unrolled D steps in G's loss (Metz et al. 2017)")
    label_smoothing: float = Field(0.0, ge=0, lt=1,
                                   description="one-sided: D's target for real data is 1 − s")
    instance_noise: float = Field(0.0, ge=0, description="std of Gaussian noise added to D's "
                                                         "inputs at step 0 (Sønderby et al. 2017)")
    instance_noise_steps: int | None = Field(
        None, ge=1, description="steps over which the noise anneals linearly to 0 (default: the run)")
    mode_seeking: float = Field(0.0, ge=0, description="weight λ of the MSGAN mode-seeking term "
                                                       "(Mao et al. 2019)")
    entropy: EntropyParams | None = Field(
        None, description="entropy bonus −λ·Ĥ(p_G) in G's loss (Kozachenko–Leonenko estimate)")
    gman: GMANParams | None = Field(None, description="several discriminators (GMAN, "
                                                      "Durugkar et al. 2017)")
    mgan: MGANParams | None = Field(None, description="a mixture of generators with a classifier "
                                                      "(MGAN, Hoang et al. 2018)")
    veegan: VEEGANParams | None = Field(None, description="reconstructor network and joint "
                                                          "discriminator (VEEGAN, Srivastava et al. 2017)")
    adagan: AdaGANParams | None = Field(None, description="boosted mixture of generators "
                                                          "(AdaGAN, Tolstikhin et al. 2017)")
    export: list[Annotated[int, Field(ge=0)]] = Field(
        [], description="steps (0 = before training) at which every replicate keeps its "
                        "evaluation samples; a run with an output folder writes them to "
                        "replicates/<j>/samples.npz when it ends")

    @model_validator(mode="after")
    def _compatible(self):
        wgan = self.loss in ("wgan", "wgan-gp")
        if self.data.n_train < self.batch_size:
            raise expected(f"data.n_train >= batch_size = {self.batch_size}")
        if self.updates == "simultaneous" and self.d_steps != 1:
            raise expected("d_steps = 1 with simultaneous updates (use updates: alternating)")
        if wgan and self.label_smoothing:
            raise expected("label_smoothing = 0 with a WGAN loss (it has no labels)")
        if self.mgan and self.adagan:
            raise expected("at most one of mgan and adagan (both make a mixture of generators)")
        if self.veegan and (self.pack != 1 or self.loss != "nonsaturating"):
            raise expected("pack = 1 and loss: nonsaturating with veegan (its discriminator "
                           "sees single (z, x) pairs, with the cross-entropy; G's term is "
                           "VEEGAN's own, −E d(z, G(z)))")
        if self.veegan and (self.minibatch_discrimination or self.feature_matching):
            raise expected("no minibatch_discrimination or feature_matching with veegan "
                           "(their combination is not implemented)")
        families = [k for k in ("gman", "mgan", "veegan") if getattr(self, k)]
        if len(families) > 1:
            raise expected(f"at most one of gman, mgan and veegan (got {' and '.join(families)}: "
                           "their combination is not implemented)")
        if families and self.unrolled_steps:
            raise expected(f"unrolled_steps = 0 with {families[0]} (unrolling is implemented "
                           "for one discriminator and one generator)")
        if self.mgan and self.batch_size % self.mgan.generators:
            raise expected(f"batch_size divisible by mgan.generators = {self.mgan.generators} "
                           f"(every batch is split equally among them; got {self.batch_size})")
        if self.entropy and self.entropy.k >= self.pack * self.batch_size:
            raise expected(f"entropy.k < pack × batch_size = {self.pack * self.batch_size} (the "
                           "k-NN estimate is taken on each step's generated samples)")
        if wgan and self.unrolled_steps:
            raise expected("unrolled_steps = 0 with a WGAN loss (unrolling is implemented for "
                            "the cross-entropy losses)")
        return self

    @model_serializer(mode="wrap")
    def _omit_unset_additions(self, handler):
        """``export`` while empty and the remedy families added later (``entropy``,
        ``gman``, ``mgan``, ``veegan``, ``adagan``) while off are left out of dumps,
        so configs (and batch cell hashes, hence seeds) of runs without them stay
        what they were before they existed."""
        data = handler(self)
        if not self.export:
            data.pop("export", None)
        for key in ADDED_FAMILIES:
            if getattr(self, key) is None:
                data.pop(key, None)
        return data


#: Remedy families added after the first release, omitted from dumps while off.
ADDED_FAMILIES = ("entropy", "gman", "mgan", "veegan", "adagan")
