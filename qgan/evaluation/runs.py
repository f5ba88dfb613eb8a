"""Training run folders as evaluation sees them: model, data set, class, split, checkpoints.

A run folder (``python -m qgan.train``) holds config.json, split.json, last.pt and per-epoch
``epochNNN.pt`` snapshots; it is named ``<model>-<dataset>-<CLASS>`` (``-2``, ``-3`` when
taken). Real images come from the run's own split.json, so the test images a GAN is scored on
are the ones it never trained on.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qgan.data import (
    DataConfig,
    DataSection,
    LesionData,
    class_subset,
    load_dataset,
    load_split,
    select,
)
from qgan.training.config import TrainConfig

ROOT_DEPTH = 3  # results root -> variant -> seed -> run folder, as Table 1's runs are laid out
_SNAPSHOT = re.compile(r"^epoch(\d+)\.pt$")
# The config fields that make a run another variant of its model (a table row of its own);
# its seed makes it another sample of the same row, and its data, length and batch size are
# reported beside the row rather than in its name.
VARIANT_FIELDS = (
    "objective",
    "decoder",
    "decoder_width",
    "prior",
    "encoder_wiring",
    "raw_latents",
    "decoder_adversarial_weight",
    "covariance_weight",
    "latent_two_sided",
    "decoder_bias_init",
    "n_layers",
    "lr_quantum",
    "lr_classical",
    "lr_discriminator",
    "beta1",
    "train_per_class",
)


@dataclass(frozen=True)
class Run:
    """One per-class training run folder and its config.json."""

    path: Path
    config: dict

    @property
    def model(self) -> str:
        return str(self.config.get("model", "hybridq"))

    @property
    def dataset(self) -> str:
        return str(self.config["dataset"])

    @property
    def cls(self) -> str:
        return str(self.config["cls"])

    @property
    def image_size(self) -> int:
        return int(self.config.get("image_size", 64))

    @property
    def label(self) -> str:
        """The table row: the model, and each ``VARIANT_FIELDS`` value that differs from the
        model's defaults, e.g. ``hybridq (decoder=paper)``; runs that differ only in their seed
        share a row."""
        return variant_label(self.config)

    @property
    def train_seed(self) -> int:
        return int(self.config.get("seed", 0))

    def snapshots(self) -> list[tuple[int, Path]]:
        """(epoch, path) of the ``epochNNN.pt`` snapshots, by epoch."""
        found = [(_SNAPSHOT.match(p.name), p) for p in self.path.glob("epoch*.pt")]
        return sorted((int(m.group(1)), p) for m, p in found if m)

    def snapshot(self, epoch: int) -> Path | None:
        """``epochNNN.pt`` of ``epoch``, None when the run has no such snapshot."""
        return dict(self.snapshots()).get(epoch)

    def final_checkpoint(self) -> Path:
        """``last.pt``, else the newest snapshot."""
        if (self.path / "last.pt").is_file():
            return self.path / "last.pt"
        if snaps := self.snapshots():
            return snaps[-1][1]
        raise FileNotFoundError(f"run {self.path} has no last.pt and no epochNNN.pt snapshot")


def is_run(path: Path) -> bool:
    return (path / "config.json").is_file() and (path / "split.json").is_file()


def find_runs(paths: list[str | os.PathLike]) -> list[Run]:
    """The run folders among ``paths`` and, for a results root, its subfolders down to
    ``ROOT_DEPTH`` levels: ``root/<run>``, ``root/<variant>/<run>`` and
    ``root/<variant>/s<seed>/<run>``.

    Raises:
        FileNotFoundError: A path that does not exist, or no run folder found at all.
    """
    folders: list[Path] = []
    for given in paths:
        path = Path(given).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"{path} is not a folder; pass run folders or a results root")
        if is_run(path):
            folders.append(path)
            continue
        for depth in range(1, ROOT_DEPTH + 1):
            pattern = "*/" * depth + "config.json"
            folders += sorted(p.parent for p in path.glob(pattern) if is_run(p.parent))
    if not folders:
        raise FileNotFoundError(
            f"no run folders in {', '.join(str(p) for p in paths)} (a run folder holds "
            "config.json and split.json; make one with python -m qgan.train)"
        )
    runs = [_read(p) for p in dict.fromkeys(p.resolve() for p in folders)]
    _refuse_duplicates(runs)
    return runs


def _read(path: Path) -> Run:
    try:
        config = json.loads((path / "config.json").read_text())
        config["dataset"], config["cls"]  # noqa: B018 - the keys evaluation needs
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path / 'config.json'} is not a qgan run config ({exc})") from None
    return Run(path, config)


def variant_label(config: dict) -> str:
    """``model`` or ``model (field=value, ...)`` for the fields where ``config`` (a run's saved
    config) differs from its model's defaults; saved configs that predate a field read it with
    the value their runs had (``TrainConfig.legacy_values``). A model qgan does not know (a
    sampler plugged in by hand) is its own name."""
    try:
        saved = TrainConfig.from_dict(config).with_model_defaults()  # 0 rates: the model's
    except ValueError:
        return str(config.get("model", "hybridq"))
    default = TrainConfig(model=saved.model).with_model_defaults()
    changed = [
        f"{k}={getattr(saved, k)}"
        for k in VARIANT_FIELDS
        if getattr(saved, k) != getattr(default, k)
    ]
    return saved.model + (f" ({', '.join(changed)})" if changed else "")


def _refuse_duplicates(runs: list[Run]) -> None:
    """Two runs of one variant, class and seed would silently average a repeat: name both."""
    seen: dict[tuple[str, str, str, int], Path] = {}
    for run in runs:
        key = (run.label, run.dataset, run.cls, run.train_seed)
        if key in seen:
            raise ValueError(
                f"two runs of {run.label} on {run.dataset} {run.cls} with seed {run.train_seed}: "
                f"{seen[key]} and {run.path}; pass the run folders to compare one by one"
            )
        seen[key] = run.path


def data_config(run: Run, data_root: str | None = None) -> DataConfig:
    """The data the run trained on, as ``qgan.train`` loaded it (``data_root`` overrides)."""
    section = DataSection.of(run.config)
    if data_root:
        section = dataclasses.replace(section, data_root=data_root)
    return section.data_config()


@functools.lru_cache(maxsize=4)
def _dataset(cfg: DataConfig) -> LesionData:
    """Runs of one data set share its loaded images."""
    return load_dataset(cfg)


def real_images(run: Run, side: str = "test", data_root: str | None = None) -> LesionData:
    """The run's real images of its class on one side (``test`` or ``train``) of its split."""
    split = load_split(run.path)
    ids = {"test": split.test_ids, "train": split.train_ids}[side]
    return class_subset(select(_dataset(data_config(run, data_root)), ids), run.cls)


def sample_of(data: LesionData | np.ndarray, n: int, seed: int) -> np.ndarray:
    """At most ``n`` of the images (of a data set or an image array), a seeded choice without
    replacement, in index order."""
    images = data if isinstance(data, np.ndarray) else data.images
    if len(images) <= n:
        return images
    keep = np.sort(np.random.default_rng(seed).choice(len(images), n, replace=False))
    return images[keep]
