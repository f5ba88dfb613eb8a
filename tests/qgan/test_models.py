"""HybridQ networks (qgan/models.py) and their training objectives (qgan/losses.py).

Oracles: parameter counts by hand arithmetic (the DCGAN discriminator's 2,765,568 is the figure
of the PyTorch DCGAN tutorial, and with its generator's 3,576,704 gives the paper's "6.3M");
gradient flow checked parameter by parameter, down to which decoder units can get none (those
no sample activates); one Adam step against the loss it should lower.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from qgan.losses import discriminator_objective, generator_objective
from qgan.models import (
    LR_CLASSICAL,
    LR_DISCRIMINATOR,
    LR_QUANTUM,
    Decoder,
    Discriminator,
    Encoder,
    HybridQGenerator,
    ModelConfig,
    build_hybridq,
    count_parameters,
    dcgan_sides,
    init_output_bias,
    param_groups,
    parameter_counts,
)
from qgan.noise import AdaptiveNoise
from qgan.quantum import QuantumConfig

SMALL_Q = QuantumConfig(n_sub=2, n_qubits=3, n_layers=2)  # 6 inputs, 12 weights, 6 outputs
BATCH = 8


def _small(wiring: str = "latent-match", seed: int = 0, **fields) -> ModelConfig:
    quantum = QuantumConfig(n_sub=2, n_qubits=3, n_layers=2, seed=seed)
    return ModelConfig(
        latent_dim=6, ndf=8, encoder_wiring=wiring, seed=seed, quantum=quantum, **fields
    )


def _batch(seed: int = 0, dim: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    """Smooth random 'real' images (B, 3, 64, 64) in [-1, 1] and noise angles (B, dim)."""
    gen = torch.Generator().manual_seed(seed)
    coarse = torch.rand(BATCH, 3, 8, 8, generator=gen) * 2 - 1
    real = nn.functional.interpolate(coarse, size=64, mode="bilinear")
    return real, AdaptiveNoise().sample(BATCH, dim, gen)


def _objectives(cfg, generator, encoder, discriminator, real, noise):
    """(L_D, generator-side losses) of one step, one quantum forward, as a training loop does."""
    fake_latent = generator.latent(noise)
    fake = generator.decoder(fake_latent)
    d_loss = discriminator_objective(discriminator, real, fake)
    g = generator_objective(cfg, discriminator, generator.decoder, encoder, real, fake_latent, fake)
    return d_loss, g


def _named(**parts: nn.Module | None) -> dict[str, nn.Parameter]:
    return {
        f"{part}.{name}": p
        for part, module in parts.items()
        if module is not None
        for name, p in module.named_parameters()
    }


def _without_gradient(params: dict[str, nn.Parameter]) -> list[str]:
    """Names of parameters whose gradient is missing or zero everywhere; raises on NaN/inf."""
    for name, p in params.items():
        assert p.grad is None or p.grad.isfinite().all(), name
    return [n for n, p in params.items() if p.grad is None or not p.grad.any()]


# ---------------------------------------------------------------- sizes and shapes
def test_full_config_parameter_counts_match_the_paper() -> None:
    generator, encoder, discriminator = build_hybridq(ModelConfig())
    counts = parameter_counts(generator, encoder, discriminator)
    print("HybridQ parameters:", counts)
    assert counts == {
        "encoder": (3 * 4 * 4 * 4 + 4) + 4 * 16 * 16 * 100,  # conv 4x4/4, fc 1024->100 (no bias)
        "quantum": 10 * 10 * 6,  # one RY per qubit and layer
        "decoder": (100 * 2 * 64 * 64 + 2 * 64 * 64) + (2 * 3 * 3 * 3 + 3),  # fc, conv 3x3
        "discriminator": 2_765_568,  # DCGAN, ndf 64, no biases
        "total": 3_696_213,
    }
    # The paper's "3.7M": within 0.05M, i.e. it rounds to 3.7M.
    assert abs(counts["total"] - 3.7e6) < 0.05e6
    dcgan_generator = 3_576_704  # the tutorial's 64x64 generator; + D = 6.34M, the paper's 6.3M
    assert round((dcgan_generator + counts["discriminator"]) / 1e6, 1) == 6.3


def test_full_config_shapes_and_ranges() -> None:
    generator, encoder, discriminator = build_hybridq(ModelConfig())
    real, noise = _batch(dim=100)
    with torch.no_grad():
        fake = generator(noise[:2])
        latent = encoder(real)
        logits = discriminator(torch.cat([fake, real[:2]]))
    assert fake.shape == (2, 3, 64, 64) and fake.dtype == torch.float32
    assert fake.abs().max() <= 1
    assert latent.shape == (BATCH, 100)  # standardized per coordinate over the batch
    torch.testing.assert_close(latent.mean(0), torch.zeros(100), atol=1e-5, rtol=0)
    # BatchNorm's eps = 1e-5 in var / (var + eps) keeps a tiny spread just under 1
    torch.testing.assert_close(latent.var(0, unbiased=False), torch.ones(100), atol=0.02, rtol=0)
    assert logits.shape == (4,)


def test_latent_norm_off_keeps_the_bounded_latents() -> None:
    generator, encoder, _ = build_hybridq(_small(latent_norm=False))
    real, noise = _batch()
    with torch.no_grad():
        assert encoder(real).abs().max() < 1  # tanh
        torch.testing.assert_close(generator.latent(noise), generator.quantum(noise).float())


def test_latent_norm_spreads_the_quantum_outputs() -> None:
    """<Z> barely moves with noise in [0, pi/8); standardized, each coordinate has unit spread."""
    generator, _, _ = build_hybridq(_small())
    noise = torch.rand(32, 6, generator=torch.Generator().manual_seed(1)) * torch.pi / 8
    with torch.no_grad():
        raw, latent = generator.quantum(noise), generator.latent(noise)
    assert raw.std(0).max() < 0.2  # the raw spread is small ...
    torch.testing.assert_close(latent.std(0, unbiased=False), torch.ones(6), atol=0.02, rtol=0)
    generator.eval()  # ... inference uses the running statistics, kept in the state dict
    assert {"norm.running_mean", "norm.running_var"} <= set(generator.state_dict())


@pytest.mark.parametrize(("channels", "stride"), [(4, 4), (1, 2), (8, 1)])
def test_encoder_geometry(channels: int, stride: int) -> None:
    encoder = Encoder(6, 3, channels, stride)
    side = {4: 16, 2: 32, 1: 63}[stride]
    assert encoder.fc.in_features == channels * side * side
    assert encoder(torch.zeros(2, 3, 64, 64)).shape == (2, 6)


def test_decoder_and_discriminator_small() -> None:
    decoder, discriminator = Decoder(6, 3, 2), Discriminator(3, ndf=8)
    image = decoder(torch.rand(5, 6) * 2 - 1)
    assert image.shape == (5, 3, 64, 64) and image.abs().max() <= 1
    assert discriminator(image).shape == (5,)


@pytest.mark.parametrize(
    ("size", "sides"), [(64, [64, 32, 16, 8, 4]), (32, [32, 16, 8, 4]), (28, [28, 14, 7])]
)
def test_dcgan_sides_halve_down_to_the_last_feature_map(size: int, sides: list[int]) -> None:
    assert dcgan_sides(size) == sides
    discriminator = Discriminator(1, ndf=8, image_size=size)
    assert discriminator(torch.zeros(2, 1, size, size)).shape == (2,)
    decoder = Decoder(6, 1, 2, image_size=size)
    assert decoder(torch.zeros(2, 6)).shape == (2, 1, size, size)
    encoder = Encoder(6, 1, 4, 4, image_size=size)
    assert encoder(torch.zeros(3, 1, size, size)).shape == (3, 6)


@pytest.mark.parametrize("size", [7, 9, 50, 36])
def test_sizes_a_dcgan_cannot_take_are_refused(size: int) -> None:
    with pytest.raises(ValueError, match="--image-size 64, 32 or 28"):
        ModelConfig(image_size=size)


def test_digit_config_keeps_the_quantum_side_and_shrinks_the_classical_one() -> None:
    generator, encoder, discriminator = build_hybridq(ModelConfig(image_channels=1, image_size=28))
    counts = parameter_counts(generator, encoder, discriminator)
    # decoder fc 100 -> 2 x 28 x 28 (+ bias) and conv 2 -> 1 (3x3 + bias); the quantum side as is
    assert counts["quantum"] == 600
    assert counts["decoder"] == 100 * 1568 + 1568 + 2 * 9 + 1
    assert counts["discriminator"] == 64 * 16 + 128 * 64 * 16 + 2 * 128 + 128 * 49


def test_data_mean_bias_init_starts_the_output_at_the_mean_colour() -> None:
    """Oracle: a zero latent gives fc(0) = 0 -> conv(0) = bias, so the image is tanh(bias)."""
    levels = torch.tensor([-0.9, 0.3, 0.99])  # the last is clamped to 0.95
    images = levels.view(1, 3, 1, 1).expand(4, 3, 8, 8)
    decoder = Decoder(6, 3, 2, image_size=8)
    init_output_bias(decoder, images)
    image = decoder(torch.zeros(1, 6))
    assert torch.allclose(image[0, :, 3, 3], torch.tensor([-0.9, 0.3, 0.95]), atol=1e-6)
    assert torch.allclose(image, image[:, :, :1, :1].expand_as(image))  # flat: the mean colour


def test_discriminator_dcgan_init() -> None:
    discriminator = Discriminator()
    convs = [m for m in discriminator.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in discriminator.modules() if isinstance(m, nn.BatchNorm2d)]
    weights = torch.cat([m.weight.flatten() for m in convs])
    assert len(convs) == 5 and all(m.bias is None for m in convs)
    assert weights.mean().abs() < 1e-3 and weights.std().item() == pytest.approx(0.02, rel=0.02)
    gammas = torch.cat([m.weight for m in norms])
    assert gammas.mean().item() == pytest.approx(1, abs=0.005)
    assert gammas.std().item() == pytest.approx(0.02, rel=0.1)
    assert all(not m.bias.any() for m in norms)


def test_build_is_seeded_and_leaves_the_global_rng_alone() -> None:
    state = torch.random.get_rng_state()
    a, b = build_hybridq(_small()), build_hybridq(_small())
    assert torch.equal(torch.random.get_rng_state(), state)
    for x, y in zip(a, b, strict=True):
        for (name, p), q in zip(x.state_dict().items(), y.state_dict().values(), strict=True):
            assert torch.equal(p, q), name
    other = build_hybridq(_small(seed=1))[0]
    assert not torch.equal(a[0].decoder.fc.weight, other.decoder.fc.weight)


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="encoder_wiring"):
        ModelConfig(encoder_wiring="encoder-first")
    with pytest.raises(ValueError, match="n_sub \\* n_qubits = 6"):
        ModelConfig(quantum=SMALL_Q)  # latent_dim 100
    assert ModelConfig().uses_encoder and not _small("decoder-only").uses_encoder


def test_count_parameters() -> None:
    layer = nn.Linear(3, 2)
    layer.bias.requires_grad_(False)
    assert count_parameters(layer) == 6 and count_parameters(layer, trainable_only=False) == 8
    assert count_parameters(None) == 0


# ---------------------------------------------------------------- gradient flow
def _assert_decoder_fc_gradient_where_units_fire(generator, encoder, noise, real) -> None:
    """decoder.fc gets gradient exactly on the units some decoded latent activates (ReLU).

    The decoder learns from the latents it decodes with a gradient: the encoded real ones
    (reconstruction) when there is an encoder, whose wiring's default gives the decoder no
    share of the adversarial gradient; the quantum ones otherwise.
    """
    with torch.no_grad():
        latents = [generator.latent(noise)] if encoder is None else [encoder(real)]
        active = (generator.decoder.fc(torch.cat(latents)) > 0).any(0)  # (C * 64 * 64,)
    fc = generator.decoder.fc
    assert torch.equal(fc.bias.grad != 0, active)
    assert torch.equal((fc.weight.grad != 0).any(1), active)
    assert active.float().mean() > 0.5


def test_latent_match_trains_every_parameter() -> None:
    cfg = _small("latent-match")
    generator, encoder, discriminator = build_hybridq(cfg)
    real, noise = _batch()
    d_loss, g = _objectives(cfg, generator, encoder, discriminator, real, noise)
    d_loss.backward()
    d_params = _named(discriminator=discriminator)
    assert _without_gradient(d_params) == []
    for p in d_params.values():
        assert p.grad.all(), "every discriminator weight, element by element"
        p.grad = None  # the generator objective reaches D too; look only at the G side below
    g.total.backward()
    g_params = _named(quantum=generator.quantum, decoder=generator.decoder, encoder=encoder)
    assert _without_gradient(g_params) == []
    for name, p in g_params.items():
        if not name.startswith("decoder.fc"):
            assert p.grad.all(), name  # the quantum weights included: none is left untrained
    assert generator.quantum.weight.grad.shape == (12,)
    _assert_decoder_fc_gradient_where_units_fire(generator, encoder, noise, real)


@pytest.mark.parametrize(
    ("term", "weight", "trained"),
    [
        ("adversarial", 0.0, {"quantum"}),  # the default: the decoder gets no share of L_adv
        ("adversarial", 0.5, {"quantum", "decoder"}),
        ("latent", 0.0, {"quantum"}),  # the encoded latents are a stop-gradient target
        ("reconstruction", 0.0, {"decoder", "encoder"}),
    ],
)
def test_latent_match_terms_reach_their_parts(term: str, weight: float, trained: set[str]) -> None:
    cfg = _small("latent-match", decoder_adversarial_weight=weight)
    generator, encoder, discriminator = build_hybridq(cfg)
    _, g = _objectives(cfg, generator, encoder, discriminator, *_batch())
    getattr(g, term).backward()
    parts = {"quantum": generator.quantum, "decoder": generator.decoder, "encoder": encoder}
    got = {part for part, m in parts.items() if not _without_gradient(_named(x=m))}
    assert got == trained


def test_decoder_only_trains_quantum_decoder_and_discriminator_only() -> None:
    cfg = _small("decoder-only")
    generator, encoder, discriminator = build_hybridq(cfg)
    assert encoder is None
    stray = Encoder(6, 3, 4, 4)  # an encoder handed in anyway gets nothing
    real, noise = _batch()
    d_loss, g = _objectives(cfg, generator, stray, discriminator, real, noise)
    assert g.latent.item() == 0 and g.reconstruction.item() == 0
    assert torch.equal(g.total, g.adversarial)
    (d_loss + g.total).backward()
    trained = _named(quantum=generator.quantum, decoder=generator.decoder, disc=discriminator)
    assert _without_gradient(trained) == []
    assert generator.quantum.weight.grad.all()
    assert _without_gradient(_named(encoder=stray)) == list(_named(encoder=stray))
    _assert_decoder_fc_gradient_where_units_fire(generator, None, noise, real)


class _DetachedQuantum(nn.Module):
    """MosaiQ's public code: the circuit output is detached, so its weights never train."""

    def __init__(self, quantum: nn.Module):
        super().__init__()
        self.inner = quantum

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x).detach()


