"""HybridQ's generator-side losses, per encoder wiring (see ``qgan.models.networks``).

Pure pieces on tensors, then the objective of the generator side's step:

    fake_latent = generator.latent(noise)          # (B, 100), one quantum forward per step
    fake = generator.decoder(fake_latent)          # (B, 3, 64, 64)
    d = game.d_step(real, fake.detach())           # qgan.models.objectives: step the D optimizer
    g = generator_objective(cfg, game.g_adversarial, generator.decoder, encoder, real,
                            fake_latent, fake)
    g.total.backward()                             # step the generator-side optimizer

The adversarial term is the game's (``qgan.models.objectives.Game.g_adversarial``: BCE's
non-saturating loss or the hinge one, on augmented images); this module adds the latent-space
terms of the wiring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from qgan.models.config import ModelConfig

Adversarial = Callable[[torch.Tensor], torch.Tensor]  # generated images -> the G-side loss


def reconstruction_loss(recon: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """L_rec = mean (Dec(E(x)) - x)^2 over batch, channels and pixels."""
    return F.mse_loss(recon, real)


def mmd2(x: torch.Tensor, y: torch.Tensor, bandwidths: Sequence[float]) -> torch.Tensor:
    """Biased squared MMD between samples x (N, d) and y (M, d), multi-bandwidth RBF kernel.

    MMD^2 = mean_ij k(x_i, x_j) + mean_ij k(y_i, y_j) - 2 mean_ij k(x_i, y_j), with
    k(a, b) = mean_s exp(-|a - b|^2 / (2 d s^2)) over the bandwidths s. Distances are divided by
    d so that s is per coordinate, independent of the latent width. The biased (V-statistic)
    form is >= 0 and 0 for identical samples; the unbiased one can go negative.
    """
    xy = torch.cat([x, y])  # (N + M, d)
    # (N + M, N + M) squared distances per coordinate, from differences: torch.cdist switches
    # to |a|^2 + |b|^2 - 2ab beyond 25 rows, which cancels badly for the close pairs that the
    # small bandwidths look at. (N + M)^2 d floats: 1.6M at batch 64, d = 100.
    d2 = (xy[:, None] - xy[None]).square().mean(-1)
    k = torch.stack([torch.exp(-d2 / (2 * s * s)) for s in bandwidths]).mean(0)
    n = len(x)
    return k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean()


def latent_loss(
    cfg: ModelConfig, fake_latent: torch.Tensor, real_latent: torch.Tensor | None
) -> torch.Tensor:
    """L_lat of the wiring; the generator side minimizes L_adv + lambda_lat L_lat + ...

    latent-match: L_lat = MMD^2(q, r) + lambda_cov covariance_gap(q, r) with q the prior's
    latents and r = E(x) the encoded real ones. With ``cfg.latent_two_sided`` r keeps its
    gradient, so the term also pulls the encoder's latents toward what the quantum generator can
    produce (its sub-generators see disjoint noise, so its latents are independent across blocks
    of 10): the quantum generator acts as a learned prior, as in an adversarial autoencoder.
    Otherwise r is a stop-gradient target, moved only by the autoencoder.
    decoder-only: L_lat = 0 (``real_latent`` is ignored and may be None).
    """
    if not cfg.uses_encoder:
        return fake_latent.new_zeros(())
    if real_latent is None:
        raise ValueError("the latent-match wiring needs the encoded real latents")
    target = real_latent if cfg.latent_two_sided else real_latent.detach()
    lat = mmd2(fake_latent, target, cfg.mmd_bandwidths)
    if cfg.covariance_weight:
        lat = lat + cfg.covariance_weight * covariance_gap(fake_latent, target)
    return lat


def covariance_gap(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """|mean(x) - mean(y)|^2 / d + |cov(x) - cov(y)|_F^2 / d for samples x (N, d), y (M, d).

    The first two moments, matched directly: an RBF MMD in d = 100 dimensions barely sees how the
    variance is spread over directions, and the decoder depends on exactly that (measured on MEL:
    the encoded latents put 30% of their variance on one direction, the quantum ones 10%).
    """
    d = x.shape[1]
    mean_gap = (x.mean(0) - y.mean(0)).square().sum() / d
    return mean_gap + (_cov(x) - _cov(y)).square().sum() / d


def _cov(x: torch.Tensor) -> torch.Tensor:
    centred = x - x.mean(0)
    return centred.T @ centred / max(len(x) - 1, 1)  # (d, d), unbiased


def autoencoder_loss(
    cfg: ModelConfig, encoder: nn.Module | None, decoder: nn.Module, real: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(L_rec, E(x)) of the wiring.

    latent-match: L_rec = mean (Dec(E(x)) - x)^2, trains encoder and decoder; E(x) is returned
    so that ``generator_loss`` can reuse it. decoder-only: (0, None).
    """
    if not cfg.uses_encoder:
        return real.new_zeros(()), None
    if encoder is None:
        raise ValueError("the latent-match wiring needs an encoder")
    real_latent = encoder(real)  # (B, latent_dim)
    return reconstruction_loss(decoder(real_latent), real), real_latent


