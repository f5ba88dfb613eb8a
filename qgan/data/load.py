"""``load_dataset(cfg)``: any supported data set -> :class:`LesionData` at ``cfg.size`` pixels.

Image-file data sets (ISIC 2019, HAM10000, Fitzpatrick17k) are indexed from their CSVs, decoded
once with a progress bar, and cached on disk; array data sets (MNIST, DermaMNIST) are read and
resized directly; the synthetic set is drawn. Bad input raises one-line :class:`DataError`\\ s.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from qgan.data.arrays import (
    DERMAMNIST_CLASSES,
    MNIST_CLASSES,
    dermamnist_arrays,
    dermamnist_file,
    download_dermamnist,
    mnist_arrays,
    resize_square,
)
from qgan.data.cache import cache_key, file_signature, load_cached, save_cached
from qgan.data.core import DataConfig, DataError, LesionData, first_per_class, resolve_classes
from qgan.data.images import decode_images
from qgan.data.roots import ENV_VAR, cache_folder, given_root, resolve_root
from qgan.data.split import Split, split_by_lesion, train_test
from qgan.data.synthetic import SYNTHETIC_CLASSES, synthetic_arrays
from qgan.data.tables import CLASSES, ROWS, ImageIndex, build_index, image_dirs

log = logging.getLogger(__name__)
PAPER_CLASSES = ("MEL", "NV", "BCC")  # HybridQ's three lesion classes (Jiao et al., Sec. 4)


def dataset_classes(dataset: str) -> tuple[str, ...]:
    """Every class of ``dataset``, spelled as the data set spells it."""
    every = CLASSES | {"mnist": MNIST_CLASSES, "dermamnist": DERMAMNIST_CLASSES,
                       "synthetic": SYNTHETIC_CLASSES}  # fmt: skip
    if dataset not in every:
        raise DataError(f"unknown dataset {dataset!r}; choose one of {', '.join(every)}")
    return tuple(every[dataset])


def default_classes(dataset: str) -> tuple[str, ...]:
    """The classes in play when none are named: the paper's MEL, NV, BCC where ``dataset`` has
    them (ISIC 2019, HAM10000, DermaMNIST, synthetic), else all of its classes (Fitzpatrick17k:
    benign, malignant, non-neoplastic; MNIST: the ten digits)."""
    every = dataset_classes(dataset)
    return PAPER_CLASSES if set(PAPER_CLASSES) <= set(every) else every


def load_dataset(cfg: DataConfig) -> LesionData:
    """The images of ``cfg.dataset``'s classes ``cfg.classes``, resized to ``cfg.size``.

    Raises:
        DataError: missing folder, file or class, or too many unreadable images.
    """
    if cfg.dataset == "synthetic":
        images, labels, ids, names = synthetic_arrays(cfg.classes, cfg.limit, cfg.size, cfg.seed)
        return LesionData(images, labels, names, ids, ids.copy(), "synthetic")
    if cfg.dataset in ("mnist", "dermamnist"):
        return _load_arrays(cfg)
    return _load_files(load_index(cfg), cfg)


def load_train_test(cfg: DataConfig) -> tuple[LesionData, LesionData, Split]:
    """:func:`load_dataset` split by lesion with ``cfg.test_fraction`` and ``cfg.seed``."""
    data = load_dataset(cfg)
    split = split_by_lesion(data, cfg.test_fraction, cfg.seed)
    return (*train_test(data, split), split)


def load_index(cfg: DataConfig) -> ImageIndex:
    """Image paths, labels and lesion ids of an image-file data set, without decoding images.

    Cheap (CSV + folder listing): use it to count images or make a split before decoding.
    """
    if cfg.dataset not in ROWS:
        raise DataError(
            f"{cfg.dataset} is not an image-file data set ({', '.join(ROWS)}); use load_dataset"
        )
    root = resolve_root(cfg.dataset, cfg.data_root)
    folders = image_dirs(cfg.dataset, root, cfg.image_dir, cfg.data_root)
    return build_index(cfg.dataset, root, ROWS[cfg.dataset](root), cfg.classes, folders, cfg.limit)


def _load_files(index: ImageIndex, cfg: DataConfig) -> LesionData:
    """Decode the indexed images, or read them from the cache written the first time."""
    files = [
        (*file_signature(path), label, lesion)
        for path, label, lesion in zip(
            index.paths, index.labels.tolist(), index.lesion_ids.tolist(), strict=True
        )
    ]
    key = cache_key(cfg.dataset, index.class_names, cfg.size, files)
    path = cache_folder(cfg.cache_dir, given_root(cfg.data_root, cfg.dataset)) / key
    data = load_cached(path)
    if data is not None:
        log.info("%s: %d images from cache %s", cfg.dataset, len(data), path)
        return data
    images, kept = decode_images(
        index.paths, cfg.size, cfg.max_corrupt_fraction, desc=f"{cfg.dataset} -> {cfg.size}px"
    )
    data = LesionData(
        images,
        index.labels[kept],
        index.class_names,
        index.image_ids[kept],
        index.lesion_ids[kept],
        cfg.dataset,
        n_corrupt=len(index.paths) - len(kept),
    )
    _require_every_class(data)
    save_cached(path, data)
    return data


def _load_arrays(cfg: DataConfig) -> LesionData:
    """MNIST or DermaMNIST: keep the wanted classes (relabelled in their order), resize."""
    if cfg.dataset == "mnist":
        images, labels, ids = mnist_arrays(resolve_root("mnist", cfg.data_root))
        valid = MNIST_CLASSES
    else:
        images, labels, ids = dermamnist_arrays(_dermamnist_path(cfg))
        valid = DERMAMNIST_CLASSES
    names = resolve_classes(cfg.dataset, cfg.classes, valid)
    new_label = np.full(len(valid), -1, dtype=np.int64)
    new_label[[valid.index(name) for name in names]] = np.arange(len(names))
    wanted = np.flatnonzero(new_label[labels] >= 0)
    wanted = wanted[first_per_class(new_label[labels[wanted]], np.argsort(ids[wanted]), cfg.limit)]
    data = LesionData(
        resize_square(images[wanted], cfg.size),
        new_label[labels[wanted]],
        names,
        ids[wanted],
        ids[wanted].copy(),
        cfg.dataset,
    )
    _require_every_class(data)
    return data


def _dermamnist_path(cfg: DataConfig) -> Path:
    """The DermaMNIST npz: in the data root, else downloaded (medmnist) into it.

    Without a data root, medmnist's own default folder ``~/.medmnist`` is used.
    """
    if cfg.data_root is None and not os.environ.get(ENV_VAR):
        folder = Path("~/.medmnist").expanduser()
    else:
        try:
            folder = resolve_root("dermamnist", cfg.data_root)
        except DataError:
            folder = given_root(cfg.data_root, "dermamnist") / "dermamnist"
    return dermamnist_file(folder, cfg.size) or download_dermamnist(folder, cfg.size)


def _require_every_class(data: LesionData) -> None:
    """Every requested class must keep at least one image (after corrupt files are dropped)."""
    for name, n in data.counts().items():
        if n == 0:
            raise DataError(f"class {name} of {data.dataset} has no images; drop it from classes")
