"""The data containers and their small pure helpers: config, images + labels, tensors in [-1, 1].

Everything a loader returns is a :class:`LesionData`: uint8 images ``(N, H, W, C)`` with one class
label, image id and lesion id per image. Images go to the networks through :func:`to_tensor`
(float ``(N, C, H, W)`` in [-1, 1], the range of a ``tanh`` generator, as in DCGAN).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from qgan.data.sets import DATASETS, DataError


@dataclass(frozen=True)
class DataConfig:
    """Which data set to load and how (``qgan.data.section.DataSection`` makes one of flags)."""

    dataset: str = "synthetic"  # a name in DATASETS; synthetic needs no data on disk
    data_root: str | None = None  # the data set's folder or its parent; None -> $QGAN_DATA
    classes: tuple[str, ...] | None = ("MEL", "NV", "BCC")  # case-insensitive; MNIST: digits
    size: int = 64  # images are resized to size x size pixels
    test_fraction: float = 0.2  # share of each class's images (whole lesions) held out for test
    seed: int = 0  # the train/test split and the synthetic images
    cache_dir: str | None = None  # None -> <data root>/.qgan_cache if writable, else ~/.cache/qgan
    image_dir: str | None = None  # folder of the images if not in the published place (HAM10000)
    limit: int | None = None  # at most this many images per class (first by id); synthetic: 256
    max_corrupt_fraction: float = 0.01  # more unreadable images than this share is an error

    def __post_init__(self) -> None:
        if self.dataset.lower() not in DATASETS:
            raise DataError(
                f"unknown dataset {self.dataset!r}; choose one of {', '.join(DATASETS)}"
            )
        object.__setattr__(self, "dataset", self.dataset.lower())
        if self.classes is not None:
            # Digits may come as ints ((0, 1, 2) for MNIST); names are kept as strings.
            object.__setattr__(self, "classes", tuple(str(c) for c in self.classes))
        if self.size < 4:
            raise DataError(f"size must be at least 4 pixels, got {self.size}")
        if not 0.0 < self.test_fraction < 1.0:
            raise DataError(f"test_fraction must lie in (0, 1), got {self.test_fraction}")
        if self.limit is not None and self.limit < 1:
            raise DataError(
                f"limit must be a positive number of images per class, got {self.limit}"
            )


@dataclass(frozen=True, eq=False)
class LesionData:
    """Images of one data set with their labels and ids (arrays compare by identity: eq=False).

    Attributes:
        images: ``(N, H, W, C)`` uint8; C is 3 (RGB) or 1 (MNIST).
        labels: ``(N,)`` int64 indices into ``class_names``.
        class_names: the classes, in label order.
        image_ids: ``(N,)`` str, unique.
        lesion_ids: ``(N,)`` str; an image without a known lesion is its own lesion.
        dataset: the data set's name (``DATASETS``).
        n_corrupt: images that could not be decoded and were skipped.
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    image_ids: np.ndarray
    lesion_ids: np.ndarray
    dataset: str = ""
    n_corrupt: int = 0

    def __post_init__(self) -> None:
        n = len(self.images)
        if self.images.ndim != 4 or self.images.dtype != np.uint8:
            raise ValueError(
                f"images must be uint8 (N, H, W, C), got {self.images.dtype} {self.images.shape}"
            )
        if not len(self.labels) == len(self.image_ids) == len(self.lesion_ids) == n:
            raise ValueError("images, labels, image_ids and lesion_ids differ in length")

    def __len__(self) -> int:
        return len(self.images)

    def tensor(self) -> torch.Tensor:
        """The images as float32 ``(N, C, H, W)`` in [-1, 1] (see :func:`to_tensor`)."""
        return to_tensor(self.images)

    def counts(self) -> dict[str, int]:
        """Images per class, in label order."""
        per_label = np.bincount(self.labels, minlength=len(self.class_names))
        return {name: int(n) for name, n in zip(self.class_names, per_label, strict=True)}

    def require_every_class(self) -> None:
        """A ``DataError`` unless every class kept an image (after corrupt files are dropped)."""
        for name, n in self.counts().items():
            if n == 0:
                raise DataError(
                    f"class {name} of {self.dataset} has no images; drop it from classes"
                )


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 ``(N, H, W, C)`` -> float32 ``(N, C, H, W)``, ``x / 127.5 - 1`` (0 -> -1, 255 -> 1)."""
    if images.ndim != 4 or images.dtype != np.uint8:
        raise ValueError(f"to_tensor wants uint8 (N, H, W, C), got {images.dtype} {images.shape}")
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    return x.float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Inverse of :func:`to_tensor`: float ``(N, C, H, W)`` in [-1, 1] -> uint8 ``(N, H, W, C)``."""
    x = (images.detach().float().clamp(-1.0, 1.0) + 1.0) * 127.5
    return x.round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def take(data: LesionData, index: Sequence[int] | np.ndarray) -> LesionData:
    """The images at ``index`` (same classes, same label numbers)."""
    i = np.asarray(index, dtype=np.int64)
    return LesionData(
        data.images[i],
        data.labels[i],
        data.class_names,
        data.image_ids[i],
        data.lesion_ids[i],
        data.dataset,
        data.n_corrupt,
    )


