"""Our mitigation choice as options of IBM Runtime's own estimator, for hardware runs.

qiskit-ibm-runtime 0.50 deprecated its server-side ``EstimatorV2`` class; 0.51.0's replacement is
the client-side ``qiskit_ibm_runtime.executor_estimator.Estimator`` with
``qiskit_ibm_runtime.options_models.EstimatorOptions`` (its twirling, gate folding, DD, TREX and
ZNE run on this machine; the circuits run through the ``Executor``). ``MitigationConfig.mode``
maps to it as:

=========  ==========  ============================  ==============  ===============
mode       resilience  measure_mitigation (TREX)     zne_mitigation  gate twirling
=========  ==========  ============================  ==============  ===============
none       0           off                           off             ``twirls > 0``
readout    1           on (twirled readout)          off             ``twirls > 0``
zne        2           off                           on              ``twirls > 0``
all        2           on                            on              ``twirls > 0``
=========  ==========  ============================  ==============  ===============

ZNE uses gate folding at ``scale_factors`` with our extrapolator's Runtime name; DD (``dd``) and
the shot count carry over as they are. Every field is set explicitly, so no resilience-level
default decides anything silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit_ibm_runtime.executor_estimator import Estimator
from qiskit_ibm_runtime.options_models import EstimatorOptions

from transpile.mitigation import MitigationConfig

# our fold selection -> Runtime's gate-folding amplifier (which gates fold first)
AMPLIFIERS = {"random": "gate_folding", "front": "gate_folding_front", "back": "gate_folding_back"}
RESILIENCE_LEVELS = {"none": 0, "readout": 1, "zne": 2, "all": 2}
MAX_POLYNOMIAL_DEGREE = 7  # Runtime's polynomial extrapolators go up to degree 7


def runtime_extrapolator(cfg: MitigationConfig) -> str | tuple[str, ...]:
    """Runtime's name for ``cfg.extrapolator``.

    Richardson through S points is the degree S-1 polynomial; exponential falls back to linear
    where the fit fails, as our own ``extrapolate`` does.
    """
    if cfg.extrapolator == "richardson":
        degree = len(cfg.scale_factors) - 1
        if degree > MAX_POLYNOMIAL_DEGREE:
            raise ValueError(f"Runtime fits polynomials up to degree {MAX_POLYNOMIAL_DEGREE}")
        return "linear" if degree == 1 else f"polynomial_degree_{degree}"
    return {
        "linear": "linear",
        "quadratic": "polynomial_degree_2",
        "exponential": ("exponential", "linear"),
    }[cfg.extrapolator]


def runtime_options_dict(cfg: MitigationConfig) -> dict[str, Any]:
    """The ``EstimatorOptions`` fields that express ``cfg`` (a plain dict, JSON-ready)."""
    twirl = cfg.twirls > 0
    return {
        "default_shots": cfg.shots,
        "resilience_level": RESILIENCE_LEVELS[cfg.mode],
        "resilience": {
            "measure_mitigation": cfg.readout,
            "zne_mitigation": cfg.zne,
            "zne": {
                "amplifier": AMPLIFIERS[cfg.fold],
                "noise_factors": list(cfg.scale_factors),
                "extrapolator": runtime_extrapolator(cfg),
            },
        },
        "twirling": {
            "enable_gates": twirl,
            "enable_measure": cfg.readout,  # TREX is twirled readout: Runtime requires it
            "num_randomizations": cfg.twirls if twirl else "auto",
        },
        "dynamical_decoupling": {
            "enable": cfg.dd != "none",
            "sequence_type": cfg.dd if cfg.dd != "none" else "XX",
        },
        "simulator": {"seed_simulator": cfg.seed},  # used only in local (fake backend) mode
    }


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
