"""Image indexes of the CSV-described data sets, in their published layouts (no decoding here).

- **ISIC 2019** (Tschandl et al. 2018; Codella et al. 2018; Combalia et al. 2019):
  ``ISIC_2019_Training_Input/<image>.jpg``, one-hot ``ISIC_2019_Training_GroundTruth.csv``
  (MEL, NV, BCC, AK, BKL, DF, VASC, SCC, UNK) and ``ISIC_2019_Training_Metadata.csv`` whose
  ``lesion_id`` may be empty (then the image is its own lesion).
- **HAM10000** (Tschandl, Rosendahl, Kittler, Sci. Data 5, 180161, 2018):
  ``HAM10000_metadata.csv`` (``lesion_id,image_id,dx,...``; dx in akiec, bcc, bkl, df, mel, nv,
  vasc, here upper-cased) and ``ISIC_xxxxxxx.jpg`` in ``HAM10000_images_part_1/`` and
  ``_part_2/`` (also accepted: ``images/``, the folder itself, or an explicit ``image_dir``).
- **Fitzpatrick17k** (Groh et al., CVPR Workshops 2021): ``fitzpatrick17k.csv`` and
  ``<md5hash>.jpg`` in ``images/`` or the folder itself; classes from ``three_partition_label``.
  It has no lesion ids: every image is its own lesion.

Rows whose image file is absent are counted and reported in one warning, never a crash.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qgan.data.core import first_per_class, resolve_classes
from qgan.data.roots import data_root, given_root
from qgan.data.sets import DATASETS, DataError

log = logging.getLogger(__name__)

ISIC2019_COLUMNS = (*DATASETS["isic2019"].classes, "UNK")  # UNK has no training images
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

Row = tuple[str, str, str]  # (image id, class name, lesion id)


@dataclass(frozen=True, eq=False)
class ImageIndex:
    """The images a loader will decode: one path, label, image id and lesion id each."""

    dataset: str
    root: Path
    class_names: tuple[str, ...]
    paths: tuple[Path, ...]
    labels: np.ndarray  # (N,) int64
    image_ids: np.ndarray  # (N,) str
    lesion_ids: np.ndarray  # (N,) str
    n_missing: int  # listed in the CSV (selected classes) but without an image file


def read_csv(root: Path, name: str, columns: Sequence[str], dataset: str) -> list[dict[str, str]]:
    """The rows of ``root/name``; a missing file or column is a one-line :class:`DataError`."""
    path = root / name
    if not path.is_file():
        raise DataError(f"{name} not found in {root}; {DATASETS[dataset].source}")
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        absent = [c for c in columns if c not in (reader.fieldnames or ())]
        if absent:
            raise DataError(f"{path} lacks column(s) {', '.join(absent)}; is it the original file?")
        return list(reader)


def isic2019_rows(root: Path) -> list[Row]:
    """(image, class, lesion) per ground-truth row; the class is the one-hot column set to 1."""
    truth = read_csv(
        root, "ISIC_2019_Training_GroundTruth.csv", ("image", *ISIC2019_COLUMNS), "isic2019"
    )
    meta = read_csv(root, "ISIC_2019_Training_Metadata.csv", ("image", "lesion_id"), "isic2019")
    lesion = {row["image"]: row["lesion_id"] for row in meta}
    rows = []
    for row in truth:
        try:
            scores = [float(row[c] or 0.0) for c in ISIC2019_COLUMNS]
        except ValueError as err:
            raise DataError(
                f"bad ground-truth value for {row['image']} ({err}); "
                "ISIC_2019_Training_GroundTruth.csv must hold 0/1 columns"
            ) from err
        cls = ISIC2019_COLUMNS[int(np.argmax(scores))]
        rows.append((row["image"], cls, lesion.get(row["image"]) or row["image"]))
    return rows


def ham10000_rows(root: Path) -> list[Row]:
    """(image_id, DX, lesion_id) per metadata row."""
    meta = read_csv(root, "HAM10000_metadata.csv", ("lesion_id", "image_id", "dx"), "ham10000")
    return [(r["image_id"], r["dx"].upper(), r["lesion_id"] or r["image_id"]) for r in meta]


def fitzpatrick17k_rows(root: Path) -> list[Row]:
    """(md5hash, three_partition_label, md5hash) per row: no lesion ids in this data set."""
    table = read_csv(
        root, "fitzpatrick17k.csv", ("md5hash", "three_partition_label"), "fitzpatrick17k"
    )
    return [(r["md5hash"], r["three_partition_label"], r["md5hash"]) for r in table]


def image_dirs(dataset: str, root: Path, image_dir: str | None, given: str | None) -> list[Path]:
    """The folders to look for images in, by the data set's published layout."""
    if image_dir is not None:
        return [_explicit_dir(dataset, image_dir, root, given)]
    if dataset == "isic2019":
        folder = root / "ISIC_2019_Training_Input"
        if not folder.is_dir():
            raise DataError(
                f"folder ISIC_2019_Training_Input/ not found in {root}; unzip "
                f"ISIC_2019_Training_Input.zip there ({DATASETS[dataset].source})"
            )
        return [folder]
    names = ["images"]
    if dataset == "ham10000":
        names = [f"{p}_images_part_{i}" for i in (1, 2) for p in ("HAM10000", "ham10000")] + names
    return [d for d in (*(root / n for n in names), root) if d.is_dir()]


