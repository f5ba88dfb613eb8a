"""Data loaders (qgan/data): each data set in its published layout, splits, cache, errors.

Oracles: tiny fixtures written here in each published layout, whose images are flat class
colours (so a decoded image's mean colour says which row it came from and that the crop kept
the centre), idx files written byte by byte from the format's definition, and the counts the
shared data's README states for the real data.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import logging
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import qgan.data.images as images_module
from qgan.data import (
    DataConfig,
    DataError,
    LesionData,
    class_subset,
    load_dataset,
    load_index,
    load_split,
    load_train_test,
    resolve_root,
    save_split,
    select,
    split_by_lesion,
    to_tensor,
    to_uint8,
    train_test,
)
from qgan.data.roots import cache_folder

# Flat colours per class: far apart, so a mean colour names the class.
COLOURS = {
    "MEL": (200, 30, 30),
    "NV": (30, 200, 30),
    "BCC": (30, 30, 200),
    "DF": (200, 200, 30),
    "AKIEC": (200, 30, 200),
    "benign": (30, 200, 200),
    "malignant": (200, 120, 30),
    "non-neoplastic": (120, 30, 200),
}
ISIC_COLUMNS = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC", "UNK")


# ---------------------------------------------------------------- fixture writers


def write_jpeg(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> None:
    """A 4:3 JPEG: the central square is ``colour``, the side bands (cropped away) are black."""
    width, height = size
    pixels = np.zeros((height, width, 3), np.uint8)
    left = (width - height) // 2
    pixels[:, left : left + height] = colour
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=95)


def write_corrupt_jpeg(path: Path) -> None:
    """The first 100 bytes of a real JPEG: a truncated file."""
    write_jpeg(path, (128, 128, 128))
    path.write_bytes(path.read_bytes()[:100])


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])


# image id, class, lesion id ("" = none), state: ok | missing | corrupt
ISIC_ROWS = [
    ("ISIC_0000000", "MEL", "L0", "ok"),
    ("ISIC_0000001", "MEL", "L0", "ok"),
    ("ISIC_0000002", "MEL", "L1", "ok"),
    ("ISIC_0000003", "MEL", "", "ok"),
    ("ISIC_0000004", "NV", "L2", "ok"),
    ("ISIC_0000005", "NV", "L2", "ok"),
    ("ISIC_0000006", "NV", "L2", "ok"),
    ("ISIC_0000007", "NV", "L3", "ok"),
    ("ISIC_0000008", "NV", "L4", "corrupt"),
    ("ISIC_0000009", "NV", "", "ok"),
    ("ISIC_0000010", "BCC", "L5", "ok"),
    ("ISIC_0000011", "BCC", "L5", "ok"),
    ("ISIC_0000012", "BCC", "L6", "ok"),
    ("ISIC_0000013", "DF", "L7", "ok"),
    ("ISIC_0000014", "NV", "L8", "missing"),
]


def write_images(folder: Path, rows, name=lambda image_id: f"{image_id}.jpg") -> None:
    for image_id, cls, _, state in rows:
        if state == "ok":
            write_jpeg(folder / name(image_id), COLOURS[cls])
        elif state == "corrupt":
            write_corrupt_jpeg(folder / name(image_id))


@pytest.fixture
def isic_root(tmp_path: Path) -> Path:
    """A parent data root holding ``isic2019/`` in the official ISIC 2019 layout."""
    root = tmp_path / "data" / "isic2019"
    truth = [[i, *(float(c == cls) for c in ISIC_COLUMNS)] for i, cls, _, _ in ISIC_ROWS]
    write_csv(root / "ISIC_2019_Training_GroundTruth.csv", ["image", *ISIC_COLUMNS], truth)
    meta = [[i, 55, "back", lesion, "female"] for i, _, lesion, _ in ISIC_ROWS]
    header = ["image", "age_approx", "anatom_site_general", "lesion_id", "sex"]
    write_csv(root / "ISIC_2019_Training_Metadata.csv", header, meta)
    write_images(root / "ISIC_2019_Training_Input", ISIC_ROWS)
    return root.parent


def isic_cfg(root: Path, tmp_path: Path, **kw) -> DataConfig:
    fields = {"dataset": "isic2019", "data_root": str(root), "cache_dir": str(tmp_path / "c")}
    fields["max_corrupt_fraction"] = 0.2  # the fixture has 1 corrupt image in 13 present
    return DataConfig(**{**fields, **kw})


def assert_colours_match_labels(data: LesionData, tol: float = 12.0) -> None:
    """Each image's mean colour is its class's colour: labels line up, the crop kept the centre."""
    means = data.images.reshape(len(data), -1, 3).mean(axis=1)
    expected = np.array([COLOURS[data.class_names[label]] for label in data.labels])
    assert np.abs(means - expected).max() < tol


def assert_one_line(err: pytest.ExceptionInfo, *fragments: str) -> None:
    message = str(err.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


# ---------------------------------------------------------------- ISIC 2019


def test_isic2019_loads_classes_skips_corrupt_and_missing(isic_root, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="qgan.data"):
        data = load_dataset(isic_cfg(isic_root, tmp_path))
    assert data.class_names == ("MEL", "NV", "BCC")
    assert data.counts() == {"MEL": 4, "NV": 5, "BCC": 3}  # NV: 1 corrupt, 1 missing
    assert data.n_corrupt == 1
    assert data.images.shape == (12, 64, 64, 3) and data.images.dtype == np.uint8
    assert "ISIC_0000008" not in data.image_ids and "ISIC_0000014" not in data.image_ids
    assert_colours_match_labels(data)
    lesion = dict(zip(data.image_ids.tolist(), data.lesion_ids.tolist(), strict=True))
    assert lesion["ISIC_0000001"] == "L0"
    assert lesion["ISIC_0000003"] == "ISIC_0000003"  # empty lesion_id: its own lesion
    assert "1 of 14 listed images are missing" in caplog.text
    assert "skipped 1 unreadable image(s) of 13" in caplog.text


def test_isic2019_any_class_by_name_any_size(isic_root, tmp_path):
    data = load_dataset(isic_cfg(isic_root, tmp_path, classes=("df", "bcc"), size=32))
    assert data.class_names == ("DF", "BCC") and data.counts() == {"DF": 1, "BCC": 3}
    x = data.tensor()
    assert x.shape == (4, 3, 32, 32) and x.dtype == torch.float32
    assert_colours_match_labels(data)


def test_isic2019_limit_takes_the_first_images_per_class(isic_root, tmp_path):
    data = load_dataset(isic_cfg(isic_root, tmp_path, limit=2))
    assert data.counts() == {"MEL": 2, "NV": 2, "BCC": 2}
    assert data.image_ids.tolist()[:2] == ["ISIC_0000000", "ISIC_0000001"]


def test_too_many_corrupt_images_fail_loudly(isic_root, tmp_path):
    with pytest.raises(DataError) as err:  # 1 of 13 is 8%, over the default 1%
        load_dataset(isic_cfg(isic_root, tmp_path, max_corrupt_fraction=0.01))
    assert_one_line(err, "1 of 13 images are unreadable", "ISIC_0000008")


# ---------------------------------------------------------------- cache


def test_second_load_comes_from_the_cache_without_decoding(isic_root, tmp_path, monkeypatch):
    cfg = isic_cfg(isic_root, tmp_path)
    first = load_dataset(cfg)
    assert len(list((tmp_path / "c").glob("isic2019_MEL-NV-BCC_64px_*.npz"))) == 1

    def no_decoding(*args, **kwargs):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(images_module, "decode_image", no_decoding)
    second = load_dataset(cfg)
    np.testing.assert_array_equal(second.images, first.images)
    np.testing.assert_array_equal(second.labels, first.labels)
    assert second.image_ids.tolist() == first.image_ids.tolist()
    assert second.lesion_ids.tolist() == first.lesion_ids.tolist()
    assert second.class_names == first.class_names and second.n_corrupt == 1


def test_a_changed_image_or_size_misses_the_cache(isic_root, tmp_path):
    cfg = isic_cfg(isic_root, tmp_path)
    load_dataset(cfg)
    write_jpeg(
        isic_root / "isic2019/ISIC_2019_Training_Input/ISIC_0000000.jpg", (0, 0, 0), (60, 40)
    )
    load_dataset(cfg)
    load_dataset(isic_cfg(isic_root, tmp_path, size=16))
    assert len(list((tmp_path / "c").glob("*.npz"))) == 3


def test_default_cache_folder_skips_read_only_data(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home_cache"))
    writable, read_only = tmp_path / "rw", tmp_path / "ro"
    writable.mkdir(), read_only.mkdir()
    read_only.chmod(0o555)
    try:
        assert cache_folder(None, writable) == writable / ".qgan_cache"
        assert cache_folder(None, read_only) == tmp_path / "home_cache" / "qgan"
        assert cache_folder(str(tmp_path / "x"), read_only) == tmp_path / "x"
    finally:
        read_only.chmod(0o755)


# ---------------------------------------------------------------- HAM10000

HAM_ROWS = [
    ("ISIC_0024306", "NV", "HAM_0000001", "ok"),
    ("ISIC_0024307", "NV", "HAM_0000001", "ok"),
    ("ISIC_0024308", "MEL", "HAM_0000002", "ok"),
    ("ISIC_0024309", "BCC", "HAM_0000003", "ok"),
    ("ISIC_0024310", "AKIEC", "HAM_0000004", "ok"),
    ("ISIC_0024311", "MEL", "HAM_0000005", "ok"),
]


def write_ham(root: Path, image_folders: list[str]) -> None:
    rows = [
        [lesion, i, cls.lower(), "histo", 50.0, "male", "back"] for i, cls, lesion, _ in HAM_ROWS
    ]
    header = ["lesion_id", "image_id", "dx", "dx_type", "age", "sex", "localization"]
    write_csv(root / "HAM10000_metadata.csv", header, rows)
    for k, row in enumerate(HAM_ROWS):  # spread the images over the given folders
        write_images(root / image_folders[k % len(image_folders)], [row])


@pytest.mark.parametrize(
    "folders",
    [["HAM10000_images_part_1", "HAM10000_images_part_2"], ["images"], ["."]],
    ids=["official-parts", "images", "root"],
)
def test_ham10000_layouts(tmp_path, folders):
    write_ham(tmp_path / "ham10000", folders)
    cfg = DataConfig(
        dataset="ham10000",
        data_root=str(tmp_path),
        cache_dir=str(tmp_path / "c"),
        classes=("MEL", "nv", "BCC", "akiec"),
    )
    data = load_dataset(cfg)
    assert data.class_names == ("MEL", "NV", "BCC", "AKIEC")
    assert data.counts() == {"MEL": 2, "NV": 2, "BCC": 1, "AKIEC": 1}
    assert_colours_match_labels(data)
    assert set(data.lesion_ids.tolist()) == {f"HAM_000000{i}" for i in range(1, 6)}


def test_ham10000_explicit_image_dir_relative_to_the_data_root(tmp_path):
    write_ham(tmp_path / "ham10000", ["elsewhere"])
    (tmp_path / "ham10000" / "elsewhere").rename(tmp_path / "isic_images")
    cfg = DataConfig(
        dataset="ham10000",
        data_root=str(tmp_path),
        image_dir="isic_images",
        cache_dir=str(tmp_path / "c"),
        classes=("akiec", "bcc", "mel", "nv"),
    )
    data = load_dataset(cfg)
    assert len(data) == 6 and data.class_names == ("AKIEC", "BCC", "MEL", "NV")
    with pytest.raises(DataError) as err:  # all seven classes: the fixture has no BKL image
        load_dataset(dataclasses.replace(cfg, classes=None))
    assert_one_line(err, "class BKL of ham10000 has no images")
    with pytest.raises(DataError) as err:
        load_dataset(DataConfig(dataset="ham10000", data_root=str(tmp_path), image_dir="nope"))
    assert_one_line(err, "image_dir nope is not a folder")


# ---------------------------------------------------------------- Fitzpatrick17k


def write_fitzpatrick(root: Path, folder: str, rows) -> None:
    header = [
        "md5hash",
        "fitzpatrick_scale",
        "fitzpatrick_centaur",
        "label",
        "nine_partition_label",
        "three_partition_label",
        "qc",
        "url",
        "url_alphanum",
    ]
    table = [[h, 3, 3, "x", "y", cls, "", f"https://x/{h}.jpg", h] for h, cls, _, _ in rows]
    write_csv(root / "fitzpatrick17k.csv", header, table)
    write_images(root / folder, rows)


FITZ_ROWS = [
    ("5e82a45bc5d78bd24ae9202d194423f8", "non-neoplastic", "", "ok"),
    ("fa2911a9b13b6f8af79cb700937cc14f", "benign", "", "ok"),
    ("0a1b2c3d4e5f60718293a4b5c6d7e8f9", "malignant", "", "ok"),
    ("ffeeddccbbaa99887766554433221100", "malignant", "", "missing"),
]


@pytest.mark.parametrize("folder", ["images", "."])
def test_fitzpatrick17k_reports_missing_images(tmp_path, folder, caplog):
    write_fitzpatrick(tmp_path / "fitzpatrick17k", folder, FITZ_ROWS)
    cfg = DataConfig(
        dataset="fitzpatrick17k",
        data_root=str(tmp_path / "fitzpatrick17k"),
        classes=("malignant", "benign", "non-neoplastic"),
        cache_dir=str(tmp_path),
    )
    with caplog.at_level(logging.WARNING, logger="qgan.data"):
        data = load_dataset(cfg)
    assert data.counts() == {"malignant": 1, "benign": 1, "non-neoplastic": 1}
    assert data.lesion_ids.tolist() == data.image_ids.tolist()  # no lesion ids: one per image
    assert_colours_match_labels(data)
    assert "1 of 4 listed images are missing" in caplog.text


# ---------------------------------------------------------------- DermaMNIST


def write_dermamnist(folder: Path, size: int = 64) -> None:
    """``dermamnist_64.npz`` as medmnist writes it: labels (N, 1), images (N, S, S, 3) uint8."""
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", 14), ("val", 7), ("test", 7)):
        labels = (np.arange(n) % 7).reshape(n, 1).astype(np.uint8)
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
        arrays[f"{split}_labels"] = labels
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(folder / f"dermamnist_{size}.npz", **arrays)


def test_dermamnist_npz(tmp_path):
    write_dermamnist(tmp_path / "dermamnist")
    data = load_dataset(DataConfig(dataset="dermamnist", data_root=str(tmp_path)))
    assert data.class_names == ("MEL", "NV", "BCC")
    assert data.counts() == {"MEL": 4, "NV": 4, "BCC": 4}  # labels 4, 5, 1: 2 + 1 + 1 per split
    with np.load(tmp_path / "dermamnist/dermamnist_64.npz") as z:
        mel = z["train_images"][z["train_labels"][:, 0] == 4]  # medmnist label 4 is melanoma
    np.testing.assert_array_equal(class_subset(data, "MEL").images[:2], mel)
    assert data.tensor().shape == (12, 3, 64, 64)
    small = load_dataset(DataConfig(dataset="dermamnist", data_root=str(tmp_path), size=28))
    assert small.images.shape == (12, 28, 28, 3)


def test_dermamnist_absent_without_medmnist_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "medmnist", None)  # as if not installed
    with pytest.raises(DataError) as err:
        load_dataset(DataConfig(dataset="dermamnist", data_root=str(tmp_path)))
    assert_one_line(err, "dermamnist_64.npz not found", "pip install medmnist", "zenodo.org")


# ---------------------------------------------------------------- MNIST


def write_idx(path: Path, array: np.ndarray) -> None:
    """The idx format: 0, 0, dtype 0x08 (ubyte), ndim, big-endian uint32 dims, the bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def write_mnist(folder: Path, split: str = "t10k", n: int = 30) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    write_idx(folder / f"{split}-images-idx3-ubyte.gz", images)
    write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return images, labels


