"""Exact parameter-shift gradients with any Qiskit V2 estimator, one pub per circuit.

Parameter-shift rule (Mitarai et al., PRA 98, 032309, 2018; Schuld et al., PRA 99, 032331, 2019):
for a gate exp(-i t P / 2), P a Pauli product, d<O>/dt = (<O>(t + pi/2) - <O>(t - pi/2)) / 2.
qiskit-machine-learning's ``ParamShiftEstimatorGradient`` sends one pub per shifted point, so an
``EstimatorQNN`` backward costs B*K*2P simulator runs. ``BatchedParamShiftGradient`` packs every
shifted point of a circuit into ONE pub: values (N_shift, 1, P) against observables (1, K), which
V2 broadcasting turns into evs (N_shift, K); Aer runs the N_shift bindings as one batch.

Exactness: Qiskit's ``StatevectorEstimator`` and Aer's ``EstimatorV2`` both default to
``default_precision=0.0``, which is exact (Aer reads expectation values from the simulated state
with ``save_expectation_value``; no shots are drawn). With ``precision > 0`` neither samples shots:
both add Gaussian noise N(ev, precision) to the exact values (Aer seeds it from
``run_options["seed_simulator"]``). ``EstimatorQNN`` passes its ``default_precision`` (1/64 unless
set) to the forward pass only; the gradient uses the ``precision`` option given here, else the
estimator's default. So ``AerEstimator()`` or ``AerEstimator(options={"default_precision": 0})``
is exact, and so is ``BatchedParamShiftGradient(est, options={"precision": 0})`` for any estimator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from qiskit.circuit import Parameter, ParameterExpression, QuantumCircuit
from qiskit.primitives import BaseEstimatorV2
from qiskit.providers import Options
from qiskit.quantum_info.operators.base_operator import BaseOperator
from qiskit.transpiler.passmanager import BasePassManager
from qiskit_machine_learning.gradients import (
    EstimatorGradientResult,
    ParamShiftEstimatorGradient,
)
from qiskit_machine_learning.gradients.utils import GradientCircuit
from qiskit_machine_learning.utils import circuit_cache_key

from circuits.gradient_args import (
    CheckedOnceGradient,
    gradient_result,
    group_by_circuit,
    rows_of,
    unique_observables,
)


@dataclass(frozen=True)
class _Plan:
    """One circuit's share of a gradient run: its pub and how to read the entries back."""

    circuit: QuantumCircuit  # the caller's circuit
    gradient_circuit: GradientCircuit  # translated to shiftable gates, one parameter per angle
    entries: np.ndarray  # (E,) indices into the run's entries
    rows: np.ndarray  # (U, P) distinct parameter rows of the original circuit
    row_of: np.ndarray  # (E,) entry -> distinct row
    obs_of: np.ndarray  # (E,) entry -> distinct observable
    shifted: list[Parameter]  # (S,) gradient-circuit parameters that are shifted
    pub: tuple | None  # (circuit, observables (1, K), values (U*2*S, 1, P_g)); None if S == 0


