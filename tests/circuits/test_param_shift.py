"""BatchedParamShiftGradient against finite differences of Statevector and against qiskit-ml."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives import BaseEstimatorV2, StatevectorEstimator
from qiskit.primitives.containers.estimator_pub import EstimatorPub
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.quantum_info import SparsePauliOp, Statevector
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer.primitives import EstimatorV2 as AerEstimator
from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
from qiskit_machine_learning.neural_networks import EstimatorQNN

from circuits.param_shift import BatchedParamShiftGradient

A, B, C, D = (Parameter(name) for name in "abcd")
OBSERVABLES = [
    SparsePauliOp("ZZI"),
    SparsePauliOp.from_list([("XIZ", 0.5), ("IYY", -1.0), ("ZII", 0.25)]),
]


class SpyEstimator(BaseEstimatorV2):
    """Delegates to ``inner`` and records each run call's pubs and precision."""

    def __init__(self, inner: BaseEstimatorV2) -> None:
        self.inner = inner
        self.calls: list[tuple[list, float | None]] = []

    def run(self, pubs, *, precision=None):
        pubs = list(pubs)
        self.calls.append((pubs, precision))
        if precision is None:
            return self.inner.run(pubs)
        return self.inner.run(pubs, precision=precision)


def _circuit() -> QuantumCircuit:
    """3 qubits: 2a+0.3, a used in three gates, b in two, a nonlinear a*b, and a U gate."""
    qc = QuantumCircuit(3)
    qc.ry(2 * A + 0.3, 0)
    qc.rx(B, 1)
    qc.cx(0, 1)
    qc.rz(A, 1)
    qc.h(2)
    qc.cz(1, 2)
    qc.u(C, D, A * B, 2)
    qc.ry(B, 0)
    qc.cx(2, 0)
    return qc


def _second_circuit() -> QuantumCircuit:
    """A different 3-qubit circuit over its own parameters, for grouping tests."""
    x, y = Parameter("x"), Parameter("y")
    qc = QuantumCircuit(3)
    qc.rx(x, 0)
    qc.cx(0, 1)
    qc.ry(y - 0.5, 2)
    qc.rzz(x, 1, 2)
    return qc


def _tiled_entries(qc: QuantumCircuit, n_rows: int = 3, seed: int = 0):
    """EstimatorQNN's layout: one circuit, rows tiled once per observable (K * B entries)."""
    rows = np.random.default_rng(seed).uniform(-np.pi, np.pi, (n_rows, qc.num_parameters))
    circuits = [qc] * (len(OBSERVABLES) * n_rows)
    observables = [op for op in OBSERVABLES for _ in range(n_rows)]
    return circuits, observables, np.tile(rows, (len(OBSERVABLES), 1))


def _finite_difference(qc, observable, row, params=None, h=1e-5) -> np.ndarray:
    """Central differences of Statevector expectation values (error ~ h**2)."""
    params = qc.parameters if params is None else params

    def f(values):
        return Statevector(qc.assign_parameters(values)).expectation_value(observable).real

    grad = []
    for p in params:
        step = h * (np.arange(qc.num_parameters) == qc.parameters.data.index(p))
        grad.append((f(row + step) - f(row - step)) / (2 * h))
    return np.array(grad)


@pytest.mark.parametrize(
    "make_estimator",
    [
        StatevectorEstimator,
        AerEstimator,
        lambda: AerEstimator(options={"default_precision": 0}),
    ],
    ids=["statevector", "aer-default", "aer-precision-0"],
)
def test_matches_finite_differences(make_estimator) -> None:
    qc = _circuit()
    circuits, observables, values = _tiled_entries(qc)
    result = BatchedParamShiftGradient(make_estimator()).run(circuits, observables, values).result()
    for grad, op, row in zip(result.gradients, observables, values, strict=True):
        assert grad.dtype == np.float64
        np.testing.assert_allclose(grad, _finite_difference(qc, op, row), atol=1e-6)


def test_matches_library_param_shift() -> None:
    qc, qc2 = _circuit(), _second_circuit()
    circuits, observables, values = _tiled_entries(qc)
    values2 = np.random.default_rng(1).uniform(-1, 1, (2, 2))
    # Interleave a second circuit so grouping must restore the caller's order.
    circuits = [qc2, *circuits, qc2]
    observables = [OBSERVABLES[1], *observables, OBSERVABLES[0]]
    values = [values2[0], *values, values2[1]]
    ours = BatchedParamShiftGradient(StatevectorEstimator()).run(circuits, observables, values)
    lib = ParamShiftEstimatorGradient(StatevectorEstimator()).run(circuits, observables, values)
    ours, lib = ours.result(), lib.result()
    for g_ours, g_lib in zip(ours.gradients, lib.gradients, strict=True):
        np.testing.assert_allclose(g_ours, g_lib, atol=1e-10)
    assert [m["parameters"] for m in ours.metadata] == [m["parameters"] for m in lib.metadata]


