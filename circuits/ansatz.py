"""Variational circuits of the quantum sub-generators and the HQCNN classifier.

* ``hybridq_subgenerator``: HybridQ (Jiao et al.), Sec. 3.2 and Fig. 2: RY data encoding, six
  repetitions of [trainable RY on every qubit, CNOT between consecutive qubits], <Z_i> readout.
* ``mosaiq_subgenerator``: MosaiQ (Silver et al., ICCV 2023), the design HybridQ follows.
* ``hqcnn_classifier``: the variational circuit of the HQCNN (QGAN-based data augmentation for
  hybrid quantum-classical neural networks, arXiv:2505.24780): angle encoding, then RY, RZ and
  CNOT entanglement.
* ``stack`` / ``generator_circuit``: the whole quantum generator as one wide circuit, one
  sub-generator per disjoint block of qubits, simulated block-factorized and sent to hardware as
  one job.

Every builder returns an ``Ansatz``: the circuit, one ``ParameterVector`` of inputs (named
``f"{prefix}x"``), one of trainable weights (``f"{prefix}theta"``), one readout observable per
qubit, and the qubit blocks. Gates are appended in exactly the order documented, so every
simulator and the hardware see the same instruction sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterVector
from qiskit.quantum_info import SparsePauliOp

from circuits.observables import on_qubits, x_readout, z_readout


@dataclass(frozen=True)
class Ansatz:
    """A parametrized circuit with its inputs, trainable weights and readout observables.

    Attributes:
        circuit: The circuit; its parameters are exactly ``inputs`` and ``weights``.
        inputs: Data-encoding angles (not trained), named ``f"{prefix}x"``.
        weights: Trainable angles, named ``f"{prefix}theta"``.
        observables: One readout observable per output feature, on the whole register.
        blocks: Disjoint qubit blocks that no gate connects (one sub-generator each); one block
            holding every qubit when left empty.
    """

    circuit: QuantumCircuit
    inputs: ParameterVector
    weights: ParameterVector
    observables: tuple[SparsePauliOp, ...]
    blocks: tuple[tuple[int, ...], ...] = ()

    def __post_init__(self) -> None:
        if not self.blocks:
            object.__setattr__(self, "blocks", (tuple(range(self.circuit.num_qubits)),))

    @property
    def num_qubits(self) -> int:
        """Width of the circuit."""
        return self.circuit.num_qubits

    @property
    def num_blocks(self) -> int:
        """Number of disjoint qubit blocks (sub-generators)."""
        return len(self.blocks)


def hybridq_subgenerator(n_qubits: int = 10, n_layers: int = 6, prefix: str = "") -> Ansatz:
    """HybridQ quantum sub-generator (Jiao et al., Sec. 3.2, Fig. 2).

    Gate order: RY(x[i]) on every qubit i, then ``n_layers`` times [RY(theta[l*n + i]) on every
    qubit i = 0..n-1, then CX(0,1), CX(1,2), ..., CX(n-2,n-1)]. Readout <Z_i> on every qubit.
    Defaults (10 qubits, 6 layers) give 10 inputs and 60 weights.

    Args:
        n_qubits: Qubits n, one input and one output feature each.
        n_layers: Repetitions L of the trainable layer.
        prefix: Prepended to the parameter names, so several copies do not clash.

    Returns:
        The ansatz; ``weights[l*n + i]`` is the RY angle of layer l on qubit i.
    """
    _check_sizes(n_qubits, n_layers)
    x, theta = _vectors(prefix, n_qubits, n_layers * n_qubits)
    qc = QuantumCircuit(n_qubits, name=f"{prefix}hybridq")
    _rotations(qc, "ry", x)
    _ry_chain_layers(qc, theta, n_layers, "cx")
    return Ansatz(qc, x, theta, z_readout(n_qubits))


def mosaiq_subgenerator(n_qubits: int = 5, n_layers: int = 6, prefix: str = "") -> Ansatz:
    """MosaiQ quantum sub-generator (Silver et al., ICCV 2023), following its public code.

    MosaiQ's PennyLane code encodes each input twice with the SAME angle,
    ``qml.RY(noise[i]); qml.RX(noise[i])``, reshapes the weights to ``(q_depth, n_qubits)``,
    entangles with a CZ chain and returns ``qml.expval(qml.PauliX(i))`` per qubit; this builder
    does the same. Gate order: RY(x[i]), RX(x[i]) on every qubit i, then ``n_layers`` times
    [RY(theta[l*n + i]) on every qubit i, then CZ(0,1), ..., CZ(n-2,n-1)]. Readout <X_i>.
    Defaults: 5 qubits per sub-generator (HybridQ Sec. 4.1) and MosaiQ's ``q_depth = 6``.

    Args:
        n_qubits: Qubits n, one input and one output feature each.
        n_layers: Repetitions L of the trainable layer.
        prefix: Prepended to the parameter names, so several copies do not clash.

    Returns:
        The ansatz, its weights laid out as :func:`hybridq_subgenerator`'s.
    """
    _check_sizes(n_qubits, n_layers)
    x, theta = _vectors(prefix, n_qubits, n_layers * n_qubits)
    qc = QuantumCircuit(n_qubits, name=f"{prefix}mosaiq")
    for i in range(n_qubits):
        qc.ry(x[i], i)
        qc.rx(x[i], i)
    _ry_chain_layers(qc, theta, n_layers, "cz")
    return Ansatz(qc, x, theta, x_readout(n_qubits))


def hqcnn_classifier(n_qubits: int, n_layers: int, prefix: str = "") -> Ansatz:
    """Variational circuit of the HQCNN classifier (arXiv:2505.24780).

    Gate order: RY(x[i]) on every qubit i (angle encoding), then ``n_layers`` times
    [RY(theta[2nl + i]) on every qubit i, then RZ(theta[2nl + n + i]) on every qubit i, then
    CX(0,1), ..., CX(n-2,n-1) and, when n > 2, the ring closure CX(n-1,0)]. With n = 2 the ring
    closure would only repeat the pair in reverse, so it is left out (as Qiskit's "circular"
    entanglement does). Readout <Z_i> on every qubit.

    Args:
        n_qubits: Qubits n, one input and one output feature each.
        n_layers: Repetitions L of the trainable layer.
        prefix: Prepended to the parameter names, so several copies do not clash.

    Returns:
        The ansatz with 2nL weights: layer l owns ``weights[2nl : 2n(l+1)]``, RY angles first.
    """
    _check_sizes(n_qubits, n_layers)
    x, theta = _vectors(prefix, n_qubits, 2 * n_layers * n_qubits)
    qc = QuantumCircuit(n_qubits, name=f"{prefix}hqcnn")
    _rotations(qc, "ry", x)
    for layer in range(n_layers):
        start = 2 * layer * n_qubits
        _rotations(qc, "ry", theta[start : start + n_qubits])
        _rotations(qc, "rz", theta[start + n_qubits : start + 2 * n_qubits])
        _chain(qc, "cx", ring=n_qubits > 2)
    return Ansatz(qc, x, theta, z_readout(n_qubits))


SUBGENERATORS: dict[str, Callable[..., Ansatz]] = {
    "hybridq": hybridq_subgenerator,
    "mosaiq": mosaiq_subgenerator,
}


def stack(ansatz: Ansatz, n_copies: int, prefix: str = "") -> Ansatz:
    """Copies of ``ansatz`` side by side on disjoint qubit blocks, as one wide circuit.

    Layout, with n = ansatz.num_qubits, I = len(ansatz.inputs), P = len(ansatz.weights):
    copy g acts on qubits [g*n, (g+1)*n) (its qubit i is wide qubit g*n + i), reads
    ``inputs[g*I : (g+1)*I]`` and owns ``weights[g*P : (g+1)*P]``, in the copy's own order.
    Observables are the copy's observables embedded on its block, copy by copy; for the
    sub-generators that is one readout per wide qubit, in qubit order. Instructions are
    appended copy by copy, each in the copy's own order.

    Args:
        ansatz: The block to copy; its circuit's parameters must be its inputs and weights.
        n_copies: Number of copies (sub-generators).
        prefix: Prepended to the names of the wide parameter vectors.

    Returns:
        The wide ansatz, with one entry in ``blocks`` per block of every copy.
    """
    if n_copies < 1:
        raise ValueError(f"n_copies must be >= 1, got {n_copies}")
    n, n_in, n_w = ansatz.num_qubits, len(ansatz.inputs), len(ansatz.weights)
    if ansatz.circuit.num_parameters != n_in + n_w:
        raise ValueError("the circuit has parameters outside the ansatz's inputs and weights")
    x, theta = _vectors(prefix, n_copies * n_in, n_copies * n_w)
    wide = QuantumCircuit(n_copies * n, name=f"{prefix}{ansatz.circuit.name}_x{n_copies}")
    for g in range(n_copies):
        mapping = _rename(ansatz.inputs, x[g * n_in : (g + 1) * n_in])
        mapping |= _rename(ansatz.weights, theta[g * n_w : (g + 1) * n_w])
        block = range(g * n, (g + 1) * n)
        wide.compose(ansatz.circuit.assign_parameters(mapping), qubits=block, inplace=True)
    observables = tuple(
        on_qubits(op, range(g * n, (g + 1) * n), n_copies * n)
        for g in range(n_copies)
        for op in ansatz.observables
    )
    blocks = tuple(tuple(g * n + q for q in b) for g in range(n_copies) for b in ansatz.blocks)
    return Ansatz(wide, x, theta, observables, blocks)


def generator_circuit(
    n_sub: int = 10, n_qubits: int = 10, n_layers: int = 6, kind: str = "hybridq", prefix: str = ""
) -> Ansatz:
    """The whole quantum generator: ``n_sub`` sub-generators as one wide circuit.

    Sub-generator g acts on qubits [g*n, (g+1)*n), reads ``inputs[g*n + i]`` on its qubit i and
    owns ``weights[g*P : (g+1)*P]`` (P weights per sub-generator, ordered as in its builder);
    ``observables[g*n + i]`` reads wide qubit g*n + i. See ``stack``.

    Args:
        n_sub: Number of sub-generators.
        n_qubits: Qubits n per sub-generator.
        n_layers: Trainable layers per sub-generator.
        kind: ``"hybridq"`` or ``"mosaiq"``.
        prefix: Prepended to the names of the wide parameter vectors.

    Returns:
        The wide ansatz with ``n_sub`` blocks of ``n_qubits`` qubits.
    """
    if kind not in SUBGENERATORS:
        raise ValueError(f"kind must be one of {sorted(SUBGENERATORS)}, got {kind!r}")
    return stack(SUBGENERATORS[kind](n_qubits, n_layers), n_sub, prefix)


def _check_sizes(n_qubits: int, n_layers: int) -> None:
    """Raise unless the circuit has at least one qubit and one trainable layer."""
    if n_qubits < 1:
        raise ValueError(f"n_qubits must be >= 1, got {n_qubits}")
    if n_layers < 1:
        raise ValueError(f"n_layers must be >= 1, got {n_layers}")


def _vectors(prefix: str, n_inputs: int, n_weights: int) -> tuple[ParameterVector, ParameterVector]:
    """The input vector ``f"{prefix}x"`` and the weight vector ``f"{prefix}theta"``."""
    return ParameterVector(f"{prefix}x", n_inputs), ParameterVector(f"{prefix}theta", n_weights)


def _rotations(qc: QuantumCircuit, gate: str, angles: Sequence[Parameter]) -> None:
    """Append rotation ``gate`` with ``angles[i]`` on qubit i, in qubit order."""
    for qubit, angle in enumerate(angles):
        getattr(qc, gate)(angle, qubit)


def _ry_chain_layers(
    qc: QuantumCircuit, theta: Sequence[Parameter], n_layers: int, gate: str
) -> None:
    """``n_layers`` times: RY(theta[l*n + i]) on every qubit i, then a ``gate`` chain."""
    n = qc.num_qubits
    for layer in range(n_layers):
        _rotations(qc, "ry", theta[layer * n : (layer + 1) * n])
        _chain(qc, gate)


def _chain(qc: QuantumCircuit, gate: str, ring: bool = False) -> None:
    """Append two-qubit ``gate`` on (0,1), (1,2), ..., (n-2,n-1), then (n-1,0) if ``ring``."""
    n = qc.num_qubits
    for qubit in range(n - 1):
        getattr(qc, gate)(qubit, qubit + 1)
    if ring:
        getattr(qc, gate)(n - 1, 0)


def _rename(old: Sequence[Parameter], new: Sequence[Parameter]) -> dict[Parameter, Parameter]:
    """Map each parameter of ``old`` to the one of ``new`` at the same position."""
    return dict(zip(old, new, strict=True))
