"""Idle padding, dynamical decoupling and Pauli twirling keep the circuit's unitary (qiskit
Operator oracle) and its ISA basis."""

import numpy as np
import pytest
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.quantum_info import Operator
from qiskit.transpiler import generate_preset_pass_manager

from circuits.ansatz import hybridq_subgenerator
from transpile.suppression import DD_SEQUENCES, dd_sequence, pad_idle, twirled


@pytest.fixture(scope="module")
def isa_and_backend():
    backend = GenericBackendV2(
        4, basis_gates=["ecr", "rz", "sx", "x"], seed=1, coupling_map=[[0, 1], [1, 2], [2, 3]]
    )
    ansatz = hybridq_subgenerator(4, 2)
    pm = generate_preset_pass_manager(1, backend=backend, seed_transpiler=0)
    return pm.run(ansatz.circuit), backend


def _bound(circuit, seed=0):
    values = np.random.default_rng(seed).uniform(0, 1, circuit.num_parameters)
    return circuit.assign_parameters(dict(zip(circuit.parameters, values, strict=True)))


def _assert_isa(circuit, target):
    for inst in circuit.data:
        qargs = tuple(circuit.find_bit(q).index for q in inst.qubits)
        assert target.instruction_supported(inst.operation.name, qargs), inst.operation.name


@pytest.mark.parametrize("dd", DD_SEQUENCES)
def test_padding_and_dd_keep_the_unitary(isa_and_backend, dd):
    isa, backend = isa_and_backend
    padded = pad_idle(isa, backend.target, dd)
    assert padded.count_ops().get("delay", 0) > 0
    if dd != "none":  # the DD pulses are X gates added to the idle stretches
        assert padded.count_ops().get("x", 0) > isa.count_ops().get("x", 0)
    assert Operator(_bound(padded)).equiv(Operator(_bound(isa)))
    _assert_isa(padded, backend.target)


def test_dd_sequences_multiply_to_the_identity():
    for name in DD_SEQUENCES[1:]:
        gates, spacing = dd_sequence(name)
        product = np.eye(2)
        for gate in gates:
            product = gate.to_matrix() @ product
        assert np.allclose(product / product[0, 0], np.eye(2))
        assert spacing is None or (len(spacing) == len(gates) + 1 and sum(spacing) == 1)
    with pytest.raises(ValueError, match="dd must be"):
        dd_sequence("XY8")


def test_twirled_copies_keep_the_unitary_and_the_parameters(isa_and_backend):
    isa, backend = isa_and_backend
    copies = twirled(isa, 3, seed=7, target=backend.target)
    assert len(copies) == 3
    assert len({tuple(str(i.operation.name) for i in c.data) for c in copies}) > 1  # random
    for c in copies:
        assert set(c.parameters) == set(isa.parameters)
        assert Operator(_bound(c)).equiv(Operator(_bound(isa)))
        _assert_isa(c, backend.target)
    assert [c.data for c in twirled(isa, 3, seed=7, target=backend.target)] == [
        c.data for c in copies
    ]  # seeded
