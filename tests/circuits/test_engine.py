"""The batched statevector engine against qiskit's Statevector and finite differences of it.

Every value is checked against ``Statevector(circuit.assign_parameters(row))`` (1e-10 in
float64), every Jacobian against central differences of those values, every VJP against the
cotangent contracted with the Jacobian. Circuits: the project's ansatze, seeded random circuits
of every kind of standard gate, and hand-made ones for the compiler's paths (real/complex
states, disjoint components and groups, shared angles, row chunking, refused instructions).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import Gate, Parameter, ParameterVector
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import SparsePauliOp, Statevector, random_pauli, random_unitary

import circuits.engine
import circuits.statevector
from circuits.ansatz import (
    generator_circuit,
    hqcnn_classifier,
    hybridq_subgenerator,
    mosaiq_subgenerator,
)
from circuits.compiler import UnsupportedCircuitError
from circuits.engine import Engine

ATOL = 1e-10  # values in float64
FD_ATOL = 1e-7  # central differences, h = 1e-5: truncation ~h**2, round-off ~1e-16 / h
A, B, C = Parameter("a"), Parameter("b"), Parameter("c")


# ---------------------------------------------------------------------- oracles
def _dicts(ops) -> list[dict[str, float]]:
    """SparsePauliOps as the engine's observables: {label: real coefficient}."""
    return [{lab: float(c.real) for lab, c in op.simplify(atol=0).to_list()} for op in ops]


def _sv_values(qc, params, values, ops) -> np.ndarray:
    """(N, K) <O_k> from qiskit's Statevector, row by row."""
    out = np.empty((len(values), len(ops)))
    for n, row in enumerate(values):
        sv = Statevector(qc.assign_parameters(dict(zip(params, row, strict=True))))
        out[n] = [sv.expectation_value(op).real for op in ops]
    return out


def _sv_jacobian(qc, params, values, ops, columns=None, h=1e-5) -> np.ndarray:
    """(N, K, len(columns)) central differences of ``_sv_values`` over parameter ``columns``."""
    columns = range(len(params)) if columns is None else columns
    jac = []
    for p in columns:
        step = h * (np.arange(len(params)) == p)
        plus, minus = (_sv_values(qc, params, values + s, ops) for s in (step, -step))
        jac.append((plus - minus) / (2 * h))
    return np.stack(jac, -1)


def _check(qc, params, values, ops, eng=None, fd_columns=None) -> Engine:
    """Values, Jacobian and VJP of the engine against Statevector and its differences."""
    eng = Engine(qc, params) if eng is None else eng
    obs = _dicts(ops)
    expected = _sv_values(qc, params, values, ops)
    np.testing.assert_allclose(eng.expectation_values(values, obs), expected, atol=ATOL, rtol=0)
    evs, jac = eng.jacobian(values, obs)
    np.testing.assert_allclose(evs, expected, atol=ATOL, rtol=0)
    assert jac.shape == (len(values), len(ops), len(params))
    fd = _sv_jacobian(qc, params, values, ops, fd_columns)
    cols = slice(None) if fd_columns is None else list(fd_columns)
    np.testing.assert_allclose(jac[:, :, cols], fd, atol=FD_ATOL, rtol=0)
    cot = np.random.default_rng(7).normal(size=expected.shape)
    evs, grad = eng.vjp(values, obs, cot)
    np.testing.assert_allclose(evs, expected, atol=ATOL, rtol=0)
    np.testing.assert_allclose(grad, np.einsum("nk,nkp->np", cot, jac), atol=1e-12, rtol=0)
    return eng


def _rows(n_rows: int, n_params: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-np.pi, np.pi, (n_rows, n_params))