def test_mnist_idx_digit_subset(tmp_path):
    images, labels = write_mnist(tmp_path / "mnist")
    cfg = DataConfig(dataset="mnist", data_root=str(tmp_path), classes=(0, 1, 2), size=28)
    data = load_dataset(cfg)
    assert data.class_names == ("0", "1", "2") and data.counts() == {"0": 3, "1": 3, "2": 3}
    np.testing.assert_array_equal(data.images[..., 0], images[labels <= 2])
    x = data.tensor()
    assert x.shape == (9, 1, 28, 28) and x.min() >= -1 and x.max() <= 1
    assert load_dataset(
        DataConfig(dataset="mnist", data_root=str(tmp_path), classes=(7,))
    ).images.shape == (3, 64, 64, 1)


def test_mnist_corrupt_idx_is_one_line(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    with pytest.raises(DataError) as err:
        load_dataset(DataConfig(dataset="mnist", data_root=str(tmp_path), classes=(0,)))
    assert_one_line(err, "t10k-labels-idx1-ubyte.gz")


# ---------------------------------------------------------------- synthetic


def test_synthetic_is_seeded_and_in_range():
    a = load_dataset(DataConfig(limit=5))
    b = load_dataset(DataConfig(limit=5))
    c = load_dataset(DataConfig(limit=5, seed=1))
    assert a.images.shape == (15, 64, 64, 3) and a.counts() == {"MEL": 5, "NV": 5, "BCC": 5}
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, c.images)
    nv = load_dataset(DataConfig(classes=("NV",), limit=5))  # a class looks the same alone
    np.testing.assert_array_equal(nv.images, class_subset(a, "NV").images)
    x = a.tensor()
    assert x.shape == (15, 3, 64, 64) and -1 <= x.min() < x.max() <= 1
    # The classes differ in the cues named: MEL darkest and most varied, BCC lightest (pink).
    many = load_dataset(DataConfig(limit=50))
    brightness = {k: class_subset(many, k).images.mean() for k in many.class_names}
    assert brightness["MEL"] < brightness["NV"] < brightness["BCC"]
    spread = {
        k: class_subset(many, k).images.reshape(50, -1, 3).std(1).mean() for k in ("MEL", "NV")
    }
    assert spread["MEL"] > spread["NV"]


