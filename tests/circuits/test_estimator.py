"""FastEstimator against qiskit's StatevectorEstimator: the V2 contract, values and noise.

The oracle is ``StatevectorEstimator`` at precision 0, run on the very same pubs: values must
agree to 1e-10 and every ``PubResult`` must have the shape, stds and metadata qiskit gives.
Circuits: the project's ansatze and seeded random circuits of standard gates (real-only and
complex, with parameter expressions), under the V2 broadcasting rules. Then the finite-precision
emulation (statistics of the added noise, seeds, overrides), float32, malformed pubs (the
exception qiskit's own ``EstimatorPub.coerce`` raises), refused instructions and the engine cache.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Gate, Parameter, ParameterVector
from qiskit.circuit.library import RXGate
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp, random_pauli

import circuits.estimator
from circuits.ansatz import (
    generator_circuit,
    hqcnn_classifier,
    hybridq_subgenerator,
    mosaiq_subgenerator,
)
from circuits.compiler import UnsupportedCircuitError
from circuits.estimator import FastEstimator

ATOL = 1e-10
A, B, C = Parameter("a"), Parameter("b"), Parameter("c")


# ---------------------------------------------------------------------- oracle
def _compare(pubs, estimator: FastEstimator | None = None):
    """Run ``pubs`` on FastEstimator and StatevectorEstimator (both exact); check every field."""
    ours = (estimator or FastEstimator()).run(pubs).result()
    theirs = StatevectorEstimator().run(pubs, precision=0.0).result()
    assert len(ours) == len(theirs) == len(pubs)
    for got, want in zip(ours, theirs, strict=True):
        assert got.data.evs.shape == want.data.evs.shape == got.data.shape
        np.testing.assert_allclose(got.data.evs, want.data.evs, atol=ATOL, rtol=0)
        np.testing.assert_array_equal(got.data.stds, np.zeros(want.data.evs.shape))
        assert got.metadata["target_precision"] == 0.0
        assert got.metadata["circuit_metadata"] == want.metadata["circuit_metadata"]
    return ours


def _rows(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-np.pi, np.pi, shape)


# ---------------------------------------------------------------------- our circuits
ANSATZE = {
    "hybridq-4x2": lambda: hybridq_subgenerator(4, 2),
    "mosaiq-4x2": lambda: mosaiq_subgenerator(4, 2),
    "hqcnn-3x2": lambda: hqcnn_classifier(3, 2),
    "generator-3x3x2": lambda: generator_circuit(3, 3, 2),
}


@pytest.mark.parametrize("name", list(ANSATZE))
def test_project_circuits(name: str) -> None:
    ans = ANSATZE[name]()
    qc, ops, n_params = ans.circuit, list(ans.observables), ans.circuit.num_parameters
    values = _rows((3, n_params))
    results = _compare(
        [
            (qc, [[op] for op in ops], values),  # (K, 1) x (3,): BatchedEstimatorQNN's pub
            (qc, ops, values[:, None, :]),  # (K,) x (3, 1) -> (3, K)
            (qc, ops[0], values[0]),  # one observable, one row: shape ()
        ]
    )
    assert [r.data.evs.shape for r in results] == [(len(ops), 3), (3, len(ops)), ()]
    np.testing.assert_allclose(results[0].data.evs, results[1].data.evs.T, atol=1e-14)


# ---------------------------------------------------------------------- random circuits
REAL_1Q, COMPLEX_1Q = ["h", "x", "z"], ["y", "s", "sdg", "t", "sx"]
REAL_ROT, COMPLEX_ROT = ["ry"], ["rx", "rz", "p"]
REAL_2Q, COMPLEX_2Q = ["cx", "cz", "swap"], ["cy", "ch", "iswap", "ecr"]
REAL_2Q_ROT, COMPLEX_2Q_ROT = ["cry"], ["rxx", "ryy", "rzz", "rzx", "crx", "crz", "cp"]


def _random_circuit(seed: int, real: bool, n_gates: int = 24) -> QuantumCircuit:
    """3-4 qubits, standard gates in random order with angles a, 2a+0.3, a*b, sin(a), w[i]-b."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 5))
    w = ParameterVector("w", 3)
    params = [A, B, C, *w]

    def angle():
        p, q = (params[i] for i in rng.choice(len(params), 2, replace=False))
        return [p, 2 * p + 0.3, p * q, p.sin(), p - q][int(rng.integers(5))]

    one, rot = REAL_1Q + (not real) * COMPLEX_1Q, REAL_ROT + (not real) * COMPLEX_ROT
    two, rot2 = REAL_2Q + (not real) * COMPLEX_2Q, REAL_2Q_ROT + (not real) * COMPLEX_2Q_ROT
    qc = QuantumCircuit(n)
    qc.h(range(n))
    for _ in range(n_gates):
        kind = rng.choice(["one", "rot", "two", "rot2"] + (not real) * ["u", "cu"])
        q = [int(i) for i in rng.choice(n, 2, replace=False)]
        if kind == "one":
            getattr(qc, rng.choice(one))(q[0])
        elif kind == "rot":
            getattr(qc, rng.choice(rot))(angle(), q[0])
        elif kind == "two":
            getattr(qc, rng.choice(two))(*q)
        elif kind == "rot2":
            getattr(qc, rng.choice(rot2))(angle(), *q)
        elif kind == "u":
            qc.u(angle(), B - A, 0.7, q[0])
        else:
            qc.cu(angle(), 0.4, w[2], angle(), *q)
    for p in params:  # every parameter in the circuit, whatever the draw
        qc.ry(p, 0)
    return qc


