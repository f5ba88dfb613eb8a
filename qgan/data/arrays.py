"""The data sets published as arrays: MNIST idx files and DermaMNIST's ``.npz``.

- **MNIST** (LeCun, Bottou, Bengio, Haffner 1998): ``{train,t10k}-images-idx3-ubyte[.gz]`` and
  ``-labels-idx1-ubyte[.gz]``, 28x28 grayscale; whichever splits are present are read. The
  second line of work (arXiv:2505.24780) uses digits 0, 1, 2.
- **DermaMNIST** (Yang et al., MedMNIST v2, Sci. Data 10, 41, 2023): HAM10000 resized, as
  ``dermamnist[_64|_128|_224].npz`` with ``{train,val,test}_images`` ``(N, S, S, 3)`` uint8 and
  ``_labels`` ``(N, 1)``. It keeps no lesion ids (its official split is by image), so every image
  is its own lesion here. Downloaded through the ``medmnist`` package when that is installed.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from qgan.data.core import DataConfig, LesionData, first_per_class, resolve_classes
from qgan.data.roots import data_root, given_root, resolve_root
from qgan.data.sets import DataError, dataset

MNIST, DERMAMNIST = dataset("mnist"), dataset("dermamnist")
DERMAMNIST_SIZES = (28, 64, 128, 224)
MEDMNIST_SPLITS = ("train", "val", "test")

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]  # images (N,H,W,C) uint8, labels (N,), ids (N,)


def read_idx(path: Path) -> np.ndarray:
    """An idx file (gzip or plain) as a uint8 array of its declared shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"cannot read {path} ({err}); download it again ({MNIST.source})") from err
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08":  # magic: 0, 0, dtype 0x08 (uint8), ndim
        raise DataError(f"{path} is not a uint8 idx file; download it again ({MNIST.source})")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != math.prod(shape):
        raise DataError(f"{path} holds {data.size} values, its header says {shape}; re-download")
    return data.reshape(shape)


def mnist_arrays(root: Path) -> Arrays:
    """Images ``(N, 28, 28, 1)``, labels and ids (``t10k_00000``...) of the splits present."""
    parts = [_mnist_split(root, split) for split in ("train", "t10k")]
    parts = [p for p in parts if p is not None]
    if not parts:
        raise DataError(f"no MNIST idx files in {root}; {MNIST.source}")
    return tuple(np.concatenate(a) for a in zip(*parts, strict=True))  # type: ignore[return-value]


def _mnist_split(root: Path, split: str) -> Arrays | None:
    images_path = _first_file(root, f"{split}-images-idx3-ubyte")
    if images_path is None:
        return None
    labels_path = _first_file(root, f"{split}-labels-idx1-ubyte")
    if labels_path is None:
        raise DataError(
            f"{images_path.name} has no {split}-labels-idx1-ubyte[.gz] beside it in "
            f"{root}; {MNIST.source}"
        )
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or len(images) != len(labels):
        raise DataError(
            f"{images_path.name} {images.shape} and {labels_path.name} "
            f"{labels.shape} do not match; download them again"
        )
    ids = np.asarray([f"{split}_{i:05d}" for i in range(len(images))])
    return images[..., None], labels.astype(np.int64), ids


def _first_file(root: Path, stem: str) -> Path | None:
    for name in (f"{stem}.gz", stem):
        if (root / name).is_file():
            return root / name
    return None


def dermamnist_file(folder: Path, size: int) -> Path | None:
    """The DermaMNIST npz in ``folder`` to use: ``size``'s own if present, else 64, else any."""
    preferred = [size] if size in DERMAMNIST_SIZES else []
    for s in (*preferred, 64, 224, 128, 28):
        path = folder / _dermamnist_name(s)
        if path.is_file():
            return path
    return None


def _dermamnist_name(size: int) -> str:
    return "dermamnist.npz" if size == 28 else f"dermamnist_{size}.npz"


def download_dermamnist(folder: Path, size: int) -> Path:
    """Fetch DermaMNIST into ``folder`` through ``medmnist`` (imported only here)."""
    size = size if size in DERMAMNIST_SIZES else 64
    name = _dermamnist_name(size)
    try:
        import medmnist  # optional: only needed to download
    except ImportError as err:
        raise DataError(
            f"{name} not found in {folder} and medmnist is not installed; "
            f"`pip install medmnist` and rerun, or download "
            f"https://zenodo.org/records/10519652/files/{name} into {folder}"
        ) from err
    folder.mkdir(parents=True, exist_ok=True)
    try:
        medmnist.DermaMNIST(split="train", download=True, size=size, root=str(folder))
    except Exception as err:  # network, checksum, API: all end in the same advice
        raise DataError(
            f"medmnist could not download {name} into {folder} ({err}); download "
            f"https://zenodo.org/records/10519652/files/{name} by hand"
        ) from err
    return folder / name


def dermamnist_arrays(path: Path) -> Arrays:
    """Images ``(N, S, S, 3)``, labels and ids (``train_00000``...) of all three splits."""
    try:
        with np.load(path, allow_pickle=False) as z:
            parts = [_medmnist_split(z, split) for split in MEDMNIST_SPLITS]
    except (OSError, ValueError, KeyError, zlib.error) as err:
        raise DataError(
            f"cannot read {path} ({err}); delete it and download it again ({DERMAMNIST.source})"
        ) from err
    return tuple(np.concatenate(a) for a in zip(*parts, strict=True))  # type: ignore[return-value]


def _medmnist_split(z, split: str) -> Arrays:
    images, labels = z[f"{split}_images"], z[f"{split}_labels"].reshape(-1).astype(np.int64)
    if images.ndim == 3:  # grayscale MedMNIST sets have no channel axis
        images = images[..., None]
    ids = np.asarray([f"{split}_{i:05d}" for i in range(len(images))])
    return images.astype(np.uint8, copy=False), labels, ids


def resize_square(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 ``(N, S, S, C)`` -> ``(N, size, size, C)``, bilinear with antialiasing (torch)."""
    if images.shape[1:3] == (size, size):
        return images
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    x = torch.nn.functional.interpolate(
        x, size=(size, size), mode="bilinear", antialias=True, align_corners=False
    )
    return x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def load_mnist(cfg: DataConfig) -> LesionData:
    """MNIST's wanted digits at ``cfg.size`` (``DataSet.load`` of ``mnist``)."""
    return _classes_of(cfg, *mnist_arrays(resolve_root("mnist", cfg.data_root)))


def load_dermamnist(cfg: DataConfig) -> LesionData:
    """DermaMNIST's wanted classes at ``cfg.size`` (``DataSet.load`` of ``dermamnist``)."""
    return _classes_of(cfg, *dermamnist_arrays(_dermamnist_path(cfg)))


def _classes_of(cfg: DataConfig, images, labels, ids) -> LesionData:
    """The wanted classes of an array data set (relabelled in their order), resized."""
    valid = dataset(cfg.dataset).classes
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
    data.require_every_class()
    return data


def _dermamnist_path(cfg: DataConfig) -> Path:
    """The DermaMNIST npz: in the data root, else downloaded (medmnist) into it.

    Without a data root, medmnist's own default folder ``~/.medmnist`` is used.
    """
    if not data_root(cfg.data_root):
        folder = Path("~/.medmnist").expanduser()
    else:
        try:
            folder = resolve_root("dermamnist", cfg.data_root)
        except DataError:
            folder = given_root(cfg.data_root, "dermamnist") / "dermamnist"
    return dermamnist_file(folder, cfg.size) or download_dermamnist(folder, cfg.size)
