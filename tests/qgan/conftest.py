"""Fixtures shared by the qgan tests: one torch thread, no ``$QGAN_DATA``, tiny configs.

Modules opt in with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")`` (or
``"no_qgan_data"``) rather than each defining its own autouse copy; the factories return a config
that runs in seconds on the synthetic data, so every test's "tiny" means the same thing.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from qgan.augmentation.fit import torch_threads
from qgan.evaluation.derm import DermConfig
from qgan.training.config import TrainConfig

# A GAN run of seconds: the real generator with one layer, batches of 4 synthetic MEL images.
TINY_TRAIN = {"dataset": "synthetic", "limit": 8, "batch_size": 4, "epochs": 1}
TINY_TRAIN |= {"n_layers": 1, "grid": 4}
# A derm network of seconds: one epoch of a width-8 net on 36 synthetic images (12 a class).
TINY_DERM = {"dataset": "synthetic", "limit": 12, "batch_size": 16, "epochs": 1, "width": 8}


@pytest.fixture
def one_torch_thread():
    """Tiny tensors on a shared 2-core machine: one thread is far faster (see torch_threads)."""
    with torch_threads(1):
        yield


def write_mnist_bars(folder: Path, per_digit=30, digits=(0, 1, 2, 3), shuffle=True) -> None:
    """MNIST t10k idx files in ``folder``: digit d is a bright vertical bar at column 4 + 6d,
    plus noise (labels shuffled unless ``shuffle`` is False)."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.asarray(digits, np.uint8), per_digit)
    if shuffle:
        rng.shuffle(labels)
    images = rng.integers(0, 40, (len(labels), 28, 28), dtype=np.uint8)
    for i, d in enumerate(labels):
        images[i, 4:24, 4 + 6 * d : 7 + 6 * d] = 255
    folder.mkdir(parents=True)
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">4B3I", 0, 0, 8, 3, len(images), 28, 28) + images.tobytes())
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">4BI", 0, 0, 8, 1, len(labels)) + labels.tobytes())


@pytest.fixture(scope="session")
def mnist_bars():
    """The writer of tiny bar-digit MNIST files (``write_mnist_bars``), for the digit studies."""
    return write_mnist_bars


@pytest.fixture
def no_qgan_data(monkeypatch):
    """``$QGAN_DATA`` unset, so defaults that read it resolve to the synthetic data."""
    monkeypatch.delenv("QGAN_DATA", raising=False)


@pytest.fixture(scope="session")
def tiny_train_config():
    """Factory ``(out, **overrides) -> TrainConfig`` for a seconds-long synthetic run."""

    def make(out: Path, **overrides) -> TrainConfig:
        return TrainConfig(**(TINY_TRAIN | {"out": str(out)} | overrides))

    return make


@pytest.fixture(scope="session")
def tiny_derm_config():
    """Factory ``(out, **overrides) -> DermConfig`` for a seconds-long derm network."""

    def make(out: Path, **overrides) -> DermConfig:
        return DermConfig(**(TINY_DERM | {"out": str(out)} | overrides))

    return make


def _assert_same(a, b, where: str = "") -> None:
    """Nested dicts/lists/tensors equal bit for bit."""
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


@pytest.fixture(scope="session")
def assert_same():
    """``assert_same(a, b)``: nested dicts/lists/tensors (checkpoints) equal bit for bit."""
    return _assert_same
