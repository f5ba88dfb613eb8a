"""qgan.evaluation.metrics against analytic values, pytorch-fid itself and direct O(n^2) sums."""

from __future__ import annotations

import numpy as np
import pytest

from qgan.evaluation.metrics import (
    _pairs,
    feature_statistics,
    fid_from_features,
    frechet_distance,
    frechet_distance_of_features,
    kernel_inception_distance,
    mmd2_unbiased,
    polynomial_kernel,
    ssim_diversity,
)
from qgan.vision import pytorch_fid


def _spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.standard_normal((d, d))
    return a @ a.T + d * np.eye(d)


def test_feature_statistics_are_mean_and_unbiased_covariance():
    x = np.random.default_rng(0).standard_normal((50, 4))
    mu, sigma = feature_statistics(x)
    np.testing.assert_allclose(mu, x.mean(0))
    centred = x - x.mean(0)
    np.testing.assert_allclose(sigma, centred.T @ centred / 49)
    with pytest.raises(ValueError, match="N >= 2"):
        feature_statistics(x[:1])


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(1).standard_normal((300, 16))
    assert abs(fid_from_features(x, x)) < 1e-6


def test_fid_of_equal_covariances_is_the_squared_mean_distance():
    rng = np.random.default_rng(2)
    sigma = _spd(rng, 6)
    mu1, mu2 = rng.standard_normal(6), rng.standard_normal(6)
    expected = float(np.sum((mu1 - mu2) ** 2))
    assert frechet_distance(mu1, sigma, mu2, sigma) == pytest.approx(expected, rel=1e-8, abs=1e-8)


def test_fid_of_one_dimensional_and_diagonal_gaussians():
    # 1-D: d^2 = (m1 - m2)^2 + (s1 - s2)^2, scalars accepted.
    assert frechet_distance(1.0, 4.0, -2.0, 9.0) == pytest.approx(9.0 + 1.0)
    # Diagonal: the same, summed over dimensions.
    s1, s2 = np.array([1.0, 2.0, 0.5]), np.array([3.0, 2.0, 1.5])
    m1, m2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = np.sum((m1 - m2) ** 2) + np.sum((s1 - s2) ** 2)
    value = frechet_distance(m1, np.diag(s1**2), m2, np.diag(s2**2))
    assert value == pytest.approx(expected)


@pytest.mark.filterwarnings("ignore:The `disp` argument is deprecated:DeprecationWarning")
def test_fid_matches_pytorch_fid_on_general_statistics():
    rng = np.random.default_rng(3)
    stats = (rng.standard_normal(8), _spd(rng, 8), rng.standard_normal(8), _spd(rng, 8))
    reference = pytorch_fid.fid_score.calculate_frechet_distance(*stats)
    assert frechet_distance(*stats) == pytest.approx(float(reference), rel=1e-9)


def test_fid_with_fewer_samples_than_dimensions_is_finite():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((5, 20)), rng.standard_normal((5, 20)) + 1.0
    value = fid_from_features(a, b)
    assert np.isfinite(value) and value > 0


@pytest.mark.filterwarnings("ignore:The `disp` argument is deprecated:DeprecationWarning")
@pytest.mark.parametrize("n1, n2, d", [(5, 7, 64), (30, 20, 64), (80, 100, 64), (3, 3, 2)])
def test_fid_of_features_equals_the_sqrtm_formula(n1, n2, d):
    """Oracle: pytorch-fid's sqrtm formula on the same statistics (rank-deficient or not)."""
    rng = np.random.default_rng(n1 * n2 + d)
    a, b = rng.normal(size=(n1, d)), 1.3 * rng.normal(size=(n2, d)) + 0.2
    reference = pytorch_fid.fid_score.calculate_frechet_distance(
        *feature_statistics(a), *feature_statistics(b)
    )
    assert frechet_distance_of_features(a, b) == pytest.approx(float(reference), rel=1e-6)
    assert abs(frechet_distance_of_features(a, a)) < 1e-9
    with pytest.raises(ValueError, match="one D"):
        frechet_distance_of_features(a, b[:, :1])


