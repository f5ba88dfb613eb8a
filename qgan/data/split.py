"""Train/test splits by lesion: all images of a lesion fall on the same side.

Several images often show one lesion (HAM10000: 10,015 images of 7,470 lesions), so a split by
image leaks test lesions into training. :func:`split_by_lesion` gives each lesion the class of
most of its images, shuffles each class's lesions with the seed, and moves lesions to the test
side while that brings the class's test share closer to ``test_fraction``: stratified by class
as far as whole lesions allow.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from qgan.data.core import DataError, LesionData, select


class Labelled(Protocol):
    """What a split needs: :class:`LesionData` or a loader's index (no images)."""

    labels: np.ndarray
    image_ids: np.ndarray
    lesion_ids: np.ndarray


@dataclass(frozen=True)
class Split:
    """Image ids on each side of a split, sorted, and how the split was made."""

    train_ids: tuple[str, ...]
    test_ids: tuple[str, ...]
    test_fraction: float
    seed: int


def split_by_lesion(data: Labelled, test_fraction: float = 0.2, seed: int = 0) -> Split:
    """A seeded train/test split by lesion, stratified by class (see the module docstring)."""
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    images_of, label_of = _lesions(data)
    if len(images_of) < 2:
        raise DataError(f"cannot split {len(images_of)} lesion(s) into train and test")
    rng = np.random.default_rng(seed)
    test: list[str] = []
    for label in sorted(set(label_of.values())):
        lesions = sorted(lesion for lesion, lab in label_of.items() if lab == label)
        test += _pick_test(lesions, images_of, test_fraction, rng)
    test_images = {image for lesion in test for image in images_of[lesion]}
    train = sorted(i for i in data.image_ids.tolist() if i not in test_images)
    return Split(tuple(train), tuple(sorted(test_images)), test_fraction, seed)


def _lesions(data: Labelled) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Lesion -> its image ids, and lesion -> the label of most of its images (ties: lowest)."""
    images_of: dict[str, list[str]] = defaultdict(list)
    votes: dict[str, Counter] = defaultdict(Counter)
    for image, lesion, label in zip(
        data.image_ids.tolist(), data.lesion_ids.tolist(), data.labels.tolist(), strict=True
    ):
        images_of[lesion].append(image)
        votes[lesion][label] += 1
    label_of = {lesion: min(v, key=lambda lab: (-v[lab], lab)) for lesion, v in votes.items()}
    return images_of, label_of


def _pick_test(
    lesions: list[str], images_of: dict[str, list[str]], fraction: float, rng: np.random.Generator
) -> list[str]:
    """Shuffled lesions, each taken if it brings the test image count closer to its target."""
    target = fraction * sum(len(images_of[lesion]) for lesion in lesions)
    taken, count = [], 0
    for i in rng.permutation(len(lesions)):
        n = len(images_of[lesions[i]])
        if abs(count + n - target) < abs(count - target):
            taken.append(lesions[i])
            count += n
    return taken


def train_test(data: LesionData, split: Split) -> tuple[LesionData, LesionData]:
    """The train and test parts of ``data`` under ``split``."""
    return select(data, split.train_ids), select(data, split.test_ids)


def save_split(split: Split, path: str | os.PathLike) -> Path:
    """Write the split as JSON to ``path`` (a ``.json`` file, else a run folder: its split.json)."""
    path = Path(path)
    if path.suffix != ".json":
        path = path / "split.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "test_fraction": split.test_fraction,
        "seed": split.seed,
        "n_train": len(split.train_ids),
        "n_test": len(split.test_ids),
        "train": list(split.train_ids),
        "test": list(split.test_ids),
    }
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def load_split(path: str | os.PathLike) -> Split:
    """A split written by :func:`save_split` (a ``.json`` file, or a folder holding split.json)."""
    path = Path(path)
    if path.suffix != ".json":
        path = path / "split.json"
    try:
        record = json.loads(path.read_text())
        return Split(
            tuple(record["train"]),
            tuple(record["test"]),
            float(record["test_fraction"]),
            int(record["seed"]),
        )
    except (OSError, ValueError, KeyError) as err:
        raise DataError(
            f"cannot read a split from {path} ({err}); write one with save_split"
        ) from err
