"""Where the data sets live: the data root, each data set's folder in it, the cache folder.

The data root is an explicit argument or the ``QGAN_DATA`` environment variable (read here,
``data_root``, and nowhere else). It may be the data set's own folder (the one holding its marker
file, e.g. ``HAM10000_metadata.csv``) or the parent that holds it in a subfolder (``isic2019/``,
``ham10000/``, ``fitzpatrick17k/``, ``mnist/``, ``dermamnist/``), as in
``QGAN_DATA=../shared/data``. The markers and folder names are each data set's declaration in
``qgan.data.sets``.
"""

from __future__ import annotations

import os
from pathlib import Path

from qgan.data.sets import DATASETS, DataError, dataset

ENV_VAR = "QGAN_DATA"


def data_root(given: str | os.PathLike | None = None) -> str:
    """The data root: ``given``, else ``$QGAN_DATA``, else "" (none). The one place qgan reads
    the variable; every default data root comes from here."""
    return str(given) if given else os.environ.get(ENV_VAR, "")


def given_root(given: str | os.PathLike | None, name: str) -> Path:
    """The data root (``data_root(given)``) of data set ``name``, which must be a folder."""
    root = data_root(given)
    if not root:
        raise DataError(
            f"no data root for {name}: pass data_root=<folder> or set {ENV_VAR}"
            f" to the folder that holds {dataset(name).subdirs[0]}/"
        )
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"data root {root} for {name} is not a folder; check data_root/{ENV_VAR}")
    return root


def resolve_root(name: str, given: str | os.PathLike | None = None) -> Path:
    """The folder of data set ``name``: the data root itself or its subfolder named after it.

    Args:
        name: a data set with a folder (``qgan.data.sets.DATASETS``: all but ``synthetic``).
        given: the data set's folder or its parent; empty or ``None`` reads ``$QGAN_DATA``.

    Raises:
        DataError: no root given, or neither folder holds the data set's marker file.
    """
    entry = dataset(name)
    if not entry.markers:
        with_folder = [d.name for d in DATASETS.values() if d.markers]
        raise DataError(f"{name!r} has no data folder; folders exist for {', '.join(with_folder)}")
    root = given_root(given, name)
    for folder in (root, *(root / sub for sub in entry.subdirs)):
        if any((folder / marker).is_file() for marker in entry.markers):
            return folder
    raise DataError(
        f"{name} not found: no {entry.markers[0]} in {root} or "
        f"{root / entry.subdirs[0]}; {entry.source}"
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
