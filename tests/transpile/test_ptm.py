"""The batched PTM engine against independent oracles: qiskit's Statevector (ideal circuits), Aer's
own density-matrix simulation with the device noise model (noisy circuits: exact agreement, to
float rounding), and Aer's sampler (shots: agreement within the statistical precision)."""

import numpy as np
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.circuit.library import RXGate, RYGate, RZGate
from qiskit.quantum_info import Statevector
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer import AerSimulator
from qiskit_ibm_runtime.fake_provider import FakeManilaV2

from circuits.ansatz import hybridq_subgenerator
from transpile.device_noise import DeviceNoise, device_noise, ptm_of_unitary
from transpile.noisy import noisy_sampler, qubit_groups, reduced_backend, restrict_circuit
from transpile.ptm import ROTATIONS, Program, UnsupportedCircuit, _generators
from transpile.ptm_sampler import PTMSampler
from transpile.readout import measure_all
from transpile.suppression import pad_idle
from transpile.zne import fold_two_qubit_gates

IDEAL = DeviceNoise(None, noise=False)


@pytest.fixture(scope="module")
def manila():
    return FakeManilaV2()


def _aer_probabilities(backend, circuit: QuantumCircuit, values: np.ndarray) -> np.ndarray:
    """(P, 2^n) exact outcome probabilities on Aer's density matrix, readout error applied."""
    sim = AerSimulator.from_backend(backend, method="density_matrix")
    noise = device_noise(backend)
    out = []
    for v in values:
        c = circuit.remove_final_measurements(inplace=False).assign_parameters(v)
        c.save_probabilities()
        p = np.asarray(sim.run(c).result().data()["probabilities"])
        t = p.reshape((2,) * c.num_qubits)  # axis j holds qubit n-1-j
        for q in range(c.num_qubits):
            axis = c.num_qubits - 1 - q
            t = np.moveaxis(np.tensordot(noise.readout(q), t, axes=(1, axis)), 0, axis)
        out.append(t.reshape(-1))
    return np.array(out)


def _line(backend, qubits, n_layers: int, fold: float = 1.0):
    """A sub-generator on ``qubits``, reduced and scheduled as a local noisy run sees it."""
    ansatz = hybridq_subgenerator(len(qubits), n_layers)
    pm = generate_preset_pass_manager(1, backend=backend, initial_layout=qubits, seed_transpiler=0)
    isa = pm.run(ansatz.circuit)
    if fold > 1:
        isa, _ = fold_two_qubit_gates(isa, fold, seed=1, target=backend.target)
    group = qubit_groups(isa)[0]
    reduced = reduced_backend(backend, group)
    return measure_all(pad_idle(restrict_circuit(isa, group), reduced.target)), reduced


@pytest.mark.parametrize("name, gate", [("rz", RZGate), ("rx", RXGate), ("ry", RYGate)])
def test_rotation_generators_are_the_gates_ptm(name, gate):
    g0, g1, g2 = _generators(ROTATIONS[name])
    for theta in (0.3, -1.7, 2.9):
        expected = ptm_of_unitary(gate(theta).to_matrix())
        np.testing.assert_allclose(
            g0 + np.cos(theta) * g1 + np.sin(theta) * g2, expected, atol=1e-12
        )


def test_ideal_circuits_match_the_statevector():
    t = Parameter("t")
    qc = QuantumCircuit(4)
    for q, a in enumerate([0.3, 1.1, -0.7, 2.0]):
        qc.ry(a, q)
        qc.sx(q)
        qc.rz(t * (q + 1) + 0.2, q)
    qc.ecr(0, 1)
    qc.cz(1, 2)
    qc.cx(3, 2)
    qc.cx(0, 2)  # not neighbours in the chain order: the general path
    qc.rx(t, 3)
    qc.swap(0, 3)
    measured = qc.measure_all(inplace=False)
    values = np.array([[0.4], [1.9], [-2.2]])
    probs = Program(measured, IDEAL).probabilities(values, torch.float64)
    expected = [Statevector(qc.assign_parameters(v)).probabilities() for v in values]
    np.testing.assert_allclose(probs, expected, atol=1e-12)