# ---------------------------------------------------------------- tensors and subsets


def test_to_tensor_scales_to_minus_one_one_and_back():
    images = np.random.default_rng(0).integers(0, 256, (2, 5, 4, 3), dtype=np.uint8)
    images[0, 0, 0] = (0, 255, 128)
    x = to_tensor(images)
    assert x.shape == (2, 3, 5, 4) and x.dtype == torch.float32
    assert x[0, :, 0, 0].tolist() == pytest.approx([-1.0, 1.0, 128 / 127.5 - 1], abs=1e-6)
    np.testing.assert_array_equal(to_uint8(x), images)
    with pytest.raises(ValueError):
        to_tensor(images.astype(np.float32))


def test_class_subset_and_select(isic_root, tmp_path):
    data = load_dataset(isic_cfg(isic_root, tmp_path))
    bcc = class_subset(data, "bcc")
    assert len(bcc) == 3 and set(bcc.labels.tolist()) == {2} and bcc.class_names == data.class_names
    assert len(class_subset(data, 0)) == 4
    with pytest.raises(DataError) as err:
        class_subset(data, "DF")
    assert_one_line(err, "MEL, NV, BCC")
    picked = select(data, ["ISIC_0000012", "ISIC_0000000"])
    assert picked.image_ids.tolist() == ["ISIC_0000012", "ISIC_0000000"]
    with pytest.raises(DataError):
        select(data, ["ISIC_9999999"])


