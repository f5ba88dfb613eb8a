"""Generated images from a checkpoint alone, for any model: what ``python -m qgan.sample``,
the evaluation, the augmentation experiments and hardware inference share.

The checkpoint (a run's ``last.pt``, an ``epochNNN.pt`` snapshot, or a run folder for its
``last.pt``) carries its config (``config["model"]``: hybridq, dcgan or mosaiq), the generator's
model config and weights, and the state of its noise (nanoGPT's train.py/sample.py habit):
HybridQ and MosaiQ draw noise angles U[0, b) with the adaptive bound b they ended with, DCGAN
N(0, 1). HybridQ follows its inference path (Jiao et al., Fig. 1): noise -> quantum generator
-> post-processing; MosaiQ: noise -> quantum sub-generators -> PCA inverse transform. It writes
``img_00000.png ...``, one ``samples.npz`` (uint8 images (N, H, W, C), the noise, its kind, b
for uniform noise, the checkpoint and its step) and ``grid.png`` of the first 64 images.

    python -m qgan.sample --checkpoint runs/hybridq-isic2019-MEL --n 1000 --out samples/mel

In code, ``sample_images(ckpt, n, seed)`` gives the images of a loaded checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn
from tqdm import tqdm

from qgan.artifacts import save_grid, to_uint8_images
from qgan.checkpoint import load_checkpoint
from qgan.models.config import SampleConfig
from qgan.models.gan import (
    Noise,
    UniformNoise,
    checkpoint_model,
    checkpoint_model_config,
    gan_class,
    on_engine,
)
from qgan.models.noise import AdaptiveNoise

GRID = 64  # images in grid.png
_KEYS = ("model_config", "generator", "noise")  # what a checkpoint needs for sampling


def sample(cfg: SampleConfig) -> Path:
    """Write ``cfg.n`` generated images of ``cfg.checkpoint`` to the folder ``cfg.out``; returns
    it. The same ``cfg.seed`` gives the same images, whatever ``cfg.batch_size``; ``cfg.sim``
    (empty: the checkpoint's) and ``cfg.device`` say where a quantum layer is simulated.

    Raises:
        FileNotFoundError: No checkpoint at ``cfg.checkpoint``.
        ValueError: Not a qgan generator checkpoint, or ``cfg.out`` already holds samples.
    """
    out = Path(cfg.out)
    if (out / "samples.npz").exists() or any(out.glob("img_*.png")):
        raise ValueError(f"{out} already holds samples; choose a new --out")
    ckpt = load_checkpoint(cfg.checkpoint)
    engine = {"sim": cfg.sim or None, "device": cfg.device}
    images, noise = sample_images(ckpt, cfg.n, cfg.seed, cfg.batch_size, **engine)
    step = int(ckpt.get("position", {}).get("step", -1))
    source = checkpoint_noise(ckpt)
    return write_samples(out, images, noise, source, cfg.checkpoint, step, cfg.seed)


def sample_images(
    ckpt: dict,
    n: int,
    seed: int = 0,
    batch_size: int = 64,
    sim: str | None = None,
    device: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(images (n, C, H, W) in [-1, 1], noise (n, latent)) of a loaded checkpoint, any model.

    The noise is the model's own kind, drawn all at once from a generator seeded ``seed``, so
    the images do not depend on ``batch_size``.
    """
    generator, _ = load_generator(ckpt, sim, device)
    noise = checkpoint_noise(ckpt).sample(n, torch.Generator().manual_seed(seed))
    return generate(generator, noise, batch_size), noise


def load_generator(
    ckpt: dict, sim: str | None = None, device: str | None = None
) -> tuple[nn.Module, Any]:
    """(generator in eval mode, its model config) of a loaded checkpoint, any model.

    Only the generator side is built (no discriminator, no encoder), with placeholder weights
    that the checkpoint's replace. ``sim`` and ``device`` replace the simulator and engine device
    of a quantum model's layer (None: the checkpoint's own); a classical model has none.
    """
    missing = [k for k in _KEYS if k not in ckpt]
    if missing:
        raise ValueError(f"checkpoint has no {', '.join(missing)}: not a qgan generator checkpoint")
    model_cfg = on_engine(checkpoint_model_config(ckpt), sim, device)
    generator = gan_class(checkpoint_model(ckpt)).generator_for(model_cfg)
    try:
        generator.load_state_dict(ckpt["generator"])
    except RuntimeError as exc:  # torch lists every key; the first line says enough
        first = str(exc).splitlines()[0]
        raise ValueError(f"generator weights do not fit its model_config: {first}") from None
    return generator.eval(), model_cfg


def checkpoint_noise(ckpt: dict) -> Noise:
    """The noise source a checkpoint's generator trained with, in its saved state (bound b)."""
    source = gan_class(checkpoint_model(ckpt)).noise_for(checkpoint_model_config(ckpt))
    source.load_state_dict(ckpt["noise"])
    return source


def draw_noise(n: int, latent_dim: int, bound: float, seed: int) -> torch.Tensor:
    """Noise angles (n, latent_dim) float32, i.i.d. U[0, bound), from a generator seeded ``seed``.

    All n rows are drawn at once, so the images do not depend on the batch size.
    """
    gen = torch.Generator().manual_seed(seed)
    return AdaptiveNoise(bound).sample(n, latent_dim, gen)


@torch.no_grad()
def generate(generator: nn.Module, noise: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Images (N, C, H, W) in [-1, 1] of noise (N, latent), ``batch_size`` rows at a time."""
    batches = noise.split(batch_size)
    bar = tqdm(total=len(noise), unit="img", dynamic_ncols=True, disable=len(batches) <= 1)
    images = []
    for batch in batches:
        images.append(generator(batch))
        bar.update(len(batch))
    bar.close()
    return torch.cat(images)


def write_samples(
    out: Path,
    images: torch.Tensor,
    noise: torch.Tensor,
    source: Noise,
    checkpoint: str,
    step: int,
    seed: int,
) -> Path:
    """``img_NNNNN.png`` per image (N, C, H, W) in [-1, 1], ``samples.npz`` and ``grid.png``."""
    out.mkdir(parents=True, exist_ok=True)
    save_grid(images[:GRID], out / "grid.png")
    images = to_uint8_images(images)  # (N, H, W, C) uint8
    width = max(5, len(str(len(images) - 1)))
    for i, pic in enumerate(images):
        Image.fromarray(pic.squeeze(-1) if pic.shape[-1] == 1 else pic).save(
            out / f"img_{i:0{width}d}.png"
        )
    bound = {"bound": source.bound} if isinstance(source, UniformNoise) else {}
    np.savez(
        out / "samples.npz",
        images=images,
        noise=noise.numpy(),
        noise_kind=source.kind,
        checkpoint=checkpoint,
        step=step,
        seed=seed,
        **bound,
    )
    return out
