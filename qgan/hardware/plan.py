"""The plan of a hardware run, recorded in ``<out>/hardware.json`` before any job is submitted.

The plan is everything the quantum results depend on: backend, images, chunking, seed, shots,
mitigation, circuit shape and the checkpoint's quantum weights and noise bound (by hash, so a
moved checkpoint still matches). Its fingerprint tags every ledger line and result file. A
rerun into the same folder with the same plan continues it (collects jobs, loads chunks); a
different plan is refused with the fields that differ, so results are never mixed. The lines
of the layout are saved too: a resumed run keeps them even if the device was recalibrated in
between, so every chunk of one run ran on the same qubits.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from qgan.hardware.config import HardwareConfig
from qgan.hardware.generator import HybridQParts
from transpile.fidelity import two_qubit_gate
from transpile.layout import LineLayout, SearchStats, score_lines

RECORD = "hardware.json"
PLAN_FIELDS = (
    "backend",
    "n",
    "chunk",
    "seed",
    "shots",
    "mitigation",
    "separate",
    "optimization_level",
)


class PlanMismatch(ValueError):
    """The output folder holds a run of another plan."""


@dataclass(frozen=True)
class RunRecord:
    """What hardware.json holds: the config, the plan and its fingerprint, the layout lines."""

    config: HardwareConfig
    plan: dict
    fingerprint: str
    lines: tuple[tuple[int, ...], ...]

    def write(self, out: Path) -> Path:
        out.mkdir(parents=True, exist_ok=True)
        record = {
            "config": dataclasses.asdict(self.config),
            "plan": self.plan,
            "fingerprint": self.fingerprint,
            "lines": [list(x) for x in self.lines],
        }
        (out / RECORD).write_text(json.dumps(record, indent=2) + "\n")
        return out / RECORD


def plan_of(cfg: HardwareConfig, parts: HybridQParts) -> tuple[dict, str]:
    """(plan fields, fingerprint) of a resolved config and its checkpoint."""
    q = parts.model_config.quantum
    plan = {name: getattr(cfg, name) for name in PLAN_FIELDS}
    plan["mitigation"] = dataclasses.asdict(cfg.mitigation)  # every switch and setting
    plan |= {
        "n_sub": q.n_sub,
        "n_qubits": q.n_qubits,
        "n_layers": q.n_layers,
        "kind": q.kind,
        "quantum_weights": parts.fingerprint(),
    }
    plan = json.loads(json.dumps(plan))  # as hardware.json holds it (tuples become lists)
    blob = json.dumps(plan, sort_keys=True).encode()
    return plan, hashlib.sha256(blob).hexdigest()[:16]


def read_record(out: Path) -> RunRecord | None:
    """The hardware.json of ``out``, or None when there is none."""
    path = Path(out) / RECORD
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        return RunRecord(
            HardwareConfig.from_dict(data["config"]),
            data["plan"],
            data["fingerprint"],
            tuple(tuple(x) for x in data["lines"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"{path} is not a hardware run record ({exc}); choose a new --out"
        ) from None


def check_same_plan(saved: RunRecord, plan: dict, fingerprint: str, out: Path) -> None:
    """Raise PlanMismatch (one line, naming the differences) unless the plans agree."""
    if saved.fingerprint == fingerprint:
        return
    diff = [
        f"{k} {saved.plan.get(k)!r} -> {plan.get(k)!r}"
        for k in sorted(plan | saved.plan)
        if saved.plan.get(k) != plan.get(k)
    ]
    raise PlanMismatch(
        f"{out} holds a hardware run with other settings ({'; '.join(diff)}): choose a new "
        "--out, or pass --resume to continue that run as it was"
    )


def saved_layout(backend, lines, n_layers: int) -> LineLayout:
    """A ``LineLayout`` of the lines a run chose before, scored on today's calibration."""
    target = getattr(backend, "target", backend)
    stats = SearchStats(
        candidates=len(lines),
        exhaustive=False,
        method="saved",
        status=f"the lines this run chose when it started ({RECORD})",
        greedy_lines=len(lines),
        greedy_log_fidelity=math.nan,
        seconds=0.0,
    )
    return LineLayout(
        backend=getattr(backend, "name", "target"),
        gate=two_qubit_gate(target),
        num_qubits=target.num_qubits,
        n_layers=n_layers,
        lines=tuple(tuple(int(q) for q in line) for line in lines),
        scores=score_lines(backend, lines, n_layers=n_layers),
        stats=stats,
    )