# ---------------------------------------------------------------------- our circuits
@pytest.mark.parametrize(
    "build",
    [
        lambda: hybridq_subgenerator(4, 3),
        lambda: mosaiq_subgenerator(4, 3),
        lambda: hqcnn_classifier(4, 2),
        lambda: generator_circuit(3, 3, 2),
        lambda: generator_circuit(3, 3, 2, kind="mosaiq"),
    ],
    ids=["hybridq-4x3", "mosaiq-4x3", "hqcnn-4x2-ring", "generator-3x3x2", "mosaiq-gen-3x3x2"],
)
def test_project_circuits(build) -> None:
    ans = build()
    params = [*ans.inputs, *ans.weights]
    values = _rows(2, len(params))
    values[:, len(ans.inputs) :] = values[0, len(ans.inputs) :]  # weights shared, as in training
    _check(ans.circuit, params, values, ans.observables)
    _check(ans.circuit, params, _rows(2, len(params), seed=1), ans.observables)


def test_default_hybridq_subgenerator() -> None:
    """10 qubits x 6 layers (two Kronecker chunks): Statevector values, Jacobian by FD."""
    ans = hybridq_subgenerator()
    params = [*ans.inputs, *ans.weights]
    values = _rows(3, len(params))
    eng = Engine(ans.circuit, params)
    obs = _dicts(ans.observables)
    expected = _sv_values(ans.circuit, params, values, ans.observables)
    evs, jac = eng.jacobian(values, obs)
    np.testing.assert_allclose(evs, expected, atol=ATOL, rtol=0)
    # every column by FD of the engine (one batched call), some by FD of Statevector
    h, eye = 1e-6, np.eye(len(params))
    shifted = np.concatenate([values[:, None] + h * eye, values[:, None] - h * eye], 1)
    flat = eng.expectation_values(shifted.reshape(-1, len(params)), obs)
    plus, minus = np.split(flat.reshape(len(values), 2 * len(params), -1), 2, axis=1)
    np.testing.assert_allclose(jac, ((plus - minus) / (2 * h)).transpose(0, 2, 1), atol=1e-7)
    cols = [0, 9, 10, 44, 69]
    fd = _sv_jacobian(ans.circuit, params, values[:1], ans.observables, cols)
    np.testing.assert_allclose(jac[:1, :, cols], fd, atol=FD_ATOL, rtol=0)


# ---------------------------------------------------------------------- random circuits
ONE_QUBIT = ["h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sxdg"]
ROTATIONS = ["rx", "ry", "rz", "p"]
TWO_QUBIT = ["cx", "cy", "cz", "ch", "swap", "iswap", "dcx", "ecr", "cs", "csx"]
TWO_QUBIT_ROTATIONS = ["rxx", "ryy", "rzz", "rzx", "crx", "cry", "crz", "cp"]
OTHERS = ["u", "cu", "ccx", "cswap", "unitary", "composite"]


