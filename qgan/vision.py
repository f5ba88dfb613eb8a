"""The one door through which qgan imports torchvision and pytorch-fid.

Why this module exists: the torchvision 0.28.0 wheel that pip resolves next to the CPU build of
torch 2.13.0 is a CUDA build (``0.28.0+cu130``). Its compiled extension ``torchvision/_C.so``
cannot load against CPU torch, which torchvision tolerates (``torchvision.extension._has_ops()``
becomes False), but ``torchvision/_meta_registrations.py`` then registers fake kernels for
``torchvision::nms`` and ``torchvision::qnms`` without that guard, and ``import torchvision`` dies
with ``RuntimeError: operator torchvision::nms does not exist``.

The fix is to declare the two operator schemas (no kernels) before torchvision is imported. This
module does that only when the problem is real: it first imports torchvision as is, so a working
build (CUDA torch with a matching torchvision on a GPU machine, or a CPU torchvision) is left
untouched. Only if that import fails on a missing ``torchvision::`` operator *and* torchvision
itself reports that its compiled ops did not load does it define the missing schemas and import
again. The schemas are declared with :func:`torch.library.define`, which keeps the owning
``Library`` alive for the life of the process (a collected ``Library`` would unregister them).

What is lost on such a build: torchvision's compiled operators (``torchvision.ops.nms``,
``roi_align``, ``deform_conv2d``, ...) raise torchvision's own "Couldn't load custom C++ ops" error
when called, and ``torchvision.io`` image decoding is unavailable. qgan needs neither: it uses
models, transforms and PIL. ``COMPILED_OPS`` says which case this process is in.

Usage, everywhere in the project (a test enforces it)::

    from qgan.vision import pytorch_fid, torchvision
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import torch

__all__ = ["COMPILED_OPS", "pytorch_fid", "torchvision"]

# Schemas as torchvision's C++ extension declares them (torchvision/csrc/ops/nms.cpp, qnms.cpp).
_FALLBACK_SCHEMAS = {
    "nms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}


def _has_schema(op: str) -> bool:
    return bool(torch._C._jit_get_schemas_for_operator(f"torchvision::{op}"))


def _define_missing_schemas() -> tuple[str, ...]:
    """Declares the fallback schemas no loaded library has declared yet; returns their names."""
    missing = tuple(op for op in _FALLBACK_SCHEMAS if not _has_schema(op))
    for op in missing:
        torch.library.define(f"torchvision::{op}", _FALLBACK_SCHEMAS[op])
    return missing


def _forget_torchvision() -> None:
    """Drops the half-imported torchvision modules a failed import leaves in ``sys.modules``."""
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]


def _import_torchvision() -> ModuleType:
    """Imports torchvision, repairing the CPU-torch + CUDA-torchvision case and no other."""
    try:
        return importlib.import_module("torchvision")
    except RuntimeError as err:
        extension = sys.modules.get("torchvision.extension")
        ops_failed_to_load = extension is not None and not extension._has_ops()
        if not ops_failed_to_load or "torchvision::" not in str(err):
            raise  # a different failure: not ours to paper over
        _forget_torchvision()
        if not _define_missing_schemas():
            raise  # the schemas were already there, so they are not what is wrong
        return importlib.import_module("torchvision")


torchvision = _import_torchvision()
# False where torchvision's C++ ops did not load (the repaired case): torchvision.ops.nms & co.
# raise when called.
COMPILED_OPS: bool = torchvision.extension._has_ops()

# pytorch-fid imports torchvision at module level, so it may only be imported after the fix.
# Its submodules are imported here so that `pytorch_fid.inception.InceptionV3` and
# `pytorch_fid.fid_score` are reachable as attributes.
pytorch_fid = importlib.import_module("pytorch_fid")
importlib.import_module("pytorch_fid.inception")
importlib.import_module("pytorch_fid.fid_score")
