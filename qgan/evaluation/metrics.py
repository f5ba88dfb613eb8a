"""Image-quality metrics as small pure functions on features and images.

- Frechet distance (FID; Heusel et al. 2017), pytorch-fid's ``calculate_frechet_distance``
  formula and numerical guards, on feature statistics from :func:`feature_statistics`.
- Kernel Inception Distance (KID; Binkowski et al. 2018, "Demystifying MMD GANs"): the unbiased
  MMD^2 with the cubic polynomial kernel, averaged over random subsets as torch-fidelity does.
- SSIM diversity: the mean structural similarity (Wang et al. 2004, scikit-image) over random
  pairs of generated images; mode collapse shows up as a high value.

Feature extraction (``qgan.evaluation.features``), statistics and distances are separate steps, so
the statistics of real data can be cached (``qgan.evaluation.stats``).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg
from skimage.metrics import structural_similarity


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of features, the Gaussian FID compares.

    mu = (1/N) sum_i f_i,  Sigma = 1/(N-1) sum_i (f_i - mu)(f_i - mu)^T  (``np.cov``).

    Args:
        features: ``(N, D)`` features, N >= 2.

    Returns:
        ``mu`` ``(D,)`` and ``sigma`` ``(D, D)``, float64.
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"features must be (N >= 2, D), got shape {features.shape}")
    return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False))


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, eps: float = 1e-6
) -> float:
    """Frechet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)),
    computed as pytorch-fid 0.3.0's ``calculate_frechet_distance`` (stable version by
    D. J. Sutherland), whose guards are kept, each with its reason below.

    Args:
        mu1, mu2: ``(D,)`` means (scalars allowed for D = 1).
        sigma1, sigma2: ``(D, D)`` covariances.
        eps: Diagonal offset used only when the product of covariances is singular.

    Raises:
        ValueError: Shapes differ, or the matrix square root has a large imaginary part.
    """
    # 1-D inputs come as scalars; the formula needs vectors and matrices.
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1 = np.atleast_2d(sigma1).astype(np.float64)
    sigma2 = np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(
            f"statistics differ in shape: mu {mu1.shape} vs {mu2.shape}, "
            f"sigma {sigma1.shape} vs {sigma2.shape} (features of different networks?)"
        )
    diff = mu1 - mu2
    covmean = _sqrtm(sigma1 @ sigma2)
    # With fewer samples than dimensions the covariances are rank-deficient and the product is
    # (almost) singular: sqrtm may return inf/nan. A tiny ridge on both makes it well posed.
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = _sqrtm((sigma1 + offset) @ (sigma2 + offset))
    # sqrtm of a real matrix goes through a complex Schur form: rounding leaves tiny imaginary
    # parts. A large one on the diagonal means the result is wrong, not merely rounded.
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"imaginary component {np.max(np.abs(covmean.imag)):.3g} in FID")
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    """``scipy.linalg.sqrtm`` without its singular-matrix warning.

    Rank-deficient covariances (fewer images than feature dimensions) are the normal case here,
    and the caller checks the result itself; pytorch-fid silences it the same way (disp=False).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        return linalg.sqrtm(matrix)


def fid_from_features(real: np.ndarray, fake: np.ndarray) -> float:
    """FID between two feature sets ``(N1, D)`` and ``(N2, D)``: statistics, then distance."""
    return frechet_distance(*feature_statistics(real), *feature_statistics(fake))


def frechet_distance_of_features(real: np.ndarray, fake: np.ndarray) -> float:
    """FID of two feature sets, exact, without a ``(D, D)`` matrix square root when N < D.

    With centred features X ``(N1, D)`` and Y ``(N2, D)``, Sigma1 = X^T X / (N1 - 1) and
    Sigma2 = Y^T Y / (N2 - 1); the nonzero eigenvalues of Sigma1 Sigma2 are those of
    (X Y^T)(X Y^T)^T / ((N1 - 1)(N2 - 1)), so
    Tr((Sigma1 Sigma2)^(1/2)) = ||X Y^T||_* / sqrt((N1 - 1)(N2 - 1)) (nuclear norm: the sum of
    singular values) and
    d^2 = ||mu1 - mu2||^2 + ||X||_F^2 / (N1 - 1) + ||Y||_F^2 / (N2 - 1) - 2 ||X Y^T||_* / ...
    It is :func:`fid_from_features` up to rounding: an SVD of ``(N1, N2)`` replaces ``sqrtm``
    of ``(D, D)``, which at D = 2048 (Inception) takes 15-60 s on a 2-core CPU. When both sets
    are larger than D, :func:`fid_from_features` is the cheaper one and is used.
    """
    x, y = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or min(len(x), len(y)) < 2:
        raise ValueError(f"features must be (N >= 2, D) with one D, got {x.shape}, {y.shape}")
    (n1, d), n2 = x.shape, len(y)
    if min(n1, n2) > d:
        return fid_from_features(x, y)
    diff = x.mean(axis=0) - y.mean(axis=0)
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    cross = np.linalg.svd(xc @ yc.T, compute_uv=False).sum() / np.sqrt((n1 - 1) * (n2 - 1))
    spread = (xc * xc).sum() / (n1 - 1) + (yc * yc).sum() / (n2 - 1)
    return float(diff @ diff + spread - 2.0 * cross)


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """k(x, y) = (x . y / d + 1)^3 for all rows: ``(N, d)``, ``(M, d)`` -> ``(N, M)``."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 of two equal-size samples ``(m, d)`` with :func:`polynomial_kernel`.

    MMD^2_u = 1/(m(m-1)) sum_{i != j} [k(x_i, x_j) + k(y_i, y_j)] - 2/m^2 sum_{i, j} k(x_i, y_j)
    (Binkowski et al. 2018, eq. 2; torch-fidelity's ``mmd2``). It is 0 in expectation for
    samples of one distribution, so it may come out negative.
    """
    m = len(x)
    if len(y) != m or m < 2:
        raise ValueError(f"MMD needs two samples of one size >= 2, got {len(x)} and {len(y)}")
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    # The diagonal k(x_i, x_i) is dropped: keeping it is what biases the plain estimate.
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / (m * m))


