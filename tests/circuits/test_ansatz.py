"""Ansatz builders: gate counts and order, parameters, and expectation values against
Statevector / StatevectorEstimator and a closed form for the HybridQ circuit at zero weights."""

from math import comb

import numpy as np
import pytest
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import Statevector

from circuits.ansatz import (
    Ansatz,
    generator_circuit,
    hqcnn_classifier,
    hybridq_subgenerator,
    mosaiq_subgenerator,
    stack,
)


def _bind(ansatz: Ansatz, x, w) -> dict:
    return dict(zip(ansatz.inputs, x, strict=True)) | dict(zip(ansatz.weights, w, strict=True))


def _expvals(ansatz: Ansatz, x, w) -> np.ndarray:
    """Every readout observable, from Qiskit's Statevector."""
    state = Statevector(ansatz.circuit.assign_parameters(_bind(ansatz, x, w)))
    return np.array([state.expectation_value(op).real for op in ansatz.observables])


def _random(ansatz: Ansatz, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, len(ansatz.inputs))
    return x, rng.uniform(-np.pi, np.pi, len(ansatz.weights))


def _sequence(ansatz: Ansatz) -> list[tuple]:
    """(gate, qubits, parameter names) of every instruction, in order."""
    qc = ansatz.circuit
    return [
        (
            inst.operation.name,
            tuple(qc.find_bit(q).index for q in inst.qubits),
            tuple(str(p) for p in inst.operation.params),
        )
        for inst in qc.data
    ]


def _labels(ansatz: Ansatz) -> list[str]:
    return [op.paulis[0].to_label() for op in ansatz.observables]


# --- HybridQ ---------------------------------------------------------------------------------


def test_hybridq_default_counts_and_depth():
    a = hybridq_subgenerator()
    assert dict(a.circuit.count_ops()) == {"ry": 70, "cx": 54}  # 10 + 6*10 RY, 6*9 CX
    # Layer l's CX(i, i+1) lands at time step 3l + i (encoding RY at 1, first RY layer at 2),
    # so the last CX(8, 9) of layer 6 ends at 3*6 + 8 = 26.
    assert a.circuit.depth() == 26
    assert (len(a.inputs), len(a.weights), a.circuit.num_parameters) == (10, 60, 70)
    assert (a.inputs.name, a.weights.name) == ("x", "theta")
    assert _labels(a) == ["I" * (9 - i) + "Z" + "I" * i for i in range(10)]
    assert a.blocks == (tuple(range(10)),) and a.num_blocks == 1


@pytest.mark.parametrize(("n", "layers"), [(3, 1), (3, 2), (5, 4), (7, 3)])
def test_hybridq_depth_formula(n, layers):
    assert hybridq_subgenerator(n, layers).circuit.depth() == 3 * layers + n - 2


def test_hybridq_gate_order():
    expected = [("ry", (i,), (f"x[{i}]",)) for i in range(3)]
    for layer in range(2):
        expected += [("ry", (i,), (f"theta[{3 * layer + i}]",)) for i in range(3)]
        expected += [("cx", (0, 1), ()), ("cx", (1, 2), ())]
    assert _sequence(hybridq_subgenerator(3, 2)) == expected


def test_prefix_names_and_no_clash():
    a, b = hybridq_subgenerator(2, 1, prefix="g0_"), hybridq_subgenerator(2, 1, prefix="g1_")
    names = [str(p) for p in a.circuit.parameters]
    assert names == ["g0_theta[0]", "g0_theta[1]", "g0_x[0]", "g0_x[1]"]
    both = a.circuit.tensor(b.circuit)  # would raise on a name clash
    assert both.num_parameters == 8


def _parity_closed_form(x: np.ndarray, layers: int) -> np.ndarray:
    """<Z_i> of RY(x) encoding + `layers` CNOT chains (zero weights).

    One chain maps basis bits b -> M b over GF(2), M lower-triangular all-ones, so Z_i pulls back
    to prod_k Z_k over the k with (M^L)_{ik} = 1, and (M^L)_{ik} = C(i - k + L - 1, L - 1) mod 2.
    Each <Z_k> of RY(x_k)|0> is cos(x_k). For L = 1 this is prod_{k<=i} cos(x_k).
    """
    n = len(x)
    return np.array(
        [
            np.prod(
                [np.cos(x[k]) for k in range(i + 1) if comb(i - k + layers - 1, layers - 1) % 2]
            )
            for i in range(n)
        ]
    )


@pytest.mark.parametrize(("n", "layers"), [(6, 1), (6, 2), (6, 3), (6, 4), (10, 6)])
def test_hybridq_zero_weights_closed_form(n, layers):
    a = hybridq_subgenerator(n, layers)
    x = np.random.default_rng(n + layers).uniform(-np.pi, np.pi, n)
    got = _expvals(a, x, np.zeros(len(a.weights)))
    np.testing.assert_allclose(got, _parity_closed_form(x, layers), atol=1e-12)
    if layers == 1:
        np.testing.assert_allclose(got, np.cumprod(np.cos(x)), atol=1e-12)


# --- MosaiQ and HQCNN --------------------------------------------------------------------------


