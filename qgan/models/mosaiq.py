"""MosaiQ (Silver et al., ICCV 2023) scaled as HybridQ did: 10 sub-generators x 10 qubits, 64x64x3.

MosaiQ generates principal components, not pixels. Following its public code (PennyLane):

- PCA: the class's training images (flattened, in [-1, 1]) reduced to their n_sub * n_qubits =
  100 leading components (``qgan.models.pca``, seeded). The real coefficients are scaled to
  [-1, 1] by one affine map, from their global min and max over the training set (MosaiQ's
  ``scale_data``): what the discriminator sees of real images.
- Quantum generator: n_sub sub-generators ``circuits.ansatz.mosaiq_subgenerator`` (RY(x) RX(x)
  encoding, ``n_layers`` x [RY(theta) on every qubit + CZ chain], <X_i> readout), run as one
  wide circuit through ``qgan.models.quantum``. Every sub-generator reads the SAME n_qubits noise
  angles U[0, b) (MosaiQ feeds each sub-generator the batch's one noise vector), b the adaptive
  bound of ``qgan.models.noise``. Weights start U[0, 1) as MosaiQ's ``torch.rand``.
- Feature redistribution (``redistribution``): qubit q of sub-generator g produces PCA
  component ``order[g][q]``; each sub-generator gets one of the n_sub highest-variance
  components and n_qubits - 1 of the low-variance tail, so none of them carries only the
  components that matter most.
- Discriminator: MosaiQ's MLP on the scaled components, 100 -> 64 -> 16 -> 1 with ReLUs; it
  returns logits and the losses are BCE on logits (MosaiQ: Sigmoid + BCELoss, the same loss).
- Images: the <X> outputs in [-1, 1] are mapped back to coefficients by the inverse of the
  scaling above ([-1, 1] -> [min, max] of the training coefficients), then the PCA inverse
  transform gives pixels, clamped to [-1, 1]. (MosaiQ's code applies ``inverse_transform`` to
  the raw <X> values; undoing the scaling first puts the images in the data's range.)
- Optimizers: SGD, lr 0.3 on the quantum weights and 0.05 on the discriminator (MosaiQ's code).

Two departures from MosaiQ's code, both fixes: (1) its generator wraps the circuit output in
``torch.tensor(f)``, which detaches it, so the quantum weights never get a gradient; here the
output stays on the autograd graph (``QuantumLayer``) and the weights train. (2) It applies the
redistribution to each sub-generator's flattened (batch, n_qubits) output, which mixes samples
of a batch (it only runs because batch_size * 5 = 40 = pca_dims there); here it permutes each
sample's features, as the paper describes.

Parameters: quantum n_sub * n_layers * n_qubits = 600, discriminator 7,521: 8,121 trainable
(MosaiQ's original 8 x 5 qubits on 40 components: 240 + 3,681 = 3,921, the paper's figure).
The PCA (100 x 12,288 components, mean, coefficient range) is fitted, not trained: buffers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from qgan.models.config import QuantumConfig, quantum_config
from qgan.models.gan import GANModel, UniformNoise
from qgan.models.networks import count_parameters, param_group, with_total
from qgan.models.pca import PCA
from qgan.models.quantum import quantum_generator


@dataclass(frozen=True)
class MosaiQConfig:
    """Sizes of MosaiQ; ``quantum`` says the sub-generators (kind "mosaiq")."""

    quantum: QuantumConfig = field(default_factory=lambda: QuantumConfig(kind="mosaiq"))  # 10x10x6
    image_shape: tuple[int, int, int] = (3, 64, 64)  # (C, H, W) of the images the PCA maps to
    hidden: tuple[int, ...] = (64, 16)  # MosaiQ's MLP discriminator widths
    seed: int = 0  # randomized PCA sketch and discriminator weights

    def __post_init__(self) -> None:
        if self.quantum.kind != "mosaiq":
            raise ValueError(f"MosaiQ needs quantum.kind 'mosaiq', got {self.quantum.kind!r}")

    @property
    def n_components(self) -> int:
        """PCA components generated: one per qubit."""
        return self.quantum.n_sub * self.quantum.n_qubits

    @property
    def latent_dim(self) -> int:
        """Width of the noise: the n_qubits angles every sub-generator reads."""
        return self.quantum.n_qubits


def redistribution(n_sub: int, n_qubits: int) -> list[list[int]]:
    """MosaiQ's feature redistribution: ``order[g][q]`` is the PCA component of qubit q of g.

    Components are indexed by decreasing explained variance, D = n_sub * n_qubits of them.
    Sub-generator g gets component g (one of the n_sub leading ones) and the n_qubits - 1
    components D-1-(n_qubits-1)g, D-2-(n_qubits-1)g, ... of the tail, highest index first:

        order[g] = [g] + [D - 1 - (n_qubits - 1) * g - j  for j in 0 .. n_qubits - 2]

    MosaiQ's code writes this out for 8 x 5 (``l = [i, 39-k, 38-k, 37-k, 36-k]``, k = 4i); the
    tails of g = 0 .. n_sub - 1 tile components n_sub .. D-1, so ``order`` is a permutation.
    """
    if n_sub < 1 or n_qubits < 1:
        raise ValueError(f"need n_sub, n_qubits >= 1, got {n_sub}, {n_qubits}")
    d = n_sub * n_qubits
    return [
        [g] + [d - 1 - (n_qubits - 1) * g - j for j in range(n_qubits - 1)] for g in range(n_sub)
    ]


class MosaiQGenerator(nn.Module):
    """noise (B, n_qubits) -> scaled PCA features (B, D) -> images (B, C, H, W).

    The PCA and the coefficient range are buffers: filled by ``fit``, or by a checkpoint.
    """

    def __init__(self, cfg: MosaiQConfig, quantum: nn.Module):
        super().__init__()
        self.quantum = quantum
        self.n_sub = cfg.quantum.n_sub
        self.image_shape = tuple(cfg.image_shape)
        self.pca = PCA(math.prod(self.image_shape), cfg.n_components)
        self.register_buffer("coef_range", torch.zeros(2))  # (min, max) of training coefficients
        order = torch.tensor(redistribution(cfg.quantum.n_sub, cfg.quantum.n_qubits)).flatten()
        # feature j comes from quantum output source[j]: the inverse of the permutation ``order``
        self.register_buffer("source", torch.argsort(order), persistent=False)

    @torch.no_grad()
    def fit(self, images: torch.Tensor, seed: int = 0) -> MosaiQGenerator:
        """Fit the PCA and the coefficient range on training images (N, C, H, W)."""
        flat = images.flatten(1)
        self.pca = PCA.fit(flat, self.pca.n_components, seed)
        coefs = self.pca.transform(flat)  # (N, D)
        self.coef_range.copy_(torch.stack([coefs.min(), coefs.max()]))
        return self

    def real_features(self, images: torch.Tensor) -> torch.Tensor:
        """Scaled PCA features (B, D) in [-1, 1] (on the training set) of images (B, C, H, W)."""
        low, high = self.coef_range
        return 2 * (self.pca.transform(images.flatten(1)) - low) / (high - low) - 1

    def features(self, noise: torch.Tensor) -> torch.Tensor:
        """Generated scaled features (B, D) in [-1, 1], in PCA order, of noise (B, n_qubits)."""
        out = self.quantum(noise.repeat(1, self.n_sub))  # (B, n_sub * n_qubits) <X>, by block
        return out.index_select(1, self.source).to(self.pca.components.dtype)

    def to_images(self, features: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) in [-1, 1] of scaled features (B, D): unscale, PCA inverse."""
        low, high = self.coef_range
        coefs = low + (features + 1) * (high - low) / 2
        return self.pca.inverse_transform(coefs).view(-1, *self.image_shape).clamp(-1, 1)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return self.to_images(self.features(noise))


