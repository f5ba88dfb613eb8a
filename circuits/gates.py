"""Gate tables for the statevector engine: which gates it runs natively and how.

Every parametric gate the engine runs natively has one angle and the form U(t) = exp(-i t G)
with a constant Hermitian generator G (rx, ry, rz, p, the two-qubit rotations and the
controlled rotations). G is derived once from Qiskit's own matrix, so conventions (qubit order,
phases) are Qiskit's by construction. Multi-angle gates (u, u2, u3, r, cu, cu3, xx_plus_yy, ...)
are translated into native gates by Qiskit's transpiler before compiling, with their parameter
expressions kept. Constant gates run as their matrix; the ones that are monomial (a permutation
with phases: x, cx, cz, swap, ccx, s, ...) run as an index gather, fused across a run of gates.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from qiskit.circuit import Gate, Instruction
from qiskit.circuit.library import get_standard_gate_name_mapping

# One-angle gates with U(t) = exp(-i t G): the engine's native parametric gates.
ROTATION_GATES = (
    "rx",
    "ry",
    "rz",
    "p",
    "u1",
    "rxx",
    "ryy",
    "rzz",
    "rzx",
    "crx",
    "cry",
    "crz",
    "cp",
    "cu1",
)
# Instructions that do not change the state an estimator sees.
IGNORED = ("barrier", "delay", "global_phase", "id")
# Instructions the engine never runs as gates: measure is refused; reset is state preparation,
# which the compiler resolves (``circuits.compiler._prepare_states``) or refuses before this.
FORBIDDEN = ("measure", "reset")


@dataclass(frozen=True)
class Rotation:
    """A native one-angle gate U(t) = V diag(exp(-i t g)) V^dagger."""

    name: str
    generator: np.ndarray  # (d, d) Hermitian G
    eigvals: np.ndarray  # (d,) real
    eigvecs: np.ndarray  # (d, d) unitary V
    real: bool  # -iG is real, so U(t) is real for real t

    @property
    def num_qubits(self) -> int:
        return int(np.log2(self.generator.shape[0]))


@functools.cache
def rotation(name: str) -> Rotation:
    """The generator of native rotation gate ``name``, derived from Qiskit's matrix.

    G = i logm(U(1)) is exact here because every eigenvalue of these generators lies in
    [-1, 1], inside the principal branch of the logarithm; checked at a second angle.
    """
    gate_cls = type(get_standard_gate_name_mapping()[name])
    generator = 1j * scipy.linalg.logm(gate_cls(1.0).to_matrix())
    generator = (generator + generator.conj().T) / 2
    check = scipy.linalg.expm(-0.7j * generator)
    if not np.allclose(check, gate_cls(0.7).to_matrix(), atol=1e-12):
        raise RuntimeError(f"gate {name!r} is not of the form exp(-i t G)")
    eigvals, eigvecs = np.linalg.eigh(generator)
    real = bool(np.allclose((-1j * generator).imag, 0.0, atol=1e-14))
    return Rotation(name, generator, eigvals, eigvecs, real)


@dataclass(frozen=True)
class Monomial:
    """A constant gate that is a permutation with phases: (U psi)[i] = phase[i] psi[perm[i]]."""

    perm: np.ndarray  # (d,) int
    phase: np.ndarray  # (d,) complex


def as_monomial(matrix: np.ndarray) -> Monomial | None:
    """The monomial form of ``matrix``, or None when a column has more than one nonzero."""
    nonzero = np.abs(matrix) > 1e-12
    if not np.all(nonzero.sum(axis=1) == 1):
        return None
    perm = np.argmax(nonzero, axis=1)
    return Monomial(perm, matrix[np.arange(len(perm)), perm])


def constant_matrix(instruction: Instruction) -> np.ndarray | None:
    """The matrix of a gate with no free parameters, or None when Qiskit cannot give one."""
    if not isinstance(instruction, Gate) or instruction.is_parameterized():
        return None
    try:
        return np.asarray(instruction.to_matrix(), dtype=complex)
    except Exception:  # noqa: BLE001 - gates without a matrix are unrolled or refused later
        return None


def native_basis() -> list[str]:
    """Gate names the engine runs without translation (for Qiskit's BasisTranslator)."""
    standard = get_standard_gate_name_mapping()
    constants = [name for name, gate in standard.items() if not gate.params]
    names = set(constants) | set(ROTATION_GATES) | set(IGNORED)
    return sorted(name for name in names if name in standard and name not in FORBIDDEN)
