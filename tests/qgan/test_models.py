"""HybridQ networks (qgan/models/: networks.py, decoders.py, priors.py) and their training
objectives (qgan/models/losses.py, objectives.py).

Oracles: parameter counts by hand arithmetic (the DCGAN discriminator's 2,765,568 is the figure
of the PyTorch DCGAN tutorial, and with its generator's 3,576,704 gives the paper's "6.3M");
gradient flow checked parameter by parameter under every objective, decoder and prior, down to
which paper-decoder units can get none (those no sample activates); one Adam step against the
loss it should lower.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from qgan.models.config import PRIORS, ModelConfig, QuantumConfig, dcgan_sides
from qgan.models.decoders import ConvDecoder, PaperDecoder, init_output_bias
from qgan.models.losses import generator_objective
from qgan.models.networks import (
    Discriminator,
    Encoder,
    HybridQGenerator,
    build_hybridq,
    count_parameters,
    param_groups,
    parameter_counts,
)
from qgan.models.noise import AdaptiveNoise
from qgan.models.objectives import Game
from qgan.registry import OBJECTIVES, learning_rates, objective_entry

PAPER_LRS = learning_rates("hybridq", "paper")  # lr_quantum 0.3, lr_classical 2e-4, lr_d 2e-3

SMALL_Q = QuantumConfig(n_sub=2, n_qubits=3, n_layers=2)  # 6 inputs, 12 weights, 6 outputs
BATCH = 8


def _small(wiring: str = "latent-match", seed: int = 0, **fields) -> ModelConfig:
    """6 latents (2 x 3 qubits, 2 layers), a narrow D; the paper's decoder unless ``fields``."""
    quantum = QuantumConfig(n_sub=2, n_qubits=3, n_layers=2, seed=seed)
    fields = {"decoder": "paper"} | fields
    return ModelConfig(
        latent_dim=6, ndf=8, encoder_wiring=wiring, seed=seed, quantum=quantum, **fields
    )


