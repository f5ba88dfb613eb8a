"""The adversarial games (qgan/models/objectives.py, qgan/registry.py): BCE against its textbook
form, the health entries against hand-made logits, and learning rates per model and objective."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from qgan.models.objectives import (
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
    disc = nn.Sequential(
        nn.Conv2d(3, 4, 4, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(4 * 8 * 8, 1)
    )
    game = Game(objective_entry(name), disc, torch.Generator().manual_seed(0))
    real, fake = torch.rand(4, 3, 16, 16) * 2 - 1, torch.rand(4, 3, 16, 16, requires_grad=True)
    d = game.d_step(real, fake.detach())
    d["total"].backward()
    assert all(p.grad.abs().sum() > 0 for p in disc.parameters())
    g = game.g_adversarial(fake)
    g.backward()
    assert fake.grad.abs().sum() > 0
    # the MosaiQ noise rule needs non-negative losses
    assert min(game.noise_losses(float(d["loss"].detach()), float(g.detach()))) >= 0


def test_learning_rates_per_model_and_objective() -> None:
    assert learning_rates("hybridq", "paper") == {
        "lr_quantum": 0.3,
        "lr_classical": 2e-4,
        "lr_discriminator": 2e-3,
    }
    assert learning_rates("dcgan", "diffaugment") == {
        "lr_quantum": None,
        "lr_classical": 2e-4,
        "lr_discriminator": 2e-4,
    }
    with pytest.raises(ValueError, match="unknown objective 'x'; choose one of paper"):
        objective_entry("x")


class _Sure(nn.Module):
    """A 'discriminator' whose logit is a fixed sign times the mean pixel magnitude + 1."""

    def __init__(self, sign: float):
        super().__init__()
        self.sign = sign
        self.w = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sign * self.w * (x.abs().flatten(1).mean(1) + 1)


@pytest.mark.parametrize(("sign", "moves"), [(1.0, 1), (-1.0, 0)])
def test_adaptive_augmentation_follows_the_sign_of_d_on_real_images(sign, moves) -> None:
    """ADA's rule by hand: r = E[sign D(x_real)] = +-1 after 4 steps of 8 images moves p by
    +-32 / ada_images (clipped at 0)."""
    entry = objective_entry("ada")
    game = Game(entry, _Sure(sign), torch.Generator().manual_seed(0))
    assert game.adaptive and game.p == 0.0
    real, fake = torch.rand(8, 3, 16, 16), torch.rand(8, 3, 16, 16)
    for _ in range(4):
        record = game.d_step(real, fake)
        assert record["augment_p"] == 0.0  # drawn with the p before the update
    assert game.p == pytest.approx(moves * 32 / entry.ada_images)
    state = game.state_dict()
    again = Game(entry, _Sure(sign), torch.Generator().manual_seed(0))
    again.load_state_dict(state)
    assert again.state_dict() == state
    assert "augment_p" not in Game(objective_entry("paper"), _Sure(1), game.generator).d_step(
        real, fake
    )