def _random_observables(n: int, seed: int, count: int) -> list[SparsePauliOp]:
    rng = np.random.default_rng(seed)
    ops = []
    for k in range(count):
        paulis = [random_pauli(n, seed=1000 * seed + 10 * k + t) for t in range(3)]
        labels = [p.to_label().lstrip("-i") for p in paulis] + ["I" * n]
        ops.append(SparsePauliOp(labels, rng.normal(size=len(labels))))
    return ops


@pytest.mark.parametrize("real", [True, False], ids=["real", "complex"])
@pytest.mark.parametrize("seed", range(3))
def test_random_circuits_broadcast_shapes(seed: int, real: bool) -> None:
    qc = _random_circuit(seed, real)
    n_params = qc.num_parameters
    ops = _random_observables(qc.num_qubits, seed, 3)
    pubs = [
        (qc, ops, _rows((4, 1, n_params), seed)),  # (3,) x (4, 1) -> (4, 3)
        (qc, [[ops[0]], [ops[1]]], _rows((3, n_params), seed + 1)),  # (2, 1) x (3,) -> (2, 3)
        (qc, "XY".ljust(qc.num_qubits, "Z"), _rows((5, n_params), seed + 2)),  # a label: (5,)
        (qc, ops, _rows((2, 3, n_params), seed + 6)),  # (3,) x (2, 3) -> (2, 3)
        (qc, [ops[:2], ops[1:]], _rows(n_params, seed + 3)),  # (2, 2) x () -> (2, 2)
        (qc, ops[0], _rows((2, 1, 3, n_params), seed + 4)),  # () x (2, 1, 3)
        (qc, [ops], _rows((2, 1, n_params), seed + 5)),  # (1, 3) x (2, 1) -> (2, 3)
    ]
    results = _compare(pubs)
    shapes = [(4, 3), (2, 3), (5,), (2, 3), (2, 2), (2, 1, 3), (2, 3)]
    assert [r.data.evs.shape for r in results] == shapes
    components = FastEstimator().engine(qc).program.components
    assert all(c.real for c in components) is real  # the real-state path, or the complex one


@pytest.mark.parametrize("values", [None, np.zeros((3, 0))], ids=["no-values", "shape-3x0"])
def test_pub_without_parameters(values) -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.s(1)
    pub = (qc, ["XX", "YX", "ZZ"]) if values is None else (qc, "YX", values)
    _compare([pub])


def test_several_pubs_in_one_run(monkeypatch) -> None:
    """Shared arrays (EstimatorQNN's one pub per observable), equal copies, other arrays and
    circuits, interleaved: each pub gets its own result, in order; groups are simulated once."""
    ans = generator_circuit(2, 3, 2)
    qc, ops = ans.circuit, list(ans.observables)
    other = _random_circuit(5, real=False)
    values = _rows((4, qc.num_parameters))
    pubs = [(qc, op, values) for op in ops[:3]]  # one array shared by three pubs
    label = "XYZ".ljust(other.num_qubits, "I")
    pubs.insert(1, (other, label, _rows(other.num_parameters, 2)))
    pubs.append((qc, ops[3:], values.copy()[:, None, :]))  # equal content, another shape
    pubs.append((qc, ops[4], values.copy()))  # equal content, same shape: joins the group
    pubs.append((qc, ops[5], values + 0.1))  # another array of the circuit
    calls = []
    expectation_values = circuits.engine.Engine.expectation_values

    def spy(self, rows, observables):
        calls.append((len(rows), len(observables)))
        return expectation_values(self, rows, observables)

    monkeypatch.setattr(circuits.engine.Engine, "expectation_values", spy)
    results = _compare(pubs)
    assert [r.data.evs.shape for r in results] == [(4,), (), (4,), (4,), (4, 3), (4,), (4,)]
    assert sorted(calls) == sorted([(4, 4), (1, 1), (4, 3), (4, 1)])


