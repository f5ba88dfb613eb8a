"""MosaiQ's parts and DCGAN's size, against independent oracles (each well under a second).

Oracles: numpy's SVD for the PCA, MosaiQ's public code for the 8 x 5 redistribution, central
finite differences for the quantum weights' gradient, and the parameter counts of the papers.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from circuits.ansatz import generator_circuit
from qgan.models.config import QuantumConfig
from qgan.models.dcgan import DCGANConfig, build_dcgan
from qgan.models.mosaiq import (
    MLPDiscriminator,
    MosaiQ,
    MosaiQConfig,
    MosaiQGenerator,
    build_mosaiq,
    redistribution,
)
from qgan.models.networks import count_parameters
from qgan.models.objectives import bce_g_loss
from qgan.models.pca import PCA
from qgan.training.config import TrainConfig


def _numpy_pca(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, components with our sign convention, explained variance) from numpy's SVD."""
    mean = x.mean(0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    vt = vt[:k] * np.sign(vt[np.arange(k), np.abs(vt[:k]).argmax(1)])[:, None]
    return mean, vt, s[:k] ** 2 / (len(x) - 1)


def _data(n: int = 60, d: int = 40, seed: int = 0) -> np.ndarray:
    """Samples with a decaying spectrum and an offset, like images."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * np.geomspace(3.0, 0.01, d) @ _rotation(d, rng) + 0.5


def _rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    return np.linalg.qr(rng.normal(size=(d, d)))[0]


# ------------------------------------------------------------------------------ PCA
@pytest.mark.parametrize("exact_limit", [10_000, 10], ids=["exact", "randomized"])
def test_pca_matches_numpy_svd(exact_limit):
    x = _data()
    pca = PCA.fit(torch.tensor(x), 6, seed=1, exact_limit=exact_limit)
    mean, components, variance = _numpy_pca(x, 6)
    np.testing.assert_allclose(pca.mean.numpy(), mean, atol=1e-6)
    np.testing.assert_allclose(pca.components.numpy(), components, atol=1e-5)
    np.testing.assert_allclose(pca.explained_variance.numpy(), variance, rtol=1e-5)


def test_pca_round_trip_is_the_projection_onto_the_span():
    x = _data()
    pca = PCA.fit(torch.tensor(x, dtype=torch.float32), 6)
    mean, components, _ = _numpy_pca(x, 6)
    y = np.random.default_rng(5).normal(size=(7, x.shape[1])) + 0.5  # off the span
    back = pca.inverse_transform(pca.transform(torch.tensor(y, dtype=torch.float32)))
    projection = mean + (y - mean) @ components.T @ components
    np.testing.assert_allclose(back.numpy(), projection, atol=1e-5)
    on_span = torch.tensor(projection, dtype=torch.float32)  # identity on the span
    torch.testing.assert_close(pca.inverse_transform(pca.transform(on_span)), on_span)


def test_pca_is_seeded_and_refuses_too_few_samples():
    x = torch.tensor(_data())
    a, b = (PCA.fit(x, 6, seed=3, exact_limit=10) for _ in range(2))
    assert torch.equal(a.components, b.components)
    with pytest.raises(ValueError, match="needs more than 60 samples"):
        PCA.fit(x, 60)


# ------------------------------------------------------------------------------ redistribution
def test_redistribution_is_mosaiqs_own_for_8_by_5():
    """MosaiQ's code: ``for i in range(8): k = 4 * i; l = [i, 39-k, 38-k, 37-k, 36-k]``."""
    expected = [[i, 39 - 4 * i, 38 - 4 * i, 37 - 4 * i, 36 - 4 * i] for i in range(8)]
    assert redistribution(8, 5) == expected


@pytest.mark.parametrize("n_sub, n_qubits", [(10, 10), (8, 5), (3, 1), (1, 4)])
def test_redistribution_is_a_permutation_mixing_high_and_low_variance(n_sub, n_qubits):
    order = redistribution(n_sub, n_qubits)
    flat = [c for block in order for c in block]
    assert sorted(flat) == list(range(n_sub * n_qubits))
    for g, block in enumerate(order):
        assert len(block) == n_qubits
        assert block[0] == g  # one of the n_sub highest-variance components each
        tail = block[1:]
        assert all(c >= n_sub for c in tail) and tail == sorted(tail, reverse=True)


def test_generator_puts_each_qubit_on_its_redistributed_component():
    cfg = MosaiQConfig(QuantumConfig(n_sub=3, n_qubits=2, n_layers=1, kind="mosaiq"), (1, 2, 4))
    seen = {}

    class Probe(nn.Module):  # stands in for the circuit: output column i holds the value i
        def forward(self, angles):
            seen["angles"] = angles
            return torch.arange(6.0).expand(len(angles), 6)

    generator = MosaiQGenerator(cfg, Probe())
    noise = torch.rand(2, 2)
    features = generator.features(noise)
    for g, block in enumerate(redistribution(3, 2)):
        for q, component in enumerate(block):
            assert features[0, component] == g * 2 + q
    torch.testing.assert_close(seen["angles"], noise.repeat(1, 3))  # same angles for every sub


def test_scaling_maps_the_training_coefficients_onto_minus_one_one_and_back():
    images = torch.rand(20, 1, 4, 4) * 2 - 1
    cfg = MosaiQConfig(QuantumConfig(n_sub=2, n_qubits=2, n_layers=1, kind="mosaiq"), (1, 4, 4))
    generator, _ = build_mosaiq(cfg, images)
    features = generator.real_features(images)  # (20, 4)
    assert features.min() == -1 and features.max() == 1
    pca = generator.pca
    expected = pca.inverse_transform(pca.transform(images.flatten(1))).view(-1, 1, 4, 4)
    torch.testing.assert_close(generator.to_images(features), expected.clamp(-1, 1))


# ------------------------------------------------------------------------------ gradients
def _tiny_mosaiq() -> tuple[MosaiQGenerator, MLPDiscriminator]:
    """2 sub-generators x 2 qubits x 1 layer (4 weights) on 4 PCA components, float64."""
    cfg = MosaiQConfig(QuantumConfig(n_sub=2, n_qubits=2, n_layers=1, kind="mosaiq"), (1, 4, 4))
    generator, discriminator = build_mosaiq(cfg, torch.rand(12, 1, 4, 4) * 2 - 1)
    return generator.double(), discriminator.double()


def test_quantum_weights_gradient_matches_finite_differences():
    """MosaiQ's code detaches the circuit output (weights get no gradient); ours is exact."""
    generator, discriminator = _tiny_mosaiq()
    noise = torch.rand(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    weight = generator.quantum.weight

    def loss() -> torch.Tensor:
        return bce_g_loss(discriminator(generator.features(noise)))

    loss().backward()
    grad = weight.grad.clone()
    assert grad.abs().min() > 0  # every weight learns
    h, numeric = 1e-5, torch.zeros_like(grad)
    with torch.no_grad():
        for i in range(len(weight)):
            weight[i] += h
            up = loss()
            weight[i] -= 2 * h
            numeric[i] = (up - loss()) / (2 * h)
            weight[i] += h
    torch.testing.assert_close(grad, numeric, rtol=1e-6, atol=1e-9)


def test_full_size_mosaiq_trains_every_sub_generator():
    """10 x 10 qubits, 6 layers, through the trainer's own objective: no block is frozen."""
    cfg = TrainConfig(model="mosaiq").with_model_defaults()
    images = torch.rand(101, 3, 64, 64) * 2 - 1
    gan = MosaiQ(cfg, images)
    fake = gan.generate(gan.noise.sample(4, torch.Generator().manual_seed(0)))
    gan.g_losses(gan.real_input(images[:4]), fake)["total"].backward()
    grad = gan.generator.quantum.weight.grad.view(10, 60)  # (sub-generator, its weights)
    assert (grad.abs().sum(1) > 0).all()
    assert gan.parameter_counts() == {"quantum": 600, "discriminator": 7_521, "total": 8_121}
    assert isinstance(gan.opt_g, torch.optim.SGD) and gan.opt_g.param_groups[0]["lr"] == 0.3
    assert gan.opt_d.param_groups[0]["lr"] == 0.05


# ------------------------------------------------------------------------------ sizes
def test_mosaiq_at_its_original_size_has_the_papers_3921_parameters():
    """HybridQ Sec. 4.1: "MosaiQ [18] (3921 parameters)": 8 sub-generators x 5 qubits, depth 6."""
    quantum = len(generator_circuit(8, 5, 6, kind="mosaiq").weights)
    assert quantum + count_parameters(MLPDiscriminator(40)) == 3_921


def test_dcgan_has_the_papers_6_3m_parameters_and_makes_64x64_images():
    generator, discriminator = build_dcgan(DCGANConfig())
    assert count_parameters(generator) == 3_576_704
    assert count_parameters(discriminator) == 2_765_568
    again, _ = build_dcgan(DCGANConfig())
    other, _ = build_dcgan(dataclasses.replace(DCGANConfig(), seed=1))
    weights = [m.main[0].weight for m in (generator, again, other)]
    assert torch.equal(weights[0], weights[1]) and not torch.equal(weights[0], weights[2])
    images = generator(torch.randn(2, 100))
    assert images.shape == (2, 3, 64, 64) and images.abs().max() <= 1
    assert discriminator(images).shape == (2,)
