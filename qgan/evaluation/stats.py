"""Feature statistics of real images, cached as npz (pytorch-fid's ``--save-stats`` habit).

One file per (data set, class, split, image ids, size, feature network): ``mu`` ``(D,)``,
``sigma`` ``(D, D)`` for FID and the ``features`` ``(N, D)`` themselves for KID. The key hashes
the image ids and the network's fingerprint, so another split, class, size or set of weights
gets its own entry and a stale one is never served. Files are written to a temporary name and
renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qgan.artifacts import atomic_path
from qgan.data import LesionData
from qgan.data.roots import cache_folder
from qgan.evaluation.features import FeatureNet
from qgan.evaluation.metrics import feature_statistics


def stats_folder(cache_dir: str = "") -> Path:
    """Where real-data statistics are cached: ``cache_dir/stats``, else ``~/.cache/qgan/stats``."""
    return cache_folder(cache_dir or None, None) / "stats"


log = logging.getLogger(__name__)

STATS_VERSION = 1  # bump when feature extraction changes, to retire old entries


@dataclass(frozen=True, eq=False)
class RealStats:
    """Statistics of one real image set in one feature space."""

    mu: np.ndarray  # (D,)
    sigma: np.ndarray  # (D, D)
    features: np.ndarray  # (N, D), for KID
    path: Path  # the cache file
    cached: bool  # read from the cache (True) or computed now (False)


def stats_key(
    dataset: str, cls: str, split: str, image_ids: list[str], size: int, net: FeatureNet
) -> str:
    """A file name: readable prefix + hash of everything that shapes the statistics."""
    blob = json.dumps(
        [STATS_VERSION, dataset, cls, split, sorted(image_ids), size, net.fingerprint],
        separators=(",", ":"),
    )
    digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
    return f"{dataset}_{cls}_{split}_{size}px_{net.name}_{digest}.npz"


def real_statistics(
    data: LesionData,
    cls: str,
    split: str,
    net: FeatureNet,
    cache_dir: Path,
    batch_size: int = 100,
) -> RealStats:
    """Statistics of ``data`` (one class of one split) in ``net``'s space, cached in ``cache_dir``.

    Args:
        data: The real images (uint8 ``(N, H, W, C)``) and their ids.
        cls: Their class; part of the key.
        split: ``test`` or ``train``; part of the key.
        net: The feature network.
        cache_dir: Folder of the npz files (created).
        batch_size: Images per network call.
    """
    size = int(data.images.shape[1])
    path = Path(cache_dir) / stats_key(data.dataset, cls, split, data.image_ids.tolist(), size, net)
    stats = _load(path)
    if stats is not None:
        return stats
    features = net.features(data.images, batch_size)
    mu, sigma = feature_statistics(features)
    _save(path, mu, sigma, features)
    return RealStats(mu, sigma, features, path, cached=False)


def _load(path: Path) -> RealStats | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            return RealStats(z["mu"], z["sigma"], z["features"], path, cached=True)
    except (OSError, ValueError, KeyError) as err:
        log.warning("ignoring unreadable statistics %s (%s); computing again", path, err)
        return None


def _save(path: Path, mu: np.ndarray, sigma: np.ndarray, features: np.ndarray) -> None:
    """Write atomically; a cache that cannot be written is only a warning."""
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, mu=mu, sigma=sigma, features=features)
    except OSError as err:
        log.warning("could not write statistics %s (%s); pass --cache-dir", path, err)
