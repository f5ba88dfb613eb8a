"""Estimated fidelity: hand-computed products of (1 - error) terms and the idle-decay formula."""

import numpy as np
import pytest
from qiskit import QuantumCircuit

from transpile.backends import generic_heavy_hex
from transpile.fidelity import ErrorData, estimate_circuit, idle_log_fidelity


@pytest.fixture(scope="module")
def backend():
    return generic_heavy_hex(3, seed=5)


def _props(backend, name, qargs):
    return backend.target[name][qargs]


def test_idle_fidelity_limits():
    assert idle_log_fidelity(0.0, 1e-4, 1e-4) == pytest.approx(0.0)
    assert idle_log_fidelity(1.0, 1e-4, 1e-4) == pytest.approx(np.log(0.5))  # fully mixed
    t, t1, t2 = 1e-5, 2e-4, 1e-4
    expected = np.log(0.5 + np.exp(-t / t1) / 6 + np.exp(-t / t2) / 3)
    assert idle_log_fidelity(t, t1, t2) == pytest.approx(expected)
    assert idle_log_fidelity(t, np.inf, np.inf) == pytest.approx(0.0)  # no data, no decay


def test_one_gate_pair_by_hand(backend):
    a, b = backend.coupling_map.get_edges()[0]
    qc = QuantumCircuit(backend.num_qubits)
    qc.sx(a)
    qc.cx(a, b)
    est = estimate_circuit(qc, backend.target, measured=[a, b])
    sx, cx = _props(backend, "sx", (a,)), _props(backend, "cx", (a, b))
    ro = [_props(backend, "measure", (q,)).error for q in (a, b)]
    assert est.two_qubit == pytest.approx(np.log1p(-cx.error))
    assert est.one_qubit == pytest.approx(np.log1p(-sx.error))
    assert est.readout == pytest.approx(np.log1p(-np.array(ro)).sum())
    assert est.duration == pytest.approx(sx.duration + cx.duration)
    props_b = backend.target.qubit_properties[b]
    # qubit a is never idle; qubit b waits for the sx on a
    assert est.decoherence == pytest.approx(idle_log_fidelity(sx.duration, props_b.t1, props_b.t2))
    assert est.fidelity == pytest.approx(np.exp(est.log_fidelity))
    assert est.worst_gate_error == pytest.approx(max(sx.error, cx.error))


def test_measure_ops_count_as_readout_and_barriers_synchronize(backend):
    a, b = backend.coupling_map.get_edges()[0]
    qc = QuantumCircuit(backend.num_qubits, 1)
    qc.sx(a)
    qc.barrier(a, b)
    qc.sx(b)
    qc.measure(a, 0)
    est = estimate_circuit(qc, backend.target)
    sx_a, sx_b = _props(backend, "sx", (a,)), _props(backend, "sx", (b,))
    measure = _props(backend, "measure", (a,))
    assert est.readout == pytest.approx(np.log1p(-measure.error))
    assert est.duration == pytest.approx(
        max(sx_a.duration + sx_b.duration, sx_a.duration + measure.duration)
    )


def test_error_data_reads_the_target(backend):
    data = ErrorData.from_target(backend.target)
    assert data.gate == "cx" and data.num_qubits == 19
    a, b = backend.coupling_map.get_edges()[0]
    pair = (min(a, b), max(a, b))
    both = [backend.target["cx"][p].error for p in (pair, pair[::-1]) if p in backend.target["cx"]]
    assert data.edges[pair][0] == pytest.approx(min(both))
    assert data.readout[3] == pytest.approx(backend.target["measure"][(3,)].error)
    assert len(data.usable_qubits) == 19