@dataclass(frozen=True)
class GeneratorLosses:
    """The generator-side objective and its terms (each a scalar tensor)."""

    total: torch.Tensor  # L_adv + lambda_lat L_lat + lambda_rec L_rec: call backward() on it
    adversarial: torch.Tensor
    latent: torch.Tensor
    reconstruction: torch.Tensor

    def as_floats(self) -> dict[str, float]:
        """The terms as floats, for logging."""
        names = ("total", "adversarial", "latent", "reconstruction")
        return {name: float(getattr(self, name).detach()) for name in names}


def generator_objective(
    cfg: ModelConfig,
    adversarial: Adversarial,
    decoder: nn.Module,
    encoder: nn.Module | None,
    real: torch.Tensor,
    fake_latent: torch.Tensor,
    fake: torch.Tensor,
) -> GeneratorLosses:
    """Generator-side objective of ``cfg.encoder_wiring``.

    total = L_adv(Dec(q)) + lambda_lat MMD^2(q, sg(E(x))) + lambda_rec mean (Dec(E(x)) - x)^2 in
    latent-match; total = L_adv(Dec(q)) in decoder-only. q = ``fake_latent`` (the prior's latents),
    ``fake`` = Dec(q), ``adversarial`` the game's loss on generated images (e.g.
    ``qgan.models.objectives.Game.g_adversarial``). Its gradient reaches the prior (through L_adv
    and MMD), the decoder (L_adv and L_rec) and the encoder (L_rec); D's parameters get gradient
    too, so zero them (or step D's optimizer only on D's own objective). In latent-match the
    decoder's share of L_adv's gradient is ``cfg.decoder_adversarial_weight`` (``fake`` is then
    decoded again with that share; values and the prior's gradient are unchanged).
    """
    if cfg.uses_encoder and cfg.decoder_adversarial_weight != 1.0:
        fake = scaled_gradient_call(decoder, cfg.decoder_adversarial_weight, fake_latent)
    rec, real_latent = autoencoder_loss(cfg, encoder, decoder, real)
    adv = adversarial(fake)
    lat = latent_loss(cfg, fake_latent, real_latent)
    total = adv + cfg.latent_weight * lat + cfg.reconstruction_weight * rec
    return GeneratorLosses(total=total, adversarial=adv, latent=lat, reconstruction=rec)


def scaled_gradient_call(module: nn.Module, weight: float, *args: torch.Tensor) -> torch.Tensor:
    """``module(*args)`` whose parameters receive ``weight`` times their gradient.

    Each parameter p enters as sg(p) + w (p - sg(p)): the same value, gradient w dL/dp. The
    gradient to ``args`` is untouched, so a loss can train what feeds the module at full
    strength and the module itself at a fraction (0: not at all).
    """
    params = {
        name: p.detach() + weight * (p - p.detach()) if weight else p.detach()
        for name, p in module.named_parameters()
    }
    return functional_call(module, params | dict(module.named_buffers()), args)
