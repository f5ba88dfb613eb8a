"""Compile a Qiskit circuit once into a program the batched statevector engine runs.

A circuit is split into independent components (qubits connected by multi-qubit gates); the
state of the whole circuit is the tensor product of the components' states, so a 100-qubit
generator made of ten disjoint 10-qubit sub-generators is ten 10-qubit simulations, and the
components with identical structure (same gates, different parameters) are batched together.

Inside a component the gates become steps: ``KronStep`` (single-qubit gates on distinct qubits,
applied as a few small dense matrices over qubit chunks), ``PermStep`` (a fused run of constant
monomial gates: one index gather with phases) and ``DenseStep`` (any other gate on its qubits).
Every parametric gate is a one-angle rotation exp(-i t G) whose angle t is an expression of the
circuit's parameters (``AngleMap``).

State preparation runs exactly, as ``Statevector`` runs it: ``reset`` of a qubit still in |0>
does nothing, and ``initialize(...)`` of qubits still in |0> becomes a unitary U with
U|0...0> = the state. Anywhere else both would reset a qubit that may not be in |0>, which is a
measurement with a random outcome: an exact statevector cannot represent it, and the compiler
refuses it, naming the instruction, its qubits and this reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import ParameterExpression
from qiskit.circuit.controlflow import ControlFlowOp
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import Operator, Statevector

from circuits.angles import AngleMap
from circuits.gates import (
    FORBIDDEN,
    IGNORED,
    ROTATION_GATES,
    Monomial,
    Rotation,
    as_monomial,
    constant_matrix,
    native_basis,
    rotation,
)

MAX_COMPONENT_QUBITS = 26  # 2**26 amplitudes x batch: beyond this a statevector is hopeless


class UnsupportedCircuitError(ValueError):
    """The circuit holds an instruction the statevector engine cannot run."""


@dataclass(frozen=True)
class OneQubit:
    """A single-qubit gate inside a ``KronStep``: a constant matrix or a rotation."""

    qubit: int
    matrix: np.ndarray | None = None  # (2, 2) constant gate
    rotation: Rotation | None = None
    slot: int = -1  # index into the component's angles, for rotations


@dataclass(frozen=True)
class KronStep:
    gates: tuple[OneQubit, ...]  # at most one per qubit


@dataclass(frozen=True)
class PermStep:
    perm: np.ndarray  # (2**n,) (U psi)[i] = phase[i] * psi[perm[i]]
    phase: np.ndarray | None  # (2**n,) complex, None when all ones


@dataclass(frozen=True)
class DenseStep:
    qubits: tuple[int, ...]  # local qubits, gate qubit j = qubits[j]
    matrix: np.ndarray | None = None  # (d, d) constant gate
    rotation: Rotation | None = None
    slot: int = -1


Step = KronStep | PermStep | DenseStep


@dataclass(frozen=True)
class Component:
    """Qubits that interact, and the steps that act on them, in local qubit numbering."""

    qubits: tuple[int, ...]  # global qubit of local qubit j
    steps: tuple[Step, ...]
    slots: np.ndarray  # (n_angles,) circuit-level angle index of each local slot
    real: bool  # every gate is real: the state stays real from |0...0>
    key: tuple = field(repr=False)  # equal keys: same structure, can be batched

    @property
    def num_qubits(self) -> int:
        return len(self.qubits)


@dataclass(frozen=True)
class Program:
    num_qubits: int
    angles: AngleMap
    components: tuple[Component, ...]
    groups: tuple[tuple[int, ...], ...]  # component indices with equal keys


def compile_circuit(circuit: QuantumCircuit, parameters) -> Program:
    """Compile ``circuit`` for the engine; ``parameters`` orders the parameter-value columns."""
    instructions = _native_instructions(circuit)
    expressions: list[ParameterExpression] = []
    ops = [_classify(circuit, inst, expressions) for inst in instructions]
    ops = [op for op in ops if op is not None]
    angles = AngleMap(expressions, list(parameters))
    components = tuple(
        _build_component(qubits, [op for op in ops if op[1][0] in qubits])
        for qubits in _connected_qubits(circuit.num_qubits, ops)
    )
    return Program(circuit.num_qubits, angles, components, _group_by_key(components))


def _native_instructions(circuit: QuantumCircuit):
    """The circuit's instructions with every gate the engine lacks translated by Qiskit."""
    circuit = _prepare_states(circuit)
    for inst in circuit.data:
        op = inst.operation
        if isinstance(op, ControlFlowOp) or getattr(op, "condition", None) is not None:
            raise UnsupportedCircuitError(
                f"FastEstimator cannot run control flow ({op.name!r}): estimator circuits are "
                "unitary; remove classical control."
            )
        if op.name in FORBIDDEN:
            raise UnsupportedCircuitError(
                f"FastEstimator cannot run {op.name!r}: estimator circuits must not measure "
                "(the estimator measures the observables itself)."
            )
    basis = set(native_basis()) | set(IGNORED)
    if all(_is_native(inst.operation, basis) for inst in circuit.data):
        return list(circuit.data)
    try:
        translated = transpile(circuit, basis_gates=native_basis(), optimization_level=0)
    except Exception as exc:  # noqa: BLE001 - re-raised as one clear line
        bad = sorted({i.operation.name for i in circuit.data if not _is_native(i.operation, basis)})
        raise UnsupportedCircuitError(
            f"FastEstimator cannot run gate(s) {bad}: Qiskit could not translate them into "
            f"gates the engine runs ({type(exc).__name__}: {exc})."
        ) from None
    return list(translated.data)


