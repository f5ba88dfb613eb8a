"""The quantum generator as a torch layer: EstimatorQNN + TorchConnector, simulator selectable.

HybridQ (Jiao et al.) uses ten sub-generators of ten qubits; here they are ONE Qiskit circuit of
ten disjoint blocks (the same circuit goes to hardware as one job), wrapped in ONE
``EstimatorQNN`` with 100 inputs, 600 weights and 100 <Z_i> readouts, and ONE ``TorchConnector``.
The simulators:

- ``fast`` (default): ``FastEstimator`` + ``ExactEstimatorGradient``; the ten blocks and the whole
  batch are one engine pass. The layer's backward asks the gradient for a vector-Jacobian
  product (one adjoint co-state) instead of the full Jacobian ``TorchConnector`` would build.
- ``aer`` / ``aer-gpu``: Aer's ``EstimatorV2`` (exact, ``device="GPU"`` for the latter) on each
  block + ``BatchedParamShiftGradient``, all shifted points of a circuit in one pub.
- ``reference``: Qiskit's ``StatevectorEstimator`` on each block + qiskit-machine-learning's own
  ``ParamShiftEstimatorGradient``: slow, independent, for checks.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from qiskit_machine_learning.connectors import TorchConnector
from qiskit_machine_learning.neural_networks import EstimatorQNN

from circuits.ansatz import Ansatz, generator_circuit
from circuits.blocks import BlockwiseEstimator
from circuits.estimator import FastEstimator
from circuits.gradients import ExactEstimatorGradient
from circuits.param_shift import BatchedParamShiftGradient
from qgan.models.config import SIMULATORS, QuantumConfig


class DeviceUnavailable(RuntimeError, ValueError):
    """The machine lacks the device a simulator was asked to run on (CUDA, Aer's GPU build).

    A ``RuntimeError`` as torch's and Aer's own, and a ``ValueError``: bad input for this machine,
    which the commands answer in one line.
    """


def require_device(device: str) -> None:
    """``DeviceUnavailable`` (one line) when torch cannot run on ``device`` here."""
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceUnavailable(
            f"device {device!r} needs a CUDA GPU and torch sees none here; use --device cpu"
        )


def make_primitives(sim: str, seed: int = 0, dtype: str = "float64", device: str = "cpu"):
    """(estimator, gradient) of simulator ``sim``; see the module docstring."""
    if sim == "fast":
        require_device(device)
        estimator = FastEstimator(dtype=dtype, device=device, seed=seed)
        return estimator, ExactEstimatorGradient(estimator)
    if sim in ("aer", "aer-gpu"):
        estimator = BlockwiseEstimator(_aer_estimator(sim == "aer-gpu", seed))
        return estimator, BatchedParamShiftGradient(estimator, options={"precision": 0.0})
    if sim == "reference":
        from qiskit.primitives import StatevectorEstimator
        from qiskit_machine_learning.gradients import ParamShiftEstimatorGradient

        estimator = BlockwiseEstimator(StatevectorEstimator(seed=seed))
        return estimator, ParamShiftEstimatorGradient(estimator)
    raise ValueError(f"unknown simulator {sim!r}; choose one of {', '.join(SIMULATORS)}")


def _aer_estimator(gpu: bool, seed: int):
    from qiskit_aer import AerSimulator
    from qiskit_aer.primitives import EstimatorV2 as AerEstimator

    backend_options = {"method": "statevector"}
    if gpu:
        devices = AerSimulator().available_devices()
        if "GPU" not in devices:
            raise DeviceUnavailable(
                f"sim 'aer-gpu' needs qiskit-aer-gpu and a CUDA GPU (Aer sees {devices}); "
                "install it with: pip uninstall -y qiskit-aer && pip install -e '.[gpu]'"
            )
        backend_options["device"] = "GPU"
    return AerEstimator(
        options={
            "default_precision": 0.0,
            "backend_options": backend_options,
            "run_options": {"seed_simulator": seed},
        }
    )


class BatchedEstimatorQNN(EstimatorQNN):
    """``EstimatorQNN`` whose forward sends ONE pub: observables (K, 1) x parameter rows (B,).

    The library sends one pub per observable, all with the same circuit and values; each pub is
    coerced (about 1 ms for a 700-parameter circuit) and, on most estimators, simulated again.
    V2 broadcasting expresses the same request as one pub, with identical results (B, K).
    """

    def _forward(self, input_data: np.ndarray | None, weights: np.ndarray | None) -> np.ndarray:
        values, _ = self._preprocess_forward(input_data, weights)
        observables = [[op] for op in self._observables]  # (K, 1) against rows (B,)
        job = self.estimator.run(
            [(self._circuit, observables, values)], precision=self._default_precision
        )
        return np.asarray(job.result()[0].data.evs).T  # (B, K)


def build_qnn(ansatz: Ansatz, sim: str = "fast", seed: int = 0, **engine) -> EstimatorQNN:
    """An exact ``EstimatorQNN`` of ``ansatz`` (inputs first, then weights) on simulator ``sim``."""
    estimator, gradient = make_primitives(sim, seed, **engine)
    return BatchedEstimatorQNN(
        circuit=ansatz.circuit,
        estimator=estimator,
        observables=list(ansatz.observables),
        input_params=list(ansatz.inputs),
        weight_params=list(ansatz.weights),
        gradient=gradient,
        input_gradients=True,
        default_precision=0.0,  # the library default 1/64 would add noise to every value
    )


class QuantumLayer(TorchConnector):
    """``TorchConnector`` whose backward is one vector-Jacobian product when it can be.

    ``TorchConnector`` asks the network for full Jacobians (B, K, P) and contracts them with the
    upstream gradient; with an ``ExactEstimatorGradient`` the contraction is done inside the
    adjoint pass instead (one co-state, not K). Other gradients take TorchConnector's path.
    Either way it answers as ``TorchConnector`` does: inputs (B, N) give (B, K), one unbatched
    input (N,) gives (K,), no input (a network without inputs) gives (K,), in float32 (the
    weights' dtype; after ``.double()`` the VJP path answers in float64).
    """

    def __init__(
        self, qnn: EstimatorQNN, initial_weights: np.ndarray | None = None, vjp: bool = True
    ):
        super().__init__(qnn, initial_weights=initial_weights)
        self.use_vjp = vjp and isinstance(qnn.gradient, ExactEstimatorGradient)
        # wall seconds spent in the quantum forward and (VJP path) backward, for benchmarks
        self.timing = {"forward": 0.0, "backward": 0.0}

    def forward(self, input_data: torch.Tensor | None = None) -> torch.Tensor:
        start = time.perf_counter()
        if input_data is None:
            input_data = torch.zeros(0)  # TorchConnector's convention for no inputs
        n = self.neural_network.num_inputs
        if input_data.ndim not in (1, 2) or input_data.shape[-1] != n:
            raise ValueError(
                f"QuantumLayer takes inputs ({n},) or (batch, {n}), got {tuple(input_data.shape)}"
            )
        if not self.use_vjp:
            out = super().forward(input_data)
        else:
            out = _VJP.apply(input_data, self.weight, self.neural_network, self.timing)
        self.timing["forward"] += time.perf_counter() - start
        return out


class _VJP(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs: torch.Tensor, weights: torch.Tensor, qnn: EstimatorQNN, timing: dict):
        x = _batched(inputs.detach().cpu().numpy())  # (B, N)
        w = weights.detach().cpu().numpy()
        out = qnn.forward(x, w)  # (B, K) through EstimatorQNN -> FastEstimator
        ctx.qnn, ctx.timing = qnn, timing
        ctx.save_for_backward(inputs, weights)
        # in the weights' dtype, whatever the input's: float32 as TorchConnector answers, unless
        # the layer was made double (``.double()``), where float64 keeps the engine's precision
        out = torch.as_tensor(out, dtype=weights.dtype)
        return (out[0] if inputs.ndim == 1 else out).to(inputs.device)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        start = time.perf_counter()
        inputs, weights = ctx.saved_tensors
        qnn = ctx.qnn
        x = _batched(inputs.detach().cpu().numpy())  # (B, N)
        cotangent = _batched(grad_output.detach().cpu().numpy())  # (B, K)
        w = np.broadcast_to(weights.detach().cpu().numpy(), (len(x), qnn.num_weights))
        values = np.concatenate([x, w], axis=1)  # EstimatorQNN's order: inputs, then weights
        # qnn._circuit is EstimatorQNN's reparameterized circuit (inputs[i], weights[j]): the one
        # the estimator already compiled, and whose parameter order matches ``values``.
        _, grad = qnn.gradient.vjp(qnn._circuit, qnn._observables, values, cotangent)
        grad = torch.as_tensor(grad, dtype=inputs.dtype, device=inputs.device)
        grad_x = (
            grad[:, : qnn.num_inputs].reshape(inputs.shape) if ctx.needs_input_grad[0] else None
        )
        grad_w = grad[:, qnn.num_inputs :].sum(0) if ctx.needs_input_grad[1] else None
        ctx.timing["backward"] += time.perf_counter() - start
        return grad_x, grad_w, None, None


def _batched(array: np.ndarray) -> np.ndarray:
    """(N,) -> (1, N): one unbatched sample as a batch of one; (B, N) as it is."""
    return array.reshape(1, -1) if array.ndim == 1 else array


def quantum_generator(cfg: QuantumConfig) -> QuantumLayer:
    """The HybridQ quantum generator (n_sub x n_qubits inputs -> as many <Z>) as a torch layer.

    Weights start uniform in [0, 1), as in MosaiQ's and PennyLane's patch-QGAN code, seeded.
    """
    ansatz = generator_circuit(cfg.n_sub, cfg.n_qubits, cfg.n_layers, kind=cfg.kind)
    engine = {"dtype": cfg.dtype, "device": cfg.device} if cfg.sim == "fast" else {}
    qnn = build_qnn(ansatz, cfg.sim, cfg.seed, **engine)
    weights = np.random.default_rng(cfg.seed).uniform(0.0, 1.0, qnn.num_weights)
    return QuantumLayer(qnn, initial_weights=weights)
