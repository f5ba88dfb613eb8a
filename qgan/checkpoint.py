"""Checkpoints: plain dicts that carry their own config, written atomically.

A checkpoint holds the config, the model and optimizer states, the step and position in the
epoch, the adaptive-noise state and every RNG state, so that ``--resume`` continues the same
run exactly and ``qgan.sample`` needs only the file (nanoGPT's train.py/sample.py habit).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch


def rng_states(noise: torch.Generator) -> dict:
    """Every random stream the training loop draws from."""
    return {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "noise": noise.get_state(),
    }


def restore_rng_states(states: dict, noise: torch.Generator) -> None:
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    noise.set_state(states["noise"])


def save_checkpoint(payload: dict, path: Path) -> Path:
    """Write ``payload`` to ``path`` through a temporary file, so a crash never leaves half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path) -> dict:
    """A checkpoint file, or the newest one (``last.pt``) of a run folder; one-line errors."""
    path = Path(path)
    if path.is_dir():
        path = path / "last.pt"
    if not path.exists():
        raise FileNotFoundError(
            f"no checkpoint at {path}: pass a run folder holding last.pt or a .pt file"
        )
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - re-raised as one line
        raise ValueError(f"cannot read checkpoint {path}: {type(exc).__name__}: {exc}") from None
    if not isinstance(ckpt, dict) or "config" not in ckpt:
        raise ValueError(f"{path} is not a qgan checkpoint (no config inside)")
    return ckpt
