"""Classical augmentation, batched on tensors: the reference rows of both experiments.

* Lesions (HybridQ's "classical augmentation" reference): per image, random horizontal and
  vertical flips, a rotation by a random multiple of 90 degrees (dermoscopy has no up; these are
  exact, no interpolation), and colour jitter of brightness, contrast and saturation.
* Digits (arXiv:2505.24780's traditional baseline): rotation by a uniform angle in +-degrees
  (digits do have an up, so small angles), bilinear, background filled with -1 (black).

Images are float ``(B, C, H, W)`` in [-1, 1]; every draw comes from the ``torch.Generator`` passed
in, so an augmented epoch is reproducible from the seed.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

JITTER = 0.2  # brightness, contrast and saturation factors drawn in [1 - J, 1 + J]


def _uniform(n: int, low: float, high: float, gen: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=gen)


def _where(mask: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.where(mask.view(-1, 1, 1, 1), a, b)


def flips_and_quarter_turns(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Each image flipped left-right and up-down with probability 1/2, turned k*90 degrees."""
    n = len(x)
    x = _where(torch.rand(n, generator=gen) < 0.5, x.flip(-1), x)
    x = _where(torch.rand(n, generator=gen) < 0.5, x.flip(-2), x)
    if x.shape[-1] != x.shape[-2]:
        return x  # quarter turns need square images
    k = torch.randint(0, 4, (n,), generator=gen)
    out = x.clone()
    for turns in (1, 2, 3):
        mask = k == turns
        if mask.any():
            out[mask] = torch.rot90(x[mask], turns, dims=(-2, -1))
    return out


def color_jitter(x: torch.Tensor, gen: torch.Generator, amount: float = JITTER) -> torch.Tensor:
    """Brightness, contrast and saturation scaled by factors in [1 - amount, 1 + amount]."""
    n = len(x)
    img = (x + 1.0) / 2.0  # [0, 1]
    img = img * _uniform(n, 1 - amount, 1 + amount, gen).view(-1, 1, 1, 1)
    mean = img.mean(dim=(1, 2, 3), keepdim=True)
    img = mean + (img - mean) * _uniform(n, 1 - amount, 1 + amount, gen).view(-1, 1, 1, 1)
    if img.shape[1] == 3:
        gray = (img * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        img = gray + (img - gray) * _uniform(n, 1 - amount, 1 + amount, gen).view(-1, 1, 1, 1)
    return img.clamp(0.0, 1.0) * 2.0 - 1.0


def lesion_augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """HybridQ's classical reference: flips, quarter turns, colour jitter (see module doc)."""
    return color_jitter(flips_and_quarter_turns(x, gen), gen)


def rotate(x: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Image i rotated by ``degrees[i]`` (counter-clockwise) about its centre; -1 outside."""
    theta = degrees.to(x.dtype) * (math.pi / 180.0)
    cos, sin = torch.cos(theta), torch.sin(theta)
    zero = torch.zeros_like(cos)
    # affine_grid maps output to input coordinates (x right, y down): (B, 2, 3)
    matrix = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    grid = F.affine_grid(matrix, list(x.shape), align_corners=False)
    # shift by +1 so that zero padding means -1 (black) in the images' range
    return F.grid_sample(x + 1.0, grid, mode="bilinear", align_corners=False) - 1.0


def random_rotation(x: torch.Tensor, max_degrees: float, gen: torch.Generator) -> torch.Tensor:
    """Each image rotated by a uniform angle in [-max_degrees, max_degrees]."""
    return rotate(x, _uniform(len(x), -max_degrees, max_degrees, gen))
