"""ExactEstimatorGradient against qiskit-machine-learning's parameter shift and finite differences.

Oracles: ``ParamShiftEstimatorGradient(StatevectorEstimator())`` (exact, 1e-9) and central
differences of ``Statevector`` expectation values (1e-6), on small circuits with parameter
expressions (2a+0.3, a*b, sin(a)), shared parameters, U and CU gates. Also the argument handling
of ``BaseEstimatorGradient.run`` (parameter subsets, ``None`` entries, several circuits
interleaved; its error messages are in test_gradient_args.py), ``vjp`` against the Jacobian
contracted by hand, and an ``EstimatorQNN`` backward against the one with the library's gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import Operator, Pauli, SparsePauliOp, Statevector
from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient
from qiskit_machine_learning.neural_networks import EstimatorQNN

import circuits.gradients as gradients_module
from circuits.estimator import FastEstimator
from circuits.gradients import ExactEstimatorGradient

A, B, C, D = (Parameter(name) for name in "abcd")
X, Y = Parameter("x"), Parameter("y")
OBSERVABLES = [
    SparsePauliOp("ZZI"),
    SparsePauliOp.from_list([("XIZ", 0.5), ("IYY", -1.0), ("ZII", 0.25)]),
    SparsePauliOp.from_list([("YXI", 0.7), ("IIX", 0.3)]),
]


def _circuit() -> QuantumCircuit:
    """3 qubits: 2a+0.3, a in four gates, a*b, sin(c), a U gate and a CU gate."""
    qc = QuantumCircuit(3)
    qc.h(2)
    qc.ry(2 * A + 0.3, 0)
    qc.rx(B, 1)
    qc.cx(0, 1)
    qc.rz(A * B, 1)
    qc.ry(C.sin(), 2)
    qc.cz(1, 2)
    qc.u(C, D, A, 2)
    qc.cu(D - 0.2, A, 0.4, B, 2, 0)
    qc.rxx(A, 0, 1)
    qc.ry(B, 0)
    return qc


def _second_circuit() -> QuantumCircuit:
    """Another 3-qubit circuit over its own parameters x, y."""
    qc = QuantumCircuit(3)
    qc.rx(X, 0)
    qc.cx(0, 1)
    qc.ry(Y - 0.5, 2)
    qc.rzz(X * Y, 1, 2)
    qc.crx(2 * X, 2, 0)
    return qc


def _rows(n: int, p: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-np.pi, np.pi, (n, p))


def _tiled(qc: QuantumCircuit, n_rows: int = 3, seed: int = 0):
    """EstimatorQNN's layout: K observables x B rows, the B rows tiled K times."""
    rows = _rows(n_rows, qc.num_parameters, seed)
    observables = [op for op in OBSERVABLES for _ in range(n_rows)]
    return [qc] * len(observables), observables, np.tile(rows, (len(OBSERVABLES), 1))


def _finite_difference(qc, observable, row, params=None, h=1e-5) -> np.ndarray:
    """Central differences of Statevector values over ``params`` (error ~ h**2)."""
    params = qc.parameters if params is None else params
    order = list(qc.parameters)

    def f(values):
        return Statevector(qc.assign_parameters(values)).expectation_value(observable).real

    step = [h * (np.arange(len(order)) == order.index(p)) for p in params]
    return np.array([(f(row + s) - f(row - s)) / (2 * h) for s in step])


def _library(circuits, observables, values, parameters=None):
    gradient = ParamShiftEstimatorGradient(StatevectorEstimator())
    return gradient.run(circuits, observables, values, parameters).result()


# ---------------------------------------------------------------------- values
def _ry_circuit() -> QuantumCircuit:
    """RY, CX and CZ only (what float32 runs, see test_engine's xfail), with expressions."""
    qc = QuantumCircuit(3)
    qc.ry(2 * A + 0.3, 0)
    qc.ry(A * B, 1)
    qc.cx(0, 1)
    qc.ry(B.sin(), 2)
    qc.cz(1, 2)
    qc.ry(A, 2)
    return qc


