"""Generated images from a checkpoint, whatever the model.

Every model's training run writes checkpoints that carry their config (``qgan.trainer``), so
evaluation needs only the file: every model of ``qgan.registry`` samples through
``qgan.generation.sample_images`` (its own noise, its generator). A model that samples
differently can plug in its own::

    @register_sampler("mymodel")
    def _mine(ckpt: dict, n: int, seed: int, batch_size: int) -> np.ndarray: ...

returning uint8 ``(n, H, W, C)`` images drawn with noise seeded by ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qgan.artifacts import to_uint8_images

Sampler = Callable[[dict, int, int, int], np.ndarray]  # (ckpt, n, seed, batch_size) -> images
SAMPLERS: dict[str, Sampler] = {}


def register_sampler(name: str) -> Callable[[Sampler], Sampler]:
    """Decorator: ``fn`` draws the images of checkpoints whose ``config["model"]`` is ``name``."""

    def add(fn: Sampler) -> Sampler:
        SAMPLERS[name] = fn
        return fn

    return add


def checkpoint_model(ckpt: dict) -> str:
    """The model a checkpoint was trained as (runs before ``--model`` existed were HybridQ)."""
    return str(ckpt.get("config", {}).get("model", "hybridq"))


def generate_images(ckpt: dict, n: int, seed: int = 0, batch_size: int = 100) -> np.ndarray:
    """``n`` images uint8 ``(n, H, W, C)`` from a loaded checkpoint, by its model's sampler.

    Raises:
        ValueError: No sampler for the checkpoint's model, or one that returns wrong images.
    """
    from qgan.registry import MODELS

    model = checkpoint_model(ckpt)
    if model not in SAMPLERS and model not in MODELS:
        raise ValueError(
            f"no sampler for model {model!r} (known: {', '.join(sorted({*SAMPLERS, *MODELS}))}); "
            "add one with qgan.evaluation.samplers.register_sampler"
        )
    images = SAMPLERS.get(model, _registered)(ckpt, n, seed, batch_size)
    if images.dtype != np.uint8 or images.ndim != 4 or len(images) != n:
        raise ValueError(
            f"the {model} sampler returned {images.dtype} {images.shape}, not uint8 ({n}, H, W, C)"
        )
    return images


def _registered(ckpt: dict, n: int, seed: int, batch_size: int) -> np.ndarray:
    """A model of ``qgan.registry``: its own noise (N(0, 1), or U[0, b) with the saved adaptive
    bound b), its generator; for HybridQ noise -> prior -> post-processing (Jiao et al., Fig. 1)."""
    from qgan.generation import sample_images

    return to_uint8_images(sample_images(ckpt, n, seed, batch_size)[0])
