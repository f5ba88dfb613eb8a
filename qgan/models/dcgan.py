"""DCGAN (Radford, Metz, Chintala 2016) at 64x64x3: HybridQ's classical baseline (Sec. 4.1).

The generator is the reference DCGAN one (PyTorch's DCGAN example): z (B, 100) as (B, 100, 1, 1) ->
ConvTranspose 4x4 stacks 1 -> 4 -> 8 -> 16 -> 32 pixels with 8, 4, 2, 1 x ngf channels, each with
BatchNorm + ReLU, then ConvTranspose 4x4/2 to 3 channels at 64x64 and Tanh. The discriminator is
``qgan.models.networks.Discriminator`` (the DCGAN one HybridQ uses too). With nz = 100, ngf = ndf =
64: generator 3,576,704 + discriminator 2,765,568 = 6,342,272 parameters, the paper's "6.3M". Noise
N(0, 1); BCE losses; Adam lr 2e-4, beta1 0.5 for both. Other image sizes mirror
``qgan.models.networks.dcgan_sides``: 28x28 digits grow 1 -> 7 -> 14 -> 28 with 2 and 1 x ngf
channels (the usual DCGAN for MNIST).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from qgan.models.config import IMAGE_SIZE, dcgan_sides
from qgan.models.gan import GANModel, GaussianNoise
from qgan.models.networks import Discriminator, count_parameters, param_group, with_total


@dataclass(frozen=True)
class DCGANConfig:
    """Sizes of the DCGAN (Radford et al.'s defaults)."""

    nz: int = 100  # noise width
    ngf: int = 64  # generator width
    ndf: int = 64  # discriminator width
    channels: int = 3  # RGB images
    image_size: int = IMAGE_SIZE  # pixels a side (``qgan.models.networks.dcgan_sides``)
    seed: int = 0  # initial weights

    @property
    def latent_dim(self) -> int:
        """Width of the noise the generator takes."""
        return self.nz


class DCGANGenerator(nn.Module):
    """z (B, nz) -> images (B, channels, S, S) in (-1, 1); DCGAN init (see ``_dcgan_init``)."""

    def __init__(
        self, nz: int = 100, ngf: int = 64, channels: int = 3, image_size: int = IMAGE_SIZE
    ):
        super().__init__()
        sides = dcgan_sides(image_size)[::-1]  # 64 px: 4, 8, 16, 32, 64
        layers: list[nn.Module] = []
        widths = (nz, *(ngf * 2**k for k in range(len(sides) - 2, -1, -1)))  # nz, 8, 4, 2, 1 x ngf
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:], strict=False)):
            kernel, stride, padding = (sides[0], 1, 0) if i == 0 else (4, 2, 1)
            layers += [
                nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ConvTranspose2d(ngf, channels, 4, 2, 1, bias=False), nn.Tanh()]  # S px
        self.nz = nz
        self.main = nn.Sequential(*layers)
        self.apply(_dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(-1, self.nz, 1, 1))  # (B, channels, S, S)


def _dcgan_init(module: nn.Module) -> None:
    """DCGAN's ``weights_init``: (transposed) conv N(0, 0.02); BatchNorm N(1, 0.02), bias 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_dcgan(cfg: DCGANConfig) -> tuple[DCGANGenerator, Discriminator]:
    """(generator, discriminator), weights drawn from ``cfg.seed`` (torch's global RNG kept)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        generator = DCGANGenerator(cfg.nz, cfg.ngf, cfg.channels, cfg.image_size)
        discriminator = Discriminator(cfg.channels, cfg.ndf, cfg.image_size)
    return generator, discriminator


class DCGAN(GANModel):
    """DCGAN as the trainer runs it: images in, images out, N(0, 1) noise."""

    name = "dcgan"
    config_class = DCGANConfig

    @classmethod
    def check(cls, cfg, images: torch.Tensor) -> None:
        dcgan_sides(images.shape[-1])  # a ValueError naming the sizes that work

    def __init__(self, cfg, images: torch.Tensor):
        channels, size = int(images.shape[1]), int(images.shape[-1])
        self.model_config = DCGANConfig(channels=channels, image_size=size, seed=cfg.seed)
        self.generator, self.discriminator = build_dcgan(self.model_config)
        betas = (cfg.beta1, 0.999)
        self.opt_g = torch.optim.Adam(
            [param_group("generator", self.generator, cfg.lr_classical)], betas=betas
        )
        self.opt_d = torch.optim.Adam(
            [param_group("discriminator", self.discriminator, cfg.lr_discriminator)], betas=betas
        )
        self.noise = GaussianNoise(self.model_config.nz)
        self.start_game(cfg)

    def generate(self, noise: torch.Tensor) -> torch.Tensor:
        return self.generator(noise)  # (B, channels, S, S)

    def parameter_counts(self) -> dict[str, int]:
        return with_total(
            generator=count_parameters(self.generator),
            discriminator=count_parameters(self.discriminator),
        )

    @classmethod
    def generator_for(cls, model_config: DCGANConfig) -> DCGANGenerator:
        cfg = model_config
        return DCGANGenerator(cfg.nz, cfg.ngf, cfg.channels, cfg.image_size)

    @classmethod
    def noise_for(cls, model_config: DCGANConfig) -> GaussianNoise:
        return GaussianNoise(model_config.nz)
