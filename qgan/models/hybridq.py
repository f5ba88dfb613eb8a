"""HybridQ (Jiao et al.) as the trainer runs it: ``qgan.models.networks`` and ``qgan.models.losses``
wired up.

Per step: adaptive noise U[0, b) -> prior (the quantum generator) -> latents -> decoder -> images;
the DCGAN discriminator judges images in the run's game (``qgan.models.objectives``: the paper's
BCE, or BCE with DiffAugment); the generator side minimizes the objective of the encoder wiring
(``qgan.models.losses.generator_objective``). Adam with three learning rates: quantum, classical
(encoder and decoder) and discriminator (``qgan.registry.learning_rates``).
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from qgan.models.config import ModelConfig, dcgan_sides, quantum_config
from qgan.models.decoders import init_output_bias
from qgan.models.gan import (
    CALIBRATION_SAMPLES,
    GANModel,
    UniformNoise,
    precise_batchnorm,
)
from qgan.models.losses import generator_objective
from qgan.models.networks import (
    HybridQGenerator,
    build_generator,
    build_hybridq,
    param_groups,
    parameter_counts,
)


def model_config(cfg, images: torch.Tensor | None = None) -> ModelConfig:
    """HybridQ's ``ModelConfig`` of a ``TrainConfig``, sized for ``images`` (B, c, S, S)."""
    shape = {}
    if images is not None:
        shape = {"image_channels": int(images.shape[1]), "image_size": int(images.shape[-1])}
    quantum = quantum_config(cfg)
    return ModelConfig(
        encoder_wiring=cfg.encoder_wiring,
        seed=cfg.seed,
        quantum=quantum,
        decoder=cfg.decoder,
        decoder_width=cfg.decoder_width,
        prior=cfg.prior,
        latent_norm=not cfg.raw_latents,
        decoder_adversarial_weight=cfg.decoder_adversarial_weight,
        covariance_weight=cfg.covariance_weight,
        latent_two_sided=cfg.latent_two_sided,
        decoder_bias_init=cfg.decoder_bias_init,
        **shape,
    )


class HybridQ(GANModel):
    """HybridQ's generator, encoder (latent-match wiring) and DCGAN discriminator.

    ``cfg`` is a resolved ``TrainConfig`` (its learning rates and objective made concrete).
    """

    name = "hybridq"
    config_class = ModelConfig

    @classmethod
    def check(cls, cfg, images: torch.Tensor) -> None:
        dcgan_sides(images.shape[-1])  # the discriminator's; a ValueError naming sizes that work

    def __init__(self, cfg, images: torch.Tensor):
        self.model_config = model_config(cfg, images)
        self.generator, self.encoder, self.discriminator = build_hybridq(self.model_config)
        if self.model_config.decoder_bias_init == "data-mean":
            init_output_bias(self.generator.decoder, images)
        self.start_game(cfg)
        groups = param_groups(
            self.generator,
            self.encoder,
            self.discriminator,
            lr_quantum=cfg.lr_quantum,
            lr_classical=cfg.lr_classical,
            lr_discriminator=cfg.lr_discriminator,
        )
        betas = (cfg.beta1, 0.999)
        self.opt_g = torch.optim.Adam(groups["generator"], betas=betas)
        self.opt_d = torch.optim.Adam(groups["discriminator"], betas=betas)
        self.noise = UniformNoise(self.model_config.latent_dim)

    def modules(self) -> dict[str, nn.Module | None]:
        return {
            "generator": self.generator,
            "encoder": self.encoder,
            "discriminator": self.discriminator,
        }

    def generate(self, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(quantum latents (B, 100), decoded images (B, c, S, S)): one quantum forward."""
        latent = self.generator.latent(noise)
        return latent, self.generator.decoder(latent)

    def d_loss(self, real_in: torch.Tensor, fake: tuple) -> dict:
        return self.game.d_step(real_in, fake[1].detach())

    def g_losses(self, real_in: torch.Tensor, fake: tuple) -> dict[str, torch.Tensor]:
        losses = generator_objective(
            self.model_config,
            self.game.g_adversarial,
            self.generator.decoder,
            self.encoder,
            real_in,
            fake[0],
            fake[1],
        )
        return {f.name: getattr(losses, f.name) for f in dataclasses.fields(losses)}

    def parameter_counts(self) -> dict[str, int]:
        return parameter_counts(self.generator, self.encoder, self.discriminator)

    @torch.no_grad()
    def calibrate(self, generator: torch.Generator, n: int = CALIBRATION_SAMPLES) -> None:
        """Inference statistics: the latent standardization from ``n`` noise draws, the
        decoder's BatchNorms from a quarter of them.

        The latent norm averages over samples only (100 coordinates), the decoder's over
        samples and pixels (16 to 4096 positions per image), so n / 4 images estimate the latter
        as well; decoding all n was 40% of a quick run's time with the conv decoder.
        """
        g = self.generator
        raw = g.prior(self.noise.sample(n, generator)).to(g.decoder.fc.weight.dtype)
        precise_batchnorm(g.norm, raw)  # (n, latent_dim)
        was = g.norm.training
        g.norm.eval()  # the statistics just set, as inference will use them
        precise_batchnorm(g.decoder, g.norm(raw[: max(2, n // 4)]))
        g.norm.train(was)

    @classmethod
    def generator_for(cls, model_config: ModelConfig) -> HybridQGenerator:
        """The generator side alone: sampling needs no encoder or discriminator."""
        return build_generator(model_config)

    @classmethod
    def noise_for(cls, model_config: ModelConfig) -> UniformNoise:
        return UniformNoise(model_config.latent_dim)
