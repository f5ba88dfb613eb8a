"""Generated images from a checkpoint, whatever the model: one sampler per ``config["model"]``.

Every model's training run writes checkpoints that carry their config (``qgan.training.trainer``),
so evaluation needs only the file. A new model plugs in with::

    @register_sampler("dcgan")
    def _dcgan(ckpt: dict, n: int, seed: int, batch_size: int) -> np.ndarray: ...

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
    model = checkpoint_model(ckpt)
    if model not in SAMPLERS:
        raise ValueError(
            f"no sampler for model {model!r} (known: {', '.join(sorted(SAMPLERS))}); "
            "add one with qgan.evaluation.samplers.register_sampler"
        )
    images = SAMPLERS[model](ckpt, n, seed, batch_size)
    if images.dtype != np.uint8 or images.ndim != 4 or len(images) != n:
        raise ValueError(
            f"the {model} sampler returned {images.dtype} {images.shape}, not uint8 ({n}, H, W, C)"
        )
    return images


@register_sampler("hybridq")
def _hybridq(ckpt: dict, n: int, seed: int, batch_size: int) -> np.ndarray:
    """HybridQ's inference path: U[0, b) noise angles -> quantum generator -> decoder."""
    from qgan.models.sampling import draw_noise, generate, load_generator

    generator, model_cfg = load_generator(ckpt)
    noise = draw_noise(n, model_cfg.latent_dim, float(ckpt["noise"]["bound"]), seed)
    return to_uint8_images(generate(generator, noise, batch_size))


@register_sampler("dcgan")
@register_sampler("mosaiq")
def _baseline(ckpt: dict, n: int, seed: int, batch_size: int) -> np.ndarray:
    """The baselines through ``qgan.sample``: each model's own noise (N(0, 1) or U[0, b))."""
    from qgan.models.sampling import sample_images

    return to_uint8_images(sample_images(ckpt, n, seed, batch_size)[0])
