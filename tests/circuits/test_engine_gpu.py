"""The engine on CUDA agrees with the CPU engine (run with `pytest -m gpu` on a GPU machine)."""

import numpy as np
import pytest
import torch

from circuits.ansatz import generator_circuit
from circuits.engine import Engine
from circuits.gradients import as_observable

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_cuda_matches_cpu(dtype):
    ansatz = generator_circuit(n_sub=3, n_qubits=6, n_layers=3)
    params = list(ansatz.inputs) + list(ansatz.weights)
    obs = [as_observable(o) for o in ansatz.observables]
    rng = np.random.default_rng(0)
    values = rng.uniform(-np.pi, np.pi, (8, len(params)))
    cot = rng.normal(size=(8, len(obs)))
    cpu = Engine(ansatz.circuit, params, dtype=dtype)
    gpu = Engine(ansatz.circuit, params, dtype=dtype, device="cuda")
    tol = 1e-10 if dtype == torch.float64 else 1e-4
    for a, b in zip(cpu.vjp(values, obs, cot), gpu.vjp(values, obs, cot), strict=True):
        np.testing.assert_allclose(a, b, atol=tol)
    np.testing.assert_allclose(cpu.jacobian(values, obs)[1], gpu.jacobian(values, obs)[1], atol=tol)