def _random_circuit(seed: int) -> tuple[QuantumCircuit, list[Parameter]]:
    """3-5 qubits, every gate kind above once or twice in random order, random angles."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 6))
    w = ParameterVector("w", 4)
    params = [*w, A, B]

    def angle():
        a, b = rng.choice(len(params), 2, replace=False)
        a, b = params[a], params[b]
        forms = [a, 2 * a + 0.3, a - b, a * b, a.sin(), 0.4 * b - 1.1]
        return forms[rng.integers(len(forms))]

    sub = QuantumCircuit(2, name="block")
    sub.ry(w[0], 0)
    sub.cx(0, 1)
    sub.rz(2 * B, 1)
    sub.h(0)
    sub.crx(w[1] * A, 1, 0)
    block = sub.to_gate()

    qc = QuantumCircuit(n)
    kinds = ONE_QUBIT + ROTATIONS + TWO_QUBIT + TWO_QUBIT_ROTATIONS + OTHERS
    kinds = [kinds[i] for i in rng.permutation(len(kinds))] + ["ry", "rx", "cx", "h"]
    qc.h(range(n))  # start away from |0...0>, where diagonal gates do nothing
    for k, kind in enumerate(kinds):
        q = [int(i) for i in rng.choice(n, 3, replace=False)]
        if kind in ONE_QUBIT + TWO_QUBIT + ["ccx", "cswap"]:
            getattr(qc, kind)(*q[: 1 if kind in ONE_QUBIT else 2 if kind in TWO_QUBIT else 3])
        elif kind in ROTATIONS + TWO_QUBIT_ROTATIONS:
            getattr(qc, kind)(angle(), *q[: 1 if kind in ROTATIONS else 2])
        elif kind == "u":
            qc.u(A, B - A, 0.7, q[0])
        elif kind == "cu":
            qc.cu(angle(), 0.4, w[2], angle(), q[0], q[1])
        elif kind == "unitary":
            qc.append(UnitaryGate(random_unitary(4, seed=seed + k)), q[:2])
        else:
            qc.append(block, q[:2])
    return qc, params


def _random_observables(n: int, seed: int, count: int = 3) -> list[SparsePauliOp]:
    """Sums of 4 random Paulis with real coefficients, plus an identity term."""
    rng = np.random.default_rng(seed)
    ops = []
    for k in range(count):
        labels = [random_pauli(n, seed=seed * 100 + 10 * k + t).to_label() for t in range(4)]
        labels.append("I" * n)
        ops.append(SparsePauliOp(labels, rng.normal(size=len(labels))))
    return ops


@pytest.mark.parametrize("chunk", [5, 2], ids=["chunk5", "chunk2"])
@pytest.mark.parametrize("seed", range(8))
def test_random_circuits(seed: int, chunk: int, monkeypatch) -> None:
    """chunk=2 splits the Kronecker layers over several qubit chunks (CHUNK is read at init)."""
    monkeypatch.setattr(circuits.statevector, "CHUNK", chunk)
    qc, params = _random_circuit(seed)
    ops = _random_observables(qc.num_qubits, seed)
    values = _rows(3, len(params), seed)
    if seed % 2 == 0:  # w[0], w[1] equal in every row: some angles shared, some per row
        values[:, :2] = values[0, :2]
    eng = _check(qc, params, values, ops)
    assert not eng.program.components[0].real


# ---------------------------------------------------------------------- real and complex paths
def _real_circuit(extra_rx: bool) -> QuantumCircuit:
    qc = QuantumCircuit(3)
    qc.ry(A, 0)
    qc.ry(2 * B - 0.5, 1)
    qc.x(2)
    qc.cx(0, 1)
    qc.cz(1, 2)
    qc.ry(A * C, 2)
    if extra_rx:
        qc.rx(C, 1)
    qc.cx(2, 0)
    qc.ry(B, 1)
    return qc


@pytest.mark.parametrize("extra_rx", [False, True], ids=["real", "complex"])
def test_real_and_complex_paths(extra_rx: bool) -> None:
    qc = _real_circuit(extra_rx)
    ops = [SparsePauliOp(["ZZI", "XIY", "YYI", "IXX", "III"], [1.0, 0.5, -0.7, 0.3, 0.2])]
    ops += [SparsePauliOp("IYI"), SparsePauliOp("ZXZ")]
    eng = _check(qc, [A, B, C], _rows(3, 3), ops)
    assert [c.real for c in eng.program.components] == [not extra_rx]


# ---------------------------------------------------------------------- components and groups
def _two_blocks(complex_: bool, middle: str = "ry") -> QuantumCircuit:
    """Same-structure blocks on qubits (0, 1, 2) and (4, 5, 6); qubit 3 idle or one RY(c)."""
    qc = QuantumCircuit(7)
    for base, (p, q) in ((0, (A, B)), (4, (C, B))):  # b is used in both blocks
        qc.ry(p, base)
        qc.h(base + 1)
        qc.cx(base, base + 1)
        (qc.rx if complex_ else qc.ry)(q * 0.5 + base, base + 2)
        qc.cz(base + 1, base + 2)
        qc.ry(p - q, base + 1)
        (qc.rzz if complex_ else qc.cry)(q, base, base + 2)  # a dense rotation
    if middle == "ry":
        qc.ry(C, 3)
    return qc


# Z on one block, X/Y on the other, all three components, identity; idle-qubit readouts
CROSS_LABELS = ["IIIIIZI", "IXIIIZI", "YIIIIYI", "ZZZZZZZ", "IIIIIII", "IIIZIII", "IIIXIII"]
CROSS_OPS = [SparsePauliOp(lab) for lab in CROSS_LABELS] + [
    SparsePauliOp(["IXIIIIZ", "ZIIZIXI", "IIIIIII"], [0.5, -1.5, 0.25])
]


@pytest.mark.parametrize("middle", ["idle", "ry"])
def test_components_and_groups(middle: str) -> None:
    eng = Engine(_two_blocks(complex_=True, middle=middle), [A, B, C])
    assert [c.qubits for c in eng.program.components] == [(0, 1, 2), (3,), (4, 5, 6)]
    assert sorted(eng.program.groups) == [(0, 2), (1,)]
    assert [c.real for c in eng.program.components] == [False, True, False]


@pytest.mark.parametrize("shared_b", [False, True], ids=["b-per-row", "b-shared"])
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
def test_observables_across_components(complex_: bool, shared_b: bool) -> None:
    """Products of local expectations, and their derivatives by the product rule."""
    qc = _two_blocks(complex_)
    values = _rows(3, 3)
    if shared_b:  # b alone sets the dense rotations: shared by the rows, per component
        values[:, 1] = 0.8
    eng = _check(qc, [A, B, C], values, CROSS_OPS)
    assert all(c.real != complex_ for c in eng.program.components if c.num_qubits == 3)


def test_product_rule_with_a_zero_factor() -> None:
    """d<X0 X1> at <X0> = 0 needs the other factor itself, not the product divided by <X0>."""
    qc = QuantumCircuit(2)
    qc.ry(A, 0)
    qc.ry(B, 1)
    _check(qc, [A, B], np.array([[0.0, 0.7], [0.4, 0.0], [0.0, 0.0]]), [SparsePauliOp("XX")])


@pytest.mark.parametrize("case", ["idle-qubit", "constant-block"])
def test_components_without_parameters(case: str) -> None:
    qc, ops = _two_blocks(complex_=True, middle="idle"), CROSS_OPS
    if case == "constant-block":
        qc.h(3)  # the middle component holds a constant gate only
        ops = [*CROSS_OPS, SparsePauliOp("IIIXIII")]
    values = _rows(2, 3)
    eng = _check(qc, [A, B, C], values, ops)
    if case == "idle-qubit":  # <Z> = 1 and <X> = 0 on the idle qubit
        evs = eng.expectation_values(values, _dicts(ops))
        np.testing.assert_allclose(evs[:, 5:7], [[1.0, 0.0]] * 2, atol=ATOL)


def test_circuit_without_parameters() -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    ops = [SparsePauliOp(["ZZ", "XX", "ZI"], [1.0, 0.5, 0.2]), SparsePauliOp("YY")]
    evs, jac = Engine(qc).jacobian(np.zeros((2, 0)), _dicts(ops))
    np.testing.assert_allclose(evs, [[1.5, -1.0]] * 2, atol=ATOL)
    assert jac.shape == (2, 2, 0)


# ---------------------------------------------------------------------- compiler precision
def test_expression_with_a_cancelled_parameter() -> None:
    qc = QuantumCircuit(2)
    pairs = [(Parameter(f"p{k}"), Parameter(f"q{k}")) for k in range(4)]
    for p, q in pairs:  # p - p + q and q - q + p sympify to the same symbol: one is wrong
        qc.ry(p - p + q, 0)
        qc.ry(q - q + p, 1)
    params = [x for pair in pairs for x in pair]
    _check(qc, params, _rows(2, len(params)), [SparsePauliOp("IZ"), SparsePauliOp("ZI")])


@pytest.mark.parametrize("gate", ["cp(1e-5)", "rz(1e-9)"])
def test_small_constant_angles(gate: str) -> None:
    qc = QuantumCircuit(2)
    qc.h([0, 1])
    if gate == "cp(1e-5)":
        qc.cp(1e-5, 0, 1)
    else:
        qc.rz(1e-9, 0)
    qc.ry(A, 1)
    _check(qc, [A], _rows(2, 1), [SparsePauliOp("XY"), SparsePauliOp("IY")])


# ---------------------------------------------------------------------- float32
@pytest.mark.parametrize("seed", [0, 1])
def test_float32_random_circuits(seed: int) -> None:
    qc, params = _random_circuit(seed)
    _float32_agrees(qc, params, _random_observables(qc.num_qubits, seed))


def test_float32_ry_only() -> None:
    ans = generator_circuit(2, 3, 2)
    _float32_agrees(ans.circuit, [*ans.inputs, *ans.weights], ans.observables)


def _float32_agrees(qc, params, ops) -> None:
    values, obs = _rows(3, len(params)), _dicts(ops)
    evs64, jac64 = Engine(qc, params).jacobian(values, obs)
    evs32, jac32 = Engine(qc, params, dtype=torch.float32).jacobian(values, obs)
    np.testing.assert_allclose(evs32, evs64, atol=1e-5)
    np.testing.assert_allclose(jac32, jac64, atol=1e-5)


# ---------------------------------------------------------------------- parameters and rows
def _shared_angles_circuit() -> QuantumCircuit:
    """a in four gates (one of them twice through 2a), b in two, c once."""
    qc = QuantumCircuit(3)
    qc.ry(A, 0)
    qc.rx(A, 1)
    qc.ry(B, 2)
    qc.crz(2 * A, 0, 1)
    qc.cx(1, 2)
    qc.rzz(A - B, 0, 2)
    qc.ry(C, 1)
    qc.ry(A, 2)
    return qc


def test_parameter_order_and_reuse() -> None:
    qc = _shared_angles_circuit()
    ops = [SparsePauliOp(["ZII", "XYZ"], [1.0, -0.5]), SparsePauliOp("IXI")]
    values = _rows(3, 3)
    _check(qc, [A, B, C], values, ops)
    forward = Engine(qc, [A, B, C]).jacobian(values, _dicts(ops))
    reverse = Engine(qc, [C, B, A]).jacobian(values[:, ::-1], _dicts(ops))
    np.testing.assert_allclose(reverse[0], forward[0], atol=ATOL)
    np.testing.assert_allclose(reverse[1], forward[1][:, :, ::-1], atol=1e-12)
    # a column the circuit does not use gets a zero gradient
    d = Parameter("d")
    extra = Engine(qc, [A, d, B, C]).jacobian(np.insert(values, 1, 0.3, axis=1), _dicts(ops))
    np.testing.assert_allclose(extra[1][:, :, [0, 2, 3]], forward[1], atol=1e-12)
    np.testing.assert_array_equal(extra[1][:, :, 1], 0.0)


@pytest.mark.parametrize(
    "pattern",
    ["all-equal", "weights-shared", "one-row-differs", "all-differ"],
)
def test_shared_and_per_row_angles(pattern: str) -> None:
    """The engine's fast path for angles equal in every row, and its mixes with per-row ones."""
    ans = generator_circuit(2, 3, 2)
    params = [*ans.inputs, *ans.weights]
    values = _rows(4, len(params))
    n_in = len(ans.inputs)
    if pattern == "all-equal":
        values[:] = values[0]
    elif pattern == "weights-shared":
        values[:, n_in:] = values[0, n_in:]
    elif pattern == "one-row-differs":
        values[:] = values[0]
        values[2, n_in + 4] += 0.9  # one weight of one row
    eng = _check(ans.circuit, params, values, ans.observables, fd_columns=[0, 4, n_in, n_in + 4])
    # each row alone (every angle shared) gives the same as the batch
    obs = _dicts(ans.observables)
    batch = eng.jacobian(values, obs)
    for n, row in enumerate(values):
        single = eng.jacobian(row[None], obs)
        np.testing.assert_allclose(single[0][0], batch[0][n], atol=1e-12)
        np.testing.assert_allclose(single[1][0], batch[1][n], atol=1e-12)


