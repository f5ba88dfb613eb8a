"""The HQCNN (arXiv:2505.24780): its circuit part agrees with Qiskit, its gradients with
finite differences, and it learns a tiny separable task.

Oracles: ``qiskit.quantum_info.Statevector`` expectation values of the bound circuit, central
finite differences of the loss in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit.quantum_info import Statevector

from circuits.ansatz import hqcnn_classifier
from qgan.augmentation.fit import FitConfig, fit, predict_proba
from qgan.augmentation.hqcnn import HQCNN, HQCNNConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


TINY = HQCNNConfig(n_classes=3, n_qubits=3, n_layers=2, channels=2, image_size=8, seed=1)


def _images(n: int = 4, size: int = 8, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, size, size, generator=gen, dtype=torch.float64) * 2 - 1


def test_quantum_part_matches_statevector_expectations():
    model = HQCNN(TINY).double()
    x = _images(2)
    angles = model.angles(x).detach()
    got = model.quantum(angles).detach().numpy()  # (2, 3) <Z_i>
    ansatz = hqcnn_classifier(TINY.n_qubits, TINY.n_layers)
    weights = model.quantum.weight.detach().numpy()
    for row, a in zip(got, angles.numpy(), strict=True):
        bound = ansatz.circuit.assign_parameters(
            dict(zip(ansatz.inputs, a, strict=True))
            | dict(zip(ansatz.weights, weights, strict=True))
        )
        state = Statevector(bound)
        want = [state.expectation_value(op).real for op in ansatz.observables]
        np.testing.assert_allclose(row, want, atol=1e-10)


def test_quantum_weights_get_the_finite_difference_gradient():
    model = HQCNN(TINY).double()
    x, y = _images(4), torch.tensor([0, 1, 2, 1])
    loss_fn = torch.nn.CrossEntropyLoss()
    loss_fn(model(x), y).backward()
    grad = model.quantum.weight.grad.detach().numpy().copy()
    assert np.linalg.norm(grad) > 1e-3  # the quantum weights do learn
    eps, fd = 1e-5, np.zeros_like(grad)
    with torch.no_grad():
        for j in range(len(grad)):
            values = []
            for step in (eps, -eps):
                model.quantum.weight[j] += step
                values.append(float(loss_fn(model(x), y)))
                model.quantum.weight[j] -= step
            fd[j] = (values[0] - values[1]) / (2 * eps)
    np.testing.assert_allclose(grad, fd, atol=1e-7, rtol=1e-5)
    # classical weights before the circuit get gradient through it too
    assert model.to_angles.weight.grad.abs().sum() > 0 and model.conv.weight.grad.abs().sum() > 0


def test_counts_and_shapes():
    model = HQCNN(TINY)
    counts = model.parameter_counts()
    assert counts["quantum"] == 2 * TINY.n_qubits * TINY.n_layers
    conv = 2 * 9 + 2
    assert counts["classical"] == conv + (2 * 3 * 3 * 3 + 3) + 2 * 3 + (
        3 * 3 + 3
    )  # BN: 2 per qubit
    assert model(_images(5).float()).shape == (5, 3)


def test_hqcnn_learns_a_separable_toy_task():
    # class c: bright c-th third of the image, a task even this tiny net should fit
    n = 12
    x = -torch.ones(n, 1, 8, 8)
    y = torch.arange(n) % 3
    for i in range(n):
        x[i, 0, :, int(y[i]) * 3 : int(y[i]) * 3 + 2] = 1.0
    model = HQCNN(TINY)
    losses = fit(model, x, y, FitConfig(epochs=20, batch_size=12, lr=0.05, progress=False)).losses
    assert losses[-1] < 0.6 * losses[0]
    assert (predict_proba(model, x).argmax(1) == y.numpy()).mean() >= 0.9


def _bars(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Class c: a bright c-th third of a noisy 8x8 image."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    x = -torch.ones(n, 1, 8, 8) + 0.3 * torch.rand(n, 1, 8, 8, generator=gen)
    for i in range(n):
        x[i, 0, :, int(y[i]) * 3 : int(y[i]) * 3 + 2] = 1.0
    return x, y


def test_fits_do_not_collapse_where_unbounded_angles_do():
    # lr 0.2 reproduces on a toy task what lr 0.01 does to 2 in 50 MNIST fits: the angles of the
    # plain linear map drift to tens of radians, alias on the periodic RY, accuracy ~chance
    # (seeds 0, 3, 5 collapse; seed 3 at 0.38, mean |angle| ~60). Batch-normalised angles and
    # best-validation-epoch selection keep every one of them well above chance.
    (x, y), val, (tx, ty) = _bars(48, 0), _bars(24, 1), _bars(60, 2)
    cfg = {"n_classes": 3, "n_qubits": 3, "n_layers": 2, "channels": 2, "image_size": 8}

    def trained(seed: int, angle_norm: bool) -> tuple[float, float]:
        model = HQCNN(HQCNNConfig(**cfg, seed=seed, angle_norm=angle_norm))
        fit(model, x, y, FitConfig(10, 8, 0.2, seed, False), val=val if angle_norm else None)
        with torch.no_grad():
            angle = float(model.eval().angles(tx).abs().mean())
        return float((predict_proba(model, tx).argmax(1) == ty.numpy()).mean()), angle

    accuracy, angle = trained(3, angle_norm=False)
    assert accuracy < 0.6 and angle > 10  # the positive control: the collapse is reproduced
    for seed in (0, 3, 5):
        accuracy, angle = trained(seed, angle_norm=True)
        assert accuracy >= 0.9 and angle < 5, seed


def test_best_validation_epoch_is_the_one_kept():
    (x, y), val = _bars(24, 0), _bars(12, 1)
    model = HQCNN(TINY)
    result = fit(model, x, y, FitConfig(6, 8, 0.05, 0, False), val=val)
    assert len(result.val_accuracy) == 6
    best = max(result.val_accuracy)
    assert result.best_epoch == result.val_accuracy.index(best) + 1  # the first best epoch
    assert (predict_proba(model, val[0]).argmax(1) == val[1].numpy()).mean() == best
    assert fit(HQCNN(TINY), x, y, FitConfig(2, 8, progress=False)).best_epoch is None