# ---------------------------------------------------------------------- precision
def _noisy_setup():
    ans = hybridq_subgenerator(3, 2)
    values = _rows((400, ans.circuit.num_parameters), seed=3)
    pub = (ans.circuit, [[op] for op in ans.observables], values)
    exact = FastEstimator().run([pub]).result()[0].data.evs  # (3, 400)
    return pub, exact


def test_precision_adds_noise_of_that_std() -> None:
    pub, exact = _noisy_setup()
    result = FastEstimator(seed=11).run([pub], precision=0.05).result()[0]
    np.testing.assert_array_equal(result.data.stds, np.full(exact.shape, 0.05))
    assert result.metadata["target_precision"] == 0.05
    z = ((result.data.evs - exact) / 0.05).ravel()  # 1200 draws of N(0, 1)
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert z.std() == pytest.approx(1.0, abs=0.1)
    assert np.mean(np.abs(z) < 1) == pytest.approx(0.683, abs=0.05)


def test_precision_is_reproducible_with_a_seed() -> None:
    pub, _ = _noisy_setup()
    first, again, other = (
        FastEstimator(seed=s).run([pub], precision=0.05).result()[0].data.evs for s in (4, 4, 5)
    )
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def _seeded_pubs():
    """Two different pubs and a repeat of the first: qiskit's test_precision_seed, widened."""
    ans = hybridq_subgenerator(2, 1)
    first = (ans.circuit, [[op] for op in ans.observables], _rows((3, 4), seed=1))
    second = (ans.circuit, ans.observables[0], _rows((5, 4), seed=2))
    return [first, second, first]


def test_an_int_seed_gives_statevector_estimators_noise_pub_by_pub() -> None:
    """The seeding contract: each pub draws from default_rng(seed) afresh, as qiskit's does."""
    pubs = _seeded_pubs()
    ours = FastEstimator(seed=7, default_precision=0.1)
    theirs = StatevectorEstimator(seed=7, default_precision=0.1)
    for call in (ours.run(pubs).result(), ours.run(pubs[::-1]).result()[::-1]):
        want = theirs.run(pubs).result()
        for got, exp in zip(call, want, strict=True):
            np.testing.assert_allclose(got.data.evs, exp.data.evs, atol=ATOL, rtol=0)
    one = ours.run(pubs).result()
    np.testing.assert_array_equal(one[0].data.evs, one[2].data.evs)  # identical pubs, same noise
    exact = FastEstimator().run(pubs[:1]).result()[0].data.evs
    assert not np.allclose(one[0].data.evs, exact, atol=0.01)


def test_a_generator_seed_runs_on_across_pubs_and_calls_as_statevector_estimators() -> None:
    pubs = _seeded_pubs()
    ours = FastEstimator(seed=np.random.default_rng(3), default_precision=0.1)
    theirs = StatevectorEstimator(seed=np.random.default_rng(3), default_precision=0.1)
    calls = [ours.run(pubs).result() for _ in range(2)]
    for call in calls:
        for got, exp in zip(call, theirs.run(pubs).result(), strict=True):
            np.testing.assert_allclose(got.data.evs, exp.data.evs, atol=ATOL, rtol=0)
    assert not np.allclose(calls[0][0].data.evs, calls[0][2].data.evs)  # the stream moved on
    assert not np.allclose(calls[0][0].data.evs, calls[1][0].data.evs)


def test_no_seed_draws_fresh_noise_every_call() -> None:
    pubs = _seeded_pubs()[:1]
    estimator = FastEstimator(default_precision=0.1)
    first, second = (estimator.run(pubs).result()[0].data.evs for _ in range(2))
    assert not np.allclose(first, second)


def test_precision_overrides() -> None:
    """run(precision=) beats default_precision; a pub's own precision beats both."""
    pub, exact = _noisy_setup()
    estimator = FastEstimator(default_precision=0.2, seed=0)
    assert (estimator.default_precision, estimator.seed) == (0.2, 0)
    default, exact_run = (estimator.run([pub], precision=p).result()[0] for p in (None, 0.0))
    assert default.metadata["target_precision"] == 0.2
    np.testing.assert_array_equal(default.data.stds, 0.2)
    assert not np.allclose(default.data.evs, exact, atol=0.05)
    np.testing.assert_allclose(exact_run.data.evs, exact, atol=ATOL)
    np.testing.assert_array_equal(exact_run.data.stds, 0.0)
    own = estimator.run([(*pub, 0.0), pub], precision=0.01).result()
    np.testing.assert_allclose(own[0].data.evs, exact, atol=ATOL)
    np.testing.assert_array_equal(own[1].data.stds, 0.01)
    assert [r.metadata["target_precision"] for r in own] == [0.0, 0.01]