# ---------------------------------------------------------------- splits


def assert_disjoint_by_lesion(data, split) -> None:
    lesion = dict(zip(data.image_ids.tolist(), data.lesion_ids.tolist(), strict=True))
    train, test = set(split.train_ids), set(split.test_ids)
    assert not train & test
    assert train | test == set(data.image_ids.tolist())
    assert not {lesion[i] for i in train} & {lesion[i] for i in test}


def test_split_by_lesion_on_fixture(isic_root, tmp_path):
    train, test, split = load_train_test(isic_cfg(isic_root, tmp_path, test_fraction=0.3))
    data = load_dataset(isic_cfg(isic_root, tmp_path))
    assert_disjoint_by_lesion(data, split)
    assert len(train) + len(test) == len(data) and len(test) > 0
    assert split == split_by_lesion(data, 0.3, 0)  # seeded
    assert save_split(split, tmp_path / "run") == tmp_path / "run" / "split.json"  # a run folder
    assert load_split(tmp_path / "run") == split
    assert load_split(save_split(split, tmp_path / "elsewhere.json")) == split
    tr, te = train_test(data, split)
    assert tr.image_ids.tolist() == list(split.train_ids)


# ---------------------------------------------------------------- roots and errors


def test_resolve_root_accepts_the_folder_its_parent_or_the_environment(isic_root, monkeypatch):
    folder = isic_root / "isic2019"
    assert resolve_root("isic2019", isic_root) == folder
    assert resolve_root("isic2019", folder) == folder
    monkeypatch.setenv("QGAN_DATA", str(isic_root))
    assert resolve_root("isic2019", None) == folder
    monkeypatch.delenv("QGAN_DATA")
    with pytest.raises(DataError) as err:
        resolve_root("isic2019", None)
    assert_one_line(err, "QGAN_DATA")
    with pytest.raises(DataError) as err:
        resolve_root("ham10000", isic_root)
    assert_one_line(err, "HAM10000_metadata.csv", "https://")


