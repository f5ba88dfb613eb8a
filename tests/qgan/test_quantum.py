"""The quantum generator layer: simulators agree, gradients reach every weight, it trains.

Oracles: the ``reference`` simulator (Qiskit's ``StatevectorEstimator`` per block and
qiskit-machine-learning's ``ParamShiftEstimatorGradient``) and ``aer`` for the ``fast`` layer's
values and input/weight gradients, TorchConnector's Jacobian path for the fast layer's VJP
path, the plain ``EstimatorQNN`` for ``BatchedEstimatorQNN``, and one HybridQ sub-generator
on ``StatevectorEstimator`` for the full-size (10 x 10 qubits, 6 layers) generator.
TorchConnector keeps its weights in float32, so layer-level comparisons are to ~1e-6.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from qiskit.primitives import StatevectorEstimator
from qiskit_machine_learning.neural_networks import EstimatorQNN

from circuits.ansatz import generator_circuit, hybridq_subgenerator
from qgan.models.config import SIMULATORS, QuantumConfig
from qgan.models.quantum import BatchedEstimatorQNN, make_primitives, quantum_generator

SMALL = {"n_sub": 2, "n_qubits": 3, "n_layers": 2}  # 6 inputs, 12 weights, 6 outputs
ATOL = 1e-6  # float32 weights and TorchConnector's float32 outputs


def _inputs(batch: int = 3, width: int = 6, seed: int = 0) -> torch.Tensor:
    x = np.random.default_rng(seed).uniform(-np.pi, np.pi, (batch, width))
    return torch.tensor(x, requires_grad=True)


def _value_and_grads(layer, seed: int = 1):
    """Outputs, d(sum cot*y)/dx and d(sum cot*y)/dw for a seeded upstream gradient ``cot``."""
    x = _inputs()
    layer.zero_grad()
    y = layer(x)
    cot = torch.as_tensor(np.random.default_rng(seed).normal(size=tuple(y.shape)))
    (y.double() * cot).sum().backward()
    return [t.detach().double().numpy() for t in (y, x.grad, layer.weight.grad)]


# ---------------------------------------------------------------------- simulators agree
@pytest.mark.parametrize("kind", ["hybridq", "mosaiq"])
@pytest.mark.parametrize("sim", ["aer", "reference"])
def test_fast_matches_other_simulators(sim: str, kind: str) -> None:
    fast = quantum_generator(QuantumConfig(**SMALL, kind=kind, sim="fast"))
    other = quantum_generator(QuantumConfig(**SMALL, kind=kind, sim=sim))
    assert fast.use_vjp and not other.use_vjp
    torch.testing.assert_close(fast.weight, other.weight)  # same seed, same initial weights
    for got, want in zip(_value_and_grads(fast), _value_and_grads(other), strict=True):
        np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)


def test_vjp_path_matches_jacobian_path() -> None:
    layer = quantum_generator(QuantumConfig(**SMALL))
    vjp = _value_and_grads(layer)
    layer.use_vjp = False  # TorchConnector's own backward: full Jacobians, contracted
    for got, want in zip(vjp, _value_and_grads(layer), strict=True):
        np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)


def test_vjp_can_be_turned_off() -> None:
    layer = quantum_generator(QuantumConfig(**SMALL))
    qnn = layer.neural_network
    assert not type(layer)(qnn, initial_weights=layer.weight.detach().numpy(), vjp=False).use_vjp


@pytest.mark.parametrize("kind", ["hybridq", "mosaiq"])
def test_every_weight_and_input_gets_a_gradient(kind: str) -> None:
    """The circuit output is not detached: every quantum weight and input has a gradient."""
    layer = quantum_generator(QuantumConfig(**SMALL, kind=kind))
    _, grad_x, grad_w = _value_and_grads(layer)
    assert grad_w.shape == (12,) and grad_x.shape == (3, 6)
    assert np.all(np.abs(grad_w) > 1e-6)
    assert np.all(np.abs(grad_x) > 1e-6)


def test_float32_engine_matches_float64() -> None:
    got = _value_and_grads(quantum_generator(QuantumConfig(**SMALL, dtype="float32")))
    want = _value_and_grads(quantum_generator(QuantumConfig(**SMALL)))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, atol=1e-5, rtol=0)


def test_initial_weights_are_seeded_in_unit_interval() -> None:
    first, again, other = (
        quantum_generator(QuantumConfig(**SMALL, seed=s)).weight.detach() for s in (3, 3, 4)
    )
    torch.testing.assert_close(first, again)
    assert not torch.equal(first, other)
    assert first.min() >= 0 and first.max() < 1


# ---------------------------------------------------------------------- it trains
def test_adam_lowers_the_loss() -> None:
    torch.manual_seed(0)
    layer = quantum_generator(QuantumConfig(**SMALL))
    x = _inputs(batch=4).detach()
    with torch.no_grad():  # a reachable target: the outputs of other weights
        target_layer = quantum_generator(QuantumConfig(**SMALL, seed=9))
        target = target_layer(x).double()
    optimizer = torch.optim.Adam(layer.parameters(), lr=0.1)
    before = layer.weight.detach().clone()
    losses = []
    for _ in range(15):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(layer(x).double(), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert not torch.equal(layer.weight.detach(), before)
    assert losses[-1] < 0.2 * losses[0], losses


# ---------------------------------------------------------------------- BatchedEstimatorQNN
@pytest.mark.parametrize("sim", ["fast", "reference"])
def test_batched_qnn_forward_equals_plain_qnn(sim: str) -> None:
    ans = generator_circuit(**SMALL)
    estimator, gradient = make_primitives(sim)
    calls: list[int] = []
    run = estimator.run

    def spy(pubs, **kwargs):
        pubs = list(pubs)
        calls.append(len(pubs))
        return run(pubs, **kwargs)

    estimator.run = spy
    kwargs = {
        "circuit": ans.circuit,
        "estimator": estimator,
        "observables": list(ans.observables),
        "input_params": list(ans.inputs),
        "weight_params": list(ans.weights),
        "gradient": gradient,
        "default_precision": 0.0,
    }
    rng = np.random.default_rng(5)
    x, w = rng.uniform(-np.pi, np.pi, (4, 6)), rng.uniform(-np.pi, np.pi, 12)
    batched = BatchedEstimatorQNN(**kwargs).forward(x, w)
    plain = EstimatorQNN(**kwargs).forward(x, w)
    assert batched.shape == plain.shape == (4, 6)
    np.testing.assert_allclose(batched, plain, atol=1e-12, rtol=0)
    assert calls == [1, 6]  # one pub, then one pub per observable


# ---------------------------------------------------------------------- full size
def test_default_generator_is_the_full_hybridq_size() -> None:
    start = time.perf_counter()
    layer = quantum_generator(QuantumConfig())
    assert time.perf_counter() - start < 10.0
    qnn = layer.neural_network
    assert (qnn.num_inputs, qnn.num_weights, qnn.output_shape) == (100, 600, (100,))
    x = torch.as_tensor(np.random.default_rng(0).uniform(-1, 1, (2, 100)))
    with torch.no_grad():
        y = layer(x).numpy()
    assert y.shape == (2, 100)
    # block g is a HybridQ sub-generator on inputs[10g:10g+10] and weights[60g:60g+60]
    sub = hybridq_subgenerator(10, 6)
    w = layer.weight.detach().double().numpy()
    for g in (0, 7):
        binding = dict(zip(sub.inputs, x[1, 10 * g : 10 * g + 10].numpy(), strict=True))
        binding |= dict(zip(sub.weights, w[60 * g : 60 * g + 60], strict=True))
        pub = (sub.circuit.assign_parameters(binding), list(sub.observables))
        want = StatevectorEstimator().run([pub]).result()[0].data.evs
        # the layer answers float32, as TorchConnector does (the engine itself: test_engine)
        np.testing.assert_allclose(y[1, 10 * g : 10 * g + 10], want, atol=1e-7, rtol=0)
    with torch.no_grad():
        y64 = layer.double()(x).numpy()  # float64 weights: the engine's precision comes through
    want = (
        StatevectorEstimator()
        .run([(sub.circuit.assign_parameters(binding), list(sub.observables))])
        .result()[0]
        .data.evs
    )
    np.testing.assert_allclose(y64[1, 70:80], want, atol=1e-10, rtol=0)


# ---------------------------------------------------------------------- errors
def test_unknown_simulator_names_the_choices() -> None:
    with pytest.raises(ValueError, match="nope") as info:
        make_primitives("nope")
    assert all(name in str(info.value) for name in SIMULATORS)


def test_aer_gpu_without_a_gpu_says_how_to_install_it() -> None:
    from qiskit_aer import AerSimulator

    if "GPU" in AerSimulator().available_devices():
        pytest.skip("Aer sees a GPU here")
    with pytest.raises(RuntimeError, match="aer-gpu") as info:
        make_primitives("aer-gpu")
    assert "pip install" in str(info.value) and "[gpu]" in str(info.value)


def test_cuda_device_without_cuda_is_refused() -> None:
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(RuntimeError, match="cuda"):
        quantum_generator(QuantumConfig(**SMALL, device="cuda"))


# ---------------------------------------------------------------- TorchConnector's contract
def _one_qubit_qnn(inputs: bool = True) -> EstimatorQNN:
    """The issue's network: ry(x); rx(w) on one qubit, <Z> and <X>, input gradients on."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.quantum_info import SparsePauliOp

    from circuits.estimator import FastEstimator
    from circuits.gradients import ExactEstimatorGradient

    x, w = Parameter("x"), Parameter("w")
    qc = QuantumCircuit(1)
    if inputs:
        qc.ry(x, 0)
    qc.rx(w, 0)
    estimator = FastEstimator()
    return EstimatorQNN(
        circuit=qc,
        estimator=estimator,
        observables=[SparsePauliOp("Z"), SparsePauliOp("X")],
        input_params=[x] if inputs else [],
        weight_params=[w],
        gradient=ExactEstimatorGradient(estimator),
        input_gradients=True,
        default_precision=0.0,
    )