def test_gradient_check_catches_a_detached_circuit() -> None:
    cfg = _small("latent-match")
    generator, encoder, discriminator = build_hybridq(cfg)
    broken = HybridQGenerator(_DetachedQuantum(generator.quantum), generator.decoder)
    _, g = _objectives(cfg, broken, encoder, discriminator, *_batch())
    g.total.backward()
    assert _without_gradient(_named(quantum=broken.quantum)) == ["quantum.inner.weight"]


# ---------------------------------------------------------------- optimisation
def test_param_groups_cover_every_parameter_once_with_the_paper_lrs() -> None:
    generator, encoder, discriminator = build_hybridq(_small())
    groups = param_groups(generator, encoder, discriminator)
    lrs = {g["name"]: g["lr"] for side in groups.values() for g in side}
    assert lrs == {
        "quantum": 0.3,
        "decoder": 2e-4,
        "encoder": 2e-4,
        "discriminator": 2e-3,
    }
    assert (LR_QUANTUM, LR_CLASSICAL, LR_DISCRIMINATOR) == (0.3, 2e-4, 2e-3)
    grouped = [id(p) for side in groups.values() for g in side for p in g["params"]]
    everything = [generator, encoder, discriminator]
    assert sorted(grouped) == sorted(id(p) for m in everything for p in m.parameters())
    assert [g["params"] for g in groups["generator"]][0] == [generator.quantum.weight]
    no_encoder = param_groups(*build_hybridq(_small("decoder-only")))
    assert [g["name"] for g in no_encoder["generator"]] == ["quantum", "decoder"]


