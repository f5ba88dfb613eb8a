"""Every data set qgan reads, declared once: its classes, where its folder is, how it is read.

Plain data (no numpy, no torch), so the commands' flags can name the data sets and their
classes without loading any. A new data set is one ``DataSet`` here and its reader: a rows
function in ``qgan.data.tables`` for a CSV-described set of image files, else a loader
``(DataConfig) -> LesionData`` in its own module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

PAPER_CLASSES = ("MEL", "NV", "BCC")  # HybridQ's three lesion classes (Jiao et al., Sec. 4)


class DataError(ValueError):
    """Bad or missing input data; the message says what is missing and what to do, on one line."""


@dataclass(frozen=True)
class DataSet:
    """One data set as qgan reads it.

    Attributes:
        name: ``--dataset`` value.
        classes: Every class, spelled as the data set spells it, in label order.
        rows: ``"module:function"`` listing (image id, class, lesion id) from its CSV files,
            for a set of image files; decoding, caching and the image folders are shared.
        load: ``"module:function"`` giving its ``LesionData`` for a ``DataConfig``, for any
            other set (arrays, made by code).
        markers: Files that say "this folder is the data set" (any one); none: made by code.
        subdirs: Names a parent data root may hold its folder under.
        source: Where to get it, for the error that says it is missing.
    """

    name: str
    classes: tuple[str, ...]
    rows: str = ""
    load: str = ""
    markers: tuple[str, ...] = ()
    subdirs: tuple[str, ...] = ()
    source: str = ""

    def reader(self) -> Callable:
        """The function ``rows`` or ``load`` names, imported now."""
        module, name = (self.rows or self.load).split(":")
        return getattr(importlib.import_module(module), name)


ISIC2019 = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC")
HAM10000 = ("AKIEC", "BCC", "BKL", "DF", "MEL", "NV", "VASC")  # dx codes, upper-cased
MEDMNIST = ("dermamnist_64.npz", "dermamnist.npz", "dermamnist_128.npz", "dermamnist_224.npz")
IDX = tuple(f"{split}-images-idx3-ubyte{gz}" for split in ("train", "t10k") for gz in (".gz", ""))

DATASETS: dict[str, DataSet] = {
    d.name: d
    for d in (
        DataSet(
            "isic2019",
            ISIC2019,
            rows="qgan.data.tables:isic2019_rows",
            markers=("ISIC_2019_Training_GroundTruth.csv",),
            subdirs=("isic2019", "ISIC2019", "isic_2019", "ISIC_2019"),
            source="download the ISIC 2019 training input, ground truth and metadata from "
            "https://challenge.isic-archive.com/data/#2019",
        ),
        DataSet(
            "ham10000",
            HAM10000,
            rows="qgan.data.tables:ham10000_rows",
            markers=("HAM10000_metadata.csv",),
            subdirs=("ham10000", "HAM10000"),
            source="download HAM10000 from https://doi.org/10.7910/DVN/DBW86T",
        ),
        DataSet(
            "fitzpatrick17k",
            ("benign", "malignant", "non-neoplastic"),
            rows="qgan.data.tables:fitzpatrick17k_rows",
            markers=("fitzpatrick17k.csv",),
            subdirs=("fitzpatrick17k", "Fitzpatrick17k"),
            source="get fitzpatrick17k.csv and its images (named <md5hash>.jpg) via "
            "https://github.com/mattgroh/fitzpatrick17k",
        ),
        # MedMNIST's label order for DermaMNIST (its INFO["dermamnist"]["label"])
        DataSet(
            "dermamnist",
            HAM10000,
            load="qgan.data.arrays:load_dermamnist",
            markers=MEDMNIST,
            subdirs=("dermamnist", "medmnist", "DermaMNIST"),
            source="pip install medmnist (it downloads the file), or fetch it from "
            "https://zenodo.org/records/10519652",
        ),
        DataSet(
            "mnist",
            tuple("0123456789"),
            load="qgan.data.arrays:load_mnist",
            markers=IDX,
            subdirs=("mnist", "MNIST", "MNIST/raw"),
            source="download the idx .gz files from https://yann.lecun.com/exdb/mnist/ (or a "
            "mirror)",
        ),
        DataSet("synthetic", PAPER_CLASSES, load="qgan.data.synthetic:load_synthetic"),
    )
}


def dataset(name: str) -> DataSet:
    """The declaration of data set ``name``; a ``DataError`` naming the known ones."""
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name]


def dataset_classes(name: str) -> tuple[str, ...]:
    """Every class of data set ``name``, spelled as the data set spells it."""
    return dataset(name).classes


def default_classes(name: str) -> tuple[str, ...]:
    """The classes in play when none are named: the paper's MEL, NV, BCC where data set ``name``
    has them (ISIC 2019, HAM10000, DermaMNIST, synthetic), else all of its classes
    (Fitzpatrick17k: benign, malignant, non-neoplastic; MNIST: the ten digits)."""
    every = dataset_classes(name)
    return PAPER_CLASSES if set(PAPER_CLASSES) <= set(every) else every
