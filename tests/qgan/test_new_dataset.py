"""A new data set of image files is its ``qgan.data.sets.DATASETS`` line and its rows reader.

A toy set (a CSV of image ids and classes, PNGs in ``images/``) is declared the way ISIC 2019
is, with its reader in a module of its own; every command's data flags then read it.
"""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from qgan.data import DATASETS, DataSection, DataSet, load_train_test
from qgan.train import main as train_main

ROWS_MODULE = """
import csv


def toy_rows(root):
    with open(root / "toy.csv", newline="") as f:
        return [(r["image"], r["label"], r["image"]) for r in csv.DictReader(f)]
"""
TOY = DataSet(
    "toyset",
    ("round", "square"),
    rows="qgan_toy_rows:toy_rows",
    markers=("toy.csv",),
    subdirs=("toyset",),
    source="the test writes it",
)


def _write_toyset(folder, per_class: int = 6) -> None:
    (folder / "images").mkdir(parents=True)
    lines = ["image,label"]
    for label, name in enumerate(TOY.classes):
        for i in range(per_class):
            pixels = np.full((12, 12, 3), 40 + 150 * label + i, dtype=np.uint8)
            Image.fromarray(pixels).save(folder / "images" / f"{name}{i}.png")
            lines.append(f"{name}{i},{name}")
    (folder / "toy.csv").write_text("\n".join(lines) + "\n")


def test_a_data_set_declared_once_is_read_by_every_commands_data_flags(
    tmp_path, monkeypatch, capsys
):
    (tmp_path / "qgan_toy_rows.py").write_text(ROWS_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(DATASETS, "toyset", TOY)
    _write_toyset(tmp_path / "data" / "toyset")
    section = DataSection(dataset="toyset", data_root=str(tmp_path / "data"), image_size=8)
    train, test, _ = load_train_test(section.resolved().data_config())
    assert train.class_names == ("round", "square")  # every class: no MEL, NV, BCC here
    assert len(train) + len(test) == 12 and train.images.shape[1:] == (8, 8, 3)
    train_main(["--dataset", "toyset", "--data-root", str(tmp_path / "data"), "--dry-run"])
    resolved = json.loads(capsys.readouterr().out)
    assert (resolved["classes"], resolved["cls"]) == ("round,square", "round")
