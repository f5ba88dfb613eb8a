"""Where the data sets live: the data root, each data set's folder in it, the cache folder.

The data root is an explicit argument or the ``QGAN_DATA`` environment variable. It may be the
data set's own folder (the one holding its marker file, e.g. ``HAM10000_metadata.csv``) or the
parent that holds it in a subfolder (``isic2019/``, ``ham10000/``, ``fitzpatrick17k/``,
``mnist/``, ``dermamnist/``), as in ``QGAN_DATA=../shared/data``.
"""

from __future__ import annotations

import os
from pathlib import Path

from qgan.data.core import DataError

ENV_VAR = "QGAN_DATA"

# Files that say "this folder is the data set" (any one of them).
MARKERS: dict[str, tuple[str, ...]] = {
    "isic2019": ("ISIC_2019_Training_GroundTruth.csv",),
    "ham10000": ("HAM10000_metadata.csv",),
    "fitzpatrick17k": ("fitzpatrick17k.csv",),
    "mnist": tuple(
        f"{split}-images-idx3-ubyte{gz}" for split in ("train", "t10k") for gz in (".gz", "")
    ),
    "dermamnist": (
        "dermamnist_64.npz",
        "dermamnist.npz",
        "dermamnist_128.npz",
        "dermamnist_224.npz",
    ),
}

# Subfolder names a parent data root may hold the data set under.
SUBDIRS: dict[str, tuple[str, ...]] = {
    "isic2019": ("isic2019", "ISIC2019", "isic_2019", "ISIC_2019"),
    "ham10000": ("ham10000", "HAM10000"),
    "fitzpatrick17k": ("fitzpatrick17k", "Fitzpatrick17k"),
    "mnist": ("mnist", "MNIST", "MNIST/raw"),
    "dermamnist": ("dermamnist", "medmnist", "DermaMNIST"),
}

# Where to get each data set, for error messages.
SOURCES: dict[str, str] = {
    "isic2019": "download the ISIC 2019 training input, ground truth and metadata from "
    "https://challenge.isic-archive.com/data/#2019",
    "ham10000": "download HAM10000 from https://doi.org/10.7910/DVN/DBW86T",
    "fitzpatrick17k": "get fitzpatrick17k.csv and its images (named <md5hash>.jpg) via "
    "https://github.com/mattgroh/fitzpatrick17k",
    "mnist": "download the idx .gz files from https://yann.lecun.com/exdb/mnist/ (or a mirror)",
    "dermamnist": "pip install medmnist (it downloads the file), or fetch it from "
    "https://zenodo.org/records/10519652",
}


def given_root(data_root: str | os.PathLike | None, dataset: str) -> Path:
    """The data root as given (argument, else ``$QGAN_DATA``), which must be a folder."""
    given = data_root if data_root is not None else os.environ.get(ENV_VAR)
    if not given:
        raise DataError(
            f"no data root for {dataset}: pass data_root=<folder> or set {ENV_VAR}"
            f" to the folder that holds {SUBDIRS[dataset][0]}/"
        )
    root = Path(given).expanduser()
    if not root.is_dir():
        raise DataError(
            f"data root {root} for {dataset} is not a folder; check data_root/{ENV_VAR}"
        )
    return root


def resolve_root(dataset: str, data_root: str | os.PathLike | None = None) -> Path:
    """The folder of ``dataset``: the data root itself or its subfolder named after the data set.

    Args:
        dataset: one of ``isic2019``, ``ham10000``, ``fitzpatrick17k``, ``mnist``, ``dermamnist``.
        data_root: the data set's folder or its parent; ``None`` reads ``$QGAN_DATA``.

    Raises:
        DataError: no root given, or neither folder holds the data set's marker file.
    """
    if dataset not in MARKERS:
        raise DataError(f"{dataset!r} has no data folder; folders exist for {', '.join(MARKERS)}")
    root = given_root(data_root, dataset)
    for folder in (root, *(root / sub for sub in SUBDIRS[dataset])):
        if any((folder / marker).is_file() for marker in MARKERS[dataset]):
            return folder
    raise DataError(
        f"{dataset} not found: no {MARKERS[dataset][0]} in {root} or "
        f"{root / SUBDIRS[dataset][0]}; {SOURCES[dataset]}"
    )


def cache_folder(cache_dir: str | os.PathLike | None, root: Path | None) -> Path:
    """``cache_dir`` if given, else ``<root>/.qgan_cache`` if writable, else ``~/.cache/qgan``."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if root is not None:
        candidate = root / ".qgan_cache"
        if _writable(candidate if candidate.is_dir() else root):
            return candidate
    return Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "qgan"


def _writable(folder: Path) -> bool:
    """Whether we may write into ``folder``.

    ``os.access`` alone says yes to root everywhere; a folder without any write bit in its mode
    (a read-only data share) is treated as read-only even then, so shared data is left alone.
    """
    try:
        mode = folder.stat().st_mode
    except OSError:
        return False
    return bool(mode & 0o222) and os.access(folder, os.W_OK)
