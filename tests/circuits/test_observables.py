"""Readout observables: labels and qubit convention, checked with Statevector on basis states."""

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp, Statevector

from circuits.observables import on_qubits, pauli_readout, x_readout, z_readout


def _expvals(label: str, ops) -> list[float]:
    """<op> in the product state written as a Qiskit label (rightmost char = qubit 0)."""
    state = Statevector.from_label(label)
    return [float(state.expectation_value(op).real) for op in ops]


def test_z_readout_labels_are_little_endian():
    assert [op.paulis[0].to_label() for op in z_readout(3)] == ["IIZ", "IZI", "ZII"]
    assert all(np.allclose(op.coeffs, [1.0]) for op in z_readout(3))


def test_z_readout_on_basis_state():
    # "011": qubits 0 and 1 are |1>, qubit 2 is |0>.
    assert _expvals("011", z_readout(3)) == pytest.approx([-1.0, -1.0, 1.0])


def test_x_readout_on_hadamard_basis_state():
    # "+-+": qubit 0 |+>, qubit 1 |->, qubit 2 |+>.
    assert _expvals("+-+", x_readout(3)) == pytest.approx([1.0, -1.0, 1.0])


def test_y_readout_on_circular_basis_state():
    # "rl": qubit 0 |-i> (eigenvalue -1 of Y), qubit 1 |+i>.
    assert _expvals("rl", pauli_readout(2, "Y")) == pytest.approx([-1.0, 1.0])


def test_qubit_subset_keeps_given_order():
    ops = pauli_readout(4, "Z", qubits=[3, 1])
    assert [op.paulis[0].to_label() for op in ops] == ["ZIII", "IIZI"]
    assert _expvals("1000", ops) == pytest.approx([-1.0, 1.0])


def test_on_qubits_embeds_block_on_wide_register():
    block_op = SparsePauliOp("XZ")  # Z on block qubit 0, X on block qubit 1
    wide = on_qubits(block_op, (3, 1), 5)
    # Block qubit 0 -> wide qubit 3 (Z), block qubit 1 -> wide qubit 1 (X).
    assert wide.paulis[0].to_label() == "IZIXI"
    # "010+0": qubit 3 is |1> (Z = -1), qubit 1 is |+> (X = +1).
    assert _expvals("010+0", [wide]) == pytest.approx([-1.0])


def test_on_qubits_of_z_readout_reads_target_qubit():
    wide = [on_qubits(op, range(3, 6), 6) for op in z_readout(3)]
    for q, op in zip(range(3, 6), wide, strict=True):
        label = "".join("1" if k == q else "0" for k in reversed(range(6)))
        assert _expvals(label, [op]) == pytest.approx([-1.0])
        assert _expvals("000000", [op]) == pytest.approx([1.0])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: pauli_readout(0), "n_qubits"),
        (lambda: pauli_readout(2, "W"), "pauli"),
        (lambda: pauli_readout(2, qubits=[2]), "outside"),
        (lambda: pauli_readout(3, qubits=[1, 1]), "distinct"),
        (lambda: on_qubits(SparsePauliOp("ZZ"), [0], 3), "acts on 2"),
        (lambda: on_qubits(SparsePauliOp("ZZ"), [0, 3], 3), "outside"),
    ],
)
def test_invalid_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()