class BatchedParamShiftGradient(CheckedOnceGradient):
    """Parameter-shift gradient of expectation values that sends one pub per distinct circuit.

    A drop-in for ``ParamShiftEstimatorGradient`` with a ``BaseEstimatorV2``: same ``run``
    signature, same ``EstimatorGradientResult`` (one float array per entry, in order; metadata with
    ``"parameters"``), same gates with a shift rule. Identical parameter rows are simulated once,
    and only the requested parameters are shifted.

    Example:
        >>> qnn = EstimatorQNN(circuit=qc, estimator=est, gradient=BatchedParamShiftGradient(est))
    """

    SUPPORTED_GATES = ParamShiftEstimatorGradient.SUPPORTED_GATES

    def __init__(
        self,
        estimator: BaseEstimatorV2,
        options: Options | dict | None = None,
        pass_manager: BasePassManager | None = None,
    ) -> None:
        """Build the gradient.

        Args:
            estimator: Any V2 estimator (Qiskit, Aer on CPU or GPU, IBM Runtime).
            options: Default run options; ``precision`` is passed to ``estimator.run``.
            pass_manager: Transpiles each gradient circuit once (cached) when the estimator needs
                ISA circuits; observables follow the layout.

        Raises:
            TypeError: ``estimator`` is not a ``BaseEstimatorV2``.
        """
        if not isinstance(estimator, BaseEstimatorV2):
            raise TypeError(f"estimator must be a BaseEstimatorV2, got {type(estimator).__name__}.")
        super().__init__(estimator, options=options, pass_manager=pass_manager)
        self._isa_cache: dict[int, QuantumCircuit] = {}

    def _run(
        self,
        circuits: Sequence[QuantumCircuit],
        observables: Sequence[BaseOperator],
        parameter_values: Sequence[Sequence[float]] | np.ndarray,
        parameters: Sequence[Sequence[Parameter]],
        **options,
    ) -> EstimatorGradientResult:
        """Plan one pub per circuit, run them in one estimator call, apply the chain rule."""
        plans = [
            self._plan(circuits[idx[0]], idx, observables, parameter_values, parameters)
            for idx in group_by_circuit(circuits)
        ]
        pubs = [plan.pub for plan in plans if plan.pub is not None]
        run_kwargs = {} if options.get("precision") is None else {"precision": options["precision"]}
        results = iter(self._estimator.run(pubs, **run_kwargs).result() if pubs else [])
        gradients: list[np.ndarray] = [np.zeros(0)] * len(circuits)
        for plan in plans:
            evs = np.asarray(next(results).data.evs) if plan.pub is not None else None
            for i, grad in zip(plan.entries, _assemble(plan, evs, parameters), strict=True):
                gradients[i] = grad
        return gradient_result(gradients, parameters, options)

    def _plan(
        self,
        circuit: QuantumCircuit,
        entries: np.ndarray,
        observables: Sequence[BaseOperator],
        parameter_values: Sequence[Sequence[float]] | np.ndarray,
        parameters: Sequence[Sequence[Parameter]],
    ) -> _Plan:
        """Deduplicate one circuit's rows and observables and build its single pub."""
        rows, row_of = np.unique(rows_of(parameter_values, entries), axis=0, return_inverse=True)
        ops, obs_of = unique_observables([observables[i] for i in entries])
        wanted = _union_in_order(circuit, [parameters[i] for i in entries])
        g_circs, g_rows, g_params = self._preprocess(
            [circuit] * len(rows), rows, [wanted] * len(rows), self.SUPPORTED_GATES
        )
        gradient_circuit = self._gradient_circuit_cache[circuit_cache_key(circuit)]
        shifted = list(g_params[0])
        pub = None
        if shifted:
            g_index = {p: j for j, p in enumerate(g_circs[0].parameters)}
            values = _shifted_values(np.asarray(g_rows), [g_index[p] for p in shifted])
            pub = self._pub(g_circs[0], ops, values)
        return _Plan(circuit, gradient_circuit, entries, rows, row_of.ravel(), obs_of, shifted, pub)

    def _pub(
        self, g_circuit: QuantumCircuit, ops: list[BaseOperator], values: np.ndarray
    ) -> tuple[QuantumCircuit, list[list[BaseOperator]], np.ndarray]:
        """The pub (circuit, observables (1, K), values (N, 1, P)), transpiled if asked."""
        if self._pass_manager is None:
            return g_circuit, [ops], values
        # Keyed by object: gradient circuits live in the base class's cache as long as we do.
        if id(g_circuit) not in self._isa_cache:
            self._isa_cache[id(g_circuit)] = self._pass_manager.run(g_circuit)
        isa = self._isa_cache[id(g_circuit)]
        col = {p: j for j, p in enumerate(g_circuit.parameters)}
        # The pass manager may reorder (never add) parameters: reorder the value columns to match.
        values = values[..., [col[p] for p in isa.parameters]]
        return isa, [[op.apply_layout(isa.layout) for op in ops]], values


