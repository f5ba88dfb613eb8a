"""HybridQ's networks: encoder, DCGAN discriminator and the hybrid generator.

HybridQ (Jiao et al., Sec. 3.1-3.2, Fig. 1) trains in a 100-dimensional latent space:

- pre-processing (``Encoder``): "a 4x4 convolution, followed by a Leaky ReLU. The feed-forward
  layers map the flattened output to 100-dimension feature space";
- quantum generator (``qgan.models.quantum``): 10 sub-generators of 10 qubits turn adaptive noise
  angles into 100 <Z> values in [-1, 1]; ``ModelConfig.prior`` swaps it for a classical map of
  the same size, or none, to measure what it adds (``qgan.models.priors``);
- post-processing (``qgan.models.decoders``): the paper's "one feed-forward layer, followed by a
  ReLU. A 3x3 convolution followed by a hyperbolic tangent function (Tanh)", or a convolutional
  decoder that upsamples (``ModelConfig.decoder``);
- discriminator: the DCGAN one (Radford et al. 2016), on 64x64 images.

How the encoder enters training is not spelled out beyond Fig. 1 ("real images pass through
pre-processing into the latent space during training; at inference noise -> quantum generator
-> post-processing"), so it is a config field, ``ModelConfig.encoder_wiring``:

- ``"latent-match"`` (default): the discriminator judges images, decoder(quantum(noise)) against
  real ones; encoder and decoder are also trained as an autoencoder on real images,
  decoder(encoder(x)) ~ x; and the quantum outputs are pulled toward the distribution of the
  encoded real latents by an MMD term. The encoder is the learned counterpart of MosaiQ's PCA,
  the decoder of its inverse, and the quantum generator learns the latent distribution of the
  real images, as MosaiQ's learns PCA coefficients; every part gets gradient and matters.
  The adversarial gradient reaches the quantum weights and the decoder, the latter scaled by
  ``decoder_adversarial_weight`` (1 by default; 0 keeps the decoder a pure autoencoder's, the
  workaround for a dead game that earlier versions used).
- ``"decoder-only"``: a plain GAN noise -> quantum -> decoder -> discriminator; the encoder is
  not built. Kept for ablations: it drops the paper's latent-space training entirely.

Latent standardization (``ModelConfig.latent_norm``, on by default): the quantum outputs and the
encoder outputs are standardized per coordinate (``BatchNorm1d`` without affine parameters; batch
statistics in training, running ones at inference, kept in the checkpoint). With noise angles in
[0, pi/8) the input states differ little, so <Z> varies by only ~0.03 across samples (measured);
a decoder fed raw <Z> values sees nearly one latent and every image comes out the same (mode
collapse, seen on MEL). Standardized, that variation is the decoder's whole input range, as
MosaiQ's outputs are rescaled to the PCA coefficients' range.

The losses of each wiring are in ``qgan.models.losses``, the adversarial game in
``qgan.models.objectives``. Sizes and parameter counts are in ``qgan.models.config.ModelConfig``;
the classical sizes keep the whole model, discriminator included, within the paper's 3.7M
parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from qgan.models.config import IMAGE_SIZE, ModelConfig, dcgan_sides
from qgan.models.decoders import ConvDecoder, PaperDecoder
from qgan.models.priors import build_prior


class Encoder(nn.Module):
    """Pre-processing: image (B, c, S, S) -> latent (B, latent_dim); S = 64 in the paper.

    4x4 convolution + LeakyReLU(0.2), flatten, one feed-forward layer, then the same latent map
    as the quantum side: standardized per coordinate (``norm=True``) or tanh into (-1, 1), the
    range of <Z>. In the latent-match wiring encoded latents are compared with the quantum
    generator's outputs and decoded by the same decoder, so both must live in the same space.
    """

    def __init__(
        self,
        latent_dim: int,
        image_channels: int,
        channels: int,
        stride: int,
        norm: bool = True,
        image_size: int = IMAGE_SIZE,
    ):
        super().__init__()
        padding = max(0, (4 - stride) // 2)  # stride 2: the DCGAN 4x4/2/1 halving; 4: patches
        self.conv = nn.Conv2d(image_channels, channels, 4, stride, padding)
        side = (image_size + 2 * padding - 4) // stride + 1
        # A bias before the standardization would be subtracted right away: none then.
        self.fc = nn.Linear(channels * side * side, latent_dim, bias=not norm)
        self.norm = nn.BatchNorm1d(latent_dim, affine=False) if norm else nn.Tanh()

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        h = nn.functional.leaky_relu(self.conv(image), 0.2)  # (B, channels, side, side)
        return self.norm(self.fc(h.flatten(1)))  # (B, latent_dim)


class Discriminator(nn.Module):
    """The DCGAN discriminator (Radford et al. 2016) -> logits (B,).

    At 64x64: conv 4x4/2 (ndf) + LeakyReLU(0.2); three conv 4x4/2 + BatchNorm + LeakyReLU(0.2)
    with 2, 4 and 8 ndf channels (64 -> 32 -> 16 -> 8 -> 4 pixels); conv 4x4 to one logit. Other
    sizes halve through ``dcgan_sides`` the same way (28: 28 -> 14 -> 7, then a 7x7 conv). No
    biases (the BatchNorms have their own), no sigmoid: the losses take logits. DCGAN init: conv
    weights N(0, 0.02), BatchNorm weights N(1, 0.02) and biases 0. ndf = 64 at 64x64x3 gives
    2,765,568 parameters.
    """

    def __init__(self, image_channels: int = 3, ndf: int = 64, image_size: int = IMAGE_SIZE):
        super().__init__()
        sides = dcgan_sides(image_size)
        layers: list[nn.Module] = [
            nn.Conv2d(image_channels, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        width = ndf
        for _ in sides[2:]:
            layers += [
                nn.Conv2d(width, width * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            width *= 2
        layers.append(nn.Conv2d(width, 1, sides[-1], 1, 0, bias=False))  # (B, 1, 1, 1)
        self.main = nn.Sequential(*layers)
        self.apply(_dcgan_init)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.main(image).flatten()  # (B,)


def _dcgan_init(module: nn.Module) -> None:
    """DCGAN's ``weights_init``: conv N(0, 0.02); BatchNorm weight N(1, 0.02), bias 0."""
    if isinstance(module, nn.Conv2d):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class HybridQGenerator(nn.Module):
    """noise angles (B, latent_dim) -> prior -> latent (standardized) -> decoder -> images.

    Args:
        prior: The quantum generator (``qgan.models.quantum.quantum_generator``) or a classical
            stand-in (``qgan.models.priors``); (B, latent_dim) -> (B, latent_dim).
        decoder: The post-processing layer (``qgan.models.decoders``).
        norm: Standardize the prior's outputs per coordinate (``ModelConfig.latent_norm``);
            off, the decoder gets them as they are (<Z> in [-1, 1]).
    """

    def __init__(self, prior: nn.Module, decoder: nn.Module, norm: bool = False):
        super().__init__()
        self.prior = prior
        self.decoder = decoder
        width = decoder.fc.in_features
        self.norm = nn.BatchNorm1d(width, affine=False) if norm else nn.Identity()
        self._register_load_state_dict_pre_hook(_legacy_prior_keys)

    def latent(self, noise: torch.Tensor) -> torch.Tensor:
        """Latents (B, latent_dim) in the decoder's dtype: the prior's, standardized if norm."""
        return self.norm(self.prior(noise).to(self.decoder.fc.weight.dtype))

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.latent(noise))  # (B, c, S, S)