def select(data: LesionData, image_ids: Iterable[str]) -> LesionData:
    """The images with these ids, in the order given (a split's train or test ids)."""
    position = {image_id: i for i, image_id in enumerate(data.image_ids.tolist())}
    wanted = list(image_ids)
    missing = [i for i in wanted if i not in position]
    if missing:
        raise DataError(
            f"{len(missing)} image ids are not in the {data.dataset} data "
            f"(first: {missing[0]}); was the split made on other data?"
        )
    return take(data, [position[i] for i in wanted])


def class_subset(data: LesionData, cls: str | int) -> LesionData:
    """The images of one class, by name (case-insensitive) or label, for a per-class GAN.

    Labels and ``class_names`` are kept, so a label still names the same class.
    """
    label = class_label(data.class_names, cls)
    return take(data, np.flatnonzero(data.labels == label))


def class_label(class_names: Sequence[str], cls: str | int) -> int:
    """The label of class ``cls`` (a name, case-insensitive, or a label number)."""
    if isinstance(cls, (int, np.integer)) and not isinstance(cls, bool):
        if 0 <= cls < len(class_names):
            return int(cls)
    else:
        lowered = [name.lower() for name in class_names]
        if str(cls).lower() in lowered:
            return lowered.index(str(cls).lower())
    raise DataError(f"unknown class {cls!r}; this data holds {', '.join(class_names)}")


def resolve_classes(
    dataset: str, requested: Sequence[str] | None, valid: Sequence[str]
) -> tuple[str, ...]:
    """The requested classes as the data set spells them (``None``: all of ``valid``)."""
    if requested is None:
        return tuple(valid)
    if not requested:
        raise DataError(f"no classes given for {dataset}; valid classes: {', '.join(valid)}")
    by_lower = {name.lower(): name for name in valid}
    names: list[str] = []
    for cls in requested:
        name = by_lower.get(str(cls).lower())
        if name is None:
            raise DataError(
                f"unknown class {cls!r} for {dataset}; valid classes: {', '.join(valid)}"
            )
        if name not in names:
            names.append(name)
    return tuple(names)


def first_per_class(labels: np.ndarray, order: np.ndarray, limit: int | None) -> np.ndarray:
    """Indices of at most ``limit`` images per class, the first in ``order`` (e.g. sorted ids)."""
    if limit is None:
        return np.arange(len(labels))
    keep = [i for c in np.unique(labels) for i in order[labels[order] == c][:limit]]
    return np.sort(np.asarray(keep, dtype=np.int64))
