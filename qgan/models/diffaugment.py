"""Differentiable augmentation of everything the discriminator sees (Zhao et al., NeurIPS 2020).

With a few hundred training images (ISIC 2019 MEL: 890, BCC: 411) a discriminator memorizes the
real set within a few hundred steps, separates it from any generated image, and its gradient
stops carrying information: the "dead game" measured on HybridQ. DiffAugment applies the same
random, differentiable transformations to real and generated batches, on both the
discriminator's and the generator's step, so D never sees the raw training images and the
generator's gradient passes through the transformation. Because the generated images are
augmented too, the augmentations do not leak into the generated distribution.

Policies (comma-separated names, applied in order, each with fresh randomness per image):

- ``flip``: horizontal flip with probability 1/2. Dermoscopy has no canonical orientation, so
  this one could even be a plain data augmentation; here it stays inside D like the others.
- ``rot90``: rotation by 0, 90, 180 or 270 degrees (square images), for the same reason.
- ``color``: brightness + U(-0.5, 0.5), saturation x U(0, 2) around the per-pixel channel mean,
  contrast x U(0.5, 1.5) around the image mean (images in [-1, 1]).
- ``translation``: integer shifts of up to 1/8 of the side in x and y, zero (grey) padding.
- ``cutout``: one square of half the side, at a random place, set to 0.

``augment(x, policy, generator, p)`` takes images (B, C, H, W) and a ``torch.Generator``, so a
run stays reproducible and resumable (the trainer passes its own stream); each transform reaches
each image with probability ``p`` (1: DiffAugment; below 1: the adaptive scheme of StyleGAN2-ADA,
``qgan.models.objectives``).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


def _uniform(x: torch.Tensor, generator: torch.Generator, low: float, high: float):
    """U(low, high) per image, shaped (B, 1, 1, 1) to broadcast over C, H, W."""
    u = torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=generator.device)
    return (low + (high - low) * u).to(device=x.device, dtype=x.dtype)


def flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror each image left-right with probability 1/2."""
    mask = _uniform(x, generator, 0.0, 1.0) < 0.5  # (B, 1, 1, 1)
    return torch.where(mask, x.flip(-1), x)


def color(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random brightness, saturation and contrast, in DiffAugment's ranges."""
    x = x + _uniform(x, generator, -0.5, 0.5)
    mean = x.mean(dim=1, keepdim=True)  # (B, 1, H, W): the grey level of each pixel
    x = (x - mean) * _uniform(x, generator, 0.0, 2.0) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)  # (B, 1, 1, 1)
    return (x - mean) * _uniform(x, generator, 0.5, 1.5) + mean


def rot90(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Rotate each square image by a random multiple of 90 degrees."""
    k = torch.randint(0, 4, (x.shape[0],), generator=generator, device=generator.device)
    out = x
    for turns in (1, 2, 3):
        mask = (k == turns).to(x.device).view(-1, 1, 1, 1)
        out = torch.where(mask, x.rot90(turns, dims=(2, 3)), out)
    return out


def translation(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.125):
    """Shift each image by integers in [-ratio * side, ratio * side], grey (0) where emptied."""
    b, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sy, sy + 1, (b, 1, 1), generator=generator, device=generator.device)
    dx = torch.randint(-sx, sx + 1, (b, 1, 1), generator=generator, device=generator.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1) - dy.to(x.device)  # (B, H, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w) - dx.to(x.device)  # (B, 1, W)
    inside = ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)).unsqueeze(1)  # (B, 1, H, W)
    flat = (rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)).flatten(1)  # (B, H*W) source pixel
    index = flat.unsqueeze(1).expand(-1, x.shape[1], -1)  # (B, C, H*W)
    moved = x.flatten(2).gather(2, index).view_as(x)
    return moved * inside


def cutout(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """Set one square of ``ratio`` x side per image, centred anywhere, to 0 (grey)."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h + (1 - ch % 2), (b, 1, 1), generator=generator, device=generator.device)
    cx = torch.randint(0, w + (1 - cw % 2), (b, 1, 1), generator=generator, device=generator.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1) - (cy.to(x.device) - ch // 2)
    cols = torch.arange(w, device=x.device).view(1, 1, w) - (cx.to(x.device) - cw // 2)
    hole = (rows >= 0) & (rows < ch) & (cols >= 0) & (cols < cw)  # (B, H, W)
    return x * ~hole.unsqueeze(1)


TRANSFORMS: dict[str, Transform] = {
    "flip": flip,
    "rot90": rot90,
    "color": color,
    "translation": translation,
    "cutout": cutout,
}


def parse_policy(policy: str) -> tuple[str, ...]:
    """``"color,translation"`` -> ("color", "translation"); ValueError naming unknown names."""
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [n for n in names if n not in TRANSFORMS]
    if unknown:
        raise ValueError(
            f"unknown augmentation {', '.join(unknown)}; choose from {', '.join(TRANSFORMS)}"
        )
    return names


def augment(
    x: torch.Tensor, policy: tuple[str, ...], generator: torch.Generator, p: float = 1.0
) -> torch.Tensor:
    """``x`` (B, C, H, W) through the transforms of ``policy``, each applied to each image with
    probability ``p``; ``x`` itself if the policy is empty or ``p`` is 0."""
    if p <= 0:
        return x
    for name in policy:
        moved = TRANSFORMS[name](x, generator)
        if p < 1:
            u = torch.rand(x.shape[0], generator=generator, device=generator.device)
            moved = torch.where((u < p).to(x.device).view(-1, 1, 1, 1), moved, x)
        x = moved
    return x
