"""Aer's device noise model as Pauli transfer matrices, for the batched noisy engine.

``NoiseModel.from_backend(backend)`` (what ``AerSimulator.from_backend`` simulates) attaches to
every gate on every qubit tuple a ``QuantumError`` (depolarizing composed with thermal
relaxation over the gate's duration), to every ``delay`` a thermal relaxation error (through
its relaxation noise pass), and to every measured qubit a ``ReadoutError``. This module reads
that same model, once per backend, and hands out each error as the real matrix that
``transpile.ptm`` multiplies: R[a, b] = 2^-k Tr(P_a E(P_b)).

Aer has no public getter for a model's errors; ``qiskit_aer.utils.insert_noise`` reads the same
private fields (``_local_quantum_errors``, ``_default_quantum_errors``) and ``AerSimulator``
calls ``_pass_manager()`` for the delay pass, so that is what is read here, in one place.
The tests compare the engine with Aer's own density-matrix simulation, which catches any
change of meaning.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Delay
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.providers import BackendV2
from qiskit.quantum_info import Operator, SuperOp
from qiskit.transpiler import Target
from qiskit_aer.noise import NoiseModel

_PAULIS = np.array(
    [[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex
)  # I, X, Y, Z: index 0..3 everywhere in the engine


@functools.cache
def pauli_matrices(k: int) -> np.ndarray:
    """(4^k, 2^k, 2^k) Pauli strings on k qubits; index a = sum_i p_i 4^(k-1-i).

    Qubit 0 of an instruction's qargs is the most significant Pauli digit, and, as in
    Qiskit's little-endian ``Operator``, the least significant tensor factor of the matrix.
    """
    out = np.ones((1, 1, 1), dtype=complex)
    for _ in range(k):
        # the next qubit becomes the more significant matrix factor, the less significant digit
        out = np.einsum("bij,akl->bakilj", out, _PAULIS).reshape(
            4 * len(out), 2 * out.shape[1], 2 * out.shape[1]
        )
    return out


def ptm_of_superop(superop: np.ndarray, k: int) -> np.ndarray:
    """(4^k, 4^k) real PTM of a k-qubit channel given as Qiskit's ``SuperOp`` matrix.

    Qiskit's superoperator acts on column-stacked vec(rho) (vec[i + j d] = rho[i, j]), so with
    V[a] = vec(P_a): E(P_b) = S V[b] and Tr(P_a X) = conj(V[a]) . vec(X).
    """
    paulis = pauli_matrices(k)
    vec = paulis.transpose(0, 2, 1).reshape(len(paulis), -1)  # (4^k, d^2) column-stacked
    ptm = np.conj(vec) @ superop @ vec.T / 2**k
    if np.abs(ptm.imag).max() > 1e-9:  # a channel's PTM is real; anything else is a bug
        raise ValueError("the channel's Pauli transfer matrix is not real")
    return ptm.real


def ptm_of_unitary(matrix: np.ndarray) -> np.ndarray:
    """(4^k, 4^k) PTM of rho -> U rho U^dag, U in Qiskit's little-endian convention."""
    k = int(np.log2(len(matrix)))
    paulis = pauli_matrices(k)
    conj = np.einsum("ij,bjk,lk->bil", matrix, paulis, np.conj(matrix))  # U P_b U^dag
    return np.einsum("aji,bij->ab", paulis, conj).real / 2**k


