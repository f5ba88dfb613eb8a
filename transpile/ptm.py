"""Batched noisy simulation with Pauli transfer matrices: every parameter set of a job at once.

An n-qubit density matrix is rho = 2^-n sum_P c_P P over Pauli strings, with real coefficients
c_P = Tr(P rho); a channel E on k qubits is then the real 4^k x 4^k matrix R[a, b] =
2^-k Tr(P_a E(P_b)) (its Pauli transfer matrix), and a noisy circuit is a product of such
matrices: each gate's, followed by the error that Aer's device noise model attaches to it
(``transpile.device_noise``). The result is the exact noisy state of Aer's model (to float
rounding), so the measured distribution is exact and shots are drawn from it; the tests check
it against Aer's own density-matrix simulation.

Why it is fast for the generator's 10-qubit lines (a dense density matrix costs Aer 1-3 s per
line, parameter set and noise scale here):

* real arithmetic on 4^n coefficients, a quarter of the complex density matrix's work;
* fusion: every run of operations on at most three neighbouring qubits (gates, their errors,
  the delays' relaxation) becomes one 64 x 64 matrix, so a 54-CNOT line is ~27 matrix
  products; ZNE's folded G G^dag G falls into the block of G, so scale 5 costs little more
  than scale 1;
* what happens to a qubit before its first two-qubit gate is a product state, built directly;
* the parameter sets are the columns of one (4^n, B) matrix: a block whose angles are equal in
  every set (the generator's weights) is one matrix product for the whole batch.

Qubits are laid out in the order of the circuit's chain of two-qubit gates, so each block acts
on neighbouring axes of the state tensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import Gate, ParameterExpression

from circuits.angles import AngleMap
from transpile.device_noise import DeviceNoise, gate_ptm

MAX_QUBITS = 12  # 4^12 coefficients: 67 MB per parameter set in float32
MAX_CLBITS = 20  # outcome probabilities are kept densely, 2^clbits per parameter set
BUFFER_BYTES = 2**28  # one state buffer's size; the batch is split to fit two of them
SKIPPED = frozenset({"barrier", "delay"})  # a delay's noise comes from the delay pass
# parametric one-qubit gates: the Pauli plane they rotate (the PTM's rows (a, b) mix)
ROTATIONS = {"rz": (1, 2), "p": (1, 2), "u1": (1, 2), "rx": (2, 3), "ry": (3, 1)}
_ZERO = np.array([1.0, 0.0, 0.0, 1.0])  # |0><0| = (I + Z) / 2: c_I = c_Z = 1


class UnsupportedCircuit(ValueError):
    """A circuit the engine cannot simulate; the message says what to do instead."""


@dataclass
class _Op:
    """One operation on ``axes`` (qargs order): a fixed PTM, or a rotation by angle ``angle``."""

    axes: tuple[int, ...]
    matrix: np.ndarray | None = None
    angle: int = -1
    plane: tuple[int, int] = (0, 0)


@dataclass
class _Block:
    """Consecutive operations on the same few axes, applied as one matrix."""

    axes: list[int]
    ops: list[_Op] = field(default_factory=list)
    steps: list = field(default_factory=list)  # after ``_finish``: fixed (d, d) or (angle, G)

    @property
    def angles(self) -> list[int]:
        return [s[0] for s in self.steps if isinstance(s, tuple)]


class Program:
    """A circuit compiled for the engine; ``probabilities(values)`` runs it.

    Args:
        circuit: Gates, delays, barriers and final measurements into one classical register;
            ISA for the backend whose ``noise`` is given.
        noise: The backend's ``DeviceNoise`` (``noise=False`` there: an ideal simulation).
        max_block_qubits: Largest fused block (3: measured fastest on this machine).
    """

    def __init__(self, circuit: QuantumCircuit, noise: DeviceNoise, max_block_qubits: int = 3):
        if circuit.num_qubits > MAX_QUBITS:
            raise UnsupportedCircuit(
                f"{circuit.num_qubits} qubits are too many for the PTM engine (at most "
                f"{MAX_QUBITS}): simulate wider qubit groups with Aer (method automatic)"
            )
        self.num_qubits, self.noise, self.max_block = circuit.num_qubits, noise, max_block_qubits
        self.num_clbits = circuit.num_clbits
        if self.num_clbits > MAX_CLBITS:
            raise UnsupportedCircuit(f"{self.num_clbits} clbits: measure at most {MAX_CLBITS}")
        self.parameters = tuple(circuit.parameters)
        self.order = _axis_order(circuit)
        self.axis = {q: j for j, q in enumerate(self.order)}
        expressions: list[ParameterExpression] = []
        ops, self.measured = self._ops(noise.with_delay_noise(circuit), expressions)
        self.angle_map = AngleMap(expressions, self.parameters)
        self.prefix: dict[int, list[_Op]] = {j: [] for j in range(self.num_qubits)}
        self.blocks: list[_Block] = []
        self._fuse(ops)
        for block in self.blocks:
            _finish(block)
        self.prefix_steps = {j: _finish(_Block([j], ops)) for j, ops in self.prefix.items()}

    def _ops(self, circuit: QuantumCircuit, expressions: list) -> tuple[list[_Op], dict]:
        """Every gate and error as an ``_Op``; measured qubit -> clbit."""
        ops: list[_Op] = []
        measured: dict[int, int] = {}
        last: dict[int, tuple] = {}  # qubit -> key of its last instruction (for delay channels)
        for inst in circuit.data:
            op, name = inst.operation, inst.operation.name
            qubits = tuple(circuit.find_bit(q).index for q in inst.qubits)
            if name != "barrier" and any(q in measured for q in qubits):
                raise UnsupportedCircuit(
                    f"{name} on qubit {qubits} after its measurement: only "
                    "final measurements are supported"
                )
            axes = tuple(self.axis[q] for q in qubits)
            if name == "measure":
                measured[qubits[0]] = circuit.find_bit(inst.clbits[0]).index
                continue
            if name == "quantum_channel":  # the relaxation of the delay before it
                key = last.get(qubits[0], ())
                ops.append(_Op(axes, self.noise.channel(op, qubits, key)))
                continue
            last.update({q: (name, qubits, getattr(op, "duration", None)) for q in qubits})
            if name in SKIPPED:
                continue
            ops.append(self._gate(op, axes, expressions))
            error = self.noise.gate_error(name, qubits)
            if error is not None:
                ops.append(_Op(axes, error))
        if len(set(measured.values())) != len(measured) or len(circuit.cregs) > 1:
            raise UnsupportedCircuit("measure each qubit into its own clbit of one register")
        return ops, measured

    def _gate(self, op, axes: tuple[int, ...], expressions: list) -> _Op:
        if op.is_parameterized():
            if op.name not in ROTATIONS or len(op.params) != 1:
                raise UnsupportedCircuit(
                    f"parametric {op.name} is not supported: transpile to "
                    "rz/sx/x and two-qubit gates first"
                )
            expressions.append(op.params[0])
            return _Op(axes, angle=len(expressions) - 1, plane=ROTATIONS[op.name])
        if not isinstance(op, Gate):
            raise UnsupportedCircuit(f"{op.name} is not a gate the engine can simulate")
        return _Op(axes, gate_ptm(op))

    def _fuse(self, ops: list[_Op]) -> None:
        """Greedy fusion: an op joins the latest block that touches its axes when the union stays
        contiguous and within ``max_block`` axes, else starts a block; one-qubit ops before a
        qubit's first block make its product-state prefix. Exact: no later block touches the
        op's axes, and blocks on other axes commute with it."""
        last: dict[int, int] = {}  # axis -> index of the latest block acting on it
        for op in ops:
            touched = [last[a] for a in op.axes if a in last]
            if not touched and len(op.axes) == 1:
                self.prefix[op.axes[0]].append(op)
                continue
            index = self._block_for(op, max(touched) if touched else None)
            self.blocks[index].ops.append(op)
            last.update(dict.fromkeys(op.axes, index))

    def _block_for(self, op: _Op, candidate: int | None) -> int:
        if candidate is not None:
            block = self.blocks[candidate]
            union = sorted(set(block.axes) | set(op.axes))
            fits = len(union) <= self.max_block and union[-1] - union[0] == len(union) - 1
            if set(op.axes) <= set(block.axes) or fits:
                block.axes = union if fits else block.axes
                return candidate
        self.blocks.append(_Block(sorted(op.axes)))
        return len(self.blocks) - 1

    @property
    def num_blocks(self) -> int:
        return len(self.blocks)

    @torch.no_grad()
    def probabilities(self, values: np.ndarray, dtype: torch.dtype = torch.float32) -> np.ndarray:
        """(B, 2^num_clbits) probabilities of the recorded outcomes, readout error included.

        Args:
            values: (B, num_parameters) parameter values in ``circuit.parameters`` order.
            dtype: float32 (default: rounding ~1e-6, far below any shot noise) or float64.

        Outcome index o has clbit c at bit c (Qiskit's little-endian order).
        """
        values = np.atleast_2d(np.asarray(values, dtype=float))
        if values.shape[1] != len(self.parameters):
            raise ValueError(f"values must be (B, {len(self.parameters)}), got {values.shape}")
        angles = self.angle_map.values(values) if self.angle_map.num_angles else values[:, :0]
        per_set = 4**self.num_qubits * torch.finfo(dtype).bits // 8
        size = max(1, BUFFER_BYTES // per_set)
        out = [self._run(angles[i : i + size], dtype) for i in range(0, len(values), size)]
        return np.concatenate(out) if out else np.zeros((0, 2**self.num_clbits))

    def _run(self, angles: np.ndarray, dtype: torch.dtype) -> np.ndarray:
        batch, n = len(angles), self.num_qubits
        # many coefficients of a noisy state are tiny; as subnormal floats they slow every
        # product ~2.5x here, flushed to 0 they change nothing a shot could see (< 1e-38)
        torch.set_flush_denormal(True)
        try:
            x = self._product_state(angles, dtype)  # (4^n, B)
            y = torch.empty_like(x)
            for block in self.blocks:
                matrix = torch.as_tensor(_bind(block, angles), dtype=dtype)
                _apply(x, y, matrix, block.axes, n, batch)
                x, y = y, x
        finally:
            torch.set_flush_denormal(False)  # torch's default
        return self._measure(x, batch)

    def _product_state(self, angles: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
        """(4^n, B): each qubit's prefix applied to |0>, their tensor product in axis order."""
        batch = len(angles)
        state = torch.ones(1, batch, dtype=dtype)
        for j in range(self.num_qubits):
            block = self.prefix_steps[j]
            vec = np.broadcast_to(_bind(block, angles) @ _ZERO, (batch, 4))  # (B, 4)
            u = torch.tensor(np.ascontiguousarray(vec.T), dtype=dtype)  # (4, B)
            state = (state[:, None, :] * u[None, :, :]).reshape(-1, batch)
        return state

    def _measure(self, x: torch.Tensor, batch: int) -> np.ndarray:
        """Probabilities (B, 2^num_clbits) of the recorded bits from the state (4^n, B)."""
        t = x.view((4,) * self.num_qubits + (batch,))
        axes = sorted(self.axis[q] for q in self.measured)
        for j in range(self.num_qubits):  # I and Z on measured axes; I alone marginalizes
            t = t.index_select(j, torch.tensor([0, 3] if j in axes else [0]))
        t = t.double().numpy().reshape((2,) * len(axes) + (batch,))
        half = np.array([[1.0, 1.0], [1.0, -1.0]]) / 2  # (bit, I/Z): p(b) = (c_I +- c_Z) / 2
        qubits = [self.order[j] for j in axes]
        for i, q in enumerate(qubits):  # then each qubit's readout error A[m, t]
            t = np.moveaxis(np.tensordot(self.noise.readout(q) @ half, t, axes=(1, i)), 0, i)
        # outcome index of each combination of measured bits: clbit c at bit c
        bits = np.indices((2,) * len(qubits)).reshape(len(qubits), -1)
        index = sum(b << self.measured[q] for b, q in zip(bits, qubits, strict=True))
        probs = np.zeros((batch, 2**self.num_clbits))
        probs[:, np.asarray(index, dtype=int)] = t.reshape(-1, batch).T
        probs = np.clip(probs, 0.0, None)  # rounding can dip a hair below 0
        return probs / probs.sum(axis=1, keepdims=True)


def _finish(block: _Block) -> _Block:
    """Embed the block's ops in its (4^m, 4^m) space; runs of fixed ops become one matrix."""
    m = len(block.axes)
    where = {a: i for i, a in enumerate(block.axes)}
    steps: list = []
    current = np.eye(4**m)
    for op in block.ops:
        positions = [where[a] for a in op.axes]
        if op.matrix is not None:
            current = _embed(op.matrix, positions, m) @ current
            continue
        steps.append(current)
        steps.append((op.angle, tuple(_embed(g, positions, m) for g in _generators(op.plane))))
        current = np.eye(4**m)
    steps.append(current)
    block.steps = steps
    return block


def _generators(plane: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(G0, G1, G2) with R(theta) = G0 + cos(theta) G1 + sin(theta) G2: a rotation of the Pauli
    pair (a, b) (rz: X -> cos X + sin Y; rx: Y -> Z; ry: Z -> X)."""
    a, b = plane
    g1 = np.zeros((4, 4))
    g1[a, a] = g1[b, b] = 1.0
    g2 = np.zeros((4, 4))
    g2[b, a], g2[a, b] = 1.0, -1.0
    return np.eye(4) - g1, g1, g2


def _embed(matrix: np.ndarray, positions: list[int], m: int) -> np.ndarray:
    """A k-qubit PTM (qargs order) acting on ``positions`` of an m-qubit block: (4^m, 4^m)."""
    k = len(positions)
    if k == m and positions == list(range(m)):
        return matrix
    op = matrix.reshape((4,) * (2 * k))
    eye = np.eye(4**m).reshape((4,) * m + (4**m,))
    out = np.tensordot(op, eye, axes=(list(range(k, 2 * k)), positions))  # outputs first
    return np.moveaxis(out, list(range(k)), positions).reshape(4**m, 4**m)


def _bind(block: _Block, angles: np.ndarray) -> np.ndarray:
    """The block's matrix, (d, d) when its angles agree across the batch, else (B, d, d)."""
    columns = block.angles
    shared = not columns or np.all(angles[:, columns] == angles[:1, columns])
    rows = angles[:1] if shared else angles
    out = None
    for step in block.steps:
        if isinstance(step, tuple):
            angle, (g0, g1, g2) = step
            theta = rows[:, angle, None, None]
            step = g0 + np.cos(theta) * g1 + np.sin(theta) * g2  # (rows, d, d)
        out = step if out is None else step @ out
    return out[0] if out.ndim == 3 and shared else out


def _apply(x, y, matrix, axes: list[int], n: int, batch: int) -> None:
    """y = the block's matrix applied to ``axes`` of the state x (4^n, B)."""
    k, d = len(axes), 4 ** len(axes)
    if axes[-1] - axes[0] == k - 1:  # neighbouring axes: one (batched) matrix product
        left, right = 4 ** axes[0], 4 ** (n - axes[-1] - 1)
        v, w = x.view(left, d, right * batch), y.view(left, d, right * batch)
        if matrix.dim() == 2:
            torch.matmul(matrix, v, out=w)
        else:  # (B, d, d): one matrix per parameter set
            v4, w4 = v.view(left, d, right, batch), w.view(left, d, right, batch)
            w4.copy_(torch.einsum("bij,ljrb->lirb", matrix, v4))
        return
    t = x.view((4,) * n + (batch,)).movedim(axes, list(range(k)))
    shape = t.shape
    flat = t.reshape(d, -1)
    if matrix.dim() == 2:
        out = matrix @ flat
    else:
        out = torch.einsum("bij,jrb->irb", matrix, flat.view(d, -1, batch)).reshape(d, -1)
    y.view((4,) * n + (batch,)).copy_(out.view(shape).movedim(list(range(k)), axes))


def _axis_order(circuit: QuantumCircuit) -> list[int]:
    """Qubits in the order of their chain of two-qubit gates (so blocks act on neighbouring
    axes); qubits off the chain, and every qubit of a circuit whose gates do not form chains,
    in index order."""
    edges: dict[int, set[int]] = {q: set() for q in range(circuit.num_qubits)}
    for inst in circuit.data:
        if len(inst.qubits) == 2 and inst.operation.name not in SKIPPED:
            a, b = (circuit.find_bit(q).index for q in inst.qubits)
            edges[a].add(b)
            edges[b].add(a)
    if any(len(e) > 2 for e in edges.values()):
        return list(range(circuit.num_qubits))
    order: list[int] = []
    for start in sorted(q for q, e in edges.items() if len(e) <= 1):
        if start in order:
            continue
        previous, current = None, start
        while current is not None:
            order.append(current)
            following = [q for q in edges[current] if q != previous and q not in order]
            previous, current = current, (following[0] if following else None)
    rest = [q for q in range(circuit.num_qubits) if q not in order]  # cycles
    return order + rest if not rest else list(range(circuit.num_qubits))
