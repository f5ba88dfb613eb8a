"""The adversarial game of an objective (``qgan.registry.OBJECTIVES``) on image discriminators.

    game = Game(entry, discriminator, generator=torch.Generator().manual_seed(seed))
    d = game.d_step(real, fake.detach())   # {"total": what D descends, "loss", health ...}
    g = game.g_adversarial(fake)            # the generator's adversarial term

Every image D judges first goes through the objective's DiffAugment policy, drawn from the
game's own ``torch.Generator`` (kept in checkpoints, so a resumed run augments exactly as the
uninterrupted one), each transform with probability ``game.p``: 1 for plain DiffAugment, and
for an adaptive objective (StyleGAN2-ADA, Karras et al. 2020) a p that starts at 0 and, every
``ADA_INTERVAL`` D steps, moves by sign(r - target) * (images seen) / ``ada_images``, where
r = E[sign D(x_real)] over those steps: a D that is sure of every training image (r -> 1) is
memorizing them, and more augmentation takes that away. Losses take logits; BCE is written
with softplus, the stable form of DCGAN's BCE on sigmoid outputs.

``d_step`` also returns what shows the game's health, per step: D's mean logit on real and on
generated images, its accuracy (real logit > 0, generated < 0) and whether it separated the two
batches completely (every real logit above every generated one).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from qgan.models.diffaugment import augment, parse_policy
from qgan.registry import ObjectiveEntry


def bce_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """L_D = mean softplus(-D(x)) + mean softplus(D(G(z))): BCE, real -> 1, fake -> 0."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def bce_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """L_G = mean softplus(-D(G(z))) = -mean log sigmoid(D(G(z))): non-saturating G loss."""
    return F.softplus(-fake_logits).mean()


LOSSES = {"bce": (bce_d_loss, bce_g_loss)}  # name -> (D loss, G loss), both on logits
ADA_INTERVAL = 4  # D steps between updates of the adaptive augmentation probability (ADA's)


def health(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> dict[str, float]:
    """D's mean logits, accuracy and complete separation of one real and one generated batch."""
    real, fake = real_logits.detach(), fake_logits.detach()
    correct = torch.cat([real > 0, fake < 0]).float()
    return {
        "d_real": float(real.mean()),
        "d_fake": float(fake.mean()),
        "d_accuracy": float(correct.mean()),
        "d_separated": float(real.min() > fake.max()),
    }


class Game:
    """One objective played by ``discriminator`` (see the module docstring)."""

    def __init__(self, entry: ObjectiveEntry, discriminator: nn.Module, generator: torch.Generator):
        if entry.loss not in LOSSES:
            raise ValueError(f"unknown loss {entry.loss!r}; choose one of {', '.join(LOSSES)}")
        self.entry, self.discriminator, self.generator = entry, discriminator, generator
        self.policy = parse_policy(entry.augment)
        self._d_loss, self._g_loss = LOSSES[entry.loss]
        self.p = 0.0 if entry.ada_target else 1.0  # probability of each transform per image
        self._signs, self._seen, self._steps = 0.0, 0, 0  # r's running sums since the update

    @property
    def adaptive(self) -> bool:
        return bool(self.policy) and self.entry.ada_target > 0

    def judge(self, images: torch.Tensor) -> torch.Tensor:
        """D's logits (B,) on the augmented ``images`` (B, C, H, W)."""
        return self.discriminator(augment(images, self.policy, self.generator, self.p))

    def d_step(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor | float]:
        """D's objective on a real and a (detached) generated batch.

        Returns "total" (what D descends), "loss" (the adversarial loss, e.g. BCE: the two are
        one while no objective adds a penalty) and ``health``'s entries.
        """
        real_logits, fake_logits = self.judge(real.detach()), self.judge(fake)
        loss = self._d_loss(real_logits, fake_logits)
        record = {"total": loss, "loss": loss} | health(real_logits, fake_logits)
        if self.adaptive:
            record["augment_p"] = self.p  # the probability this step's images were drawn with
            self._adapt(real_logits.detach())
        return record

    def _adapt(self, real_logits: torch.Tensor) -> None:
        """Accumulate sign D(x_real); every ``ADA_INTERVAL`` steps move p toward the target."""
        self._signs += float(real_logits.sign().sum())
        self._seen += len(real_logits)
        self._steps += 1
        if self._steps < ADA_INTERVAL:
            return
        r = self._signs / self._seen
        step = self._seen / self.entry.ada_images
        self.p = min(1.0, max(0.0, self.p + (step if r > self.entry.ada_target else -step)))
        self._signs, self._seen, self._steps = 0.0, 0, 0

    def state_dict(self) -> dict:
        """The adaptive state (p and r's running sums), plain numbers for a checkpoint."""
        return {"p": self.p, "signs": self._signs, "seen": self._seen, "steps": self._steps}

    def load_state_dict(self, state: dict) -> None:
        self.p = float(state["p"])
        self._signs, self._seen = float(state["signs"]), int(state["seen"])
        self._steps = int(state["steps"])

    def g_adversarial(self, fake: torch.Tensor) -> torch.Tensor:
        """The generator's adversarial loss on ``fake`` (gradient flows into it)."""
        return self._g_loss(self.judge(fake))

    def noise_losses(self, d_loss: float, g_adversarial: float) -> tuple[float, float]:
        """The (loss_D, loss_G) the MosaiQ noise rule reads (``qgan.models.noise``): a ratio of
        non-negative losses, which BCE's are. A loss whose values can be negative (hinge,
        Wasserstein) would have to map them here first."""
        return d_loss, g_adversarial
