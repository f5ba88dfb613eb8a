"""Image quality of the generated pools, beside the classification tables.

Per model and class: up to ``quality_n`` of its generated images (a seeded draw) against the
real held-out test images of the class, the cells' own test set, scored as ``qgan.evaluate``
scores a run (``qgan.evaluation.scoring``): Inception FID/KID, derm-FID/KID and SSIM diversity.
The real-vs-real floor row scores as many real training-side images of the class the same way.
Records are kept in ``<out>/quality.json`` by (model, class): a resumed run gathers only the
pools of models with cells left, and its tables must still show every model (as
``pool_notes.json`` keeps their notes). The scores themselves come from
``qgan.evaluation.scoring.cached_image_metrics``: a pool scored before against the same test
statistics is not scored again (Inception on a pool takes minutes on a CPU, and every run with
cells left would otherwise repeat it); each record carries that ``scores_key``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qgan.artifacts import atomic_path
from qgan.augmentation.sources import Pool
from qgan.data import LesionData, class_subset
from qgan.evaluation.networks import load_networks
from qgan.evaluation.runs import sample_of
from qgan.evaluation.scoring import FLOOR, ScoreSettings, cached_image_metrics
from qgan.evaluation.stats import real_statistics, stats_folder


@dataclass(frozen=True)
class QualityConfig:
    """What the augmentation configs say about scoring the pools."""

    n: int  # images per model and class at most (0: no quality table)
    dataset: str
    image_size: int
    fid_weights: str = ""
    download: bool = True  # whether pytorch-fid's .pth may be downloaded (--no-download)
    inception: bool = True
    derm_features: str = ""
    data_root: str = ""
    seed: int = 0


def quality_config(cfg) -> QualityConfig:
    """From a ``LesionConfig`` or ``DigitConfig`` (resolved): its data set, size and flags."""
    return QualityConfig(
        cfg.quality_n,
        cfg.dataset,
        cfg.image_size,
        cfg.fid_weights,
        not cfg.no_download,
        not cfg.no_inception,
        cfg.derm_features,
        cfg.data_root,
        cfg.split_seed,
    )


def pool_quality(
    pools: dict[str, dict[str, Pool]],
    train: LesionData,
    test: LesionData,
    cfg: QualityConfig,
    out: Path,
) -> tuple[list[dict], list[str]]:
    """Score the pools gathered now, merge with ``out/quality.json``; (records, notes).

    Args:
        pools: model -> class -> generated images (those of this run; may be empty).
        train: Real training side (all classes): the floor's images.
        test: Real test set (all classes): what every row is scored against.
        cfg: Image count, data set and size, feature networks, seed.
        out: The experiment's folder.
    """
    if not cfg.n:
        return [], []
    path = Path(out) / "quality.json"
    known = json.loads(path.read_text()) if path.is_file() else {"records": {}, "notes": []}
    if pools:
        nets = load_networks(
            [(cfg.dataset, cfg.image_size)],
            fid_weights=cfg.fid_weights,
            download=cfg.download,
            inception=cfg.inception,
            derm_features=cfg.derm_features,
            data_root=cfg.data_root,
            quiet=True,
        )
        found = _score(pools, train, test, nets.for_key(cfg.dataset, cfg.image_size), cfg)
        known["records"] |= found
        known["notes"] = nets.notes() + [
            f"image quality: up to {cfg.n} generated images per model and class against the "
            f"{len(test)} real test images; {FLOOR}: as many real training images of the class"
        ]
        with atomic_path(path) as tmp:  # runs on one folder side by side read it as it is written
            tmp.write_text(json.dumps(known, indent=1) + "\n")
    return list(known["records"].values()), known["notes"]


def _score(pools, train: LesionData, test: LesionData, nets, cfg: QualityConfig) -> dict:
    """Records of the pools and of the floor, per class (scores cached: module doc)."""
    stats_dir = stats_folder()
    settings = ScoreSettings(seed=cfg.seed)
    records, largest = {}, {}
    reals: dict = {}  # class -> (network, real test statistics)

    def score(name: str, images: np.ndarray, cls: str, record: dict) -> None:
        if cls not in reals:
            real = class_subset(test, cls)
            reals[cls] = [(net, real_statistics(real, cls, "test", net, stats_dir)) for net in nets]
        metrics = cached_image_metrics(images, reals[cls], settings, stats_dir)
        records[name] = record | {"n_fake": len(images)} | metrics

    # FID, KID and SSIM need two images a side: smaller pools or test classes are left out
    testable = {cls for cls in test.class_names if len(class_subset(test, cls)) >= 2}
    for model, per_class in pools.items():
        for cls, pool in per_class.items():
            images = sample_of(pool.images, cfg.n, cfg.seed)
            if cls not in testable or len(images) < 2:
                continue
            largest[cls] = max(largest.get(cls, 0), len(images))
            score(f"{model}/{cls}", images, cls, {"label": model, "model": model, "cls": cls})
    for cls in largest:
        images = sample_of(class_subset(train, cls), largest[cls], cfg.seed)
        if len(images) < 2:
            continue
        score(f"real/{cls}", images, cls, {"label": FLOOR, "model": "real", "cls": cls})
    return records
