"""Pauli terms, qubit-wise commuting bases, and rz/sx basis rotations (Operator oracle)."""

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator, Pauli, SparsePauliOp

from transpile.measurement import measurement_bases, pauli_terms, rotate_to_z


@pytest.mark.parametrize("pauli", ["X", "Y", "Z"])
def test_rotation_turns_z_readout_into_the_pauli(pauli):
    rotated = rotate_to_z(QuantumCircuit(1), {0: pauli})
    u = Operator(rotated).data
    z = Pauli("Z").to_matrix()
    np.testing.assert_allclose(u.conj().T @ z @ u, Pauli(pauli).to_matrix(), atol=1e-12)
    assert set(rotated.count_ops()) <= {"rz", "sx"}  # IBM's native single-qubit basis


def test_bases_group_qubit_wise_commuting_terms():
    local = [{0: "Z"}, {0: "X", 1: "Z"}, {1: "Z", 2: "Y"}, {}, {0: "Z", 2: "Y"}]
    bases, which = measurement_bases(local)
    assert which == [0, 1, 0, -1, 0]
    assert bases == [{0: "Z", 1: "Z", 2: "Y"}, {0: "X", 1: "Z"}]


def test_terms_fold_phases_and_refuse_non_hermitian():
    op = SparsePauliOp.from_list([("XZ", 0.5), ("II", -1.0)])
    terms = pauli_terms(2, op)
    assert [(t.observable, t.coeff, t.paulis) for t in terms] == [
        (2, 0.5, {0: "Z", 1: "X"}),
        (2, -1.0, {}),
    ]
    with pytest.raises(ValueError, match="not Hermitian"):
        pauli_terms(0, SparsePauliOp.from_list([("Z", 1j)]))
