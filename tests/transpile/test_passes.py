"""The seeded no-SWAP pass manager: coupling map and basis respected, no SWAP, observables that
give the logical circuit's expectation values (Statevector oracle), determinism."""

import numpy as np
import pytest
from qiskit.quantum_info import Statevector
from qiskit.transpiler import generate_preset_pass_manager
from qiskit.transpiler.exceptions import TranspilerError
from qiskit_aer import AerSimulator

from circuits.ansatz import generator_circuit
from transpile.passes import (
    block_layout,
    pass_manager,
    run_pass_manager,
    transpile_generator,
    two_qubit_count,
)

SMALL = {"n_sub": 2, "n_qubits": 4, "n_layers": 2}  # 2 lines x 4 qubits, 12 CNOTs


def _check_isa(circuit, backend) -> None:
    """Every operation is in the target on its qubits; every 2q gate on a coupler."""
    edges = set(backend.coupling_map.get_edges())
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    for inst in circuit.data:
        qargs = tuple(index[q] for q in inst.qubits)
        assert backend.target.instruction_supported(inst.operation.name, qargs), (inst, qargs)
        if len(qargs) == 2:
            assert qargs in edges


def _values(ansatz, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    params = list(ansatz.inputs) + list(ansatz.weights)
    return dict(zip(params, rng.uniform(-np.pi, np.pi, len(params)), strict=True))


def _expvals(circuit, observables, values) -> np.ndarray:
    """Qiskit's Statevector on the logical circuit (8 qubits)."""
    state = Statevector(circuit.assign_parameters(values))
    return np.array([state.expectation_value(op).real for op in observables])


def _aer_expvals(circuit, observables, values) -> np.ndarray:
    """The transpiled circuit is 19 qubits wide: Aer's statevector is much faster there."""
    bound = circuit.assign_parameters(values)
    bound.save_statevector()
    state = AerSimulator(method="statevector").run(bound).result().get_statevector()
    return np.array([Statevector(state).expectation_value(op).real for op in observables])


def _signature(circuit) -> list[tuple]:
    """Each instruction's name, qubits and parameters (by name), in order."""
    index = {bit: i for i, bit in enumerate(circuit.qubits)}
    return [
        (
            inst.operation.name,
            tuple(index[q] for q in inst.qubits),
            tuple(map(str, inst.operation.params)),
        )
        for inst in circuit.data
    ]


@pytest.mark.parametrize("separate", [False, True])
def test_small_backend_isa_no_swaps_same_expectations(small, separate):
    result = transpile_generator(small, separate=separate, seed=7, **SMALL)
    assert len(result.circuits) == (2 if separate else 1)
    for ansatz, isa, observables, report in zip(
        result.ansatze, result.circuits, result.observables, result.reports, strict=True
    ):
        _check_isa(isa, small)
        assert report.swaps == 0
        assert (
            report.two_qubit_gates
            == report.logical_two_qubit_gates
            == two_qubit_count(ansatz.circuit)
        )
        values = _values(ansatz, seed=1)
        logical = _expvals(ansatz.circuit, ansatz.observables, values)
        physical = _aer_expvals(isa, observables, values)
        np.testing.assert_allclose(physical, logical, atol=1e-9)
        assert 0 < report.fidelity.fidelity < 1


def test_wide_circuit_blocks_sit_on_the_lines(small):
    result = transpile_generator(small, seed=7, **SMALL)
    (report,) = result.reports
    assert list(report.physical_qubits) == result.layout.initial_layout
    assert report.two_qubit_gates == 12


def test_separate_circuits_share_the_best_line(small):
    result = transpile_generator(small, separate=True, seed=7, **SMALL)
    assert len(result.layout.lines) == 1
    assert {r.physical_qubits for r in result.reports} == {result.layout.lines[0]}


def test_seeded_runs_are_identical(small):
    first = transpile_generator(small, seed=11, **SMALL)
    second = transpile_generator(small, seed=11, **SMALL)
    assert _signature(first.circuits[0]) == _signature(second.circuits[0])
    assert first.layout.lines == second.layout.lines


def test_routing_never_adds_swaps_silently(small):
    ansatz = generator_circuit(1, 3, 1)
    far_apart = [[0, 5, 10]]  # not a path of couplers
    pm = pass_manager(small, block_layout(ansatz, far_apart))
    with pytest.raises(TranspilerError, match="not routed"):
        pm.run(ansatz.circuit)


def test_block_layout_checks_sizes():
    ansatz = generator_circuit(2, 3, 1)
    assert block_layout(ansatz, [(5, 6, 7), (1, 2, 3)]) == [5, 6, 7, 1, 2, 3]
    with pytest.raises(ValueError, match="need as many lines"):
        block_layout(ansatz, [(5, 6, 7)])
    with pytest.raises(ValueError, match="cannot sit"):
        block_layout(ansatz, [(5, 6), (1, 2, 3)])


def test_brisbane_wide_circuit_is_ideal_and_beats_level_1(brisbane):
    result = transpile_generator(brisbane, seed=0)
    (ours,) = result.reports
    _check_isa(result.circuits[0], brisbane)
    assert (ours.two_qubit_gates, ours.logical_two_qubit_gates, ours.swaps) == (540, 540, 0)
    assert list(ours.physical_qubits) == result.layout.initial_layout
    assert len(result.observables[0]) == 100
    assert all(op.num_qubits == 127 for op in result.observables[0])
    # Qiskit's level 1 in the same run: it routes with SWAPs, so more gates and lower fidelity
    pm = generate_preset_pass_manager(optimization_level=1, backend=brisbane, seed_transpiler=0)
    _, _, level1 = run_pass_manager(pm, result.ansatze[0], brisbane)
    assert level1.swaps > 0
    assert level1.two_qubit_gates > 540
    assert ours.fidelity.log_fidelity > level1.fidelity.log_fidelity
    assert "hybridq_x100" in result.report()
