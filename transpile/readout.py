"""Readout-error mitigation with a tensored (per-qubit) assignment matrix; no extra dependency.

Each qubit q misreads independently: A_q[m, t] = P(read m | prepared t), with
p01 = P(read 1 | prepared 0) and p10 = P(read 0 | prepared 1). For a Pauli Z string on a set S of
qubits, inverting the tensored matrix on the marginal distribution gives (z = (1, -1))

    <Z_S>_mit = sum_x p_meas(x) prod_{q in S} w_q[x_q],   w_q = z^T A_q^{-1}
              = mean over shots of prod_{q in S} w_q[bit_q],

    w_q[0] = (1 + p01 - p10) / (1 - p01 - p10),   w_q[1] = -(1 - p01 + p10) / (1 - p01 - p10).

For one qubit this is <Z>_mit = (<Z>_raw - (p10 - p01)) / (1 - p01 - p10). The same holds for X
and Y strings measured after a basis rotation, because readout errors act after it. The
calibration is either measured (all-0 and all-1 preparations on the same noisy backend, which
also catches the X gate's small error) or read from the Target's measurement errors. Bravyi et
al., PRA 103, 042605 (2021) describe the tensored model; mthree is not used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit
from qiskit.transpiler import Target

MEAS = "meas"  # name of the classical register every measured circuit here writes to


@dataclass(frozen=True, eq=False)
class ReadoutCalibration:
    """Per-qubit readout error rates of k qubits (qubit q is clbit q of the measured circuits).

    Attributes:
        p01: (k,) P(read 1 | prepared 0).
        p10: (k,) P(read 0 | prepared 1).
    """

    p01: np.ndarray
    p10: np.ndarray

    def __post_init__(self) -> None:
        p01, p10 = np.asarray(self.p01, float), np.asarray(self.p10, float)
        if p01.ndim != 1 or p01.shape != p10.shape:
            raise ValueError(f"p01 {p01.shape} and p10 {p10.shape} must be equal 1-D shapes")
        if np.any((p01 < 0) | (p01 > 1) | (p10 < 0) | (p10 > 1)):
            raise ValueError("readout error rates must lie in [0, 1]")
        if np.any(p01 + p10 >= 1):
            # p01 + p10 = 1 makes A_q singular: the readout says nothing about the state
            raise ValueError("a qubit with p01 + p10 >= 1 cannot be mitigated (singular A_q)")
        object.__setattr__(self, "p01", p01)
        object.__setattr__(self, "p10", p10)

    @property
    def num_qubits(self) -> int:
        return len(self.p01)

    def assignment_matrices(self) -> np.ndarray:
        """(k, 2, 2) A_q[m, t] = P(read m | prepared t); columns sum to 1."""
        return np.stack(
            [np.stack([1 - self.p01, self.p01], -1), np.stack([self.p10, 1 - self.p10], -1)], -1
        )

    def z_weights(self) -> np.ndarray:
        """(k, 2) w_q[m] = (z^T A_q^{-1})[m]: the per-shot weight of reading m on qubit q."""
        det = 1.0 - self.p01 - self.p10
        return np.stack([(1 + self.p01 - self.p10) / det, -(1 - self.p01 + self.p10) / det], -1)


def calibration_circuits(num_qubits: int, target: Target | None = None) -> list[QuantumCircuit]:
    """Two circuits on ``num_qubits`` qubits: measure all |0>, and all |1> (X on every qubit).

    X is written as ``x`` when the target supports it (or no target is given), else as two
    ``sx``, so the circuits are ISA on IBM targets of either basis.
    """
    zeros, ones = QuantumCircuit(num_qubits, name="cal_0"), QuantumCircuit(num_qubits, name="cal_1")
    for q in range(num_qubits):
        if target is None or target.instruction_supported("x", (q,)):
            ones.x(q)
        else:
            ones.sx(q)
            ones.sx(q)
    return [measure_all(zeros), measure_all(ones)]


def calibration_from_bits(bits_zeros: np.ndarray, bits_ones: np.ndarray) -> ReadoutCalibration:
    """Rates from the bits of ``calibration_circuits``: (shots, k) bool arrays each.

    A rate estimated as exactly 0 stays 0: the weights are then the unmitigated +-1.
    """
    p01 = np.asarray(bits_zeros, bool).mean(axis=0)
    p10 = 1.0 - np.asarray(bits_ones, bool).mean(axis=0)
    return ReadoutCalibration(p01, p10)


def calibration_from_target(target: Target, qubits: Sequence[int]) -> ReadoutCalibration:
    """Rates from the Target's ``measure`` errors (symmetric unless the properties say more).

    IBM Targets carry one ``error`` per qubit's measurement; Aer's device noise model uses it
    as both p01 and p10, so this is the fallback when no calibration circuits are run.
    """
    p01, p10 = [], []
    for q in qubits:
        props = target["measure"].get((q,)) if "measure" in target else None
        error = 0.0 if props is None or props.error is None else props.error
        p01.append(getattr(props, "prob_meas1_prep0", error))
        p10.append(getattr(props, "prob_meas0_prep1", error))
    return ReadoutCalibration(np.array(p01), np.array(p10))


def pauli_means(
    bits: np.ndarray,
    supports: Sequence[Sequence[int]],
    calibration: ReadoutCalibration | None = None,
    probs: np.ndarray | None = None,
) -> np.ndarray:
    """Estimates of Z strings (or rotated Pauli strings) from measured bits.

    Args:
        bits: (..., N, k) bool, N shots (or N distinct outcomes with ``probs``) of k qubits.
        supports: T tuples of qubit indices in [0, k); () is the identity.
        calibration: k-qubit readout calibration; None gives the raw estimate (weights +-1).
        probs: (..., N) weights of the rows of ``bits`` summing to 1; uniform (shots) if None.

    Returns:
        (..., T) mean of prod_{q in S} w_q[bit_q] for each support S.
    """
    bits = np.asarray(bits, dtype=bool)
    k = bits.shape[-1]
    if calibration is not None and calibration.num_qubits != k:
        raise ValueError(f"calibration has {calibration.num_qubits} qubits, bits have {k}")
    weights = np.array([[1.0, -1.0]] * k) if calibration is None else calibration.z_weights()
    per_qubit = np.where(bits, weights[:, 1], weights[:, 0])  # (..., N, k)
    # (..., N, T): the per-shot product of weights over each support
    products = np.stack([per_qubit[..., list(s)].prod(axis=-1) for s in supports], -1)
    if probs is None:
        return products.mean(axis=-2)
    return np.einsum("...n,...nt->...t", np.asarray(probs, float), products)


def measure_all(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` with qubit q measured into clbit q of a register named ``MEAS``."""
    out = circuit.copy()
    if MEAS not in [c.name for c in out.cregs]:
        out.add_register(ClassicalRegister(out.num_qubits, MEAS))
    creg = next(c for c in out.cregs if c.name == MEAS)
    out.measure(out.qubits, list(creg))
    return out


def runtime_options(cfg) -> dict:
    """Readout mitigation in IBM Runtime's ``EstimatorOptions``: TREX, which is twirled
    readout (Runtime requires measurement twirling with it)."""
    return {
        "resilience": {"measure_mitigation": cfg.readout},
        "twirling": {"enable_measure": cfg.readout},
    }
