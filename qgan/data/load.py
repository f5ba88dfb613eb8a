"""``load_dataset(cfg)``: any supported data set -> :class:`LesionData` at ``cfg.size`` pixels.

Image-file data sets (ISIC 2019, HAM10000, Fitzpatrick17k: a ``rows`` reader in their
``qgan.data.sets`` declaration) are indexed from their CSVs, decoded once with a progress bar, and
cached on disk; the others (MNIST, DermaMNIST, synthetic) have a ``load`` function of their own.
Bad input raises one-line :class:`DataError`\\ s.
"""

from __future__ import annotations

import logging

from qgan.data.cache import cache_key, file_signature, load_cached, save_cached
from qgan.data.core import DataConfig, LesionData
from qgan.data.images import decode_images
from qgan.data.roots import cache_folder, given_root, resolve_root
from qgan.data.sets import DATASETS, DataError, dataset
from qgan.data.split import Split, split_by_lesion, train_test
from qgan.data.tables import ImageIndex, build_index, image_dirs

log = logging.getLogger(__name__)


def load_dataset(cfg: DataConfig) -> LesionData:
    """The images of ``cfg.dataset``'s classes ``cfg.classes``, resized to ``cfg.size``.

    Raises:
        DataError: missing folder, file or class, or too many unreadable images.
    """
    entry = dataset(cfg.dataset)
    if entry.rows:
        return _load_files(load_index(cfg), cfg)
    return entry.reader()(cfg)


def load_train_test(cfg: DataConfig) -> tuple[LesionData, LesionData, Split]:
    """:func:`load_dataset` split by lesion with ``cfg.test_fraction`` and ``cfg.seed``."""
    data = load_dataset(cfg)
    split = split_by_lesion(data, cfg.test_fraction, cfg.seed)
    return (*train_test(data, split), split)


def load_index(cfg: DataConfig) -> ImageIndex:
    """Image paths, labels and lesion ids of an image-file data set, without decoding images.

    Cheap (CSV + folder listing): use it to count images or make a split before decoding.
    """
    entry = dataset(cfg.dataset)
    if not entry.rows:
        files = ", ".join(d.name for d in DATASETS.values() if d.rows)
        raise DataError(f"{cfg.dataset} is not an image-file data set ({files}); use load_dataset")
    root = resolve_root(cfg.dataset, cfg.data_root)
    folders = image_dirs(cfg.dataset, root, cfg.image_dir, cfg.data_root)
    return build_index(cfg.dataset, root, entry.reader()(root), cfg.classes, folders, cfg.limit)


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
    data.require_every_class()
    save_cached(path, data)
    return data
