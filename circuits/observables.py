"""Readout observables of the quantum sub-generators and classifiers, as ``SparsePauliOp``.

Every circuit in ``circuits.ansatz`` is read out one feature per qubit: <Z_i> for the HybridQ
sub-generator (Jiao et al., HybridQ, Sec. 3.2) and the HQCNN classifier (QGAN-based
augmentation for HQCNNs, arXiv:2505.24780), <X_i> for MosaiQ (Silver et al., ICCV 2023).

Qubit convention is Qiskit's little-endian one: qubit i is the RIGHTMOST character of a Pauli
label, so <Z_0> on 3 qubits is ``"IIZ"``.
"""

from __future__ import annotations

from collections.abc import Sequence

from qiskit.quantum_info import SparsePauliOp

PAULIS = ("X", "Y", "Z")


def pauli_readout(
    n_qubits: int, pauli: str = "Z", qubits: Sequence[int] | None = None
) -> tuple[SparsePauliOp, ...]:
    """One single-qubit Pauli observable per read-out qubit.

    Args:
        n_qubits: Width of the register the observables act on.
        pauli: ``"X"``, ``"Y"`` or ``"Z"``.
        qubits: Qubits to read, in output order; all of ``range(n_qubits)`` when None.

    Returns:
        ``ops[k]`` is ``pauli`` on qubit ``qubits[k]`` and identity elsewhere.
    """
    if n_qubits < 1:
        raise ValueError(f"n_qubits must be >= 1, got {n_qubits}")
    if pauli not in PAULIS:
        raise ValueError(f"pauli must be one of {PAULIS}, got {pauli!r}")
    qubits = range(n_qubits) if qubits is None else qubits
    _check_qubits(qubits, n_qubits)
    return tuple(
        SparsePauliOp.from_sparse_list([(pauli, [q], 1.0)], num_qubits=n_qubits) for q in qubits
    )


def z_readout(n_qubits: int, qubits: Sequence[int] | None = None) -> tuple[SparsePauliOp, ...]:
    """<Z_i> on every qubit (or on ``qubits``); see ``pauli_readout``."""
    return pauli_readout(n_qubits, "Z", qubits)


def x_readout(n_qubits: int, qubits: Sequence[int] | None = None) -> tuple[SparsePauliOp, ...]:
    """<X_i> on every qubit (or on ``qubits``); see ``pauli_readout``."""
    return pauli_readout(n_qubits, "X", qubits)


def on_qubits(op: SparsePauliOp, qubits: Sequence[int], n_total: int) -> SparsePauliOp:
    """Embed a block's observable into a wider register.

    Args:
        op: Observable on ``len(qubits)`` qubits.
        qubits: ``qubits[j]`` is the wide-register qubit that the block's qubit ``j`` becomes.
        n_total: Width of the wide register.

    Returns:
        ``op`` acting on ``qubits`` of an ``n_total``-qubit register, identity elsewhere.
    """
    if len(qubits) != op.num_qubits:
        raise ValueError(f"op acts on {op.num_qubits} qubits but {len(qubits)} were given")
    _check_qubits(qubits, n_total)
    return op.apply_layout(list(qubits), n_total)


def _check_qubits(qubits: Sequence[int], n_qubits: int) -> None:
    """Raise unless ``qubits`` are distinct indices in ``[0, n_qubits)``."""
    if len(set(qubits)) != len(qubits):
        raise ValueError(f"qubits must be distinct, got {list(qubits)}")
    bad = [q for q in qubits if not 0 <= q < n_qubits]
    if bad:
        raise ValueError(f"qubits {bad} are outside a {n_qubits}-qubit register")