def _legacy_prior_keys(state_dict, prefix, *args) -> None:
    """Checkpoints from before the priors named the quantum layer "quantum": read it as prior."""
    old = prefix + "quantum."
    for key in [k for k in state_dict if k.startswith(old)]:
        state_dict[prefix + "prior." + key[len(old) :]] = state_dict.pop(key)


def build_hybridq(
    cfg: ModelConfig,
) -> tuple[HybridQGenerator, Encoder | None, Discriminator]:
    """(generator, encoder, discriminator) of ``cfg``; the encoder is None in "decoder-only".

    Classical weights are drawn from ``cfg.seed`` without touching torch's global RNG, quantum
    weights from ``cfg.quantum.seed``. The encoder is drawn last, so both wirings start from the
    same decoder and discriminator weights.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        decoder = build_decoder(cfg)
        discriminator = Discriminator(cfg.image_channels, cfg.ndf, cfg.image_size)
        encoder = None
        if cfg.uses_encoder:
            encoder = Encoder(
                cfg.latent_dim,
                cfg.image_channels,
                cfg.encoder_channels,
                cfg.encoder_stride,
                norm=cfg.latent_norm,
                image_size=cfg.image_size,
            )
    return build_generator(cfg, decoder), encoder, discriminator


def build_generator(cfg: ModelConfig, decoder: nn.Module | None = None) -> HybridQGenerator:
    """The generator side alone (prior, latent map, decoder): what sampling needs.

    ``decoder`` None builds a fresh one (its weights are meant to be replaced by a
    checkpoint's, running statistics of the latent standardization included).
    """
    if decoder is None:
        decoder = build_decoder(cfg)
    prior = build_prior(cfg.prior, cfg.quantum, cfg.seed)
    return HybridQGenerator(prior, decoder, norm=cfg.latent_norm)


def build_decoder(cfg: ModelConfig) -> PaperDecoder | ConvDecoder:
    """The post-processing layer ``cfg.decoder`` (weights from torch's current RNG)."""
    if cfg.decoder == "paper":
        return PaperDecoder(
            cfg.latent_dim, cfg.image_channels, cfg.decoder_channels, cfg.image_size
        )
    sides = dcgan_sides(cfg.image_size)[::-1]  # 64 px: 4, 8, 16, 32, 64
    return ConvDecoder(cfg.latent_dim, cfg.image_channels, sides, cfg.decoder_width)


def param_groups(
    generator: HybridQGenerator,
    encoder: Encoder | None,
    discriminator: Discriminator,
    *,
    lr_quantum: float,
    lr_classical: float,
    lr_discriminator: float,
) -> dict[str, list[dict]]:
    """Adam parameter groups with HybridQ's learning rates, one optimizer per side.

    Returns:
        ``{"generator": [prior, decoder, encoder?], "discriminator": [discriminator]}``, each
        group a dict with "name", "params" and "lr", ready for ``torch.optim.Adam(groups)``.
        The prior trains at ``lr_quantum`` whatever its kind (the ablations change nothing
        else). The encoder's group (absent when ``encoder`` is None) sits on the generator
        side: in "latent-match" its reconstruction loss is part of the generator-side objective.
    """
    gen = [
        param_group("prior", generator.prior, lr_quantum),
        param_group("decoder", generator.decoder, lr_classical),
    ]
    if encoder is not None:
        gen.append(param_group("encoder", encoder, lr_classical))
    return {
        "generator": gen,
        "discriminator": [param_group("discriminator", discriminator, lr_discriminator)],
    }


def param_group(name: str, module: nn.Module, lr: float) -> dict:
    """An optimizer parameter group of ``module``'s trainable parameters."""
    return {"name": name, "params": [p for p in module.parameters() if p.requires_grad], "lr": lr}


def count_parameters(module: nn.Module | None, trainable_only: bool = True) -> int:
    """Number of (trainable) scalar parameters of ``module``; 0 for None."""
    if module is None:
        return 0
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def parameter_counts(
    generator: HybridQGenerator, encoder: Encoder | None, discriminator: Discriminator
) -> dict[str, int]:
    """Trainable parameters per part: encoder, prior, decoder, discriminator and total."""
    return with_total(
        encoder=count_parameters(encoder),
        prior=count_parameters(generator.prior),
        decoder=count_parameters(generator.decoder),
        discriminator=count_parameters(discriminator),
    )


def with_total(**counts: int) -> dict[str, int]:
    """Parameter counts by part, plus their ``total``: every model's ``parameter_counts``."""
    return counts | {"total": sum(counts.values())}