@pytest.mark.parametrize(
    "change, kw, fragments",
    [
        ("none", {"classes": ("MEL", "XYZ")}, ["'XYZ'", "MEL, NV, BCC, AK, BKL, DF, VASC, SCC"]),
        ("none", {"classes": ("MEL", "VASC")}, ["class VASC of isic2019 has no images"]),
        ("no-metadata", {}, ["ISIC_2019_Training_Metadata.csv not found", "isic-archive"]),
        ("no-truth", {}, ["no ISIC_2019_Training_GroundTruth.csv in", "isic-archive"]),
        ("no-folder", {}, ["ISIC_2019_Training_Input/ not found"]),
        ("none", {"dataset": "cifar"}, ["unknown dataset 'cifar'", "isic2019"]),
        ("none", {"test_fraction": 1.0}, ["test_fraction"]),
    ],
)
def test_bad_input_is_one_clear_line(isic_root, tmp_path, change, kw, fragments):
    folder = isic_root / "isic2019"
    if change == "no-metadata":
        (folder / "ISIC_2019_Training_Metadata.csv").unlink()
    elif change == "no-truth":
        (folder / "ISIC_2019_Training_GroundTruth.csv").unlink()
    elif change == "no-folder":
        for p in (folder / "ISIC_2019_Training_Input").iterdir():
            p.unlink()
        (folder / "ISIC_2019_Training_Input").rmdir()
    with pytest.raises(DataError) as err:
        load_dataset(isic_cfg(folder, tmp_path, **kw))
    assert_one_line(err, *fragments)


