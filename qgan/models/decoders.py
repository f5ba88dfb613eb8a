"""HybridQ's post-processing layer: latent (B, latent_dim) -> image (B, c, S, S) in (-1, 1).

Two decoders, chosen by ``ModelConfig.decoder``:

- ``paper`` (``PaperDecoder``): the paper's words (Jiao et al., Sec. 3.1) read literally: "one
  feed-forward layer, followed by a ReLU. A 3x3 convolution followed by a hyperbolic tangent".
  The feed-forward layer goes straight to (C, S, S), so each image is a near-linear function of
  the 100 latent numbers: measured on MEL after 25 epochs, encoder-then-decoder reconstructions
  of unseen images were blurred blobs (MSE 0.048, image-gradient energy 0.43x the real images').
- ``conv`` (``ConvDecoder``): feed-forward to a small feature map at the DCGAN's last side
  (4x4 at 64 px, 7x7 at 28 px), then per doubling of the side a nearest-neighbour upsampling, a
  3x3 convolution, BatchNorm and ReLU, and a 3x3 convolution + tanh to the image. Upsampling
  then convolving, rather than a transposed convolution, avoids the checkerboard artifacts of
  strided transposed convolutions (Odena, Dumoulin, Olah 2016), the artifacts that DCGAN's
  samples carry here. Channels halve as the side doubles, from ``8 * width`` (capped) at the
  smallest map to ``width`` at full size; at 64 px and width 16 that is 128-128-64-32-16
  channels and 450,195 parameters, within the paper's budget for the generator side (~0.93M
  with the encoder and the quantum weights, so the whole model stays at its 3.7M).

Both start from DCGAN's N(0, 0.02) init, so the first images are tanh(output bias) everywhere:
``init_output_bias`` puts that bias at the class's mean colour.
"""

from __future__ import annotations

import torch
from torch import nn


class PaperDecoder(nn.Module):
    """The paper's post-processing: fc to (C, S, S) + ReLU, 3x3 conv + tanh, no upsampling.

    The feed-forward layer holds almost all parameters, ~latent_dim * C * S^2; C = 2 (827k at
    64 px) is what brings the whole model, discriminator included, to the paper's 3.7M.
    """

    def __init__(self, latent_dim: int, image_channels: int, channels: int, image_size: int):
        super().__init__()
        self.channels, self.image_size = channels, image_size
        self.fc = nn.Linear(latent_dim, channels * image_size * image_size)
        self.conv = nn.Conv2d(channels, image_channels, 3, padding=1)
        # DCGAN's init. torch's default, uniform within 1/sqrt(fan_in), starts the 8192 pixels as
        # a loud random texture that the paper's lr 2e-4 needs hundreds of steps to erase; an
        # autoencoder on MEL reached MSE 0.042 in 300 steps with this init (torch's: 0.049
        # after 500).
        for layer in (self.fc, self.conv):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            nn.init.zeros_(layer.bias)

    @property
    def output(self) -> nn.Conv2d:
        """The last convolution, whose bias sets the first images' colour."""
        return self.conv

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        side = self.image_size
        h = torch.relu(self.fc(latent)).view(-1, self.channels, side, side)
        return torch.tanh(self.conv(h))  # (B, image_channels, S, S)


def conv_widths(sides: list[int], width: int) -> list[int]:
    """Channels per side of ``sides`` (smallest first): ``width`` at full size, doubling as the
    side halves, capped at 8 * width (DCGAN's generator: 8, 4, 2, 1 x ngf)."""
    n = len(sides)
    return [width * min(8, 2 ** (n - 1 - i)) for i in range(n)]


class ConvDecoder(nn.Module):
    """fc -> (w0, s0, s0) + BN + ReLU -> [upsample x2, conv 3x3, BN, ReLU]* -> conv 3x3 + tanh.

    Args:
        latent_dim: Width of the latent.
        image_channels: c of the images.
        sides: Sides from the first feature map to the image, e.g. [4, 8, 16, 32, 64].
        width: Channels at full size (see ``conv_widths``).
    """

    def __init__(self, latent_dim: int, image_channels: int, sides: list[int], width: int):
        super().__init__()
        widths = conv_widths(sides, width)
        self.start = (widths[0], sides[0])
        self.fc = nn.Linear(latent_dim, widths[0] * sides[0] ** 2, bias=False)
        blocks: list[nn.Module] = [nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True)]
        for c_in, c_out in zip(widths, widths[1:], strict=False):
            blocks += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
            ]
        self.blocks = nn.Sequential(*blocks)
        self.conv = nn.Conv2d(widths[-1], image_channels, 3, padding=1)
        self.apply(_dcgan_init)

    @property
    def output(self) -> nn.Conv2d:
        """The last convolution, whose bias sets the first images' colour."""
        return self.conv

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        channels, side = self.start
        h = self.fc(latent).view(-1, channels, side, side)  # (B, w0, s0, s0)
        return torch.tanh(self.conv(self.blocks(h)))  # (B, image_channels, S, S)


def _dcgan_init(module: nn.Module) -> None:
    """DCGAN's init: conv and linear weights N(0, 0.02), zero biases; BatchNorm N(1, 0.02), 0."""
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


@torch.no_grad()
def init_output_bias(decoder: PaperDecoder | ConvDecoder, images: torch.Tensor) -> None:
    """Start the decoder's output at the data's mean colour: output bias = atanh(channel mean).

    With N(0, 0.02) weights the decoder's first images are near tanh(bias) everywhere, and at
    lr 2e-4 Adam moves a bias by about 2e-4 per step: from 0 the output needs thousands of steps
    to reach, e.g., MNIST's black (-1) background (seen on 28x28 digits after 600 steps: grey
    backgrounds with 0, black ones with this init). ``images`` (N, c, S, S) in [-1, 1]; the mean
    is clamped to +-0.95 to keep atanh finite.
    """
    mean = images.mean(dim=(0, 2, 3)).clamp(-0.95, 0.95)
    decoder.output.bias.copy_(torch.atanh(mean).to(decoder.output.bias.dtype))