def _union_in_order(
    circuit: QuantumCircuit, parameter_lists: Sequence[Sequence[Parameter]]
) -> list[Parameter]:
    """Every parameter some entry asks for, in ``circuit.parameters`` order."""
    wanted = set().union(*{id(params): params for params in parameter_lists}.values())
    return [p for p in circuit.parameters if p in wanted]


def _shifted_values(g_rows: np.ndarray, cols: Sequence[int]) -> np.ndarray:
    """Every shifted point: (U, P_g) rows and S shifted columns -> (U * 2 * S, 1, P_g).

    Flat index u * 2S + sign * S + s is row u with column ``cols[s]`` shifted by +pi/2 (sign 0)
    or -pi/2 (sign 1); the singleton axis broadcasts against the (1, K) observables.
    """
    n_rows, width = g_rows.shape
    n_shift = len(cols)
    values = np.broadcast_to(g_rows[:, None, None, :], (n_rows, 2, n_shift, width)).copy()
    s = np.arange(n_shift)
    values[:, 0, s, cols] += np.pi / 2
    values[:, 1, s, cols] -= np.pi / 2
    return values.reshape(n_rows * 2 * n_shift, 1, width)


def _assemble(
    plan: _Plan, evs: np.ndarray | None, parameters: Sequence[Sequence[Parameter]]
) -> list[np.ndarray]:
    """Each entry's gradient, in ``plan.entries`` order, from the pub's evs (U*2*S, K)."""
    if evs is None:  # nothing was shifted: every entry asked for no parameter
        return [np.zeros(len(parameters[i])) for i in plan.entries]
    n_rows, n_shift = len(plan.rows), len(plan.shifted)
    evs = evs.reshape(n_rows, 2, n_shift, -1)
    g_grad = (evs[:, 0] - evs[:, 1]) / 2  # (U, S, K): d<O_k>/d(shifted angle s) at row u
    g_index = {p: j for j, p in enumerate(plan.shifted)}
    out: list[np.ndarray] = [np.zeros(0)] * len(plan.entries)
    subgroups: dict[int, list[int]] = {}
    for local, i in enumerate(plan.entries):
        subgroups.setdefault(id(parameters[i]), []).append(local)
    for local in subgroups.values():
        params = parameters[plan.entries[local[0]]]
        grads = _chain_matrices(plan, params, g_index) @ g_grad  # (U, P_e, K)
        local = np.asarray(local)
        picked = grads[plan.row_of[local], :, plan.obs_of[local]]  # (len(local), P_e)
        for j, row in zip(local, picked, strict=True):
            out[j] = row
    return out


def _chain_matrices(
    plan: _Plan, params: Sequence[Parameter], g_index: dict[Parameter, int]
) -> np.ndarray:
    """d(shifted angle)/d(parameter) at each distinct row: (U, len(params), S).

    The chain rule of ``BaseEstimatorGradient._postprocess`` (an angle a_j = f_j(theta) gives
    d<O>/d theta_i = sum_j (d f_j / d theta_i) d<O>/d a_j) as one matrix per distinct row instead
    of a loop per entry; coefficients are bound only where they depend on the row.
    """
    col = {p: i for i, p in enumerate(plan.circuit.parameters)}
    mats = np.zeros((len(plan.rows), len(params), len(g_index)))
    for i, param in enumerate(params):
        for g_param, coeff in plan.gradient_circuit.parameter_map[param]:
            if isinstance(coeff, ParameterExpression):
                mats[:, i, g_index[g_param]] += [
                    float(coeff.bind({q: row[col[q]] for q in coeff.parameters}))
                    for row in plan.rows
                ]
            else:
                mats[:, i, g_index[g_param]] += float(coeff)
    return mats