def test_a_noisy_line_equals_aers_density_matrix(manila):
    circuit, reduced = _line(manila, [0, 1, 2, 3], n_layers=3)
    values = np.random.default_rng(0).uniform(0, 2, (3, circuit.num_parameters))  # per-set blocks
    program = Program(circuit, device_noise(reduced))
    expected = _aer_probabilities(reduced, circuit, values)
    np.testing.assert_allclose(program.probabilities(values, torch.float64), expected, atol=1e-12)
    np.testing.assert_allclose(program.probabilities(values, torch.float32), expected, atol=1e-6)


def test_folded_circuits_fuse_and_stay_exact(manila):
    plain, reduced = _line(manila, [1, 2, 3], n_layers=2)
    folded, _ = _line(manila, [1, 2, 3], n_layers=2, fold=3.0)
    values = np.random.default_rng(1).uniform(0, 1, (2, plain.num_parameters))
    noise = device_noise(reduced)
    program = Program(folded, noise)
    assert program.num_blocks <= Program(plain, noise).num_blocks + 1  # G G^dag G: one block
    np.testing.assert_allclose(
        program.probabilities(values, torch.float64),
        _aer_probabilities(reduced, folded, values),
        atol=1e-12,
    )


def test_a_brisbane_line_equals_aers_density_matrix():
    from transpile.backends import get_backend

    brisbane = get_backend("fake_brisbane")
    circuit, reduced = _line(brisbane, [8, 9, 10, 11, 12, 17, 30, 31, 32, 36], n_layers=6)
    values = np.random.default_rng(2).uniform(0, 1, (1, circuit.num_parameters))
    program = Program(circuit, device_noise(reduced))
    assert program.num_blocks <= 30  # 54 ECRs, three neighbouring qubits a block
    expected = _aer_probabilities(reduced, circuit, values)
    np.testing.assert_allclose(program.probabilities(values, torch.float32), expected, atol=1e-6)


def test_the_sampler_agrees_with_aers_within_shot_noise(manila):
    circuit, reduced = _line(manila, [0, 1, 2], n_layers=2)
    values = np.random.default_rng(3).uniform(0, 1, (2, circuit.num_parameters))
    shots = 20_000
    ours = PTMSampler(backend=reduced, seed=5).run([(circuit, values, shots)]).result()[0]
    aer = noisy_sampler(reduced, seed=5, method="density_matrix").run([(circuit, values, shots)])
    z = {}
    for name, res in (("ptm", ours), ("aer", aer.result()[0])):
        bits = res.data.meas.to_bool_array(order="little")  # (P, shots, 3)
        assert bits.shape == (2, shots, 3)
        z[name] = 1 - 2 * bits.mean(axis=1)  # (P, 3) <Z_i>
    sigma = np.sqrt(2 / shots)  # two independent estimates, each with variance <= 1 / shots
    assert np.abs(z["ptm"] - z["aer"]).max() < 4 * sigma


def test_the_sampler_is_seeded_and_keeps_the_v2_shapes(manila):
    circuit, reduced = _line(manila, [0, 1], n_layers=1)
    values = np.random.default_rng(4).uniform(0, 1, (2, 3, circuit.num_parameters))
    sampler = PTMSampler(backend=reduced, seed=7)
    first = sampler.run([(circuit, values, 64)]).result()[0]
    again = sampler.run([(circuit, values, 64)]).result()[0]
    assert first.data.meas.shape == (2, 3) and first.data.meas.num_shots == 64
    np.testing.assert_array_equal(first.data.meas.array, again.data.meas.array)
    assert first.metadata["shots"] == 64


def test_unsupported_circuits_fail_in_one_line():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.measure(0, 0)
    qc.x(0)  # after its measurement
    with pytest.raises(UnsupportedCircuit, match="after its measurement") as err:
        Program(qc, IDEAL)
    assert "\n" not in str(err.value)
    wide = QuantumCircuit(14)
    wide.h(0)
    with pytest.raises(UnsupportedCircuit, match="too many for the PTM engine"):
        Program(wide.measure_all(inplace=False), IDEAL)
    t = Parameter("t")
    qc = QuantumCircuit(2)
    qc.rzz(t, 0, 1)
    with pytest.raises(UnsupportedCircuit, match="parametric rzz"):
        Program(qc.measure_all(inplace=False), IDEAL)
