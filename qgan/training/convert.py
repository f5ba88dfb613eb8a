"""Old qgan files (before checkpoint format 2) rewritten as plain data, in place.

UNPICKLES ITS INPUT: reading a file of the old format runs any code the file carries, so convert
only files you trust (your own runs, a colleague's you would run anyway). It is the only code in
qgan that unpickles; everything else reads with ``weights_only=True`` and refuses these files.

Checkpoints (``last.pt``, ``epochNNN.pt``) written before format 2 held the model config as a
pickled class and numpy's RNG state as an array; they get the config as a dict, the RNG states
as tensors and ``format: 2``. Derm feature-network files get any non-plain value made plain. The
result is checked (read back as plain data, its configs rebuilt) before it replaces anything.
The command is ``python -m qgan.convert``.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import types
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qgan.artifacts import atomic_path
from qgan.checkpoint import DERM_KIND, FORMAT, load_plain, plain_rng_states
from qgan.models.gan import checkpoint_model_config
from qgan.training.config import TrainConfig

WARNING = "unpickling {path}: this runs any code the file holds; convert only files you trust"
# Config classes that old files pickled, by the module they lived in then -> where they live now
RELOCATED = {
    ("qgan.config", "TrainConfig"): "qgan.training.config",
    ("qgan.models", "ModelConfig"): "qgan.models.config",
    ("qgan.quantum", "QuantumConfig"): "qgan.models.config",
    ("qgan.baselines.dcgan", "DCGANConfig"): "qgan.models.dcgan",
    ("qgan.baselines.mosaiq", "MosaiQConfig"): "qgan.models.mosaiq",
}


class _Unpickler(pickle.Unpickler):
    """pickle's, finding the classes of ``RELOCATED`` where they live now."""

    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(RELOCATED.get((module, name), module), name)


# what torch.load unpickles with (it subclasses ``Unpickler``)
_PICKLE = types.SimpleNamespace(__name__="pickle", Unpickler=_Unpickler, load=pickle.load)


def convert(path: Path, out: Path | None = None) -> str:
    """Rewrite the qgan file ``path`` (to ``out``, default in place); returns what was done.

    Raises:
        ValueError: Not a qgan checkpoint or derm network, or its result does not load back.
    """
    out = out or path
    try:
        # the one unpickling in qgan
        old = torch.load(path, map_location="cpu", weights_only=False, pickle_module=_PICKLE)
    except Exception as exc:  # noqa: BLE001 - one line
        raise ValueError(f"cannot read {path}: {type(exc).__name__}: {exc}") from None
    if not isinstance(old, dict):
        raise ValueError(f"{path} is not a qgan file (a {type(old).__name__}); nothing written")
    if old.get("format") == FORMAT:
        return f"{path}: already format {FORMAT}, nothing to do"
    if "config" in old and "model_config" in old:
        new, kind = _checkpoint(old), "checkpoint"
    elif old.get("kind") == DERM_KIND:
        new, kind = _plain(old), "derm feature network"
    else:
        raise ValueError(f"{path} is neither a qgan checkpoint nor a derm network; nothing written")
    _write_checked(new, out, kind)
    return f"{path}: {kind} converted to format {FORMAT} -> {out}"


def _checkpoint(old: dict) -> dict:
    new = {k: _plain(v) for k, v in old.items() if k not in ("rng", "model_config")}
    new["model_config"] = _plain(old["model_config"])
    if "rng" in old:
        rng = old["rng"]  # format 1: numpy's and python's states as their tuples
        new["rng"] = plain_rng_states(rng["torch"], rng["numpy"], rng["python"], rng["noise"])
    return new | {"format": FORMAT}


def _plain(value: Any) -> Any:
    """Plain data of an unpickled value: dataclasses as dicts of the fields they were saved
    with (a field added since then is left out, so loading gives it its default), numpy arrays
    as tensors, numpy scalars as Python numbers."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name for f in dataclasses.fields(value)}
        return {k: _plain(v) for k, v in vars(value).items() if k in fields}
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        new = copy.copy(value)  # a state dict stays an OrderedDict with its _metadata
        for k, v in value.items():
            new[k] = _plain(v)
        return new
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _write_checked(new: dict, out: Path, kind: str) -> None:
    """Save ``new`` next to ``out``, read it back safely (configs rebuilt), then replace."""
    with atomic_path(out) as tmp:  # a file that does not load back is never renamed onto out
        torch.save(new, tmp)
        try:
            back = load_plain(tmp, kind)
            if kind == "checkpoint":
                TrainConfig.from_dict(back["config"])
                checkpoint_model_config(back)
        except ValueError as exc:
            raise ValueError(
                f"the converted {kind} does not load back ({exc}); nothing written"
            ) from None


def files(paths: list[str]) -> list[Path]:
    """The .pt files named, a run folder standing for every .pt file in it."""
    found = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(path.glob("*.pt"))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"no file or folder {path}")
    return found
