"""``TrainConfig``: what ``python -m qgan.train`` runs, as a frozen dataclass.

Every field is a ``--kebab-case`` flag (``qgan.config``); the resolved config is written to each
run folder as config.json before work starts and travels in every checkpoint as a dict.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from qgan.config import check_at_least, check_choice, flag, opt
from qgan.data.section import DataSection
from qgan.models.config import (
    DECODER_BIAS_INITS,
    DECODERS,
    DEVICES,
    DTYPES,
    PRIORS,
    SIMULATORS,
    quantum_config,
)
from qgan.registry import LR_FLAGS, MODELS, OBJECTIVES, learning_rates, model_entry

HYBRIDQ_ONLY = {"decoder": "conv", "decoder_width": 16, "prior": "quantum"}  # flags: defaults
# Fields added after runs existed, with the value every earlier run had (saved configs lack them).
LEGACY_VALUES = {"objective": "paper", "decoder": "paper", "decoder_width": 16, "prior": "quantum"}


# Flags that --resume applies to a run: how long it goes, its sample grid, and where its data
# lives (checked against the run's split.json). Any other flag typed next to --resume must
# equal the run's saved value: it would change the model, the data or the optimization, and the
# run would no longer continue the one in last.pt.
RESUMABLE = ("epochs", "max_steps", "grid", "data_root")


@dataclass(frozen=True)
class TrainConfig(DataSection):
    """A training run: the data section (``--dataset`` ... ``--split-seed``), then the model,
    its game, the optimization and the run folder."""

    # fields earlier runs saved that are no longer the run's: --dry-run is the command's
    RETIRED: ClassVar[tuple[str, ...]] = ("dry_run",)

    model: str = opt("hybridq", f"generative model: {' | '.join(MODELS)}")
    objective: str = opt(
        "",
        f"adversarial game: {' | '.join(OBJECTIVES)}; empty: the model's own (hybridq: ada, "
        "dcgan and mosaiq: paper). paper = each paper's BCE and learning rates (hybridq 0.3 / "
        "2e-4 / 2e-3); ada = the same with augmentation of all D sees that adapts to D's "
        "overfitting (StyleGAN2-ADA); diffaugment = that augmentation always on",
    )
    cls: str = opt(
        "",
        "class to train one GAN on, or 'all' for one GAN per class in turn; empty: the "
        "first of --classes",
    )
    train_per_class: int = opt(
        0,
        "train on a seeded draw of this many training-side images per class (0: all); the "
        "HQCNN study's digit GANs train on the classifier's 100",
    )
    epochs: int = opt(100, "training epochs (the paper: 100)")
    batch_size: int = opt(64, "images per step")
    max_steps: int = opt(0, "stop after this many steps in all (0: no limit), for smoke runs")
    sim: str = opt("fast", f"quantum simulator: {' | '.join(SIMULATORS)}")
    dtype: str = opt("float64", f"fast simulator arithmetic: {' | '.join(DTYPES)}")
    device: str = opt(
        "cpu",
        f"torch device of the fast simulator's engine: {' | '.join(DEVICES)} (the "
        "classical networks stay on the CPU)",
    )
    n_layers: int = opt(6, "layers of each 10-qubit sub-generator")
    decoder: str = opt(
        "conv",
        f"hybridq post-processing: {' | '.join(DECODERS)} (paper: fc + ReLU + 3x3 conv "
        "as the paper says; conv: upsampling convolutions, qgan.models.decoders)",
    )
    decoder_width: int = opt(16, "hybridq conv decoder: channels at full size")
    prior: str = opt(
        "quantum",
        f"hybridq latent prior: {' | '.join(PRIORS)} (mlp: a classical map with "
        "the quantum generator's 600 parameters; none: the noise itself); the ablation of "
        "what the quantum part adds",
    )
    encoder_wiring: str = opt(
        "latent-match", "how the pre-processing layer trains: latent-match | decoder-only"
    )
    raw_latents: bool = opt(
        False, "hybridq ablation: decode raw <Z> values (no latent standardization)"
    )
    decoder_adversarial_weight: float = opt(
        1.0,
        "hybridq latent-match: the decoder's share of the adversarial gradient (0: the "
        "decoder learns from the reconstruction only)",
    )
    covariance_weight: float = opt(
        0.0, "hybridq latent-match ablation: weight of a mean+covariance term on the latents"
    )
    latent_two_sided: bool = opt(
        False, "hybridq latent-match ablation: the latent term also moves the encoder"
    )
    decoder_bias_init: str = opt(
        "data-mean",
        "hybridq decoder output bias at the start: data-mean (atanh of the class's "
        "mean pixel per channel: MEL derm-FID 44 vs 66 at 40 epochs) | zero (DCGAN init; the "
        "README's Table 1 runs)",
    )
    lr_quantum: float = opt(
        0.0,
        "learning rate of the quantum weights (hybridq: of its prior); 0: the "
        "objective's, else the model's own (qgan.registry)",
    )
    lr_classical: float = opt(
        0.0,
        "learning rate of the classical generator layers; 0: the objective's, else the model's own",
    )
    lr_discriminator: float = opt(
        0.0, "learning rate of the discriminator; 0: the objective's, else the model's own"
    )
    beta1: float = opt(0.5, "Adam beta1 (DCGAN's; the HybridQ paper gives none)")
    seed: int = opt(0, "seed of weights, noise, batch order and augmentation")
    out: str = opt("runs", "folder that receives one run folder per class")
    resume: str = opt(
        "",
        "run folder or checkpoint to continue exactly; flags typed with it may change "
        f"only {', '.join('--' + f.replace('_', '-') for f in RESUMABLE)}",
    )
    grid: int = opt(64, "images in the per-epoch sample grid (fixed noise)")

    def __post_init__(self) -> None:
        super().__post_init__()
        entry = model_entry(self.model)  # ValueError naming the models
        if self.objective and self.objective not in entry.objectives:
            raise ValueError(
                f"unknown --objective {self.objective!r} for {self.model}; choose one of "
                f"{', '.join(entry.objectives)}"
            )
        check_choice("--decoder", self.decoder, DECODERS)
        check_choice("--prior", self.prior, PRIORS)
        check_choice("--decoder-bias-init", self.decoder_bias_init, DECODER_BIAS_INITS)
        for name, default in HYBRIDQ_ONLY.items():
            if self.model != "hybridq" and getattr(self, name) != default:
                raise ValueError(f"{flag(name)} applies to hybridq only; leave it out")
        quantum_config(self)  # the simulator, engine dtype and device: QuantumConfig checks them
        check_at_least(self, {"epochs": 1, "batch_size": 1})
        if self.train_per_class < 0:
            raise ValueError("--train-per-class must be at least 0 (0: every training image)")
        for name in LR_FLAGS:
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"{flag(name)} must be >= 0 (0: the model's own)")
            if value and entry.learning_rates[name] is None:
                raise ValueError(f"{flag(name)} does not apply to {self.model}; leave it at 0")

    def resolved(self) -> TrainConfig:
        """The data section resolved (``DataSection.resolved``), the class, the objective and
        learning rates left at 0 made concrete."""
        data = super().resolved()
        cls = self.cls or next(iter(data.class_names), "")
        return dataclasses.replace(data, cls=cls).with_model_defaults()

    def with_model_defaults(self) -> TrainConfig:
        """The model's own objective where none is given, and learning rates left at 0 replaced
        by that objective's, else the model's own (``qgan.registry.learning_rates``)."""
        objective = self.objective or model_entry(self.model).objective
        own = learning_rates(self.model, objective)
        lrs = {k: getattr(self, k) or (own[k] or 0.0) for k in LR_FLAGS}
        return dataclasses.replace(self, objective=objective, **lrs)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """A saved config (a checkpoint's, config.json): unknown keys are an error; fields it
        predates take ``legacy_values``."""
        from qgan.checkpoint import config_from_dict  # torch: only when a file is read

        return config_from_dict(cls, data)

    @classmethod
    def legacy_values(cls, data: dict) -> dict:
        """What every run had before a field existed: the data section's
        (``DataSection.legacy_values``) and ``LEGACY_VALUES`` (HybridQ's own flags only for
        HybridQ runs, whose saved configs lack them)."""
        hybridq = data.get("model", "hybridq") == "hybridq"
        legacy = {k: v for k, v in LEGACY_VALUES.items() if hybridq or k not in HYBRIDQ_ONLY}
        return super().legacy_values(data) | legacy
