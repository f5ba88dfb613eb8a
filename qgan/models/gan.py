"""What the trainer runs: one GAN model (networks, optimizers, noise, objectives), any kind.

``qgan.training.trainer.Trainer`` is one loop for every model; a model plugs in by subclassing
``GANModel`` and declaring itself in ``qgan.registry.MODELS``. One training step is::

    real_in = gan.real_input(real)              # what D sees of real images (images, PCA, ...)
    fake = gan.generate(gan.noise.sample(B, g)) # one generator forward, kept for both sides
    d = gan.d_loss(real_in, fake)               # {"total", "loss", health}: step gan.opt_d
    g = gan.g_losses(real_in, fake)             # {"total", "adversarial", ...}: step gan.opt_g
    gan.noise.update(*gan.game.noise_losses(d["loss"], g["adversarial"]))  # the MosaiQ bound

``gan.game`` (``qgan.models.objectives.Game``) is the run's objective: its losses and DiffAugment.

and ``gan.generator(noise)`` gives images (B, C, H, W) in [-1, 1] for grids and sampling.
Checkpoints hold ``gan.modules()`` by name, ``gan.model_config`` as a dict and
``gan.noise.state_dict()``, so ``checkpoint_model_config``, ``generator_for`` and ``noise_for``
rebuild the sampling side from a checkpoint alone.
"""

from __future__ import annotations

import dataclasses
import importlib
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import torch
from torch import nn

from qgan.checkpoint import config_from_dict
from qgan.models.noise import B_MIN, AdaptiveNoise
from qgan.models.objectives import Game
from qgan.registry import model_entry, objective_entry

AUGMENT_STREAM = 1 << 41  # offsets the seed of the DiffAugment stream from the other streams


class UniformNoise:
    """Noise angles U[0, b) (B, dim) with the MosaiQ adaptive bound b (``qgan.models.noise``)."""

    kind = "uniform"

    def __init__(self, dim: int, bound: float = B_MIN):
        self.dim = dim
        self.adaptive = AdaptiveNoise(bound)

    @property
    def bound(self) -> float:
        return self.adaptive.bound

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.adaptive.sample(n, self.dim, generator)

    def base(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """U[0, 1) draws; ``scale`` turns them into noise of the current bound (fixed grids)."""
        return torch.rand(n, self.dim, generator=generator)

    def scale(self, base: torch.Tensor) -> torch.Tensor:
        return base * self.bound

    def update(self, loss_d: float, loss_g: float) -> dict[str, float]:
        """The MosaiQ rule after a generator step; returns the metrics line's entry."""
        return {"noise_bound": self.adaptive.update(loss_d, loss_g)}

    def state_dict(self) -> dict:
        return self.adaptive.state_dict()  # {"bound", "ratio0"}, as HybridQ runs always had

    def load_state_dict(self, state: dict) -> None:
        self.adaptive.load_state_dict(state)


class GaussianNoise:
    """Fixed N(0, 1) noise (B, dim), as DCGAN draws it; nothing adapts."""

    kind = "normal"

    def __init__(self, dim: int):
        self.dim = dim

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.dim, generator=generator)

    base = sample

    def scale(self, base: torch.Tensor) -> torch.Tensor:
        return base

    def update(self, loss_d: float, loss_g: float) -> dict[str, float]:
        return {}

    def state_dict(self) -> dict:
        return {"kind": self.kind}

    def load_state_dict(self, state: dict) -> None:
        if state.get("kind") != self.kind:
            raise ValueError(f"noise state {state} is not N(0, 1) noise")


Noise = UniformNoise | GaussianNoise
CALIBRATION_SAMPLES = 1024  # noise draws behind the inference statistics of BatchNorm layers


