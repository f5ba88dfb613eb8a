"""What a hardware run will spend, printed before anything is submitted.

IBM runs the circuits of a job shot by shot, each shot followed by the repetition delay
(``backend.default_rep_delay``, 250 us on Eagle and Heron devices), so the QPU time of the
executions is about

    shots x (circuit duration + measurement + rep_delay),

summed over every circuit, parameter set and ZNE noise factor (folded circuits are longer;
twirling splits a pub's shots over its randomizations and adds none). Not counted: IBM's
per-job overhead (compilation, loading), and TREX's readout-calibration circuits; IBM's own
figure is ``job.usage_estimation`` once a job is submitted.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from qiskit.exceptions import QiskitError
from qiskit.providers import BackendV2

from transpile.mitigation_config import MitigationConfig
from transpile.passes import TranspiledGenerator
from transpile.zne import fold_two_qubit_gates

REP_DELAY = 250e-6  # seconds; IBM's default on Eagle and Heron, where a backend does not say


@dataclass(frozen=True)
class Cost:
    """The executions of a run.

    Attributes:
        jobs: Runtime jobs (one per chunk).
        circuits: ISA circuits per job (one pub each).
        parameter_sets: Parameter sets (images) over all jobs.
        noise_factors: Circuit versions per circuit: ZNE's noise factors, else 1.
        executions: Circuit executions over all jobs (circuits x sets x factors).
        shots: Shots over all jobs.
        shot_seconds: Mean time of one shot: circuit, measurement and rep_delay (None when
            the backend gives no gate durations).
        qpu_seconds: Estimated QPU time of the executions (None likewise).
    """

    jobs: int
    circuits: int
    parameter_sets: int
    noise_factors: int
    executions: int
    shots: int
    shot_seconds: float | None
    qpu_seconds: float | None

    def line(self) -> str:
        """The one-line summary printed before submission."""
        head = (
            f"cost: {self.jobs} job(s) of {self.circuits} circuit(s) x {self.parameter_sets} "
            f"parameter sets x {self.noise_factors} noise factor(s) = {self.executions:,} "
            f"circuit executions, {self.shots:,} shots; "
        )
        if self.qpu_seconds is None:
            return head + "QPU time unknown (the backend gives no gate durations)"
        return head + (
            f"estimated QPU time {_duration(self.qpu_seconds)} ({self.shot_seconds * 1e6:.0f} us "
            "a shot with rep_delay; IBM's per-job overhead and TREX calibration not included)"
        )

    def as_dict(self) -> dict:
        return asdict(self)


def estimate_cost(
    backend: BackendV2,
    transpiled: TranspiledGenerator,
    cfg: MitigationConfig,
    n: int,
    jobs: int,
) -> Cost:
    """The executions and QPU time of ``n`` parameter sets in ``jobs`` jobs on ``backend``."""
    target = backend.target
    rep_delay = getattr(backend, "default_rep_delay", None) or REP_DELAY
    measure = _measure_seconds(target)
    factors = cfg.scale_factors if cfg.zne else (1.0,)
    seconds = []  # one shot of each circuit at each noise factor
    for isa in transpiled.circuits:
        for c in factors:
            folded = fold_two_qubit_gates(isa, c, select=cfg.fold, seed=cfg.seed, target=target)
            circuit = isa if c == 1 else folded[0]
            seconds.append(_seconds(circuit, target) + measure + rep_delay)
    executions = len(seconds) * n
    known = not any(math.isnan(x) for x in seconds)
    return Cost(
        jobs=jobs,
        circuits=len(transpiled.circuits),
        parameter_sets=n,
        noise_factors=len(factors),
        executions=executions,
        shots=executions * cfg.shots,
        shot_seconds=sum(seconds) / len(seconds) if known else None,
        qpu_seconds=sum(seconds) * n * cfg.shots if known else None,
    )


def _seconds(circuit, target) -> float:
    """The circuit's duration on the Target's schedule; NaN where a gate has no duration."""
    try:
        return circuit.estimate_duration(target, unit="s")
    except QiskitError:
        return math.nan


def _measure_seconds(target) -> float:
    """The longest measurement of the Target (0 where it gives none)."""
    if "measure" not in target.operation_names:
        return 0.0
    durations = [p.duration for p in target["measure"].values() if p and p.duration]
    return max(durations, default=0.0)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