class DeviceNoise:
    """The PTMs of one backend's device noise model (build with ``device_noise``).

    Attributes:
        model: Aer's ``NoiseModel.from_backend(backend)``, or None for an ideal simulation.
    """

    def __init__(self, backend: BackendV2 | None, *, noise: bool = True):
        self.model = NoiseModel.from_backend(backend) if noise and backend is not None else None
        self._gates: dict[tuple, np.ndarray | None] = {}
        self._delays: dict[tuple, np.ndarray] = {}

    def readout(self, qubit: int) -> np.ndarray:
        """(2, 2) A[m, t] = P(read m | prepared t) of ``qubit`` (the identity without error)."""
        if self.model is None:
            return np.eye(2)
        errors = self.model._local_readout_errors  # noqa: SLF001 - see the module docstring
        error = errors.get((qubit,), self.model._default_readout_error)  # noqa: SLF001
        return np.eye(2) if error is None else np.asarray(error.probabilities).T  # [t, m] -> [m, t]

    def gate_error(self, name: str, qubits: tuple[int, ...]) -> np.ndarray | None:
        """The PTM of the error Aer applies after gate ``name`` on ``qubits``, or None."""
        key = (name, qubits)
        if key not in self._gates:
            self._gates[key] = self._gate_error(name, qubits)
        return self._gates[key]

    def _gate_error(self, name: str, qubits: tuple[int, ...]) -> np.ndarray | None:
        if self.model is None:
            return None
        local = self.model._local_quantum_errors  # noqa: SLF001 - as insert_noise reads it
        default = self.model._default_quantum_errors  # noqa: SLF001
        error = local.get(name, {}).get(qubits, default.get(name))
        if error is None:
            return None
        return ptm_of_superop(SuperOp(error).data, len(qubits))

    def with_delay_noise(self, circuit: QuantumCircuit) -> QuantumCircuit:
        """``circuit`` with the model's relaxation channels after its delays (Aer's own pass)."""
        if self.model is None or not any(isinstance(i.operation, Delay) for i in circuit.data):
            return circuit
        passes = self.model._pass_manager()  # noqa: SLF001 - what AerSimulator runs
        return circuit if passes is None else passes.run(circuit)

    def channel(self, operation, qubits: tuple[int, ...], after: tuple) -> np.ndarray:
        """The PTM of a channel instruction that the delay pass put after ``after``."""
        key = (qubits, after)
        if key not in self._delays:
            self._delays[key] = ptm_of_superop(SuperOp(operation).data, len(qubits))
        return self._delays[key]


_CACHE: dict[str, DeviceNoise] = {}
_CACHE_SIZE = 64  # distinct Targets kept: a 156-qubit device has at most ~15 lines in use


def device_noise(backend: BackendV2, *, noise: bool = True) -> DeviceNoise:
    """The ``DeviceNoise`` of ``backend``, shared by every backend with the same error data.

    A local run builds a fresh reduced backend per qubit group and chunk; converting its errors
    (~0.4 s for a 10-qubit line) is done once per distinct Target, not once per chunk.
    """
    if not noise:
        return DeviceNoise(backend, noise=False)
    key = target_fingerprint(backend.target)
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))  # the oldest
        _CACHE[key] = DeviceNoise(backend)
    return _CACHE[key]


def target_fingerprint(target: Target) -> str:
    """sha256 of what Aer's device noise model reads from a Target: qubit properties, dt, and
    every instruction's qargs, error and duration."""
    parts: list = [target.num_qubits, target.dt]
    props: Sequence = target.qubit_properties or []
    parts += [
        (getattr(p, "t1", None), getattr(p, "t2", None), getattr(p, "frequency", None))
        for p in props
    ]
    for name in sorted(target.operation_names):
        qargs = target[name]
        if qargs is None:
            parts.append((name, None))
            continue
        for qarg in sorted(qargs, key=lambda q: (q is None, q)):
            p = qargs[qarg]
            extra = (getattr(p, "prob_meas1_prep0", None), getattr(p, "prob_meas0_prep1", None))
            parts.append((name, qarg, None if p is None else (p.error, p.duration), extra))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def gate_ptm(operation) -> np.ndarray:
    """The PTM of a fixed (parameter-free) gate; standard gates are cached by name and angles."""
    if operation.name in _STANDARD:
        return _standard_ptm(operation.name, tuple(float(p) for p in operation.params))
    return ptm_of_unitary(Operator(operation).data)


_STANDARD = get_standard_gate_name_mapping()


@functools.lru_cache(maxsize=4096)
def _standard_ptm(name: str, params: tuple[float, ...]) -> np.ndarray:
    gate = _STANDARD[name]
    gate = type(gate)(*params) if params else gate
    return ptm_of_unitary(Operator(gate).data)
