"""Our mitigation switches as options of IBM Runtime's own estimator, for hardware runs.

qiskit-ibm-runtime 0.50 deprecated its server-side ``EstimatorV2`` class; 0.51.0's replacement is
the client-side ``qiskit_ibm_runtime.executor_estimator.Estimator`` with
``qiskit_ibm_runtime.options_models.EstimatorOptions`` (its twirling, gate folding, DD, TREX and
ZNE run on this machine; the circuits run through the ``Executor``). Each technique of
``transpile.mitigation_config.TECHNIQUES`` writes its own part of the options, on or off:

==========  =====================================================================
switch      EstimatorOptions
==========  =====================================================================
readout     resilience.measure_mitigation (TREX) and twirling.enable_measure
zne         resilience.zne_mitigation, resilience.zne (gate folding at
            ``scale_factors``, our extrapolator's Runtime name)
twirling    twirling.enable_gates, twirling.num_randomizations (``twirls``)
dd          dynamical_decoupling.enable, .sequence_type (``dd_sequence``)
==========  =====================================================================

The resilience level is the lowest that includes the switches on (0: none, 1: readout, 2:
zne); every field is set explicitly, so no level default decides anything silently. The shot
count carries over as ``default_shots``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit_ibm_runtime.executor_estimator import Estimator
from qiskit_ibm_runtime.options_models import EstimatorOptions

from transpile.mitigation_config import TECHNIQUES, MitigationConfig
from transpile.zne import runtime_extrapolator

__all__ = [
    "runtime_estimator",
    "runtime_extrapolator",
    "runtime_options",
    "runtime_options_dict",
    "runtime_pub",
    "resilience_level",
]


def resilience_level(cfg: MitigationConfig) -> int:
    """The lowest Runtime resilience level that includes the switches on."""
    return 2 if cfg.zne else 1 if cfg.readout else 0


def runtime_options_dict(cfg: MitigationConfig) -> dict[str, Any]:
    """The ``EstimatorOptions`` fields that express ``cfg`` (a plain dict, JSON-ready)."""
    options: dict[str, Any] = {
        "default_shots": cfg.shots,
        "resilience_level": resilience_level(cfg),
        "simulator": {"seed_simulator": cfg.seed},  # used only in local (fake backend) mode
    }
    for technique in TECHNIQUES.values():
        _merge(options, technique.runtime(cfg))
    return options


def _merge(into: dict, part: dict) -> None:
    """Deep-merge ``part`` into ``into`` (techniques share sections such as ``twirling``)."""
    for key, value in part.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def runtime_options(cfg: MitigationConfig) -> EstimatorOptions:
    """Validated ``EstimatorOptions`` for ``cfg``; built offline, no account needed."""
    return EstimatorOptions(**runtime_options_dict(cfg))


def runtime_pub(
    isa_circuit: QuantumCircuit,
    observables: Sequence[SparsePauliOp],
    parameter_values: np.ndarray,
) -> tuple[QuantumCircuit, list[SparsePauliOp], np.ndarray]:
    """One estimator pub whose result ``data.evs`` has shape (P, O), like our local path.

    Parameter sets become (P, 1, n_params) so they broadcast against the (O,) observables:
    every parameter set with every observable, all in one pub (one job, not one per sample).
    """
    values = np.asarray(parameter_values, dtype=float)
    if values.ndim != 2 or values.shape[1] != isa_circuit.num_parameters:
        raise ValueError(
            f"parameter_values must be (P, {isa_circuit.num_parameters}), got {values.shape}"
        )
    return isa_circuit, list(observables), values[:, None, :]


def runtime_estimator(mode: Any, cfg: MitigationConfig) -> Estimator:
    """The Runtime estimator (0.51.0's replacement of ``EstimatorV2``) with ``cfg``'s options.

    Run it with ``estimator.run([runtime_pub(isa, observables, values)])``.

    Args:
        mode: An IBM backend, ``Session`` or ``Batch`` (a fake backend gives local mode).
        cfg: Mitigation settings.
    """
    return Estimator(mode=mode, options=runtime_options(cfg))
