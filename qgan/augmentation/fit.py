"""The classifier training loop and prediction, shared by the ResNets, the CNN and the HQCNN.

Adam on cross-entropy, seeded batch order and augmentation draws, a fixed number of epochs.
Given validation images (never trained on), the model returned is the one of the epoch with the
best validation accuracy (ties: the earlier epoch), the weights of every later epoch discarded:
the HQCNN study draws 50 validation digits per class, and a fit whose last epochs get worse is
then judged by its best epoch, not its last (the cause of the HQCNN's collapses was in the
model, ``qgan.augmentation.hqcnn``; this is the second guard). The lesion runs pass none: there
is no validation set in HybridQ's protocol, and selecting on the test set would leak it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


@dataclass(frozen=True)
class FitConfig:
    epochs: int = 10  # passes over the training set
    batch_size: int = 32  # images per step
    lr: float = 1e-3  # Adam learning rate
    seed: int = 0  # batch order and augmentation draws
    progress: bool = True  # a per-step bar (left off in tests)


@dataclass(frozen=True)
class FitResult:
    losses: list[float]  # mean training loss per epoch
    val_accuracy: list[float] = field(default_factory=list)  # per epoch; empty without val
    best_epoch: int | None = None  # 1-based epoch whose weights the model holds; None: the last


def fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: FitConfig,
    augment: Augment | None = None,
    desc: str = "fit",
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> FitResult:
    """Train ``model`` on images ``x`` (N, C, H, W) and labels ``y`` (N,).

    With ``val`` (images, labels), the model ends with the weights of its best validation epoch.
    """
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"need as many labels as images, and some: {len(x)} vs {len(y)}")
    if val is not None and len(val[0]) == 0:
        val = None  # --n-val 0: nothing to select by, the last epoch stands
    gen = torch.Generator().manual_seed(cfg.seed)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    loss_fn = nn.CrossEntropyLoss()
    steps = batches_per_epoch(len(x), cfg.batch_size)
    bar = tqdm(total=cfg.epochs * steps, desc=desc, leave=False, disable=not cfg.progress)
    history, val_accuracy, best = [], [], (-1.0, None, None)  # (accuracy, epoch, weights)
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        total = 0.0
        for index in _batches(len(x), cfg.batch_size, gen):
            batch = x[index] if augment is None else augment(x[index], gen)
            loss = loss_fn(model(batch), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
            bar.update(1)
        history.append(total / len(x))
        if val is not None:
            val_accuracy.append(_accuracy(model, *val))
            if val_accuracy[-1] > best[0]:
                best = (val_accuracy[-1], epoch, copy.deepcopy(model.state_dict()))
    bar.close()
    if best[2] is not None:
        model.load_state_dict(best[2])
    return FitResult(history, val_accuracy, best[1])


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((predict_proba(model, x).argmax(axis=1) == y.numpy()).mean())


def _batches(n: int, batch_size: int, gen: torch.Generator) -> list[torch.Tensor]:
    """A seeded permutation cut into batches; a last batch of one image joins the one before
    (BatchNorm cannot train on a single image)."""
    order = torch.randperm(n, generator=gen)
    parts = list(order.split(batch_size))
    if len(parts) > 1 and len(parts[-1]) == 1:
        parts[-2] = torch.cat(parts[-2:])
        parts.pop()
    return parts


def batches_per_epoch(n: int, batch_size: int) -> int:
    """Optimizer steps of one epoch of ``n`` images (a last batch of one joins the one before)."""
    steps = -(-n // batch_size)
    return steps - 1 if steps > 1 and n % batch_size == 1 else steps


@torch.no_grad()
def predict_proba(model: nn.Module, x: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(N, n_classes)`` of images ``x``, in eval mode."""
    model.eval()
    parts = [torch.softmax(model(batch).double(), dim=1) for batch in x.split(batch_size)]
    return torch.cat(parts).numpy() if parts else np.zeros((0, 0))


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch intra-op threads (0: leave as is), then restore.

    Why: on a shared 2-core machine with other jobs running, two OpenMP threads wait on each
    other; a BatchNorm of a (16, 32, 8, 8) batch measured 48 ms with 2 threads, 0.25 ms with 1.
    """
    before = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