def _run_layer(layer, x):
    """(output, input gradient, weight gradient) of sum(cot * layer(x)), cot fixed."""
    y = layer(x)
    cot = torch.linspace(-1.0, 2.0, y.numel()).reshape(y.shape)
    (y * cot).sum().backward()
    return y, (None if x is None else x.grad), layer.weight.grad


@pytest.mark.parametrize("vjp", [True, False], ids=["vjp", "jacobian"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(1,), (4, 1), None], ids=["unbatched", "batched", "no-input"])
def test_layer_answers_as_torch_connector_on_the_same_qnn(shape, dtype, vjp):
    from qiskit_machine_learning.connectors import TorchConnector

    from qgan.models.quantum import QuantumLayer

    qnn = _one_qubit_qnn(inputs=shape is not None)
    x = None if shape is None else torch.linspace(0.1, 2.0, int(np.prod(shape)), dtype=dtype)
    theirs = _run_layer(
        TorchConnector(qnn, [0.3]),
        None if x is None else x.reshape(shape).clone().requires_grad_(True),
    )
    ours = _run_layer(
        QuantumLayer(qnn, [0.3], vjp=vjp),
        None if x is None else x.reshape(shape).clone().requires_grad_(True),
    )
    for want, got in zip(theirs, ours, strict=True):
        if want is None:
            assert got is None
            continue
        assert (got.shape, got.dtype) == (want.shape, want.dtype)
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-6)
    if shape == (1,):  # the repro: one unbatched input, backward works
        layer = QuantumLayer(qnn, [0.3])
        layer(torch.rand(1)).sum().backward()
        assert layer.weight.grad.shape == (1,)


def test_layer_refuses_inputs_of_the_wrong_shape_in_one_line():
    from qgan.models.quantum import QuantumLayer

    layer = QuantumLayer(_one_qubit_qnn(), [0.3])
    for bad in (torch.rand(2, 3, 1), torch.rand(3, 2)):
        with pytest.raises(ValueError, match=r"takes inputs \(1,\) or \(batch, 1\), got"):
            layer(bad)
