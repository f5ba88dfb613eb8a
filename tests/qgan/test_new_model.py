"""A new model is one module and one ``qgan.registry.MODELS`` line: nothing else of qgan changes.

The toy model below (a linear generator, a linear discriminator, N(0, 1) noise) is written to
its own module and declared in the registry; it then trains, resumes, samples and is scored
through the same commands and library as HybridQ, DCGAN and MosaiQ.
"""

from __future__ import annotations

import numpy as np

from qgan.checkpoint import load_checkpoint
from qgan.evaluation.samplers import generate_images
from qgan.registry import MODELS, ModelEntry
from qgan.sample import main as sample_main
from qgan.train import main as train_main

TOY_MODULE = """
import math
from dataclasses import dataclass

import torch
from torch import nn

from qgan.models.gan import GANModel, GaussianNoise
from qgan.models.networks import count_parameters, with_total


@dataclass(frozen=True)
class ToyConfig:
    dim: int = 4
    shape: tuple[int, int, int] = (3, 8, 8)
    seed: int = 0


class ToyGenerator(nn.Module):
    def __init__(self, cfg: ToyConfig):
        super().__init__()
        self.shape = tuple(cfg.shape)
        self.net = nn.Linear(cfg.dim, math.prod(cfg.shape))

    def forward(self, noise):
        return torch.tanh(self.net(noise)).view(-1, *self.shape)


class Toy(GANModel):
    name = "toy"
    config_class = ToyConfig

    def __init__(self, cfg, images):
        torch.manual_seed(cfg.seed)
        self.model_config = ToyConfig(shape=tuple(images.shape[1:]), seed=cfg.seed)
        self.generator = ToyGenerator(self.model_config)
        width = math.prod(self.model_config.shape)
        self.discriminator = nn.Sequential(nn.Flatten(), nn.Linear(width, 1), nn.Flatten(0))
        self.noise = GaussianNoise(self.model_config.dim)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=cfg.lr_classical)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=cfg.lr_discriminator)
        self.start_game(cfg)

    def generate(self, noise):
        return self.generator(noise)

    def parameter_counts(self):
        return with_total(generator=count_parameters(self.generator),
                          discriminator=count_parameters(self.discriminator))

    @classmethod
    def generator_for(cls, model_config):
        return ToyGenerator(model_config)

    @classmethod
    def noise_for(cls, model_config):
        return GaussianNoise(model_config.dim)
"""
TOY = ModelEntry(
    "toy",
    "qgan_toy_model:Toy",
    {"lr_quantum": None, "lr_classical": 1e-3, "lr_discriminator": 1e-3},
    objective="paper",
    objectives=("paper",),
    summary="a linear toy GAN",
)


def test_a_model_declared_in_one_module_and_one_registry_line_runs_everywhere(
    tmp_path, monkeypatch, capsys
):
    (tmp_path / "qgan_toy_model.py").write_text(TOY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(MODELS, "toy", TOY)
    out = tmp_path / "runs"
    flags = "--model toy --dataset synthetic --limit 8 --image-size 8 --batch-size 4".split()
    train_main([*flags, "--max-steps", "1", "--out", str(out)])
    run = out / "toy-synthetic-MEL"
    train_main(["--resume", str(run), "--max-steps", "2"])
    assert load_checkpoint(run / "last.pt")["position"]["step"] == 2
    sample_main(["--checkpoint", str(run), "--n", "3", "--out", str(tmp_path / "s")])
    with np.load(tmp_path / "s" / "samples.npz") as samples:
        sampled, kind = samples["images"], str(samples["noise_kind"])
    assert sampled.shape == (3, 8, 8, 3) and kind == "normal"
    images = generate_images(load_checkpoint(run / "last.pt"), 3, seed=0)
    np.testing.assert_array_equal(images, sampled)  # evaluation draws what qgan.sample draws
    assert "3 images in" in capsys.readouterr().out
