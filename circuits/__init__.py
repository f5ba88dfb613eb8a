"""Qiskit circuits of the quantum generator and the simulation engine behind our primitives.

``ansatz`` and ``observables`` build the circuits of the HybridQ paper (Jiao et al.), MosaiQ
(Silver et al., ICCV 2023) and the HQCNN classifier; ``statevector`` is a batched torch engine
that ``estimator.FastEstimator`` (a Qiskit ``BaseEstimatorV2``) and the gradients run on.

The public API is importable from here (``from circuits import FastEstimator``): the
estimators, the two gradients, the engine and the circuit and observable builders.
"""

from circuits.lazy import lazy_exports

# public name -> its module in this package
_EXPORTS = {
    "FastEstimator": "estimator",
    "BlockwiseEstimator": "blocks",
    "ExactEstimatorGradient": "gradients",
    "BatchedParamShiftGradient": "param_shift",
    "Engine": "engine",
    "UnsupportedCircuitError": "compiler",
    "Ansatz": "ansatz",
    "generator_circuit": "ansatz",
    "hybridq_subgenerator": "ansatz",
    "mosaiq_subgenerator": "ansatz",
    "hqcnn_classifier": "ansatz",
    "stack": "ansatz",
    "pauli_readout": "observables",
    "x_readout": "observables",
    "z_readout": "observables",
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
