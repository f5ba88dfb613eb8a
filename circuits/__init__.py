"""Qiskit circuits of the quantum generator and the simulation engine behind our primitives.

``ansatz`` and ``observables`` build the circuits of the HybridQ paper (Jiao et al.), MosaiQ
(Silver et al., ICCV 2023) and the HQCNN classifier; ``statevector`` is a batched torch engine
that ``estimator.FastEstimator`` (a Qiskit ``BaseEstimatorV2``) and the gradients run on.
"""
