"""HybridQ's generator-side losses (qgan/models/losses.py) against direct formulas: MMD^2 by
explicit double sums and for two single points, and the per-wiring composition."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from qgan.models.config import ModelConfig, QuantumConfig
from qgan.models.decoders import PaperDecoder
from qgan.models.losses import (
    GeneratorLosses,
    autoencoder_loss,
    covariance_gap,
    generator_objective,
    latent_loss,
    mmd2,
    reconstruction_loss,
    scaled_gradient_call,
)
from qgan.models.networks import Discriminator, Encoder
from qgan.models.objectives import bce_g_loss

BANDWIDTHS = (0.1, 0.5, 1.0)


def _cfg(wiring: str) -> ModelConfig:
    quantum = QuantumConfig(n_sub=2, n_qubits=3, n_layers=2)
    return ModelConfig(latent_dim=6, encoder_wiring=wiring, quantum=quantum)


def _mmd2_by_loops(x: torch.Tensor, y: torch.Tensor) -> float:
    d = x.shape[1]

    def k(a, b):
        return sum(math.exp(-float((a - b).square().sum()) / (2 * d * s * s)) for s in BANDWIDTHS)

    def mean_k(u, v):
        return sum(k(a, b) for a in u for b in v) / (len(u) * len(v) * len(BANDWIDTHS))

    return mean_k(x, x) + mean_k(y, y) - 2 * mean_k(x, y)


def test_reconstruction_loss_is_mean_squared_error() -> None:
    a, b = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(reconstruction_loss(a, b), ((a - b) ** 2).mean())


def test_mmd2_matches_explicit_sums() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(5, 6, generator=gen, dtype=torch.float64) * 2 - 1
    y = torch.rand(4, 6, generator=gen, dtype=torch.float64) * 0.5
    assert mmd2(x, y, BANDWIDTHS).item() == pytest.approx(_mmd2_by_loops(x, y), rel=1e-12)


def test_mmd2_of_two_points_and_of_equal_samples() -> None:
    a, b = torch.zeros(1, 4), torch.full((1, 4), 0.5)  # squared distance per coordinate 0.25
    want = 2 - 2 * sum(math.exp(-0.25 / (2 * s * s)) for s in BANDWIDTHS) / len(BANDWIDTHS)
    assert mmd2(a, b, BANDWIDTHS).item() == pytest.approx(want, rel=1e-6)
    x = torch.rand(6, 4)
    assert mmd2(x, x.clone(), BANDWIDTHS).abs().item() < 1e-6


def test_mmd2_gradient_is_finite_at_coincident_points() -> None:
    x = torch.zeros(3, 4, requires_grad=True)  # every pairwise distance 0
    mmd2(x, torch.rand(3, 4), BANDWIDTHS).backward()
    assert x.grad.isfinite().all()


def test_latent_loss_per_wiring() -> None:
    fake = torch.rand(4, 6, requires_grad=True)
    real = torch.rand(4, 6, requires_grad=True)
    cfg = dataclasses.replace(_cfg("latent-match"), latent_two_sided=True, covariance_weight=0.5)
    lat = latent_loss(cfg, fake, real)
    want = mmd2(fake, real, cfg.mmd_bandwidths) + cfg.covariance_weight * covariance_gap(fake, real)
    torch.testing.assert_close(lat, want)
    lat.backward()
    assert fake.grad.any() and real.grad.any()  # two-sided: the encoder follows the prior too
    fake.grad = real.grad = None
    lat = latent_loss(_cfg("latent-match"), fake, real)  # the defaults
    torch.testing.assert_close(lat, mmd2(fake, real, cfg.mmd_bandwidths))
    lat.backward()
    assert fake.grad.any() and real.grad is None  # the encoded latents as a stop-gradient target
    with pytest.raises(ValueError, match="encoded real latents"):
        latent_loss(_cfg("latent-match"), fake, None)
    assert latent_loss(_cfg("decoder-only"), fake, None).item() == 0


def test_autoencoder_loss_per_wiring() -> None:
    encoder, decoder = Encoder(6, 3, 4, 4), PaperDecoder(6, 3, 2, 64)
    real = torch.rand(2, 3, 64, 64) * 2 - 1
    rec, latent = autoencoder_loss(_cfg("latent-match"), encoder, decoder, real)
    assert latent.shape == (2, 6)
    torch.testing.assert_close(rec, ((decoder(encoder(real)) - real) ** 2).mean())
    rec, latent = autoencoder_loss(_cfg("decoder-only"), encoder, decoder, real)
    assert rec.item() == 0 and latent is None
    with pytest.raises(ValueError, match="needs an encoder"):
        autoencoder_loss(_cfg("latent-match"), None, decoder, real)


def test_generator_losses_as_floats() -> None:
    t = torch.tensor
    losses = GeneratorLosses(total=t(3.0), adversarial=t(1.0), latent=t(0.5), reconstruction=t(1.5))
    assert losses.as_floats() == {
        "total": 3.0,
        "adversarial": 1.0,
        "latent": 0.5,
        "reconstruction": 1.5,
    }


@pytest.mark.parametrize("weight", [0.0, 0.25, 1.0])
def test_scaled_gradient_call_scales_parameter_gradients_only(weight: float) -> None:
    decoder = PaperDecoder(6, 3, 2, 64)
    latent = torch.randn(3, 6, requires_grad=True)
    target = torch.rand(3, 3, 64, 64)
    plain = ((decoder(latent) - target) ** 2).sum()
    grads = torch.autograd.grad(plain, [latent, *decoder.parameters()])
    scaled = ((scaled_gradient_call(decoder, weight, latent) - target) ** 2).sum()
    torch.testing.assert_close(scaled, plain)  # the same value
    got = torch.autograd.grad(scaled, [latent, *decoder.parameters()], allow_unused=True)
    torch.testing.assert_close(got[0], grads[0])  # the input's gradient is untouched
    for g, want in zip(got[1:], grads[1:], strict=True):
        torch.testing.assert_close(torch.zeros_like(want) if g is None else g, weight * want)


def test_decoder_adversarial_weight_zero_leaves_the_decoder_to_reconstruction() -> None:
    """Weight 0: the decoder learns from reconstruction alone; the latents' gradient is kept."""
    torch.manual_seed(0)
    cfg = dataclasses.replace(_cfg("latent-match"), decoder_adversarial_weight=0.0)
    encoder, decoder = Encoder(6, 3, 4, 4), PaperDecoder(6, 3, 2, 64)
    disc = Discriminator(3, ndf=8)

    def adversarial(images):
        return bce_g_loss(disc(images))

    real = torch.rand(4, 3, 64, 64) * 2 - 1
    fake_latent = torch.randn(4, 6, requires_grad=True)
    losses = generator_objective(
        cfg, adversarial, decoder, encoder, real, fake_latent, decoder(fake_latent)
    )
    got = torch.autograd.grad(losses.total, [fake_latent, *decoder.parameters()])
    rec = autoencoder_loss(cfg, encoder, decoder, real)[0]
    for g, want in zip(got[1:], torch.autograd.grad(rec, list(decoder.parameters())), strict=True):
        torch.testing.assert_close(g, cfg.reconstruction_weight * want)
    full = dataclasses.replace(cfg, decoder_adversarial_weight=1.0)
    again = generator_objective(
        full, adversarial, decoder, encoder, real, fake_latent, decoder(fake_latent)
    )
    torch.testing.assert_close(again.total, losses.total)
    torch.testing.assert_close(torch.autograd.grad(again.total, fake_latent)[0], got[0])


def test_covariance_gap_against_numpy() -> None:
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(7, 3, generator=gen), torch.randn(5, 3, generator=gen) * 2 + 1
    xn, yn = x.double().numpy(), y.double().numpy()
    mean = ((xn.mean(0) - yn.mean(0)) ** 2).sum() / 3
    cov = ((np.cov(xn, rowvar=False) - np.cov(yn, rowvar=False)) ** 2).sum() / 3
    assert covariance_gap(x, y).item() == pytest.approx(mean + cov, rel=1e-5)
    assert covariance_gap(x, x).item() == 0