PREPARATION = ("reset", "initialize")  # instructions that set qubits to a state


def _prepare_states(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` with its state preparation made unitary (see the module docstring).

    Raises:
        UnsupportedCircuitError: A reset or initialize of a qubit a gate has acted on.
    """
    if not any(inst.operation.name in PREPARATION for inst in circuit.data):
        return circuit
    fresh = set(range(circuit.num_qubits))  # qubits still in |0>
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        op = inst.operation
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if op.name in PREPARATION:
            used = [q for q in qubits if q not in fresh]
            if used:
                raise UnsupportedCircuitError(
                    f"FastEstimator cannot run {op.name!r} on qubit(s) {used}: gates acted on "
                    "them before, and resetting a qubit that may not be in |0> is a measurement "
                    "with a random outcome, which an exact statevector cannot represent; reset "
                    "or initialize only qubits still in |0> (state preparation)."
                )
            if op.name == "reset":
                continue  # |0> stays |0>
            inst = inst.replace(operation=UnitaryGate(_preparation(Statevector(op).data)))
        out.append(inst)
        if inst.operation.name not in IGNORED:
            fresh -= set(qubits)
    return out


def _preparation(state: np.ndarray) -> np.ndarray:
    """A unitary U (d, d) with U|0> = ``state`` (d,): a phase times a Householder reflection.

    With phase = state[0] / |state[0]| (1 where it is 0) and b = state / phase (b[0] >= 0 real),
    H = I - 2 v v^dagger / |v|^2 with v = e0 - b maps e0 to b, so U = phase * H maps e0 to state.
    """
    state = np.asarray(state, dtype=complex)
    phase = state[0] / abs(state[0]) if abs(state[0]) > 0 else 1.0
    v = -state / phase
    v[0] += 1.0
    norm = np.vdot(v, v).real
    unitary = np.eye(len(state), dtype=complex)
    if norm > 1e-30:  # state == phase * e0: U = phase * I
        unitary -= 2.0 * np.outer(v, v.conj()) / norm
    return phase * unitary


def _is_native(operation, basis: set[str]) -> bool:
    if operation.name in basis:
        return True
    return not operation.is_parameterized() and constant_matrix(operation) is not None


def _classify(circuit, inst, expressions):
    """("rot" | "const", circuit qubit indices, payload) of one instruction; None to skip it.

    The payload is (Rotation, angle index) for a parametric native rotation, else the matrix.
    """
    op = inst.operation
    qubits = tuple(circuit.find_bit(q).index for q in inst.qubits)
    if op.name in IGNORED:
        return None
    if op.name in ROTATION_GATES:
        (angle,) = op.params
        if isinstance(angle, ParameterExpression) and angle.parameters:
            expressions.append(angle)
            return ("rot", qubits, (rotation(op.name), len(expressions) - 1))
        op = type(op)(float(angle))
    matrix = constant_matrix(op)
    if matrix is None:
        try:
            matrix = Operator(op).data
        except Exception:  # noqa: BLE001 - re-raised as one clear line
            raise UnsupportedCircuitError(
                f"FastEstimator cannot run gate {op.name!r} on qubits {qubits}: it has no matrix "
                "and no definition in standard gates."
            ) from None
    return ("const", qubits, matrix)


def _connected_qubits(num_qubits: int, ops) -> list[tuple[int, ...]]:
    """Connected components of the qubit interaction graph (union-find), sorted."""
    parent = list(range(num_qubits))

    def find(q: int) -> int:
        while parent[q] != q:
            parent[q] = parent[parent[q]]
            q = parent[q]
        return q

    for _, qubits, _ in ops:
        for q in qubits[1:]:
            parent[find(q)] = find(qubits[0])
    roots: dict[int, list[int]] = {}
    for q in range(num_qubits):
        roots.setdefault(find(q), []).append(q)
    return sorted(tuple(v) for v in roots.values())


def _build_component(qubits: tuple[int, ...], ops) -> Component:
    if len(qubits) > MAX_COMPONENT_QUBITS:
        raise UnsupportedCircuitError(
            f"A connected block of {len(qubits)} qubits is too large for a statevector "
            f"(limit {MAX_COMPONENT_QUBITS}); use an Aer method for wide entangled circuits."
        )
    local = {q: j for j, q in enumerate(qubits)}
    builder = _StepBuilder(len(qubits))
    for kind, gqubits, payload in ops:
        builder.add(kind, tuple(local[q] for q in gqubits), payload)
    steps, slots = builder.finish()
    real = all(_step_is_real(s) for s in steps)
    key = (len(qubits), tuple(_step_key(s) for s in steps))
    return Component(qubits, tuple(steps), np.asarray(slots, dtype=np.int64), real, key)


class _StepBuilder:
    """Greedy grouping of a component's gates into Kron, Perm and Dense steps."""

    def __init__(self, num_qubits: int):
        self.n = num_qubits
        self.steps: list[Step] = []
        self.kron: dict[int, OneQubit] = {}
        self.perm: Monomial | None = None
        self.slots: list[int] = []  # circuit-level angle index of each local slot

    def add(self, kind: str, qubits: tuple[int, ...], payload) -> None:
        if len(qubits) == 1:
            self._add_one(qubits[0], kind, payload)
            return
        self._close_kron()
        if kind == "const":
            mono = as_monomial(payload)
            if mono is not None:
                self._add_perm(_embed_monomial(mono, qubits, self.n))
                return
        self._close_perm()
        if kind == "const":
            self.steps.append(DenseStep(qubits, matrix=payload))
        else:
            rot, angle = payload
            self.steps.append(DenseStep(qubits, rotation=rot, slot=self._slot(angle)))

    def finish(self) -> tuple[list[Step], list[int]]:
        self._close_kron()
        self._close_perm()
        return self.steps, self.slots

    def _add_one(self, qubit: int, kind: str, payload) -> None:
        self._close_perm()
        old = self.kron.get(qubit)
        if kind == "const":
            if old is not None and old.matrix is not None:
                self.kron[qubit] = OneQubit(qubit, matrix=payload @ old.matrix)
                return
            gate = OneQubit(qubit, matrix=payload)
        else:
            rot, angle = payload
            gate = OneQubit(qubit, rotation=rot, slot=-2 - angle)  # slot fixed on close
        if old is not None:
            self._close_kron()
        self.kron[qubit] = gate

    def _close_kron(self) -> None:
        if not self.kron:
            return
        gates = []
        for q in sorted(self.kron):
            g = self.kron[q]
            if g.rotation is not None:
                g = OneQubit(q, rotation=g.rotation, slot=self._slot(-2 - g.slot))
            gates.append(g)
        self.steps.append(KronStep(tuple(gates)))
        self.kron = {}

    def _add_perm(self, mono: Monomial) -> None:
        if self.perm is None:
            self.perm = mono
            return
        # (B A psi)[i] = b[i] (A psi)[pb[i]] = b[i] a[pb[i]] psi[pa[pb[i]]]
        a, b = self.perm, mono
        self.perm = Monomial(a.perm[b.perm], b.phase * a.phase[b.perm])

    def _close_perm(self) -> None:
        if self.perm is None:
            return
        # exact comparisons: a constant phase of 1e-6 is physics, not round-off
        phase = None if np.abs(self.perm.phase - 1.0).max() <= 1e-14 else self.perm.phase
        self.steps.append(PermStep(self.perm.perm, phase))
        self.perm = None

    def _slot(self, angle_index: int) -> int:
        self.slots.append(angle_index)
        return len(self.slots) - 1


def _embed_monomial(mono: Monomial, qubits: tuple[int, ...], n: int) -> Monomial:
    """Lift a k-qubit monomial gate on local ``qubits`` to the full 2**n index space."""
    index = np.arange(2**n)
    local = np.zeros_like(index)  # gate-local index of every basis state
    for j, q in enumerate(qubits):
        local |= ((index >> q) & 1) << j
    src_local = mono.perm[local]
    src = index.copy()
    for j, q in enumerate(qubits):
        src = (src & ~(1 << q)) | (((src_local >> j) & 1) << q)
    return Monomial(src, mono.phase[local])


def _step_is_real(step: Step) -> bool:
    if isinstance(step, PermStep):
        return step.phase is None or bool(np.abs(step.phase.imag).max() <= 1e-14)
    gates = step.gates if isinstance(step, KronStep) else (step,)
    for g in gates:
        if g.rotation is not None and not g.rotation.real:
            return False
        if g.matrix is not None and np.abs(g.matrix.imag).max() > 1e-14:
            return False
    return True


def _step_key(step: Step) -> tuple:
    if isinstance(step, PermStep):
        phase = None if step.phase is None else step.phase.tobytes()
        return ("perm", step.perm.tobytes(), phase)
    if isinstance(step, KronStep):
        return ("kron", tuple(_gate_key(g) for g in step.gates))
    return ("dense", step.qubits, _gate_key(step))


def _gate_key(gate: OneQubit | DenseStep) -> tuple:
    if gate.rotation is not None:
        return (getattr(gate, "qubit", None), gate.rotation.name, gate.slot)
    return (getattr(gate, "qubit", None), np.round(gate.matrix, 14).tobytes())


def _group_by_key(components: tuple[Component, ...]) -> tuple[tuple[int, ...], ...]:
    groups: dict[tuple, list[int]] = {}
    for i, comp in enumerate(components):
        groups.setdefault(comp.key, []).append(i)
    return tuple(tuple(v) for v in groups.values())
