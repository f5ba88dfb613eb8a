"""Feature networks for FID and KID: pytorch-fid's Inception v3 and the project's derm network.

- ``inception``: pytorch-fid 0.3.0's ``InceptionV3`` (TensorFlow FID weights, 2048-d pool3
  features, inputs resized to 299x299), as in the HybridQ paper's Table 1 (Jiao et al., Sec. 4).
  Where its weights come from, offline, is :mod:`qgan.evaluation.inception`.
- ``derm``: :class:`DermNet`, a compact CNN classifier the project trains on the real training
  split of all classes of a dermoscopy data set (``qgan.evaluation.derm``); its penultimate
  features give "derm-FID" and "derm-KID". The file carries its config, test accuracy and a
  hash of its training data, checked on load (:class:`DermDataMismatch`).

Both are wrapped in :class:`FeatureNet`: uint8 images ``(N, H, W, C)`` -> float64 ``(N, D)``.
Metric keys carry the network's name (``fid`` vs ``derm_fid``) so the two never mix.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from qgan.artifacts import atomic_path
from qgan.checkpoint import DERM_KIND, load_plain
from qgan.data.core import to_tensor

DERM_VERSION = 1  # bump when the file layout or DermNet changes


class FeatureNetUnavailable(RuntimeError):
    """A feature network cannot be used; the one-line message says what to supply or do."""


class DermNetworkMissing(FeatureNetUnavailable):
    """No derm feature network file (or not a readable one)."""


class DermDataMismatch(FeatureNetUnavailable):
    """The derm network was trained on other data than the current split gives."""


@dataclass(frozen=True, eq=False)
class FeatureNet:
    """A frozen network from images to features.

    Attributes:
        name: ``inception`` or ``derm``; metric keys are prefixed by it (``derm_fid``).
        fingerprint: Identifies the weights; part of every cache key of its statistics.
        module: ``(B, C, H, W)`` float -> ``(B, D)``, in eval mode.
        unit_range: Inputs in [0, 1] (Inception) rather than [-1, 1] (derm, like the GAN).
        dim: D.
        channels_last: Feed NHWC tensors (the module is converted once, when this is set);
            the same numbers, computed faster by oneDNN's convolutions where it pays.
    """

    name: str
    fingerprint: str
    module: nn.Module
    unit_range: bool
    dim: int
    channels_last: bool = False

    def __post_init__(self) -> None:
        if self.channels_last:
            self.module.to(memory_format=torch.channels_last)

    @torch.inference_mode()
    def features(self, images: np.ndarray, batch_size: int = 100) -> np.ndarray:
        """uint8 ``(N, H, W, C)`` -> float64 ``(N, D)``, ``batch_size`` images at a time."""
        if images.ndim != 4 or images.dtype != np.uint8:
            raise ValueError(f"features want uint8 (N, H, W, C), got {images.dtype} {images.shape}")
        starts = range(0, len(images), batch_size)
        bar = tqdm(
            starts,
            desc=f"{self.name} features",
            unit="batch",
            leave=False,
            disable=len(starts) <= 1,
        )
        out = [self.module(self.prepare(images[i : i + batch_size])).double() for i in bar]
        return torch.cat(out).numpy() if out else np.zeros((0, self.dim))

    def prepare(self, images: np.ndarray) -> torch.Tensor:
        """uint8 ``(B, H, W, C)`` -> the module's float input ``(B, 3, H, W)``."""
        x = to_tensor(images)  # (B, C, H, W) in [-1, 1]
        if self.unit_range:
            x = (x + 1.0) / 2.0
        x = as_rgb(x)
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x


def as_rgb(x: torch.Tensor) -> torch.Tensor:
    """``(B, 1, H, W)`` grayscale (MNIST) -> ``(B, 3, H, W)``: both networks take RGB."""
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