class GANModel(ABC):
    """One GAN as the trainer runs it; subclasses build everything in ``__init__(cfg, images)``.

    Attributes:
        config_class: The dataclass of ``model_config`` (checkpoints store it as a dict).
        model_config: The model's own frozen config (saved in checkpoints).
        generator: noise (B, latent) -> images (B, C, H, W) in [-1, 1].
        discriminator: The adversary, on whatever ``real_input`` returns.
        noise: Its noise source (``UniformNoise`` or ``GaussianNoise``).
        opt_g, opt_d: The generator-side and discriminator optimizers.
    """

    name: ClassVar[str]
    config_class: ClassVar[type]
    model_config: Any
    generator: nn.Module
    discriminator: nn.Module
    noise: Noise
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    game: Game

    @classmethod
    def check(cls, cfg, images: torch.Tensor) -> None:
        """Raise ValueError (one line) if the model cannot train on ``images``; before any run."""
        return None  # any images will do, unless a model says otherwise

    def modules(self) -> dict[str, nn.Module | None]:
        """The networks a checkpoint holds, by name (None: not built in this configuration)."""
        return {"generator": self.generator, "discriminator": self.discriminator}

    def real_input(self, real: torch.Tensor) -> torch.Tensor:
        """What the discriminator sees of a real batch (B, C, H, W); the images by default."""
        return real

    @abstractmethod
    def generate(self, noise: torch.Tensor) -> Any:
        """One generator forward; whatever ``d_loss`` and ``g_losses`` need of the fakes."""

    def start_game(self, cfg) -> None:
        """``self.game``: the objective ``cfg.objective`` played by ``self.discriminator``, with
        its augmentation stream seeded from ``cfg.seed``."""
        stream = torch.Generator().manual_seed(cfg.seed + AUGMENT_STREAM)
        self.game = Game(objective_entry(cfg.objective), self.discriminator, stream)

    def d_loss(self, real_in: torch.Tensor, fake: Any) -> dict[str, Any]:
        """The discriminator's objective (fakes detached: only D learns from it):
        ``Game.d_step``'s dict, "total" to descend. For models whose ``generate`` returns what
        D judges."""
        return self.game.d_step(real_in, fake.detach())

    def g_losses(self, real_in: torch.Tensor, fake: Any) -> dict[str, torch.Tensor]:
        """Generator-side terms; "total" is minimized, "adversarial" drives the noise rule.

        The game's adversarial loss alone by default (the same contract as ``d_loss``).
        """
        adversarial = self.game.g_adversarial(fake)
        return {"total": adversarial, "adversarial": adversarial}

    @abstractmethod
    def parameter_counts(self) -> dict[str, int]:
        """Trainable parameters per part and their "total"."""

    @classmethod
    @abstractmethod
    def generator_for(cls, model_config: Any) -> nn.Module:
        """The generator alone, with placeholder weights, of a checkpoint's ``model_config``
        (the checkpoint's weights replace them; ``on_engine`` picks its simulator)."""

    @classmethod
    @abstractmethod
    def noise_for(cls, model_config: Any) -> Noise:
        """A noise source of the model's kind (its state comes from the checkpoint)."""

    def calibrate(self, generator: torch.Generator, n: int = CALIBRATION_SAMPLES) -> None:
        """Set the generator's BatchNorm statistics for inference from ``n`` fresh noise draws.

        See ``precise_batchnorm``; the trainer calls it before each epoch's grid and snapshot.
        """
        precise_batchnorm(self.generator, self.noise.sample(n, generator))


def gan_class(name: str) -> type[GANModel]:
    """The ``GANModel`` subclass of model ``name``; ValueError for an unknown one."""
    module, cls = model_entry(name).path.split(":")
    return getattr(importlib.import_module(module), cls)


def build_gan(cfg, images: torch.Tensor) -> GANModel:
    """The model ``cfg.model`` of a (resolved) ``TrainConfig``, built for ``images``."""
    cls = gan_class(cfg.model)
    cls.check(cfg, images)
    return cls(cfg, images)


def checkpoint_model(ckpt: dict) -> str:
    """The model a checkpoint was trained as (runs before ``--model`` existed were HybridQ)."""
    return str(ckpt.get("config", {}).get("model", "hybridq"))


def checkpoint_model_config(ckpt: dict) -> Any:
    """The model config of a checkpoint, rebuilt as its model's ``config_class``."""
    cls = gan_class(checkpoint_model(ckpt)).config_class
    return config_from_dict(cls, ckpt["model_config"], "model_config")


def on_engine(model_config: Any, sim: str | None = None, device: str | None = None) -> Any:
    """``model_config`` with its quantum layer on simulator ``sim`` and engine ``device`` (None:
    the saved one), for sampling a generator elsewhere than it trained; a model without a
    quantum layer is returned as it is."""
    changes = {k: v for k, v in (("sim", sim), ("device", device)) if v is not None}
    if not changes or not hasattr(model_config, "quantum"):
        return model_config
    quantum = dataclasses.replace(model_config.quantum, **changes)  # QuantumConfig checks them
    return dataclasses.replace(model_config, quantum=quantum)


@torch.no_grad()
def precise_batchnorm(module: nn.Module, inputs: torch.Tensor, batch_size: int = 256) -> None:
    """Replace every BatchNorm's running statistics by their exact average over ``inputs``.

    Running averages (momentum 0.1) trail a generator whose weights move fast: HybridQ's
    quantum weights at lr 0.3 shift <Z> by a sizeable fraction of its tiny spread in a few
    steps, and on MEL the stale mean put inference latents ~0.8 standard deviations off the
    training ones, so every sample decoded alike. Recomputing them with the final weights
    ("precise BN", Wu & Johnson 2021) gives inference the statistics training used. Batches of
    ``batch_size`` are averaged with equal weight per sample (``momentum=None``); the module's
    train/eval mode and momenta are restored.
    """
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    momenta, was_training = [m.momentum for m in norms], module.training
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average: the plain mean over batches
    module.train()
    for batch in inputs.split(batch_size):
        module(batch)
    module.train(was_training)
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum
