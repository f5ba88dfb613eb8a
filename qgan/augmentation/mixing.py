"""Pure pieces of a training set: a stratified real subset, the mixing share, exact allocation.

HybridQ (Sec. 4.3) fine-tunes on a fraction of the real images plus generated ones, the mixing
ratio alpha being the share of generated images in the training set:

    alpha = n_gen / (n_gen + n_real)  =>  n_gen = round(alpha / (1 - alpha) * n_real).

Generated images are split over classes in proportion to the real class counts (or evenly), by
the largest-remainder method, so the per-class numbers always add up to ``n_gen`` exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qgan.augmentation.config import AugmentError


def stratified_subset(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of ``round(fraction * n_c)`` images of each class c (at least 1), seeded.

    Rounding per class keeps every class's share of the subset within one image of its share of
    ``labels`` (the MEL/NV/BCC distribution), and keeps rare classes in play.
    """
    if not 0.0 < fraction <= 1.0:
        raise AugmentError(f"fraction must lie in (0, 1], got {fraction}")
    rng = np.random.default_rng(seed)
    picked = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        k = max(1, int(round(fraction * len(members))))
        picked.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)


def n_generated(n_real: int, alpha: float) -> int:
    """Generated images that make a share ``alpha`` of a set holding ``n_real`` real ones.

    ``round(alpha / (1 - alpha) * n_real)``; the share is exact up to rounding to one image.
    """
    if not 0.0 <= alpha < 1.0:
        raise AugmentError(f"alpha must lie in [0, 1), got {alpha}")
    return int(round(alpha / (1.0 - alpha) * n_real))


def allocate(total: int, weights: Sequence[float]) -> np.ndarray:
    """``total`` split in proportion to ``weights`` (largest remainder): int counts, exact sum.

    All-zero weights split evenly (nothing to prefer). Ties in the remainders go to the lower
    index, so the result is deterministic.
    """
    w = np.asarray(weights, dtype=np.float64)
    if total < 0 or w.ndim != 1 or len(w) == 0 or (w < 0).any() or not np.isfinite(w).all():
        raise AugmentError(f"cannot allocate {total} over weights {w.tolist()}")
    if w.sum() == 0:
        w = np.ones_like(w)
    exact = total * w / w.sum()
    counts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - counts), kind="stable")  # largest remainders first
    counts[order[: total - int(counts.sum())]] += 1
    return counts


def generated_per_class(n_gen: int, real_counts: Sequence[int], balance: bool) -> np.ndarray:
    """Generated images per class: real class shares (HybridQ), or even when ``balance``."""
    weights = np.ones(len(real_counts)) if balance else np.asarray(real_counts, dtype=float)
    return allocate(n_gen, weights)


def assert_disjoint(train_ids: Sequence[str], test_ids: Sequence[str], what: str = "") -> None:
    """Raise if any test image id is among the training ids (a leak)."""
    leaked = sorted(set(train_ids) & set(test_ids))
    if leaked:
        raise AugmentError(
            f"{len(leaked)} test images reached training{f' ({what})' if what else ''} "
            f"(first: {leaked[0]}); the split is broken, report this"
        )


def draw_indices(pool_size: int, k: int, rng: np.random.Generator, repeats: bool) -> np.ndarray:
    """``k`` distinct indices of a pool of ``pool_size`` (with replacement only if ``repeats``)."""
    if k <= pool_size:
        return rng.permutation(pool_size)[:k]
    if not repeats or pool_size == 0:
        raise AugmentError(f"{k} images needed from a pool of {pool_size}")
    return rng.choice(pool_size, size=k, replace=True)
