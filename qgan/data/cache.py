"""On-disk cache of decoded, resized images, so that a second run starts in seconds.

One uncompressed ``.npz`` per (data set, classes, size, file list): the file list's hash covers
every image's name, byte size and modification time plus its label and lesion id, so a changed,
added or removed file or CSV row makes a new entry instead of serving stale images. Entries are
written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from qgan.artifacts import atomic_path
from qgan.data.core import LesionData

log = logging.getLogger(__name__)

CACHE_VERSION = 1  # bump when decoding changes (crop, filter), to retire old entries


def cache_key(dataset: str, class_names: tuple[str, ...], size: int, files: list[tuple]) -> str:
    """A file name for this data: readable prefix + hash of everything that shapes the arrays."""
    blob = json.dumps([CACHE_VERSION, dataset, class_names, size, files], separators=(",", ":"))
    digest = hashlib.sha1(blob.encode()).hexdigest()[:16]
    return f"{dataset}_{'-'.join(class_names)}_{size}px_{digest}.npz"


def file_signature(path: Path) -> tuple[str, int, int]:
    """(name, bytes, mtime in ns) of an image file: cheap, and changes when the file does."""
    stat = path.stat()
    return path.name, stat.st_size, stat.st_mtime_ns


def load_cached(path: Path) -> LesionData | None:
    """The cached data at ``path``, or None if absent or unreadable (then it is rebuilt)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            return LesionData(
                images=z["images"],
                labels=z["labels"],
                class_names=tuple(z["class_names"].tolist()),
                image_ids=z["image_ids"],
                lesion_ids=z["lesion_ids"],
                dataset=str(z["dataset"]),
                n_corrupt=int(z["n_corrupt"]),
            )
    except (OSError, ValueError, KeyError) as err:
        log.warning("ignoring unreadable cache file %s (%s); decoding again", path, err)
        return None


def save_cached(path: Path, data: LesionData) -> None:
    """Write ``data`` to ``path`` atomically; a cache that cannot be written is only a warning."""
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(
                f,
                images=data.images,
                labels=data.labels,
                class_names=np.asarray(data.class_names),
                image_ids=data.image_ids,
                lesion_ids=data.lesion_ids,
                dataset=np.asarray(data.dataset),
                n_corrupt=np.asarray(data.n_corrupt),
            )
    except OSError as err:
        log.warning("could not write the image cache %s (%s); set cache_dir", path, err)