@pytest.mark.parametrize(
    ("build", "dtype", "atol"),
    [(_circuit, "float64", 1e-6), (_ry_circuit, "float64", 1e-6), (_ry_circuit, "float32", 1e-5)],
    ids=["u-cu-float64", "ry-float64", "ry-float32"],
)
def test_matches_finite_differences(build, dtype: str, atol: float) -> None:
    qc = build()
    circuits, observables, values = _tiled(qc, n_rows=2)
    gradient = ExactEstimatorGradient(FastEstimator(dtype=dtype))
    result = gradient.run(circuits, observables, values).result()
    for grad, op, row in zip(result.gradients, observables, values, strict=True):
        assert grad.dtype == np.float64 and grad.shape == (qc.num_parameters,)
        np.testing.assert_allclose(grad, _finite_difference(qc, op, row), atol=atol, rtol=0)


def test_matches_library_param_shift_interleaved() -> None:
    """Two circuits interleaved, tiled rows of one and single rows of the other."""
    qc, qc2 = _circuit(), _second_circuit()
    circuits, observables, values = _tiled(qc)
    values2 = _rows(2, 2, seed=1)
    circuits = [qc2, *circuits[:4], qc2, *circuits[4:]]
    observables = [OBSERVABLES[1], *observables[:4], OBSERVABLES[2], *observables[4:]]
    values = [values2[0], *values[:4], values2[1], *values[4:]]
    ours = ExactEstimatorGradient().run(circuits, observables, values).result()
    lib = _library(circuits, observables, values)
    assert len(ours.gradients) == len(circuits)
    for got, want in zip(ours.gradients, lib.gradients, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-9, rtol=0)
    assert [m["parameters"] for m in ours.metadata] == [m["parameters"] for m in lib.metadata]
    assert [list(m["parameters"]) for m in ours.metadata[:2]] == [[X, Y], [A, B, C, D]]


@pytest.mark.parametrize(
    ("layout", "n_simulated"),
    [("tiled", 4), ("not-tiled", 12), ("repeated-rows", 8), ("one-entry", 1)]
    + [("equal-observables", 4)],
)
def test_row_layouts(layout: str, n_simulated: int, monkeypatch) -> None:
    """EstimatorQNN's tiling (fast path) and layouts that need the general row search; each
    distinct row is simulated once."""
    simulated = []
    distinct_rows = gradients_module._distinct_rows

    def spy(rows, tiles):
        out = distinct_rows(rows, tiles)
        simulated.append(len(out[0]))
        return out

    monkeypatch.setattr(gradients_module, "_distinct_rows", spy)
    qc = _circuit()
    circuits, observables, values = _tiled(qc, n_rows=4)
    if layout == "not-tiled":  # a multiple of K rows, not a tiling
        values = _rows(len(values), qc.num_parameters, seed=2)
    elif layout == "repeated-rows":  # some rows repeat, in no particular pattern
        values = _rows(len(values), qc.num_parameters, seed=3)[
            [0, 5, 0, 3, 7, 7, 1, 2, 9, 0, 11, 5]
        ]
    elif layout == "one-entry":
        circuits, observables, values = circuits[:1], observables[:1], values[:1]
    elif layout == "equal-observables":  # equal content in other objects, tiled rows
        observables = [SparsePauliOp(op.paulis, op.coeffs.copy()) for op in observables]
    ours = ExactEstimatorGradient().run(circuits, observables, values).result()
    lib = _library(circuits, observables, values)
    for got, want in zip(ours.gradients, lib.gradients, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-9, rtol=0)
    assert simulated == [n_simulated]


def test_parameter_subsets_in_custom_order() -> None:
    qc, qc2 = _circuit(), _second_circuit()
    circuits, observables, values = _tiled(qc, n_rows=2)
    subsets = [[D, A], None, [B], [C, B, A, D], [], None]
    circuits, observables = [*circuits, qc2, qc2], [*observables, OBSERVABLES[0], OBSERVABLES[1]]
    values, subsets = [*values, [0.3, -0.8], [1.1, 0.2]], [*subsets, [Y], None]
    ours = ExactEstimatorGradient().run(circuits, observables, values, subsets).result()
    lib = _library(circuits, observables, values, subsets)
    for i, (got, want) in enumerate(zip(ours.gradients, lib.gradients, strict=True)):
        wanted = circuits[i].parameters if subsets[i] is None else subsets[i]
        assert list(ours.metadata[i]["parameters"]) == list(wanted)
        assert got.shape == (len(wanted),)
        np.testing.assert_allclose(got, want, atol=1e-9, rtol=0)
        fd = _finite_difference(circuits[i], observables[i], np.asarray(values[i]), wanted)
        np.testing.assert_allclose(got, fd, atol=1e-6, rtol=0)


