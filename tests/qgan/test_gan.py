"""qgan.models.gan's precise BatchNorm statistics against a direct mean and variance, and the
trainer calling it at each epoch end."""

from __future__ import annotations

import torch
from torch import nn

from qgan.models.gan import precise_batchnorm


def test_precise_batchnorm_gives_the_exact_statistics_of_the_inputs() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.BatchNorm1d(4))
    net.eval()
    x = torch.randn(100, 3) * 3 + 1
    momentum = net[1].momentum
    precise_batchnorm(net, x, batch_size=25)  # four equal batches
    with torch.no_grad():
        h = net[0](x)
    torch.testing.assert_close(net[1].running_mean, h.mean(0))
    # each batch's unbiased variance, averaged: what BatchNorm accumulates per batch
    want = torch.stack([b.var(0) for b in h.split(25)]).mean(0)
    torch.testing.assert_close(net[1].running_var, want)
    assert not net.training and net[1].momentum == momentum  # mode and momentum restored


def test_precise_batchnorm_fixes_statistics_that_trail_moving_weights() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    x = torch.randn(512, 2)
    net(x)  # running statistics of these weights ...
    with torch.no_grad():
        net[0].bias += 5.0  # ... then the weights move
    net.eval()
    stale = net(x).mean(0).abs().max()
    precise_batchnorm(net, x)
    assert stale > 1 and net(x).mean(0).abs().max() < 1e-5


def test_trainer_calibrates_the_generator_at_each_epoch_end(
    tmp_path, monkeypatch, tiny_train_config
) -> None:
    from qgan.training.run import train

    calls = []
    monkeypatch.setattr(
        "qgan.models.hybridq.HybridQ.calibrate", lambda self, gen, n=0: calls.append(gen)
    )
    cfg = tiny_train_config(tmp_path, epochs=2)
    train(cfg)
    assert len(calls) == 2
    assert calls[0].initial_seed() != calls[1].initial_seed()  # a stream per epoch


def test_hybridq_calibration_sets_exact_latent_and_decoder_statistics() -> None:
    """Oracle: the mean and variance of the prior's outputs over all n draws (latent norm), and
    the decoder's first BatchNorm input over the first n / 4 of them, computed directly."""
    from qgan.models.gan import build_gan
    from qgan.training.config import TrainConfig

    cfg = TrainConfig(dataset="synthetic", n_layers=1, decoder_width=2).with_model_defaults()
    gan = build_gan(cfg, torch.rand(4, 3, 64, 64) * 2 - 1)
    g, n = gan.generator, 64
    gan.calibrate(torch.Generator().manual_seed(5), n)
    raw = g.prior(gan.noise.sample(n, torch.Generator().manual_seed(5))).float().detach()
    torch.testing.assert_close(g.norm.running_mean, raw.mean(0))
    torch.testing.assert_close(g.norm.running_var, raw.var(0), rtol=1e-4, atol=1e-6)
    g.eval()
    with torch.no_grad():
        h = g.decoder.fc(g.norm(raw[: n // 4]))  # (16, w0 * 4 * 4): the first BN's input
        h = h.view(n // 4, *g.decoder.start[:1], 4, 4)
    first = g.decoder.blocks[0]
    torch.testing.assert_close(first.running_mean, h.mean(dim=(0, 2, 3)))
    torch.testing.assert_close(first.running_var, h.var(dim=(0, 2, 3)), rtol=1e-4, atol=1e-6)


def test_hybridq_ablation_flags_reach_the_model_config() -> None:
    from qgan.models.hybridq import model_config
    from qgan.train import parse

    default = model_config(parse([]))
    assert default.latent_norm and default.decoder_adversarial_weight == 1.0
    assert (default.decoder, default.prior) == ("conv", "quantum")
    assert default.covariance_weight == 0.0 and not default.latent_two_sided
    argv = "--raw-latents --decoder-adversarial-weight 0.5 --covariance-weight 2 --latent-two-sided"
    argv += " --decoder paper --prior mlp"
    cfg = model_config(parse(argv.split()))
    assert not cfg.latent_norm and cfg.decoder_adversarial_weight == 0.5
    assert (cfg.decoder, cfg.prior) == ("paper", "mlp")
    assert cfg.covariance_weight == 2.0 and cfg.latent_two_sided