# ---------------------------------------------------------------------- errors
def _with(extra) -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.ry(A, 0)
    qc.cx(0, 1)
    extra(qc)
    return qc


@pytest.mark.parametrize(
    ("extra", "name"),
    [
        (lambda qc: qc.measure(0, 0), "measure"),
        (lambda qc: qc.reset(1), "reset"),
        (lambda qc: qc.append(Gate("mystery", 1, []), [1]), "mystery"),
        (lambda qc: qc.append(Gate("mystery2", 2, [B]), [0, 1]), "mystery2"),
    ],
    ids=["measure", "reset", "opaque", "opaque-parametric"],
)
def test_unsupported_instructions(extra, name: str) -> None:
    with pytest.raises(UnsupportedCircuitError, match=name) as info:
        Engine(_with(extra))
    assert "\n" not in str(info.value)


def test_control_flow_is_refused() -> None:
    qc = _with(lambda qc: qc.measure(0, 0))
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    with pytest.raises(UnsupportedCircuitError):
        Engine(qc)


def test_bad_observables_and_parameters() -> None:
    qc = _with(lambda qc: qc.rx(B, 1))
    eng = Engine(qc)
    values = np.array([[0.1, 0.2]])
    with pytest.raises(ValueError, match="qubits"):
        eng.expectation_values(values, [{"ZZZ": 1.0}])
    with pytest.raises(ValueError, match="real"):
        eng.expectation_values(values, [{"ZZ": 1.0, "XY": 0.5j}])
    with pytest.raises(ValueError, match="b"):
        Engine(qc, [A])  # no value column for b
    with pytest.raises(ValueError, match="rows"):
        eng.expectation_values(np.array([[0.1, 0.2, 0.3]]), [{"ZZ": 1.0}])  # 3 columns for 2