def test_single_circuit_and_observable_and_options() -> None:
    qc = _circuit()
    row = _rows(1, qc.num_parameters, seed=4)
    result = ExactEstimatorGradient(options={"shots": 7}).run(qc, OBSERVABLES[1], row).result()
    want = _finite_difference(qc, OBSERVABLES[1], row[0])
    np.testing.assert_allclose(result.gradients[0], want, atol=1e-6, rtol=0)
    assert result.options.shots == 7


def test_other_operator_types() -> None:
    """A Pauli and an Operator (which V2 estimators refuse; converted here to a Pauli sum)."""
    qc = _circuit()
    observables = [Pauli("XZY"), Operator(OBSERVABLES[1]), OBSERVABLES[1]]
    values = np.tile(_rows(1, qc.num_parameters, seed=6), (3, 1))
    ours = ExactEstimatorGradient().run([qc] * 3, observables, values).result()
    lib = _library([qc] * 3, [observables[0], *OBSERVABLES[1:2] * 2], values)
    for got, want in zip(ours.gradients, lib.gradients, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-9, rtol=0)


# ---------------------------------------------------------------------- vjp
def test_vjp_is_the_contracted_jacobian() -> None:
    qc = _circuit()
    circuits, observables, values = _tiled(qc, n_rows=4)
    gradient = ExactEstimatorGradient()
    grads = np.array(gradient.run(circuits, observables, values).result().gradients)
    jac = grads.reshape(len(OBSERVABLES), 4, -1).transpose(1, 0, 2)  # (N, K, P)
    rows = values[:4]
    cot = np.random.default_rng(5).normal(size=(4, len(OBSERVABLES)))
    evs, vjp = gradient.vjp(qc, OBSERVABLES, rows, cot)
    assert evs.shape == (4, len(OBSERVABLES)) and vjp.shape == (4, qc.num_parameters)
    np.testing.assert_allclose(vjp, np.einsum("nk,nkp->np", cot, jac), atol=1e-12, rtol=0)
    want = StatevectorEstimator().run([(qc, [[op] for op in OBSERVABLES], rows)]).result()
    np.testing.assert_allclose(evs, want[0].data.evs.T, atol=1e-10, rtol=0)


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("estimator", [StatevectorEstimator(), object()], ids=["v2", "object"])
def test_needs_a_fast_estimator(estimator) -> None:
    with pytest.raises(TypeError, match="FastEstimator"):
        ExactEstimatorGradient(estimator)


def test_shares_the_estimators_compiled_circuits() -> None:
    estimator = FastEstimator()
    qc = _circuit()
    estimator.run([(qc, "ZZZ", _rows(1, 4)[0])]).result()
    engine = estimator.engine(qc)
    ExactEstimatorGradient(estimator).run(*_tiled(qc, n_rows=1)).result()
    assert estimator.engine(qc) is engine


# ---------------------------------------------------------------------- EstimatorQNN
def test_estimator_qnn_backward_matches_library() -> None:
    qc = _circuit()

    def qnn(estimator, gradient) -> EstimatorQNN:
        return EstimatorQNN(
            circuit=qc,
            estimator=estimator,
            observables=OBSERVABLES,
            input_params=[A, C],
            weight_params=[B, D],
            gradient=gradient,
            input_gradients=True,
            default_precision=0,
        )

    fast = FastEstimator()
    ours = qnn(fast, ExactEstimatorGradient(fast))
    lib = qnn(StatevectorEstimator(), ParamShiftEstimatorGradient(StatevectorEstimator()))
    rng = np.random.default_rng(2)
    x, w = rng.uniform(-np.pi, np.pi, (4, 2)), rng.uniform(-np.pi, np.pi, 2)
    np.testing.assert_allclose(ours.forward(x, w), lib.forward(x, w), atol=1e-10, rtol=0)
    (dx, dw), (lx, lw) = ours.backward(x, w), lib.backward(x, w)
    assert dx.shape == (4, len(OBSERVABLES), 2) and dw.shape == (4, len(OBSERVABLES), 2)
    np.testing.assert_allclose(dx, lx, atol=1e-9, rtol=0)
    np.testing.assert_allclose(dw, lw, atol=1e-9, rtol=0)
