"""A backend's own error data, and the estimated fidelity of circuits on it.

The estimate is the usual "estimated success probability": a product of (1 - error) terms, kept
as a sum of logs so that 540 two-qubit gates do not underflow::

    log F = sum_gates log(1 - e_gate) + sum_measured log(1 - e_readout)
            + sum_active log F_idle(idle_q; T1_q, T2_q)

with gate and readout errors and gate durations read from the backend's ``Target``. Idle
qubits decay: over an idle time t a qubit undergoes amplitude damping (T1) and dephasing (T2),
whose average gate fidelity is ``F_idle = 1/2 + exp(-t/T1)/6 + exp(-t/T2)/3``; gate errors
already include decoherence during the gates, so only the idle time (circuit duration minus the
qubit's busy time, from an as-soon-as-possible schedule) is charged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.transpiler import Target

TWO_QUBIT_GATES = ("ecr", "cz", "cx")  # native entanglers of IBM Eagle, Heron, generic backends


@dataclass(frozen=True)
class ErrorData:
    """One backend's calibration as arrays, for the layout search.

    Attributes:
        gate: Name of the native two-qubit gate (``ecr``, ``cz`` or ``cx``).
        edges: Undirected pair ``(a, b)``, ``a < b`` -> (error, duration in s) of its better
            direction; pairs whose error is 1 (broken couplers) are left out.
        readout: (n,) readout error per qubit.
        sx_error: (n,) ``sx`` error per qubit.
        sx_duration: (n,) ``sx`` duration per qubit, in s.
        t1: (n,) T1 per qubit in s (inf when unknown).
        t2: (n,) T2 per qubit in s (inf when unknown).
    """

    gate: str
    edges: dict[tuple[int, int], tuple[float, float]]
    readout: np.ndarray
    sx_error: np.ndarray
    sx_duration: np.ndarray
    t1: np.ndarray
    t2: np.ndarray

    @classmethod
    def from_target(cls, target: Target) -> ErrorData:
        """Read the two-qubit, ``sx`` and readout errors, durations and T1/T2 of ``target``."""
        gate = two_qubit_gate(target)
        n = target.num_qubits
        props = target.qubit_properties or [None] * n
        return cls(
            gate=gate,
            edges=_edges(target, gate),
            readout=np.array([_error(target, "measure", (q,)) for q in range(n)]),
            sx_error=np.array([_error(target, "sx", (q,)) for q in range(n)]),
            sx_duration=np.array([_duration(target, "sx", (q,)) for q in range(n)]),
            t1=np.array([_time(p, "t1") for p in props]),
            t2=np.array([_time(p, "t2") for p in props]),
        )

    @property
    def num_qubits(self) -> int:
        return len(self.readout)

    @property
    def usable_qubits(self) -> tuple[int, ...]:
        """Qubits whose readout and ``sx`` work at all (errors < 1)."""
        return tuple(int(q) for q in np.flatnonzero((self.readout < 1) & (self.sx_error < 1)))


class FidelityParts:
    """Base of a fidelity estimate split by source into natural logs (each <= 0).

    Subclasses are frozen dataclasses with the four fields below; the estimate is their sum.
    """

    two_qubit: float
    one_qubit: float
    readout: float
    decoherence: float

    @property
    def log_fidelity(self) -> float:
        """log F = two_qubit + one_qubit + readout + decoherence."""
        return self.two_qubit + self.one_qubit + self.readout + self.decoherence

    @property
    def fidelity(self) -> float:
        """F = exp(log F), in [0, 1]."""
        return float(np.exp(self.log_fidelity))


@dataclass(frozen=True)
class FidelityEstimate(FidelityParts):
    """Estimated fidelity of a circuit, split by source (each entry a natural log, <= 0).

    Attributes:
        two_qubit: Sum of log(1 - e) over two-qubit gates.
        one_qubit: Sum of log(1 - e) over one-qubit gates.
        readout: Sum of log(1 - e_readout) over measured qubits.
        decoherence: Sum of log F_idle over active qubits.
        duration: Estimated duration of the circuit, in s.
        worst_gate_error: The largest error of any gate the circuit uses (1.0: a broken
            coupler, whose gates are charged log(1e-12) each).
    """

    two_qubit: float
    one_qubit: float
    readout: float
    decoherence: float
    duration: float
    worst_gate_error: float = 0.0


def two_qubit_gate(target: Target) -> str:
    """The native two-qubit gate of ``target`` (the first of ecr, cz, cx it has)."""
    for gate in TWO_QUBIT_GATES:
        if gate in target.operation_names:
            return gate
    raise ValueError(f"the target has none of the two-qubit gates {TWO_QUBIT_GATES}")


def idle_log_fidelity(idle, t1, t2) -> np.ndarray:
    """log F_idle = log(1/2 + exp(-t/T1)/6 + exp(-t/T2)/3), elementwise (all in s)."""
    idle = np.maximum(np.asarray(idle, dtype=float), 0.0)  # schedules can round below zero
    return np.log(0.5 + np.exp(-idle / t1) / 6 + np.exp(-idle / t2) / 3)


def estimate_circuit(
    circuit: QuantumCircuit, target: Target, measured: Sequence[int] = ()
) -> FidelityEstimate:
    """Estimated fidelity of an ISA ``circuit`` on ``target`` (see the module docstring).

    Args:
        circuit: A circuit on the target's physical qubits, in its basis.
        target: The backend's target: gate errors, durations, readout errors, T1/T2.
        measured: Physical qubits read out at the end besides the circuit's own ``measure``
            operations (an estimator measures its observables' qubits).
    """
    logs, free, busy = _walk(circuit, target)
    logs["readout"] += sum(float(np.log1p(-_error(target, "measure", (q,)))) for q in measured)
    duration = float(free.max()) if len(free) else 0.0
    active = np.union1d(np.flatnonzero(busy > 0), np.asarray(measured, dtype=int)).astype(int)
    props = target.qubit_properties or [None] * target.num_qubits
    t1 = np.array([_time(props[q], "t1") for q in active])
    t2 = np.array([_time(props[q], "t2") for q in active])
    decoherence = float(idle_log_fidelity(duration - busy[active], t1, t2).sum())
    return FidelityEstimate(
        logs["two"], logs["one"], logs["readout"], decoherence, duration, logs["worst"]
    )


def _walk(circuit: QuantumCircuit, target: Target):
    """Sum log(1 - e) by kind over the instructions, and schedule them as soon as possible.

    Returns:
        The sums (and the worst gate error), each qubit's finish time (n,) and busy time (n,).
    """
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    free = [0.0] * circuit.num_qubits  # when each qubit is next free, in s (plain floats: fast)
    busy = [0.0] * circuit.num_qubits
    logs = {"one": 0.0, "two": 0.0, "readout": 0.0, "worst": 0.0}
    cache: dict[tuple, tuple[float, float]] = {}  # (name, qargs) -> (log(1 - e), duration)
    for inst in circuit.data:
        qargs = tuple(index[q] for q in inst.qubits)
        name = inst.operation.name
        start = max((free[q] for q in qargs), default=0.0)
        if name in ("barrier", "delay"):  # a barrier synchronizes its qubits
            end = start + (_delay_seconds(inst.operation, target) if name == "delay" else 0.0)
            for q in qargs:
                free[q] = end
            continue
        if (name, qargs) not in cache:
            err = _error(target, name, qargs)
            logs["worst"] = logs["worst"] if name == "measure" else max(logs["worst"], err)
            # a broken gate (error 1) costs log(1e-12), not -inf
            cache[name, qargs] = (
                math.log1p(-min(err, 1.0 - 1e-12)),
                _duration(target, name, qargs),
            )
        log_ok, dur = cache[name, qargs]
        logs["readout" if name == "measure" else ("two" if len(qargs) == 2 else "one")] += log_ok
        for q in qargs:
            free[q] = start + dur
            busy[q] += dur
    return logs, np.array(free), np.array(busy)


def _edges(target: Target, gate: str) -> dict[tuple[int, int], tuple[float, float]]:
    """Undirected working pairs -> (error, duration) of the better direction."""
    edges: dict[tuple[int, int], tuple[float, float]] = {}
    for qargs in target[gate]:
        if qargs is None or len(qargs) != 2:
            continue
        err, dur = _error(target, gate, qargs), _duration(target, gate, qargs)
        pair = (min(qargs), max(qargs))
        if err < 1 and (pair not in edges or err < edges[pair][0]):
            edges[pair] = (err, dur)
    return edges


def _error(target: Target, name: str, qargs: tuple[int, ...]) -> float:
    """The target's error of ``name`` on ``qargs``; 0 when it records none (rz, delay)."""
    props = target[name].get(qargs) if name in target.operation_names else None
    return float(props.error) if props is not None and props.error is not None else 0.0


def _duration(target: Target, name: str, qargs: tuple[int, ...]) -> float:
    props = target[name].get(qargs) if name in target.operation_names else None
    return float(props.duration) if props is not None and props.duration is not None else 0.0


def _delay_seconds(delay, target: Target) -> float:
    """A delay's length in s (its unit is ``dt`` or a time unit)."""
    if delay.unit == "dt":
        return float(delay.duration) * (target.dt or 0.0)
    scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "ps": 1e-12}[delay.unit]
    return float(delay.duration) * scale


def _time(props, attr: str) -> float:
    """T1 or T2 in s; inf (no decay) when the backend does not say."""
    value = getattr(props, attr, None) if props is not None else None
    return float(value) if value else float("inf")
