"""Every model and every training objective, declared once (plain data: no torch, no qiskit).

The CLI configs validate ``--model`` and ``--objective`` against these tables and take their
defaults from them; ``qgan.models.gan.gan_class`` imports a model's class from ``path`` only when a
run needs it, so ``--help`` stays light. A new model is one ``ModelEntry`` here and its module.

Learning rates: each model's own (its paper's, Adam unless it says otherwise), replaced where
the run's objective names a value for a part the model has, and by any ``--lr-*`` flag given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LR_FLAGS = ("lr_quantum", "lr_classical", "lr_discriminator")


@dataclass(frozen=True)
class ModelEntry:
    """A generative model the trainer can run.

    Attributes:
        name: ``--model`` value and run-folder prefix.
        path: ``"module:Class"`` of its ``qgan.models.gan.GANModel`` subclass.
        learning_rates: Its own rates per ``LR_FLAGS`` name; None: the model has no such part.
        objective: The objective it trains with unless ``--objective`` says otherwise.
        objectives: The objectives it can train with.
        summary: One line for ``--help`` and tables.
    """

    name: str
    path: str
    learning_rates: dict[str, float | None]
    objective: str
    objectives: tuple[str, ...]
    summary: str


@dataclass(frozen=True)
class ObjectiveEntry:
    """How the adversarial game is played: losses, discriminator regularisation, augmentation.

    Attributes:
        name: ``--objective`` value.
        loss: ``bce`` (D: BCE on logits; G: non-saturating -log sigmoid D(G(z)));
            ``qgan.models.objectives.LOSSES`` holds the losses by name.
        augment: DiffAugment policy applied to everything D sees (``qgan.models.diffaugment``);
            "" none.
        ada_target: 0: every image D sees is augmented. Above 0: each transform reaches an image
            with a probability p that adapts, as in StyleGAN2-ADA (Karras et al. 2020): p
            starts at 0 and moves to keep r = E[sign D(x_real)] at this target (0.6 there).
        ada_images: Images D must see for p to go from 0 to 1 (how fast p adapts).
        learning_rates: Rates that replace a model's own (``LR_FLAGS`` names).
        summary: One line for ``--help`` and the README.
    """

    name: str
    loss: str
    augment: str
    ada_target: float = 0.0
    ada_images: int = 0
    learning_rates: dict[str, float] = field(default_factory=dict)
    summary: str = ""


OBJECTIVES: dict[str, ObjectiveEntry] = {
    e.name: e
    for e in (
        ObjectiveEntry(
            "paper", loss="bce", augment="",
            summary="each model's paper: BCE with the model's own learning rates (HybridQ: Adam "
            "0.3 / 2e-4 / 2e-3)",
        ),
        ObjectiveEntry(
            "diffaugment", loss="bce", augment="flip,translation,cutout",
            summary="the paper's, with DiffAugment (flip, translation, cutout) on everything D "
            "sees: for discriminators that memorize a small training set",
        ),
        ObjectiveEntry(
            "ada", loss="bce", augment="flip,rot90,translation,cutout", ada_target=0.6,
            ada_images=10_000,
            summary="the paper's, with augmentation that adapts (StyleGAN2-ADA's rule): none "
            "while D is unsure, more as D starts to tell the training images apart",
        ),
    )
}  # fmt: skip

MODELS: dict[str, ModelEntry] = {
    e.name: e
    for e in (
        ModelEntry(
            "hybridq", "qgan.models.hybridq:HybridQ",
            {"lr_quantum": 0.3, "lr_classical": 2e-4, "lr_discriminator": 2e-3},
            objective="ada", objectives=tuple(OBJECTIVES),
            summary="HybridQ: encoder + 10x10-qubit generator + decoder, DCGAN discriminator",
        ),
        ModelEntry(
            "dcgan", "qgan.models.dcgan:DCGAN",
            {"lr_quantum": None, "lr_classical": 2e-4, "lr_discriminator": 2e-4},
            objective="paper", objectives=tuple(OBJECTIVES),
            summary="DCGAN (Radford et al.), the paper's classical baseline",
        ),
        ModelEntry(
            "mosaiq", "qgan.models.mosaiq:MosaiQ",
            {"lr_quantum": 0.3, "lr_classical": None, "lr_discriminator": 0.05},
            objective="paper", objectives=("paper",),
            summary="MosaiQ (Silver et al.): PCA + 10x10-qubit generator, MLP discriminator, SGD",
        ),
    )
}  # fmt: skip


def model_entry(name: str) -> ModelEntry:
    """The entry of model ``name``; ValueError naming the known ones."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name]


def objective_entry(name: str) -> ObjectiveEntry:
    """The entry of objective ``name``; ValueError naming the known ones."""
    if name not in OBJECTIVES:
        raise ValueError(f"unknown objective {name!r}; choose one of {', '.join(OBJECTIVES)}")
    return OBJECTIVES[name]


def learning_rates(model: str, objective: str) -> dict[str, float | None]:
    """The rates model ``model`` trains with under ``objective`` (None: no such part)."""
    own = model_entry(model).learning_rates
    override = objective_entry(objective).learning_rates
    return {k: None if own[k] is None else override.get(k, own[k]) for k in LR_FLAGS}
