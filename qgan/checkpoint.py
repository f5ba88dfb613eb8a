"""Checkpoints: plain dicts that carry their own config, written atomically, read safely.

A checkpoint holds the config, the model and optimizer states, the step and position in the
epoch, the adaptive-noise state and every RNG state, so that ``--resume`` continues the same
run exactly and ``qgan.sample`` needs only the file (nanoGPT's train.py/sample.py habit).

Everything in it is plain data (tensors, numbers, strings, lists, tuples, dicts): configs are
stored as dicts (``config_to_dict`` / ``config_from_dict``) and RNG states as tensors, so every
read is ``torch.load(..., weights_only=True)``, which refuses any other Python object instead
of running the code a crafted file could carry. Files written before ``FORMAT`` 2 held pickled
config classes and numpy arrays; they are refused with one line naming the command that
converts them (``python -m qgan.convert``, the only code in qgan that unpickles).
"""

from __future__ import annotations

import dataclasses
import random
import re
import types
import typing
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qgan.artifacts import atomic_path

FORMAT = 2  # 2: plain data only (configs as dicts, RNG states as tensors); 1: pickled objects
CONVERT = "python -m qgan.convert"  # the one command that unpickles: old files, knowingly
DERM_KIND = "qgan-derm-features"  # marks a derm feature network file (qgan.evaluation.features)