def kernel_inception_distance(
    real: np.ndarray,
    fake: np.ndarray,
    n_subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """KID: mean and standard deviation of :func:`mmd2_unbiased` over random subsets.

    KID = (1/S) sum_s MMD^2_u(R_s, F_s), where R_s and F_s are ``subset_size`` rows drawn
    without replacement from ``real`` ``(N1, D)`` and ``fake`` ``(N2, D)`` (torch-fidelity's
    defaults: S = 100 subsets of 1000). The std (ddof 0, as torch-fidelity) says how much of a
    difference between two KIDs is noise.

    Args:
        real, fake: Feature sets.
        n_subsets: S.
        subset_size: Rows per subset; capped at the smaller set, so small test sets still work.
        seed: Seed of the subset draws.
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"features must be (N, D) with one D, got {real.shape}, {fake.shape}")
    size = min(subset_size, len(real), len(fake))
    rng = np.random.default_rng(seed)
    mmds = np.array(
        [
            mmd2_unbiased(
                real[rng.choice(len(real), size, replace=False)],
                fake[rng.choice(len(fake), size, replace=False)],
            )
            for _ in range(n_subsets)
        ]
    )
    return float(mmds.mean()), float(mmds.std())


def ssim_diversity(images: np.ndarray, n_pairs: int = 500, seed: int = 0) -> float:
    """Mean SSIM over random pairs of distinct images; high means alike (mode collapse).

    SSIM(x, y) = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 +
    sigma_y^2 + C2)), averaged over 7x7 windows and channels (scikit-image
    ``structural_similarity``, data range 255). Identical images give 1.

    Args:
        images: uint8 ``(N, H, W, C)``, N >= 2.
        n_pairs: Pairs (i, j), i != j, drawn with the seed; all pairs if there are fewer.
        seed: Seed of the pair draw.
    """
    if images.ndim != 4 or len(images) < 2:
        raise ValueError(f"SSIM diversity wants (N >= 2, H, W, C) images, got {images.shape}")
    pairs = _pairs(len(images), n_pairs, seed)
    scores = [
        structural_similarity(images[i], images[j], channel_axis=-1, data_range=255)
        for i, j in pairs
    ]
    return float(np.mean(scores))


def _pairs(n: int, n_pairs: int, seed: int) -> np.ndarray:
    """``(P, 2)`` index pairs i < j: all of them if n(n-1)/2 <= n_pairs, else a seeded draw."""
    if n * (n - 1) // 2 <= n_pairs:
        return np.array([(i, j) for i in range(n) for j in range(i + 1, n)])
    rng = np.random.default_rng(seed)
    first = rng.integers(0, n, n_pairs)
    second = (first + rng.integers(1, n, n_pairs)) % n  # never equal to first
    return np.sort(np.stack([first, second], axis=1), axis=1)


def pixel_spread(images: np.ndarray) -> float:
    """Mean distance of an image to the images' mean image: how much samples differ.

    spread = (1/N) sum_i |x_i - mean_j x_j|_2 over pixels and channels, x in [0, 1] (uint8 / 255).
    A collapsed generator gives ~0; compare with real images of the class (``spread / real``).

    Args:
        images: uint8 ``(N, H, W, C)``, N >= 2.
    """
    x = _unit(images)
    flat = (x - x.mean(0)).reshape(len(x), -1)  # (N, H * W * C)
    return float(np.sqrt(np.square(flat).sum(1)).mean())


def sharpness(images: np.ndarray) -> float:
    """Mean absolute difference of neighbouring pixels: how much detail images carry.

    sharpness = (mean |x[:, i, j+1] - x[:, i, j]| + mean |x[:, i+1, j] - x[:, i, j]|) / 2, x in
    [0, 1]. Blurred images score low; checkerboard artifacts score high, so read it beside the
    samples and against real images of the class.

    Args:
        images: uint8 ``(N, H, W, C)``.
    """
    x = _unit(images)
    return float((np.abs(np.diff(x, axis=2)).mean() + np.abs(np.diff(x, axis=1)).mean()) / 2)


def _unit(images: np.ndarray) -> np.ndarray:
    if images.ndim != 4 or images.dtype != np.uint8 or len(images) < 2:
        raise ValueError(f"want uint8 (N >= 2, H, W, C) images, got {images.dtype} {images.shape}")
    return images.astype(np.float64) / 255.0
