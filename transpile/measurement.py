"""Pauli observables as terms, grouped into measurement bases, and the rotations that read them.

A Hermitian ``SparsePauliOp`` is a real sum of Pauli strings. Strings that agree on every qubit
they share (qubit-wise commuting) are read from the same shots; each such basis is measured after
rotating its X and Y qubits to Z with IBM's native rz/sx gates (U^dag Z U = X for U = SX RZ(pi/2),
= Y for U = SX), so the rotated circuit stays ISA and readout errors act after the rotation, as
the readout mitigation assumes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp


@dataclass(frozen=True)
class PauliTerm:
    """One Pauli term of observable ``observable``: coeff * prod_q P_q on physical qubits."""

    observable: int
    coeff: float
    paulis: dict[int, str]


def pauli_terms(observable: int, op: SparsePauliOp) -> list[PauliTerm]:
    """Real-coefficient Pauli terms of a Hermitian observable (phases folded into coeffs)."""
    out = []
    for label, qubits, coeff in op.to_sparse_list():
        if abs(np.imag(coeff)) > 1e-12:
            raise ValueError(f"observable {observable} is not Hermitian (coefficient {coeff})")
        out.append(
            PauliTerm(observable, float(np.real(coeff)), dict(zip(qubits, label, strict=True)))
        )
    return out


def measurement_bases(local: list[dict[int, str]]) -> tuple[list[dict[int, str]], list[int]]:
    """Greedy qubit-wise commuting measurement bases for terms given as {qubit: Pauli}.

    Returns:
        The bases ({qubit: Pauli}; unlisted qubits are read in Z) and which[t], the basis of
        term t (-1 for the identity, which needs none).
    """
    settings: list[dict[int, str]] = []
    which = []
    for paulis in local:
        if not paulis:
            which.append(-1)
            continue
        for s, setting in enumerate(settings):
            if all(setting.get(q, c) == c for q, c in paulis.items()):
                setting.update(paulis)
                which.append(s)
                break
        else:
            settings.append(dict(paulis))
            which.append(len(settings) - 1)
    return settings, which


def rotate_to_z(circuit: QuantumCircuit, setting: dict[int, str]) -> QuantumCircuit:
    """Rotate X/Y-measured qubits so a Z measurement reads them, in IBM's rz/sx basis.

    U^dag Z U = X for U = SX RZ(pi/2) (time order rz, sx) and = Y for U = SX.
    """
    if all(c == "Z" for c in setting.values()):
        return circuit
    out = circuit.copy()
    for q, c in sorted(setting.items()):
        if c == "X":
            out.rz(np.pi / 2, q)
        if c in "XY":
            out.sx(q)
    return out