def _adam_step(groups: list[dict], loss_fn) -> tuple[float, float]:
    """(loss before, loss after) one Adam step (DCGAN's betas) on ``groups``."""
    optimizer = torch.optim.Adam(groups, betas=(0.5, 0.999))
    loss = loss_fn()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        return loss.item(), loss_fn().item()


@pytest.mark.parametrize("wiring", ["latent-match", "decoder-only"])
def test_one_step_with_the_paper_lrs_lowers_both_objectives(wiring: str) -> None:
    cfg = _small(wiring)
    generator, encoder, discriminator = build_hybridq(cfg)
    real, noise = _batch()
    groups = param_groups(generator, encoder, discriminator)
    before, after = _adam_step(
        groups["discriminator"],
        lambda: _objectives(cfg, generator, encoder, discriminator, real, noise)[0],
    )
    assert after < before
    before, after = _adam_step(
        groups["generator"],
        lambda: _objectives(cfg, generator, encoder, discriminator, real, noise)[1].total,
    )
    assert after < before


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    ("part", "term"),
    [
        ("quantum", "total"),
        ("decoder", "reconstruction"),  # the default gives it no share of L_adv's gradient
        ("encoder", "reconstruction"),  # the encoder only answers to L_rec (latents: sg target)
        ("discriminator", "d_loss"),
    ],
)
def test_each_group_descends_its_loss(part: str, term: str, seed: int) -> None:
    """Each group's own step lowers its loss, lr scaled down so that first order rules."""
    cfg = _small("latent-match", seed)
    generator, encoder, discriminator = build_hybridq(cfg)
    real, noise = _batch(seed)
    groups = param_groups(
        generator,
        encoder,
        discriminator,
        lr_quantum=LR_QUANTUM / 100,  # the paper's 0.3 rad first step can overshoot
        lr_classical=LR_CLASSICAL / 10,
        lr_discriminator=LR_DISCRIMINATOR / 100,
    )
    group = [g for side in groups.values() for g in side if g["name"] == part]

    def loss() -> torch.Tensor:
        d_loss, g = _objectives(cfg, generator, encoder, discriminator, real, noise)
        return d_loss if term == "d_loss" else getattr(g, term)

    before, after = _adam_step(group, loss)
    assert after < before
    assert math.isfinite(after)


def test_both_wirings_start_from_the_same_weights() -> None:
    a, _, da = build_hybridq(_small("latent-match"))
    b, _, db = build_hybridq(_small("decoder-only"))
    for x, y in [(a.decoder, b.decoder), (da, db), (a.quantum, b.quantum)]:
        for p, q in zip(x.state_dict().values(), y.state_dict().values(), strict=True):
            assert torch.equal(p, q)
