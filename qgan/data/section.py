"""The data flags every command shares: one frozen section, one ``resolved()``, one
``DataConfig``.

A command config that reads a data set is a ``DataSection`` (``TrainConfig``, ``LesionConfig``,
``DigitConfig``, ``DermConfig``, ``FloorConfig`` inherit it), so ``--dataset``, ``--data-root``,
``--classes``, ``--image-size``, ``--limit``, ``--test-fraction`` and ``--split-seed`` mean the
same everywhere and saved configs keep them as flat keys. A command may give a field another
default by declaring it again (``DermConfig`` learns every class). Plain data: no numpy, no
torch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from qgan.config import check_at_least, check_choice, opt, parse_list
from qgan.data.roots import ENV_VAR, data_root
from qgan.data.sets import DATASETS, dataset_classes, default_classes

ALL = "all"  # --classes all: every class of the data set


@dataclass(frozen=True)
class DataSection:
    """Which data a command reads, as flags."""

    dataset: str = opt(
        "auto",
        f"data set: {' | '.join(DATASETS)}; auto: isic2019 when a data root is known "
        f"(--data-root or ${ENV_VAR}), else synthetic",
    )
    data_root: str = opt("", f"data set folder or its parent; empty: ${ENV_VAR}")
    classes: str = opt(
        "",
        "the data set's classes in play (comma-separated; all: every class); empty: MEL,NV,BCC "
        "where the data set has them, else all of its classes (fitzpatrick17k: benign,malignant,"
        "non-neoplastic)",
    )
    image_size: int = opt(64, "images are resized to this many pixels a side")
    limit: int = opt(0, "at most this many images per class, the first by id (0: all)")
    test_fraction: float = opt(0.2, "held-out share of each class, by lesion")
    split_seed: int = opt(
        0,
        "seed of the lesion-level train/test split: runs with other --seed values share its "
        "test images",
    )

    def __post_init__(self) -> None:
        if self.dataset != "auto":
            check_choice("--dataset", self.dataset, tuple(DATASETS))
        check_at_least(self, {"image_size": 1, "limit": 0})
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"--test-fraction must lie in (0, 1), got {self.test_fraction}")

    def resolved(self):
        """``auto`` data set, empty data root and empty classes made concrete (the data root
        from ``$QGAN_DATA``, the classes the data set's defaults)."""
        root = data_root(self.data_root)
        name = self.dataset if self.dataset != "auto" else "isic2019" if root else "synthetic"
        classes = self.classes or ",".join(default_classes(name))
        return dataclasses.replace(self, dataset=name, data_root=root, classes=classes)

    @property
    def class_names(self) -> tuple[str, ...]:
        """The classes of a resolved section, one name each (``all``: every class)."""
        if self.classes.strip().lower() == ALL:
            return dataset_classes(self.dataset)
        return parse_list(self.classes, str, "--classes")

    def data_config(self):
        """The ``qgan.data.DataConfig`` of this (resolved) section: what the loaders take."""
        from qgan.data.core import DataConfig  # numpy and torch: only when data is read

        return DataConfig(
            dataset=self.dataset,
            data_root=self.data_root or None,
            classes=self.class_names,
            size=self.image_size,
            test_fraction=self.test_fraction,
            seed=self.split_seed,
            limit=self.limit or None,
        )

    @classmethod
    def legacy_values(cls, data: dict) -> dict:
        """What a saved config had before a field existed: the split seed was the run's (or the
        derm network's) seed, the test share 0.2."""
        return {"split_seed": data.get("seed", 0), "test_fraction": 0.2}

    @classmethod
    def of(cls, saved: dict) -> DataSection:
        """The data section of a saved config (a run's config.json, whatever its model)."""
        names = {f.name for f in dataclasses.fields(DataSection)}
        return DataSection(**cls.legacy_values(saved) | {k: saved[k] for k in names & set(saved)})
