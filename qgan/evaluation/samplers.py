"""Generated images from a checkpoint, whatever the model that wrote it.

Every model's training run writes checkpoints that carry their config (``qgan.training``), so
evaluation needs only the file: a model of ``qgan.registry.MODELS`` is sampled as
``python -m qgan.sample`` samples it (its own noise, seeded). A generator qgan does not train
(one plugged in by hand) gets a sampler of its own::

    @register_sampler("mygan")
    def _mygan(ckpt: dict, n: int, seed: int, batch_size: int) -> np.ndarray: ...

returning uint8 ``(n, H, W, C)`` images drawn with noise seeded by ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qgan.artifacts import to_uint8_images
from qgan.models.gan import checkpoint_model
from qgan.registry import MODELS

Sampler = Callable[[dict, int, int, int], np.ndarray]  # (ckpt, n, seed, batch_size) -> images
SAMPLERS: dict[str, Sampler] = {}


def register_sampler(name: str) -> Callable[[Sampler], Sampler]:
    """Decorator: ``fn`` draws the images of checkpoints whose ``config["model"]`` is ``name``."""

    def add(fn: Sampler) -> Sampler:
        SAMPLERS[name] = fn
        return fn

    return add


def generate_images(ckpt: dict, n: int, seed: int = 0, batch_size: int = 100) -> np.ndarray:
    """``n`` images uint8 ``(n, H, W, C)`` from a loaded checkpoint, by its model's sampler.

    Raises:
        ValueError: No sampler for the checkpoint's model, or one that returns wrong images.
    """
    model = checkpoint_model(ckpt)
    sampler = SAMPLERS.get(model, _trained_by_qgan if model in MODELS else None)
    if sampler is None:
        raise ValueError(
            f"no sampler for model {model!r} (known: {', '.join(sorted({*MODELS, *SAMPLERS}))}); "
            "add one with qgan.evaluation.samplers.register_sampler"
        )
    images = sampler(ckpt, n, seed, batch_size)
    if images.dtype != np.uint8 or images.ndim != 4 or len(images) != n:
        raise ValueError(
            f"the {model} sampler returned {images.dtype} {images.shape}, not uint8 ({n}, H, W, C)"
        )
    return images


def _trained_by_qgan(ckpt: dict, n: int, seed: int, batch_size: int) -> np.ndarray:
    """A model qgan trains, as ``qgan.sample`` draws it: its own noise (U[0, b) with the bound
    it ended with, or N(0, 1)) through its generator's inference path."""
    from qgan.models.sampling import sample_images

    return to_uint8_images(sample_images(ckpt, n, seed, batch_size)[0])