class MLPDiscriminator(nn.Module):
    """MosaiQ's discriminator: features (B, D) -> Linear/ReLU stack -> logits (B,)."""

    def __init__(self, n_features: int, hidden: tuple[int, ...] = (64, 16)):
        super().__init__()
        widths = (n_features, *hidden)
        layers: list[nn.Module] = []
        for w_in, w_out in zip(widths, widths[1:], strict=False):
            layers += [nn.Linear(w_in, w_out), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.Linear(widths[-1], 1))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features).flatten()  # (B,)


def build_mosaiq(
    cfg: MosaiQConfig, images: torch.Tensor
) -> tuple[MosaiQGenerator, MLPDiscriminator]:
    """(generator with its PCA fitted on ``images``, discriminator), seeded by the config."""
    generator = MosaiQGenerator(cfg, quantum_generator(cfg.quantum)).fit(images, cfg.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        discriminator = MLPDiscriminator(cfg.n_components, cfg.hidden)
    return generator, discriminator


def mosaiq_config(cfg, image_shape: tuple[int, ...]) -> MosaiQConfig:
    """The MosaiQ of a ``TrainConfig``: 10 x 10 qubits, ``--n-layers`` deep, on ``--sim``."""
    quantum = quantum_config(cfg, kind="mosaiq")
    return MosaiQConfig(quantum=quantum, image_shape=tuple(image_shape), seed=cfg.seed)


class MosaiQ(GANModel):
    """MosaiQ as the trainer runs it: D judges PCA features; images only for grids/sampling."""

    name = "mosaiq"
    config_class = MosaiQConfig

    @classmethod
    def check(cls, cfg, images: torch.Tensor) -> None:
        k = mosaiq_config(cfg, tuple(images.shape[1:])).n_components
        if len(images) <= k:
            raise ValueError(
                f"mosaiq fits a PCA of {k} components on the class's training images and needs "
                f"more than {k}; got {len(images)} (raise --limit, or 0 for all images)"
            )

    def __init__(self, cfg, images: torch.Tensor):
        self.model_config = mosaiq_config(cfg, tuple(images.shape[1:]))
        self.generator, self.discriminator = build_mosaiq(self.model_config, images)
        quantum = self.generator.quantum
        self.opt_g = torch.optim.SGD([param_group("quantum", quantum, cfg.lr_quantum)])
        self.opt_d = torch.optim.SGD(
            [param_group("discriminator", self.discriminator, cfg.lr_discriminator)]
        )
        self.noise = UniformNoise(self.model_config.latent_dim)
        self.start_game(cfg)  # "paper" only: BCE on PCA coefficients (registry)

    def real_input(self, real: torch.Tensor) -> torch.Tensor:
        return self.generator.real_features(real)  # (B, 100)

    def generate(self, noise: torch.Tensor) -> torch.Tensor:
        return self.generator.features(noise)  # (B, 100)

    def parameter_counts(self) -> dict[str, int]:
        return with_total(
            quantum=count_parameters(self.generator.quantum),
            discriminator=count_parameters(self.discriminator),
        )

    @classmethod
    def generator_for(cls, model_config: MosaiQConfig) -> MosaiQGenerator:
        """The generator with an empty PCA (the checkpoint's buffers fill it)."""
        return MosaiQGenerator(model_config, quantum_generator(model_config.quantum))

    @classmethod
    def noise_for(cls, model_config: MosaiQConfig) -> UniformNoise:
        return UniformNoise(model_config.latent_dim)
