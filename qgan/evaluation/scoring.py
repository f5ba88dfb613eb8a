"""Scores of one image set against real test statistics, in every feature network at once.

FID and KID per network (keys ``fid``, ``kid_mean``, ``kid_std`` for Inception, ``derm_fid``,
... for the derm network: the two never share a key) and SSIM diversity. Used for generated
images and for the real-vs-real floor alike, so both rows of every table mean the same.

``cached_image_metrics`` keeps each result as a JSON file beside the real statistics, keyed by
the images themselves, the real statistics and networks they are scored against, the settings
and ``METRICS_VERSION``: the real-vs-real row of ``qgan.evaluate``, its ``floor`` command and the
augmentation pools' quality table all score the same images again and again (minutes of
Inception on a CPU each), and equal keys mean equal scores.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qgan.artifacts import atomic_path
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

METRICS_VERSION = 3  # bump when a metric's computation changes: cached scores retire
# 2: FID from the features (nuclear norm, not sqrtm), Inception KID and weights in every record

log = logging.getLogger(__name__)


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


def cached_image_metrics(
    images: np.ndarray,
    reals: Sequence[tuple[FeatureNet, RealStats]],
    settings: ScoreSettings,
    cache_dir: Path,
) -> dict:
    """:func:`image_metrics`, read from ``cache_dir`` when these images were scored against these
    statistics with these settings before (module doc), else computed and written there.

    The result carries its ``scores_key``. A cache that cannot be read is scored again; one that
    cannot be written is only a warning.
    """
    key = scores_key(images, reals, settings)
    path = Path(cache_dir) / f"scores_{key}.json"
    cached = _read_json(path)
    if cached is not None:
        return cached
    result = image_metrics(images, reals, settings) | {"scores_key": key}
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(result) + "\n")
    except OSError as err:
        log.warning("could not cache scores %s (%s); pass --cache-dir", path, err)
    return result


def scores_key(
    images: np.ndarray, reals: Sequence[tuple[FeatureNet, RealStats]], settings: ScoreSettings
) -> str:
    """Everything :func:`image_metrics` depends on: the images, each network's weights and real
    statistics (their file is keyed by image ids and network), the settings but the batch size."""
    s = settings
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
    spaces = [(net.name, net.fingerprint, real.path.name) for net, real in reals]
    scoring = (s.kid_subsets, s.kid_subset_size, s.ssim_pairs, s.seed)
    digest.update(repr((METRICS_VERSION, images.dtype.str, images.shape, spaces, scoring)).encode())
    return digest.hexdigest()[:20]


def _read_json(path: Path) -> dict | None:
    """A cached result, or None when there is none (or it cannot be read: it is scored again)."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        log.warning("ignoring unreadable cached scores %s (%s); scoring again", path, err)
        return None