# ---------------------------------------------------------------- the real shared data

README_COUNTS = {"MEL": 1113, "NV": 6705, "BCC": 514}


def test_real_isic2019_counts_and_lesion_split_without_decoding(shared_data):
    index = load_index(DataConfig(dataset="isic2019", data_root=str(shared_data)))
    counts = dict(zip(index.class_names, np.bincount(index.labels).tolist(), strict=True))
    assert counts == README_COUNTS and index.n_missing == 0
    split = split_by_lesion(index, 0.2, 0)
    assert_disjoint_by_lesion(index, split)
    assert split == split_by_lesion(index, 0.2, 0) != split_by_lesion(index, 0.2, 1)
    test = set(split.test_ids)
    for label, name in enumerate(index.class_names):  # stratified: ~20% of every class
        ids = index.image_ids[index.labels == label].tolist()
        share = sum(i in test for i in ids) / len(ids)
        assert abs(share - 0.2) < 0.02, (name, share)


def test_real_isic2019_loads_a_limited_subset(shared_data, tmp_path):
    cfg = DataConfig(
        dataset="isic2019", data_root=str(shared_data), limit=16, cache_dir=str(tmp_path)
    )
    data = load_dataset(cfg)
    assert data.counts() == {"MEL": 16, "NV": 16, "BCC": 16}
    x = data.tensor()
    assert x.shape == (48, 3, 64, 64) and x.min() >= -1 and x.max() <= 1 and x.std() > 0.1


def test_real_ham10000_with_the_isic_image_folder(shared_data, tmp_path):
    cfg = DataConfig(
        dataset="ham10000",
        data_root=str(shared_data),
        classes=None,
        image_dir="isic2019/ISIC_2019_Training_Input",
        cache_dir=str(tmp_path),
    )
    index = load_index(cfg)
    assert len(index.paths) == 10015 and len(set(index.lesion_ids.tolist())) == 7470
    assert_disjoint_by_lesion(index, split_by_lesion(index, 0.2, 0))
    data = load_dataset(dataclasses.replace(cfg, classes=("mel", "df"), limit=4))
    assert data.counts() == {"MEL": 4, "DF": 4}


def test_real_fitzpatrick17k_without_images_is_a_clear_error(shared_data, tmp_path):
    cfg = DataConfig(
        dataset="fitzpatrick17k", data_root=str(shared_data), classes=None, cache_dir=str(tmp_path)
    )
    with pytest.raises(DataError) as err:
        load_dataset(cfg)
    assert_one_line(err, "none of the 16577 fitzpatrick17k images", "image_dir")


def test_real_mnist_t10k_digits(shared_data):
    cfg = DataConfig(dataset="mnist", data_root=str(shared_data), classes=(0, 1, 2), size=28)
    data = load_dataset(cfg)
    assert data.counts() == {"0": 980, "1": 1135, "2": 1032}
    assert data.tensor().shape == (3147, 1, 28, 28)
