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

The data root is ``data_root`` or ``$QGAN_DATA`` (read in ``roots.data_root`` only): the data
set's folder or its parent. Every data set is declared once in ``sets``; ``section`` holds the
data flags every command shares and turns them into a ``DataConfig``. The names below load on
first use, so ``qgan.data.section`` and ``qgan.data.sets`` stay light.
"""

from circuits.lazy import lazy_exports

# public name -> its module in this package
__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "DATASETS": "sets",
        "DataError": "sets",
        "DataSet": "sets",
        "dataset_classes": "sets",
        "default_classes": "sets",
        "DataSection": "section",
        "data_root": "roots",
        "resolve_root": "roots",
        "DataConfig": "core",
        "LesionData": "core",
        "class_subset": "core",
        "select": "core",
        "take": "core",
        "to_tensor": "core",
        "to_uint8": "core",
        "load_dataset": "load",
        "load_index": "load",
        "load_train_test": "load",
        "Split": "split",
        "load_split": "split",
        "save_split": "split",
        "split_by_lesion": "split",
        "train_test": "split",
    },
)