# ---------------------------------------------------------------------- float32
@pytest.mark.parametrize("name", ["hybridq-4x2", "generator-3x3x2"])
def test_float32_agrees(name: str) -> None:
    ans = ANSATZE[name]()
    pub = (ans.circuit, [[op] for op in ans.observables], _rows((3, ans.circuit.num_parameters)))
    want = StatevectorEstimator().run([pub]).result()[0].data.evs
    got = FastEstimator(dtype="float32").run([pub]).result()[0].data.evs
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


# ---------------------------------------------------------------------- malformed input
def _malformed():
    qc = QuantumCircuit(2)
    qc.ry(A, 0)
    qc.rx(B, 1)
    qc.cx(0, 1)
    return {
        "values-per-row": ([(qc, "ZZ", [0.1])], {}),
        "values-2d": ([(qc, "ZZ", np.zeros((3, 3)))], {}),
        "observable-qubits": ([(qc, "ZZZ", [0.1, 0.2])], {}),
        "not-broadcastable": ([(qc, ["ZZ", "XI"], np.zeros((3, 2)))], {}),
        "non-hermitian": ([(qc, SparsePauliOp("XY", 1j), [0.1, 0.2])], {}),
        "negative-run-precision": ([(qc, "ZZ", [0.1, 0.2])], {"precision": -0.1}),
        "negative-pub-precision": ([(qc, "ZZ", [0.1, 0.2], -0.1)], {}),
    }


