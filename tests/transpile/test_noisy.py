"""Reduced noisy simulation: active qubits and groups, restricted circuits and Targets, and the
reduced simulation equal to Aer's simulation of the whole (small) device."""

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import DensityMatrix, partial_trace
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from circuits.ansatz import hybridq_subgenerator
from transpile.noisy import (
    active_qubits,
    qubit_groups,
    reduced_backend,
    reduced_target,
    restrict_circuit,
)
from transpile.suppression import pad_idle


@pytest.fixture(scope="module")
def manila():
    return FakeManilaV2()  # 5 qubits on a line-like T: 0-1-2-3-4 with errors and durations


def _two_groups() -> QuantumCircuit:
    qc = QuantumCircuit(6)
    qc.rx(0.3, 0)
    qc.cx(0, 1)
    qc.cz(2, 1)
    qc.delay(100, 3)  # idles, so qubit 3 stays inactive
    qc.barrier()
    qc.ecr(5, 4)
    return qc


def test_active_qubits_and_groups():
    qc = _two_groups()
    assert active_qubits(qc) == (0, 1, 2, 4, 5)
    assert qubit_groups(qc) == ((0, 1, 2), (4, 5))
    assert qubit_groups(qc, extra=[3]) == ((0, 1, 2), (3,), (4, 5))


def test_restrict_circuit_renumbers_and_refuses_cut_gates():
    small = restrict_circuit(_two_groups(), (4, 5))
    assert small.num_qubits == 2
    assert [
        (i.operation.name, [small.find_bit(q).index for q in i.qubits]) for i in small.data
    ] == [
        ("barrier", [0, 1]),
        ("ecr", [1, 0]),
    ]
    with pytest.raises(ValueError, match="leaves the qubit group"):
        restrict_circuit(_two_groups(), (0, 1))
    measured = _two_groups()
    measured.measure_all()
    with pytest.raises(ValueError, match="without measurements"):
        restrict_circuit(measured, (4, 5))


def test_reduced_target_keeps_errors_durations_and_qubit_properties(manila):
    full = manila.target
    small = reduced_target(full, (3, 2))
    assert small.num_qubits == 2 and small.dt == full.dt
    assert small["cx"][(0, 1)] == full["cx"][(3, 2)]  # qubit 3 -> 0, qubit 2 -> 1
    assert small["cx"][(1, 0)] == full["cx"][(2, 3)]
    assert small["measure"][(0,)] == full["measure"][(3,)]
    fields = [(p.t1, p.t2, p.frequency) for p in small.qubit_properties]
    assert fields == [(p.t1, p.t2, p.frequency) for p in (full.qubit_properties[q] for q in (3, 2))]
    assert set(small["cx"]) == {(0, 1), (1, 0)}


def test_reduced_simulation_equals_the_full_device_simulation(manila):
    ansatz = hybridq_subgenerator(3, 2)
    pm = generate_preset_pass_manager(
        1, backend=manila, initial_layout=[1, 2, 3], seed_transpiler=0
    )
    values = np.random.default_rng(0).uniform(0, 1, ansatz.circuit.num_parameters)
    isa = pad_idle(pm.run(ansatz.circuit).assign_parameters(values), manila.target)
    qubits = qubit_groups(isa)[0]
    assert qubits == (1, 2, 3)

    full = isa.copy()
    full.save_density_matrix(qubits=list(qubits))
    sim = AerSimulator.from_backend(manila, method="density_matrix")
    rho_full = sim.run(full).result().data()["density_matrix"]

    small = restrict_circuit(isa, qubits)
    small.save_density_matrix()
    sim = AerSimulator.from_backend(reduced_backend(manila, qubits), method="density_matrix")
    rho_small = sim.run(small).result().data()["density_matrix"]

    np.testing.assert_allclose(np.asarray(rho_small), np.asarray(rho_full), atol=1e-12)
    ideal = partial_trace(DensityMatrix(isa.remove_final_measurements(inplace=False)), [0, 4])
    assert 0.5 < ideal.expectation_value(rho_small.to_operator()).real < 0.999  # noise was on

    # Aer keeps per-qubit readout errors in _local_readout_errors; it has no public getter
    readout_full = NoiseModel.from_backend(manila)._local_readout_errors
    readout_small = NoiseModel.from_backend(reduced_backend(manila, qubits))._local_readout_errors
    for j, q in enumerate(qubits):
        assert readout_small[(j,)] == readout_full[(q,)]