# ---------------------------------------------------------------------- row chunking
def test_row_chunking(monkeypatch) -> None:
    """A tiny MEMORY_BUDGET splits the rows into chunks; the results do not change."""
    qc, params = _random_circuit(3)
    ops = _dicts(_random_observables(qc.num_qubits, 3))
    values = _rows(5, len(params))
    values[:2, :3] = values[2, :3]  # some angles shared within a chunk, not across chunks
    cot = np.random.default_rng(1).normal(size=(5, len(ops)))
    eng = Engine(qc, params)

    def run_all():
        evs, jac = eng.jacobian(values, ops)
        return eng.expectation_values(values, ops), evs, jac, eng.vjp(values, ops, cot)[1]

    whole = run_all()
    chunks: list[int] = []
    run_rows = eng._run_rows

    def spy(rows, *args):
        chunks.append(len(rows))
        return run_rows(rows, *args)

    monkeypatch.setattr(eng, "_run_rows", spy)

    def chunk_sizes(budget: int) -> list[int]:
        monkeypatch.setattr(circuits.engine, "MEMORY_BUDGET", budget)
        chunks.clear()
        eng.expectation_values(values, ops)
        return list(chunks)

    assert chunk_sizes(1) == [1] * 5
    several = next(2**k for k in range(1, 60) if max(chunk_sizes(2**k)) > 1)  # 2 or 3 rows
    assert 1 < len(chunk_sizes(several)) < 5
    for budget in (1, several):
        monkeypatch.setattr(circuits.engine, "MEMORY_BUDGET", budget)
        for got, want in zip(run_all(), whole, strict=True):
            np.testing.assert_allclose(got, want, atol=1e-12)


def test_backward_after_forward_reuses_the_simulation() -> None:
    """A VJP right after a forward on the same rows skips the forward sweep, same result."""
    ans = generator_circuit(2, 3, 2)
    params = list(ans.inputs) + list(ans.weights)
    obs = _dicts(list(ans.observables))
    values = _rows(4, len(params))
    cot = np.random.default_rng(3).normal(size=(4, len(obs)))
    eng = Engine(ans.circuit, params)
    fresh = eng.vjp(values, obs, cot)
    eng.expectation_values(values, obs)
    calls = []
    original = eng._forward_rows
    eng._forward_rows = lambda *a: calls.append(1) or original(*a)
    reused = eng.vjp(values, obs, cot)
    assert calls == []
    other = eng.vjp(values + 0.1, obs, cot)  # different rows: simulated anew
    assert calls == [1]
    for a, b in zip(fresh, reused, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(other[1], fresh[1])