# ------------------------------------------------------------------------- configs as dicts
def config_to_dict(cfg: Any) -> dict:
    """A (frozen) dataclass as plain data: nested dataclasses as dicts, tuples as lists."""
    return {f.name: _plain(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return config_to_dict(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def config_from_dict(cls: type, data: dict, where: str = "config") -> Any:
    """``cls`` (a dataclass) from ``config_to_dict``'s output; the one way back from a dict.

    Nested dataclass fields are rebuilt from their dicts and lists become the tuples the
    annotations ask for. A field missing from ``data`` (the file predates the field) takes the
    value ``cls.legacy_values(data)`` names for it, if ``cls`` has that classmethod (the value
    every file written before the field had), else the dataclass default; a key ``cls`` names
    in ``cls.RETIRED`` (a field it no longer has) is dropped; any other key ``cls`` does not
    know is an error (a newer or foreign file).

    Raises:
        ValueError: One line naming ``where``, the class and the offending keys or values.
    """
    if not isinstance(data, dict):
        raise ValueError(
            f"{where} should be a dict of {cls.__name__} fields, got {type(data).__name__}"
        )
    fields = {f.name for f in dataclasses.fields(cls) if f.init}
    data = {k: v for k, v in data.items() if k not in getattr(cls, "RETIRED", ())}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ValueError(
            f"{where} has field(s) {unknown} that {cls.__name__} does not know: a file from "
            "a newer qgan or another program"
        )
    hints = typing.get_type_hints(cls)
    kwargs = {k: _typed(hints.get(k, Any), v, f"{where}.{k}") for k, v in data.items()}
    if hasattr(cls, "legacy_values"):
        kwargs = {k: v for k, v in cls.legacy_values(data).items() if k in fields} | kwargs
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} is not a valid {cls.__name__}: {exc}") from None


def _typed(hint: Any, value: Any, where: str) -> Any:
    """``value`` made into the type ``hint`` names where plain data lost it."""
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return config_from_dict(hint, value, where)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and value is not None:
        for arg in args:
            wants_tuple = typing.get_origin(arg) is tuple and isinstance(value, (list, tuple))
            if wants_tuple or (dataclasses.is_dataclass(arg) and isinstance(value, dict)):
                return _typed(arg, value, where)
    if origin is tuple and isinstance(value, (list, tuple)):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_typed(args[0], v, where) for v in value)
        if args and len(args) == len(value):
            return tuple(_typed(a, v, where) for a, v in zip(args, value, strict=True))
        return tuple(value)
    return value


# ------------------------------------------------------------------------------ RNG states
def rng_states(noise: torch.Generator) -> dict:
    """Every random stream the training loop draws from, as tensors and numbers."""
    return plain_rng_states(
        torch.get_rng_state(), np.random.get_state(), random.getstate(), noise.get_state()
    )


def plain_rng_states(torch_state, numpy_state: tuple, python_state: tuple, noise_state) -> dict:
    """The four streams' states as plain data: numpy's (kind, key, pos, has_gauss, cached) and
    python's (version, internal, gauss_next) tuples as dicts of tensors and numbers."""
    kind, key, pos, has_gauss, cached = numpy_state
    version, internal, gauss_next = python_state
    return {
        "torch": torch_state,
        "numpy": {
            "kind": str(kind),
            "key": torch.from_numpy(np.asarray(key).astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
        "python": {
            "version": int(version),
            "state": torch.tensor(internal, dtype=torch.int64),
            "gauss_next": gauss_next,
        },
        "noise": noise_state,
    }


def restore_rng_states(states: dict, noise: torch.Generator) -> None:
    torch.set_rng_state(states["torch"])
    n = states["numpy"]
    key = n["key"].numpy().astype(np.uint32)
    np.random.set_state((n["kind"], key, n["pos"], n["has_gauss"], n["cached"]))
    p = states["python"]
    random.setstate((p["version"], tuple(p["state"].tolist()), p["gauss_next"]))
    noise.set_state(states["noise"])


# ---------------------------------------------------------------------------- save and load
PLAIN = (torch.Tensor, str, int, float, bool, type(None))  # and lists, tuples, dicts of them


def save_checkpoint(payload: dict, path: Path) -> Path:
    """Write ``payload`` (plain data) with the format version to ``path`` through a temporary
    file, so a crash never leaves half.

    Raises:
        TypeError: Something in ``payload`` is not plain data (``load_checkpoint`` would refuse
            the file); a bug, caught before anything is written.
    """
    check_plain(payload)
    with atomic_path(path) as tmp:
        torch.save(payload | {"format": FORMAT}, tmp)
    return path


def check_plain(value: Any, where: str = "checkpoint") -> None:
    """Raise TypeError naming the first value under ``value`` that is not plain data."""
    if isinstance(value, dict):
        for k, v in value.items():
            check_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_plain(v, f"{where}[{i}]")
    elif not isinstance(value, PLAIN):
        raise TypeError(
            f"{where} is a {type(value).__name__}, not plain data: "
            "store configs with config_to_dict, arrays as tensors"
        )


def load_plain(path: str | Path, what: str = "checkpoint") -> Any:
    """``torch.load(path, weights_only=True)`` with one-line errors: never runs code.

    A file holding any Python object other than plain data (a pickled class, a numpy array,
    a crafted ``os.system`` call) is refused, naming the first such object and the command
    that converts a trusted qgan file of the old format.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - re-raised as one line
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        if found:
            raise ValueError(
                f"{path} holds Python objects, not only plain data (first: {found.group(1)}), "
                f"so it is not read: loading it could run code. A {what} of an older qgan "
                f"that you trust can be converted with: {CONVERT} {path}"
            ) from None
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        lines = [line for line in lines if not line.startswith("Check the documentation")]
        why = lines[-1] if lines else ""  # torch's own last line says what it met
        raise ValueError(f"cannot read {what} {path}: {type(exc).__name__}: {why}") from None


def load_checkpoint(path: str | Path) -> dict:
    """A checkpoint file, or the newest one (``last.pt``) of a run folder; one-line errors."""
    path = Path(path)
    if path.is_dir():
        path = path / "last.pt"
    if not path.exists():
        raise FileNotFoundError(
            f"no checkpoint at {path}: pass a run folder holding last.pt or a .pt file"
        )
    ckpt = load_plain(path)
    if not isinstance(ckpt, dict) or "config" not in ckpt:
        raise ValueError(f"{path} is not a qgan checkpoint (no config inside)")
    version = ckpt.get("format", 1)
    if version != FORMAT:
        if isinstance(version, int) and version > FORMAT:
            raise ValueError(
                f"{path} has checkpoint format {version}, newer than this qgan's "
                f"{FORMAT}: update qgan to read it"
            )
        raise ValueError(
            f"{path} has checkpoint format {version}; convert it (if you trust "
            f"it) with: {CONVERT} {path}"
        )
    return ckpt
