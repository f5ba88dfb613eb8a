"""The lesion classifiers: ResNet-50 (HybridQ Sec. 4.3), ResNet-18 and a small CNN.

HybridQ fine-tunes an ImageNet ResNet-50 with learning rate 1e-3. The weights cannot be
downloaded at run time here, so they are taken from a file: ``pretrained="auto"`` looks in the
torch hub cache (``$TORCH_HOME/hub/checkpoints``, where ``torchvision`` would have saved them)
under torchvision's own file names, ``"none"`` trains from scratch, anything else is a path.
Which one happened is returned as :class:`ClassifierInfo` and printed in every table.

The ResNets get images in [-1, 1] and normalize them with ImageNet's channel statistics, the
input their pretrained weights expect (harmless from scratch: BatchNorm follows).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from qgan.augmentation.config import CLASSIFIERS, AugmentError
from qgan.vision import torchvision

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# torchvision's weight enums per architecture, best first (their .url names the cached file)
_WEIGHTS = {
    "resnet50": ("ResNet50_Weights", ("IMAGENET1K_V2", "IMAGENET1K_V1")),
    "resnet18": ("ResNet18_Weights", ("IMAGENET1K_V1",)),
}


@dataclass(frozen=True)
class ClassifierInfo:
    """What was built: the architecture, where its weights came from, its size."""

    name: str
    weights: str  # "scratch" or "imagenet:<file>"
    n_params: int

    def describe(self) -> str:
        start = "trained from scratch" if self.weights == "scratch" else self.weights
        return f"{self.name} ({start}, {self.n_params:,} parameters)"


class SmallCNN(nn.Module):
    """Three [3x3 conv, BatchNorm, ReLU, 2x2 max-pool] blocks (32, 64, 128), pooled, linear."""

    def __init__(self, n_classes: int, in_channels: int = 3, width: int = 32):
        super().__init__()
        blocks, c = [], in_channels
        for out in (width, 2 * width, 4 * width):
            blocks += [nn.Conv2d(c, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU()]
            blocks.append(nn.MaxPool2d(2))
            c = out
        self.features = nn.Sequential(*blocks)
        self.head = nn.Linear(c, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))  # (B, n_classes) logits


class ImageNetInput(nn.Module):
    """[-1, 1] images -> ImageNet-normalized images -> ``net``."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(((x + 1.0) / 2.0 - self.mean) / self.std)


def imagenet_weight_files(name: str) -> list[Path]:
    """Where torchvision keeps the ImageNet weights of ``name`` in the hub cache, best first."""
    if name not in _WEIGHTS:
        return []
    enum_name, members = _WEIGHTS[name]
    enum = getattr(torchvision.models, enum_name)
    folder = Path(torch.hub.get_dir()) / "checkpoints"
    return [folder / Path(getattr(enum, m).url).name for m in members]


def find_weights(name: str, pretrained: str) -> Path | None:
    """The weight file ``pretrained`` asks for: None for scratch (see module doc)."""
    if pretrained == "none":
        return None
    if pretrained == "auto":
        return next((p for p in imagenet_weight_files(name) if p.is_file()), None)
    if name not in _WEIGHTS:
        raise AugmentError(f"--pretrained {pretrained} given, but {name} has no pretrained form")
    path = Path(pretrained).expanduser()
    if not path.is_file():
        raise AugmentError(f"no weight file at {path}; give a torchvision {name} .pth or 'auto'")
    return path


def build_classifier(
    name: str, n_classes: int, in_channels: int = 3, pretrained: str = "auto", seed: int = 0
) -> tuple[nn.Module, ClassifierInfo]:
    """Classifier ``name`` with ``n_classes`` outputs, weights seeded or loaded from a file."""
    if name not in CLASSIFIERS:
        raise AugmentError(f"unknown classifier {name!r}; choose one of {', '.join(CLASSIFIERS)}")
    torch.manual_seed(seed)
    if name == "smallcnn":
        if pretrained not in ("auto", "none"):
            raise AugmentError("smallcnn has no pretrained weights; use --pretrained none")
        model = SmallCNN(n_classes, in_channels)
        return model, ClassifierInfo(name, "scratch", _count(model))
    if in_channels != 3:
        raise AugmentError(f"{name} wants RGB images, got {in_channels} channel(s)")
    net = getattr(torchvision.models, name)(weights=None)
    path = find_weights(name, pretrained)
    if path is not None:
        _load_backbone(net, path, name)
    net.fc = nn.Linear(net.fc.in_features, n_classes)  # new head, seeded above
    weights = "scratch" if path is None else f"imagenet:{path}"
    return ImageNetInput(net), ClassifierInfo(name, weights, _count(net))


def _load_backbone(net: nn.Module, path: Path, name: str) -> None:
    """Every weight but the 1000-class head from ``path``; one-line errors on a wrong file."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same advice
        raise AugmentError(f"cannot read weights {path}: {type(exc).__name__}") from None
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    try:
        missing, unexpected = net.load_state_dict(state, strict=False)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)
        raise AugmentError(f"{path} does not fit {name}: {first}") from None
    if unexpected or [k for k in missing if not k.startswith("fc.")]:
        raise AugmentError(f"{path} does not fit {name}: keys differ (is it a {name}?)")


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
