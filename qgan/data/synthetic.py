"""A synthetic lesion data set made by code, so that every job runs with no data at all.

Three classes of lesion-like blobs on skin-tone backgrounds (light to dark, with the dark corners
of a dermoscope), each with the cue dermatologists name first:

- ``NV`` (naevus): small, round, even brown, soft regular border.
- ``MEL`` (melanoma): larger, irregular border, variegated dark brown / black / blue-grey.
- ``BCC`` (basal cell carcinoma): pearly pink nodule, lighter centre, thin red vessels.

Images are seeded per class (``seed`` and the class), so a class looks the same whichever other
classes are asked for. Each image is its own lesion.
"""

from __future__ import annotations

import numpy as np

from qgan.data.core import DataConfig, LesionData, resolve_classes
from qgan.data.sets import dataset

SYNTHETIC_CLASSES = dataset("synthetic").classes
DEFAULT_PER_CLASS = 256  # images per class when no limit is given

_LIGHT_SKIN = np.array([0.96, 0.80, 0.70])
_DARK_SKIN = np.array([0.42, 0.28, 0.20])


def load_synthetic(cfg: DataConfig) -> LesionData:
    """The synthetic set of ``cfg`` (``DataSet.load`` of ``synthetic``): every image its own
    lesion."""
    images, labels, ids, names = synthetic_arrays(cfg.classes, cfg.limit, cfg.size, cfg.seed)
    return LesionData(images, labels, names, ids, ids.copy(), "synthetic")


def synthetic_arrays(
    classes: tuple[str, ...] | None, per_class: int | None, size: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Images ``(N, size, size, 3)`` uint8, labels, ids and class names, N = per_class * classes."""
    names = resolve_classes("synthetic", classes, SYNTHETIC_CLASSES)
    n = per_class or DEFAULT_PER_CLASS
    images, labels, ids = [], [], []
    for label, name in enumerate(names):
        rng = np.random.default_rng([seed, SYNTHETIC_CLASSES.index(name)])
        images.append(_draw(name, n, size, rng))
        labels.append(np.full(n, label, dtype=np.int64))
        ids += [f"{name}_{i:05d}" for i in range(n)]
    return np.concatenate(images), np.concatenate(labels), np.asarray(ids), names


def _draw(name: str, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` images of class ``name``: background, lesion colour and mask, composited."""
    axis = np.linspace(-1.0, 1.0, size)
    y, x = np.meshgrid(axis, axis, indexing="ij")  # (size, size) each
    x, y = x[None], y[None]  # (1, size, size), broadcast against (n, 1, 1) parameters
    skin = _skin(n, x, y, rng)  # (n, size, size, 3)
    radius, softness, cx, cy = _SHAPES[name](n, rng)
    theta = np.arctan2(y - cy, x - cx)
    rho = np.hypot(x - cx, y - cy)
    border = radius * _wobble(theta, n, 0.12 if name == "MEL" else 0.03, rng)
    alpha = 1.0 / (1.0 + np.exp(-(border - rho) / softness))  # (n, size, size), 1 inside
    lesion = _COLOURS[name](n, x - cx, y - cy, rho / radius, rng)
    image = skin * (1 - alpha[..., None]) + lesion * alpha[..., None]
    image += rng.normal(0.0, 0.015, image.shape)  # sensor noise
    return (np.clip(image, 0.0, 1.0) * 255).round().astype(np.uint8)


def _skin(n: int, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Skin tone from light to dark, a soft lighting gradient and dark dermoscope corners."""
    tone = rng.uniform(0.0, 1.0, (n, 1, 1, 1))
    colour = _LIGHT_SKIN * (1 - tone) + _DARK_SKIN * tone  # (n, 1, 1, 3)
    gx, gy = rng.normal(0.0, 0.05, (2, n, 1, 1))
    shade = 1.0 + gx * x + gy * y - 0.35 * np.clip(np.hypot(x, y) - 0.9, 0.0, None)
    return colour * shade[..., None]


def _wobble(theta: np.ndarray, n: int, amount: float, rng: np.random.Generator) -> np.ndarray:
    """1 + a sum of angular harmonics 2..5: a round border for small ``amount``, ragged for big."""
    result = np.ones_like(theta)  # (n, size, size)
    for k in range(2, 6):
        a = rng.normal(0.0, amount / k**0.5, (n, 1, 1))
        phase = rng.uniform(0.0, 2 * np.pi, (n, 1, 1))
        result += a * np.cos(k * theta + phase)
    return result


def _shape(low: float, high: float, softness: float, spread: float):
    def sample(n: int, rng: np.random.Generator):
        radius = rng.uniform(low, high, (n, 1, 1))
        cx, cy = rng.normal(0.0, spread, (2, n, 1, 1))
        return radius, softness, cx, cy

    return sample


_SHAPES = {
    "NV": _shape(0.22, 0.38, 0.025, 0.08),
    "MEL": _shape(0.35, 0.58, 0.02, 0.10),
    "BCC": _shape(0.28, 0.42, 0.03, 0.08),
}


def _naevus(n, dx, dy, r, rng):
    brown = np.array([0.45, 0.27, 0.15]) * rng.uniform(0.75, 1.05, (n, 1, 1, 1))
    return brown * (1.0 - 0.08 * r[..., None])  # slightly darker centre


def _melanoma(n, dx, dy, r, rng):
    dark, blue = np.array([0.22, 0.13, 0.09]), np.array([0.36, 0.39, 0.47])
    f = rng.uniform(4.0, 9.0, (2, n, 1, 1))
    p = rng.uniform(0.0, 2 * np.pi, (2, n, 1, 1))
    mix = 0.5 + 0.5 * np.sin(f[0] * dx + p[0]) * np.cos(f[1] * dy + p[1])  # (n, size, size)
    brown = np.array([0.45, 0.27, 0.15])
    patches = dark * mix[..., None] + blue * (1 - mix[..., None])
    return 0.5 * patches + 0.5 * brown * (0.6 + 0.4 * mix[..., None])


def _bcc(n, dx, dy, r, rng):
    pink = np.array([0.93, 0.58, 0.60]) * rng.uniform(0.9, 1.05, (n, 1, 1, 1))
    colour = pink * (1.08 - 0.15 * r[..., None])  # pearly: lighter in the centre
    for _ in range(3):  # telangiectasia: thin red lines across the nodule
        angle, offset = rng.uniform(0, np.pi, (n, 1, 1)), rng.normal(0.0, 0.1, (n, 1, 1))
        line = np.exp(-(((np.cos(angle) * dx + np.sin(angle) * dy - offset) / 0.012) ** 2))
        line = line * 0.8 * np.clip(1.2 - r, 0.0, 1.0)  # fading towards the border
        colour = colour * (1 - line[..., None]) + np.array([0.72, 0.12, 0.16]) * line[..., None]
    return colour


_COLOURS = {"NV": _naevus, "MEL": _melanoma, "BCC": _bcc}
