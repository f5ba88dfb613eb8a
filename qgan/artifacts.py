"""What a run writes besides checkpoints: metrics lines, sample grids, the loss curve; and the
one way every cache and checkpoint file is written whole (``atomic_path``)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path`` (its folder created) for the block to write to, renamed
    onto ``path`` when the block ends without error and removed when it raises: a reader never
    sees half a file, and two processes writing the same path each write their own."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def append_metrics(path: Path, record: dict) -> None:
    """One JSON line per step (StyleGAN2-ADA's habit): easy to tail, plot and resume."""
    with path.open("a") as f:
        f.write(json.dumps(record) + "\n")


def read_metrics(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def truncate_metrics(path: Path, step: int) -> None:
    """Drop lines after ``step`` (steps a resumed run is about to redo)."""
    kept = [r for r in read_metrics(path) if r.get("step", 0) <= step]
    path.write_text("".join(json.dumps(r) + "\n" for r in kept))


def to_uint8_images(images: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> (N, H, W, C) uint8 (C = 1 or 3)."""
    x = ((images.detach().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


def save_grid(images: torch.Tensor, path: Path, columns: int = 8) -> Path:
    """Tile (N, C, H, W) images in [-1, 1] into one PNG, ``columns`` per row, 2-pixel gaps."""
    pics = to_uint8_images(images)
    n, h, w, c = pics.shape
    rows = -(-n // columns)
    grid = np.full((rows * (h + 2) + 2, columns * (w + 2) + 2, c), 255, dtype=np.uint8)
    for i, pic in enumerate(pics):
        r, col = divmod(i, columns)
        grid[2 + r * (h + 2) : 2 + r * (h + 2) + h, 2 + col * (w + 2) : 2 + col * (w + 2) + w] = pic
    Image.fromarray(grid.squeeze(-1) if c == 1 else grid).save(path)
    return path


def save_loss_curve(metrics: list[dict], path: Path) -> Path | None:
    """Discriminator and generator losses and the noise bound against steps, as a PNG.

    Runs whose noise has no adaptive bound (DCGAN's N(0, 1)) get the losses panel alone.
    """
    if not metrics:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [m["step"] for m in metrics]
    bounded = any("noise_bound" in m for m in metrics)
    if bounded:
        fig, (ax, ax_b) = plt.subplots(2, 1, figsize=(7, 5), sharex=True, height_ratios=(3, 1))
    else:
        fig, ax = plt.subplots(figsize=(7, 4))
    curves = {
        "d_loss": "discriminator",
        "g_adversarial": "generator (adversarial)",
        "g_latent": "latent MMD$^2$",
        "g_reconstruction": "reconstruction",
    }
    for key, label in curves.items():
        if any(key in m for m in metrics):
            ax.plot(steps, [m.get(key, np.nan) for m in metrics], label=label, lw=1)
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    if bounded:
        ax_b.plot(steps, [m.get("noise_bound", np.nan) for m in metrics], color="k", lw=1)
        ax_b.set_ylabel("noise bound b")
    (ax_b if bounded else ax).set_xlabel("step")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
