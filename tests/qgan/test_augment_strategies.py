"""General and customized strategies (arXiv:2505.24780), with a classifier whose answers we set.

The fake classifier's "images" are rows of class probabilities and it returns them unchanged, so
every accuracy, allocation and filter decision can be worked out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qgan.augmentation.strategies import (
    CHUNK,
    CustomizedConfig,
    allocation_by_errors,
    confidence_filter,
    customized,
    general_counts,
    thresholds_from_accuracy,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_general_is_balanced():
    np.testing.assert_array_equal(general_counts(100, 3), [100, 100, 100])


def test_allocation_follows_the_misclassification_rates():
    np.testing.assert_array_equal(allocation_by_errors(100, [0.1, 0.3, 0.6]), [10, 30, 60])
    counts = allocation_by_errors(300, [0.04, 0.02, 0.76])  # the paper's 96% / 98% / 24% case
    assert counts.sum() == 300
    np.testing.assert_allclose(counts, 300 * np.array([0.04, 0.02, 0.76]) / 0.82, atol=1)
    np.testing.assert_array_equal(allocation_by_errors(9, [0.0, 0.0, 0.0]), [3, 3, 3])
    np.testing.assert_array_equal(allocation_by_errors(9, [0.2, 0.2, 0.2]), [3, 3, 3])


def test_thresholds_rise_with_class_accuracy():
    t = thresholds_from_accuracy(np.array([0.0, 0.24, 1.0]), 0.5, 0.9)
    np.testing.assert_allclose(t, [0.5, 0.5 + 0.4 * 0.24, 0.9])


def test_confidence_filter_keeps_exactly_the_samples_above_threshold_of_the_intended_class():
    probs = np.array(
        [
            [0.80, 0.10, 0.10],  # intended 0, above 0.7: kept
            [0.70, 0.20, 0.10],  # exactly at the threshold: not above, dropped
            [0.60, 0.30, 0.10],  # below: dropped
            [0.10, 0.85, 0.05],  # labelled as class 1: dropped
            [0.71, 0.29, 0.00],  # kept
        ]
    )
    np.testing.assert_array_equal(confidence_filter(probs, 0, 0.7), [1, 0, 0, 0, 1])
    # a low threshold still requires the intended class to be the classifier's label
    np.testing.assert_array_equal(confidence_filter(probs, 1, 0.2), [0, 0, 0, 1, 0])


class _Fake:
    def __init__(self, n):
        self.n = n


def _setup(val_acc: list[float], n_val: int = 20):
    """Validation rows: class c is predicted right for a share val_acc[c] of its rows."""
    xs, ys = [], []
    for c, acc in enumerate(val_acc):
        right = int(round(acc * n_val))
        for i in range(n_val):
            pred = c if i < right else (c + 1) % 3
            xs.append(np.eye(3)[pred])
            ys.append(c)
    return torch.tensor(np.array(xs)), torch.tensor(ys)


def _pool(c: int, confidences: np.ndarray) -> torch.Tensor:
    """Rows labelled c with p_c = confidence, the rest spread on the other classes."""
    rows = np.tile((1 - confidences)[:, None] / 2, (1, 3))
    rows[:, c] = confidences
    return torch.tensor(rows)


def _run(val_acc, pools, budget, rounds=1, evened=False):
    fits = []

    def fit_fn(x, y):
        fits.append((len(x), y.clone()))
        return _Fake(len(x))

    def proba_fn(model, x):
        return x.numpy()

    real = (torch.tensor(np.eye(3)), torch.tensor([0, 1, 2]))
    cfg = CustomizedConfig(budget, rounds, 0.5, 0.9, evened=evened, seed=0)
    return customized(fit_fn, proba_fn, real, _setup(val_acc), pools, cfg), fits


def test_customized_allocates_by_errors_and_keeps_only_confident_candidates():
    rng = np.random.default_rng(0)
    pools = [_pool(c, rng.uniform(0.34, 1.0, 400)) for c in range(3)]
    result, fits = _run([0.9, 0.7, 0.4], pools, budget=100)
    (log,) = result.log
    np.testing.assert_allclose(log["val_accuracy"], [0.9, 0.7, 0.4])
    np.testing.assert_array_equal(log["allocated"], allocation_by_errors(100, [0.1, 0.3, 0.6]))
    np.testing.assert_allclose(log["thresholds"], [0.86, 0.78, 0.66])
    assert log["kept"] == log["allocated"]  # pools large enough
    added_x, added_y = result.x[3:], result.y[3:]
    assert len(added_x) == 100 and len(fits) == 2 and fits[-1][0] == 103
    for c in range(3):
        rows = added_x[added_y == c].numpy()
        assert confidence_filter(rows, c, log["thresholds"][c]).all()
        assert len(rows) == log["allocated"][c]
        # examined stops right after the last kept one: candidates in the seeded order
        order = np.random.default_rng(0).permutation(400) if c == 0 else None
        if order is not None:
            seen = pools[0][torch.as_tensor(order[: log["examined"][0]])].numpy()
            keep = confidence_filter(seen, 0, log["thresholds"][0])
            assert keep.sum() == log["kept"][0] and keep[-1]


def test_customized_rounds_share_the_budget_and_a_short_pool_is_logged():
    pools = [_pool(0, np.full(5, 0.99)), _pool(1, np.full(100, 0.99)), _pool(2, np.full(3, 0.2))]
    result, fits = _run([0.5, 0.5, 0.5], pools, budget=30, rounds=2)
    assert len(result.log) == 2 and len(fits) == 3  # a fit before each round and after the last
    assert [sum(r["allocated"]) for r in result.log] == [15, 15]
    first = result.log[0]
    assert first["kept"] == [5, 5, 0]  # class 0 runs dry; class 2's candidates all fail
    assert first["examined"] == [5, 5, 3]
    assert first["left"] == [0, 95, 0]  # dry pools say so; class 1 stopped at its allocation
    second = result.log[1]
    assert second["kept"][0] == 0 and second["examined"][0] == 0  # pool 0 already used up


def test_customized_with_evened_errors_allocates_uniformly():
    pools = [_pool(c, np.full(200, 0.95)) for c in range(3)]
    result, _ = _run([0.9, 0.7, 0.4], pools, budget=90, evened=True)
    (log,) = result.log
    np.testing.assert_allclose(log["val_accuracy"], [0.9, 0.7, 0.4])  # measured, then evened
    assert log["allocated"] == [30, 30, 30]
    np.testing.assert_allclose(log["thresholds"], [0.5 + 0.4 * (2.0 / 3)] * 3)


def test_chunked_examination_leaves_unexamined_candidates_for_later():
    n = CHUNK * 2
    pools = [_pool(0, np.full(n, 0.99)), _pool(1, np.full(n, 0.99)), _pool(2, np.full(n, 0.99))]
    result, _ = _run([0.0, 1.0, 1.0], pools, budget=10, rounds=2)
    assert [r["allocated"][0] for r in result.log] == [5, 5]
    assert [r["examined"][0] for r in result.log] == [5, 5]  # not the whole chunk


@pytest.mark.parametrize("rounds", [1, 3])
def test_customized_adds_the_general_strategys_total_when_pools_suffice(rounds):
    pools = [_pool(c, np.full(300, 0.99)) for c in range(3)]
    result, _ = _run([0.6, 0.8, 0.2], pools, budget=60, rounds=rounds)
    assert len(result.y) - 3 == 60 == sum(sum(r["kept"]) for r in result.log)
