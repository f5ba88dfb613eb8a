"""The images of a hardware run: PNGs, grids and one samples.npz.

``img_NNNNN.png`` are the hardware images (decoded from the mitigated <Z>), ``grid.png`` the
first 64 of them and ``grid_simulator.png`` the simulator's images of the same noise, side by
side in the same order. samples.npz holds, for N images and latent width L:

* ``images`` uint8 (N, H, W, C) hardware images, ``sim_images`` the simulator's;
* ``noise`` float32 (N, L) noise angles U[0, ``bound``);
* ``z_raw`` (N, L) unmitigated <Z> (NaN where Runtime returns none), ``z_mitigated`` (N, L)
  the mitigated <Z> the images come from, ``z_exact`` (N, L) the exact simulator's;
* ``backend``, ``mitigation``, ``shots``, ``seed``, ``checkpoint``, ``step``.

``images`` and ``noise`` have the meaning and layout of ``python -m qgan.sample``'s samples.npz.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from qgan.artifacts import save_grid, to_uint8_images

GRID = 64  # images per grid


def write_images(
    out: Path, images: torch.Tensor, sim_images: torch.Tensor, arrays: dict, meta: dict
) -> np.ndarray:
    """PNGs, both grids and samples.npz; returns the uint8 hardware images (N, H, W, C).

    Args:
        out: Output folder.
        images, sim_images: (N, C, H, W) in [-1, 1].
        arrays: ``noise``, ``z_raw``, ``z_mitigated``, ``z_exact`` (see the module docstring).
        meta: Scalars stored beside them.
    """
    out.mkdir(parents=True, exist_ok=True)
    save_grid(images[:GRID], out / "grid.png")
    save_grid(sim_images[:GRID], out / "grid_simulator.png")
    pics, sim_pics = to_uint8_images(images), to_uint8_images(sim_images)
    width = max(5, len(str(len(pics) - 1)))
    for i, pic in enumerate(pics):
        Image.fromarray(pic.squeeze(-1) if pic.shape[-1] == 1 else pic).save(
            out / f"img_{i:0{width}d}.png"
        )
    np.savez(out / "samples.npz", images=pics, sim_images=sim_pics, **arrays, **meta)
    return pics
