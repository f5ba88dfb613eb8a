"""The argument checks shared by our gradients (``circuits.gradient_args``), on both of them.

Oracle: ``BaseEstimatorGradient._validate_arguments``, the qiskit-machine-learning check our
once-per-circuit ``validate`` replaces; each malformed call must fail with its exact message.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.primitives import StatevectorEstimator
from qiskit.quantum_info import SparsePauliOp
from qiskit_machine_learning.gradients import BaseEstimatorGradient

from circuits.gradients import ExactEstimatorGradient
from circuits.param_shift import BatchedParamShiftGradient

A, B, C, D = (Parameter(name) for name in "abcd")
GRADIENTS = {
    "exact": ExactEstimatorGradient,
    "param-shift": lambda: BatchedParamShiftGradient(StatevectorEstimator()),
}


def _circuit() -> QuantumCircuit:
    """3 qubits, 4 parameters, one of them in a product."""
    qc = QuantumCircuit(3)
    qc.ry(2 * A + 0.3, 0)
    qc.rx(B, 1)
    qc.cx(0, 1)
    qc.u(C, D, A * B, 2)
    return qc


def _bad_inputs() -> dict[str, tuple]:
    """Per case: (circuits, observables, parameter values, parameters) with one thing wrong."""
    qc = _circuit()
    plain = QuantumCircuit(3)
    row, op = [0.1, 0.2, 0.3, 0.4], SparsePauliOp("ZZI")
    return {
        "fewer-values": ([qc, qc], [op, op], [row], None),
        "row-length": ([qc, qc], [op, op], [row, row[:3]], None),
        "array-width": ([qc, qc], [op, op], np.zeros((2, 3)), None),
        "not-parameterised": ([qc, plain], [op, op], [row, []], None),
        "fewer-observables": ([qc, qc], [op], [row, row], None),
        "qubit-count": ([qc, qc], [op, SparsePauliOp("ZZ")], [row, row], None),
        "fewer-parameter-lists": ([qc, qc], [op, op], [row, row], [[A]]),
        "foreign-parameter": ([qc, qc], [op, op], [row, row], [[A], [Parameter("z")]]),
    }


@pytest.mark.parametrize("gradient", list(GRADIENTS))
@pytest.mark.parametrize("case", list(_bad_inputs()))
def test_malformed_input_raises_base_class_message(case: str, gradient: str) -> None:
    circuits, observables, values, parameters = _bad_inputs()[case]
    with pytest.raises(ValueError) as expected:
        resolved = parameters or [c.parameters for c in circuits]
        BaseEstimatorGradient._validate_arguments(circuits, observables, values, resolved)
    with pytest.raises(ValueError) as ours:
        GRADIENTS[gradient]().run(circuits, observables, values, parameters)
    assert str(ours.value) == str(expected.value)
    assert "\n" not in str(ours.value)