# -------------------------------------------------------------------------------------- derm
class DermNet(nn.Module):
    """Compact CNN: per stage k, ``blocks[k]`` 3x3 convolutions (the first with stride 2), each
    followed by BN and ReLU, then global average pooling.

    Widths ``width * 2**k``: with the defaults, 64 px -> 4 px and 256-d features
    (``features``); ``forward`` adds dropout and a linear layer to class logits. Stride 2 from
    the first layer keeps it light enough to train on a laptop CPU; the second convolutions
    sit on the small 8x8 and 4x4 maps, where they cost little.
    """

    def __init__(
        self,
        n_classes: int,
        width: int = 32,
        blocks: Sequence[int] = (1, 1, 2, 2),
        dropout: float = 0.2,
    ):
        super().__init__()
        self.kwargs = {
            "n_classes": n_classes,
            "width": width,
            "blocks": list(blocks),
            "dropout": dropout,
        }
        layers, channels = [], 3
        for k, n_convs in enumerate(blocks):
            out = width * 2**k
            for i in range(n_convs):
                stride = 2 if i == 0 else 1  # the first convolution of a stage halves the map
                conv = nn.Conv2d(channels, out, 3, stride=stride, padding=1, bias=False)
                layers += [conv, nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
                channels = out
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(channels, n_classes))
        self.feature_dim = channels

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` in [-1, 1] -> ``(B, feature_dim)``, the penultimate layer."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class _DermFeatures(nn.Module):
    def __init__(self, net: DermNet):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.features(x)


def training_data_hash(
    dataset: str, size: int, image_ids: Sequence[str], class_names: Sequence[str]
) -> str:
    """sha256 of what the derm network learned from: data set, image size, (id, class) pairs.

    Pairs are sorted, so the order of loading does not matter; any added, removed or
    relabelled training image, or another size, changes the hash.
    """
    pairs = sorted(zip((str(i) for i in image_ids), (str(c) for c in class_names), strict=True))
    blob = json.dumps([dataset, int(size), pairs], separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def weights_fingerprint(net: DermNet) -> str:
    """sha256 over the architecture and every tensor of the state dict (sorted by name)."""
    digest = hashlib.sha256(json.dumps(net.kwargs, sort_keys=True).encode())
    for name, tensor in sorted(net.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def save_derm_network(net: DermNet, path: str | os.PathLike, record: dict) -> Path:
    """Write the network with ``record`` (config, class_names, data_hash, train_ids, metrics).

    Written to a temporary name and renamed, so a reader never sees half a file.
    """
    needed = {"config", "class_names", "data_hash", "train_ids", "metrics"}
    if missing := needed - set(record):
        raise ValueError(f"derm network record lacks {sorted(missing)}")
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = record | {
        "kind": DERM_KIND,
        "version": DERM_VERSION,
        "net": net.kwargs,
        "state_dict": net.state_dict(),
        "fingerprint": weights_fingerprint(net),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def read_derm_record(path: str | os.PathLike) -> dict:
    """The saved dict of a derm network file, checked for kind and version."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DermNetworkMissing(
            f"derm metrics skipped: no derm feature network at {path}; build it with "
            "python -m qgan.evaluate features --train (or pass --derm-features PATH)"
        )
    try:
        record = load_plain(path, "derm feature network")  # weights_only: never runs code
    except ValueError as exc:
        raise DermNetworkMissing(f"derm metrics skipped: {exc}") from None
    if not isinstance(record, dict) or record.get("kind") != DERM_KIND:
        raise DermNetworkMissing(f"derm metrics skipped: {path} is not a derm feature network")
    if record.get("version") != DERM_VERSION:
        raise DermNetworkMissing(
            f"derm metrics skipped: {path} has version {record.get('version')}, this code reads "
            f"{DERM_VERSION}; rebuild it with python -m qgan.evaluate features --train"
        )
    return record


def load_derm_network(
    path: str | os.PathLike, expected_hash: str | None = None
) -> tuple[FeatureNet, dict]:
    """The derm network as a :class:`FeatureNet`, and its record (config, metrics, ...).

    Args:
        path: A file written by :func:`save_derm_network`.
        expected_hash: :func:`training_data_hash` of the training split the current data gives;
            None skips the check.

    Raises:
        DermNetworkMissing: No such file, not a derm network, or corrupt weights.
        DermDataMismatch: ``expected_hash`` differs from the one it was trained with.
    """
    record = read_derm_record(path)
    if expected_hash is not None and expected_hash != record["data_hash"]:
        cfg = record["config"]
        raise DermDataMismatch(
            f"derm metrics skipped: {path} was trained on other data than the current "
            f"{cfg['dataset']} split at {cfg['image_size']} px (training-data hash "
            f"{record['data_hash'][:12]} != {expected_hash[:12]}); rebuild it with "
            f"python -m qgan.evaluate features --train --dataset {cfg['dataset']}"
        )
    net = DermNet(**record["net"])
    net.load_state_dict(record["state_dict"])
    if weights_fingerprint(net) != record["fingerprint"]:
        raise DermNetworkMissing(f"derm metrics skipped: {path} has corrupt weights; rebuild it")
    module = _DermFeatures(net.eval())
    return FeatureNet(
        "derm", f"derm-{record['fingerprint'][:16]}", module, False, net.feature_dim
    ), record
