"""Argument handling shared by our estimator gradients.

``BaseEstimatorGradient._validate_arguments`` checks every entry (``set(params).issubset(
circuit.parameters)`` per entry), which dominates a backward pass when ``EstimatorQNN`` sends
B*K entries of one circuit. These helpers make the same checks, with the same messages, once per
distinct circuit, and group entries by circuit, row and observable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import copy
from typing import Any

import numpy as np
from qiskit.circuit import Parameter, QuantumCircuit
from qiskit.providers import Options
from qiskit.quantum_info import SparsePauliOp
from qiskit.quantum_info.operators.base_operator import BaseOperator
from qiskit_machine_learning.algorithm_job import AlgorithmJob
from qiskit_machine_learning.gradients import BaseEstimatorGradient, EstimatorGradientResult


class CheckedOnceGradient(BaseEstimatorGradient):
    """A ``BaseEstimatorGradient`` whose ``run`` checks arguments once per distinct circuit."""

    def run(
        self,
        circuits: Sequence[QuantumCircuit] | QuantumCircuit,
        observables: Sequence[BaseOperator] | BaseOperator,
        parameter_values: Sequence[Sequence[float]] | np.ndarray,
        parameters: Sequence[Sequence[Parameter] | None] | None = None,
        **options,
    ) -> AlgorithmJob:
        """Start computing d<O_i>/d(theta) for each entry i = (circuit, observable, values).

        Args:
            circuits: One circuit per entry (the same object may repeat).
            observables: One observable per entry.
            parameter_values: One row of values per entry, in ``circuit.parameters`` order.
            parameters: Per entry, the parameters to differentiate (None: all), in output order.
            **options: Run options (e.g. ``precision``, passed to the estimator).

        Returns:
            A job whose ``result()`` is an ``EstimatorGradientResult``.

        Raises:
            ValueError: Lengths disagree, or parameters are not in their circuit (the base
                class's checks and messages).
        """
        if isinstance(circuits, QuantumCircuit):
            circuits = (circuits,)
        if isinstance(observables, BaseOperator):
            observables = (observables,)
        parameters = resolve_parameters(circuits, parameters)
        validate(circuits, observables, parameter_values, parameters)
        opts = copy(self._default_options)
        opts.update_options(**options)
        job = AlgorithmJob(
            self._run, circuits, observables, parameter_values, parameters, **opts.__dict__
        )
        job.submit()
        return job


def resolve_parameters(
    circuits: Sequence[QuantumCircuit], parameters: Sequence[Sequence[Parameter] | None] | None
) -> list[Sequence[Parameter] | None]:
    """Replace None (all parameters) per entry; one ParameterView per circuit, not per entry."""
    views: dict[int, Sequence[Parameter]] = {}
    if parameters is None:
        parameters = [None] * len(circuits)
    resolved = list(parameters)
    for i, (circuit, params) in enumerate(zip(circuits, parameters, strict=False)):
        if params is None:
            if id(circuit) not in views:
                views[id(circuit)] = circuit.parameters
            resolved[i] = views[id(circuit)]
    return resolved


def validate(
    circuits: Sequence[QuantumCircuit],
    observables: Sequence[BaseOperator],
    parameter_values: Sequence[Sequence[float]] | np.ndarray,
    parameters: Sequence[Sequence[Parameter]],
) -> None:
    """The checks of ``BaseEstimatorGradient._validate_arguments``, with its messages, done once
    per distinct circuit (and parameter list) instead of once per entry.

    Raises:
        ValueError: The first problem found, in the base class's order.
    """
    n = len(circuits)
    if n != len(parameter_values):
        raise ValueError(
            f"The number of circuits ({n}) does not match "
            f"the number of parameter value sets ({len(parameter_values)})."
        )
    n_params = _per_object(circuits, lambda c: c.num_parameters)
    if isinstance(parameter_values, np.ndarray) and parameter_values.ndim == 2:
        n_values = np.full(n, parameter_values.shape[1])
    else:
        n_values = np.array([len(v) for v in parameter_values], dtype=int)
    bad = np.flatnonzero((n_params == 0) | (n_values != n_params))
    if bad.size:
        i = int(bad[0])
        if n_params[i] == 0:
            raise ValueError(f"The {i}-th circuit is not parameterised.")
        raise ValueError(
            f"The number of values ({n_values[i]}) does not match "
            f"the number of parameters ({n_params[i]}) for the {i}-th circuit."
        )
    _validate_observables(circuits, observables)
    _validate_parameters(circuits, parameters)


def _validate_observables(
    circuits: Sequence[QuantumCircuit], observables: Sequence[BaseOperator]
) -> None:
    """Same count as the circuits, and the same number of qubits per entry."""
    if len(circuits) != len(observables):
        raise ValueError(
            f"The number of circuits ({len(circuits)}) does not match "
            f"the number of observables ({len(observables)})."
        )
    c_qubits = _per_object(circuits, lambda c: c.num_qubits)
    o_qubits = _per_object(observables, lambda o: o.num_qubits)
    bad = np.flatnonzero(c_qubits != o_qubits)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"The number of qubits of the {i}-th circuit ({c_qubits[i]}) does "
            f"not match the number of qubits of the {i}-th observable ({o_qubits[i]})."
        )


def _validate_parameters(
    circuits: Sequence[QuantumCircuit], parameters: Sequence[Sequence[Parameter]]
) -> None:
    """Same count as the circuits; each entry's parameters in its circuit (once per pair)."""
    if len(circuits) != len(parameters):
        raise ValueError(
            f"The number of circuits ({len(circuits)}) does not match "
            f"the number of the list of specified parameters ({len(parameters)})."
        )
    known: dict[tuple[int, int], bool] = {}
    for i, (circuit, params) in enumerate(zip(circuits, parameters, strict=True)):
        key = (id(circuit), id(params))
        if key not in known:
            known[key] = set(params).issubset(circuit.parameters)
        if not known[key]:
            raise ValueError(
                f"The {i}-th parameters contains parameters not present in the {i}-th circuit."
            )


def _per_object(items: Sequence, attribute: Callable[[Any], int]) -> np.ndarray:
    """``attribute(item)`` for each item, computed once per distinct object: (n,) int."""
    cache: dict[int, int] = {}
    out = np.empty(len(items), dtype=int)
    for i, item in enumerate(items):
        if id(item) not in cache:
            cache[id(item)] = attribute(item)
        out[i] = cache[id(item)]
    return out


def gradient_result(
    gradients: list[np.ndarray],
    parameters: Sequence[Sequence[Parameter]],
    options: dict[str, Any],
) -> EstimatorGradientResult:
    """The base class's result: one gradient per entry, its parameters as that entry's metadata."""
    metadata = [{"parameters": params} for params in parameters]
    return EstimatorGradientResult(
        gradients=gradients, metadata=metadata, options=Options(**options)
    )


def group_by_circuit(circuits: Sequence[QuantumCircuit]) -> list[np.ndarray]:
    """Entry indices per distinct circuit object, in order of first appearance."""
    groups: dict[int, list[int]] = {}
    for i, circuit in enumerate(circuits):
        groups.setdefault(id(circuit), []).append(i)
    return [np.asarray(idx) for idx in groups.values()]


def rows_of(
    parameter_values: Sequence[Sequence[float]] | np.ndarray, idx: np.ndarray
) -> np.ndarray:
    """The parameter rows of entries ``idx``: (E, P) float."""
    if isinstance(parameter_values, np.ndarray):
        return np.asarray(parameter_values[idx], dtype=float)
    return np.array([parameter_values[i] for i in idx], dtype=float)


def unique_observables(ops: Sequence[BaseOperator]) -> tuple[list[BaseOperator], np.ndarray]:
    """Distinct observables (by object, then by Pauli content) and each entry's index: (E,)."""
    by_id: dict[int, int] = {}
    by_key: dict[object, int] = {}
    unique: list[BaseOperator] = []
    inverse = np.empty(len(ops), dtype=int)
    for e, op in enumerate(ops):
        if id(op) not in by_id:
            key = _observable_key(op)
            if key not in by_key:
                by_key[key] = len(unique)
                unique.append(op)
            by_id[id(op)] = by_key[key]
        inverse[e] = by_id[id(op)]
    return unique, inverse


def _observable_key(op: BaseOperator) -> object:
    """A hashable content key for a SparsePauliOp; other operators are keyed by identity."""
    if isinstance(op, SparsePauliOp):
        return op.num_qubits, tuple(op.paulis.to_labels()), op.coeffs.tobytes()
    return id(op)
