"""Scores of one image set against real test statistics, in every feature network at once.

FID and KID per network (keys ``fid``, ``kid_mean``, ``kid_std`` for Inception, ``derm_fid``,
... for the derm network: the two never share a key) and SSIM diversity. Used for generated
images and for the real-vs-real floor alike, so both rows of every table mean the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qgan.evaluation.features import FeatureNet
from qgan.evaluation.metrics import (
    frechet_distance_of_features,
    kernel_inception_distance,
    pixel_spread,
    sharpness,
)
from qgan.evaluation.metrics import ssim_diversity as ssim_score
from qgan.evaluation.stats import RealStats

FLOOR = "real vs real (train vs test)"  # the row of real training images, scored like a model


@dataclass(frozen=True)
class ScoreSettings:
    """How images are scored (``qgan.evaluate``'s defaults)."""

    kid_subsets: int = 100  # torch-fidelity's default
    kid_subset_size: int = 1000  # capped at the smaller set
    ssim_pairs: int = 500
    seed: int = 0  # seed of the KID subsets and SSIM pairs
    batch_size: int = 100  # images per feature-network call

    @classmethod
    def of(cls, cfg) -> ScoreSettings:
        """The settings of a ``qgan.evaluation.config.ScoringSection`` (evaluate, floor)."""
        return cls(cfg.kid_subsets, cfg.kid_subset_size, cfg.ssim_pairs, cfg.seed, cfg.batch_size)


def metric_prefix(net: FeatureNet) -> str:
    """``""`` for Inception (``fid``, the paper's metric), else ``"<name>_"`` (``derm_fid``)."""
    return "" if net.name == "inception" else f"{net.name}_"


def image_metrics(
    images: np.ndarray, reals: Sequence[tuple[FeatureNet, RealStats]], settings: ScoreSettings
) -> dict:
    """FID / KID of ``images`` against each network's real statistics, and SSIM diversity.

    Args:
        images: uint8 ``(N, H, W, C)``, N >= 2.
        reals: (network, statistics of the real test images in its space) pairs.
        settings: KID subsets, SSIM pairs, seeds, batch size.

    Returns:
        ``ssim_diversity``, ``spread`` and ``sharpness`` (``qgan.evaluation.metrics``), and per
        network ``<prefix>fid``, ``<prefix>kid_mean``, ``<prefix>kid_std``, and ``<name>_weights``:
        the network's fingerprint.
    """
    s = settings
    result: dict = {
        "ssim_diversity": ssim_score(images, s.ssim_pairs, s.seed),
        "spread": pixel_spread(images),
        "sharpness": sharpness(images),
    }
    for net, real in reals:
        fake = net.features(images, s.batch_size)  # (N, D)
        prefix = metric_prefix(net)
        # from the features, not (mu, sigma): exact, and no sqrtm of a (2048, 2048) matrix
        result[f"{prefix}fid"] = frechet_distance_of_features(real.features, fake)
        kid = kernel_inception_distance(
            real.features, fake, s.kid_subsets, s.kid_subset_size, s.seed
        )
        result[f"{prefix}kid_mean"], result[f"{prefix}kid_std"] = kid
        result[f"{net.name}_weights"] = net.fingerprint
    return result
