"""General and customized augmentation strategies of arXiv:2505.24780 (Sec. 3.3).

* **General**: the same fixed number of generated images for every class.
* **Customized**: R rounds of [measure the classifier's per-class error on real validation
  images -> allocate this round's budget to the classes in proportion to their error rates ->
  keep only generated candidates the current classifier labels with the intended class above a
  per-class confidence threshold -> retrain on real + every image kept so far].

Formulas (documented choices where the paper gives none):

* allocation: with error rates e_c = 1 - acc_c and round budget B,
  n_c = B * e_c / sum_k e_k, rounded by largest remainder (exact sum); all e_c = 0 -> even.
* threshold: t_c = t_low + (t_high - t_low) * acc_c. A class the classifier gets right is only
  fed candidates it is very sure of; a class it gets wrong is rarely confident, so a strict
  threshold would starve exactly the class that needs images (the paper's advice: quantity for
  underperforming classes). With t_low >= 0.5 any kept sample is also the classifier's argmax.
* filter: keep candidate i of intended class c iff argmax_k p_ik = c and p_ic > t_c.
* the total budget equals the general strategy's (n_per_class * K), split evenly over rounds,
  so both strategies add the same number of images when the pools suffice.

``evened=True`` is the ablation for the paper's open question 3 (errors spread evenly): every
class gets the mean error rate and mean accuracy, so allocation and thresholds are uniform and
only the confidence filter and the rounds remain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from qgan.augmentation.mixing import allocate
from qgan.augmentation.scores import per_class_accuracy

FitFn = Callable[[torch.Tensor, torch.Tensor], torch.nn.Module]  # (x, y) -> trained model
ProbaFn = Callable[[torch.nn.Module, torch.Tensor], np.ndarray]  # (model, x) -> (N, K)
CHUNK = 64  # candidates scored per classifier call while filling a class


def general_counts(n_per_class: int, n_classes: int) -> np.ndarray:
    """The general strategy: ``n_per_class`` generated images for every class."""
    return np.full(n_classes, n_per_class, dtype=np.int64)


def allocation_by_errors(budget: int, error_rates: np.ndarray) -> np.ndarray:
    """``budget`` images split in proportion to per-class error rates (module doc)."""
    return allocate(budget, np.clip(np.asarray(error_rates, dtype=np.float64), 0.0, 1.0))


def thresholds_from_accuracy(accuracy: np.ndarray, low: float, high: float) -> np.ndarray:
    """Per-class confidence thresholds ``low + (high - low) * acc_c`` (module doc)."""
    return low + (high - low) * np.clip(np.asarray(accuracy, dtype=np.float64), 0.0, 1.0)


def confidence_filter(probs: np.ndarray, intended: int, threshold: float) -> np.ndarray:
    """Boolean mask (N,): the classifier labels the sample ``intended`` with p > ``threshold``."""
    probs = np.asarray(probs)
    return (probs.argmax(axis=1) == intended) & (probs[:, intended] > threshold)


@dataclass(frozen=True)
class CustomizedConfig:
    budget: int  # generated images to add in all, over all rounds and classes
    rounds: int = 2  # measure -> add -> retrain cycles
    threshold_low: float = 0.5  # threshold of a class with accuracy 0
    threshold_high: float = 0.9  # threshold of a class with accuracy 1
    evened: bool = False  # the open-question ablation: errors treated as spread evenly
    seed: int = 0  # order in which each class's candidates are examined


@dataclass(frozen=True)
class CustomizedResult:
    model: torch.nn.Module  # the classifier retrained after the last round
    x: torch.Tensor  # its training images, real then kept generated
    y: torch.Tensor
    log: list[dict]  # per round: errors, allocation, thresholds, examined, kept, left


def customized(
    fit_fn: FitFn,
    proba_fn: ProbaFn,
    real: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
    pools: list[torch.Tensor],
    cfg: CustomizedConfig,
) -> CustomizedResult:
    """Run the customized strategy (module doc); ``pools[c]`` are class c's candidates.

    Each candidate is examined at most once: one the filter rejects is discarded for good.
    """
    rng = np.random.default_rng(cfg.seed)
    queues = [_Queue(pool, rng.permutation(len(pool))) for pool in pools]
    x, y = real
    model = fit_fn(x, y)
    log = []
    for round_budget in allocate(cfg.budget, np.ones(cfg.rounds)):
        acc = per_class_accuracy(val[1].numpy(), proba_fn(model, val[0]).argmax(1), len(pools))
        used = np.full_like(acc, acc.mean()) if cfg.evened else acc
        counts = allocation_by_errors(int(round_budget), 1.0 - used)
        thresholds = thresholds_from_accuracy(used, cfg.threshold_low, cfg.threshold_high)
        record = {"val_accuracy": acc.tolist(), "allocated": counts.tolist()}
        record.update(thresholds=thresholds.tolist(), examined=[], kept=[], left=[])
        for c, queue in enumerate(queues):
            keep = _acceptor(proba_fn, model, c, float(thresholds[c]))
            images, n_seen = queue.fill(int(counts[c]), keep)
            record["examined"].append(n_seen)
            record["kept"].append(len(images))
            record["left"].append(queue.left)  # 0 with kept < allocated: the pool ran dry
            x = torch.cat([x, images])
            y = torch.cat([y, torch.full((len(images),), c, dtype=y.dtype)])
        log.append(record)
        model = fit_fn(x, y)
    return CustomizedResult(model, x, y, log)


def _acceptor(
    proba_fn: ProbaFn, model: torch.nn.Module, intended: int, threshold: float
) -> Callable[[torch.Tensor], np.ndarray]:
    """The filter of one class in one round, bound to that round's model and threshold."""
    return lambda batch: confidence_filter(proba_fn(model, batch), intended, threshold)


class _Queue:
    """One class's candidates in a seeded order, consumed as they are examined."""

    def __init__(self, pool: torch.Tensor, order: np.ndarray):
        self.pool, self.order, self.next = pool, order, 0

    @property
    def left(self) -> int:
        """Candidates not yet examined."""
        return len(self.order) - self.next

    def fill(
        self, wanted: int, keep: Callable[[torch.Tensor], np.ndarray]
    ) -> tuple[torch.Tensor, int]:
        """Up to ``wanted`` candidates that ``keep`` accepts, and how many were examined.

        Candidates are scored CHUNK at a time; examination stops right after the ``wanted``-th
        accepted one, so the rest of the chunk stays in the queue for later rounds.
        """
        taken, examined = [], 0
        while wanted > 0 and self.next < len(self.order):
            index = self.order[self.next : self.next + CHUNK]
            batch = self.pool[torch.as_tensor(index)]
            accepted = np.flatnonzero(keep(batch))[:wanted]
            seen = int(accepted[-1]) + 1 if len(accepted) == wanted else len(index)
            taken.append(batch[torch.as_tensor(accepted, dtype=torch.long)])
            wanted -= len(accepted)
            self.next += seen
            examined += seen
        if not taken:
            return self.pool[:0], examined
        return torch.cat(taken), examined