def _batch(seed: int = 0, dim: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    """Smooth random 'real' images (B, 3, 64, 64) in [-1, 1] and noise angles (B, dim)."""
    gen = torch.Generator().manual_seed(seed)
    coarse = torch.rand(BATCH, 3, 8, 8, generator=gen) * 2 - 1
    real = nn.functional.interpolate(coarse, size=64, mode="bilinear")
    return real, AdaptiveNoise().sample(BATCH, dim, gen)


def _objectives(cfg, generator, encoder, discriminator, real, noise, objective="paper"):
    """(D's total loss, generator-side losses) of one step, one quantum forward, as a training
    loop does, under ``objective`` (its augmentation drawn from a fixed seed)."""
    game = Game(objective_entry(objective), discriminator, torch.Generator().manual_seed(0))
    fake_latent = generator.latent(noise)
    fake = generator.decoder(fake_latent)
    d = game.d_step(real, fake.detach())
    game.generator.manual_seed(1)
    adversarial = game.g_adversarial
    g = generator_objective(cfg, adversarial, generator.decoder, encoder, real, fake_latent, fake)
    return d["total"], g


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
def test_paper_config_parameter_counts_match_the_paper() -> None:
    generator, encoder, discriminator = build_hybridq(ModelConfig(decoder="paper"))
    counts = parameter_counts(generator, encoder, discriminator)
    print("HybridQ parameters:", counts)
    assert counts == {
        "encoder": (3 * 4 * 4 * 4 + 4) + 4 * 16 * 16 * 100,  # conv 4x4/4, fc 1024->100 (no bias)
        "prior": 10 * 10 * 6,  # one RY per qubit and layer
        "decoder": (100 * 2 * 64 * 64 + 2 * 64 * 64) + (2 * 3 * 3 * 3 + 3),  # fc, conv 3x3
        "discriminator": 2_765_568,  # DCGAN, ndf 64, no biases
        "total": 3_696_213,
    }
    # The paper's "3.7M": within 0.05M, i.e. it rounds to 3.7M.
    assert abs(counts["total"] - 3.7e6) < 0.05e6
    dcgan_generator = 3_576_704  # the tutorial's 64x64 generator; + D = 6.34M, the paper's 6.3M
    assert round((dcgan_generator + counts["discriminator"]) / 1e6, 1) == 6.3


def test_conv_decoder_keeps_the_model_within_the_paper_budget() -> None:
    generator, encoder, discriminator = build_hybridq(ModelConfig())
    counts = parameter_counts(generator, encoder, discriminator)
    # fc 100 -> 128 x 4 x 4 (no bias: BatchNorm follows), 3x3 convs 128-128-64-32-16 without
    # biases, each BatchNorm 2 x channels, then the 3x3 output conv 16 -> 3 with its bias
    convs = 9 * (128 * 128 + 128 * 64 + 64 * 32 + 32 * 16)
    norms = 2 * (128 + 128 + 64 + 32 + 16)
    assert counts["decoder"] == 100 * 128 * 16 + convs + norms + (16 * 3 * 9 + 3)
    generator_side = counts["encoder"] + counts["prior"] + counts["decoder"]
    assert generator_side <= 930_000 and counts["total"] <= 3_700_000


@pytest.mark.parametrize("prior", PRIORS)
def test_priors_have_the_quantum_generators_size_or_none(prior: str) -> None:
    generator, _, _ = build_hybridq(ModelConfig(prior=prior))
    assert count_parameters(generator.prior) == {"quantum": 600, "mlp": 600, "none": 0}[prior]
    noise = AdaptiveNoise().sample(4, 100, torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert generator(noise).shape == (4, 3, 64, 64)


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
    # BatchNorm's eps = 1e-5 in var / (var + eps) keeps a spread just under 1 (0.967 for the
    # least spread coordinate here, whose raw variance is ~3e-4)
    torch.testing.assert_close(latent.var(0, unbiased=False), torch.ones(100), atol=0.05, rtol=0)
    assert logits.shape == (4,)


def test_latent_norm_off_keeps_the_bounded_latents() -> None:
    generator, encoder, _ = build_hybridq(_small(latent_norm=False))
    real, noise = _batch()
    with torch.no_grad():
        assert encoder(real).abs().max() < 1  # tanh
        torch.testing.assert_close(generator.latent(noise), generator.prior(noise).float())


def test_latent_norm_spreads_the_quantum_outputs() -> None:
    """<Z> barely moves with noise in [0, pi/8); standardized, each coordinate has unit spread."""
    generator, _, _ = build_hybridq(_small())
    noise = torch.rand(32, 6, generator=torch.Generator().manual_seed(1)) * torch.pi / 8
    with torch.no_grad():
        raw, latent = generator.prior(noise), generator.latent(noise)
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


@pytest.mark.parametrize(
    "decoder", [PaperDecoder(6, 3, 2, 64), ConvDecoder(6, 3, [4, 8, 16, 32, 64], 2)]
)
def test_decoders_and_discriminator_small(decoder: nn.Module) -> None:
    discriminator = Discriminator(3, ndf=8)
    image = decoder(torch.rand(5, 6) * 2 - 1)
    assert image.shape == (5, 3, 64, 64) and image.abs().max() <= 1
    assert discriminator(image).shape == (5,)


def test_conv_decoder_has_no_checkerboard_at_the_start() -> None:
    """Nearest upsampling + 3x3 convs: a constant latent map gives a smooth image, where a
    strided transposed convolution's uneven overlap prints a 2-pixel period (Odena et al.)."""
    torch.manual_seed(0)
    decoder = ConvDecoder(6, 3, [4, 8, 16, 32, 64], 4).eval()
    with torch.no_grad():
        image = decoder(torch.randn(1, 6))[0, :, 8:-8, 8:-8]  # away from the zero padding
    even, odd = image[:, :, 0::2], image[:, :, 1::2]
    assert (even - odd).mean(dim=(1, 2)).abs().max() < 0.2 * image.std()


@pytest.mark.parametrize(
    ("size", "sides"), [(64, [64, 32, 16, 8, 4]), (32, [32, 16, 8, 4]), (28, [28, 14, 7])]
)
def test_dcgan_sides_halve_down_to_the_last_feature_map(size: int, sides: list[int]) -> None:
    assert dcgan_sides(size) == sides
    discriminator = Discriminator(1, ndf=8, image_size=size)
    assert discriminator(torch.zeros(2, 1, size, size)).shape == (2,)
    decoder = PaperDecoder(6, 1, 2, image_size=size)
    assert decoder(torch.zeros(2, 6)).shape == (2, 1, size, size)
    conv = ConvDecoder(6, 1, sides[::-1], 4)
    assert conv(torch.zeros(2, 6)).shape == (2, 1, size, size)
    encoder = Encoder(6, 1, 4, 4, image_size=size)
    assert encoder(torch.zeros(3, 1, size, size)).shape == (3, 6)


@pytest.mark.parametrize("size", [7, 9, 50, 36])
def test_sizes_a_dcgan_cannot_take_are_refused(size: int) -> None:
    with pytest.raises(ValueError, match="--image-size 64, 32 or 28"):
        ModelConfig(image_size=size)


def test_digit_config_keeps_the_quantum_side_and_shrinks_the_classical_one() -> None:
    cfg = ModelConfig(image_channels=1, image_size=28, decoder="paper")
    generator, encoder, discriminator = build_hybridq(cfg)
    counts = parameter_counts(generator, encoder, discriminator)
    # decoder fc 100 -> 2 x 28 x 28 (+ bias) and conv 2 -> 1 (3x3 + bias); the quantum side as is
    assert counts["prior"] == 600
    assert counts["decoder"] == 100 * 1568 + 1568 + 2 * 9 + 1
    assert counts["discriminator"] == 64 * 16 + 128 * 64 * 16 + 2 * 128 + 128 * 49


def test_data_mean_bias_init_starts_the_output_at_the_mean_colour() -> None:
    """Oracle: a zero latent gives fc(0) = 0 -> conv(0) = bias, so the image is tanh(bias)."""
    levels = torch.tensor([-0.9, 0.3, 0.99])  # the last is clamped to 0.95
    images = levels.view(1, 3, 1, 1).expand(4, 3, 8, 8)
    decoder = PaperDecoder(6, 3, 2, image_size=8)
    init_output_bias(decoder, images)
    image = decoder(torch.zeros(1, 6))
    assert torch.allclose(image[0, :, 3, 3], torch.tensor([-0.9, 0.3, 0.95]), atol=1e-6)
    assert torch.allclose(image, image[:, :, :1, :1].expand_as(image))  # flat: the mean colour
    conv = ConvDecoder(6, 3, [4, 8], 2)
    init_output_bias(conv, images)
    torch.testing.assert_close(conv.conv.bias, torch.atanh(torch.tensor([-0.9, 0.3, 0.95])))


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
    with pytest.raises(ValueError, match="unknown decoder .deconv.; choose one of conv, paper"):
        ModelConfig(decoder="deconv")
    with pytest.raises(ValueError, match="unknown prior .gaussian.; choose one of quantum, mlp"):
        ModelConfig(prior="gaussian")
    with pytest.raises(ValueError, match="n_sub \\* n_qubits = 6"):
        ModelConfig(quantum=SMALL_Q)  # latent_dim 100
    assert ModelConfig().uses_encoder and not _small("decoder-only").uses_encoder


def test_count_parameters() -> None:
    layer = nn.Linear(3, 2)
    layer.bias.requires_grad_(False)
    assert count_parameters(layer) == 6 and count_parameters(layer, trainable_only=False) == 8
    assert count_parameters(None) == 0


# ---------------------------------------------------------------- gradient flow
def _assert_decoder_fc_gradient_where_units_fire(generator, latents: list[torch.Tensor]) -> None:
    """The paper decoder's fc gets gradient exactly on the units some decoded latent activates
    (ReLU): ``latents`` are those it decodes with a gradient."""
    with torch.no_grad():
        active = (generator.decoder.fc(torch.cat(latents)) > 0).any(0)  # (C * 64 * 64,)
    fc = generator.decoder.fc
    assert torch.equal(fc.bias.grad != 0, active)
    assert torch.equal((fc.weight.grad != 0).any(1), active)
    assert active.float().mean() > 0.5


@pytest.mark.parametrize("objective", list(OBJECTIVES))
@pytest.mark.parametrize("decoder", ["paper", "conv"])
@pytest.mark.parametrize("prior", PRIORS)
def test_every_trainable_part_gets_gradient(objective: str, decoder: str, prior: str) -> None:
    """Under every objective, decoder and prior, D learns from its loss and every part of the
    generator side (prior, decoder, encoder) from the generator-side objective."""
    cfg = _small("latent-match", decoder=decoder, decoder_width=2, prior=prior)
    generator, encoder, discriminator = build_hybridq(cfg)
    real, noise = _batch()
    d_loss, g = _objectives(cfg, generator, encoder, discriminator, real, noise, objective)
    d_loss.backward()
    d_params = _named(discriminator=discriminator)
    assert _without_gradient(d_params) == []
    for p in d_params.values():
        p.grad = None  # the generator objective reaches D too; look only at the G side below
    g.total.backward()
    g_params = _named(prior=generator.prior, decoder=generator.decoder, encoder=encoder)
    assert _without_gradient(g_params) == []
    assert (count_parameters(generator.prior) == 0) == (prior == "none")
    for name, p in _named(prior=generator.prior, encoder=encoder).items():
        assert p.grad.all(), name  # element by element: no prior or encoder weight is left out
    if decoder == "paper":
        with torch.no_grad():
            decoded = [generator.latent(noise), encoder(real)]
        _assert_decoder_fc_gradient_where_units_fire(generator, decoded)


@pytest.mark.parametrize(
    ("term", "weight", "trained"),
    [
        ("adversarial", 1.0, {"prior", "decoder"}),  # the default: the decoder plays the game
        ("adversarial", 0.0, {"prior"}),  # the decoder learns from reconstruction only
        ("adversarial", 0.5, {"prior", "decoder"}),
        ("latent", 1.0, {"prior"}),  # the encoded latents are a stop-gradient target
        ("reconstruction", 1.0, {"decoder", "encoder"}),
    ],
)
def test_latent_match_terms_reach_their_parts(term: str, weight: float, trained: set[str]) -> None:
    cfg = _small("latent-match", decoder_adversarial_weight=weight)
    generator, encoder, discriminator = build_hybridq(cfg)
    _, g = _objectives(cfg, generator, encoder, discriminator, *_batch())
    getattr(g, term).backward()
    parts = {"prior": generator.prior, "decoder": generator.decoder, "encoder": encoder}
    got = {part for part, m in parts.items() if not _without_gradient(_named(x=m))}
    assert got == trained


def test_decoder_only_trains_prior_decoder_and_discriminator_only() -> None:
    cfg = _small("decoder-only")
    generator, encoder, discriminator = build_hybridq(cfg)
    assert encoder is None
    stray = Encoder(6, 3, 4, 4)  # an encoder handed in anyway gets nothing
    real, noise = _batch()
    d_loss, g = _objectives(cfg, generator, stray, discriminator, real, noise)
    assert g.latent.item() == 0 and g.reconstruction.item() == 0
    assert torch.equal(g.total, g.adversarial)
    (d_loss + g.total).backward()
    trained = _named(prior=generator.prior, decoder=generator.decoder, disc=discriminator)
    assert _without_gradient(trained) == []
    assert generator.prior.weight.grad.all()
    assert _without_gradient(_named(encoder=stray)) == list(_named(encoder=stray))
    with torch.no_grad():
        decoded = [generator.latent(noise)]
    _assert_decoder_fc_gradient_where_units_fire(generator, decoded)


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
    broken = HybridQGenerator(_DetachedQuantum(generator.prior), generator.decoder)
    _, g = _objectives(cfg, broken, encoder, discriminator, *_batch())
    g.total.backward()
    assert _without_gradient(_named(prior=broken.prior)) == ["prior.inner.weight"]


def test_checkpoints_that_named_the_prior_quantum_still_load() -> None:
    generator = build_hybridq(_small())[0]
    old = {k.replace("prior.", "quantum.", 1): v for k, v in generator.state_dict().items()}
    fresh = build_hybridq(_small(seed=1))[0]
    fresh.load_state_dict(old)
    torch.testing.assert_close(fresh.prior.weight, generator.prior.weight)


# ---------------------------------------------------------------- optimisation
def test_param_groups_cover_every_parameter_once() -> None:
    generator, encoder, discriminator = build_hybridq(_small())
    groups = param_groups(generator, encoder, discriminator, **PAPER_LRS)
    lrs = {g["name"]: g["lr"] for side in groups.values() for g in side}
    assert lrs == {"prior": 0.3, "decoder": 2e-4, "encoder": 2e-4, "discriminator": 2e-3}
    grouped = [id(p) for side in groups.values() for g in side for p in g["params"]]
    everything = [generator, encoder, discriminator]
    assert sorted(grouped) == sorted(id(p) for m in everything for p in m.parameters())
    assert [g["params"] for g in groups["generator"]][0] == [generator.prior.weight]
    no_encoder = param_groups(*build_hybridq(_small("decoder-only")), **PAPER_LRS)
    assert [g["name"] for g in no_encoder["generator"]] == ["prior", "decoder"]


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
    groups = param_groups(generator, encoder, discriminator, **PAPER_LRS)
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
        ("prior", "total"),
        ("decoder", "total"),
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
        lr_quantum=PAPER_LRS["lr_quantum"] / 100,  # the paper's 0.3 rad first step can overshoot
        lr_classical=PAPER_LRS["lr_classical"] / 10,
        lr_discriminator=PAPER_LRS["lr_discriminator"] / 100,
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
    for x, y in [(a.decoder, b.decoder), (da, db), (a.prior, b.prior)]:
        for p, q in zip(x.state_dict().values(), y.state_dict().values(), strict=True):
            assert torch.equal(p, q)