def test_mosaiq_counts_order_and_readout():
    a = mosaiq_subgenerator()
    assert dict(a.circuit.count_ops()) == {"ry": 35, "rx": 5, "cz": 24}  # 5 qubits, 6 layers
    assert (len(a.inputs), len(a.weights)) == (5, 30)
    assert _labels(a) == ["I" * (4 - i) + "X" + "I" * i for i in range(5)]
    expected = [("ry", (0,), ("x[0]",)), ("rx", (0,), ("x[0]",))]
    expected += [("ry", (1,), ("x[1]",)), ("rx", (1,), ("x[1]",))]
    expected += [("ry", (0,), ("theta[0]",)), ("ry", (1,), ("theta[1]",)), ("cz", (0, 1), ())]
    assert _sequence(mosaiq_subgenerator(2, 1)) == expected


def test_hqcnn_counts_order_and_ring():
    a = hqcnn_classifier(4, 3)
    assert dict(a.circuit.count_ops()) == {"ry": 16, "rz": 12, "cx": 12}  # ring: 4 CX per layer
    assert (len(a.inputs), len(a.weights)) == (4, 24)
    assert _labels(a) == ["I" * (3 - i) + "Z" + "I" * i for i in range(4)]
    expected = [("ry", (i,), (f"x[{i}]",)) for i in range(3)]
    expected += [("ry", (i,), (f"theta[{i}]",)) for i in range(3)]
    expected += [("rz", (i,), (f"theta[{3 + i}]",)) for i in range(3)]
    expected += [("cx", (0, 1), ()), ("cx", (1, 2), ()), ("cx", (2, 0), ())]
    assert _sequence(hqcnn_classifier(3, 1)) == expected
    assert dict(hqcnn_classifier(2, 2).circuit.count_ops())["cx"] == 2  # no ring for 2 qubits


@pytest.mark.parametrize(
    "ansatz", [mosaiq_subgenerator(4, 3), hqcnn_classifier(4, 2), hybridq_subgenerator(4, 2)]
)
def test_statevector_estimator_agrees(ansatz):
    x, w = _random(ansatz, seed=7)
    bind = _bind(ansatz, x, w)
    values = [bind[p] for p in ansatz.circuit.parameters]
    pub = (ansatz.circuit, list(ansatz.observables), values)
    evs = StatevectorEstimator().run([pub], precision=0.0).result()[0].data.evs
    np.testing.assert_allclose(evs, _expvals(ansatz, x, w), atol=1e-12)


# --- Wide circuit ----------------------------------------------------------------------------


def _block_of(ansatz: Ansatz) -> dict[int, int]:
    return {q: g for g, block in enumerate(ansatz.blocks) for q in block}


@pytest.mark.parametrize("kind", ["hybridq", "mosaiq"])
def test_wide_circuit_equals_product_of_subgenerators(kind):
    n_sub, n, layers = 3, 3, 2
    wide = generator_circuit(n_sub, n, layers, kind=kind)
    sub = {"hybridq": hybridq_subgenerator, "mosaiq": mosaiq_subgenerator}[kind](n, layers)
    x, w = _random(wide, seed=3)
    got = _expvals(wide, x, w)
    n_w = len(sub.weights)
    for g in range(n_sub):
        want = _expvals(sub, x[g * n : (g + 1) * n], w[g * n_w : (g + 1) * n_w])
        np.testing.assert_allclose(got[g * n : (g + 1) * n], want, atol=1e-12)


def test_wide_circuit_layout():
    wide = generator_circuit(3, 3, 2)
    assert wide.blocks == ((0, 1, 2), (3, 4, 5), (6, 7, 8)) and wide.num_blocks == 3
    assert (len(wide.inputs), len(wide.weights), wide.circuit.num_parameters) == (9, 18, 27)
    assert set(wide.circuit.parameters) == set(wide.inputs) | set(wide.weights)
    assert _labels(wide) == ["I" * (8 - q) + "Z" + "I" * q for q in range(9)]
    block_of = _block_of(wide)
    for gate, qubits, params in _sequence(wide):
        assert len({block_of[q] for q in qubits}) == 1  # no gate crosses a block
        if gate == "ry" and params[0].startswith("x["):
            assert params == (f"x[{qubits[0]}]",)  # input g*n + i feeds qubit g*n + i
        elif gate == "ry":
            g, i = divmod(qubits[0], 3)
            assert int(params[0][6:-1]) // 6 == g  # sub-generator g owns weights [6g, 6g + 6)
            assert int(params[0][6:-1]) % 3 == i


def test_default_generator_circuit():
    wide = generator_circuit()
    assert wide.num_qubits == 100 and wide.num_blocks == 10
    assert dict(wide.circuit.count_ops()) == {"ry": 700, "cx": 540}
    assert wide.circuit.depth() == 26  # blocks run in parallel
    assert (len(wide.inputs), len(wide.weights)) == (100, 600)
    assert [op.paulis[0].z.nonzero()[0].tolist() for op in wide.observables] == [
        [q] for q in range(100)
    ]


def test_stack_hqcnn_matches_copies():
    one = hqcnn_classifier(3, 2)
    wide = stack(one, 2, prefix="c_")
    assert (wide.inputs.name, wide.weights.name) == ("c_x", "c_theta")
    x, w = _random(wide, seed=5)
    got = _expvals(wide, x, w)
    for g in range(2):
        want = _expvals(one, x[3 * g : 3 * g + 3], w[12 * g : 12 * g + 12])
        np.testing.assert_allclose(got[3 * g : 3 * g + 3], want, atol=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda: hybridq_subgenerator(0, 1),
        lambda: mosaiq_subgenerator(2, 0),
        lambda: hqcnn_classifier(-1, 1),
        lambda: generator_circuit(kind="dcgan"),
        lambda: stack(hybridq_subgenerator(2, 1), 0),
    ],
)
def test_invalid_arguments_raise(call):
    with pytest.raises(ValueError):
        call()
