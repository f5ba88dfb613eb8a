"""The classifier training loop and prediction, shared by the ResNets, the CNN and the HQCNN.

Adam on cross-entropy, seeded batch order and augmentation draws, a fixed number of epochs (no
early stopping: there is no validation set in HybridQ's protocol, and stopping on the test set
would leak it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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


def fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    cfg: FitConfig,
    augment: Augment | None = None,
    desc: str = "fit",
) -> list[float]:
    """Train ``model`` on images ``x`` (N, C, H, W) and labels ``y`` (N,); mean loss per epoch."""
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"need as many labels as images, and some: {len(x)} vs {len(y)}")
    gen = torch.Generator().manual_seed(cfg.seed)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    loss_fn = nn.CrossEntropyLoss()
    steps = _batches_per_epoch(len(x), cfg.batch_size)
    bar = tqdm(total=cfg.epochs * steps, desc=desc, leave=False, disable=not cfg.progress)
    history = []
    model.train()
    for _ in range(cfg.epochs):
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
    bar.close()
    return history


def _batches(n: int, batch_size: int, gen: torch.Generator) -> list[torch.Tensor]:
    """A seeded permutation cut into batches; a last batch of one image joins the one before
    (BatchNorm cannot train on a single image)."""
    order = torch.randperm(n, generator=gen)
    parts = list(order.split(batch_size))
    if len(parts) > 1 and len(parts[-1]) == 1:
        parts[-2] = torch.cat(parts[-2:])
        parts.pop()
    return parts


def _batches_per_epoch(n: int, batch_size: int) -> int:
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