@pytest.mark.parametrize("case", list(_malformed()))
def test_malformed_pubs_raise_what_qiskit_raises(case: str) -> None:
    pubs, kwargs = _malformed()[case]
    with pytest.raises(Exception) as theirs:
        StatevectorEstimator().run(pubs, **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        FastEstimator().run(pubs, **kwargs)  # at run, before any job exists
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"default_precision": -1.0}, "default_precision"), ({"dtype": "float16"}, "dtype")],
)
def test_bad_constructor_arguments(kwargs, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FastEstimator(**kwargs)


def _with(instruction: str) -> QuantumCircuit:
    qc = QuantumCircuit(2, 1)
    qc.ry(A, 0)
    qc.cx(0, 1)
    if instruction == "measure":
        qc.measure(1, 0)
    else:
        qc.append(Gate(instruction, 1, []), [1])
    return qc


@pytest.mark.parametrize("name", ["measure", "mystery"])
def test_unsupported_instruction_is_one_clear_line(name: str) -> None:
    job = FastEstimator().run([(_with(name), "ZZ", [0.3])])  # compiled in the job
    with pytest.raises(UnsupportedCircuitError, match=name) as info:
        job.result()
    assert "\n" not in str(info.value)
    assert info.value.__cause__ is None and "FastEstimator" in str(info.value)


# ---------------------------------------------------------------------- engine cache
def _counting_engines(monkeypatch) -> list:
    built = []
    engine_class = circuits.estimator.Engine

    def counting(*args, **kwargs):
        built.append(args[0])
        return engine_class(*args, **kwargs)

    monkeypatch.setattr(circuits.estimator, "Engine", counting)
    return built


def test_a_circuit_is_compiled_once(monkeypatch) -> None:
    built = _counting_engines(monkeypatch)
    ans = hybridq_subgenerator(3, 2)
    estimator = FastEstimator()
    pub = (ans.circuit, ans.observables[0], _rows((2, ans.circuit.num_parameters)))
    first = estimator.run([pub]).result()[0].data.evs
    second = estimator.run([pub, pub]).result()
    assert len(built) == 1
    assert estimator.engine(ans.circuit) is estimator.engine(ans.circuit)
    np.testing.assert_array_equal(second[0].data.evs, first)
    # an equal copy is another object: compiled on its own, same values
    copy = ans.circuit.copy()
    np.testing.assert_allclose(estimator.run([(copy, *pub[1:])]).result()[0].data.evs, first)
    assert len(built) == 2


def test_cache_size_evicts_least_recently_used(monkeypatch) -> None:
    built = _counting_engines(monkeypatch)
    estimator = FastEstimator(cache_size=2)
    qcs = [hybridq_subgenerator(2, 1, prefix=f"c{i}_").circuit for i in range(3)]
    for qc in [qcs[0], qcs[1], qcs[0], qcs[2], qcs[0], qcs[1]]:
        estimator.engine(qc)
    assert [qcs.index(qc) for qc in built] == [0, 1, 2, 1]  # qc1 was dropped for qc2


def test_circuit_mutated_after_a_run_is_recompiled() -> None:
    qc = QuantumCircuit(2)
    qc.ry(A, 0)
    qc.cx(0, 1)
    estimator = FastEstimator()
    _compare([(qc, ["ZI", "XX"], [0.4])], estimator)
    first = estimator.engine(qc)
    qc.rx(2 * B, 1)  # one more gate and one more parameter
    _compare([(qc, ["ZI", "XX", "YZ"], _rows((3, 1, 2)))], estimator)
    qc.h(0)  # one more gate, same parameters
    _compare([(qc, ["ZI", "XX", "YZ"], _rows((3, 1, 2), seed=1))], estimator)
    assert estimator.engine(qc) is not first


@pytest.mark.parametrize("change", ["replace-gate", "rename-parameter"])
def test_circuit_changed_in_place_keeping_its_size(change: str) -> None:
    qc = QuantumCircuit(2)
    qc.ry(A, 0)
    qc.rx(B, 1)
    qc.cx(0, 1)
    qc.h(0)
    estimator = FastEstimator()
    pub = (qc, ["ZI", "IY", "XZ", "YX"], [0.4, 1.3])
    before = _compare([pub], estimator)[0].data.evs
    if change == "replace-gate":
        qc.data[0] = qc.data[0].replace(operation=RXGate(A))
    else:
        qc.assign_parameters({A: C}, inplace=True)  # parameters (a, b) -> (b, c)
    after = StatevectorEstimator().run([pub]).result()[0].data.evs
    assert not np.allclose(after, before)  # the change is visible in the values
    _compare([pub], estimator)


# ---------------------------------------------------------------------- state preparation
def _prepared(case: str) -> QuantumCircuit:
    """Circuits that reset or initialize qubits still in |0>, then run parametric gates."""
    from qiskit.quantum_info import random_statevector

    qc = QuantumCircuit(3)
    if case == "reset":
        qc.reset([0, 1, 2])
        qc.barrier()
        qc.reset(1)  # a barrier leaves the qubit in |0>
    elif case == "vector":
        qc.initialize(random_statevector(4, seed=1).data, [2, 0])  # on a qubit subset, reordered
    elif case == "label":
        qc.initialize("+r", [0, 1])
    elif case == "integer":
        qc.initialize(5, [0, 1, 2])
    elif case == "after-other-qubits":
        qc.h(0)
        qc.cx(0, 1)
        qc.initialize([0.6, 0.8j], 2)  # qubit 2 is still |0> though 0 and 1 are not
    qc.ry(A, 0)
    qc.cx(0, 2)
    qc.rzx(B, 2, 1)
    return qc


@pytest.mark.parametrize("case", ["reset", "vector", "label", "integer", "after-other-qubits"])
def test_state_preparation_matches_statevector_estimator(case: str) -> None:
    qc = _prepared(case)
    observables = [[SparsePauliOp(p)] for p in ("ZII", "IXI", "XYZ", "ZZZ", "IIY", "YXI")]
    _compare([(qc, observables, _rows((4, 2), seed=len(case)))])


def test_state_preparation_has_exact_gradients() -> None:
    from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient

    from circuits.gradients import ExactEstimatorGradient

    qc, obs = _prepared("vector"), [SparsePauliOp("XYZ")] * 4
    values = _rows((4, 2), seed=9)
    ours = ExactEstimatorGradient(FastEstimator()).run([qc] * 4, obs, values).result()
    theirs = ParamShiftEstimatorGradient(StatevectorEstimator()).run([qc] * 4, obs, values)
    for got, want in zip(ours.gradients, theirs.result().gradients, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("reset", lambda qc: (qc.h(1), qc.reset(1))),
        ("reset", lambda qc: (qc.ry(A, 0), qc.cx(0, 1), qc.reset([0, 1]))),
        ("initialize", lambda qc: (qc.x(0), qc.initialize("01", [0, 1]))),
    ],
    ids=["after-h", "entangled", "initialize-after-x"],
)
def test_reset_of_a_used_qubit_is_refused_naming_it_and_why(name: str, build) -> None:
    qc = QuantumCircuit(2)
    build(qc)
    job = FastEstimator().run([(qc, "ZZ", [0.3] * qc.num_parameters)])
    with pytest.raises(UnsupportedCircuitError, match=f"cannot run '{name}' on qubit") as info:
        job.result()
    text = str(info.value)
    assert "\n" not in text and "random outcome" in text and "still in |0>" in text
