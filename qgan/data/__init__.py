"""Data: ISIC 2019, HAM10000, Fitzpatrick17k, DermaMNIST, MNIST, synthetic -> tensors in [-1, 1].

Each data set is read in its published layout (see :mod:`qgan.data.tables` and
:mod:`qgan.data.arrays` for the layouts and citations), resized to ``size`` x ``size``, cached
on disk, and split train/test by lesion::

    from qgan.data import DataConfig, class_subset, load_dataset, save_split, split_by_lesion

    cfg = DataConfig(dataset="isic2019", data_root="../shared/data", classes=("MEL", "NV", "BCC"))
    data = load_dataset(cfg)                       # LesionData, uint8 (N, 64, 64, 3)
    split = split_by_lesion(data, cfg.test_fraction, cfg.seed)
    save_split(split, run_dir)                     # run_dir/split.json
    train, test = train_test(data, split)
    x = class_subset(train, "MEL").tensor()        # float32 (N, 3, 64, 64) in [-1, 1]

The data root is ``data_root`` or ``$QGAN_DATA``: the data set's folder or its parent.
"""

from qgan.data.core import (
    DATASETS,
    DataConfig,
    DataError,
    LesionData,
    class_subset,
    select,
    take,
    to_tensor,
    to_uint8,
)
from qgan.data.load import (
    dataset_classes,
    default_classes,
    load_dataset,
    load_index,
    load_train_test,
)
from qgan.data.roots import resolve_root
from qgan.data.split import Split, load_split, save_split, split_by_lesion, train_test

__all__ = [
    "DATASETS",
    "DataConfig",
    "DataError",
    "LesionData",
    "Split",
    "class_subset",
    "dataset_classes",
    "default_classes",
    "load_dataset",
    "load_index",
    "load_split",
    "load_train_test",
    "resolve_root",
    "save_split",
    "select",
    "split_by_lesion",
    "take",
    "to_tensor",
    "to_uint8",
    "train_test",
]
