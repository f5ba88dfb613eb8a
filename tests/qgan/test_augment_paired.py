"""Paired statistics (qgan.augmentation.paired) against hand-computed exact Wilcoxon values.

Oracle: the exact null distribution of the signed-rank statistic, counted by hand. With n = 6
non-zero differences of distinct sizes every sign pattern of the ranks 1..6 is equally likely
(2**6 = 64 patterns); W = the smaller rank sum.
"""

from __future__ import annotations

import math

from qgan.augmentation.paired import by_seed, collapses, paired


def test_exact_p_of_a_hand_counted_case():
    # d = 1, 2, 3, 4, 5, -6: W+ = 15, W- = 6 -> W = 6. Subsets of {1..6} with sum <= 6:
    # {}, {1}, {2}, {3}, {1,2}, {4}, {1,3}, {5}, {1,4}, {2,3}, {6}, {1,5}, {2,4}, {1,2,3} = 14
    reference = {s: 0.5 for s in range(6)}
    row = {s: 0.5 + d for s, d in enumerate([0.01, 0.02, 0.03, 0.04, 0.05, -0.06])}
    result = paired(row, reference)
    assert math.isclose(result.p, 2 * 14 / 64)
    assert (result.wins, result.ties, result.losses) == (5, 0, 1)
    assert math.isclose(result.median, 0.025, abs_tol=1e-12) and result.note == ""


def test_all_wins_of_six_is_the_smallest_exact_p():
    result = paired({s: 1.0 + s for s in range(6)}, {s: 0.0 for s in range(6)})
    assert math.isclose(result.p, 2 / 64)  # only the all-positive pattern has W = 0, twice


def test_zeros_are_dropped_and_only_shared_seeds_count():
    reference = {0: 0.5, 1: 0.5, 2: 0.5, 3: 0.5, 4: 0.5, 5: 0.5, 6: 0.5, 9: 0.1}
    row = {s: 0.5 + d for s, d in enumerate([0.0, 0.01, 0.02, 0.03, 0.04, 0.05, -0.06])}
    row[7] = 0.9  # not in the reference: ignored
    result = paired(row, reference)
    assert result.seeds == (0, 1, 2, 3, 4, 5, 6)
    assert (result.wins, result.ties, result.losses) == (5, 1, 1)
    assert math.isclose(result.p, 2 * 14 / 64)  # the same ranks as above once the zero is gone


def test_honest_notes_for_no_difference_and_too_few_seeds():
    same = paired({0: 0.9, 1: 0.8}, {0: 0.9, 1: 0.8})
    assert same.p == 1.0 and same.ties == 2 and "zero" in same.note
    few = paired({s: 1.0 for s in range(3)}, {s: 0.0 for s in range(3)})
    assert math.isclose(few.p, 2 / 8) and "cannot go below 0.25" in few.note
    none = paired({0: 1.0}, {1: 1.0})
    assert math.isnan(none.p) and none.seeds == ()


def test_by_seed_and_collapses():
    records = [
        {"row": "none", "alpha": 0.0, "seed": 0, "accuracy": 0.97},
        {"row": "none", "alpha": 0.0, "seed": 1, "accuracy": 0.35},
        {"row": "hybridq", "alpha": 0.5, "seed": 0, "accuracy": 0.9},
        {"row": "hybridq", "alpha": 0.3, "seed": 0, "accuracy": 0.8},
    ]
    assert by_seed(records, "none", "accuracy") == {0: 0.97, 1: 0.35}
    assert by_seed(records, "hybridq", "accuracy", alpha=0.3) == {0: 0.8}
    assert collapses(by_seed(records, "none", "accuracy"), 0.8) == 1
