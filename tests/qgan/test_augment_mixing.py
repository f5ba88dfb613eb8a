"""Pure pieces of the augmentation experiments: subsets, mixing shares, allocation, metrics, cells.

Oracles: counting by hand (per-class counts, shares), the defining formulas, a confusion matrix
worked out on paper.
"""

from __future__ import annotations

import numpy as np
import pytest

from qgan.augmentation.cells import Cell, CellStore, run_cells
from qgan.augmentation.config import AugmentError
from qgan.augmentation.mixing import (
    allocate,
    assert_disjoint,
    draw_indices,
    generated_per_class,
    n_generated,
    stratified_subset,
)
from qgan.augmentation.scores import classification_scores, mean_std, per_class_accuracy

LABELS = np.repeat([0, 1, 2], [1113, 6705, 514])  # ISIC 2019's MEL / NV / BCC counts


def test_stratified_subset_keeps_the_class_distribution():
    index = stratified_subset(LABELS, 0.1, seed=0)
    assert len(np.unique(index)) == len(index) and index.min() >= 0 and index.max() < len(LABELS)
    counts = np.bincount(LABELS[index], minlength=3)
    np.testing.assert_array_equal(counts, [111, 670, 51])  # round(0.1 * n_c) each
    share = counts / counts.sum()
    np.testing.assert_allclose(share, np.bincount(LABELS) / len(LABELS), atol=1e-3)


def test_stratified_subset_is_seeded_and_keeps_rare_classes():
    a, b, c = (stratified_subset(LABELS, 0.1, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    rare = np.array([0] * 100 + [1] * 3)
    assert np.bincount(rare[stratified_subset(rare, 0.1, 0)]).tolist() == [10, 1]
    with pytest.raises(AugmentError):
        stratified_subset(LABELS, 0.0, 0)


@pytest.mark.parametrize("n_real", [1, 7, 100, 667])
@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.25, 0.5, 0.7, 0.9])
def test_alpha_gives_the_exact_share(n_real, alpha):
    n_gen = n_generated(n_real, alpha)
    assert n_gen == round(alpha / (1 - alpha) * n_real)
    # rounding moves at most half an image: the share is alpha to within 0.5 / (n_real + n_gen)
    exact_total = n_real / (1 - alpha)
    assert abs(n_gen / (n_gen + n_real) - alpha) <= 0.5 / exact_total + 1e-12
    if alpha / (1 - alpha) * n_real == int(alpha / (1 - alpha) * n_real):
        assert n_gen / (n_gen + n_real) == pytest.approx(alpha, abs=1e-12)


def test_alpha_one_or_negative_is_refused():
    for alpha in (1.0, -0.1):
        with pytest.raises(AugmentError):
            n_generated(10, alpha)


def test_allocate_is_exact_and_proportional():
    counts = allocate(1000, [111, 670, 51])
    assert counts.sum() == 1000
    np.testing.assert_allclose(counts, 1000 * np.array([111, 670, 51]) / 832, atol=1)
    np.testing.assert_array_equal(allocate(10, [1, 1, 1]), [4, 3, 3])  # ties to the lower index
    np.testing.assert_array_equal(allocate(7, [0, 0]), [4, 3])  # nothing preferred: even
    np.testing.assert_array_equal(allocate(5, [0, 1]), [0, 5])
    with pytest.raises(AugmentError):
        allocate(3, [1, -1])


def test_generated_per_class_follows_real_shares_unless_balanced():
    real = [111, 670, 51]
    np.testing.assert_array_equal(generated_per_class(832, real, balance=False), real)
    np.testing.assert_array_equal(generated_per_class(9, real, balance=True), [3, 3, 3])


def test_assert_disjoint_names_the_leak():
    assert_disjoint(["a", "b"], ["c"])
    with pytest.raises(AugmentError, match="1 test images reached training.*first: b"):
        assert_disjoint(["a", "b"], ["b", "c"], "cell x")


def test_draw_indices_distinct_unless_repeats_allowed():
    rng = np.random.default_rng(0)
    idx = draw_indices(10, 10, rng, repeats=False)
    assert sorted(idx.tolist()) == list(range(10))
    with pytest.raises(AugmentError, match="12 images needed from a pool of 10"):
        draw_indices(10, 12, rng, repeats=False)
    assert len(draw_indices(10, 12, rng, repeats=True)) == 12


def test_scores_match_a_hand_worked_confusion_matrix():
    # true:      0 0 0 0 1 1 1 2 2 2 ; predicted: 0 0 1 2 1 1 1 1 2 2
    y_true = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 0, 1, 2, 1, 1, 1, 1, 2, 2])
    s = classification_scores(y_true, y_pred, ("MEL", "NV", "BCC"))
    assert s["accuracy"] == pytest.approx(7 / 10)
    recall = [2 / 4, 3 / 3, 2 / 3]
    precision = [2 / 2, 3 / 5, 2 / 3]
    assert [s["recall_MEL"], s["recall_NV"], s["recall_BCC"]] == pytest.approx(recall)
    assert s["macro_recall"] == pytest.approx(np.mean(recall))
    assert s["macro_precision"] == pytest.approx(np.mean(precision))
    np.testing.assert_allclose(per_class_accuracy(y_true, y_pred, 3), recall)


def test_a_never_predicted_class_scores_zero_precision():
    s = classification_scores(np.array([0, 1]), np.array([0, 0]), ("a", "b"))
    assert s["macro_precision"] == pytest.approx((0.5 + 0.0) / 2)
    assert mean_std([1.0, 3.0]) == (2.0, pytest.approx(np.sqrt(2.0)))
    assert mean_std([5.0]) == (5.0, 0.0)


def test_run_cells_resumes_after_an_interruption(tmp_path):
    store = CellStore(tmp_path / "cells.jsonl")
    cells = [Cell("none", 0.0, s) for s in range(3)] + [Cell("m", 0.5, 0)]
    calls = []

    def work(cell, fail_at=None):
        calls.append(cell.key)
        if cell.key == fail_at:
            raise KeyboardInterrupt
        return {"accuracy": cell.seed / 10}

    with pytest.raises(KeyboardInterrupt):
        run_cells(cells, lambda c: work(c, fail_at=cells[2].key), store)
    assert [r["key"] for r in store.records()] == [c.key for c in cells[:2]]
    with store.path.open("a") as f:
        f.write('{"key": "half-writ')  # a line cut short by a kill
    calls.clear()
    records = run_cells(cells, work, store)
    assert calls == [cells[2].key, cells[3].key]  # finished cells skipped
    assert sorted(r["key"] for r in records) == sorted(c.key for c in cells)
    assert {r["row"] for r in records} == {"none", "m"} and all("seconds" in r for r in records)
    calls.clear()
    run_cells(cells, work, store)
    assert calls == []


def test_a_cell_two_runs_finished_counts_once(tmp_path):
    # two qgan.augment runs on one folder both ran the shared reference cell before either saw
    # the other's record; a table must not weigh that seed twice
    store = CellStore(tmp_path / "cells.jsonl")
    store.append({"key": "none|0.000000|0", "row": "none", "accuracy": 0.5})
    store.append({"key": "m|0.500000|0", "row": "m", "accuracy": 0.7})
    store.append({"key": "none|0.000000|0", "row": "none", "accuracy": 0.6})
    records = store.records()
    assert [r["key"] for r in records] == ["none|0.000000|0", "m|0.500000|0"]
    assert records[0]["accuracy"] == 0.5