def test_one_pub_per_circuit_with_deduplicated_rows() -> None:
    qc, qc2 = _circuit(), _second_circuit()
    circuits, observables, values = _tiled_entries(qc, n_rows=3)
    spy = SpyEstimator(AerEstimator())
    gradient = BatchedParamShiftGradient(spy)
    gradient.run([*circuits, qc2], [*observables, OBSERVABLES[0]], [*values, [0.1, 0.2]]).result()
    assert len(spy.calls) == 1
    pubs, precision = spy.calls[0]
    assert len(pubs) == 2 and precision is None
    pub = EstimatorPub.coerce(pubs[0])
    n_angles = pub.circuit.num_parameters  # one parameter per angle after translation
    # 6 tiled entries are 3 distinct rows; each row shifts every angle by +-pi/2.
    assert pub.parameter_values.shape == (3 * 2 * n_angles, 1)
    assert pub.observables.shape == (1, len(OBSERVABLES))
    assert pub.shape == (3 * 2 * n_angles, len(OBSERVABLES))


def test_parameters_subset_and_order() -> None:
    qc = _circuit()
    circuits, observables, values = _tiled_entries(qc)
    subset = [B, D]
    parameters = [subset] * (len(circuits) - 1) + [None]
    spy = SpyEstimator(StatevectorEstimator())
    result = BatchedParamShiftGradient(spy).run(circuits, observables, values, parameters)
    result = result.result()
    for i, (grad, op, row) in enumerate(zip(result.gradients, observables, values, strict=True)):
        wanted = qc.parameters if i == len(circuits) - 1 else subset
        assert result.metadata[i]["parameters"] == wanted
        np.testing.assert_allclose(grad, _finite_difference(qc, op, row, wanted), atol=1e-6)
    # Without the None entry only angles that depend on b or d are shifted.
    spy.calls.clear()
    BatchedParamShiftGradient(spy).run(circuits, observables, values, [subset] * 6).result()
    pub = EstimatorPub.coerce(spy.calls[0][0][0])
    assert pub.parameter_values.shape[0] < 3 * 2 * pub.circuit.num_parameters


def test_no_requested_parameters_sends_no_pub() -> None:
    circuits, observables, values = _tiled_entries(_circuit())
    spy = SpyEstimator(StatevectorEstimator())
    result = BatchedParamShiftGradient(spy).run(circuits, observables, values, [[]] * 6).result()
    assert spy.calls == [] and all(g.shape == (0,) for g in result.gradients)


def test_precision_is_passed_to_the_estimator() -> None:
    circuits, observables, values = _tiled_entries(_circuit(), n_rows=1)
    spy = SpyEstimator(StatevectorEstimator(default_precision=0.1, seed=0))
    BatchedParamShiftGradient(spy).run(circuits, observables, values, precision=0.05).result()
    assert spy.calls[-1][1] == 0.05
    exact = BatchedParamShiftGradient(spy, options={"precision": 0.0})
    result = exact.run(circuits, observables, values).result()
    assert spy.calls[-1][1] == 0.0 and result.options.precision == 0.0
    for grad, op, row in zip(result.gradients, observables, values, strict=True):
        np.testing.assert_allclose(grad, _finite_difference(circuits[0], op, row), atol=1e-6)


def test_pass_manager_on_a_larger_backend() -> None:
    qc = _circuit()
    circuits, observables, values = _tiled_entries(qc, n_rows=2)
    backend = GenericBackendV2(num_qubits=5, seed=0)
    pass_manager = generate_preset_pass_manager(1, backend=backend, seed_transpiler=0)
    gradient = BatchedParamShiftGradient(AerEstimator(), pass_manager=pass_manager)
    result = gradient.run(circuits, observables, values).result()
    for grad, op, row in zip(result.gradients, observables, values, strict=True):
        np.testing.assert_allclose(grad, _finite_difference(qc, op, row), atol=1e-6)


@pytest.mark.parametrize("input_gradients", [True, False])
def test_estimator_qnn_backward_matches_library(input_gradients: bool) -> None:
    qc = _circuit()
    inputs, weights = [A, C], [B, D]
    estimator = AerEstimator()

    def qnn(gradient) -> EstimatorQNN:
        return EstimatorQNN(
            circuit=qc,
            estimator=estimator,
            observables=OBSERVABLES,
            input_params=inputs,
            weight_params=weights,
            input_gradients=input_gradients,
            default_precision=0,
            gradient=gradient,
        )

    rng = np.random.default_rng(2)
    x, w = rng.uniform(-np.pi, np.pi, (4, 2)), rng.uniform(-np.pi, np.pi, 2)
    ours = qnn(BatchedParamShiftGradient(estimator)).backward(x, w)
    lib = qnn(ParamShiftEstimatorGradient(estimator)).backward(x, w)
    np.testing.assert_allclose(ours[1], lib[1], atol=1e-10)
    if input_gradients:
        np.testing.assert_allclose(ours[0], lib[0], atol=1e-10)
    else:
        assert ours[0] is None and lib[0] is None


def test_rejects_a_v1_estimator() -> None:
    with pytest.raises(TypeError, match="BaseEstimatorV2"):
        BatchedParamShiftGradient(object())
