"""The adversarial games (qgan/objectives.py, qgan/registry.py): BCE against its textbook form,
the health entries against hand-made logits, and learning rates
per model and objective."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from qgan.objectives import (
    Game,
    bce_d_loss,
    bce_g_loss,
    health,
)
from qgan.registry import OBJECTIVES, learning_rates, objective_entry


def test_bce_losses_match_sigmoid_bce() -> None:
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(5, generator=gen, dtype=torch.float64) * 3  # float64: sigmoid's BCE
    fake = torch.randn(7, generator=gen, dtype=torch.float64) * 3  # loses digits in float32
    want_d = F.binary_cross_entropy(torch.sigmoid(real), torch.ones(5, dtype=torch.float64))
    want_d = want_d + F.binary_cross_entropy(
        torch.sigmoid(fake), torch.zeros(7, dtype=torch.float64)
    )
    torch.testing.assert_close(bce_d_loss(real, fake), want_d)
    want_g = F.binary_cross_entropy(torch.sigmoid(fake), torch.ones(7, dtype=torch.float64))
    torch.testing.assert_close(bce_g_loss(fake), want_g)


def test_bce_generator_loss_is_stable_for_confident_discriminators() -> None:
    # sigmoid(-200) underflows in float32 and log(0) would give inf; softplus gives 200.
    assert bce_g_loss(torch.tensor([-200.0])).item() == pytest.approx(200.0)


def test_health_by_hand() -> None:
    h = health(torch.tensor([1.0, -1.0]), torch.tensor([-2.0, -3.0]))
    assert h == {"d_real": 0.0, "d_fake": -2.5, "d_accuracy": 0.75, "d_separated": 1.0}
    assert health(torch.tensor([1.0]), torch.tensor([2.0]))["d_separated"] == 0.0


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_every_game_trains_d_and_passes_gradient_to_images(name: str) -> None:
    torch.manual_seed(0)
    disc = nn.Sequential(nn.Conv2d(3, 4, 4, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(),
                         nn.Linear(4 * 8 * 8, 1))  # fmt: skip
    game = Game(objective_entry(name), disc, torch.Generator().manual_seed(0))
    real, fake = torch.rand(4, 3, 16, 16) * 2 - 1, torch.rand(4, 3, 16, 16, requires_grad=True)
    d = game.d_step(real, fake.detach())
    d["total"].backward()
    assert all(p.grad.abs().sum() > 0 for p in disc.parameters())
    g = game.g_adversarial(fake)
    g.backward()
    assert fake.grad.abs().sum() > 0
    # the MosaiQ noise rule needs non-negative losses
    assert min(game.noise_losses(float(d["loss"]), float(g))) >= 0


def test_learning_rates_per_model_and_objective() -> None:
    assert learning_rates("hybridq", "paper") == {
        "lr_quantum": 0.3, "lr_classical": 2e-4, "lr_discriminator": 2e-3}  # fmt: skip
    assert learning_rates("dcgan", "diffaugment") == {
        "lr_quantum": None, "lr_classical": 2e-4, "lr_discriminator": 2e-4}  # fmt: skip
    with pytest.raises(ValueError, match="unknown objective 'x'; choose one of paper"):
        objective_entry("x")
