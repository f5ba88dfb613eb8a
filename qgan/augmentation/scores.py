"""Classification metrics (HybridQ Table 2, arXiv:2505.24780 Table 3) and their seed statistics.

All come from the confusion matrix C (rows: true class, columns: predicted class):

* accuracy = trace(C) / sum(C)
* recall_c = C[c, c] / sum_j C[c, j]        (per-class accuracy in the HQCNN paper)
* precision_c = C[c, c] / sum_i C[i, c]
* macro precision / recall = unweighted means over classes: a classifier that ignores a rare
  class (BCC) is punished as much as one that ignores NV, which is why the papers report them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``(n_classes, n_classes)``: [true class, predicted class]."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return matrix


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # A class with no true images (recall) or never predicted (precision) scores 0, as in
    # scikit-learn's zero_division=0: a classifier must not gain from never predicting a class.
    return np.divide(num, den, out=np.zeros(len(num)), where=den > 0)


def classification_scores(
    y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str]
) -> dict[str, float]:
    """Accuracy, macro precision, macro recall and ``recall_<class>`` for every class."""
    matrix = confusion(y_true, y_pred, len(class_names))
    hits = np.diag(matrix).astype(np.float64)
    recall = _ratio(hits, matrix.sum(axis=1))
    precision = _ratio(hits, matrix.sum(axis=0))
    scores = {
        "accuracy": float(hits.sum() / max(matrix.sum(), 1)),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
    }
    scores.update({f"recall_{name}": float(r) for name, r in zip(class_names, recall, strict=True)})
    return scores


def per_class_accuracy(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Recall of each class, ``(n_classes,)``: the share of its images labelled correctly."""
    matrix = confusion(y_true, y_pred, n_classes)
    return _ratio(np.diag(matrix).astype(np.float64), matrix.sum(axis=1))


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0.0 for a single value)."""
    x = np.asarray(values, dtype=np.float64)
    if len(x) == 0:
        return float("nan"), float("nan")
    return float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else 0.0
