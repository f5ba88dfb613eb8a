"""Paired comparison of a table row against its reference row over the seeds both ran.

Every row of a table trains on the same seeds (the same real draw, weights and batch order per
seed), so row and reference are compared seed by seed: d_s = m_row(s) - m_ref(s) for each seed s
present in both, summarised by

* the median of d_s (robust to the odd fit that ends near chance),
* wins / ties / losses: how many d_s are > 0, == 0, < 0,
* the two-sided Wilcoxon signed-rank p-value: zero differences dropped (Wilcoxon's convention),
  the rest ranked by |d_s|, W = the smaller of the positive and negative rank sums; exact null
  distribution when there are no tied |d_s|, the normal approximation otherwise
  (``scipy.stats.wilcoxon``).

Honest limits, said in ``note``: with every difference zero there is nothing to test (p = 1);
with n non-zero differences the smallest exact two-sided p is 2 / 2**n, so fewer than 6 can never
reach p < 0.05.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

MIN_PAIRS = 6  # 2 / 2**5 = 0.0625: below this many non-zero differences p < 0.05 is impossible


@dataclass(frozen=True)
class Paired:
    seeds: tuple[int, ...]  # seeds present in both rows
    median: float  # median of row - reference over those seeds (nan if none)
    wins: int
    ties: int
    losses: int
    p: float  # two-sided Wilcoxon signed-rank p-value (nan if no seed is shared)
    note: str  # "" or why p says little


def paired(row: Mapping[int, float], reference: Mapping[int, float]) -> Paired:
    """Compare ``row`` with ``reference``, both ``{seed: metric}``, over their shared seeds."""
    seeds = tuple(sorted(set(row) & set(reference)))
    d = np.asarray([row[s] - reference[s] for s in seeds], dtype=np.float64)
    wins, ties, losses = int((d > 0).sum()), int((d == 0).sum()), int((d < 0).sum())
    if len(d) == 0:
        return Paired(seeds, float("nan"), 0, 0, 0, float("nan"), "no seed in both rows")
    median = float(np.median(d))
    nonzero = wins + losses
    if nonzero == 0:
        return Paired(seeds, median, wins, ties, losses, 1.0, "every difference is zero")
    p = wilcoxon_p(d)
    note = ""
    if nonzero < MIN_PAIRS:
        note = f"{nonzero} non-zero differences: p cannot go below {2 / 2**nonzero:.3g}"
    return Paired(seeds, median, wins, ties, losses, p, note)


def wilcoxon_p(d: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of differences ``d`` (zeros dropped; module doc)."""
    from scipy.stats import wilcoxon  # scipy loads with the tables, not with the package

    return float(wilcoxon(d, zero_method="wilcox", alternative="two-sided").pvalue)


def by_seed(records: list[dict], row: str, metric: str, alpha: float | None = None) -> dict:
    """``{seed: metric}`` of ``row``'s records (of one ``alpha`` if given)."""
    return {
        int(r["seed"]): float(r[metric])
        for r in records
        if r["row"] == row and metric in r and (alpha is None or float(r["alpha"]) == alpha)
    }


def collapses(values: Mapping[int, float], below: float) -> int:
    """How many seeds' metric fell below ``below`` (a fit that ended near chance)."""
    return sum(v < below for v in values.values())