def _explicit_dir(dataset: str, image_dir: str, root: Path, given: str | None) -> Path:
    """``image_dir`` as given (absolute or from the working folder), else under the data roots."""
    path = Path(image_dir).expanduser()
    candidates = [path, root / path]
    if data_root(given):
        candidates.append(given_root(given, dataset) / path)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise DataError(
        f"image_dir {image_dir} is not a folder (looked in the working folder, {root}"
        " and the data root); give the folder holding the images"
    )


def list_images(folders: Sequence[Path]) -> dict[str, Path]:
    """Image file stem -> path over ``folders`` (the first folder wins on duplicates)."""
    files: dict[str, Path] = {}
    for folder in folders:
        with os.scandir(folder) as entries:
            for entry in entries:
                stem, suffix = os.path.splitext(entry.name)
                if suffix.lower() in IMAGE_SUFFIXES and entry.is_file():
                    files.setdefault(stem, Path(entry.path))
    return files


def build_index(
    dataset: str,
    root: Path,
    rows: list[Row],
    classes: Sequence[str] | None,
    folders: Sequence[Path],
    limit: int | None,
) -> ImageIndex:
    """Keep the rows of the wanted classes whose image exists; report the missing ones."""
    names = resolve_classes(dataset, classes, DATASETS[dataset].classes)
    label_of = {name: i for i, name in enumerate(names)}
    wanted = {r[0]: r for r in rows if r[1] in label_of}  # by image id; the first row wins
    files = list_images(folders)
    present = [r for image_id, r in sorted(wanted.items()) if image_id in files]
    _check_present(dataset, names, wanted, present, folders)
    n_missing = len(wanted) - len(present)
    labels = np.asarray([label_of[r[1]] for r in present], dtype=np.int64)
    keep = first_per_class(labels, np.arange(len(present)), limit)  # rows are sorted by id
    present = [present[i] for i in keep]
    return ImageIndex(
        dataset=dataset,
        root=root,
        class_names=names,
        paths=tuple(files[r[0]] for r in present),
        labels=labels[keep],
        image_ids=np.asarray([r[0] for r in present], dtype=str),
        lesion_ids=np.asarray([r[2] for r in present], dtype=str),
        n_missing=n_missing,
    )


def _check_present(
    dataset: str,
    names: tuple[str, ...],
    wanted: dict[str, Row],
    present: list[Row],
    folders: Sequence[Path],
) -> None:
    """Warn about missing images; raise if none, or none of some class, were found."""
    where = ", ".join(str(f) for f in folders) or "(no image folder)"
    if not present:
        raise DataError(
            f"none of the {len(wanted)} {dataset} images of {', '.join(names)} "
            f"were found in {where}; put the images there or pass image_dir "
            f"({DATASETS[dataset].source})"
        )
    found = {r[1] for r in present}
    for name in names:
        if name not in found:
            listed = sum(r[1] == name for r in wanted.values())
            raise DataError(
                f"class {name} of {dataset} has no images ({listed} listed, none "
                f"found in {where}); drop it from classes or add its images"
            )
    if len(present) < len(wanted):
        log.warning(
            "%s: %d of %d listed images are missing from %s (skipped)",
            dataset,
            len(wanted) - len(present),
            len(wanted),
            where,
        )