def test_fid_refuses_statistics_of_different_sizes():
    with pytest.raises(ValueError, match="differ in shape"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def test_polynomial_kernel_values():
    x, y = np.array([[1.0, 2.0]]), np.array([[3.0, -1.0], [0.0, 0.0]])
    np.testing.assert_allclose(polynomial_kernel(x, y), [[(1 / 2 + 1) ** 3, 1.0]])


def _mmd2_direct(x: np.ndarray, y: np.ndarray) -> float:
    """Oracle: the unbiased estimator written as plain double sums."""
    m, d = x.shape

    def k(a, b):
        return (float(a @ b) / d + 1.0) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2 * xy / (m * m)


def test_mmd2_matches_the_direct_double_sum():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((12, 5)), rng.standard_normal((12, 5)) + 0.3
    assert mmd2_unbiased(x, y) == pytest.approx(_mmd2_direct(x, y), rel=1e-10)


def test_kid_of_one_distribution_is_zero_within_its_spread_and_positive_for_a_shift():
    rng = np.random.default_rng(6)
    real, same = rng.standard_normal((400, 8)), rng.standard_normal((400, 8))
    mean, std = kernel_inception_distance(real, same, n_subsets=50, subset_size=100, seed=0)
    assert abs(mean) < 3 * std + 1e-3
    shifted_mean, shifted_std = kernel_inception_distance(
        real, same + 1.0, n_subsets=50, subset_size=100, seed=0
    )
    assert shifted_mean > 0.1 and shifted_mean > 5 * shifted_std


def test_kid_is_the_mean_of_seeded_subset_mmds_and_caps_the_subset():
    rng = np.random.default_rng(7)
    real, fake = rng.standard_normal((30, 4)), rng.standard_normal((20, 4)) + 0.5
    mean, std = kernel_inception_distance(real, fake, n_subsets=4, subset_size=1000, seed=3)
    draw = np.random.default_rng(3)
    mmds = []
    for _ in range(4):  # subset size capped at min(30, 20) = 20
        r = real[draw.choice(30, 20, replace=False)]
        mmds.append(_mmd2_direct(r, fake[draw.choice(20, 20, replace=False)]))
    assert (mean, std) == pytest.approx((np.mean(mmds), np.std(mmds)), rel=1e-9)
    with pytest.raises(ValueError, match="one D"):
        kernel_inception_distance(real, fake[:, :3])


def test_ssim_diversity_is_one_for_identical_images_and_low_for_noise():
    rng = np.random.default_rng(8)
    image = rng.integers(0, 256, (1, 32, 32, 3), dtype=np.uint8)
    assert ssim_diversity(np.repeat(image, 5, axis=0), n_pairs=10) == pytest.approx(1.0)
    noise = rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    assert ssim_diversity(noise, n_pairs=10) < 0.1


def test_pairs_are_distinct_all_when_few_and_seeded_when_many():
    assert _pairs(4, 100, 0).tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    many = _pairs(50, 200, 1)
    assert many.shape == (200, 2) and np.all(many[:, 0] < many[:, 1])
    np.testing.assert_array_equal(many, _pairs(50, 200, 1))


def test_pixel_spread_and_sharpness_by_hand() -> None:
    from qgan.evaluation.metrics import pixel_spread, sharpness

    black = np.zeros((1, 2, 2, 1), np.uint8)
    white = np.full((1, 2, 2, 1), 255, np.uint8)
    # mean image 0.5 everywhere: each image is 0.5 away in 4 pixels -> |.|_2 = sqrt(4 * 0.25) = 1
    assert pixel_spread(np.concatenate([black, white])) == pytest.approx(1.0)
    assert pixel_spread(np.concatenate([white, white])) == 0.0
    stripes = np.zeros((2, 4, 4, 3), np.uint8)
    stripes[:, :, 1::2] = 255  # columns alternate: every horizontal step is 1, vertical ones 0
    assert sharpness(stripes) == pytest.approx(0.5)
    assert sharpness(np.full((2, 4, 4, 3), 7, np.uint8)) == 0.0
    with pytest.raises(ValueError, match="uint8"):
        sharpness(np.zeros((2, 4, 4, 3)))
